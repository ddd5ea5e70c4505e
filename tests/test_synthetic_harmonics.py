"""Sinusoids along the flower curve, sin(kθ) on S¹ and spherical harmonics on S², against closed forms and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from datamodules import CircleDataModule, ManifoldCurveDataModule, SphereHarmonicDataModule
from datamodules.synthetic.sphere import real_spherical_harmonic
from ibias.measures.spectral import grid_spectrum


def test_manifold_inputs_lie_on_the_flower_curve_in_phi_order():
    dm = ManifoldCurveDataModule(num_points=400, freqs=[3, 7], petals=10, petal_depth=0.5)
    x = dm.probe_set().inputs.double().numpy()  # (N, 2)
    phi = np.mod(np.arctan2(x[:, 1], x[:, 0]), 2 * np.pi)
    np.testing.assert_allclose(phi, 2 * np.pi * np.arange(400) / 400, atol=1e-6)  # the periodic grid in φ
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), 1 + 0.5 * np.sin(10 * phi), atol=1e-6)


def test_manifold_targets_have_the_stated_spectrum_along_the_curve():
    amps = [0.3, 1.0, 0.7]
    dm = ManifoldCurveDataModule(num_points=1000, freqs=[20, 100, 200], amplitudes=amps, seed=3)
    probe = dm.probe_set()
    y = probe.targets[:, 0].double()  # (N,)
    # Independent formula (numpy) for the targets: Σ A_i sin(k_i φ + 2π ψ_i).
    phi = 2 * np.pi * np.arange(1000) / 1000
    expected = sum(a * np.sin(k * phi + 2 * np.pi * p) for a, k, p in zip(amps, [20, 100, 200], dm.phases))
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(grid_spectrum(y, probe.grid_freqs).numpy(), amps, atol=1e-6)
    assert probe.target_amplitudes.tolist() == pytest.approx(amps)
    # Nothing elsewhere: all the energy (Parseval, (1/N)Σy² = Σ A²/2) sits at the stated frequencies.
    assert float(y.pow(2).mean()) == pytest.approx(sum(a * a for a in amps) / 2, rel=1e-6)


def test_circle_target_is_unit_norm_with_amplitude_sqrt_2_over_n_at_k_only():
    n, k = 1001, 8
    dm = CircleDataModule(num_points=n, k=k)
    x, y = next(iter(dm.train_dataloader()))
    assert float(y.double().norm()) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(x.double().norm(dim=1).numpy(), 1.0, atol=1e-6)
    spectrum = grid_spectrum(dm.probe_set().targets[:, 0].double(), torch.arange(n // 2 + 1))  # every frequency
    # ‖sin(kθ)‖² = n/2 on the grid, so the normalized target has one-sided amplitude √(2/n) at k.
    assert float(spectrum[k]) == pytest.approx(math.sqrt(2 / n), rel=1e-5)
    assert float(np.delete(spectrum.numpy(), k).max()) < 1e-7
    assert dm.probe_set().grid_freqs.tolist() == [k]
    assert float(dm.probe_set().target_amplitudes[0]) == pytest.approx(math.sqrt(2 / n), rel=1e-6)


def test_circle_random_points_are_seeded_and_unit_norm_on_training_set():
    a, b, c = (CircleDataModule(num_points=101, k=3, random_points=True, seed=s) for s in (1, 1, 2))
    assert torch.equal(a.train[0], b.train[0]) and not torch.equal(a.train[0], c.train[0])
    assert float(a.train[1].double().norm()) == pytest.approx(1.0, abs=1e-6)
    theta = torch.atan2(a.train[0][:, 1].double(), a.train[0][:, 0].double())
    np.testing.assert_allclose(a.train[1][:, 0].numpy(), a.scale * np.sin(3 * theta.numpy()), atol=1e-6)


def _scipy_real_harmonic(ell: int, m: int, points: np.ndarray) -> np.ndarray:
    """Real Y_l^m without the Condon–Shortley sign, from scipy's complex harmonics (which carry it)."""
    from scipy.special import sph_harm_y

    polar = np.arccos(np.clip(points[:, 2], -1, 1))
    azimuth = np.mod(np.arctan2(points[:, 1], points[:, 0]), 2 * np.pi)
    y = sph_harm_y(ell, abs(m), polar, azimuth)
    if m > 0:
        return math.sqrt(2) * (-1) ** m * y.real
    if m < 0:
        return math.sqrt(2) * (-1) ** m * y.imag
    return y.real


@pytest.mark.parametrize("ell,m", [(0, 0), (1, -1), (2, 1), (4, 0), (5, -3), (10, 7), (20, 20), (20, -13)])
def test_real_spherical_harmonic_matches_scipy(ell, m):
    g = torch.randn(500, 3, generator=torch.Generator().manual_seed(ell * 100 + m), dtype=torch.float64)
    points = g / g.norm(dim=1, keepdim=True)
    ours = real_spherical_harmonic(points, ell, m).numpy()
    np.testing.assert_allclose(ours, _scipy_real_harmonic(ell, m, points.numpy()), rtol=1e-9, atol=1e-12)


