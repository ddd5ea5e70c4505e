"""Xu et al.'s projection method as a probe: relative error of the prediction's spectrum along p.

Source: docs/references.md §11.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import nn

from ibias.analysis.records import Axis, Heatmap, ProbeRecord, Series
from ibias.measures.spectral import principal_direction, projection_spectrum
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe
from .outputs import output_values, predict_in_batches, subset_indices, target_values

FREQUENCY = Axis("frequency along p", "cycles per unit of p·x")


def frequency_tag(freq: float) -> str:
    """Return the key fragment of a frequency along p: 0.16953 → 'k0.1695' (4 significant digits)."""
    return f"k{freq:.4g}"


def spectrum_peaks(magnitude: torch.Tensor, count: int) -> torch.Tensor:
    """Return the indices of the `count` largest interior local maxima of `magnitude` (K,), ascending."""
    inner = (magnitude[1:-1] > magnitude[:-2]) & (magnitude[1:-1] >= magnitude[2:])
    peaks = torch.nonzero(inner).reshape(-1) + 1
    top = peaks[magnitude[peaks].argsort(descending=True)[:count]]
    return top.sort().values


class ProjectionProbe(Probe):
    """Logs relerr_k<k> = ‖ĥ(k) − ŷ(k)‖/‖ŷ(k)‖ (norm over outputs) at frequencies k along p (Xu et al.).

    p is the first principal direction of the probe inputs; k is in cycles per unit of p·x.
    `freqs` fixes the frequencies; otherwise set-up scans `num_scan` frequencies in [0, max_freq]
    (default 3/std(p·x)) and keeps the `num_peaks` largest peaks of ‖ŷ(k)‖, as Xu et al. do.
    <k> is the frequency itself to 4 significant digits (relerr_k0.1695), ascending. Classification
    compares softmax outputs with one-hot targets. Set-up warns when a chosen |ŷ(k)| is within 3x
    the sampling noise ‖y‖_F/n (e.g. MNIST-1D, n = 4000: all peaks are).
    Cost knobs: `subset` (n), the cadence. Per call: n forward passes, O(n·K·C).
    """

    name = "projection"

    def __init__(
        self,
        freqs: Sequence[float] | None = None,
        num_peaks: int = 6,
        num_scan: int = 256,
        max_freq: float | None = None,
        subset: int | None = 2000,
        seed: int = 0,
        batch_size: int = 1024,
    ) -> None:
        self.given_freqs = None if freqs is None else [float(k) for k in freqs]
        self.num_peaks, self.num_scan, self.max_freq = num_peaks, num_scan, max_freq
        self.subset, self.seed, self.batch_size = subset, seed, batch_size

    def setup(self, probe_set: ProbeSet) -> None:
        super().setup(probe_set)
        self.index = subset_indices(len(probe_set.inputs), self.subset, self.seed, probe_set.inputs.device)
        self.inputs = probe_set.inputs[self.index]
        x = self.inputs.reshape(len(self.inputs), -1).double()  # (n, d)
        self.direction = principal_direction(x)  # (d,)
        target = target_values(probe_set, self.index).double()  # (n, C)
        if self.given_freqs is not None:
            freqs = torch.tensor(self.given_freqs, dtype=torch.float64, device=x.device)
        else:
            top = self.max_freq if self.max_freq is not None else 3.0 / float((x @ self.direction).std())
            scan = torch.linspace(0.0, top, self.num_scan, dtype=torch.float64, device=x.device)
            magnitude = projection_spectrum(x, target, scan, self.direction).abs().norm(dim=1)  # (K,)
            freqs = scan[spectrum_peaks(magnitude, self.num_peaks)]
            if len(freqs) == 0:
                raise ValueError("ProjectionProbe found no peaks in the target's projected spectrum; pass freqs=[...].")
        self.freqs = freqs
        self.target_coeffs = projection_spectrum(x, target, freqs, self.direction)  # (K, C)
        # With phases spread at random, (1/n)·Σ y_i e^{−iθ_i} has RMS ‖y‖_F / n: sampling noise, not signal.
        self.noise_level = float(target.norm() / len(target))
        weak = [round(float(k), 4) for k, c in zip(freqs, self.target_coeffs.abs().norm(dim=1)) if c < 3 * self.noise_level]
        if weak:
            warnings.warn(f"ProjectionProbe: |ŷ(k)| at k = {weak} is within 3x the sampling-noise level "
                          f"{self.noise_level:.3g} of n = {len(target)} points; relative errors there measure noise. "
                          "Use more points (subset) or pass freqs=[...] with clear peaks.", stacklevel=2)
        self.relerr = Series.along("relerr", "‖ĥ(k) − ŷ(k)‖ / ‖ŷ(k)‖", FREQUENCY, freqs.tolist(), frequency_tag, (0.0, 1.0))
        if len(set(self.relerr.tags)) != len(freqs):
            raise ValueError(f"ProjectionProbe: frequencies {freqs.tolist()} are not distinct to 4 significant digits; "
                             "pass freqs=[...] further apart.")

    def record(self) -> ProbeRecord:
        rows = tuple(f"{k:.4g}" for k in self.relerr.coords)
        return ProbeRecord(self.name, series=(self.relerr,),
                           heatmap=Heatmap(FREQUENCY, rows, self.relerr.label, (0.0, 1.0), series="relerr"))

    @torch.no_grad()
    def measure(self, module: nn.Module) -> Measurement:
        pred = output_values(self.probe_set, predict_in_batches(self.probe_set, module, self.inputs, self.batch_size))
        coeffs = projection_spectrum(self.inputs.double(), pred.double(), self.freqs, self.direction)  # (K, C)
        relerr = ((coeffs - self.target_coeffs).abs().norm(dim=1) / self.target_coeffs.abs().norm(dim=1)).float()
        return Measurement(scalars=self.relerr.scalars(relerr.tolist()), row=relerr.cpu())
