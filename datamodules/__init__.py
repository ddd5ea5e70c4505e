"""LightningDataModules. Each sets `input_shape`, `num_outputs` and `task`, and has `probe_set()`."""

from .cifar10 import CIFAR10DataModule
from .gpu_batches import augmented_batches_loader
from .label_noise import corrupt_labels
from .mnist1d import MNIST1DDataModule
from .synthetic import (
    CircleDataModule,
    HighFrequencyNoise,
    LinearRegressionDataModule,
    ManifoldCurveDataModule,
    MatrixCompletionDataModule,
    MatrixSensingDataModule,
    SphereHarmonicDataModule,
    TeacherDataModule,
)
from .synthetic.sinusoids import SinusoidDataModule
from .tensor_loaders import full_batch_loader, tensor_batches_loader

__all__ = ["SinusoidDataModule", "full_batch_loader", "tensor_batches_loader"]
__all__ += ["CIFAR10DataModule", "MNIST1DDataModule", "augmented_batches_loader", "corrupt_labels"]
__all__ += [  # synthetic families (datamodules/synthetic/)
    "CircleDataModule", "HighFrequencyNoise", "LinearRegressionDataModule", "ManifoldCurveDataModule",
    "MatrixCompletionDataModule", "MatrixSensingDataModule", "SphereHarmonicDataModule", "TeacherDataModule",
]
