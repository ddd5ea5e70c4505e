"""Zhang et al.'s line-path spectrum: power of the model's outputs along random segments through probe points.

Source: docs/references.md §13.
"""

from __future__ import annotations

import torch
from torch import nn

from ibias.analysis.records import Axis, Heatmap, ProbeRecord, Series
from ibias.measures.spectral import line_path_points, path_power
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe
from .outputs import subset_indices

CYCLES = Axis("frequency along the path", "cycles per path")


class LinePathProbe(Probe):
    """Logs power_fNN: |rfft(outputs along x + s·d)/S|² averaged over paths and outputs, per bin NN.

    Paths: s ∈ [−L/2, L/2) in S steps through `num_paths` probe points, each along its own random
    unit direction d (in raw input units, before input_transform), drawn once from `seed` so every
    call measures the same paths. Outputs are the raw outputs (logits), as in Zhang et al. (L = 1,
    S = 128: 65 bins; 500 paths). The heat map shows log10 of the power per bin.
    Cost knobs: `num_paths`, `num_steps`, cadence. Per call: num_paths·num_steps forward passes,
    in batches of `batch_size` inputs.
    """

    name = "line_path"

    def __init__(self, num_paths: int = 500, num_steps: int = 128, length: float = 1.0, seed: int = 0,
                 batch_size: int = 4096) -> None:
        if num_steps < 2:
            raise ValueError(f"num_steps={num_steps} must be at least 2 to have a spectrum along each path.")
        self.num_paths, self.num_steps, self.length, self.seed = num_paths, num_steps, length, seed
        self.batch_size = batch_size
        width = len(str(num_steps // 2))
        self.power = Series.along("power", "power of the outputs along the path", CYCLES, range(num_steps // 2 + 1),
                                  lambda m: f"f{int(m):0{width}d}")

    def record(self) -> ProbeRecord:
        rows = tuple(str(int(m)) for m in self.power.coords)
        return ProbeRecord(self.name, series=(self.power,), heatmap=Heatmap(CYCLES, rows, "log10 power along the path"))

    def setup(self, probe_set: ProbeSet) -> None:
        super().setup(probe_set)
        index = subset_indices(len(probe_set.inputs), self.num_paths, self.seed, probe_set.inputs.device)
        self.points = probe_set.inputs[index].float()  # (n, ...)
        g = torch.Generator().manual_seed(self.seed + 1)
        d = torch.randn(self.points.shape, generator=g)
        self.directions = (d / d.flatten(1).norm(dim=1).reshape((-1,) + (1,) * (d.ndim - 1))).to(self.points.device)

    @torch.no_grad()
    def measure(self, module: nn.Module) -> Measurement:
        paths_per_batch = max(1, self.batch_size // self.num_steps)
        outputs = []
        for i in range(0, len(self.points), paths_per_batch):
            pts = line_path_points(self.points[i : i + paths_per_batch], self.directions[i : i + paths_per_batch],
                                   self.num_steps, self.length)  # (b, S, ...)
            out = self.probe_set.predict(module, pts.flatten(0, 1))  # (b·S, C)
            outputs.append(out.reshape(pts.shape[0], self.num_steps, -1).double())
        power = path_power(torch.cat(outputs))  # (S//2+1,)
        return Measurement(scalars=self.power.scalars(power.tolist()), row=power.clamp_min(1e-30).log10().float().cpu())
