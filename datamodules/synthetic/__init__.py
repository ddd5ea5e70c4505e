"""Synthetic regression families: sinusoids on a grid, on curves and spheres, teachers, linear and matrix recovery."""

from .hf_noise import HighFrequencyNoise, hf_noise
from .linear_regression import LinearRegressionDataModule
from .manifold import ManifoldCurveDataModule
from .matrices import MatrixCompletionDataModule, MatrixSensingDataModule
from .sinusoids import SinusoidDataModule
from .sphere import CircleDataModule, SphereHarmonicDataModule, real_spherical_harmonic
from .teacher import TeacherDataModule

__all__ = [
    "CircleDataModule", "HighFrequencyNoise", "LinearRegressionDataModule", "ManifoldCurveDataModule",
    "MatrixCompletionDataModule", "MatrixSensingDataModule", "SinusoidDataModule", "SphereHarmonicDataModule",
    "TeacherDataModule",
    "hf_noise", "real_spherical_harmonic",
]
