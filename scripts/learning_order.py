"""Print the step at which each frequency's normalized amplitude first reaches a level, from a W&B run.

To run: python scripts/learning_order.py outputs/spectral_bias/... [--level 0.5] [--probe grid]
Reads the offline run with ibias.analysis.wandb_io (no network); RUN may be any folder holding one run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ibias.analysis.compare import FREQ_KEY  # noqa: E402
from ibias.analysis.convergence import first_step_reaching, is_monotone  # noqa: E402
from ibias.analysis.wandb_io import find_runs, read_run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--level", type=float, default=0.5)
    parser.add_argument("--probe", default="grid")
    args = parser.parse_args()
    try:
        runs = find_runs(args.run)
        if len(runs) != 1:
            raise ValueError(f"{args.run} holds {len(runs)} W&B runs; pass the folder of one run")
        run = read_run(runs[0])
    except (OSError, ValueError) as err:
        print(f"learning_order: {err}", file=sys.stderr)
        return 2
    amps = {int(m["k"]): key for key in run.keys()
            if (m := FREQ_KEY.match(key)) and m["probe"] == args.probe and m["qty"] == "amp"}
    keys = [amps[k] for k in sorted(amps)]
    if not keys:
        print(f"learning_order: {args.run} has no spectrum/{args.probe}/amp_k* keys", file=sys.stderr)
        return 2
    order = []
    print(f"{'k':>4} first step with |f(k)|/A_k >= {args.level:g}   final value")
    for key in keys:
        steps, values = run.series(key, x="trainer/global_step")
        step = first_step_reaching(steps, values, args.level)
        order.append(step)
        print(f"{FREQ_KEY.match(key)['k']:>4} {str(step) if step is not None else 'never':>10}   {values[-1]:.3f}")
    print(f"monotone in k: {is_monotone(order)} (steps: {order})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
