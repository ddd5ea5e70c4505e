"""The empirical NTK at init predicts what gradient descent learns first (docs/references.md §22; setups §6 and §12).

Two setups, each read back from its runs' NTKProbe (callbacks/probes/ntk.py) and training curves:
- 1-D spectral bias (experiment=ntk_spectral_bias_1d: Rahaman et al.'s 6×256 MLP, k = 5…50, Adam): the kernel's rate
  at each target frequency at init, λ(k) (kpow_k<k>: Rayleigh quotient of Θ/n on the Fourier modes at k), predicts
  the order; measured is the order in which GridProbe's |f̂(k)|/A_k first reaches 0.5, the frequencies that never
  do coming after, by their final amplitude (highest first: nearest to being learned). order_1d: Spearman ρ between
  λ(k) and that order, per seed.
- Basri's circle (experiment=ntk_circle: sin(kθ) on 1001 points of S¹, a 2→1000→1 ReLU MLP, GD with η = 0.008, one
  run per k): measured are the iterations until Basri's criterion mean((f − y)²) < 0.05 (10% of ‖y‖²; the train loss,
  logged every 10 steps, crossing interpolated log-linearly); the kernel's prediction, if the network stayed at its
  linearization, is ln(10)/(−2 ln(1 − 2ηλ_k)) ∝ 1/λ_k. iterations_scale_as_inverse_eigenvalue: the log-log slope of
  iterations against 1/λ_k over the k whose kernel moved by at most LAZY = 5% (‖Θ − Θ₀‖_F/‖Θ₀‖_F at the last NTK
  measurement, ≤ 50 steps before the end) lies in [0.8, 1.2]; departure_shows_in_kernel: for every k whose kernel moved
  more, the network converged faster than its initial kernel predicts and λ_k grew during training.
Thresholds, defended: the slope is exactly 1 for a linearized network; our plain-loop calibration (seed 0, width 1000,
2026-11-28) gave 1.06 over k = 2, 3, 4 (kernel change ≤ 0.02) and 0.87 over k = 2…10 once k ≥ 5 moved the kernel by
4–32%, so ±0.2 separates lazy from not. For ρ: with equal amplitudes Rahaman et al. find a monotone order [fig], and
the seed spread of the claim's runs is in docs/reproductions.md; ρ ≥ 0.8 per seed (and ≥ 0.9 for the seed mean)
still fails if two of ten frequencies swap far (e.g. k = 5 learned after k = 40 gives ρ ≈ 0.75).
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from scipy.stats import spearmanr

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, fmt, not_checked, verdict
from ..convergence import first_step_reaching, interpolated_crossing, loglog_slope
from ..plotting import save_figure
from ..records import STEP_AXIS, read_records, spectrum_key, stage_key

SB_QUICK = ("model.width=128", "model.depth=4", "data.freqs=[2,4,6,8,10,12]", "task.optimizer.lr=0.001",
            "trainer.max_steps=600", "callbacks.spectrum.every_n_steps=50", "callbacks.ntk.every_n_steps=300")
KS_FULL, KS_QUICK = (2, 3, 4, 5, 6, 8), (2, 3, 4)
CIRCLE_QUICK = ("data.num_points=251",)
LAZY = 0.05  # relative kernel change up to which a run counts as lazy (the linearization holds)
LOSS_LEVEL, TARGET_POWER = 0.05, 0.5  # Basri's criterion: mean((f − y)²) below 10% of mean(y²) = 1/2 (amplitude 1)
SLOPE, RHO_SEED, RHO_MEAN = (0.8, 1.2), 0.8, 0.9


def runs(setting: Setting) -> list[RunSpec]:
    """Return the 1-D spectral-bias runs and one circle run per k, per seed."""
    specs = [RunSpec(f"sb_s{s}", ("experiment=ntk_spectral_bias_1d", f"seed={s}", *(SB_QUICK if setting.quick else ())))
             for s in setting.seeds]
    ks = KS_QUICK if setting.quick else KS_FULL
    specs += [RunSpec(f"circle_k{k}_s{s}", ("experiment=ntk_circle", f"data.k={k}", f"seed={s}",
                                            *(CIRCLE_QUICK if setting.quick else ())))
              for s in setting.seeds for k in ks]
    return specs


def numbers(run: ClaimRun, key: str) -> tuple[list[float], list[float]]:
    """Return (steps, values) of a logged key, numbers only."""
    steps, values = run.record.series(key, x=STEP_AXIS)
    pairs = [(float(s), float(v)) for s, v in zip(steps, values) if isinstance(v, (int, float))]
    return [s for s, _ in pairs], [v for _, v in pairs]


def kernel_rates(run: ClaimRun) -> dict[float, tuple[list[float], list[float]]]:
    """Return {k: (steps, λ(k) over training)} from the run's NTKProbe."""
    series = read_records(run.record.config)["ntk"].series_named("kpow")
    return {k: numbers(run, spectrum_key("ntk", key)) for k, key in zip(series.coords, series.keys())}


