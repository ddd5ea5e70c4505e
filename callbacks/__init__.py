"""Lightning callbacks that analyse any LightningModule whose forward is prediction."""

from .cadence import Cadence
from .probes.base import Measurement, Probe
from .probes.grid import GridProbe
from .spectrum import SpectrumCallback

__all__ = ["Cadence", "GridProbe", "Measurement", "Probe", "SpectrumCallback"]
