"""Xu et al.'s filtering method as a probe: relative errors of the low and high parts per δ.

Source: docs/references.md §10.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import nn

from ibias.analysis.records import Axis, Heatmap, ProbeRecord, Series
from ibias.measures.filtering import GaussianFilters
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe
from .outputs import output_values, predict_in_batches, subset_indices, target_values

DELTA = Axis("δ (kernel variance)", "squared input units")


def delta_label(delta: float) -> str:
    """Return δ as a sortable key fragment: 2 → 'd002.0', 10 → 'd010.0' (sorts right for δ < 1000)."""
    return f"d{delta:05.1f}"


class FilterProbe(Probe):
    """Logs e_low_dXXX.X and e_high_dXXX.X (Xu et al.) per δ; its heat map is e_high per δ over training.

    Inputs are flattened as given (pass pixels in [0, 1], as Xu et al. do: the input_transform is
    applied only before the model). Classification compares softmax outputs with one-hot targets.
    A δ whose target has (almost) no high part (‖y_high‖ ≤ min_part·‖y‖, typical at small δ) is
    not logged for e_high, with a warning at set-up: its relative error would be 0/0.
    Cost knobs: `subset` (n points) and the cadence. Set-up O(n²·d + D·n²) once; memory D·n²
    floats with cache='kernels' (2.0 GB at n = 5000, D = 20), n² with cache='distances'.
    Per call: n forward passes and D products (n×n)·(n×C) (plus D·n² exponentials with 'distances').
    """

    name = "filter"

    def __init__(
        self,
        deltas: Sequence[float] = (2.0, 10.0, 50.0),
        subset: int | None = 1000,
        seed: int = 0,
        cache: str = "kernels",
        chunk_size: int = 1024,
        min_part: float = 1e-3,
        batch_size: int = 1024,
    ) -> None:
        self.deltas = [float(d) for d in deltas]
        self.subset, self.seed, self.cache, self.chunk_size = subset, seed, cache, chunk_size
        self.min_part, self.batch_size = min_part, batch_size

    def setup(self, probe_set: ProbeSet) -> None:
        super().setup(probe_set)
        self.index = subset_indices(len(probe_set.inputs), self.subset, self.seed, probe_set.inputs.device)
        self.inputs = probe_set.inputs[self.index]
        x = self.inputs.reshape(len(self.inputs), -1).float()  # (n, d) pixels as given
        self.filters = GaussianFilters(x, target_values(probe_set, self.index), self.deltas, self.chunk_size, self.cache,
                                       self.min_part)
        present = {part: [d for d, a in zip(self.deltas, getattr(self.filters, f"{part}_absent").tolist()) if not a]
                   for part in ("low", "high")}
        self.series = {part: Series.along(f"e_{part}", f"e_{part}: relative error of the {part}-frequency part", DELTA,
                                          present[part], delta_label, value_range=(0.0, 1.0)) for part in ("low", "high")}
        absent = [d for d in self.deltas if d not in present["high"]]
        if absent:
            warnings.warn(f"FilterProbe: the target has almost no high-frequency part at δ = {absent} "
                          f"(‖y_high‖ ≤ {self.min_part}·‖y‖); e_high is not logged there. Use larger δ.", stacklevel=2)

    def record(self) -> ProbeRecord:
        complete = len(self.series["high"].coords) == len(self.deltas)  # no NaN row: the series is the heat map
        return ProbeRecord(self.name, series=(self.series["low"], self.series["high"]),
                           heatmap=Heatmap(DELTA, tuple(f"{d:g}" for d in self.deltas), "e_high", (0.0, 1.0),
                                           series="e_high" if complete else None))

    @torch.no_grad()
    def measure(self, module: nn.Module) -> Measurement:
        pred = output_values(self.probe_set, predict_in_batches(self.probe_set, module, self.inputs, self.batch_size))
        errors = self.filters.errors(pred)
        scalars = {}
        for part in ("low", "high"):
            values = [v for v, absent in zip(errors[f"e_{part}"].tolist(), errors[f"{part}_absent"].tolist()) if not absent]
            scalars.update(self.series[part].scalars(values))
        return Measurement(scalars=scalars, row=errors["e_high"].float().cpu())
