"""The simple CNN of Xu et al.'s frequency-principle CIFAR-10 experiments, scaled by a width factor.

conv 3×3 (32·w) – ReLU – conv 3×3 (64·w) – ReLU – 2×2 max pool – FC (400·w) – ReLU – FC (classes).
Convolutions are unpadded ('valid', the Keras default the paper's layer list implies): 32 → 30
→ 28 → 14, so at w = 1 the first FC layer has 64·14·14·400 weights and the net 5,041,402
parameters. Channel counts round(32w), round(64w), round(400w), each at least 1.
Source: docs/references.md §10.
"""

from __future__ import annotations

import torch
from torch import nn

from .registry import register_model


class XuCNN(nn.Module):
    """Two valid 3×3 convs, a 2×2 max pool and two FC layers; (B, C, H, W) → (B, num_outputs)."""

    def __init__(self, input_shape: tuple[int, int, int], num_outputs: int, width: float = 1.0) -> None:
        super().__init__()
        if width <= 0:
            raise ValueError(f"xu_cnn needs a positive width factor, got width={width}")
        c, h, w = input_shape
        c1, c2, fc = (max(1, round(base * width)) for base in (32, 64, 400))
        self.features = nn.Sequential(
            nn.Conv2d(c, c1, 3), nn.ReLU(),
            nn.Conv2d(c1, c2, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(),
        )
        flat = c2 * ((h - 4) // 2) * ((w - 4) // 2)
        self.classifier = nn.Sequential(nn.Linear(flat, fc), nn.ReLU(), nn.Linear(fc, num_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))  # (B, num_outputs)


@register_model
def xu_cnn(width: float = 1.0, input_shape: tuple[int, ...] = (3, 32, 32), num_outputs: int = 10) -> XuCNN:
    """Return Xu et al.'s conv32-conv64-maxpool-FC400-FC net with every layer's width times `width`."""
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or min(input_shape[1:]) < 6:
        raise ValueError(f"xu_cnn wants input_shape (channels, height, width) with sides >= 6, got {input_shape}")
    return XuCNN(input_shape, num_outputs, width)  # type: ignore[arg-type]
