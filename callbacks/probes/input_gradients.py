"""Radially averaged power spectrum of the model's input gradients (Wang et al. 2020).

Source: docs/references.md §15.
"""

from __future__ import annotations

import torch
from torch import nn

from ibias.analysis.records import Axis, Heatmap, ProbeRecord, Series
from ibias.measures.image_spectral import radial_power
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe
from .outputs import subset_indices

RADIUS = Axis("radius", "cycles per image")


class InputGradientProbe(Probe):
    """Logs gradpow_rNN: the power |fft2(∂f/∂x, ortho)|² averaged over images, channels and the ring of radius NN.

    f is the target class's logit for classification (the predicted class's without targets), the
    sum of the outputs for regression; x is the raw image (before input_transform). For a linear
    model f(x) = ⟨w, x⟩ this is the radial power spectrum of w. Heat map: log10 power per radius.
    Cost knobs: `subset` (n images), cadence. Per call: n forward and backward passes.
    """

    name = "input_gradients"

    def __init__(self, subset: int | None = 256, seed: int = 0, batch_size: int = 256) -> None:
        self.subset, self.seed, self.batch_size = subset, seed, batch_size

    def setup(self, probe_set: ProbeSet) -> None:
        if probe_set.inputs.ndim != 4:
            raise ValueError(f"InputGradientProbe needs image inputs (n, C, H, W); got {tuple(probe_set.inputs.shape)}.")
        super().setup(probe_set)
        index = subset_indices(len(probe_set.inputs), self.subset, self.seed, probe_set.inputs.device)
        images = probe_set.inputs[index]
        self.images = images if images.is_floating_point() else images.float()  # keep float64 probes exact
        self.labels = None
        if probe_set.num_classes is not None and probe_set.targets is not None:
            self.labels = probe_set.targets[index].long().reshape(-1)
        h, w = self.images.shape[-2:]
        bins = int(radial_power(torch.zeros(1, h, w)).numel())
        width = len(str(bins - 1))
        self.power = Series.along("gradpow", "power of the input gradient", RADIUS, range(bins), lambda r: f"r{int(r):0{width}d}")

    def record(self) -> ProbeRecord:
        rows = tuple(str(int(r)) for r in self.power.coords)
        return ProbeRecord(self.name, series=(self.power,), heatmap=Heatmap(RADIUS, rows, "log10 power of the input gradient"))

    def gradients(self, module: nn.Module) -> torch.Tensor:
        """Return ∂f/∂x for the probe images, (n, C, H, W)."""
        grads = []
        with torch.enable_grad():  # the callback may run under no_grad; we differentiate w.r.t. inputs only
            for i in range(0, len(self.images), self.batch_size):
                x = self.images[i : i + self.batch_size].detach().requires_grad_(True)
                out = self.probe_set.predict(module, x)  # (b, K)
                if self.probe_set.num_classes is None:
                    chosen = out.sum()
                else:
                    labels = self.labels[i : i + self.batch_size] if self.labels is not None else out.argmax(-1)
                    chosen = out.gather(1, labels[:, None]).sum()
                grads.append(torch.autograd.grad(chosen, x)[0])
        return torch.cat(grads)

    def measure(self, module: nn.Module) -> Measurement:
        power = radial_power(self.gradients(module).double())  # (R,)
        return Measurement(scalars=self.power.scalars(power.tolist()), row=power.clamp_min(1e-30).log10().float().cpu())
