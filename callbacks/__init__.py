"""Lightning callbacks that analyse any LightningModule whose forward is prediction."""

from .cadence import Cadence, CadencedCallback
from .end_to_end import EndToEndCallback
from .loop_timer import LoopTimer
from .probes.base import Measurement, Probe
from .probes.filtering import FilterProbe
from .probes.fourier_heatmap import FourierHeatmapProbe
from .probes.grid import GridProbe
from .probes.image_filters import ImageFilterProbe
from .probes.input_gradients import InputGradientProbe
from .probes.line_path import LinePathProbe
from .probes.ntk import NTKProbe
from .probes.projection import ProjectionProbe
from .probes.sharpness import SharpnessProbe
from .progress import SpectrumProgressBar
from .spectrum import SpectrumCallback
from .weight_norms import WeightNormCallback

__all__ = [
    "NTKProbe", "SharpnessProbe",
    "Cadence", "CadencedCallback", "FilterProbe", "FourierHeatmapProbe", "GridProbe", "ImageFilterProbe", "InputGradientProbe",
    "LinePathProbe", "LoopTimer", "Measurement", "Probe", "ProjectionProbe", "SpectrumCallback", "SpectrumProgressBar",
    "WeightNormCallback",
]
__all__ += ["EndToEndCallback"]  # the product matrix of factorization and linear models (callbacks/end_to_end.py)
