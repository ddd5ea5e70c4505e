"""Nakkiran et al. (2019) label noise: a chosen label becomes a uniformly random *incorrect* class.

Exactly round(fraction · n) labels are corrupted, chosen and relabelled once from `seed`, so two
runs with the same seed see the same noisy training set; the corrupted indices are returned so
that analyses can split clean from noisy examples.
Source: docs/references.md §16.
"""

from __future__ import annotations

from typing import Annotated

import torch
from annotated_types import Interval

# The type of a label-noise argument: config checks (ibias/run/config.py) read the bounds before anything is built.
LabelNoise = Annotated[float, Interval(ge=0.0, lt=1.0)]


def check_label_noise(fraction: float, name: str = "data.label_noise") -> float:
    """Return `fraction` as a float after checking it lies in [0, 1)."""
    fraction = float(fraction)
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"{name}={fraction} must be a fraction in [0, 1) (e.g. 0.2 for 20% noisy labels)")
    return fraction


def corrupt_labels(labels: torch.Tensor, fraction: float, num_classes: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (noisy_labels (n,) int64, noisy_indices (m,) sorted int64) with m = round(fraction · n).

    Each chosen label y moves to (y + u) mod C with u uniform on {1, …, C−1}: uniform over the C−1
    wrong classes, never the original one.
    """
    fraction = check_label_noise(fraction)
    if labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D tensor of class indices, got shape {tuple(labels.shape)}")
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes} must be at least 2 for a label to become a different class")
    labels = labels.long().cpu()
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels lie in [{int(labels.min())}, {int(labels.max())}], outside [0, num_classes={num_classes})")
    n = len(labels)
    m = int(round(fraction * n))
    g = torch.Generator().manual_seed(int(seed))
    noisy_indices = torch.randperm(n, generator=g)[:m].sort().values  # (m,)
    shift = torch.randint(1, num_classes, (m,), generator=g)  # (m,) in [1, C-1]
    noisy = labels.clone()
    noisy[noisy_indices] = (labels[noisy_indices] + shift) % num_classes
    return noisy, noisy_indices


def corrupted_mask(noisy_indices: torch.Tensor, num_labels: int) -> torch.Tensor:
    """Return a (num_labels,) bool mask (CPU), True where corrupt_labels changed the label."""
    mask = torch.zeros(num_labels, dtype=torch.bool)
    mask[noisy_indices] = True
    return mask
