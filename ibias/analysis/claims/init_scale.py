"""Lazy against rich training (docs/references.md §24): the larger the initialization, the less the weights move.

Runs experiment=init_scale_1d (Rahaman's 1-D target and 6×256 MLP, PyTorch's default init times
model.init_scale, full-batch Adam 3e-4) at init scales spanning two orders of magnitude. Measured per scale:
the relative distance from the initialization at the end, ‖W_T − W_0‖_F / ‖W_0‖_F over the weight matrices
(WeightNormCallback's model measures dist_init_sq and sum_fro_sq), and the learning order — the step at which
the coefficient error |f̂(k) − ŷ(k)|/|ŷ(k)| first falls to 0.5 per k (GridProbe's relerr: the amplitude
|f̂(k)|/A_k is no measure of fit when the initial function is large at every k), with its Spearman
correlation against k. Checked: the direction Chizat, Oyallon & Bach state — scaling the initialization up
drives training into the lazy regime, where the parameters hardly move relative to their size. With Adam
the steps do not grow with the weights, which pushes the same way; the learning order is reported, not
checked (no source we could verify states its direction). Full: scales 0.1, 0.3, 1, 3, 10, 5000 steps.
Quick: scales 0.1, 1, 10, 300 steps, one seed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, fmt, verdict
from ..convergence import crossing_steps
from ..plotting import save_figure
from ..records import STEP_AXIS, norm_key, stage_key
from .spectral_bias_1d import spearman

FULL_SCALES = (0.1, 0.3, 1.0, 3.0, 10.0)
QUICK_SCALES = (0.1, 1.0, 10.0)
QUICK = ("trainer.max_steps=300", "callbacks.weight_norms.every_n_steps=100")
FULL = ("trainer.max_steps=5000",)  # a quarter of experiment=init_scale_1d's 20,000: 5 scales in ≈ 40 min on the busy 2 cores
LEVEL = 0.5  # relerr at which a frequency counts as fitted


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per (scale, seed)."""
    scales, extra = (QUICK_SCALES, QUICK) if setting.quick else (FULL_SCALES, FULL)
    return [RunSpec(f"x{c:g}_s{s}", ("experiment=init_scale_1d", f"model.init_scale={c}", f"seed={s}",
                                     "trainer.enable_checkpointing=false", *extra))
            for c in scales for s in setting.seeds]


def relative_distance(run: ClaimRun) -> float:
    """Return ‖W_T − W_0‖_F / ‖W_0‖_F over the weight matrices, from the first and last logged norms."""
    _, dist_sq = run.record.series(norm_key("model", "dist_init_sq"), x=STEP_AXIS)
    _, fro_sq = run.record.series(norm_key("model", "sum_fro_sq"), x=STEP_AXIS)
    return float(np.sqrt(dist_sq[-1] / fro_sq[0]))


def order(run: ClaimRun) -> tuple[list[float], np.ndarray, float]:
    """Return (frequencies, first step relerr <= LEVEL with NaN for never, Spearman of the censored steps against k)."""
    freqs, firsts, _ = crossing_steps(run.record, "grid", "relerr", LEVEL, above=False)
    steps = np.array([np.nan if s is None else s for s in firsts], float)
    horizon = float(run.record.config["trainer"]["max_steps"])
    return freqs, steps, spearman(freqs, np.where(np.isnan(steps), horizon, steps))


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return the verdict on the lazy direction; the learning order per scale goes into the table."""
    scales = QUICK_SCALES if setting.quick else FULL_SCALES
    dist = {c: [relative_distance(runs[f"x{c:g}_s{s}"]) for s in setting.seeds] for c in scales}
    means = [float(np.mean(dist[c])) for c in scales]
    per_seed_ok = all(all(a > b for a, b in zip(col, col[1:])) for col in zip(*[dist[c] for c in scales]))
    verdicts = [verdict(
        "weights_move_less_at_larger_init", per_seed_ok,
        "‖W_T − W_0‖/‖W_0‖: " + ", ".join(f"×{c:g}: {fmt(m)}" for c, m in zip(scales, means)) + " (seed mean)",
        "strictly falling with the init scale in every seed (lazy at large scale)")]
    table = []
    for c in scales:
        chosen = [runs[f"x{c:g}_s{s}"] for s in setting.seeds]
        orders = [order(r) for r in chosen]
        freqs = orders[0][0]
        found = np.array([o[1] for o in orders])  # (S, K), NaN = never
        counts = np.isfinite(found).sum(0)
        steps = np.where(counts > 0, np.nansum(found, 0) / np.maximum(counts, 1), np.nan)  # mean over the seeds that got there
        _, loss = chosen[0].record.series(stage_key("train", "loss"), x=STEP_AXIS)
        _, val = chosen[0].record.series(stage_key("val", "loss"), x=STEP_AXIS)
        table.append((f"×{c:g}: relative distance from init", fmt(float(np.mean(dist[c]))), "falls with scale (lazy)"))
        table.append((f"×{c:g}: step relerr <= {LEVEL} for k = " + ", ".join(str(int(f)) for f in freqs),
                      ", ".join("never" if np.isnan(v) else f"{v:.0f}" for v in steps)
                      + f"; Spearman {', '.join(fmt(o[2], 2) for o in orders)}", "reported, not checked"))
        table.append((f"×{c:g}: final train/loss, val/loss (seed {setting.seeds[0]})",
                      f"{fmt(loss[-1]) if loss else 'nan'}, {fmt(val[-1]) if val else 'nan'}",
                      "small init generalizes better (Xu 2018) [not checked]"))
    return Outcome(verdicts=verdicts, table=table, figures=[plot(scales, dist, out / "init_scale_distance.png")])


def plot(scales, dist: dict[float, list[float]], path: Path) -> Path:
    """Save the relative distance from the initialization against the init scale (log-log, one dot per seed)."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for c in scales:
        ax.plot([c] * len(dist[c]), dist[c], "o", color="C0")
    ax.plot(scales, [np.mean(dist[c]) for c in scales], "-", color="C0", alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("init scale (× PyTorch's default init)")
    ax.set_ylabel("‖W_T − W_0‖_F / ‖W_0‖_F at the end")
    fig.tight_layout()
    return save_figure(fig, path)


CLAIM = Claim(
    name="init_scale",
    paper="Chizat, Oyallon & Bach 2019, lazy training (docs/references.md §24)",
    summary="the larger the initialization, the less the weights move relative to it (lazy regime); learning order reported",
    runtime_full="6.3 min per seed (5 scales, 5000 steps each)",
    runtime_quick="16 s",
    runs=runs,
    check=check,
    statements=("weights_move_less_at_larger_init",),
    seeds=1,
)
