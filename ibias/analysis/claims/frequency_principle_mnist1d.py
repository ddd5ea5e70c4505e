"""Xu et al.'s frequency principle on MNIST-1D (docs/references.md §10): the low-frequency part converges first.

Runs experiment=frequency_principle_mnist1d (MLP 40→256→256→10) and experiment=frequency_principle_mnist1d_cnn
(Greydanus's 1-D CNN); FilterProbe logs e_low and e_high (relative errors of the Gaussian-filtered low and
high parts of softmax outputs against one-hot labels, on the training set) for δ = 2, 4, …, 20 after every
epoch. The statement, per run: for every δ where the target's high part is present, e_low falls to LEVEL
before e_high does. A sanity check comes first: untrained, e_high is ≈ 1, and at the end it is below LEVEL
(else "before" would be vacuous). Full: the experiments as configured (4000 training signals). Quick: 400
training signals (data.num_samples=500), same epochs — the crossing epochs barely move with n.
This replaces tests/test_frequency_principle.py and scripts/frequency_principle.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, fmt, verdict
from ..compare import heatmap_data
from ..convergence import first_step_reaching
from ..plotting import save_heatmap
from ..records import STEP_AXIS, read_records, spectrum_key

MODELS = {"mlp": "frequency_principle_mnist1d", "cnn": "frequency_principle_mnist1d_cnn"}
LEVEL = 0.2  # e_low and e_high thresholds, as the replaced test (and Xu et al.'s plots: errors fall from 1 to ~0)
QUICK = ("data.num_samples=500",)
# Sanity bounds: an untrained net's softmax is near uniform, so its high part is almost all error (measured
# 1.00 for both nets and every δ, quick and full); trained, e_high ends at 0.05-0.17 (quick, seed 0).
MIN_START_HIGH, MAX_END_HIGH = 0.8, LEVEL


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per model and seed."""
    extra = QUICK if setting.quick else ()
    return [RunSpec(f"{model}_s{s}", (f"experiment={experiment}", f"seed={s}", "trainer.enable_checkpointing=false", *extra))
            for model, experiment in MODELS.items() for s in setting.seeds]


def crossings(run: ClaimRun) -> list[tuple[float, int | None, int | None, float, float]]:
    """Return per δ with both parts logged: (δ, first step e_low <= LEVEL, same for e_high, e_high first, e_high last)."""
    record = read_records(run.record.config)["filter"]
    low, high = record.series_named("e_low"), record.series_named("e_high")
    low_keys = dict(zip(low.coords, low.keys()))
    out = []
    for delta, high_key in zip(high.coords, high.keys()):  # e_high is not logged where the target has no high part
        steps, e_low = run.record.series(spectrum_key("filter", low_keys[delta]), x=STEP_AXIS)
        steps_high, e_high = run.record.series(spectrum_key("filter", high_key), x=STEP_AXIS)
        out.append((delta, first_step_reaching(steps, e_low, LEVEL, above=False),
                    first_step_reaching(steps_high, e_high, LEVEL, above=False), float(e_high[0]), float(e_high[-1])))
    return out


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return per model: the sanity of e_high, and e_low reaching LEVEL before e_high for every δ in every seed."""
    verdicts, table, figures = [], [], []
    for model in MODELS:
        chosen = [runs[f"{model}_s{s}"] for s in setting.seeds]
        per_run = [crossings(r) for r in chosen]
        starts = [c[3] for rows in per_run for c in rows]
        ends = [c[4] for rows in per_run for c in rows]
        verdicts.append(verdict(
            f"high_part_is_fitted_{model}", min(starts) > MIN_START_HIGH and max(ends) < MAX_END_HIGH,
            f"e_high untrained min {fmt(min(starts))}, at the end max {fmt(max(ends))}",
            f"> {MIN_START_HIGH} untrained, < {MAX_END_HIGH} at the end"))
        late = [(s, c[0]) for s, rows in zip(setting.seeds, per_run) for c in rows
                if c[1] is None or c[2] is None or not c[1] < c[2]]
        deltas = [c[0] for c in per_run[0]]
        verdicts.append(verdict(
            f"e_low_first_for_every_delta_{model}", not late,
            f"{sum(len(r) for r in per_run) - len(late)}/{sum(len(r) for r in per_run)} (seed, δ) pairs with e_low first"
            + (f"; not at {late}" if late else ""), f"all, δ = {deltas[0]:g}…{deltas[-1]:g}"))
        for c in per_run[0]:
            table.append((f"{model}, δ = {c[0]:g}: step e_low / e_high <= {LEVEL} (seed {setting.seeds[0]})",
                          f"{c[1]} / {c[2]}", "e_low first for every δ (CIFAR-10, MNIST)"))
        record = read_records(chosen[0].record.config)["filter"]
        maps = heatmap_data(chosen[0].record, record, STEP_AXIS)
        if maps is not None:
            values, labels, steps = maps
            figures.append(save_heatmap(out / f"frequency_principle_mnist1d_{model}.png", np.asarray(values), labels, steps,
                                        title=f"{model}: e_high per δ (seed {setting.seeds[0]})", row_axis="δ",
                                        value_label="e_high", value_range=(0.0, 1.0)))
    return Outcome(verdicts=verdicts, figures=figures, table=table)


CLAIM = Claim(
    name="frequency_principle_mnist1d",
    paper="Xu et al., filtering method (docs/references.md §10)",
    summary="on MNIST-1D, e_low falls to 0.2 before e_high for every δ, for an MLP and a CNN",
    runtime_full="4 min (2 seeds × MLP and CNN)",
    runtime_quick="8 s",
    runs=runs,
    check=check,
    statements=tuple(f"{s}_{m}" for m in MODELS for s in ("high_part_is_fitted", "e_low_first_for_every_delta")),
    seeds=2,
)
