"""Shared plumbing for synthetic regression sets held as whole tensors (no per-sample collation)."""

from __future__ import annotations

import math

import lightning.pytorch as pl
import torch

from ibias.probe_set import ProbeSet

from ..tensor_loaders import full_batch_loader, tensor_batches_loader

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """Return `value` as an int after checking it is an integer >= `minimum` (else a ValueError naming it)."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not (is_number and int(value) == value and value >= minimum):
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def check_nonnegative(name: str, value: float) -> float:
    """Return `value` as a float after checking it is >= 0 (else a ValueError naming it)."""
    if not value >= 0:  # also catches NaN
        raise ValueError(f"{name}={value!r} must be >= 0 (it is a standard deviation / amplitude)")
    return float(value)


def generator(seed: int, stream: int = 0) -> torch.Generator:
    """Return a CPU torch.Generator for (`seed`, `stream`): independent draws for train/val/test from one seed."""
    return torch.Generator().manual_seed(int(seed) * 1_000_003 + stream)


class TensorRegressionDataModule(pl.LightningDataModule):
    """Serves `train`, `val`, `test` (inputs, targets) tensor pairs; full batch when batch_size is None.

    Subclasses fill `self.train`, `self.val`, `self.test` in __init__ (small sets, built eagerly and
    deterministically from the seed, so every DDP rank builds the same data) and set `input_shape`.
    In full batch, one epoch is `steps_per_epoch` identical steps (keeps per-epoch validation off long runs).
    """

    task = "regression"
    shards_itself = True  # full batches go whole to every DDP rank, minibatches are split by rank: no DistributedSampler

    def __init__(self, batch_size: int | None = None, seed: int = 0, steps_per_epoch: int = 1) -> None:
        super().__init__()
        if batch_size is not None:
            check_positive_int("batch_size", batch_size)
        self.batch_size, self.seed = batch_size, int(seed)
        self.steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
        self.num_outputs = 1
        self.train: tuple[torch.Tensor, torch.Tensor]
        self.val: tuple[torch.Tensor, torch.Tensor]
        self.test: tuple[torch.Tensor, torch.Tensor]

    def train_dataloader(self):
        if self.batch_size is None:
            return full_batch_loader(*self.train, repeats=self.steps_per_epoch)
        return tensor_batches_loader(*self.train, batch_size=self.batch_size, shuffle=True, seed=self.seed)

    def val_dataloader(self):
        return full_batch_loader(*self.val)

    def test_dataloader(self):
        return full_batch_loader(*self.test)

    def probe_set(self) -> ProbeSet:
        """Return the training inputs and targets (subclasses with a grid or a truth add more)."""
        return ProbeSet(inputs=self.train[0], targets=self.train[1])
