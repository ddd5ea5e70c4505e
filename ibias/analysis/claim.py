"""What a reproduced claim is: the runs it needs, the check that reads them back, and its verdicts.

A Claim names its paper (a section of docs/references.md), the training runs it needs in the full
and the quick setting (config overrides for scripts/train.py's configs, one RunSpec each), and a
check that reads the finished runs (RunRecords from the offline W&B reader, plus each run's
folder) and returns an Outcome: one Verdict per checked statement (PASS, FAIL or NOT CHECKED with
the reason), the figures it drew and a table of measured against published numbers.
Thresholds live beside the check, with the paper's number and the seed spread that defend them.
The runner (ibias/run/reproduce.py, `scripts/reproduce.py NAME`) trains, calls the check, prints
the verdicts and writes the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .wandb_io import RunRecord

PASS, FAIL, NOT_CHECKED = "PASS", "FAIL", "NOT CHECKED"


@dataclass(frozen=True)
class Setting:
    """How a claim is run: quick (the reduced setting of the default test suite) or full, and its seeds."""

    quick: bool
    seeds: tuple[int, ...]
    overrides: tuple[str, ...] = ()  # the user's extra overrides for every run (data.root=..., trainer.accelerator=gpu)

    def override(self, key: str) -> str | None:
        """Return the value the user gave for `key` (e.g. data.root), or None."""
        for item in reversed(self.overrides):
            name, _, value = item.partition("=")
            if name.lstrip("+~") == key:
                return value
        return None


@dataclass(frozen=True)
class RunSpec:
    """One training run of a claim: a name unique within the claim, and scripts/train.py overrides."""

    name: str
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class ClaimRun:
    """A finished run as the check sees it: its W&B record and its output folder (config.yaml, checkpoints)."""

    spec: RunSpec
    record: RunRecord
    folder: Path


@dataclass(frozen=True)
class Verdict:
    """One checked statement: PASS, FAIL or NOT CHECKED, with what was measured and what was expected."""

    statement: str
    status: str
    measured: str
    expected: str

    def line(self, claim: str) -> str:
        """Return the printed line, e.g. `PASS min_norm.gd_reaches_pinv: measured 3e-09 expected < 1e-06`."""
        if self.status == NOT_CHECKED:
            return f"{NOT_CHECKED} {claim}.{self.statement}: {self.measured}"
        return f"{self.status} {claim}.{self.statement}: measured {self.measured} expected {self.expected}"


def verdict(statement: str, ok: bool, measured: str, expected: str) -> Verdict:
    """Return PASS if `ok` else FAIL; a NaN measurement is never a PASS (callers compare with NaN as False)."""
    return Verdict(statement, PASS if ok else FAIL, measured, expected)


def not_checked(statement: str, reason: str) -> Verdict:
    """Return a NOT CHECKED verdict whose reason says what is missing and how to run it where it exists."""
    return Verdict(statement, NOT_CHECKED, reason, "")


@dataclass
class Outcome:
    """What a check returns: verdicts, figure paths (PNG, under the report folder) and a results table."""

    verdicts: list[Verdict] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    table: list[tuple[str, str, str]] = field(default_factory=list)  # (quantity, ours, published)
    notes: str = ""


@dataclass(frozen=True)
class Claim:
    """A published result, the runs that reproduce it and the check that gives its verdicts.

    runs(setting) -> the RunSpecs to train (may be empty for a claim computed in closed form);
    check(setting, runs, out) -> the Outcome, given the finished runs by RunSpec name and the report folder;
    unavailable(setting) -> None, or why the claim cannot run here (no CIFAR-10 under data.root, no GPU)
    with the command to run it where it can: every statement is then NOT CHECKED, nothing is trained.
    """

    name: str
    paper: str  # e.g. "Rahaman et al. 2019, Fig. 1 (docs/references.md §6)"
    summary: str  # the statement in one sentence
    runtime_full: str  # measured wall time of scripts/reproduce.py on 2 CPU cores (or the GPU it needs), e.g. "55 min"
    runtime_quick: str
    runs: Callable[[Setting], Sequence[RunSpec]]
    check: Callable[[Setting, dict[str, ClaimRun], Path], Outcome]
    statements: tuple[str, ...] = ()  # the statement names check() reports (listed when unavailable)
    seeds: int = 1  # default number of seeds in the full setting (quick uses seed 0 unless the claim says)
    quick_seeds: int = 1
    unavailable: Callable[[Setting], str | None] = lambda setting: None


def fmt(value: float, digits: int = 3) -> str:
    """Return a number for a verdict line: 3 significant digits, 'nan' kept visible."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return f"{value:.{digits}g}"
