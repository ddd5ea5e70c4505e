"""Basri et al. (2019): pure harmonics on the circle S¹ and the sphere S² (inputs on the unit sphere).

Circle: y = sin(kθ) at x = (cos θ, sin θ), θ on the periodic grid θ_j = 2πj/n (n = 1001) or drawn
uniformly; y is rescaled to ‖y‖ = 1 over the training set, as in the paper. Sphere: y = Y_k^m(x),
a real spherical harmonic of degree k, at n points drawn uniformly on S² (normalized Gaussians).
Source: docs/references.md §12.
"""

from __future__ import annotations

import math

import torch

from ibias.probe_set import ProbeSet

from .base import TensorRegressionDataModule, check_positive_int, generator


def real_spherical_harmonic(points: torch.Tensor, degree: int, order: int) -> torch.Tensor:
    """Return the real, orthonormal Y_l^m (∫_{S²} Y² dΩ = 1, no Condon–Shortley sign) at unit points (N, 3) -> (N,).

    m > 0: √2·N_l^m P_l^m(cos θ) cos(mφ); m = 0: N_l^0 P_l(cos θ); m < 0: √2·N_l^|m| P_l^|m|(cos θ) sin(|m|φ).
    Computed in float64 by the normalized associated-Legendre recurrence (stable for large l).
    """
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"points must have shape (N, 3), got {tuple(points.shape)}")
    if not (isinstance(degree, int) and degree >= 0 and abs(order) <= degree):
        raise ValueError(f"degree={degree!r}, order={order!r}: need an integer degree >= 0 and |order| <= degree")
    p = points.double()
    z = p[:, 2].clamp(-1.0, 1.0)  # cos θ
    s = torch.sqrt((1 - z * z).clamp_min(0.0))  # sin θ
    azimuth = torch.atan2(p[:, 1], p[:, 0])
    m = abs(order)
    # P̄_m^m = sqrt((2m+1)/(4π) · Π_{i≤m} (2i−1)/(2i)) · sin^m θ, then upward in l.
    ratio = math.prod((2 * i - 1) / (2 * i) for i in range(1, m + 1))
    prev2, prev = None, math.sqrt((2 * m + 1) / (4 * math.pi) * ratio) * s**m
    for ell in range(m + 1, degree + 1):
        a = math.sqrt((4 * ell * ell - 1) / (ell * ell - m * m))
        b = math.sqrt(((ell - 1) ** 2 - m * m) / (4 * (ell - 1) ** 2 - 1))
        prev2, prev = prev, a * (z * prev - (b * prev2 if prev2 is not None else 0.0))
    if order > 0:
        return math.sqrt(2) * prev * torch.cos(m * azimuth)
    if order < 0:
        return math.sqrt(2) * prev * torch.sin(m * azimuth)
    return prev


def uniform_sphere(num_points: int, dim: int, gen: torch.Generator) -> torch.Tensor:
    """Return `num_points` points uniform on the unit sphere in R^dim (normalized Gaussians): (N, dim) float64."""
    g = torch.randn(num_points, dim, generator=gen, dtype=torch.float64)
    return g / g.norm(dim=1, keepdim=True)


class CircleDataModule(TensorRegressionDataModule):
    """sin(kθ) on S¹: inputs (cos θ, sin θ) (n, 2), targets (n, 1) with ‖y_train‖ = 1 when `normalize`."""

    def __init__(
        self, num_points: int = 1001, k: int = 8, random_points: bool = False, normalize: bool = True,
        batch_size: int | None = None, seed: int = 0, steps_per_epoch: int = 1,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed, steps_per_epoch=steps_per_epoch)
        self.num_points = check_positive_int("num_points", num_points, 3)
        self.k = check_positive_int("k", k)
        if 2 * self.k >= self.num_points:
            raise ValueError(f"k={k} must be below num_points/2 = {num_points / 2:g} (Nyquist); raise data.num_points")
        self.input_shape = (2,)
        self.grid = 2 * torch.pi * torch.arange(num_points, dtype=torch.float64) / num_points  # (n,) θ
        theta = self.grid
        if random_points:
            theta = 2 * torch.pi * torch.rand(self.num_points, generator=generator(seed), dtype=torch.float64)
        raw = torch.sin(self.k * theta)
        self.scale = float(1 / raw.norm()) if normalize else 1.0  # = sqrt(2/n) on the grid
        self.train = self._xy(theta)
        self.val = self.test = self._xy(self.grid + torch.pi / num_points)

    def target(self, theta: torch.Tensor) -> torch.Tensor:
        """Return scale·sin(kθ) (float64, shape of theta)."""
        return self.scale * torch.sin(self.k * theta.double())

    def _xy(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)
        return x.float(), self.target(theta).float().unsqueeze(1)  # (n, 2), (n, 1)

    def probe_set(self) -> ProbeSet:
        """Return the uniform θ grid with targets, grid_freqs = [k] and amplitude `scale`."""
        x, y = self._xy(self.grid)
        return ProbeSet(inputs=x, targets=y, grid_freqs=torch.tensor([self.k]),
                        target_amplitudes=torch.tensor([self.scale], dtype=torch.float32))


class SphereHarmonicDataModule(TensorRegressionDataModule):
    """Real spherical harmonic Y_k^m on S²: inputs (n, 3) uniform on the sphere, targets (n, 1).

    With `normalize`, targets are rescaled so ‖y_train‖ = 1 (Basri's convention); otherwise they are the
    orthonormal Y_k^m values. Validation/test: fresh uniform points from the same seed (another stream).
    """

    def __init__(
        self, num_points: int = 1001, k: int = 4, order: int = 0, normalize: bool = True, num_val: int = 1000,
        batch_size: int | None = None, seed: int = 0, steps_per_epoch: int = 1,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed, steps_per_epoch=steps_per_epoch)
        self.num_points = check_positive_int("num_points", num_points)
        self.k = check_positive_int("k", k, 0)
        if not (isinstance(order, int) and abs(order) <= self.k):
            raise ValueError(f"order={order!r} must be an integer with |order| <= k={k}")
        self.order = order
        self.input_shape = (3,)
        x_train = uniform_sphere(self.num_points, 3, generator(seed, 0))
        x_val = uniform_sphere(check_positive_int("num_val", num_val), 3, generator(seed, 1))
        raw = real_spherical_harmonic(x_train, self.k, order)
        self.scale = float(1 / raw.norm()) if normalize else 1.0
        self.train = (x_train.float(), (self.scale * raw).float().unsqueeze(1))
        self.val = self.test = (x_val.float(), self.target(x_val).float().unsqueeze(1))

    def target(self, points: torch.Tensor) -> torch.Tensor:
        """Return scale·Y_k^m at unit points (N, 3) -> (N,) float64: the ground truth."""
        return self.scale * real_spherical_harmonic(points, self.k, self.order)
