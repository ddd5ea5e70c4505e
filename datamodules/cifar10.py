"""CIFAR-10 for double descent and spectral studies: subsets, Nakkiran label noise, augmentation on the device.

The images stay uint8 on the training device (150 MB for all 50,000 on a GPU); each minibatch is
cropped, flipped and normalized as batched tensor ops (datamodules/gpu_batches.py), so a GPU run
never waits on DataLoader workers. Reading uses our own reader of the official pickle files
(datamodules/cifar10_format.py); `download=true` fetches them with torchvision first.
To run: `python scripts/train.py data=cifar10 model=resnet18k model.k=12 task=classification data.label_noise=0.2`.
Source: docs/references.md §16.
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch

from ibias.probe_set import ProbeSet

from .cifar10_format import FOLDER, cifar10_folder, read_cifar10
from .gpu_batches import CIFAR10_MEAN, CIFAR10_STD, Normalize, augmented_batches_loader
from .label_noise import LabelNoise, check_label_noise, corrupt_labels, corrupted_mask


class CIFAR10DataModule(pl.LightningDataModule):
    """CIFAR-10 classification; inputs (3, 32, 32) normalized floats, 10 classes.

    After `setup()`: x_train (n, 3, 32, 32) uint8, y_train (n,) possibly noisy, y_train_clean (n,),
    noisy_indices (m,) positions in the training set, train_indices (n,) positions in the official
    50,000; x_val / y_val (clean, held out from the official training set; empty unless val_size > 0,
    in which case validation uses the test set); x_test, y_test.
    """

    task = "classification"
    num_outputs = 10
    input_shape = (3, 32, 32)
    shards_itself = True  # its batch loaders split every epoch by DDP rank: no DistributedSampler

    def __init__(
        self,
        root: str = "data",
        download: bool = False,
        train_size: int | None = None,
        val_size: int = 0,
        label_noise: LabelNoise = 0.0,
        noise_seed: int = 0,
        augment: bool = True,
        crop_padding: int = 4,
        normalize: bool = True,
        batch_size: int = 128,
        eval_batch_size: int = 1000,
        seed: int = 0,
        probe_size: int = 1000,
        probe_split: str = "test",
        on_device: bool = True,
    ) -> None:
        super().__init__()
        self.root, self.download = str(root), bool(download)
        self.label_noise = check_label_noise(label_noise)
        for name, value, low in [("train_size", train_size, 1), ("val_size", val_size, 0), ("batch_size", batch_size, 1),
                                 ("eval_batch_size", eval_batch_size, 1), ("probe_size", probe_size, 1),
                                 ("crop_padding", crop_padding, 0)]:
            if value is not None and (int(value) != value or value < low):
                raise ValueError(f"data.{name}={value} must be an integer >= {low}")
        self.train_size, self.val_size, self.noise_seed, self.seed = train_size, int(val_size), noise_seed, seed
        self.augment, self.crop_padding = augment, int(crop_padding)
        self.normalizer = Normalize(CIFAR10_MEAN, CIFAR10_STD) if normalize else None
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        if probe_split not in ("train", "test"):
            raise ValueError(f"data.probe_split={probe_split!r} must be 'train' (fitted images and labels) or 'test'")
        self.probe_size, self.probe_split, self.on_device = probe_size, probe_split, on_device
        if not self.download:
            cifar10_folder(self.root)  # fail at construction, before any model is built, if the data are missing
        self._loaded = False

    def prepare_data(self) -> None:
        if self.download and not (Path(self.root).expanduser() / FOLDER).is_dir():
            from torchvision.datasets import CIFAR10

            CIFAR10(self.root, train=True, download=True)
            CIFAR10(self.root, train=False, download=True)

    def _device(self) -> torch.device:
        trainer = getattr(self, "trainer", None)
        if self.on_device and trainer is not None:
            return trainer.strategy.root_device
        return torch.device("cpu")

    def setup(self, stage: str | None = None) -> None:
        if not self._loaded:
            self._load()
        device = self._device()
        if self.x_train.device != device:  # e.g. set up by hand before the Trainer picked its device
            for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
                setattr(self, name, getattr(self, name).to(device))

    def _load(self) -> None:
        x, y, x_test, y_test = read_cifar10(self.root)
        n_pool = len(y)
        train_size = n_pool - self.val_size if self.train_size is None else int(self.train_size)
        if train_size < 1 or train_size + self.val_size > n_pool:
            raise ValueError(
                f"data.train_size={train_size} + data.val_size={self.val_size} exceeds the {n_pool} training images "
                f"in {Path(self.root) / FOLDER}; lower them (null train_size takes all that val_size leaves)"
            )
        # One seeded permutation gives disjoint validation and training subsets.
        order = torch.randperm(n_pool, generator=torch.Generator().manual_seed(self.seed))
        val_idx, self.train_indices = order[: self.val_size], order[self.val_size : self.val_size + train_size]
        self.y_train_clean = y[self.train_indices]
        y_noisy, self.noisy_indices = corrupt_labels(self.y_train_clean, self.label_noise, 10, self.noise_seed)
        self.x_train, self.y_train = x[self.train_indices], y_noisy
        self.x_val, self.y_val, self.x_test, self.y_test = x[val_idx], y[val_idx], x_test, y_test
        self._loaded = True

    @property
    def noisy_mask(self) -> torch.Tensor:
        """Return a (n,) bool mask (CPU) of training images whose label was corrupted."""
        return corrupted_mask(self.noisy_indices, len(self.y_train_clean))

    def train_dataloader(self):
        self.setup()
        return augmented_batches_loader(
            self.x_train, self.y_train, self.batch_size, shuffle=True, seed=self.seed,
            crop_padding=self.crop_padding if self.augment else 0, flip=self.augment, normalize=self.normalizer,
        )

    def _eval_loader(self, x: torch.Tensor, y: torch.Tensor):
        return augmented_batches_loader(x, y, self.eval_batch_size, shuffle=False, normalize=self.normalizer)

    def val_dataloader(self):
        self.setup()
        if len(self.y_val):
            return self._eval_loader(self.x_val, self.y_val)
        return self._eval_loader(self.x_test, self.y_test)

    def test_dataloader(self):
        self.setup()
        return self._eval_loader(self.x_test, self.y_test)

    def probe_set(self) -> ProbeSet:
        """Return the first `probe_size` images of `probe_split` as floats in [0, 1], their labels, and the normalization.

        probe_split='train' gives the labels the model is fitted to (noisy ones included), as the
        frequency-principle filtering method needs; 'test' gives clean test labels.
        """
        self.setup()
        x, y = (self.x_train, self.y_train) if self.probe_split == "train" else (self.x_test, self.y_test)
        n = min(self.probe_size, len(y))
        return ProbeSet(inputs=x[:n].float() / 255, targets=y[:n], num_classes=10, input_transform=self.normalizer)
