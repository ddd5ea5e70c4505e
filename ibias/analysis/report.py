"""The report of one reproduced claim: report.md with its verdicts, measured-vs-published table and figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .claim import Claim, ClaimRun, Outcome, Setting


def write_report(folder: Path, claim: Claim, setting: Setting, outcome: Outcome, runs: Sequence[ClaimRun],
                 wall_seconds: float, command: str) -> Path:
    """Write `folder/report.md` and return its path; figures are linked relative to the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"# {claim.name}: {claim.summary}", "",
             f"Paper: {claim.paper}. Setting: {'quick' if setting.quick else 'full'}, seeds {list(setting.seeds)}; "
             f"{len(runs)} training run(s), {wall_seconds:.0f} s wall in all.", "",
             f"Command: `{command}`", "", "## Verdicts", "", "| statement | verdict | measured | expected |", "|---|---|---|---|"]
    lines += [f"| {v.statement} | {v.status} | {_cell(v.measured)} | {_cell(v.expected)} |" for v in outcome.verdicts]
    if outcome.table:
        lines += ["", "## Measured against published", "", "| quantity | ours | published |", "|---|---|---|"]
        lines += [f"| {_cell(q)} | {_cell(ours)} | {_cell(theirs)} |" for q, ours, theirs in outcome.table]
    if outcome.figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{p.stem}]({_relative(p, folder)})" for p in outcome.figures]
    if outcome.notes:
        lines += ["", "## Notes", "", outcome.notes]
    if runs:
        lines += ["", "## Runs", "", "| run | overrides | W&B run |", "|---|---|---|"]
        lines += [f"| {r.spec.name} | `{' '.join(r.spec.overrides)}` | {_relative(r.record.run_dir, folder)} |" for r in runs]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)
