"""The data an analysis callback evaluates a model on, as a datamodule hands it over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass
class ProbeSet:
    """Probe inputs, optional targets and, on a periodic 1-D grid, the frequencies to watch.

    inputs:            (n, *input_shape) points where the model is evaluated.
    targets:           (n, C) regression values, or (n,) class indices; None if unknown.
    grid_freqs:        (K,) integer frequencies, only when `inputs` is the periodic grid t = j/n.
    target_amplitudes: (K,) true one-sided amplitudes of the target at `grid_freqs`.
    num_classes:       set for classification probes (targets are class indices).
    input_transform:   applied to inputs right before the model (e.g. per-channel image
                       normalization), so probes can perturb raw inputs (pixels in [0, 1]).
    """

    inputs: torch.Tensor
    targets: torch.Tensor | None = None
    grid_freqs: torch.Tensor | None = None
    target_amplitudes: torch.Tensor | None = None
    num_classes: int | None = None
    input_transform: Callable[[torch.Tensor], torch.Tensor] | None = None

    def __post_init__(self) -> None:
        n = self.inputs.shape[0]
        if self.targets is not None and self.targets.shape[0] != n:
            raise ValueError(
                f"ProbeSet: targets have {self.targets.shape[0]} rows but inputs have {n}; "
                "pass one target per probe input."
            )
        if (self.grid_freqs is None) != (self.target_amplitudes is None):
            raise ValueError("ProbeSet: give grid_freqs and target_amplitudes together, or neither.")
        if self.grid_freqs is not None and self.grid_freqs.shape != self.target_amplitudes.shape:
            raise ValueError(
                f"ProbeSet: grid_freqs {tuple(self.grid_freqs.shape)} and target_amplitudes "
                f"{tuple(self.target_amplitudes.shape)} must have the same shape."
            )

    def predict(self, module: torch.nn.Module, inputs: torch.Tensor | None = None) -> torch.Tensor:
        """Return module(input_transform(inputs)); `inputs` defaults to the probe inputs."""
        x = self.inputs if inputs is None else inputs
        return module(self.input_transform(x) if self.input_transform is not None else x)

    def to(self, device: torch.device | str) -> ProbeSet:
        """Return a copy with every tensor on `device`."""
        move = lambda t: t.to(device) if isinstance(t, torch.Tensor) else t
        return ProbeSet(**{k: move(v) for k, v in self.__dict__.items()})
