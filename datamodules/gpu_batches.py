"""Image minibatches served from uint8 tensors on the training device, augmented as batched tensor ops.

As in airbench: the whole data set sits on the GPU, each minibatch is sliced by index, randomly
cropped (zero padding, like torchvision's RandomCrop(32, padding=4)) and flipped for all images at
once, then scaled to [0, 1] and normalized. No workers and no per-sample collation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from .tensor_loaders import _ShuffledBatches

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # per-channel mean of the 50,000 training images, pixels in [0, 1]
CIFAR10_STD = (0.2470, 0.2435, 0.2616)  # per-channel standard deviation of the same


class Normalize:
    """Callable returning (x − mean) / std per channel for x (B, C, H, W) in [0, 1], on x's device."""

    def __init__(self, mean: Sequence[float] = CIFAR10_MEAN, std: Sequence[float] = CIFAR10_STD) -> None:
        if len(mean) != len(std) or min(std) <= 0:
            raise ValueError(f"normalization mean={list(mean)} and std={list(std)} need equal lengths and std > 0")
        self.mean, self.std = tuple(float(m) for m in mean), tuple(float(s) for s in std)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(self.mean, device=x.device, dtype=x.dtype).view(-1, 1, 1)
        std = torch.tensor(self.std, device=x.device, dtype=x.dtype).view(-1, 1, 1)
        return (x - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


def random_crop(x: torch.Tensor, padding: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Return x (B, C, H, W) with each image cut at a uniform random offset from its zero-padded copy."""
    if padding == 0:
        return x
    b, c, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))  # (B, C, H+2p, W+2p)
    dy, dx = torch.randint(0, 2 * padding + 1, (2, b), generator=generator, device=x.device)
    rows = dy[:, None] + torch.arange(h, device=x.device)  # (B, H)
    cols = dx[:, None] + torch.arange(w, device=x.device)  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None, None]
    chans = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, chans, rows[:, None, :, None], cols[:, None, None, :]]  # (B, C, H, W)


def random_flip(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Return x (B, C, H, W) with each image mirrored left-right with probability 1/2."""
    flip = torch.rand(x.shape[0], generator=generator, device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


class _AugmentedBatches(_ShuffledBatches):
    """_ShuffledBatches of (uint8 images, labels), each batch cropped, flipped, scaled and normalized."""

    def __init__(self, images, labels, batch_size, shuffle, seed, drop_last, crop_padding, flip, normalize) -> None:
        super().__init__((images, labels), batch_size, shuffle, seed, drop_last)
        self.crop_padding, self.flip, self.normalize = crop_padding, flip, normalize

    def __iter__(self):
        device = self.tensors[0].device
        rank, _ = self._rank_world()
        # A fresh augmentation stream per epoch and rank, reproducible from the seed.
        g = torch.Generator(device=device).manual_seed(self.seed * 1_000_003 + self.epoch * 1_009 + rank)
        for images, labels in super().__iter__():
            images = random_crop(images, self.crop_padding, g)
            if self.flip:
                images = random_flip(images, g)
            x = images.float().div_(255)  # (B, C, H, W) in [0, 1]
            yield (self.normalize(x) if self.normalize is not None else x), labels


def augmented_batches_loader(
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    crop_padding: int = 0,
    flip: bool = False,
    normalize: Normalize | None = None,
    drop_last: bool = False,
) -> DataLoader:
    """Return a DataLoader of (float images (B, C, H, W), labels (B,)) from uint8 `images` on any device.

    Minibatch order and DDP sharding as in `tensor_batches_loader`; crop_padding = 0 and flip = False
    give the plain scaled (and normalized) images, for evaluation.
    """
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise ValueError(f"images must be uint8 (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels; pass one label per image")
    if batch_size < 1 or crop_padding < 0:
        raise ValueError(f"batch_size={batch_size} must be >= 1 and crop_padding={crop_padding} >= 0")
    dataset = _AugmentedBatches(images, labels, batch_size, shuffle, seed, drop_last, crop_padding, flip, normalize)
    return DataLoader(dataset, batch_size=None)
