"""Rahaman et al. 2019, Fig. 1 (docs/references.md §6): a ReLU MLP fits low frequencies first.

Full: experiment=spectral_bias_1d (6×256 MLP, k = 5…50 on 200 grid points, full-batch Adam 3e-4,
60,000 steps, amplitudes logged every 100) for S seeds (fresh phases and init each) and both amplitude
kinds. The statistic is the step at which |f̂(k)|/A_k first reaches 0.5, per seed and k; the learning
order is the Spearman rank correlation between k and the seed mean of that step (a seed that never
reaches 0.5 counts as the run's length, a lower bound). Per-seed crossings move with last-bit changes
(the README's seed-0 row did; see docs/reproductions.md), so the order rests on the seed mean.
Quick: one seed, 3000 steps, equal amplitudes: the amplitude at the end falls with k.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, fmt, verdict
from ..compare import heatmap_data
from ..convergence import crossing_steps
from ..plotting import save_heatmap
from ..records import STEP_AXIS, read_records

LEVEL = 0.5  # the crossing level for |f̂(k)|/A_k
PAPER_LEVEL = 0.9  # the level at which docs/references.md §6 reads the paper's Fig. 1
KINDS = ("equal", "rising")
QUICK_STEPS = 3000
DEFAULT_RUN_STEPS = 15000  # the default experiment (configs/train.yaml) is the equal-amplitude run stopped here

# Thresholds (full). Spearman of the seed-mean crossing step against k: the issue asks >= 0.9 for equal
# amplitudes. Measured (5 seeds, 60k steps, this code): see docs/reproductions.md §spectral_bias_1d.
MIN_MEAN_SPEARMAN = {"equal": 0.9, "rising": 0.9}
# Quick (3000 steps, seed 0). The paper's Fig. 1 has k = 5 at ≈0.9 before 1k steps and k >= 35 below 0.85
# even at 60k. Measured over seeds 0-4 at 3000 steps (docs/reproductions.md): amp(k=5) 1.00-1.06,
# max amp(k=45, 50) 0.10-0.24, Spearman(k, amp) -0.95 to -0.99.
QUICK_MIN_LOW = 0.9  # amp(k = 5) at step 3000
QUICK_MAX_HIGH = 0.5  # max amp(k = 45, 50) at step 3000
QUICK_MAX_SPEARMAN = -0.8  # Spearman(k, amp) at step 3000
# Published [fig], the step at which the amplitude reaches ≈0.9 with equal amplitudes (docs/references.md §6).
PAPER_STEP_09 = {5: "< 1k", 10: "≈ 8k", 15: "≈ 15k", 20: "≈ 25-30k", 25: "≈ 25-30k", 30: "≈ 35-40k",
                 35: "not by 60k (≈0.7-0.85)", 40: "not by 60k", 45: "not by 60k", 50: "not by 60k"}


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per seed (quick: one 3000-step equal-amplitude run; full: both amplitude kinds)."""
    if setting.quick:
        return [RunSpec(f"equal_s{s}", ("experiment=spectral_bias_1d", f"trainer.max_steps={QUICK_STEPS}",
                                        "callbacks.weight_norms=null", "trainer.enable_checkpointing=false", f"seed={s}"))
                for s in setting.seeds]
    return [RunSpec(f"{kind}_s{s}", ("experiment=spectral_bias_1d", f"data.amplitudes={kind}", f"seed={s}"))
            for kind in KINDS for s in setting.seeds]


def spearman(x, y) -> float:
    """Return Spearman's rank correlation of x and y (ties get average ranks); NaN if either is constant."""
    return float(spearmanr(x, y).statistic)


def crossings(run: ClaimRun, level: float = LEVEL) -> tuple[list[float], np.ndarray, np.ndarray, int]:
    """Return (frequencies, first step at |f̂(k)|/A_k >= level with NaN for never, final amplitudes, last step)."""
    freqs, firsts, lasts = crossing_steps(run.record, "grid", "amp", level)
    last_step = int(run.record.config["trainer"]["max_steps"])
    return freqs, np.array([np.nan if s is None else s for s in firsts], float), np.array(lasts), last_step


