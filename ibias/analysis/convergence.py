"""When a logged curve first reaches a level: the learning order of frequencies, layers, runs."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .records import STEP_AXIS, read_records, spectrum_key
from .wandb_io import RunRecord


def first_step_reaching(steps: Sequence[int], values: Sequence[float], level: float, above: bool = True) -> int | None:
    """Return the first step whose value is >= level (or <= level when above=False), or None if never."""
    for step, value in zip(steps, values):
        if (value >= level) if above else (value <= level):
            return int(step)
    return None


def is_monotone(order: Sequence[int | None]) -> bool:
    """Return True if the steps never decrease (None, never reached, counts as after every step)."""
    keyed = [float("inf") if s is None else s for s in order]
    return all(a <= b for a, b in zip(keyed, keyed[1:]))


def interpolated_crossing(steps: Sequence[float], values: Sequence[float], level: float) -> float | None:
    """Return the step where a falling positive curve first reaches `level`, interpolated log-linearly between the
    logged points around it (exact for exponential decay); the first step if it starts there; None if never."""
    for i, (step, value) in enumerate(zip(steps, values)):
        if value <= level:
            if i == 0 or not (values[i - 1] > level > 0 and value > 0):
                return float(step)
            before = math.log(values[i - 1])
            fraction = (before - math.log(level)) / (before - math.log(value))
            return float(steps[i - 1] + fraction * (step - steps[i - 1]))
    return None


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Return the least-squares slope of log y against log x (both positive; at least two distinct x)."""
    lx, ly = [math.log(v) for v in x], [math.log(v) for v in y]
    if len(lx) < 2 or max(lx) == min(lx):
        raise ValueError(f"a log-log slope needs at least two distinct x values, got {list(x)}")
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def crossing_steps(run: RunRecord, probe: str, quantity: str, level: float,
                   above: bool = True) -> tuple[list[float], list[int | None], list[float]]:
    """Return (coords, first step each coordinate's value reaches `level` or None, last logged value) of a probe's series.

    The series (e.g. the grid probe's `amp`, one value per frequency) is found from the probe's declaration in
    the run's config; steps are trainer/global_step.
    """
    records = read_records(run.config)
    if probe not in records:
        raise KeyError(f"{run.path} declares no probe {probe!r}; it declares {sorted(records) or 'none'}")
    series = records[probe].series_named(quantity)
    firsts, lasts = [], []
    for key in series.keys():
        steps, values = run.series(spectrum_key(probe, key), x=STEP_AXIS)
        firsts.append(first_step_reaching(steps, values, level, above))
        lasts.append(float(values[-1]) if values else float("nan"))
    return list(series.coords), firsts, lasts
