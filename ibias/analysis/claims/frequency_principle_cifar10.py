"""Xu et al.'s frequency principle on CIFAR-10 (docs/references.md §10): e_low converges before e_high for every δ.

Runs experiment=frequency_principle_cifar10 (Xu et al.'s CNN on 5000 training images, FilterProbe with
δ = linspace(2, 100, 20) on the raw pixels, one-hot labels against softmax outputs, every epoch) and checks,
per δ where the target's high part is present, that e_low falls to 0.2 before e_high — the check of
frequency_principle_mnist1d. Needs CIFAR-10 under data.root and a GPU (the 20 kernels are 5000×5000):
without either, every statement is NOT CHECKED with the command to run. There is no reduced CIFAR-10
setting that we could calibrate here, so --quick is NOT CHECKED too.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, verdict
from .frequency_principle_mnist1d import LEVEL, MAX_END_HIGH, MIN_START_HIGH, crossings

NAME = "frequency_principle_cifar10"


def cifar10_unavailable(name: str, setting: Setting) -> str | None:
    """Return why `name` cannot run here (no CIFAR-10 under data.root, no GPU, or --quick), else None."""
    root = setting.override("data.root") or os.environ.get("CIFAR10_ROOT") or "data"
    missing = []
    if not (Path(root).expanduser() / "cifar-10-batches-py").is_dir():
        missing.append(f"CIFAR-10 under data.root={root} (no cifar-10-batches-py there)")
    if not torch.cuda.is_available():
        missing.append("a GPU")
    command = f"python scripts/reproduce.py {name} --set data.root=/path/to/cifar --set trainer.accelerator=gpu"
    if missing:
        return f"needs {' and '.join(missing)}; run where both exist: {command}"
    if setting.quick:
        return f"no reduced CIFAR-10 setting is calibrated; run the full one on a GPU: {command}"
    return None


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per seed of experiment=frequency_principle_cifar10."""
    return [RunSpec(f"xu_cnn_s{s}", (f"experiment={NAME}", f"seed={s}")) for s in setting.seeds]


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return: e_high is fitted (sanity), and e_low reaches LEVEL before e_high for every δ in every seed."""
    per_run = [crossings(r) for r in runs.values()]
    rows = [c for rs in per_run for c in rs]
    late = [c[0] for c in rows if c[1] is None or c[2] is None or not c[1] < c[2]]
    starts, ends = [c[3] for c in rows], [c[4] for c in rows]
    return Outcome(
        verdicts=[
            verdict("high_part_is_fitted", bool(rows) and min(starts) > MIN_START_HIGH and max(ends) < MAX_END_HIGH,
                    f"e_high untrained min {min(starts, default=float('nan')):.3g}, at the end max "
                    f"{max(ends, default=float('nan')):.3g}", f"> {MIN_START_HIGH} untrained, < {MAX_END_HIGH} at the end"),
            verdict("e_low_first_for_every_delta", bool(rows) and not late,
                    f"{len(rows) - len(late)}/{len(rows)} (seed, δ) pairs with e_low first"
                    + (f"; not at δ = {late}" if late else ""),
                    "all δ where the high part is present"),
        ],
        table=[(f"δ = {c[0]:g}: step e_low / e_high <= {LEVEL} (first seed)", f"{c[1]} / {c[2]}", "e_low first [Xu et al.]")
               for c in per_run[0]],
    )


CLAIM = Claim(
    name=NAME,
    paper="Xu et al., filtering method on CIFAR-10 (docs/references.md §10)",
    summary="on CIFAR-10, e_low falls to 0.2 before e_high for every δ (Xu et al.'s CNN, 5000 images)",
    runtime_full="GPU: ≈ 200 epochs of 5000 images (not measured here: no GPU)",
    runtime_quick="NOT CHECKED (no reduced setting)",
    runs=runs,
    check=check,
    statements=("high_part_is_fitted", "e_low_first_for_every_delta"),
    unavailable=lambda setting: cifar10_unavailable(NAME, setting),
)
