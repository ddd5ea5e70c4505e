"""LightningDataModules. Each sets `input_shape`, `num_outputs` and `task`, and has `probe_set()`."""

from .sinusoids import SinusoidDataModule
from .tensor_loaders import full_batch_loader, tensor_batches_loader

__all__ = ["SinusoidDataModule", "full_batch_loader", "tensor_batches_loader"]