def test_real_spherical_harmonics_are_orthonormal_by_exact_quadrature():
    # Gauss–Legendre in cos θ (exact for polynomials of degree ≤ 2·q − 1) times the uniform rule in φ
    # (exact for trigonometric degree < q_phi): exact for products of harmonics of degree ≤ 4.
    q, q_phi, max_degree = 8, 17, 4
    z, wz = np.polynomial.legendre.leggauss(q)
    phi = 2 * np.pi * np.arange(q_phi) / q_phi
    zz, pp = np.meshgrid(z, phi, indexing="ij")
    s = np.sqrt(1 - zz**2)
    points = torch.tensor(np.stack([s * np.cos(pp), s * np.sin(pp), zz], -1).reshape(-1, 3))
    weights = (wz[:, None] * np.full(q_phi, 2 * np.pi / q_phi)[None, :]).reshape(-1)  # sum = 4π
    basis = np.stack([real_spherical_harmonic(points, ell, m).numpy()
                      for ell in range(max_degree + 1) for m in range(-ell, ell + 1)])  # (25, Q)
    gram = (basis * weights) @ basis.T
    np.testing.assert_allclose(gram, np.eye(len(basis)), atol=1e-12)


def test_sphere_datamodule_targets_are_the_harmonic_at_uniform_points():
    dm = SphereHarmonicDataModule(num_points=3000, k=3, order=-2, seed=5)
    x, y = dm.train
    np.testing.assert_allclose(x.double().norm(dim=1).numpy(), 1.0, atol=1e-6)
    assert float(y.double().norm()) == pytest.approx(1.0, abs=1e-6)
    expected = dm.scale * _scipy_real_harmonic(3, -2, x.double().numpy())
    np.testing.assert_allclose(y[:, 0].numpy(), expected, atol=1e-6)
    # Uniform on S²: each coordinate has mean 0 and variance 1/3; 5 standard errors.
    mean = x.double().mean(0).numpy()
    assert np.abs(mean).max() < 5 * math.sqrt(1 / 3 / 3000)
    assert np.abs(x.double().pow(2).mean(0).numpy() - 1 / 3).max() < 5 * math.sqrt(4 / 45 / 3000)  # Var(x²) = 1/5 − 1/9
    # Without normalization the targets are the orthonormal values: mean of Y² over S² is 1/(4π) (Monte Carlo, 5 SE).
    raw = SphereHarmonicDataModule(num_points=3000, k=3, order=-2, normalize=False, seed=5).train[1][:, 0].double()
    se = float(raw.pow(2).std()) / math.sqrt(3000)
    assert abs(float(raw.pow(2).mean()) - 1 / (4 * math.pi)) < 5 * se


@pytest.mark.parametrize("make,match", [
    (lambda: ManifoldCurveDataModule(num_points=100, freqs=[20, 50]), "freqs"),
    (lambda: ManifoldCurveDataModule(petal_depth=1.0), "petal_depth=1.0"),
    (lambda: CircleDataModule(num_points=10, k=5), "k=5"),
    (lambda: CircleDataModule(k=0), "k=0"),
    (lambda: SphereHarmonicDataModule(k=2, order=3), "order=3"),
    (lambda: SphereHarmonicDataModule(num_points=0), "num_points=0"),
    (lambda: CircleDataModule(batch_size=0), "batch_size=0"),
    (lambda: CircleDataModule(num_points=float("inf")), "num_points=inf"),
    (lambda: CircleDataModule(num_points="many"), "num_points='many'"),
    (lambda: real_spherical_harmonic(torch.zeros(4, 2), 1, 0), r"\(N, 3\)"),
])
def test_bad_input_names_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


class _CurveTruth(torch.nn.Module):
    """The manifold target computed from the 2-D inputs alone: φ = atan2(x₂, x₁), then f(φ/2π)."""

    def __init__(self, dm: ManifoldCurveDataModule) -> None:
        super().__init__()
        self.dm = dm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.remainder(torch.atan2(x[:, 1].double(), x[:, 0].double()), 2 * math.pi) / (2 * math.pi)
        return self.dm.target(t).float().unsqueeze(1)


def test_grid_probe_reads_the_true_amplitudes_along_the_curve():
    from callbacks import GridProbe

    dm = ManifoldCurveDataModule(num_points=500, freqs=[10, 40, 90], amplitudes="rising", seed=2)
    probe = GridProbe()
    probe.setup(dm.probe_set())
    scalars = probe.measure(_CurveTruth(dm)).scalars
    assert [scalars[f"amp_k{k:02d}"] for k in (10, 40, 90)] == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)
    assert max(scalars[f"relerr_k{k:02d}"] for k in (10, 40, 90)) < 1e-5
