"""Rahaman et al. (2019) 1-D target: a sum of sinusoids on the periodic grid t = j/N.

f(t) = Σ_i A_i sin(2π k_i t + 2π φ_i), φ_i ~ U(0, 1) drawn from `seed`. The training set is
the grid itself (full batch, as in the paper; one epoch is `steps_per_epoch` full-batch steps);
it is also the probe set, with the true amplitudes A_i as targets of the spectrum.
Validation uses the grid's midpoints.
Source: docs/references.md §6.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ibias.probe_set import ProbeSet

from .base import TensorRegressionDataModule


def sinusoid_amplitudes(kind: str | Sequence[float], num_freqs: int) -> np.ndarray:
    """Return A_i: 'equal' (all 1) or 'rising' (i/K for i = 1..K: 0.1, ..., 1.0 for K = 10)."""
    if isinstance(kind, str):
        if kind == "equal":
            return np.ones(num_freqs)
        if kind == "rising":
            return np.arange(1, num_freqs + 1) / num_freqs
        raise ValueError(f"amplitudes={kind!r} is unknown; use 'equal', 'rising' or a list of {num_freqs} numbers")
    values = np.asarray(list(kind), dtype=float)
    if values.shape != (num_freqs,) or (values <= 0).any():
        raise ValueError(f"amplitudes={list(kind)} must be {num_freqs} positive numbers, one per frequency")
    return values


class SinusoidDataModule(TensorRegressionDataModule):
    """Full-batch regression onto a sum of sinusoids; input (N, 1) in [0, 1), target (N, 1)."""

    def __init__(
        self,
        num_points: int = 200,
        freqs: Sequence[int] = (5, 10, 15, 20, 25, 30, 35, 40, 45, 50),
        amplitudes: str | Sequence[float] = "equal",
        seed: int = 0,
        steps_per_epoch: int = 100,
    ) -> None:
        super().__init__(batch_size=None, seed=seed, steps_per_epoch=steps_per_epoch)
        freqs = [int(k) for k in freqs]
        bad = [k for k in freqs if k < 1 or 2 * k >= num_points]
        if not freqs or bad:
            raise ValueError(
                f"freqs {bad or freqs} are not in [1, num_points/2) = [1, {num_points / 2:g}) (Nyquist for "
                f"num_points={num_points}); raise data.num_points or lower data.freqs"
            )
        self.num_points, self.freqs = num_points, freqs
        self.amplitudes = sinusoid_amplitudes(amplitudes, len(freqs))
        self.phases = np.random.default_rng(seed).uniform(0.0, 1.0, len(freqs))
        self.input_shape = (1,)
        self.grid = torch.arange(num_points, dtype=torch.float64) / num_points
        self.train = self._xy(self.grid)
        self.val = self.test = self._xy(self.grid + 0.5 / num_points)  # the grid's midpoints

    def target(self, t: torch.Tensor) -> torch.Tensor:
        """Return f(t) for t of any shape (float64)."""
        k = torch.tensor(self.freqs, dtype=torch.float64)
        a = torch.tensor(self.amplitudes, dtype=torch.float64)
        phi = torch.tensor(self.phases, dtype=torch.float64)
        return (a * torch.sin(2 * torch.pi * (k * t.unsqueeze(-1) + phi))).sum(-1)

    def _xy(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return t.float().unsqueeze(1), self.target(t).float().unsqueeze(1)  # (N, 1), (N, 1)

    def probe_set(self) -> ProbeSet:
        """Return the training grid with its targets, frequencies and true amplitudes."""
        x, y = self.train
        return ProbeSet(inputs=x, targets=y, grid_freqs=torch.tensor(self.freqs),
                        target_amplitudes=torch.tensor(self.amplitudes, dtype=torch.float32))
