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
