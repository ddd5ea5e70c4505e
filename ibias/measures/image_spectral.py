"""Spectral maths on images (..., H, W): radial masks, Fourier basis images, radial power spectra.

Frequencies are integers: (u, v) with u ∈ fftfreq(H)·H (cycles per image height) and v likewise
for the width; the radius of (u, v) is √(u² + v²). Wang et al. 2020 (low/high-pass accuracy,
input-gradient power) and Yin et al. 2019 (Fourier heat map) use these.
Source: docs/references.md §14–15.
"""

from __future__ import annotations

import torch


def frequency_radius(height: int, width: int, device=None) -> torch.Tensor:
    """Return √(u² + v²) for every entry of fft2's (H, W) output, in cycles per image."""
    u = torch.fft.fftfreq(height, d=1.0 / height, device=device)  # (H,) integers as floats
    v = torch.fft.fftfreq(width, d=1.0 / width, device=device)  # (W,)
    return torch.sqrt(u[:, None] ** 2 + v[None, :] ** 2)  # (H, W)


def low_pass(images: torch.Tensor, radius: float) -> torch.Tensor:
    """Return `images` (..., H, W) keeping only frequencies of radius ≤ `radius` (not clipped)."""
    mask = frequency_radius(*images.shape[-2:], device=images.device) <= radius  # (H, W)
    return torch.fft.ifft2(torch.fft.fft2(images) * mask).real.to(images.dtype)


def high_pass(images: torch.Tensor, radius: float) -> torch.Tensor:
    """Return `images` (..., H, W) keeping only frequencies of radius > `radius`: images − low_pass."""
    return images - low_pass(images, radius)


def fourier_basis(height: int, width: int, u: int, v: int, dtype=torch.float32, device=None) -> torch.Tensor:
    """Return Yin et al.'s real basis image U_{u,v} (H, W) with ‖U‖₂ = 1: a cosine of frequency (u, v).

    Its 2-D DFT is supported on (u, v) and (−u, −v) only (mod H, W).
    """
    spectrum = torch.zeros(height, width, dtype=torch.complex128, device=device)
    spectrum[u % height, v % width] = 1.0
    spectrum[(-u) % height, (-v) % width] = 1.0
    basis = torch.fft.ifft2(spectrum).real  # (H, W) a cosine, real by conjugate symmetry
    return (basis / basis.norm()).to(dtype)


def heatmap_frequencies(max_freq: int) -> list[tuple[int, int]]:
    """Return the (u, v) with |u|, |v| ≤ max_freq that a heat map measures, one of each ±pair.

    U_{u,v} = U_{−u,−v}, so the (2m+1)² map has (2m+1)²//2 + 1 distinct images; the rest mirror.
    """
    pairs = [(u, v) for u in range(-max_freq, max_freq + 1) for v in range(-max_freq, max_freq + 1)]
    return [(u, v) for u, v in pairs if (u, v) >= (-u, -v)]


def fourier_perturb(images: torch.Tensor, basis: torch.Tensor, eps: float, signs: torch.Tensor) -> torch.Tensor:
    """Return clip(X + r·ε·U, 0, 1) for images (n, C, H, W) in [0, 1], basis (H, W), signs r (n, C) of ±1."""
    return (images + eps * signs[..., None, None] * basis).clamp(0.0, 1.0)


def radial_power(images: torch.Tensor) -> torch.Tensor:
    """Return the radially averaged power |fft2(x, ortho)|² of images (..., H, W), averaged over the
    leading dims: (R,) with R = round(√((H/2)² + (W/2)²)) + 1, bin r = frequencies of radius rounding to r.

    With the orthonormal FFT, Σ over all frequencies of the power is ‖x‖² (Parseval).
    """
    h, w = images.shape[-2:]
    power = torch.fft.fft2(images, norm="ortho").abs().pow(2).reshape(-1, h, w).mean(0)  # (H, W)
    bins = frequency_radius(h, w, device=images.device).round().long().flatten()  # (H·W,)
    total = torch.zeros(int(bins.max()) + 1, dtype=power.dtype, device=power.device).index_add_(0, bins, power.flatten())
    count = torch.bincount(bins, minlength=len(total)).to(power.dtype)
    return total / count  # (R,) mean power per frequency in each ring
