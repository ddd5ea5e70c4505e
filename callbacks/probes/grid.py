"""Per-frequency amplitude of a 1-D model's predictions on its periodic grid (Rahaman et al.).

Source: docs/references.md §6.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from ibias.analysis.records import Axis, Heatmap, ProbeRecord, Series
from ibias.measures.spectral import grid_coefficients
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe

FREQUENCY = Axis("frequency", "cycles per grid period")
NEGLIGIBLE = 1e-6  # a target amplitude at most this fraction of the largest one counts as none (0/0 ahead)


class GridProbe(Probe):
    """Logs amp_kXX = |f̂(k)|/A_k (1.0 is a perfect fit) and relerr_kXX = |f̂(k) − ŷ(k)|/|ŷ(k)|.

    Needs a ProbeSet on the periodic grid t_j = j/N with `grid_freqs` and `target_amplitudes`;
    relerr_kXX is logged when the ProbeSet also has `targets` (N, 1), ŷ being their spectrum.
    A frequency whose target amplitude is ~0 (A_k or |ŷ(k)| at most 1e-6 of the largest) has no
    meaningful ratio: it is logged as NaN there, with a warning at set-up.
    Cost per call: one forward pass over N points and one FFT.
    """

    name = "grid"

    def setup(self, probe_set: ProbeSet) -> None:
        if probe_set.grid_freqs is None:
            raise ValueError(
                "GridProbe needs a ProbeSet with grid_freqs (a periodic 1-D grid); this probe set "
                "has none. Use a grid datamodule (data=sinusoids_1d, circle, manifold), another analysis "
                "(callbacks=filtering, matrix or none), or pass "
                "ProbeSet(inputs=grid, targets=y, grid_freqs=..., target_amplitudes=...)."
            )
        super().setup(probe_set)
        self.freqs = probe_set.grid_freqs.long()
        self.amplitudes = probe_set.target_amplitudes.double()
        self.amp_missing = negligible(self.amplitudes.abs())  # (K,) bool: A_k ~ 0
        width = len(str(int(self.freqs.max())))
        tag = lambda k: f"k{int(k):0{width}d}"
        ks = [int(k) for k in self.freqs]
        self.amp = Series.along("amp", "|f̂(k)| / A_k", FREQUENCY, ks, tag, value_range=(0.0, 1.0))
        self.target_coeffs = None
        self.relerr = None
        if probe_set.targets is not None:
            target = probe_set.targets.reshape(len(probe_set.targets), -1)[:, 0]  # (N,) first output
            self.target_coeffs = grid_coefficients(target.double(), self.freqs)
            self.relerr_missing = negligible(self.target_coeffs.abs())  # (K,) bool: ŷ(k) ~ 0
            self.relerr = Series.along("relerr", "|f̂(k) − ŷ(k)| / |ŷ(k)|", FREQUENCY, ks, tag)
        missing = self.amp_missing if self.relerr is None else self.amp_missing | self.relerr_missing
        if missing.any():
            warnings.warn(f"GridProbe: the target has (almost) no amplitude at k = {self.freqs[missing].tolist()} "
                          f"(at most {NEGLIGIBLE:g} of its largest); amp and relerr are logged as NaN there, "
                          "not as a ratio to ~0.", stacklevel=2)

    def record(self) -> ProbeRecord:
        return ProbeRecord(
            self.name, series=tuple(s for s in (self.amp, self.relerr) if s is not None),
            heatmap=Heatmap(FREQUENCY, tuple(str(int(k)) for k in self.amp.coords),
                            self.amp.label, (0.0, 1.0), series="amp"),
        )

    @torch.no_grad()
    def measure(self, module: nn.Module) -> Measurement:
        pred = self.probe_set.predict(module)  # (N, C)
        coeffs = grid_coefficients(pred.reshape(len(pred), -1)[:, 0].double(), self.freqs)  # (K,)
        normalized = (coeffs.abs() / self.amplitudes).masked_fill(self.amp_missing, float("nan")).float()
        scalars = self.amp.scalars(normalized.tolist())
        if self.relerr is not None:
            relerr = (coeffs - self.target_coeffs).abs() / self.target_coeffs.abs()
            relerr = relerr.masked_fill(self.relerr_missing, float("nan"))
            scalars.update(self.relerr.scalars(relerr.tolist()))
        return Measurement(scalars=scalars, row=normalized)


def negligible(amplitudes: torch.Tensor) -> torch.Tensor:
    """Return a bool mask of the amplitudes (K,) at most NEGLIGIBLE times the largest (all of them if every one is 0)."""
    return amplitudes <= NEGLIGIBLE * amplitudes.max().clamp_min(torch.finfo(amplitudes.dtype).tiny)
