"""Double descent of minimum-norm least squares (Hastie, Montanari, Rosset, Tibshirani 2019): closed forms and simulations.

Isotropic Gaussian features x ~ N(0, I_p), y = x·β + σε with ‖β‖ = r, n samples, γ = p/n; the
estimator is the minimum-norm least-squares fit ŵ = X⁺y (what GD from zero reaches, §1). Its
excess risk E[(x·(ŵ − β))²] = ‖ŵ − β‖² has, as n, p → ∞ with p/n → γ,
    R(γ) = σ²γ/(1 − γ)                   for γ < 1,
    R(γ) = r²(1 − 1/γ) + σ²/(γ − 1)      for γ > 1,
and diverges at the interpolation threshold γ = 1. At finite n, p with Gaussian X the expectation is
exact: σ²p/(n − p − 1) for p < n − 1 and r²(1 − n/p) + σ²n/(p − n − 1) for p > n + 1 (the mean of
an inverse Wishart matrix). Min-norm regression on random ReLU features φ(x) = max(Fx/√d, 0) also
peaks where the number of features p equals n (Mei & Montanari 2019), which we simulate.
Source: docs/references.md §2.
"""

from __future__ import annotations

import numpy as np


def min_norm_risk(gamma: float | np.ndarray, signal: float = 1.0, noise: float = 0.0) -> float | np.ndarray:
    """Return Hastie et al.'s asymptotic excess risk of min-norm least squares at γ = p/n (inf at γ = 1)."""
    g = np.asarray(gamma, dtype=float)
    if np.any(g <= 0):
        raise ValueError(f"gamma={gamma!r} must be > 0 (it is p/n)")
    with np.errstate(divide="ignore", invalid="ignore"):
        under = noise**2 * g / (1 - g)
        over = signal**2 * (1 - 1 / g) + noise**2 / (g - 1)
    risk = np.where(g < 1, under, np.where(g > 1, over, np.inf))
    return float(risk) if np.ndim(gamma) == 0 else risk


def min_norm_risk_finite(n: int, p: int, signal: float = 1.0, noise: float = 0.0) -> float:
    """Return the exact expected excess risk of X⁺y with n Gaussian samples of p features (needs |p − n| ≥ 2)."""
    if not (n >= 1 and p >= 1):
        raise ValueError(f"n={n} and p={p} must be positive")
    if p < n - 1:
        return noise**2 * p / (n - p - 1)
    if p > n + 1:
        return signal**2 * (1 - n / p) + noise**2 * n / (p - n - 1)
    raise ValueError(f"p={p}, n={n}: the expected risk is infinite for |p − n| <= 1 (the interpolation threshold)")


def _truth(p: int, signal: float, rng: np.random.Generator) -> np.ndarray:
    beta = rng.standard_normal(p)
    return signal * beta / np.linalg.norm(beta)  # (p,)


def min_norm_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return X⁺y (p,) for X (n, p) of full rank, through the smaller Gram matrix (10x faster than lstsq here)."""
    n, p = x.shape
    if p > n:
        return x.T @ np.linalg.solve(x @ x.T, y)  # the interpolator in the row space of X
    return np.linalg.solve(x.T @ x, x.T @ y)  # the unique least-squares solution


def min_norm_risks(n: int, p: int, signal: float = 1.0, noise: float = 0.0, trials: int = 40, seed: int = 0) -> np.ndarray:
    """Return ‖X⁺y − β‖² (trials,) over independent draws of X (n, p), β and ε: simulated excess risks."""
    rng = np.random.default_rng([seed, n, p])
    risks = np.empty(trials)
    for t in range(trials):
        beta = _truth(p, signal, rng)
        x = rng.standard_normal((n, p))
        y = x @ beta + noise * rng.standard_normal(n)
        w = min_norm_fit(x, y)
        risks[t] = np.sum((w - beta) ** 2)
    return risks


def random_features_risks(n: int, d: int, p: int, signal: float = 1.0, noise: float = 0.0, trials: int = 40,
                          num_test: int = 2000, seed: int = 0) -> np.ndarray:
    """Return the test excess risk (trials,) of min-norm least squares on p random ReLU features of d-dim inputs.

    Inputs x ~ N(0, I_d), targets x·β + σε with ‖β‖ = signal; features max(Fx/√d, 0), F (p, d) iid N(0, 1)
    drawn per trial; the risk is the mean squared error against the noiseless x·β on `num_test` fresh inputs.
    """
    rng = np.random.default_rng([seed, n, d, p])
    risks = np.empty(trials)
    for t in range(trials):
        beta = _truth(d, signal, rng)
        f = rng.standard_normal((p, d)) / np.sqrt(d)
        x, x_test = rng.standard_normal((n, d)), rng.standard_normal((num_test, d))
        y = x @ beta + noise * rng.standard_normal(n)
        a = min_norm_fit(np.maximum(x @ f.T, 0), y)  # (p,)
        risks[t] = np.mean((np.maximum(x_test @ f.T, 0) @ a - x_test @ beta) ** 2)
    return risks
