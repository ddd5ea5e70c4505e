"""Basri et al.'s two-layer ReLU network: trained hidden weights and biases, fixed ±1 output weights.

f(x) = (1/√m) Σ_r a_r ReLU(w_r·x + b_r), w_r ~ N(0, weight_std² I) (2.5 in their code), b_r = 0 at the
start, both trained; a_r = ±1 with equal probability, drawn once and fixed (a buffer, not a parameter).
The 1/√m output scale is the NTK parametrization: the kernel (1/m)Σ_r 1[w_r·x+b_r>0]1[w_r·x'+b_r>0](x·x'+1)
stays O(1) as m grows, so wide nets train in the lazy regime whose eigenvalues fall like 1/k² on S¹.
Source: docs/references.md §12, §22.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .registry import register_model


class TwoLayerReLU(nn.Module):
    """x (B, *input_shape) -> (B, num_outputs); hidden weights (m, d) and biases (m,) trained, signs (m, C) fixed."""

    def __init__(self, in_features: int, num_outputs: int = 1, width: int = 4000, weight_std: float = 2.5) -> None:
        super().__init__()
        if width < 1 or not weight_std > 0:
            raise ValueError(f"two_layer_relu needs width >= 1 and weight_std > 0, got width={width}, weight_std={weight_std}")
        self.width = width
        self.weight = nn.Parameter(torch.randn(width, in_features) * weight_std)
        self.bias = nn.Parameter(torch.zeros(width))
        self.register_buffer("signs", torch.randint(0, 2, (width, num_outputs)).float() * 2 - 1)  # a_r = ±1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(x.flatten(1) @ self.weight.T + self.bias)  # (B, m)
        return hidden @ self.signs / math.sqrt(self.width)  # (B, C)


@register_model
def two_layer_relu(input_shape: tuple[int, ...], num_outputs: int, width: int = 4000, weight_std: float = 2.5) -> TwoLayerReLU:
    """Return Basri et al.'s net: m = `width` ReLUs with trained N(0, weight_std²) weights and zero biases, ±1/√m outputs."""
    return TwoLayerReLU(math.prod(input_shape), num_outputs, width, weight_std)
