"""Fully connected ReLU networks of any width and depth (Rahaman et al. use 6 x 256).

Source: docs/references.md §6.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .registry import register_model

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


class MLP(nn.Module):
    """`depth` Linear layers (depth-1 hidden layers of `width`), flattening its input."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        width: int = 256,
        depth: int = 6,
        activation: str = "relu",
        bias: bool = True,
        init_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"MLP needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        sizes = [in_features] + [width] * (depth - 1) + [out_features]
        layers: list[nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(fan_in, fan_out, bias=bias))
            if i < depth - 1:
                layers.append(ACTIVATIONS[activation]())
        self.net = nn.Sequential(*layers)
        if init_scale != 1.0:
            # Scale PyTorch's default init, so init_scale=1 is the paper's "default init".
            with torch.no_grad():
                for p in self.parameters():
                    p.mul_(init_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))  # (B, out_features)


@register_model
def mlp(
    input_shape: tuple[int, ...],
    num_outputs: int,
    width: int = 256,
    depth: int = 6,
    activation: str = "relu",
    bias: bool = True,
    init_scale: float = 1.0,
) -> MLP:
    """Return an MLP mapping flattened `input_shape` to `num_outputs`."""
    return MLP(math.prod(input_shape), num_outputs, width, depth, activation, bias, init_scale)
