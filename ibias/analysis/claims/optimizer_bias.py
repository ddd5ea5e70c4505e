"""optimizer_bias: GD, SGD with momentum and Adam, from the same init on the same problem, find different interpolators.

docs/references.md §1. experiment=optimizer_linear: n = 50, d = 200, noiseless targets, zero init, float64,
lr 0.01, 5000 full-batch steps; three runs per seed on the same data: GD (sgd, momentum 0), heavy-ball
momentum 0.9, and Adam (cosine-decayed lr). callbacks.EndToEndCallback logs the distance to X⁺y and ‖w‖/‖X⁺y‖.
Statistics (last logged values):
- gd_finds_min_norm, momentum_finds_min_norm: ‖w − X⁺y‖/‖X⁺y‖ < 1e-3 on every seed. Both only ever add
  combinations of the rows of X to w, so the limit is X⁺y. GD's distance shrinks at least as fast as
  (1 − 2·lr·λ_min)^t, λ_min ≈ (√(d/n) − 1)² ≈ 1 the smallest non-zero eigenvalue of XXᵀ/n: 0.96^300 ≈ 5e-6
  in the quick setting (300 steps at lr 0.02; measured 5.9e-8 for GD, 1.1e-7 with momentum, seed 0), far
  below 1e-3; the full setting (5000 steps at lr 0.01) ends at float64 precision.
- adam_finds_another_interpolator: Adam fits the data (train loss L < 1e-6 on every seed) yet ends > 0.1
  away from X⁺y, with a larger norm (‖w‖/‖X⁺y‖ > 1). A train loss L puts w within
  ‖X⁺(Xw − y)‖ <= √(nL)/σ_min(X) ≈ √(nL)/(√d − √n) = 0.001 (for L = 1e-6) of an interpolator, 0.2% of
  ‖X⁺y‖ ≈ √(n/d) = 0.5, so the distance to X⁺y is the distance between two interpolators.
  Adam runs with a cosine-decayed lr (task.scheduler=cosine): at a constant lr it reaches a loss of 1e-31
  within 900 steps and then does not settle (measured, full setting, seeds 0–2: between 2e-8 and 8e-4 over
  the second half of training, 3.7e-5 at the last step of seed 0), so its last iterate would be a snapshot
  of that oscillation rather than its limit; the decay to lr 0 makes it settle.
The excess risks (test/loss, noiseless targets) are reported, not checked: Adam's is not always larger.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, fmt, verdict
from ..compare import final_value, numeric_series
from ..plotting import save_figure
from ..records import STEP_AXIS, end_to_end_key, stage_key

OPTIMIZERS = {
    "gd": ("task.optimizer.name=sgd", "task.optimizer.momentum=0.0"),
    "momentum": ("task.optimizer.name=sgd", "task.optimizer.momentum=0.9"),
    "adam": ("task.optimizer.name=adam", "task.scheduler=cosine"),  # see adam_finds_another_interpolator above
}
LABELS = {"gd": "GD", "momentum": "SGD + momentum 0.9", "adam": "Adam"}
QUICK = ("task.optimizer.lr=0.02", "trainer.max_steps=300")
AT_PINV = 1e-3  # relative distance to X⁺y below which a run found it
ELSEWHERE = 0.1  # relative distance above which a run found another interpolator
FIT_MAX = 1e-6  # train loss below which Adam's end point is within 0.2% of an interpolator (see the docstring)


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per (optimizer, seed), named `<optimizer>_s<seed>`, all from zero init on the seed's data."""
    extra = QUICK if setting.quick else ()
    return [RunSpec(f"{name}_s{s}", ("experiment=optimizer_linear", f"seed={s}", *opts, *extra))
            for s in setting.seeds for name, opts in OPTIMIZERS.items()]


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return the verdicts on which interpolator each optimizer finds, with the figure and table."""
    seeds = setting.seeds
    get = lambda name, key: [final_value(runs[f"{name}_s{s}"].record, key) for s in seeds]
    dist = {name: get(name, end_to_end_key("min_norm_error")) for name in OPTIMIZERS}
    ratio = {name: get(name, end_to_end_key("fro_over_min_norm")) for name in OPTIMIZERS}
    loss = {name: get(name, stage_key("train", "loss")) for name in OPTIMIZERS}
    risk = {name: get(name, stage_key("test", "loss")) for name in OPTIMIZERS}
    show = lambda values: ", ".join(fmt(v) for v in values)
    verdicts = [
        verdict("gd_finds_min_norm", max(dist["gd"]) < AT_PINV, show(dist["gd"]), f"‖w − X⁺y‖/‖X⁺y‖ < {AT_PINV:g} (each seed)"),
        verdict("momentum_finds_min_norm", max(dist["momentum"]) < AT_PINV, show(dist["momentum"]),
                f"‖w − X⁺y‖/‖X⁺y‖ < {AT_PINV:g} (each seed)"),
        verdict("adam_finds_another_interpolator",
                max(loss["adam"]) < FIT_MAX and min(dist["adam"]) > ELSEWHERE and min(ratio["adam"]) > 1,
                f"train loss {show(loss['adam'])}; ‖w − X⁺y‖/‖X⁺y‖ {show(dist['adam'])}; ‖w‖/‖X⁺y‖ {show(ratio['adam'])}",
                f"train loss < {FIT_MAX:g}, distance > {ELSEWHERE}, norm ratio > 1"),
    ]
    table = [row for name in OPTIMIZERS for row in (
        (f"{LABELS[name]}: ‖w − X⁺y‖/‖X⁺y‖", show(dist[name]), "0 (§1)" if name != "adam" else "> 0 (§1)"),
        (f"{LABELS[name]}: ‖w‖/‖X⁺y‖", show(ratio[name]), "1" if name != "adam" else "> 1"),
        (f"{LABELS[name]}: train loss / excess risk ‖w − β‖²", f"{show(loss[name])} / {show(risk[name])}", "—"),
    )]
    return Outcome(verdicts=verdicts, figures=[_figure(runs, seeds[0], out / "optimizer_bias_distance.png")], table=table)


def _figure(runs: dict[str, ClaimRun], seed: int, path: Path) -> Path:
    """Draw each optimizer's distance to X⁺y and its norm ratio against the step."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for name in OPTIMIZERS:
        record = runs[f"{name}_s{seed}"].record
        xs, ys = numeric_series(record, end_to_end_key("min_norm_error"), STEP_AXIS)
        axes[0].plot(xs, [max(y, 1e-17) for y in ys], label=LABELS[name])
        xs, ys = numeric_series(record, end_to_end_key("fro_over_min_norm"), STEP_AXIS)
        axes[1].plot(xs, ys, label=LABELS[name])
    axes[0].set_yscale("log")
    axes[0].set_title("‖w − X⁺y‖/‖X⁺y‖", fontsize=10)
    axes[1].axhline(1, color="grey", ls=":", lw=1)
    axes[1].set_title("‖w‖/‖X⁺y‖", fontsize=10)
    for ax in axes:
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    fig.suptitle(f"which interpolator each optimizer finds (n = 50, d = 200, zero init, seed {seed})", fontsize=10)
    return save_figure(fig, path)


CLAIM = Claim(
    name="optimizer_bias",
    paper="Minimum-norm interpolation by GD, and Adam (docs/references.md §1)",
    summary="from the same init, GD and SGD with momentum find X⁺y while Adam finds another interpolator of larger norm",
    runtime_full="1.7 min (9 runs of 5000 steps)",
    runtime_quick="4 s",
    runs=runs,
    check=check,
    statements=("gd_finds_min_norm", "momentum_finds_min_norm", "adam_finds_another_interpolator"),
    seeds=3,
)
