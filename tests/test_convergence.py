"""First-crossing steps and monotone order, on hand-made curves."""

import math

import pytest

from ibias.analysis.convergence import first_step_reaching, interpolated_crossing, is_monotone, loglog_slope


def test_first_step_reaching_finds_the_first_crossing_either_way():
    steps, values = [0, 100, 200, 300], [0.1, 0.4, 0.6, 0.3]
    assert first_step_reaching(steps, values, 0.5) == 200
    assert first_step_reaching(steps, values, 0.35, above=False) == 0
    assert first_step_reaching(steps, values, 0.7) is None


def test_is_monotone_treats_never_as_last():
    assert is_monotone([100, 100, 300, None, None])
    assert not is_monotone([100, None, 300])
    assert not is_monotone([300, 200])


def test_interpolated_crossing_is_exact_for_an_exponential_decay():
    steps = [0, 10, 20, 30]
    values = [math.exp(-0.1 * s) for s in steps]
    assert interpolated_crossing(steps, values, math.exp(-1.7)) == pytest.approx(17.0)
    assert interpolated_crossing(steps, values, 2.0) == 0.0  # already below at the first point
    assert interpolated_crossing(steps, values, 1e-6) is None


def test_loglog_slope_of_a_power_law():
    x = [1.0, 2.0, 4.0, 8.0]
    assert loglog_slope(x, [3 * v**-2 for v in x]) == pytest.approx(-2.0)
    with pytest.raises(ValueError, match="two distinct"):
        loglog_slope([2.0, 2.0], [1.0, 3.0])
