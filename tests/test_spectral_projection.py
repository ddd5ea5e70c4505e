"""Xu et al.'s projection spectrum and Zhang et al.'s line-path power against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ibias.measures.spectral import line_path_points, path_power, principal_direction, projection_spectrum


def plane_wave_data(n=400, d=6, k0=7, amplitude=1.5, phase=0.4, noise=0.0, seed=0):
    """Points whose coordinate along a known unit p is the periodic grid j/n, values A·cos(2πk0 p·x + φ)."""
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(d, generator=g, dtype=torch.float64)
    p /= p.norm()
    t = torch.arange(n, dtype=torch.float64) / n  # (n,) exact grid along p
    other = noise * torch.randn(n, d, generator=g, dtype=torch.float64)
    other -= (other @ p)[:, None] * p  # orthogonal to p, so p·x = t exactly
    x = t[:, None] * p + other  # (n, d)
    y = amplitude * torch.cos(2 * math.pi * k0 * t + phase)[:, None]  # (n, 1)
    return x, y, p


def test_plane_wave_along_a_known_direction_gives_its_frequency_and_amplitude():
    x, y, p = plane_wave_data()
    coeffs = projection_spectrum(x, y, torch.arange(0, 20), direction=p)  # (20, 1)
    # cos = (e^{iθ} + e^{−iθ})/2 on an exact periodic grid: A/2·e^{iφ} at k0, 0 at other integers < n/2.
    expected = torch.zeros(20, dtype=torch.complex128)
    expected[7] = 1.5 / 2 * np.exp(1j * 0.4)
    assert torch.allclose(coeffs[:, 0], expected, atol=1e-12)


def test_default_direction_is_the_first_principal_direction():
    x, y, p = plane_wave_data(noise=0.01)
    found = principal_direction(x)
    # Independent: the top eigenvector of the numpy covariance matrix.
    w, v = np.linalg.eigh(np.cov(x.numpy().T))
    top = v[:, -1]
    assert abs(float(found.norm()) - 1) < 1e-12
    assert abs(abs(float(found.numpy() @ top)) - 1) < 1e-10
    assert abs(abs(float(found @ p)) - 1) < 1e-3
    scan = torch.linspace(0, 12, 241)
    magnitude = projection_spectrum(x, y, scan).abs()[:, 0]
    assert float(scan[magnitude.argmax()]) == pytest.approx(7.0)
    assert float(magnitude.max()) == pytest.approx(0.75, rel=1e-3)


def test_batched_outputs_and_bad_shapes():
    x, y, p = plane_wave_data()
    values = torch.cat([y, 2 * y, torch.ones_like(y)], dim=1)  # (n, 3)
    coeffs = projection_spectrum(x, values, [0, 7], direction=p)
    assert coeffs.shape == (2, 3)
    assert torch.allclose(coeffs[1, 1], 2 * coeffs[1, 0]) and abs(complex(coeffs[0, 2]) - 1) < 1e-12
    with pytest.raises(ValueError, match="direction has 3 entries"):
        projection_spectrum(x, y, [1], direction=torch.ones(3))
    with pytest.raises(ValueError, match="one value row per point"):
        projection_spectrum(x, y[:10], [1])


def test_line_path_points_and_power_of_a_sine_along_the_path():
    x = torch.randn(5, 3, 4)
    d = torch.randn(5, 3, 4)
    pts = line_path_points(x, d, num_steps=8, length=1.0)
    assert pts.shape == (5, 8, 3, 4)
    assert torch.allclose(pts[:, 0], x - 0.5 * d) and torch.allclose(pts[:, 4], x)  # s = −0.5 … 0.375
    s = torch.arange(128, dtype=torch.float64) / 128
    values = torch.stack([3.0 * torch.sin(2 * math.pi * 5 * s) + 0.5, 1.0 * torch.cos(2 * math.pi * 9 * s)], dim=1)
    power = path_power(values[None].repeat(4, 1, 1))  # (65,) averaged over 4 paths and 2 outputs
    expected = torch.zeros(65, dtype=torch.float64)
    expected[0], expected[5], expected[9] = 0.25 / 2, 9 / 4 / 2, 1 / 4 / 2
    assert power.shape == (65,) and torch.allclose(power, expected, atol=1e-12)
