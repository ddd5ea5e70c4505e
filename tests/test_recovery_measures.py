"""Closed forms and solvers behind the linear and matrix claims, against independent computations (docs/references.md §1–3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from ibias.measures.double_descent import (
    min_norm_fit,
    min_norm_risk,
    min_norm_risk_finite,
    min_norm_risks,
    random_features_risks,
)
from ibias.measures.least_squares import closest_interpolator
from ibias.measures.matrix import (
    gaussian_measurements,
    inner_products,
    low_rank_matrix,
    min_nuclear_norm_solution,
    relative_error,
)


def test_closest_interpolator_is_the_projection_of_w0_onto_the_solutions():
    rng = np.random.default_rng(0)
    x, y, w0 = rng.standard_normal((7, 20)), rng.standard_normal(7), rng.standard_normal(20)
    w = closest_interpolator(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(w0)).numpy()
    np.testing.assert_allclose(x @ w, y, atol=1e-10)  # an interpolator
    # The nearest point of {w : Xw = y} to w0, by scipy's constrained solver (independent of pinv).
    found = minimize(lambda v: np.sum((v - w0) ** 2), np.zeros(20), jac=lambda v: 2 * (v - w0),
                     constraints={"type": "eq", "fun": lambda v: x @ v - y, "jac": lambda v: x}, method="SLSQP",
                     options={"ftol": 1e-14, "maxiter": 500})
    np.testing.assert_allclose(w, found.x, atol=1e-6)
    np.testing.assert_allclose(closest_interpolator(torch.from_numpy(x), torch.from_numpy(y)).numpy(), np.linalg.pinv(x) @ y,
                               atol=1e-12)


def test_relative_error_over_all_and_over_masked_entries():
    w, ref = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert relative_error(w, ref) == pytest.approx(math.sqrt(4 + 9 + 4) / math.sqrt(5))
    mask = torch.tensor([[False, False], [False, True]])
    assert relative_error(w, ref, mask) == pytest.approx(1.0)  # |4 − 2| / |2|
    assert math.isnan(relative_error(w, torch.zeros(2, 2)))
    with pytest.raises(ValueError, match="same shape"):
        relative_error(w, torch.zeros(3, 2))


def _entry_measurements(n: int, entries: list[tuple[int, int]]) -> torch.Tensor:
    a = torch.zeros(len(entries), n, n, dtype=torch.float64)
    for i, (r, c) in enumerate(entries):
        a[i, r, c] = 1.0
    return a


def test_min_nuclear_norm_on_razin_and_cohens_two_by_two_completion():
    # Observed (0,1) = 1, (1,0) = 1, (1,1) = 0; X = [[x, 1], [1, 0]] has eigenvalues of opposite signs, so
    # ‖X‖_* = |λ₁| + |λ₂| = √(x² + 4): minimal at x = 0, where it is 2 (docs/references.md §5).
    a = _entry_measurements(2, [(0, 1), (1, 0), (1, 1)])
    x = min_nuclear_norm_solution(a, torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64)).numpy()
    np.testing.assert_allclose(x, [[0.0, 1.0], [1.0, 0.0]], atol=1e-7)
    assert np.linalg.svd(x, compute_uv=False).sum() == pytest.approx(2.0, abs=1e-8)


def test_min_nuclear_norm_matches_a_direct_search_over_the_solution_set():
    # n = 3 with m = 5 Gaussian measurements: every solution is X₀ + Σ_k z_k N_k (N_k a basis of the null
    # space, 4-dimensional); Nelder–Mead over z minimizes the nuclear norm without any ADMM or thresholding.
    g = torch.Generator().manual_seed(4)
    truth, a = low_rank_matrix(3, 1, g), gaussian_measurements(5, 3, g)
    y = inner_products(a, truth)
    ours = min_nuclear_norm_solution(a, y)
    np.testing.assert_allclose(inner_products(a, ours).numpy(), y.numpy(), atol=1e-9)
    am = a.reshape(5, 9).numpy()
    x0 = np.linalg.pinv(am) @ y.numpy()
    null = np.linalg.svd(am)[2][5:]  # (4, 9) rows span the null space
    nuclear = lambda z: np.linalg.svd((x0 + z @ null).reshape(3, 3), compute_uv=False).sum()
    best = min((minimize(nuclear, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
                for start in np.random.default_rng(0).standard_normal((8, 4))), key=lambda r: r.fun)
    assert np.linalg.svd(ours.numpy(), compute_uv=False).sum() == pytest.approx(best.fun, rel=1e-6)


def test_min_nuclear_norm_recovers_a_low_rank_matrix_from_enough_measurements():
    # 200 Gaussian measurements of a 20×20 rank-2 matrix (76 degrees of freedom): the convex program recovers it.
    g = torch.Generator().manual_seed(0)
    truth = low_rank_matrix(20, 2, g)
    a = gaussian_measurements(200, 20, g)
    assert relative_error(min_nuclear_norm_solution(a, inner_products(a, truth)), truth) < 1e-8
    with pytest.raises(ValueError, match="linearly dependent"):
        min_nuclear_norm_solution(torch.ones(3, 2, 2), torch.ones(3))


def test_hastie_risk_closed_form_values_and_limits():
    assert min_norm_risk(4.0, signal=1.0, noise=0.0) == pytest.approx(0.75)  # docs/references.md §2's example
    assert min_norm_risk(0.5, noise=0.5) == pytest.approx(0.25)  # σ²γ/(1 − γ)
    assert min_norm_risk(2.0, signal=1.0, noise=0.5) == pytest.approx(0.5 + 0.25)
    assert math.isinf(min_norm_risk(1.0, noise=0.5))
    np.testing.assert_allclose(min_norm_risk(np.array([0.5, 2.0]), 1.0, 0.5), [0.25, 0.75])
    # The exact finite-n expectation tends to the asymptotic curve as n, p grow with p/n fixed.
    for gamma in (0.3, 3.0):
        n = 200_000
        assert min_norm_risk_finite(n, int(gamma * n), 1.0, 0.5) == pytest.approx(min_norm_risk(gamma, 1.0, 0.5), rel=1e-4)
    with pytest.raises(ValueError, match="infinite"):
        min_norm_risk_finite(50, 51)


@pytest.mark.parametrize("n,p", [(40, 20), (20, 60)])
def test_finite_n_risk_matches_an_independent_monte_carlo(n, p):
    # Independent of min_norm_fit: numpy's pinv, 1500 draws; the tolerance is 4 standard errors of the mean.
    rng = np.random.default_rng(1)
    risks = []
    for _ in range(1500):
        beta = rng.standard_normal(p)
        beta *= 1.0 / np.linalg.norm(beta)
        x = rng.standard_normal((n, p))
        risks.append(np.sum((np.linalg.pinv(x) @ (x @ beta + 0.5 * rng.standard_normal(n)) - beta) ** 2))
    risks = np.array(risks)
    se = risks.std(ddof=1) / math.sqrt(len(risks))
    assert abs(risks.mean() - min_norm_risk_finite(n, p, 1.0, 0.5)) < 4 * se


def test_simulations_use_the_min_norm_fit_and_peak_at_the_threshold():
    rng = np.random.default_rng(2)
    for shape in ((10, 30), (30, 10)):
        x, y = rng.standard_normal(shape), rng.standard_normal(shape[0])
        np.testing.assert_allclose(min_norm_fit(x, y), np.linalg.pinv(x) @ y, atol=1e-10)
    assert min_norm_risks(50, 100, trials=3).shape == (3,)
    assert np.array_equal(min_norm_risks(50, 100, trials=3, seed=1), min_norm_risks(50, 100, trials=3, seed=1))
    # Random ReLU features: the risk at p = n is far above p = n/2 and p = 4n (20 trials, medians).
    med = {p: np.median(random_features_risks(40, 20, p, noise=0.5, trials=20, num_test=500)) for p in (20, 40, 160)}
    assert med[40] > 3 * max(med[20], med[160]), med
