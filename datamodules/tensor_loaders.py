"""Serving data held as tensors without per-sample collation (which doubles a small step's time)."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, IterableDataset


class _OneBatch(Dataset):
    """A dataset whose every item is the whole batch, `repeats` items long."""

    def __init__(self, tensors: tuple[torch.Tensor, ...], repeats: int) -> None:
        self.tensors, self.repeats = tensors, repeats

    def __len__(self) -> int:
        return self.repeats

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        return self.tensors


def full_batch_loader(*tensors: torch.Tensor, repeats: int = 1) -> DataLoader:
    """Return a DataLoader that yields `tensors` as they are, `repeats` times per epoch (full-batch GD).

    repeats > 1 makes one "epoch" span many full-batch steps, which keeps Lightning's per-epoch
    work (validation, epoch hooks) off a run of tens of thousands of steps.
    """
    if repeats < 1:
        raise ValueError(f"repeats={repeats} must be a positive integer")
    return DataLoader(_OneBatch(tensors, repeats), batch_size=None, shuffle=False)


class _ShuffledBatches(IterableDataset):
    """Minibatches sliced from shuffled tensors, one permutation per epoch; sharded across DDP ranks."""

    def __init__(self, tensors: tuple[torch.Tensor, ...], batch_size: int, shuffle: bool, seed: int, drop_last: bool) -> None:
        self.tensors, self.batch_size, self.shuffle, self.seed, self.drop_last = tensors, batch_size, shuffle, seed, drop_last
        self.epoch = 0

    def _rank_world(self) -> tuple[int, int]:
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1

    def __len__(self) -> int:
        n = len(self.tensors[0]) // self._rank_world()[1]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.tensors[0])
        device = self.tensors[0].device
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(n, generator=g).to(device)
        else:
            order = torch.arange(n, device=device)
        self.epoch += 1
        rank, world = self._rank_world()
        order = order[rank : n - n % world : world] if world > 1 else order
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            if self.drop_last and len(index) < self.batch_size:
                break
            yield tuple(t[index] for t in self.tensors)


def tensor_batches_loader(
    *tensors: torch.Tensor, batch_size: int, shuffle: bool = True, seed: int = 0, drop_last: bool = False
) -> DataLoader:
    """Return a DataLoader of minibatches sliced from `tensors` (same first dimension).

    Each epoch draws a fresh permutation from `seed` + epoch; under DDP every rank takes its own
    stride of it. No workers and no collation: the tensors may already live on the GPU.
    """
    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ValueError(f"tensor_batches_loader: tensors have different lengths {[len(t) for t in tensors]}")
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be a positive integer")
    return DataLoader(_ShuffledBatches(tensors, batch_size, shuffle, seed, drop_last), batch_size=None)
