"""matrix_sensing: a factorization trained by GD from a small init finds the minimum-nuclear-norm solution.

Gunasekar et al. 2017 (docs/references.md §3). experiment=matrix_sensing: a 50×50 rank-2 ground truth W*
seen through m = 1000 < 2500 Gaussian measurements, a depth-2 factorization W = W₂W₁ from init scale α,
full-batch GD (lr 12, 1000 steps). callbacks.EndToEndCallback compares W with the minimum-nuclear-norm
solution X_min of the same measurements (ADMM, ibias/measures/matrix.py) and with W*.
Statistics (last logged values):
- nuclear_gap_shrinks: the gap ‖W‖_*/‖X_min‖_* − 1 falls strictly as α falls (every seed) and is below
  GAP_MAX at the smallest α. Measured (full setting, seeds 0–2): gaps 0.128–0.138, 0.030–0.035,
  0.0082–0.0100 and 0.0026–0.0034 at α = 1e-1 … 1e-4; each decade of α divides the gap by ≈ 3–4 with a
  seed spread of ±15%, so GAP_MAX = 0.01 at α = 1e-4 has a 3x margin.
- recovery_error_falls: ‖W − W*‖_F/‖W*‖_F falls strictly as α falls, by at least a factor DROP_MIN from
  the largest to the smallest α, on every seed (full: 5, set from a 20×20 calibration that fell 15x
  from α = 1e-1 to 1e-4; the full setting then measured 0.083–0.090 down to 0.0035–0.0042, 21–24x).
  With m = 1000 ≫ r(2n − r) = 196 the convex program recovers W* exactly (X_min = W* to 1e-10 in
  tests/test_recovery_measures.py's 20×20 case and our 50×50 calibration), so this is the same statement
  seen from the truth.
- fits_the_measurements: every run's final train/loss < FIT_MAX (targets have variance ≈ 1), so the runs
  are interpolators and the comparison above is between solutions.
Quick: n = 20, m = 200, lr 5, 300 steps, α ∈ {1e-1, 1e-2, 1e-3}, seed 0. Measured on seeds 0–3 (the
quick setting run with --seeds 4): gaps 0.12–0.16, 0.040–0.058, 0.015–0.027, so GAP_MAX = 0.05 has a
2x margin; recovery errors 0.16–0.28 at α = 0.1 and 0.034–0.072 at α = 1e-3 (drops of 3.4–4.6x, hence
DROP_MIN = 2; the errors are above the gaps because 300 steps leave a train loss of up to 6e-5, hence
FIT_MAX = 1e-3 in the quick setting: a residual RMS of 3% of the targets').
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, fmt, verdict
from ..compare import final_value
from ..plotting import save_figure
from ..records import end_to_end_key, stage_key

FULL_ALPHAS = (1e-1, 1e-2, 1e-3, 1e-4)
QUICK_ALPHAS = (1e-1, 1e-2, 1e-3)
QUICK = ("data.size=20", "data.num_measurements=200", "data.num_val=100", "task.optimizer.lr=5.0", "trainer.max_steps=300")
# Thresholds by setting (quick: True, full: False); the module docstring gives the measurements behind them.
GAP_MAX = {True: 0.05, False: 0.01}  # the nuclear-norm gap at the smallest α
DROP_MIN = {True: 2.0, False: 5.0}  # recovery error at the largest α / at the smallest α
FIT_MAX = {True: 1e-3, False: 1e-4}  # final train loss of every run


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per (α, seed), named `a<α>_s<seed>`."""
    alphas = QUICK_ALPHAS if setting.quick else FULL_ALPHAS
    extra = QUICK if setting.quick else ()
    return [RunSpec(f"a{a:g}_s{s}", ("experiment=matrix_sensing", f"model.init_scale={a:g}", f"seed={s}", *extra))
            for s in setting.seeds for a in alphas]


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return the verdicts on the nuclear-norm gap and the recovery error against α, with the figure and table."""
    alphas = QUICK_ALPHAS if setting.quick else FULL_ALPHAS
    value = lambda a, s, key: final_value(runs[f"a{a:g}_s{s}"].record, key)
    gap = {s: [value(a, s, end_to_end_key("nuclear_over_min_nuclear")) - 1 for a in alphas] for s in setting.seeds}
    rec = {s: [value(a, s, end_to_end_key("recovery_error")) for a in alphas] for s in setting.seeds}
    loss = [value(a, s, stage_key("train", "loss")) for s in setting.seeds for a in alphas]
    falls = lambda seq: all(b < a for a, b in zip(seq, seq[1:]))
    curve = lambda per_seed: "; ".join(f"seed {s}: " + ", ".join(fmt(v) for v in vs) for s, vs in per_seed.items())
    q, smallest = setting.quick, f"α = {alphas[-1]:g}"
    verdicts = [
        verdict("nuclear_gap_shrinks", all(falls(g) and g[-1] < GAP_MAX[q] for g in gap.values()), curve(gap),
                f"‖W‖_*/‖X_min‖_* − 1 falling as α = {', '.join(f'{a:g}' for a in alphas)} falls; < {GAP_MAX[q]} at {smallest}"),
        verdict("recovery_error_falls", all(falls(r) and r[0] > DROP_MIN[q] * r[-1] for r in rec.values()), curve(rec),
                f"‖W − W*‖/‖W*‖ falling as α falls, {DROP_MIN[q]:g}x lower at {smallest} than at α = {alphas[0]:g}"),
        verdict("fits_the_measurements", max(loss) < FIT_MAX[q], f"max train loss {fmt(max(loss))}", f"< {FIT_MAX[q]:g}"),
    ]
    mean = lambda per_seed, i: float(np.mean([vs[i] for vs in per_seed.values()]))
    table = [(f"α = {a:g}: gap ‖W‖_*/‖X_min‖_* − 1 / recovery error (mean over seeds)",
              f"{fmt(mean(gap, i))} / {fmt(mean(rec, i))}", "→ 0 as α → 0 (Gunasekar et al., §3)") for i, a in enumerate(alphas)]
    return Outcome(verdicts=verdicts, figures=[_figure(alphas, gap, rec, out / "matrix_sensing_gap.png")], table=table)


def _figure(alphas, gap: dict, rec: dict, path: Path) -> Path:
    """Draw the nuclear-norm gap and the recovery error against α (log-log), one line per seed."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    for ax, per_seed, title in ((axes[0], gap, "‖W‖_*/‖X_min‖_* − 1"), (axes[1], rec, "‖W − W*‖_F/‖W*‖_F")):
        for s, values in per_seed.items():
            ax.plot(alphas, values, marker="o", label=f"seed {s}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("init scale α (smaller to the right)")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7)
    fig.suptitle("matrix sensing, depth-2 factorization trained by GD (Gunasekar et al. 2017)", fontsize=10)
    return save_figure(fig, path)


CLAIM = Claim(
    name="matrix_sensing",
    paper="Gunasekar et al. 2017 (docs/references.md §3)",
    summary="GD on a factorization from init scale α → 0 approaches the minimum-nuclear-norm solution and recovers W*",
    runtime_full="2.7 min (12 runs of 1000 steps)",
    runtime_quick="5 s",
    runs=runs,
    check=check,
    statements=("nuclear_gap_shrinks", "recovery_error_falls", "fits_the_measurements"),
    seeds=3,
)
