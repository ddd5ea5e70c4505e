"""Compare W&B runs locally, no account or network needed: PNGs and an index.html in --out.

To run: python scripts/compare.py RUN_DIR [RUN_DIR ...] [--out compare] [--sweep-param model.width --metric test/error]
(a RUN_DIR is a wandb/offline-run-... folder, or any folder holding runs, e.g. a multirun sweep).
"""

import argparse
import sys

from ibias.analysis.compare import CompareError, compare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="W&B run folders, or folders that hold runs")
    parser.add_argument("--out", default="compare", help="folder for the PNGs and index.html (default: ./compare)")
    parser.add_argument("--sweep-param", help="config key on the sweep plot's x-axis, e.g. model.width")
    parser.add_argument("--metric", help="final metric on the sweep plot's y-axis (default: test/error, else test/loss)")
    args = parser.parse_args(argv)
    try:
        index = compare(args.runs, args.out, sweep_param=args.sweep_param, metric=args.metric)
    except (CompareError, FileNotFoundError) as err:
        print(f"compare.py: error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