def learning_order(run: ClaimRun) -> dict:
    """Return a 1-D run's λ(k) at init, the step each k reaches half amplitude (inf: never), its final amplitude,
    ρ between λ(k) and the measured order, and the kernel change."""
    rates = {k: values[0] for k, (_, values) in kernel_rates(run).items()}
    amp = read_records(run.record.config)["grid"].series_named("amp")
    steps, final = {}, {}
    for k, key in zip(amp.coords, amp.keys()):
        logged_steps, values = numbers(run, spectrum_key("grid", key))
        found = first_step_reaching(logged_steps, values, 0.5)
        steps[k], final[k] = (math.inf if found is None else float(found)), values[-1]
    ks = sorted(steps)
    learned = sorted(ks, key=lambda k: (steps[k], -final[k]))  # never-reached k last, nearest to 0.5 first
    rho = float(spearmanr([rates[k] for k in ks], [-learned.index(k) for k in ks]).statistic)
    change_steps, change = numbers(run, spectrum_key("ntk", "kernel_change"))
    return {"ks": ks, "rates": rates, "steps": steps, "final": final, "rho": rho, "change": change[-1],
            "change_step": change_steps[-1]}


def convergence(run: ClaimRun) -> dict:
    """Return a circle run's k, λ_k at init and at the last NTK call, measured and kernel-predicted iterations."""
    (k, (rate_steps, rate)), = kernel_rates(run).items()
    eta = float(run.record.config["task"]["optimizer"]["lr"])
    iterations = interpolated_crossing(*numbers(run, stage_key("train", "loss")), LOSS_LEVEL)
    predicted = math.log(TARGET_POWER / LOSS_LEVEL) / (-2 * math.log1p(-2 * eta * rate[0]))
    _, change = numbers(run, spectrum_key("ntk", "kernel_change"))
    return {"k": k, "rate": rate[0], "rate_end": rate[-1], "iterations": iterations, "predicted": predicted,
            "change": change[-1], "seed": int(run.record.config["seed"])}


