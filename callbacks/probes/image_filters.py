"""Wang et al.'s probe: accuracy on low-pass and high-pass filtered images, per radius.

Source: docs/references.md §15.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ibias.analysis.records import Axis, Heatmap, ProbeRecord, Series
from ibias.measures.image_spectral import high_pass, low_pass
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe
from .outputs import predict_in_batches, require_classification_images, subset_indices

RADIUS = Axis("radius", "cycles per image")


def radius_label(radius: float) -> str:
    """Return a sortable key fragment: 4 → 'r04', 2.5 → 'r02.5' (sorts right for radii < 100)."""
    return f"r{int(radius):02d}" if radius == int(radius) else f"r{radius:04.1f}"


class ImageFilterProbe(Probe):
    """Logs acc_low_rNN and acc_high_rNN: accuracy on images keeping radius ≤ r / > r in the 2-D FFT.

    Filtering acts on raw pixels (before input_transform) and is not clipped, as in Wang et al.
    Radii are in cycles per image (a 32×32 image has radii up to ≈ 22.6). The heat map stacks the
    low-pass rows then the high-pass rows.
    Cost knobs: `subset` (n images), `radii` (R), cadence. Per call: 2·R·n forward passes and
    2·R FFT pairs of the subset.
    """

    name = "image_filters"

    def __init__(self, radii: Sequence[float] = (2, 4, 8, 12, 16), subset: int | None = 1000, seed: int = 0,
                 batch_size: int = 1024) -> None:
        self.radii = [float(r) for r in radii]
        self.subset, self.seed, self.batch_size = subset, seed, batch_size
        self.series = {part: Series.along(f"acc_{part}", f"accuracy on {part}-pass filtered images", RADIUS, self.radii,
                                          radius_label, value_range=(0.0, 1.0)) for part in ("low", "high")}

    def setup(self, probe_set: ProbeSet) -> None:
        require_classification_images(probe_set, "ImageFilterProbe")
        super().setup(probe_set)
        index = subset_indices(len(probe_set.inputs), self.subset, self.seed, probe_set.inputs.device)
        self.images, self.labels = probe_set.inputs[index].float(), probe_set.targets[index].long().reshape(-1)

    def record(self) -> ProbeRecord:
        rows = tuple(f"{part} {r:g}" for part in ("low", "high") for r in self.radii)
        return ProbeRecord(self.name, series=(self.series["low"], self.series["high"]),
                           heatmap=Heatmap(Axis("filter, radius", "cycles per image"), rows, "accuracy", (0.0, 1.0)))

    def _accuracy(self, module: nn.Module, images: torch.Tensor) -> float:
        pred = predict_in_batches(self.probe_set, module, images, self.batch_size).argmax(-1)
        return float((pred == self.labels).float().mean())

    @torch.no_grad()
    def measure(self, module: nn.Module) -> Measurement:
        low = [self._accuracy(module, low_pass(self.images, r)) for r in self.radii]
        high = [self._accuracy(module, high_pass(self.images, r)) for r in self.radii]
        scalars = {**self.series["low"].scalars(low), **self.series["high"].scalars(high)}
        return Measurement(scalars=scalars, row=torch.tensor(low + high))
