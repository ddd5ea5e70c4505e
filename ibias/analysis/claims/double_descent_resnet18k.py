"""double_descent_resnet18k: CIFAR-10 test error against ResNet18 width k peaks near k = 12 at 20% label noise.

Nakkiran et al. 2019 (docs/references.md §16). experiment=double_descent_resnet18k: 20% of the training
labels moved to a random wrong class, pre-activation ResNet18 of width k, Adam lr 1e-4, batch 128, crop +
flip, 4000 epochs. Published test error at epoch 3999: k = 3 24.61%, k = 12 34.59% (the peak), k = 64 19.63%.
It needs the CIFAR-10 pickles under data.root and a GPU (one k = 64 epoch is ≈ 26 min on a 2-core CPU):
without both, every statement is NOT CHECKED with the command to run it. No reduced setting shows the
peak in minutes (the model-wise peak is a property of training to interpolation, thousands of epochs),
so the quick setting is always NOT CHECKED.
Statistics (test/error after the last epoch, mean over seeds):
- peak_near_k12: the largest error over the widths is at 8 <= k <= 16 (the published peak is k = 12 on a
  grid of 1…64; our grid is coarser, so a one-step tolerance each side).
- falls_beyond_peak: the error at k = 64 is at least 5 points below the peak (published: 15 points).
- rises_to_peak: the error at k = 3 is below the peak (published: 10 points below).
These thresholds come from the published curve only: no run of ours has measured a seed spread.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, fmt, verdict
from ..compare import final_value
from ..plotting import save_figure
from ..records import stage_key

WIDTHS = (3, 6, 8, 10, 12, 16, 24, 32, 64)
PUBLISHED = {3: 24.61, 12: 34.59, 64: 19.63}  # test error %, epoch 3999, 20% noise (Nakkiran et al., §16)
PEAK_RANGE = (8, 16)
DROP_MIN = 0.05  # error at k = 64 below the peak, as a fraction
COMMAND = ("python scripts/reproduce.py double_descent_resnet18k --set data.root=/path/to/cifar "
           "--set trainer.accelerator=gpu  (one run alone: python scripts/train.py experiment=double_descent_resnet18k "
           "model.k=12 data.root=/path/to/cifar)")


def unavailable(setting: Setting) -> str | None:
    """Return why the claim cannot run here (quick setting, no GPU, no CIFAR-10 under data.root), or None."""
    if setting.quick:
        return f"no quick setting: the peak needs thousands of epochs of ResNet18s on a GPU; run the full claim: {COMMAND}"
    import torch

    root = setting.override("data.root") or os.environ.get("CIFAR10_ROOT") or "data"
    missing = []
    if not (Path(root) / "cifar-10-batches-py").is_dir():
        missing.append(f"CIFAR-10 under data.root (no {Path(root) / 'cifar-10-batches-py'})")
    if not torch.cuda.is_available():
        missing.append("a GPU")
    return f"needs {' and '.join(missing)}; run: {COMMAND}" if missing else None


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per (width k, seed), named `k<k>_s<seed>`."""
    return [RunSpec(f"k{k}_s{s}", ("experiment=double_descent_resnet18k", f"model.k={k}", f"seed={s}"))
            for s in setting.seeds for k in WIDTHS]


def errors_by_width(runs: dict[str, ClaimRun], seeds) -> dict[int, float]:
    """Return {k: mean final test/error over seeds} (a fraction)."""
    return {k: float(np.mean([final_value(runs[f"k{k}_s{s}"].record, stage_key("test", "error")) for s in seeds]))
            for k in WIDTHS}


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return the verdicts on the location of the peak and the fall beyond it, with the figure and table."""
    err = errors_by_width(runs, setting.seeds)
    peak = max(WIDTHS, key=lambda k: err[k])
    curve = ", ".join(f"k={k}: {fmt(100 * e)}%" for k, e in err.items())
    verdicts = [
        verdict("peak_near_k12", PEAK_RANGE[0] <= peak <= PEAK_RANGE[1], f"peak at k = {peak} ({curve})",
                f"{PEAK_RANGE[0]} <= k <= {PEAK_RANGE[1]} (published k = 12)"),
        verdict("falls_beyond_peak", err[64] <= err[peak] - DROP_MIN,
                f"k = 64: {fmt(100 * err[64])}%, peak {fmt(100 * err[peak])}%",
                f"at least {100 * DROP_MIN:g} points below the peak (published 15)"),
        verdict("rises_to_peak", err[3] < err[peak], f"k = 3: {fmt(100 * err[3])}%, peak {fmt(100 * err[peak])}%",
                "below the peak (published 10 points below)"),
    ]
    table = [(f"k = {k}: test error", f"{fmt(100 * err[k])}%", f"{PUBLISHED[k]}%" if k in PUBLISHED else "—") for k in WIDTHS]
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot(list(err), [100 * e for e in err.values()], marker="o", label="ours")
    ax.plot(list(PUBLISHED), list(PUBLISHED.values()), "k*", ms=10, label="Nakkiran et al. 2019")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("ResNet18 width k")
    ax.set_ylabel("test error (%)")
    ax.set_title("CIFAR-10, 20% label noise, 4000 epochs", fontsize=10)
    ax.legend(fontsize=8)
    path = out / "double_descent_resnet18k_width.png"
    save_figure(fig, path)
    return Outcome(verdicts=verdicts, figures=[path], table=table)


CLAIM = Claim(
    name="double_descent_resnet18k",
    paper="Nakkiran et al. 2019 (docs/references.md §16)",
    summary="CIFAR-10 test error against ResNet18 width k rises to a peak near k = 12 and falls beyond it (20% label noise)",
    runtime_full="GPU: 9 widths × 4000 epochs (days on one GPU)",
    runtime_quick="0 s (NOT CHECKED)",
    runs=runs,
    check=check,
    statements=("peak_near_k12", "falls_beyond_peak", "rises_to_peak"),
    unavailable=unavailable,
)
