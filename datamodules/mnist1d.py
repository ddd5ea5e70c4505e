"""MNIST-1D (Greydanus 2020): 10 classes of length-40 1-D signals, generated offline by `mnist1d`.

Defaults are the package's: 5000 samples split 4000 train / 1000 test, generation seed 42.
Nakkiran-style double descent on MNIST-1D uses 4000 / 4000 (num_samples=8000, train_split=0.5)
and 15% label noise. Inputs have shape (1, 40) (one channel, for the 1-D CNN; MLPs flatten).

`mnist1d.data.make_dataset` reseeds Python's `random` and NumPy's global generator; we restore
both afterwards so that generating the data never changes anyone else's random stream.
To run: `python scripts/train.py data=mnist1d model=cnn1d task=classification`.
Source: docs/references.md §17.
"""

from __future__ import annotations

import random
from functools import lru_cache

import lightning.pytorch as pl
import numpy as np
import torch

from ibias.probe_set import ProbeSet

from .label_noise import LabelNoise, check_label_noise, corrupt_labels, corrupted_mask
from .tensor_loaders import full_batch_loader, tensor_batches_loader


@lru_cache(maxsize=4)
def _generate(num_samples: int, train_split: float, seed: int) -> tuple[np.ndarray, ...]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.train_split, args.seed = num_samples, train_split, seed
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    arrays = (data["x"], data["y"], data["x_test"], data["y_test"])
    for a in arrays:
        a.setflags(write=False)  # cached: callers must copy, never edit in place
    return arrays


def generate_mnist1d(num_samples: int = 5000, train_split: float = 0.8, seed: int = 42) -> tuple[torch.Tensor, ...]:
    """Return (x_train (n, 40) float32, y_train (n,) int64, x_test, y_test), global RNG states untouched."""
    if num_samples < 10 or num_samples % 10:
        raise ValueError(f"data.num_samples={num_samples} must be a positive multiple of 10 (equal counts per class)")
    if not 0.0 < train_split < 1.0:
        raise ValueError(f"data.train_split={train_split} must lie in (0, 1), e.g. 0.8 for 4000/1000 of 5000")
    x, y, x_test, y_test = _generate(int(num_samples), float(train_split), int(seed))
    as_x = lambda a: torch.tensor(a, dtype=torch.float32)
    as_y = lambda a: torch.tensor(a, dtype=torch.int64)
    return as_x(x), as_y(y), as_x(x_test), as_y(y_test)


class MNIST1DDataModule(pl.LightningDataModule):
    """MNIST-1D classification with optional training subset, validation split and label noise.

    Attributes after construction (data are small, so they are generated eagerly):
    x_train (n, 1, 40), y_train (n,) possibly noisy, y_train_clean (n,), noisy_indices (m,),
    x_val / y_val (clean; empty unless val_size > 0), x_test (t, 1, 40), y_test (t,).
    Validation uses the test set when val_size = 0 (the usual choice for double-descent curves).
    """

    task = "classification"
    num_outputs = 10
    shards_itself = True  # full batches go whole to every DDP rank, minibatches are split by rank: no DistributedSampler

    def __init__(
        self,
        num_samples: int = 5000,
        train_split: float = 0.8,
        data_seed: int = 42,
        train_size: int | None = None,
        val_size: int = 0,
        label_noise: LabelNoise = 0.0,
        noise_seed: int = 0,
        batch_size: int | None = 100,
        seed: int = 0,
        probe_size: int | None = None,
        probe_split: str = "test",
        steps_per_epoch: int = 1,
    ) -> None:
        super().__init__()
        self.label_noise = check_label_noise(label_noise)
        self.batch_size, self.seed = batch_size, seed
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"data.batch_size={batch_size} must be a positive integer, or null for full-batch training")
        if not (isinstance(steps_per_epoch, int) and steps_per_epoch >= 1):
            raise ValueError(f"data.steps_per_epoch={steps_per_epoch!r} must be a positive integer (full-batch steps per epoch)")
        self.steps_per_epoch = steps_per_epoch
        x, y, self.x_test, self.y_test = generate_mnist1d(num_samples, train_split, data_seed)
        n_pool = len(y)
        train_size = n_pool - val_size if train_size is None else int(train_size)
        if val_size < 0 or train_size < 1 or train_size + val_size > n_pool:
            raise ValueError(
                f"data.train_size={train_size} + data.val_size={val_size} must be positive and at most the "
                f"{n_pool} generated training samples; lower them or raise data.num_samples"
            )
        # A random but seeded split, so the subset does not depend on generation order.
        order = torch.randperm(n_pool, generator=torch.Generator().manual_seed(seed))
        val_idx, train_idx = order[:val_size], order[val_size : val_size + train_size]
        self.train_indices = train_idx  # positions in the generated training pool
        self.x_train = x[train_idx].unsqueeze(1)  # (n, 1, 40)
        self.y_train_clean = y[train_idx]
        self.y_train, self.noisy_indices = corrupt_labels(self.y_train_clean, self.label_noise, 10, noise_seed)
        self.x_val, self.y_val = x[val_idx].unsqueeze(1), y[val_idx]
        self.x_test = self.x_test.unsqueeze(1)  # (t, 1, 40)
        self.input_shape = tuple(self.x_train.shape[1:])
        if probe_split not in ("train", "test"):
            raise ValueError(f"data.probe_split={probe_split!r} must be 'train' (fitted signals and labels) or 'test'")
        n_probe = len(self.y_train) if probe_split == "train" else len(self.y_test)
        if probe_size is not None and not 1 <= probe_size <= n_probe:
            raise ValueError(f"data.probe_size={probe_size} must lie in [1, {n_probe}] (the {probe_split} set size)")
        self.probe_size, self.probe_split = probe_size, probe_split

    @property
    def noisy_mask(self) -> torch.Tensor:
        """Return a (n,) bool mask of training examples whose label was corrupted."""
        return corrupted_mask(self.noisy_indices, len(self.y_train))

    def train_dataloader(self):
        if self.batch_size is None or self.batch_size >= len(self.y_train):
            return full_batch_loader(self.x_train, self.y_train, repeats=self.steps_per_epoch)
        return tensor_batches_loader(self.x_train, self.y_train, batch_size=self.batch_size, shuffle=True, seed=self.seed)

    def _eval_loader(self, x: torch.Tensor, y: torch.Tensor):
        return full_batch_loader(x, y)  # at most a few thousand signals of 40 floats

    def val_dataloader(self):
        if len(self.y_val):
            return self._eval_loader(self.x_val, self.y_val)
        return self._eval_loader(self.x_test, self.y_test)

    def test_dataloader(self):
        return self._eval_loader(self.x_test, self.y_test)

    def probe_set(self) -> ProbeSet:
        """Return the first `probe_size` signals (all by default) of `probe_split` with their class indices.

        probe_split='train' gives the labels the model is fitted to (noisy ones included); 'test' clean test labels.
        """
        x, y = (self.x_train, self.y_train) if self.probe_split == "train" else (self.x_test, self.y_test)
        n = self.probe_size or len(y)
        return ProbeSet(inputs=x[:n], targets=y[:n], num_classes=10)
