"""Spectra of a model's predictions: pure functions on tensors, no Lightning.

Conventions: a function on the periodic 1-D grid t_j = j/N (j = 0..N-1, no endpoint)
returns one-sided amplitudes, so that A·sin(2πkt + φ) has amplitude A at k (0 < k < N/2).
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
    frequencies (off-grid) leaks into its neighbours (the Dirichlet kernel): its amplitude
    at the nearest integer is then below the true one, by up to a factor 2/π at half-way.
    """
    return grid_coefficients(values, freqs).abs()
