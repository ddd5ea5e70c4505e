"""Yin et al.'s Fourier heat map: error rate under a unit-norm Fourier basis perturbation of norm ε.

Source: docs/references.md §14.
"""

from __future__ import annotations

import torch
from torch import nn

from ibias.analysis.records import Axis, Image, ProbeRecord
from ibias.measures.image_spectral import fourier_basis, fourier_perturb, heatmap_frequencies
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe
from .outputs import predict_in_batches, require_classification_images, subset_indices

CENTRE = 2  # the low-frequency centre of the map: max(|u|, |v|) <= CENTRE cycles per image


class FourierHeatmapProbe(Probe):
    """Returns the (2m+1)×(2m+1) map of error rates under X̃ = clip(X + r·ε·U_{u,v}, 0, 1) as its image.

    Rows are u (vertical frequency) −m..m, columns v −m..m; U_{u,v} = U_{−u,−v}, so one of each
    pair is measured and mirrored. r = ±1 per image and channel, drawn once from `seed` (so calls
    compare). Noise goes on raw pixels in [0, 1]; input_transform (normalization) comes after.
    Logs fourier_heatmap_error (mean over the map), clean_error, and the means over the low-frequency
    centre (max(|u|, |v|) <= CENTRE) and over the outer ring (max(|u|, |v|) = m), which Yin et al.'s
    naturally trained nets tell apart (≈0.1–0.2 against 0.5–0.8, docs/references.md §14). Yin et al.: CIFAR-10 ε = 4,
    1000 test images; m = 15 gives 31×31 (the default m = (min(H, W) − 1)//2).
    Cost knobs: `subset` (n), `max_freq` (m), cadence (run it in its own SpectrumCallback with a
    sparse cadence). Per call: ((2m+1)²//2 + 2)·n forward passes (481k for m = 15, n = 1000).
    """

    name = "fourier_heatmap"

    def __init__(self, eps: float = 4.0, max_freq: int | None = None, subset: int | None = 1000, seed: int = 0,
                 batch_size: int = 1024) -> None:
        if eps < 0:
            raise ValueError(f"eps={eps} must be a non-negative L2 norm (Yin et al. use 4 for CIFAR-10).")
        self.eps, self.max_freq, self.subset, self.seed, self.batch_size = eps, max_freq, subset, seed, batch_size

    def setup(self, probe_set: ProbeSet) -> None:
        require_classification_images(probe_set, "FourierHeatmapProbe")
        super().setup(probe_set)
        h, w = probe_set.inputs.shape[-2:]
        top = (min(h, w) - 1) // 2
        m = top if self.max_freq is None else int(self.max_freq)
        if not 0 <= m <= top:
            raise ValueError(f"max_freq={self.max_freq} must be in [0, {top}] for {h}×{w} images ((min(H, W) − 1)//2).")
        self.m = m
        index = subset_indices(len(probe_set.inputs), self.subset, self.seed, probe_set.inputs.device)
        self.images, self.labels = probe_set.inputs[index].float(), probe_set.targets[index].long().reshape(-1)
        self.freqs = heatmap_frequencies(m)
        device = self.images.device
        self.bases = torch.stack([fourier_basis(h, w, u, v, device=device) for u, v in self.freqs])  # (B, H, W)
        g = torch.Generator().manual_seed(self.seed)
        shape = (len(self.freqs), len(self.images), self.images.shape[1])
        self.signs = (torch.randint(0, 2, shape, generator=g) * 2 - 1).float().to(device)  # (B, n, C)

    def record(self) -> ProbeRecord:
        labels = tuple(str(u) for u in range(-self.m, self.m + 1))
        return ProbeRecord(
            self.name,
            scalars={"fourier_heatmap_error": f"error rate under Fourier noise of norm {self.eps:g}, mean over the map",
                     "clean_error": "error rate without noise",
                     "centre_error": f"mean error rate over max(|u|, |v|) <= {min(CENTRE, self.m)} (low frequencies)",
                     "ring_error": f"mean error rate over max(|u|, |v|) = {self.m} (the outer ring)"},
            image=Image(Axis("vertical frequency u", "cycles per image"), Axis("horizontal frequency v", "cycles per image"),
                        labels, labels, "error rate", (0.0, 1.0)),
        )

    def _error(self, module: nn.Module, images: torch.Tensor) -> float:
        pred = predict_in_batches(self.probe_set, module, images, self.batch_size).argmax(-1)
        return float((pred != self.labels).float().mean())

    @torch.no_grad()
    def measure(self, module: nn.Module) -> Measurement:
        m = self.m
        heat = torch.empty(2 * m + 1, 2 * m + 1)
        for (u, v), basis, signs in zip(self.freqs, self.bases, self.signs):
            error = self._error(module, fourier_perturb(self.images, basis, self.eps, signs))
            heat[u + m, v + m] = heat[-u + m, -v + m] = error
        u, v = torch.meshgrid(torch.arange(-m, m + 1), torch.arange(-m, m + 1), indexing="ij")
        radius = torch.maximum(u.abs(), v.abs())  # (2m+1, 2m+1) the square "ring" index
        scalars = {"fourier_heatmap_error": float(heat.mean()), "clean_error": self._error(module, self.images),
                   "centre_error": float(heat[radius <= CENTRE].mean()), "ring_error": float(heat[radius == m].mean())}
        return Measurement(scalars=scalars, image=heat)
