"""Per-frequency amplitude of a 1-D model's predictions on its periodic grid (Rahaman et al.)."""

from __future__ import annotations

import torch
from torch import nn

from ibias.measures.spectral import grid_coefficients
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe


class GridProbe(Probe):
    """Logs amp_kXX = |f̂(k)|/A_k (1.0 is a perfect fit) and relerr_kXX = |f̂(k) − ŷ(k)|/|ŷ(k)|.

    Needs a ProbeSet on the periodic grid t_j = j/N with `grid_freqs`; `targets` (N, 1) give
    Cost per call: one forward pass over N points and one FFT.
    """

    name = "grid"
    value_label = "|f̂(k)| / A_k"

    def setup(self, probe_set: ProbeSet) -> None:
        if probe_set.grid_freqs is None:
            raise ValueError(
                "GridProbe needs a ProbeSet with grid_freqs (a periodic 1-D grid); this probe set "
                "has none. Use a grid datamodule (data=sinusoids_1d) or pass "
                "ProbeSet(inputs=grid, targets=y, grid_freqs=..., target_amplitudes=...)."
            )
        super().setup(probe_set)
        self.freqs = probe_set.grid_freqs.long()
        self.amplitudes = probe_set.target_amplitudes.float()
        width = len(str(int(self.freqs.max())))
        self.labels = [f"k{int(k):0{width}d}" for k in self.freqs]
        self.row_labels = [str(int(k)) for k in self.freqs]
        self.value_range = (0.0, 1.0)
        self.target_coeffs = None
        if probe_set.targets is not None:
            target = probe_set.targets.reshape(len(probe_set.targets), -1)[:, 0]  # (N,) first output
            self.target_coeffs = grid_coefficients(target.double(), self.freqs)

    @torch.no_grad()
    def measure(self, module: nn.Module) -> Measurement:
        pred = self.probe_set.predict(module)  # (N, C)
        coeffs = grid_coefficients(pred.reshape(len(pred), -1)[:, 0].double(), self.freqs)  # (K,)
        normalized = (coeffs.abs() / self.amplitudes.double()).float()
        scalars = {f"amp_{lab}": float(v) for lab, v in zip(self.labels, normalized)}
        if self.target_coeffs is not None:
            relerr = (coeffs - self.target_coeffs).abs() / self.target_coeffs.abs()
            scalars.update({f"relerr_{lab}": float(v) for lab, v in zip(self.labels, relerr)})
        return Measurement(scalars=scalars, row=normalized)
