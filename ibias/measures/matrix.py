"""Low-rank matrix recovery (Gunasekar et al. 2017; Arora et al. 2019): ground truths and measurements.

Pure functions on tensors. Effective rank lives in ibias/measures/norms.py (not duplicated here).
Source: docs/references.md §3–4.
"""

from __future__ import annotations

import math

import torch


def low_rank_matrix(size: int, rank: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Return W* = UVᵀ/√r (size, size) float64 of rank `rank`, rescaled to entry RMS exactly 1 (Arora et al.).

    U, V have iid N(0, 1) entries (size, rank); the rescaling keeps the rank and fixes the scale of the targets.
    """
    if not (isinstance(size, int) and size >= 1):
        raise ValueError(f"size={size!r} must be a positive integer")
    if not (isinstance(rank, int) and 1 <= rank <= size):
        raise ValueError(f"rank={rank!r} must be an integer in [1, size={size}]; a {size}×{size} matrix has rank <= {size}")
    u = torch.randn(size, rank, generator=generator, dtype=torch.float64)
    v = torch.randn(size, rank, generator=generator, dtype=torch.float64)
    w = u @ v.T / math.sqrt(rank)  # (n, n)
    return w * (size / w.norm())  # RMS = ‖W‖_F / n = 1


def sample_entries(size: int, num_observed: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Return `num_observed` distinct (row, col) pairs drawn uniformly without replacement: (m, 2) int64."""
    if not (isinstance(num_observed, int) and 1 <= num_observed <= size * size):
        raise ValueError(
            f"num_observed={num_observed!r} must be an integer in [1, size²={size * size}]: "
            f"a {size}×{size} matrix has only {size * size} entries to observe"
        )
    flat = torch.randperm(size * size, generator=generator)[:num_observed]  # (m,) distinct
    return torch.stack([flat // size, flat % size], dim=1)


def entries(matrix: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Return matrix[i, j] for index pairs (B, 2) -> (B,)."""
    return matrix[indices[:, 0], indices[:, 1]]


def gaussian_measurements(num: int, size: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Return `num` sensing matrices with iid N(0, 1/size²) entries: (num, size, size) float64.

    The 1/size² variance makes y = <A, W*> ~ N(0, RMS(W*)²), i.e. unit-scale targets for W* of RMS 1.
    """
    return torch.randn(num, size, size, generator=generator, dtype=torch.float64) / size


def inner_products(measurements: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Return <A_i, W> = Σ_jk A_ijk W_jk for A (B, n, n) and W (n, n): (B,)."""
    return (measurements * matrix).sum(dim=(-2, -1))


def relative_error(matrix: torch.Tensor, reference: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Return ‖W − R‖_F / ‖R‖_F (unitless), over the entries where `mask` is True when given; NaN if ‖R‖ = 0.

    With W the end-to-end matrix and R the ground truth this is the recovery error; with `mask` the
    unobserved entries of a completion problem, Arora et al.'s error on what was never seen.
    """
    if matrix.shape != reference.shape:
        raise ValueError(f"matrix {tuple(matrix.shape)} and reference {tuple(reference.shape)} must have the same shape")
    diff, ref = matrix.double() - reference.double(), reference.double()
    if mask is not None:
        if mask.shape != reference.shape or mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor of shape {tuple(reference.shape)}, "
                             f"got {mask.dtype} {tuple(mask.shape)}")
        diff, ref = diff[mask], ref[mask]
    scale = float(ref.norm())
    return float(diff.norm()) / scale if scale > 0 else math.nan


def singular_value_threshold(matrix: torch.Tensor, threshold: float) -> torch.Tensor:
    """Return U·max(Σ − threshold, 0)·Vᵀ: the proximal map of threshold·‖·‖_* (Cai, Candès, Shen 2010)."""
    u, s, vt = torch.linalg.svd(matrix, full_matrices=False)
    return (u * (s - threshold).clamp_min(0)) @ vt


def min_nuclear_norm_solution(
    measurements: torch.Tensor, targets: torch.Tensor, tol: float = 1e-10, max_iter: int = 20000,
) -> torch.Tensor:
    """Return argmin ‖X‖_* subject to <A_i, X> = y_i for A (m, n, n), y (m,): an (n, n) float64 matrix.

    ADMM on X = Z (Boyd et al. 2011, §5): X is projected onto the affine set {<A_i, X> = y_i} (with a
    Cholesky factor of AAᵀ, A the m×n² measurement matrix), Z is singular-value thresholded, with
    residual balancing of the penalty ρ. Stops when ‖X − Z‖_F and ρ‖Z − Z_prev‖_F are both below
    tol·‖Z‖_F. The measurement matrix must have full row rank (m ≤ n², generic A_i).
    Cost per iteration: two (m × n²) matrix-vector products and one n×n SVD.
    Source: docs/references.md §3 (Gunasekar et al. compare GD against this solution).
    """
    if measurements.ndim != 3 or measurements.shape[1] != measurements.shape[2]:
        raise ValueError(f"measurements must be (m, n, n), got shape {tuple(measurements.shape)}")
    m, n = measurements.shape[0], measurements.shape[1]
    if targets.shape != (m,):
        raise ValueError(f"targets must be ({m},) for {m} measurements, got shape {tuple(targets.shape)}")
    a = measurements.double().reshape(m, n * n)  # (m, n²)
    y = targets.double()
    chol, info = torch.linalg.cholesky_ex(a @ a.T)  # (m, m): AAᵀ = LLᵀ, 20x faster than pinv(A) at m = 1000, n = 50
    if int(info) != 0:
        raise ValueError(f"the {m} measurements are linearly dependent (AAᵀ is singular): use fewer than n² = {n * n} "
                         "measurements, or generic ones (e.g. Gaussian)")

    def project(v: torch.Tensor) -> torch.Tensor:  # the closest X with <A_i, X> = y_i, in Frobenius norm
        residual = (a @ v.reshape(-1) - y).unsqueeze(1)  # (m, 1)
        return v - (a.T @ torch.cholesky_solve(residual, chol)).reshape(n, n)

    x = project(torch.zeros(n, n, dtype=torch.float64))  # the minimum-Frobenius-norm solution
    z, u = x.clone(), torch.zeros_like(x)  # u: the scaled dual variable
    top = float(torch.linalg.matrix_norm(x, ord=2))
    if top == 0:
        return x
    rho = 1.0 / top
    for _ in range(max_iter):
        x = project(z - u)
        z_prev = z
        z = singular_value_threshold(x + u, 1.0 / rho)
        u = u + x - z
        primal, dual, size = float((x - z).norm()), rho * float((z - z_prev).norm()), max(float(z.norm()), 1e-300)
        if primal <= tol * size and dual <= tol * size:
            break
        if primal > 10 * dual:  # residual balancing: keep the two residuals within a factor 10
            rho, u = rho * 2, u / 2
        elif dual > 10 * primal:
            rho, u = rho / 2, u * 2
    return z
