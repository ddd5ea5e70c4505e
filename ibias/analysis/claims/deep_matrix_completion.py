"""deep_matrix_completion: with few observed entries, a deeper factorization completes a low-rank matrix better.

Arora, Cohen, Hu, Luo 2019 (docs/references.md §4). experiment=deep_matrix_completion: a 100×100 rank-5
matrix, 2000 (few) or 5000 (many) observed entries, a depth-N product of 100×100 factors from init scale
1e-3, full-batch GD lr 10 for 3000 steps. callbacks.EndToEndCallback logs the end-to-end matrix's
effective rank and its error on the unobserved entries.
Statistics (last logged values; "every seed" means the order holds in each seed separately):
- deeper_lower_effective_rank: with few observations, effective rank falls with depth (1 > 2 > 3 in the
  full setting; 2 > 3 in the quick one) on every seed. Measured (full, seeds 0–2): depth 1 69.1–70.1,
  depth 2 8.5–9.2, depth 3 5.00–5.05 (the rank-5 truth's is ≈ 4.7): gaps of 3.5 or more between depths
  2 and 3 against seed spreads of ±0.4.
- deeper_lower_unobserved_error: with few observations, the error on the unobserved entries falls with
  depth on every seed. Measured (full): depth 1 1.0 (GD on W itself never moves an unobserved entry),
  depth 2 0.23–0.28, depth 3 0.0025–0.0051.
- many_observations_recover: with many observations every depth >= 2 recovers the unobserved entries to
  < 0.05. Measured (full, m = 5000): depth 2 0.0038–0.0056, depth 3 0.0003; quick (m = 800, depth 2,
  seeds 0–2) 0.009–0.011: a 5x margin, while depth 2 with few observations is at 0.2–0.3.
- fits_the_observations: every depth >= 2 run's final train loss < 1e-4 (entries have RMS 1; measured
  ≤ 8.4e-7 in the full setting), so the comparison is between solutions (depth 1's per-entry rate is
  only 2·lr/m, and it needs no check).
Quick: 40×40 rank 2 from 400 (few, 25%) entries at depths 2 and 3, and 800 (many) at depth 2 (the depth
that needs them), lr 3, 400 steps, seed 0. It keeps about the sampling ratio m/(r(2n − r)) of Arora et
al.'s "few" (400/156 ≈ 2.6 against 2000/975 ≈ 2.1). Measured on seeds 0–2: effective rank 3.24–3.37
(depth 2) against 1.99–2.05 (depth 3); unobserved error 0.20–0.25 against 0.005–0.073; train loss up to
9.9e-5 after 400 steps (depth 3 on seed 1 still converging), hence FIT_MAX = 1e-3 in the quick setting.
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
from ..records import end_to_end_key, singular_value_key, stage_key

FULL = {"few": 2000, "many": 5000, "few_depths": (1, 2, 3), "many_depths": (1, 2, 3), "overrides": ()}
QUICK = {"few": 400, "many": 800, "few_depths": (2, 3), "many_depths": (2,),
         "overrides": ("data.size=40", "data.rank=2", "task.optimizer.lr=3.0", "trainer.max_steps=400")}
RECOVERED = 0.05  # unobserved error below which a run counts as a recovery (see the docstring)
FIT_MAX = {True: 1e-3, False: 1e-4}  # final train loss of every depth >= 2 run (quick, full)


def _setup(setting: Setting) -> dict:
    return QUICK if setting.quick else FULL


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per (observation count, depth, seed), named `m<count>_d<depth>_s<seed>`."""
    setup = _setup(setting)
    pairs = [(setup["few"], d) for d in setup["few_depths"]] + [(setup["many"], d) for d in setup["many_depths"]]
    return [RunSpec(f"m{m}_d{d}_s{s}", ("experiment=deep_matrix_completion", f"data.num_observed={m}", f"model.depth={d}",
                                        f"seed={s}", *setup["overrides"]))
            for s in setting.seeds for m, d in pairs]


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return the verdicts on effective rank and unobserved error against depth, with the figure and table."""
    setup, seeds, q = _setup(setting), setting.seeds, setting.quick
    few, many, depths = setup["few"], setup["many"], setup["few_depths"]
    value = lambda m, d, s, key: final_value(runs[f"m{m}_d{d}_s{s}"].record, key)
    per_depth = lambda m, ds, measure, s: [value(m, d, s, end_to_end_key(measure)) for d in ds]
    rank = {s: per_depth(few, depths, "effective_rank", s) for s in seeds}
    unobs = {s: per_depth(few, depths, "unobserved_error", s) for s in seeds}
    many_deep = [d for d in setup["many_depths"] if d >= 2]
    unobs_many = {s: per_depth(many, many_deep, "unobserved_error", s) for s in seeds}
    fitted = [(few, d) for d in depths if d >= 2] + [(many, d) for d in many_deep]
    loss = [value(m, d, s, stage_key("train", "loss")) for s in seeds for m, d in fitted]
    falls = lambda seq: all(b < a for a, b in zip(seq, seq[1:]))
    curve = lambda per_seed: "; ".join(f"seed {s}: " + ", ".join(fmt(v) for v in vs) for s, vs in per_seed.items())
    order = " > ".join(f"depth {d}" for d in depths)
    verdicts = [
        verdict("deeper_lower_effective_rank", all(falls(r) for r in rank.values()), curve(rank),
                f"m = {few}: {order} on every seed"),
        verdict("deeper_lower_unobserved_error", all(falls(u) for u in unobs.values()), curve(unobs),
                f"m = {few}: {order} on every seed"),
        verdict("many_observations_recover", max(v for vs in unobs_many.values() for v in vs) < RECOVERED,
                f"m = {many}, depths {', '.join(map(str, many_deep))}: {curve(unobs_many)}",
                f"unobserved error < {RECOVERED} for every depth >= 2"),
        verdict("fits_the_observations", max(loss) < FIT_MAX[q], f"max train loss (depth >= 2) {fmt(max(loss))}",
                f"< {FIT_MAX[q]:g}"),
    ]
    mean = lambda per_seed, i: fmt(float(np.mean([vs[i] for vs in per_seed.values()])))
    table = [(f"depth {d}, m = {few}: effective rank / unobserved error", f"{mean(rank, i)} / {mean(unobs, i)}",
              "falls with depth (Arora et al., §4)") for i, d in enumerate(depths)]
    table += [(f"depth {d}, m = {many}: unobserved error", mean(unobs_many, i), "≈ 0 (§4)") for i, d in enumerate(many_deep)]
    if 1 in setup["many_depths"]:
        table.append((f"depth 1, m = {many}: unobserved error", fmt(float(np.mean([value(many, 1, s, end_to_end_key(
            "unobserved_error")) for s in seeds]))), "1 (GD on W never moves an unobserved entry)"))
    figure = _figure(runs, setup, seeds, rank, unobs, unobs_many, out / "deep_matrix_completion_depth.png")
    return Outcome(verdicts=verdicts, figures=[figure], table=table)


def _figure(runs, setup, seeds, rank, unobs, unobs_many, path: Path) -> Path:
    """Draw unobserved error and effective rank against depth, and the few-observation singular values per depth."""
    few, many, depths = setup["few"], setup["many"], setup["few_depths"]
    many_deep = [d for d in setup["many_depths"] if d >= 2]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), layout="constrained")
    for s in seeds:
        first = s == seeds[0]
        axes[0].plot(depths, unobs[s], marker="o", color="tab:red", label=f"m = {few}" if first else None)
        axes[0].plot(many_deep, unobs_many[s], marker="s", color="tab:blue", label=f"m = {many}" if first else None)
        axes[1].plot(depths, rank[s], marker="o", color="tab:red", label=f"m = {few}" if first else None)
    axes[0].set_yscale("log")
    axes[0].set_title("error on unobserved entries", fontsize=10)
    axes[1].set_title("effective rank of W", fontsize=10)
    for ax in axes[:2]:
        ax.set_xticks(depths)
        ax.set_xlabel("depth")
        ax.legend(fontsize=7)
    for d in depths:
        record = runs[f"m{few}_d{d}_s{seeds[0]}"].record
        sv = [final_value(record, singular_value_key(i)) for i in range(1, 11)]
        axes[2].semilogy(range(1, 11), sv, marker="o", label=f"depth {d}")
    axes[2].set_title(f"top singular values of W (m = {few}, seed {seeds[0]})", fontsize=10)
    axes[2].set_xlabel("index")
    axes[2].legend(fontsize=7)
    fig.suptitle("deep matrix completion (Arora et al. 2019): deeper is lower rank with few observations", fontsize=10)
    return save_figure(fig, path)


CLAIM = Claim(
    name="deep_matrix_completion",
    paper="Arora, Cohen, Hu, Luo 2019 (docs/references.md §4)",
    summary="with few observations, deeper factorizations give lower effective rank and lower error on unobserved entries",
    runtime_full="2.3 min (18 runs of 3000 steps)",
    runtime_quick="5 s",
    runs=runs,
    check=check,
    statements=("deeper_lower_effective_rank", "deeper_lower_unobserved_error", "many_observations_recover",
                "fits_the_observations"),
    seeds=3,
)
