"""Rahaman et al. (2019) high-frequency label noise: ψ(x) = a·sin(2πK‖x‖) added to TRAINING targets only.

`HighFrequencyNoise(datamodule, frequency=K, amplitude=a)` wraps any regression datamodule whose
batches are (x, y, ...). ψ depends on x alone, so it is added batch by batch as the inner training
loader yields (exactly the same values every epoch); validation, test and the probe set are the
inner module's, untouched, and `clean_train_dataloader()` still gives the clean targets.
‖x‖ is the Euclidean norm of each flattened input as served, computed in float64.
Source: docs/references.md §7.
"""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, IterableDataset

from ibias.probe_set import ProbeSet

from .base import check_nonnegative


def hf_noise(x: torch.Tensor, frequency: float, amplitude: float) -> torch.Tensor:
    """Return ψ(x) = amplitude·sin(2π·frequency·‖x‖) per sample: (B, ...) -> (B, 1) float64."""
    norms = x.reshape(len(x), -1).double().norm(dim=1, keepdim=True)  # (B, 1)
    return amplitude * torch.sin(2 * torch.pi * frequency * norms)


class _NoisyTargets:
    """An iterable over the inner loader's batches with ψ(x) added to the targets (batch[1])."""

    def __init__(self, loader, frequency: float, amplitude: float) -> None:
        self.loader, self.frequency, self.amplitude = loader, frequency, amplitude

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            x, y = batch[0], batch[1]
            noisy = y + hf_noise(x, self.frequency, self.amplitude).to(y.dtype).reshape(len(y), *[1] * (y.ndim - 1))
            yield (x, noisy, *batch[2:])


class HighFrequencyNoise(pl.LightningDataModule):
    """The wrapped regression datamodule with ψ(x) = a·sin(2πK‖x‖) added to its training targets."""

    def __init__(self, datamodule: pl.LightningDataModule, frequency: float = 10.0, amplitude: float = 0.1) -> None:
        super().__init__()
        if getattr(datamodule, "task", None) != "regression":
            raise ValueError(
                f"HighFrequencyNoise adds ψ(x) to regression targets; {type(datamodule).__name__} has "
                f"task={getattr(datamodule, 'task', None)!r}. Wrap a regression datamodule."
            )
        self.frequency, self.amplitude = check_nonnegative("frequency", frequency), check_nonnegative("amplitude", amplitude)
        self.clean = datamodule
        self.input_shape, self.num_outputs, self.task = datamodule.input_shape, datamodule.num_outputs, "regression"

    def prepare_data(self) -> None:
        self.clean.prepare_data()

    def setup(self, stage: str) -> None:
        self.clean.trainer = self.trainer
        self.clean.setup(stage)

    def noise(self, x: torch.Tensor) -> torch.Tensor:
        """Return ψ(x) (B, 1) float64 for inputs x (B, ...)."""
        return hf_noise(x, self.frequency, self.amplitude)

    def clean_train_dataloader(self):
        """Return the inner module's training loader: the clean targets."""
        return self.clean.train_dataloader()

    def train_dataloader(self):
        inner = self.clean.train_dataloader()
        trainer = getattr(self, "trainer", None)
        if (trainer is not None and trainer.world_size > 1 and isinstance(inner, DataLoader)
                and not isinstance(inner.dataset, IterableDataset) and inner.batch_size is not None):
            # Lightning only inserts its DistributedSampler into DataLoaders, and this wrapper is not one.
            raise ValueError(
                f"HighFrequencyNoise under DDP needs an inner loader that shards itself; {type(self.clean).__name__} "
                "returns a map-style DataLoader. Serve it with datamodules.tensor_batches_loader."
            )
        return _NoisyTargets(inner, self.frequency, self.amplitude)

    def val_dataloader(self):
        return self.clean.val_dataloader()

    def test_dataloader(self):
        return self.clean.test_dataloader()

    def probe_set(self) -> ProbeSet:
        """Return the inner module's probe set (clean targets)."""
        return self.clean.probe_set()

    def __getattr__(self, name: str):
        # Ground truth and other attributes (target, beta, ground_truth, ...) come from the wrapped module.
        if name == "clean":
            raise AttributeError(name)
        return getattr(self.clean, name)
