"""Least squares with more unknowns than equations: the interpolators gradient descent can reach.

GD on (1/2n)‖Xw − y‖² from w₀ moves only within the row space of X, so it ends at the interpolator
closest to w₀: X⁺y + (I − X⁺X)w₀; from w₀ = 0 that is the minimum-norm interpolator X⁺y.
Source: docs/references.md §1.
"""

from __future__ import annotations

import torch


def closest_interpolator(x: torch.Tensor, y: torch.Tensor, w0: torch.Tensor | None = None) -> torch.Tensor:
    """Return X⁺y + (I − X⁺X)w₀ (d,) float64 for X (n, d), y (n,): the least-squares solution nearest w₀.

    With n < d and X of full row rank it interpolates (Xw = y); w₀ = None (or 0) gives X⁺y, the
    minimum-ℓ2-norm solution; with n ≥ d and full column rank it is the unique least-squares solution.
    """
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"x must be (n, d) and y (n,), got {tuple(x.shape)} and {tuple(y.shape)}")
    x, y = x.double(), y.double()
    pinv = torch.linalg.pinv(x)  # (d, n)
    w = pinv @ y
    if w0 is None:
        return w
    if w0.numel() != x.shape[1]:
        raise ValueError(f"w0 has {w0.numel()} entries but x has {x.shape[1]} columns")
    w0 = w0.reshape(-1).double()
    return w + w0 - pinv @ (x @ w0)
