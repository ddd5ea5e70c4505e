"""The MNIST-1D convolutional baseline (Greydanus 2020, `ConvBase`), with a width knob.

Three Conv1d layers (kernel 5, 3, 3; stride 2; padding 1) with ReLU, then one linear layer on the
flattened features. At width 25 on length-40 signals the lengths go 40 → 19 → 10 → 5, so the
linear layer sees 25·5 = 125 features and the net has 5,210 parameters (the paper's baseline,
≈94% test accuracy on MNIST-1D).
Source: docs/references.md §17.
"""

from __future__ import annotations

import torch
from torch import nn

from .registry import register_model


def _conv_out(length: int, kernel: int, stride: int = 2, padding: int = 1) -> int:
    return (length + 2 * padding - kernel) // stride + 1


class CNN1D(nn.Module):
    """Three strided Conv1d+ReLU layers and a linear head; input (B, C, L) or (B, L), output (B, num_outputs)."""

    def __init__(self, in_channels: int, length: int, num_outputs: int, width: int = 25) -> None:
        super().__init__()
        out_length = _conv_out(_conv_out(_conv_out(length, 5), 3), 3)
        if width < 1 or out_length < 1:
            raise ValueError(f"CNN1D needs width >= 1 and signals of length >= 3, got width={width}, length={length}")
        self.in_channels = in_channels
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, width, 5, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(width, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(width, width, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.linear = nn.Linear(width * out_length, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2 and self.in_channels == 1:
            x = x.unsqueeze(1)  # (B, L) -> (B, 1, L)
        return self.linear(self.features(x).flatten(1))  # (B, num_outputs)


@register_model
def cnn1d(input_shape: tuple[int, ...], num_outputs: int, width: int = 25) -> CNN1D:
    """Return the MNIST-1D CNN for inputs of shape (L,) or (C, L)."""
    input_shape = tuple(input_shape)
    if len(input_shape) == 1:
        input_shape = (1, *input_shape)
    if len(input_shape) != 2:
        raise ValueError(f"cnn1d wants input_shape (L,) or (channels, L), got {input_shape}; use mlp or a 2-D CNN for images")
    return CNN1D(input_shape[0], input_shape[1], num_outputs, width)