def check(setting: Setting, claim_runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return the verdicts on the 1-D order and the circle's iterations, the figure and the table."""
    orders = [learning_order(r) for name, r in claim_runs.items() if name.startswith("sb_")]
    circles = [convergence(r) for name, r in claim_runs.items() if name.startswith("circle_")]
    verdicts, table = [], []
    rhos = [o["rho"] for o in orders]
    verdicts.append(verdict("order_1d", all(r >= RHO_SEED for r in rhos) and statistics.mean(rhos) >= RHO_MEAN,
                            f"ρ(λ(k) at init, order of reaching 0.5) per seed {', '.join(fmt(r) for r in rhos)}; "
                            f"mean {fmt(statistics.mean(rhos))}",
                            f"every seed ≥ {RHO_SEED}, mean ≥ {RHO_MEAN}"))
    for o in orders:
        table.append((f"1-D: step to |f̂(k)|/A_k ≥ 0.5 for k = {', '.join(f'{k:g}' for k in o['ks'])} (never: final value)",
                      ", ".join(f"never ({o['final'][k]:.2f})" if math.isinf(o["steps"][k]) else f"{o['steps'][k]:.0f}"
                                for k in o["ks"]),
                      "rising with k (Rahaman et al. Fig. 1) [fig]"))
        table.append(("1-D: λ(k) at init (×1e-6)", ", ".join(f"{o['rates'][k] * 1e6:.3g}" for k in o["ks"]), "falling with k"))
        table.append((f"1-D: kernel change ‖Θ − Θ₀‖/‖Θ₀‖ at step {o['change_step']:.0f}", fmt(o["change"]),
                      "0 in the kernel regime"))
    unconverged = [c for c in circles if c["iterations"] is None]
    if unconverged:
        ks = [f"k={c['k']:g} (seed {c['seed']})" for c in unconverged]
        verdicts.append(verdict("iterations_scale_as_inverse_eigenvalue", False, f"never reached the loss {LOSS_LEVEL}: {ks}",
                                "every k converges within trainer.max_steps"))
    else:
        slopes, departures = [], []
        for seed in sorted({c["seed"] for c in circles}):
            group = sorted((c for c in circles if c["seed"] == seed), key=lambda c: c["k"])
            lazy = [c for c in group if c["change"] <= LAZY]
            slopes.append(loglog_slope([1 / c["rate"] for c in lazy], [c["iterations"] for c in lazy])
                          if len(lazy) >= 3 else None)
            departures += [c for c in group if c["change"] > LAZY]
            for c in group:
                measured = (f"{c['iterations']:.0f}, {c['predicted']:.0f}; {fmt(c['change'])}; "
                            f"{fmt(c['rate_end'] / c['rate'])}")
                table.append((f"circle k = {c['k']:g} (seed {seed}): iterations, kernel-predicted; kernel change; λ_k end/init",
                              measured,
                              "iterations ∝ k² on S¹ for Basri's net (their Fig.) [fig]"))
        if any(s is None for s in slopes):
            verdicts.append(not_checked("iterations_scale_as_inverse_eigenvalue",
                                        f"fewer than 3 k with kernel change ≤ {LAZY} in some seed; run more k"))
        else:
            verdicts.append(verdict("iterations_scale_as_inverse_eigenvalue", all(SLOPE[0] <= s <= SLOPE[1] for s in slopes),
                                    f"log-log slope of iterations against 1/λ_k over the lazy k, per seed: "
                                    f"{', '.join(fmt(s) for s in slopes)}", f"in [{SLOPE[0]}, {SLOPE[1]}]"))
        if departures:
            ok = all(c["iterations"] < c["predicted"] and c["rate_end"] > c["rate"] for c in departures)
            verdicts.append(verdict("departure_shows_in_kernel", ok,
                                    "; ".join(f"k={c['k']:g}: kernel change {fmt(c['change'])}, iterations/predicted "
                                              f"{fmt(c['iterations'] / c['predicted'])}, λ_k ×{fmt(c['rate_end'] / c['rate'])}"
                                              for c in departures),
                                    f"where the kernel moved > {LAZY}: faster than predicted, λ_k grew"))
        else:
            verdicts.append(not_checked("departure_shows_in_kernel",
                                        f"no k moved the kernel by more than {LAZY} in this setting; the full setting "
                                        "(k up to 8) does: python scripts/reproduce.py ntk_learning_order"))
    figure = draw(orders, circles, out / "ntk_learning_order.png")
    return Outcome(verdicts=verdicts, figures=[figure], table=table,
                   notes="λ(k) is the Rayleigh quotient of Θ/n (the empirical NTK on the grid, summed over outputs, divided "
                         "by the number of points) on the unit cosine and sine at frequency k. Θ₀ is the kernel at step 0.")


def draw(orders: list[dict], circles: list[dict], path: Path) -> Path:
    """Save (left) the circle's iterations against 1/λ_k with the kernel's prediction, (right) the 1-D order."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4), layout="constrained")
    done = [c for c in circles if c["iterations"] is not None]
    if done:
        points = left.scatter([1 / c["rate"] for c in done], [c["iterations"] for c in done],
                              c=[c["change"] for c in done], cmap="viridis", zorder=3)
        fig.colorbar(points, ax=left, label="kernel change at the end")
        for c in done:
            left.annotate(f"k={c['k']:g}", (1 / c["rate"], c["iterations"]), textcoords="offset points", xytext=(4, -10),
                          fontsize=7)
        line = sorted(done, key=lambda c: c["rate"], reverse=True)
        left.plot([1 / c["rate"] for c in line], [c["predicted"] for c in line], "k--", lw=0.9, label="kernel prediction")
        left.legend(fontsize=8)
    left.set(xscale="log", yscale="log", xlabel="1/λ_k (kernel at init)", ylabel="iterations to Basri's criterion",
             title="circle: iterations against 1/λ_k")
    for o in orders:
        finite = [k for k in o["ks"] if math.isfinite(o["steps"][k])]
        right.plot(finite, [o["steps"][k] for k in finite], "o-", label=f"step to 0.5, ρ = {o['rho']:.2f}")
    right.set(xlabel="frequency k", ylabel="step to |f̂(k)|/A_k ≥ 0.5", title="1-D: measured order; λ(k) at init (dashed)")
    twin = right.twinx()
    for o in orders:
        twin.plot(o["ks"], [o["rates"][k] for k in o["ks"]], "--", color="grey")
    twin.set(yscale="log", ylabel="λ(k) at init")
    right.legend(fontsize=7)
    return save_figure(fig, path)


CLAIM = Claim(
    name="ntk_learning_order",
    paper="Arora et al. 2019; Basri et al. 2019, 2020; Rahaman et al. 2019 (docs/references.md §22, §12, §6)",
    summary="the empirical NTK at init predicts the order of learning and, while the kernel stays put, the iterations ∝ 1/λ_k",
    runtime_full="12 min (one seed: a 20,000-step 1-D run and 6 circle runs)",
    runtime_quick="16 s",
    runs=runs,
    check=check,
    statements=("order_1d", "iterations_scale_as_inverse_eigenvalue", "departure_shows_in_kernel"),
)
