"""Spectra of a model's predictions: pure functions on tensors, no Lightning.

Conventions: a function on the periodic 1-D grid t_j = j/N (j = 0..N-1, no endpoint)
returns one-sided amplitudes, so that A·sin(2πkt + φ) has amplitude A at k (0 < k < N/2).
Source: docs/references.md §6, §11, §13.
"""

from __future__ import annotations

import torch


def grid_coefficients(values: torch.Tensor, freqs) -> torch.Tensor:
    """Complex one-sided coefficients 2·DFT(values)/N at integer `freqs` (DC not doubled).

    values: (..., N) on the periodic grid; freqs: (K,) integers in [0, N/2); returns (..., K)
    complex. For A·sin(2πkt + φ) the coefficient at k is A·exp(i(φ − π/2)).
    """
    n = values.shape[-1]
    freqs = torch.as_tensor(freqs, dtype=torch.long, device=values.device).reshape(-1)
    bad = freqs[(freqs < 0) | (2 * freqs >= n)]
    if bad.numel():
        raise ValueError(
            f"grid_spectrum: frequencies {bad.tolist()} are not in [0, N/2) for a grid of "
            f"N={n} points (Nyquist is {n / 2:g}); use more grid points or lower frequencies."
        )
    coeffs = torch.fft.rfft(values, dim=-1)[..., freqs] / n  # (..., K) complex
    return torch.where(freqs == 0, coeffs, 2 * coeffs)


def grid_spectrum(values: torch.Tensor, freqs) -> torch.Tensor:
    """One-sided DFT amplitudes 2·|DFT(values)/N| at integer `freqs` (DC not doubled).

    values: (..., N) samples on the periodic grid t_j = j/N; leading dims are batched.
    freqs:  (K,) integers in [0, N/2); returns (..., K) amplitudes in the units of `values`.

    Exact for sums of sinusoids whose frequencies are integers. A frequency between grid
    frequencies (off-grid) leaks into its neighbours (the Dirichlet kernel): half-way between
    two integers each of the two nearest bins shows 2/π ≈ 0.64 of the true amplitude, plus a
    small term from the mirror image at −k (relative size ~1/(πN·sin(2πk/N))).
    """
    return grid_coefficients(values, freqs).abs()


# ---- spectra where there is no grid (Xu et al. projection; Zhang et al. line paths) ----------


def principal_direction(x: torch.Tensor) -> torch.Tensor:
    """Return the unit first principal direction of x (n, ...) flattened, (d,), sign fixed so that
    its largest-magnitude entry is positive (PCA's sign is arbitrary; this makes it reproducible)."""
    flat = x.reshape(len(x), -1)
    centered = flat - flat.mean(0)
    _, _, vh = torch.linalg.svd(centered, full_matrices=False)  # O(n·d·min(n, d))
    p = vh[0]
    return p * torch.sign(p[p.abs().argmax()])


def projection_spectrum(x: torch.Tensor, values: torch.Tensor, freqs, direction: torch.Tensor | None = None) -> torch.Tensor:
    """Return Xu et al.'s (1/n)·Σ_i values_i·exp(−2πi·k·(p·x_i)) for each k in `freqs`, (K, C) complex.

    x: (n, ...) points, flattened to (n, d); values: (n, C) (or (n,), treated as C = 1);
    freqs: (K,) real frequencies in cycles per unit of p·x; direction p: (d,) (normalized
    here), default the first principal direction of x. Cost O(n·d + n·K·C).
    """
    flat = x.reshape(len(x), -1)
    if values.shape[0] != len(flat):
        raise ValueError(f"values have {values.shape[0]} rows but x has {len(flat)}; pass one value row per point.")
    values = values.reshape(len(flat), -1)  # (n, C)
    p = principal_direction(flat) if direction is None else direction.reshape(-1).to(flat.dtype)
    if p.numel() != flat.shape[1]:
        raise ValueError(f"direction has {p.numel()} entries but points have d={flat.shape[1]}; pass a (d,) direction.")
    t = flat @ (p / p.norm())  # (n,) coordinates along p
    freqs = torch.as_tensor(freqs, dtype=t.dtype, device=t.device).reshape(-1)  # (K,)
    phase = torch.exp(-2j * torch.pi * freqs[:, None] * t[None, :])  # (K, n)
    return phase @ values.to(phase.dtype) / len(flat)  # (K, C)


def line_path_points(x: torch.Tensor, directions: torch.Tensor, num_steps: int = 128, length: float = 1.0) -> torch.Tensor:
    """Return x_i + s·d_i for s = −L/2 + L·j/S (j = 0..S−1), shape (n, S, ...) (Zhang et al. use L = 1, S = 128).

    x, directions: (n, ...) of the same shape (directions are used as given; pass unit vectors).
    """
    if x.shape != directions.shape:
        raise ValueError(f"x {tuple(x.shape)} and directions {tuple(directions.shape)} must have the same shape.")
    s = length * (torch.arange(num_steps, dtype=x.dtype, device=x.device) / num_steps - 0.5)  # (S,)
    shape = (1, num_steps) + (1,) * (x.ndim - 1)
    return x.unsqueeze(1) + s.reshape(shape) * directions.unsqueeze(1)  # (n, S, ...)


def path_power(values: torch.Tensor) -> torch.Tensor:
    """Return |rfft(values)/S|² along the path axis averaged over paths and outputs, (S//2 + 1,).

    values: (n, S, C) outputs at S equally spaced steps along each of n paths (or (n, S)).
    Bin m is m cycles per path; a·sin(2πm·j/S) contributes a²/4 at bin m (0 < m < S/2).
    """
    values = values.reshape(values.shape[0], values.shape[1], -1)  # (n, S, C)
    spectrum = torch.fft.rfft(values, dim=1) / values.shape[1]  # (n, S//2+1, C)
    return spectrum.abs().pow(2).mean(dim=(0, 2))

