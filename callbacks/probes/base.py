"""What a spectral probe is: it prepares once from a ProbeSet, then measures a model."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import torch
from torch import nn

from ibias.probe_set import ProbeSet


@dataclass
class Measurement:
    """One probe's result at one time.

    scalars: logged as spectrum/<probe name>/<key> (keys like "amp_k05", "e_high_d2.0").
    row:     (R,) one column of the probe's heat map over training (None: no heat map).
    image:   (H, W) a picture of its own at this time (e.g. the Fourier heat map), or None.
    """

    scalars: dict[str, float] = field(default_factory=dict)
    row: torch.Tensor | None = None
    image: torch.Tensor | None = None


class Probe(abc.ABC):
    """A spectral estimator run by SpectrumCallback at its cadence.

    Subclasses set `name` (the logging prefix), and for a heat map over training
    `row_labels` (one per row of Measurement.row), `row_axis` and `value_range` ((lo, hi) or None
    for automatic colours); a probe that returns Measurement.image labels it with the image_*
    fields. `setup` receives the probe data once; do expensive precomputation there (kernels,
    masks), not in `measure`.
    """

    name: str = "probe"
    row_labels: list[str] = []  # subclasses assign their own list
    row_axis: str = "frequency"
    value_label: str = "value"
    value_range: tuple[float, float] | None = None
    # For a probe whose Measurement.image is a picture of its own (rows x columns):
    image_row_labels: list[str] | None = None  # None: 0, 1, ...
    image_col_labels: list[str] | None = None
    image_row_axis: str = "row"
    image_col_axis: str = "column"
    image_value_label: str | None = None  # None: value_label
    image_value_range: tuple[float, float] | None = None

    def setup(self, probe_set: ProbeSet) -> None:
        """Keep what `measure` needs from `probe_set` (already on the model's device)."""
        self.probe_set = probe_set

    @abc.abstractmethod
    def measure(self, module: nn.Module) -> Measurement:
        """Return this probe's measurement of `module` (called in eval mode)."""
