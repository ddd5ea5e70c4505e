"""Image spectra: radial low/high-pass, Yin et al.'s Fourier basis, radial power, against closed forms and numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ibias.measures.image_spectral import (
    fourier_basis,
    fourier_perturb,
    frequency_radius,
    heatmap_frequencies,
    high_pass,
    low_pass,
    radial_power,
)


def cosine(h, w, u, v):
    """A cosine of integer frequency (u, v), written out with numpy."""
    y, x = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return np.cos(2 * np.pi * (u * y / h + v * x / w))


@pytest.mark.parametrize("radius", [0.0, 1.0, 4.0, 100.0])
def test_low_pass_of_a_constant_image_is_itself_and_its_high_pass_is_zero(radius):
    images = torch.full((2, 3, 8, 10), 0.3).mul(torch.tensor([1.0, 2.0, 3.0])[None, :, None, None])
    assert torch.allclose(low_pass(images, radius), images, atol=1e-6)
    assert torch.allclose(high_pass(images, radius), torch.zeros_like(images), atol=1e-6)


def test_a_cosine_passes_low_pass_exactly_when_its_radius_is_within():
    image = torch.tensor(cosine(16, 16, 3, 4))  # radius 5
    assert torch.allclose(low_pass(image, 5.0), image, atol=1e-12)
    assert torch.allclose(low_pass(image, 4.9), torch.zeros_like(image), atol=1e-12)
    assert torch.allclose(high_pass(image, 4.9), image, atol=1e-12)
    mixed = image + torch.tensor(cosine(16, 16, 1, 0))  # radii 5 and 1
    assert torch.allclose(low_pass(mixed, 2.0), torch.tensor(cosine(16, 16, 1, 0)), atol=1e-12)


def test_frequency_radius_is_integer_frequency_distance():
    r = frequency_radius(8, 6)
    assert r.shape == (8, 6)
    assert float(r[0, 0]) == 0 and float(r[3, 0]) == 3 and float(r[-3, 0]) == 3 and float(r[4, 3]) == 5  # (−4, −3)


@pytest.mark.parametrize("u,v", [(0, 0), (1, 0), (0, 5), (3, -2), (-7, 7), (16, 0)])
def test_heatmap_basis_images_have_unit_norm_and_the_frequency_they_claim(u, v):
    basis = fourier_basis(32, 32, u, v, dtype=torch.float64)
    assert float(basis.norm()) == pytest.approx(1.0, abs=1e-12)
    spectrum = np.abs(np.fft.fft2(basis.numpy()))
    support = {tuple(ij) for ij in np.argwhere(spectrum > 1e-9)}
    assert support == {(u % 32, v % 32), (-u % 32, -v % 32)}
    expected = cosine(32, 32, u, v)
    assert np.allclose(basis.numpy(), expected / np.linalg.norm(expected), atol=1e-12)


def test_heatmap_frequencies_cover_the_map_once_up_to_sign():
    pairs = heatmap_frequencies(3)
    assert len(pairs) == 7 * 7 // 2 + 1 and len(set(pairs)) == len(pairs)
    assert {p for p in pairs} | {(-u, -v) for u, v in pairs} == {(u, v) for u in range(-3, 4) for v in range(-3, 4)}


def test_fourier_perturbation_adds_signed_eps_basis_and_clips():
    images = torch.full((2, 3, 8, 8), 0.5)
    basis = fourier_basis(8, 8, 1, 2)
    signs = torch.tensor([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])
    small = fourier_perturb(images, basis, 0.5, signs)  # |0.5·U| ≤ 0.5·(1/√32) < 0.5: no clipping
    assert torch.allclose(small - images, 0.5 * signs[..., None, None] * basis, atol=1e-7)
    for i in range(2):
        for c in range(3):
            assert float((small[i, c] - images[i, c]).norm()) == pytest.approx(0.5, rel=1e-5)  # norm ε per channel
    big = fourier_perturb(images, basis, 100.0, signs)
    assert float(big.min()) == 0.0 and float(big.max()) == 1.0


def test_radial_power_equals_a_numpy_ring_average():
    rng = np.random.default_rng(1)
    images = rng.normal(size=(4, 2, 8, 8))
    got = radial_power(torch.tensor(images)).numpy()
    power = (np.abs(np.fft.fft2(images)) ** 2 / 64).reshape(-1, 8, 8).mean(0)
    rings: dict[int, list[float]] = {}
    for a in range(8):
        for b in range(8):
            u, v = (a + 4) % 8 - 4, (b + 4) % 8 - 4
            rings.setdefault(int(round(math.hypot(u, v))), []).append(power[a, b])
    expected = np.array([np.mean(rings[r]) for r in range(max(rings) + 1)])
    assert got.shape == (7,) and np.allclose(got, expected, rtol=1e-12)  # rings 0..round(√32) = 6
