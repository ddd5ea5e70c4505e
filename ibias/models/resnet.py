"""CIFAR ResNets with a width knob: Nakkiran et al.'s ResNet18k and Page's ResNet-9.

ResNet18k (Nakkiran et al. 2019, after kuangliu's PreActResNet18): 3×3 conv 3→k, four stages of
two pre-activation blocks with widths k, 2k, 4k, 8k and strides 1, 2, 2, 2, 1×1 conv shortcuts
where the shape changes, 4×4 average pool, linear 8k→classes. No BatchNorm after the last block
(as in kuangliu's code). Parameters: 2724k² + 213k + 10 for 10 classes, so k = 64 (the standard
ResNet18) has 11,171,146.

ResNet-9 (Page's DAWNBench net, width c = 64): conv c, conv 2c + pool + residual(2 convs),
conv 4c + pool, conv 8c + pool + residual(2 convs), global max pool, linear without bias, output
scaled by 1/8. Parameters: 1602c² + 177c for 10 classes, 6,573,120 at c = 64.
Source: docs/references.md §16, §21.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .registry import register_model


def _check_image_shape(name: str, input_shape: tuple[int, ...], min_side: int) -> tuple[int, int, int]:
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or min(input_shape[1:]) < min_side:
        raise ValueError(
            f"{name} wants input_shape (channels, height, width) with sides >= {min_side}, got {input_shape}; "
            "use mlp or cnn1d for flat or 1-D inputs"
        )
    return input_shape  # type: ignore[return-value]


class PreActBlock(nn.Module):
    """BN-ReLU-conv3×3, BN-ReLU-conv3×3, plus identity or 1×1-conv shortcut; (B, cin, H, W) → (B, cout, H/s, W/s)."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(x))
        # The projection shortcut sees the pre-activated input (as in kuangliu's PreActBlock).
        shortcut = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


class PreActResNet18(nn.Module):
    """Pre-activation ResNet18 of width k; (B, C, H, W) → (B, num_outputs)."""

    def __init__(self, k: int = 64, in_channels: int = 3, num_outputs: int = 10) -> None:
        super().__init__()
        if k < 1:
            raise ValueError(f"resnet18k needs k >= 1, got k={k}")
        self.conv1 = nn.Conv2d(in_channels, k, 3, stride=1, padding=1, bias=False)
        blocks, in_planes = [], k
        for planes, stride in [(k, 1), (2 * k, 2), (4 * k, 2), (8 * k, 2)]:
            blocks += [PreActBlock(in_planes, planes, stride), PreActBlock(planes, planes, 1)]
            in_planes = planes
        self.layers = nn.Sequential(*blocks)
        self.linear = nn.Linear(8 * k, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(self.conv1(x))  # (B, 8k, H/8, W/8): 4×4 for CIFAR
        # avg_pool2d(out, 4) in the original; adaptive pooling is identical at 32×32 and also runs on tiny test inputs.
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)  # (B, 8k)
        return self.linear(out)


@register_model
def resnet18k(k: int = 64, input_shape: tuple[int, ...] = (3, 32, 32), num_outputs: int = 10) -> PreActResNet18:
    """Return Nakkiran's ResNet18 of width k (k = 64: the standard pre-activation ResNet18, 11,171,146 params)."""
    channels, _, _ = _check_image_shape("resnet18k", input_shape, 8)
    return PreActResNet18(k, channels, num_outputs)


def _conv_bn(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class _Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_conv_bn(channels, channels), _conv_bn(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResNet9(nn.Module):
    """Page's ResNet-9 of base width c; (B, C, H, W) → (B, num_outputs) logits scaled by `scale`."""

    def __init__(self, c: int = 64, in_channels: int = 3, num_outputs: int = 10, scale: float = 0.125) -> None:
        super().__init__()
        if c < 1:
            raise ValueError(f"resnet9 needs width >= 1, got width={c}")
        self.net = nn.Sequential(
            _conv_bn(in_channels, c),
            _conv_bn(c, 2 * c), nn.MaxPool2d(2), _Residual(2 * c),
            _conv_bn(2 * c, 4 * c), nn.MaxPool2d(2),
            _conv_bn(4 * c, 8 * c), nn.MaxPool2d(2), _Residual(8 * c),
            nn.AdaptiveMaxPool2d(1), nn.Flatten(),  # MaxPool(4) at 32×32
        )
        self.linear = nn.Linear(8 * c, num_outputs, bias=False)
        self.scale = scale  # Page's 0.125 keeps early logits small for a high learning rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.net(x)) * self.scale  # (B, num_outputs)


@register_model
def resnet9(width: int = 64, input_shape: tuple[int, ...] = (3, 32, 32), num_outputs: int = 10, scale: float = 0.125) -> ResNet9:
    """Return Page's ResNet-9 with base width `width` (64: 6,573,120 params)."""
    channels, _, _ = _check_image_shape("resnet9", input_shape, 8)
    return ResNet9(width, channels, num_outputs, scale)
