"""What a spectral probe is: it prepares once from a ProbeSet, declares what it logs, then measures a model."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import torch
from torch import nn

from ibias.analysis.records import ProbeRecord
from ibias.probe_set import ProbeSet


@dataclass
class Measurement:
    """One probe's result at one time.

    scalars: logged as spectrum/<probe name>/<key>; every key is one of the probe's record().keys().
    row:     (R,) one column of the probe's heat map over training (None: no heat map).
    image:   (H, W) a picture of its own at this time (e.g. the Fourier heat map), or None.
    """

    scalars: dict[str, float] = field(default_factory=dict)
    row: torch.Tensor | None = None
    image: torch.Tensor | None = None


class Probe(abc.ABC):
    """A spectral estimator run by SpectrumCallback at its cadence.

    Subclasses set `name` (the logging prefix) and implement `record` (what each logged key means,
    its heat map's rows and its image's axes: ibias.analysis.records) and `measure`. `setup`
    receives the probe data once; do expensive precomputation there (kernels, masks), not in `measure`.
    """

    name: str = "probe"

    def setup(self, probe_set: ProbeSet) -> None:
        """Keep what `measure` needs from `probe_set` (already on the model's device)."""
        self.probe_set = probe_set

    @abc.abstractmethod
    def record(self) -> ProbeRecord:
        """Return the declaration of this probe's keys, heat map and image (valid after setup)."""

    @abc.abstractmethod
    def measure(self, module: nn.Module) -> Measurement:
        """Return this probe's measurement of `module` (called in eval mode)."""

    def state_dict(self) -> dict:
        """Return what the probe must keep across a resume (e.g. a reference from init); saved by SpectrumCallback."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what state_dict returned (called after setup when a run resumes)."""
        return None  # stateless by default
