"""What the non-grid probes compare: Xu et al.'s values (one-hot targets, softmax outputs) and batched predictions.

Source: docs/references.md §10–11.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ibias.probe_set import ProbeSet


def subset_indices(n: int, size: int | None, seed: int, device=None) -> torch.Tensor:
    """Return `size` distinct indices of range(n) drawn from `seed` (all n, in order, if size is None or ≥ n)."""
    if size is not None and size < 1:
        raise ValueError(f"subset={size} must be a positive number of probe points (or None for all {n}).")
    if size is None or size >= n:
        return torch.arange(n, device=device)
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:size].sort().values.to(device)


def target_values(probe_set: ProbeSet, index: torch.Tensor) -> torch.Tensor:
    """Return the targets at `index` as (m, C) floats: one-hot for classification (Xu et al.), else as given."""
    if probe_set.targets is None:
        raise ValueError("this probe compares predictions with targets, but the ProbeSet has targets=None; pass targets.")
    targets = probe_set.targets[index]
    if probe_set.num_classes is not None:
        return F.one_hot(targets.long().reshape(-1), probe_set.num_classes).float()  # (m, C)
    return targets.reshape(len(targets), -1).float()  # (m, C)


def output_values(probe_set: ProbeSet, outputs: torch.Tensor) -> torch.Tensor:
    """Return what is compared with target_values: softmax probabilities for classification, else outputs (m, C)."""
    if probe_set.num_classes is not None:
        return outputs.float().softmax(-1)
    return outputs.reshape(len(outputs), -1).float()


def predict_in_batches(probe_set: ProbeSet, module: nn.Module, inputs: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Return probe_set.predict(module, inputs) computed `batch_size` rows at a time, (m, C)."""
    return torch.cat([probe_set.predict(module, inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)])


def require_classification_images(probe_set: ProbeSet, probe: str) -> None:
    """Raise a clear error unless the probe set holds images (n, C, H, W) with class targets."""
    if probe_set.inputs.ndim != 4:
        raise ValueError(f"{probe} needs image inputs (n, C, H, W) with pixels in [0, 1]; got {tuple(probe_set.inputs.shape)}.")
    if probe_set.num_classes is None or probe_set.targets is None:
        raise ValueError(f"{probe} measures accuracy: give the ProbeSet class-index targets and num_classes.")
