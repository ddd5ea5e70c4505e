"""A bias-free linear model w·x: the setting of the min-norm interpolation result (docs/references.md §1)."""

from __future__ import annotations

import math

import torch
from torch import nn

from .registry import register_model


class Linear(nn.Module):
    """x (B, *input_shape) -> x.flatten(1) @ Wᵀ (B, num_outputs); W (num_outputs, d) starts at N(0, init_scale²/d).

    `end_to_end()` returns W itself, so callbacks.EndToEndCallback measures it like a factorization's product.
    """

    def __init__(self, in_features: int, out_features: int, init_scale: float = 0.0) -> None:
        super().__init__()
        if not init_scale >= 0:
            raise ValueError(f"init_scale={init_scale!r} must be >= 0 (0 = zero init, the min-norm setting; 1 = LeCun normal)")
        self.weight = nn.Parameter(torch.randn(out_features, in_features) * (init_scale / math.sqrt(in_features)))

    def end_to_end(self) -> torch.Tensor:
        """Return the matrix the model applies, W (num_outputs, d)."""
        return self.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.weight.T  # (B, out)


@register_model
def linear(input_shape: tuple[int, ...], num_outputs: int, init_scale: float = 0.0) -> Linear:
    """Return a bias-free linear map from flattened `input_shape` to `num_outputs`, zero-initialized by default."""
    return Linear(math.prod(input_shape), num_outputs, init_scale)
