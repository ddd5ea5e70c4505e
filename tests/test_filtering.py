"""Xu et al.'s filtering method against a direct O(n²) loop in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ibias.measures.filtering import GaussianFilters, filter_errors, squared_distances


def direct_errors(x, pred, target, delta):
    """e_low, e_high from the definitions, with plain Python loops over i and j."""
    n = len(x)
    y_low, h_low = np.zeros_like(target), np.zeros_like(pred)
    for i in range(n):
        weights = np.array([math.exp(-sum((x[i] - x[j]) ** 2) / (2 * delta)) for j in range(n)])
        y_low[i] = weights @ target / weights.sum()
        h_low[i] = weights @ pred / weights.sum()
    y_high, h_high = target - y_low, pred - h_low
    e_low = math.sqrt(((y_low - h_low) ** 2).sum() / (y_low**2).sum())
    e_high = math.sqrt(((y_high - h_high) ** 2).sum() / (y_high**2).sum())
    return e_low, e_high


@pytest.mark.parametrize("cache", ["kernels", "distances"])
def test_filter_errors_equal_a_direct_double_loop(cache):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    target = np.eye(3)[rng.integers(0, 3, 40)]  # one-hot
    pred = rng.dirichlet(np.ones(3), 40)  # rows of probabilities
    deltas = [0.5, 2.0, 8.0]
    got = filter_errors(torch.tensor(x), torch.tensor(pred), torch.tensor(target), deltas, chunk_size=7, cache=cache)
    assert got["e_low"].shape == (3,) and got["e_high"].shape == (3,)
    for i, delta in enumerate(deltas):
        e_low, e_high = direct_errors(x, pred, target, delta)
        assert float(got["e_low"][i]) == pytest.approx(e_low, rel=1e-10)
        assert float(got["e_high"][i]) == pytest.approx(e_high, rel=1e-10)
    assert not got["high_absent"].any()


def test_chunked_squared_distances_equal_numpy():
    x = torch.randn(23, 2, 3, dtype=torch.float64)
    flat = x.reshape(23, -1).numpy()
    expected = ((flat[:, None, :] - flat[None, :, :]) ** 2).sum(-1)
    assert np.allclose(squared_distances(x, chunk_size=5).numpy(), expected, atol=1e-12)


def test_a_perfect_prediction_has_zero_error_and_the_mean_has_no_high_part_fit():
    x = torch.randn(30, 4, dtype=torch.float64)
    y = torch.randn(30, 2, dtype=torch.float64)
    filters = GaussianFilters(x, y, [1.0, 4.0])
    assert torch.allclose(filters.errors(y)["e_low"], torch.zeros(2, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(filters.errors(y)["e_high"], torch.zeros(2, dtype=torch.float64), atol=1e-12)
    # A constant prediction is its own low part: its high part is 0, so e_high = ‖y_high‖/‖y_high‖ = 1.
    const = y.mean(0).expand_as(y)
    assert torch.allclose(filters.errors(const)["e_high"], torch.ones(2, dtype=torch.float64), atol=1e-12)


def test_a_target_without_high_part_is_flagged_not_divided_by_zero():
    x = 10.0 * torch.arange(12, dtype=torch.float64)[:, None]  # points 10 apart: G = exp(−50) ≈ 2e-22 at δ = 1
    y = torch.randn(12, 1, dtype=torch.float64)
    got = filter_errors(x, y + 0.1, y, [1.0, 1000.0])
    assert got["high_absent"].tolist() == [True, False]
    assert math.isnan(float(got["e_high"][0])) and not math.isnan(float(got["e_high"][1]))
    assert float(got["high_fraction"][0]) < 1e-15


def test_bad_input_is_named():
    x, y = torch.randn(5, 2), torch.randn(5, 1)
    with pytest.raises(ValueError, match="positive variances"):
        filter_errors(x, y, y, [0.0, 1.0])
    with pytest.raises(ValueError, match="cache='fast'"):
        filter_errors(x, y, y, [1.0], cache="fast")
    with pytest.raises(ValueError, match=r"pred has shape \(5, 2\)"):
        GaussianFilters(x, y, [1.0]).errors(torch.randn(5, 2))
