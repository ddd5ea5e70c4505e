"""Reproduce a published claim in one command: train its runs, read them back, print the verdicts, write a report.

Every run goes through the same path as scripts/train.py (configs/train.yaml + the claim's overrides
→ ibias.run.train.train), logged to W&B offline as usual, then read back from its `.wandb` file;
the claim's check (ibias/analysis/claims/) turns the runs into PASS / FAIL / NOT CHECKED lines.
Output: DIR/NAME/<date_time>/report.md with its figures, and the runs under runs/<run name>/.
--resume FOLDER reuses such a folder: a run whose W&B log finished with the same resolved config is read back,
not trained again (hours of CPU runs survive an interrupted reproduction or a check that failed to run).

To run: python scripts/reproduce.py --list | NAME [NAME ...] [--quick] [--seeds N] [--out DIR] [--set KEY=VALUE ...]
        python scripts/reproduce.py NAME [same options] --resume DIR/NAME/<date_time>
Exit status 1 if any statement FAILs, 2 for bad arguments, else 0.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

from omegaconf import OmegaConf

from ..analysis.claim import FAIL, Claim, ClaimRun, Outcome, Setting, not_checked
from ..analysis.claims import all_claims
from ..analysis.report import write_report
from ..analysis.wandb_io import find_runs, read_finished_run, read_run
from .config import compose_config
from .train import train

# Added before the user's overrides (which can undo them): no per-step bar in a log of verdicts.
QUIET = ("trainer.enable_progress_bar=false", "trainer.enable_model_summary=false")


def setting_for(claim: Claim, quick: bool, seeds: int | None, overrides: tuple[str, ...] = ()) -> Setting:
    """Return the Setting of a run of `claim`: `seeds` seeds (default the claim's), numbered from 0."""
    count = seeds if seeds is not None else (claim.quick_seeds if quick else claim.seeds)
    if count < 1:
        raise ValueError(f"--seeds {count}: give at least one seed")
    return Setting(quick=quick, seeds=tuple(range(count)), overrides=tuple(overrides))


def without_run_id(cfg) -> dict:
    """Return `cfg` resolved, without run.id: build_run gives each new run one, so it is not part of the setting."""
    plain = OmegaConf.to_container(cfg, resolve=True)
    (plain.get("run") or {}).pop("id", None)
    return plain


def finished_run(run_folder: Path, cfg) -> Path | None:
    """Return the W&B run in `run_folder` if it finished and was trained with `cfg` (resolved), else None."""
    saved = run_folder / "config.yaml"
    if not saved.exists() or without_run_id(OmegaConf.load(saved)) != without_run_id(cfg):
        return None
    logged = find_runs(run_folder)
    return logged[0] if len(logged) == 1 and read_run(logged[0]).exited else None


def train_runs(claim: Claim, setting: Setting, folder: Path, resume: bool = False) -> dict[str, ClaimRun]:
    """Train every RunSpec of the claim into folder/runs/<name>/ and return them read back from W&B.

    With `resume`, a run folder that already holds a finished run of the same config is read back instead;
    any other content of it (an interrupted run) is removed and the run trained afresh.
    """
    runs: dict[str, ClaimRun] = {}
    for spec in claim.runs(setting):
        if spec.name in runs:
            raise ValueError(f"claim {claim.name}: two runs are named {spec.name!r}")
        run_folder = folder / "runs" / spec.name
        cfg = compose_config(*spec.overrides, *QUIET, *setting.overrides)
        if resume and (done := finished_run(run_folder, cfg)) is not None:
            runs[spec.name] = ClaimRun(spec, read_finished_run(done), run_folder)
            continue
        if resume and run_folder.exists():
            shutil.rmtree(run_folder)
        train(cfg, run_folder)
        logged = find_runs(run_folder)
        if len(logged) != 1:
            raise RuntimeError(f"claim {claim.name}: run {spec.name} wrote {len(logged)} W&B runs under {run_folder}; "
                               "claims read their runs from W&B, so keep logger.mode offline or online, not disabled")
        runs[spec.name] = ClaimRun(spec, read_finished_run(logged[0]), run_folder)
    return runs


def reproduce(claim: Claim, setting: Setting, out: Path, command: str = "", resume: Path | None = None) -> tuple[Outcome, Path]:
    """Run `claim` in `setting` under `out` (or in the report folder `resume`); return its Outcome and the report's path."""
    if resume is not None and not (Path(resume) / "runs").is_dir():
        raise ValueError(f"--resume {resume}: not a report folder of scripts/reproduce.py (it has no runs/); pass "
                         f"DIR/{claim.name}/<date_time> of an earlier run")
    folder = Path(resume) if resume is not None else Path(out) / claim.name / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    start = time.perf_counter()
    reason = claim.unavailable(setting)
    if reason is not None:
        runs: dict[str, ClaimRun] = {}
        outcome = Outcome(verdicts=[not_checked(s, reason) for s in claim.statements or ("all",)])
    else:
        runs = train_runs(claim, setting, folder, resume=resume is not None)
        outcome = claim.check(setting, runs, folder)
    report = write_report(folder, claim, setting, outcome, list(runs.values()), time.perf_counter() - start, command)
    return outcome, report


def listing(claims: dict[str, Claim]) -> str:
    """Return the `--list` table: name, paper, quick and full wall time on 2 CPU cores."""
    rows = [("claim", "paper", "quick", "full")] + [(c.name, c.paper, c.runtime_quick, c.runtime_full) for c in claims.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}" for r in rows)


def main(argv: list[str] | None = None) -> int:
    """The command line of scripts/reproduce.py; returns the exit status."""
    parser = argparse.ArgumentParser(prog="reproduce.py", description="Reproduce published implicit-bias claims "
                                     "and print PASS / FAIL / NOT CHECKED per statement.")
    parser.add_argument("names", nargs="*", help="claims to run (see --list), or 'all'")
    parser.add_argument("--list", action="store_true", help="list every claim with its paper and runtimes")
    parser.add_argument("--quick", action="store_true", help="the reduced setting (the default test suite runs it)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the claim's)")
    parser.add_argument("--out", type=Path, default=Path("reproductions"), help="report folder (default ./reproductions)")
    parser.add_argument("--resume", type=Path, default=None, metavar="FOLDER",
                        help="an earlier report folder of the same claim: its finished runs are reused, not retrained")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="a config override for every run, e.g. --set data.root=/data --set trainer.accelerator=gpu")
    args = parser.parse_args(argv)
    claims = all_claims()
    if args.list:
        print(listing(claims))
        return 0
    names = list(claims) if args.names == ["all"] else args.names
    if args.resume is not None and len(names) != 1:
        print(f"reproduce.py: error: --resume reuses one claim's folder; name one claim, not {names}", file=sys.stderr)
        return 2
    unknown = [n for n in names if n not in claims]
    if not names or unknown:
        parser.print_usage(sys.stderr)
        what = f"unknown claim(s) {unknown}" if unknown else "name a claim"
        print(f"reproduce.py: error: {what}; choose from {', '.join(claims)} (or 'all')", file=sys.stderr)
        return 2
    failed = False
    for name in names:
        claim = claims[name]
        try:
            setting = setting_for(claim, args.quick, args.seeds, tuple(args.overrides))
        except ValueError as err:
            print(f"reproduce.py: error: {err}", file=sys.stderr)
            return 2
        command = shlex.join(["python", "scripts/reproduce.py", name, *(["--quick"] if args.quick else []),
                              *(["--seeds", str(args.seeds)] if args.seeds is not None else []),
                              *[f"--set={o}" for o in args.overrides],
                              *(["--resume", str(args.resume)] if args.resume is not None else [])])
        try:
            outcome, report = reproduce(claim, setting, args.out, command, resume=args.resume)
        except ValueError as err:
            print(f"reproduce.py: error: {err}", file=sys.stderr)
            return 2
        for v in outcome.verdicts:
            print(v.line(name), flush=True)
        print(f"report: {report}", flush=True)
        failed |= any(v.status == FAIL for v in outcome.verdicts)
    return 1 if failed else 0
