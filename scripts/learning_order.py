"""Print the step at which each frequency's normalized amplitude first reaches a level, from a W&B run.

To run: python scripts/learning_order.py outputs/spectral_bias/... [--level 0.5] [--probe grid] [--series amp]
Reads the offline run with ibias.analysis.wandb_io (no network); RUN may be any folder holding one run.
The frequencies come from the probe's declaration in the run's config (ibias/analysis/records.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ibias.analysis.convergence import crossing_steps, is_monotone
from ibias.analysis.records import read_records
from ibias.analysis.wandb_io import find_runs, join_parts, read_run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--level", type=float, default=0.5)
    parser.add_argument("--probe", default="grid")
    parser.add_argument("--series", default="amp", help="which of the probe's series (grid: amp or relerr)")
    args = parser.parse_args()
    try:
        runs = join_parts([read_run(p) for p in find_runs(args.run)])  # a resumed run's parts are one run
        if len(runs) != 1:
            raise ValueError(f"{args.run} holds {len(runs)} W&B runs; pass the folder of one run")
        run = runs[0]
        records = read_records(run.config)
        if args.probe not in records:
            raise ValueError(f"{args.run} declares no probe {args.probe!r}; it declares {sorted(records) or 'none'}")
        series = records[args.probe].series_named(args.series)
        coords, order, lasts = crossing_steps(run, args.probe, args.series, args.level)
    except (OSError, ValueError, KeyError) as err:
        print(f"learning_order: {err}", file=sys.stderr)
        return 2
    print(f"{series.axis.name:>10} first step with {series.label} >= {args.level:g}   final value")
    for coord, step, last in zip(coords, order, lasts):
        print(f"{coord:>10g} {str(step) if step is not None else 'never':>10}   {last:.3f}")
    print(f"monotone in {series.axis.name}: {is_monotone(order)} (steps: {order})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
