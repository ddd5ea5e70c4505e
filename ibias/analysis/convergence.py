"""When a logged curve first reaches a level: the learning order of frequencies, layers, runs."""

from __future__ import annotations

from collections.abc import Sequence


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