def amplitude_curves(run: ClaimRun) -> list[list[float]]:
    """Return |f̂(k)|/A_k per frequency (K lists, one value per logged step)."""
    return [list(row) for row in heatmap_data(run.record, read_records(run.record.config)["grid"], STEP_AXIS)[0]]


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return the verdicts: quick, amplitude falls with k at 3000 steps; full, the seed-mean order per kind."""
    return check_quick(runs, out) if setting.quick else check_full(setting, runs, out)


def check_quick(runs: dict[str, ClaimRun], out: Path) -> Outcome:
    (run,) = runs.values()
    freqs, _, amps, last = crossings(run)
    k = np.array(freqs)
    low, high = float(amps[k == k.min()][0]), float(amps[k >= 45].max())
    rho = spearman(k, amps)
    record = read_records(run.record.config)["grid"]
    values, labels, steps = heatmap_data(run.record, record, STEP_AXIS)
    figure = save_heatmap(out / "spectral_bias_1d_quick.png", values, labels, steps,
                          title=f"|f̂(k)|/A_k, seed {run.spec.name}, {last} steps", value_label="|f̂(k)| / A_k",
                          value_range=(0.0, 1.0))
    return Outcome(
        verdicts=[
            verdict("lowest_k_fitted", low > QUICK_MIN_LOW, f"amp(k=5) = {fmt(low)} at step {last}", f"> {QUICK_MIN_LOW}"),
            verdict("highest_k_not_fitted", high < QUICK_MAX_HIGH, f"max amp(k=45, 50) = {fmt(high)}", f"< {QUICK_MAX_HIGH}"),
            verdict("amplitude_falls_with_k", rho <= QUICK_MAX_SPEARMAN, f"Spearman(k, amp) = {fmt(rho)}",
                    f"<= {QUICK_MAX_SPEARMAN}"),
        ],
        figures=[figure],
        table=[(f"amp(k={int(f)}) at step {last}", fmt(a), "k = 5 ≈ 0.9 before 1k; k >= 35 < 0.85 at 60k [fig]")
               for f, a in zip(freqs, amps)],
    )


def check_full(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    verdicts, figures, table, notes = [], [], [], []
    for kind in KINDS:
        chosen = [runs[f"{kind}_s{s}"] for s in setting.seeds]
        data = [crossings(r) for r in chosen]
        freqs, last = data[0][0], data[0][3]
        steps = np.array([d[1] for d in data])  # (S, K), NaN = never reached LEVEL
        censored = np.where(np.isnan(steps), last, steps)  # never -> the run's length, a lower bound
        mean, std = censored.mean(0), censored.std(0)
        rho = spearman(freqs, mean)
        per_seed = [spearman(freqs, row) for row in censored]
        monotone = [bool(np.all(np.diff(row) >= 0)) for row in censored]
        firsts = [int(np.argmin(row)) == 0 and np.sum(row == row.min()) == 1 for row in censored]
        verdicts.append(verdict(
            f"mean_order_{kind}", rho >= MIN_MEAN_SPEARMAN[kind],
            f"Spearman(k, seed-mean step to {LEVEL}) = {fmt(rho)} over {len(chosen)} seeds; per seed "
            f"{', '.join(fmt(r, 2) for r in per_seed)}; strictly ordered seeds {sum(monotone)}/{len(monotone)}",
            f">= {MIN_MEAN_SPEARMAN[kind]}"))
        verdicts.append(verdict(
            f"lowest_k_first_in_every_seed_{kind}", all(firsts),
            f"k={int(freqs[0])} reaches {LEVEL} strictly first in {sum(firsts)}/{len(firsts)} seeds", "every seed"))
        never = np.isnan(steps).sum(0)
        to_09 = np.array([crossings(r, PAPER_LEVEL)[1] for r in chosen])  # (S, K), the level of the paper's [fig] reading
        for f, m, s, n, high in zip(freqs, mean, std, never, to_09.T):
            ours = f"{m:.0f} ± {s:.0f}" + (f" (≥; {n} seed(s) never)" if n else "")
            ours += "; to 0.9: " + (f"{np.nanmean(high):.0f}" if np.isfinite(high).any() else "never") + (
                f" ({int(np.isnan(high).sum())} never)" if np.isnan(high).any() and np.isfinite(high).any() else "")
            table.append((f"{kind}: step to {LEVEL} (mean ± sd) and to {PAPER_LEVEL} (mean), k={int(f)}", ours,
                          f"to ≈0.9: {PAPER_STEP_09[int(f)]}" if kind == "equal" else "low k first [fig]"))
        mean_map = np.nanmean([heatmap_data(r.record, read_records(r.record.config)["grid"], STEP_AXIS)[0]
                               for r in chosen], axis=0)
        _, labels, map_steps = heatmap_data(chosen[0].record, read_records(chosen[0].record.config)["grid"],
                                            STEP_AXIS)
        figures.append(save_heatmap(out / f"spectral_bias_1d_{kind}_mean.png", mean_map, labels, map_steps,
                                    title=f"{kind} amplitudes: |f̂(k)|/A_k, mean of {len(chosen)} seeds",
                                    value_label="|f̂(k)| / A_k", value_range=(0.0, 1.0)))
        if kind == "equal":  # the default run: the same data, net and optimizer, stopped at 15,000 steps
            at = np.array([[values[map_steps.index(DEFAULT_RUN_STEPS)] for values in amplitude_curves(r)] for r in chosen])
            table += [(f"|f̂(k)|/A_k at step {DEFAULT_RUN_STEPS} (the default run), k={int(f)}: seed {setting.seeds[0]}; "
                       "seed mean", f"{col[0]:.2f}; {col.mean():.2f}", "") for f, col in zip(freqs, at.T)]
        rows = "; ".join(f"seed {s}: " + ", ".join("never" if np.isnan(v) else f"{v:.0f}" for v in row)
                         for s, row in zip(setting.seeds, steps))
        notes.append(f"{kind}, steps to {LEVEL} for k = {', '.join(str(int(f)) for f in freqs)}: {rows}.")
    return Outcome(verdicts=verdicts, figures=figures, table=table, notes="\n\n".join(notes))


CLAIM = Claim(
    name="spectral_bias_1d",
    paper="Rahaman et al. 2019, Fig. 1 (docs/references.md §6)",
    summary="a ReLU MLP reaches |f̂(k)|/A_k = 0.5 later for higher k (seed mean), with equal and rising amplitudes",
    runtime_full="2.2 h (10 runs of 60,000 steps, ≈ 13 min each)",
    runtime_quick="37 s",
    runs=runs,
    check=check,
    statements=("lowest_k_fitted", "highest_k_not_fitted", "amplitude_falls_with_k", "mean_order_equal",
                "lowest_k_first_in_every_seed_equal", "mean_order_rising", "lowest_k_first_in_every_seed_rising"),
    seeds=5,
)
