"""Rahaman et al. (2019) §4: a sum of sinusoids along a 2-D "flower" curve.

The curve is γ(φ) = R(φ)·(cos φ, sin φ), R(φ) = 1 + a·sin(Lφ) (L = 10 petals, a = 0.5), sampled
at φ_j = 2πj/N (N = 1000). The target is a function of the curve parameter only,
f(φ) = Σ_i A_i sin(k_i φ + 2π ψ_i), ψ_i ~ U(0, 1) from `seed`, with k_i = 20, 40, ..., 200 by
default. Because the samples are ordered by φ on a periodic grid, the spectrum along the curve is
the grid spectrum of the predictions (GridProbe works as in 1-D). Training set = the grid (full
batch, as in the paper); validation = the midpoints φ = 2π(j + ½)/N.
Source: docs/references.md §8.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ibias.probe_set import ProbeSet

from .base import TensorRegressionDataModule, check_positive_int
from .sinusoids import sinusoid_amplitudes


def sum_of_sinusoids(t: torch.Tensor, freqs: Sequence[int], amplitudes, phases) -> torch.Tensor:
    """Return Σ_i A_i sin(2π(k_i t + ψ_i)) for t of any shape (float64, same shape as t)."""
    k = torch.as_tensor(np.asarray(freqs, dtype=float), dtype=torch.float64)
    a = torch.as_tensor(np.asarray(amplitudes, dtype=float), dtype=torch.float64)
    psi = torch.as_tensor(np.asarray(phases, dtype=float), dtype=torch.float64)
    return (a * torch.sin(2 * torch.pi * (k * t.double().unsqueeze(-1) + psi))).sum(-1)


def flower_curve(phi: torch.Tensor, petals: int, petal_depth: float) -> torch.Tensor:
    """Return the points R(φ)·(cos φ, sin φ), R = 1 + petal_depth·sin(petals·φ): (N,) -> (N, 2) float64."""
    radius = 1 + petal_depth * torch.sin(petals * phi.double())
    return torch.stack([radius * torch.cos(phi.double()), radius * torch.sin(phi.double())], dim=-1)


class ManifoldCurveDataModule(TensorRegressionDataModule):
    """Regression on the flower curve in R²: inputs (N, 2), targets (N, 1), sinusoids in φ."""

    def __init__(
        self,
        num_points: int = 1000,
        freqs: Sequence[int] = tuple(range(20, 201, 20)),
        amplitudes: str | Sequence[float] = "equal",
        petals: int = 10,
        petal_depth: float = 0.5,
        seed: int = 0,
        steps_per_epoch: int = 1,
    ) -> None:
        super().__init__(batch_size=None, seed=seed, steps_per_epoch=steps_per_epoch)
        num_points = check_positive_int("num_points", num_points, 3)
        petals = check_positive_int("petals", petals, 0)
        freqs = [int(k) for k in freqs]
        if not freqs or min(freqs) < 1 or 2 * max(freqs) >= num_points:
            raise ValueError(
                f"freqs={freqs} must be integers in [1, num_points/2) = [1, {num_points / 2:g}); "
                "raise data.num_points or lower the frequencies"
            )
        if not 0 <= petal_depth < 1:
            raise ValueError(f"petal_depth={petal_depth!r} must be in [0, 1) so that the radius 1 + depth·sin stays > 0")
        self.num_points, self.freqs, self.petals, self.petal_depth = num_points, freqs, petals, float(petal_depth)
        self.amplitudes = sinusoid_amplitudes(amplitudes, len(freqs))
        self.phases = np.random.default_rng(seed).uniform(0.0, 1.0, len(freqs))
        self.input_shape = (2,)
        self.grid = torch.arange(num_points, dtype=torch.float64) / num_points  # t = φ/2π
        self.train = self._xy(self.grid)
        self.val = self.test = self._xy(self.grid + 0.5 / num_points)

    def target(self, t: torch.Tensor) -> torch.Tensor:
        """Return f at curve parameter t = φ/2π (any shape, float64)."""
        return sum_of_sinusoids(t, self.freqs, self.amplitudes, self.phases)

    def _xy(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = flower_curve(2 * torch.pi * t, self.petals, self.petal_depth)
        return x.float(), self.target(t).float().unsqueeze(1)  # (N, 2), (N, 1)

    def probe_set(self) -> ProbeSet:
        """Return the curve grid (ordered by φ) with targets, frequencies and true amplitudes."""
        x, y = self.train
        return ProbeSet(inputs=x, targets=y, grid_freqs=torch.tensor(self.freqs),
                        target_amplitudes=torch.tensor(self.amplitudes, dtype=torch.float32))
