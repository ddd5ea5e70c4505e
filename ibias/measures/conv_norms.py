"""Exact singular values of a convolution layer as a linear map on inputs of a given size (Sedghi et al. 2018).

Convention: the layer is treated as a CIRCULAR (wrap-around) convolution on (in, *input_size) inputs.
For stride 1 the operator is block-diagonal in the Fourier basis: at each frequency xi it acts as
the (out x in) matrix P(xi) = DFT of the kernel zero-padded to input_size, so its singular values
are the union over xi of those of P(xi). For stride s (input_size divisible by s) the s^d input
frequencies xi = w + a*(n/s) alias onto output frequency w, giving blocks [P(w + a n/s)]_a / sqrt(prod s)
of size out x (in * prod s). PyTorch's cross-correlation flips the kernel, which conjugates P and
leaves singular values unchanged. With zero padding (the usual nn.Conv2d) the true operator differs
at the borders; this is the standard periodic approximation.
Source: docs/references.md §18.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .eval_mode import eval_mode


def _tuple(value: int | Sequence[int], d: int) -> tuple[int, ...]:
    return (value,) * d if isinstance(value, int) else tuple(value)


def conv_singular_values(
    weight: torch.Tensor,
    input_size: Sequence[int],
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    half: bool = False,
) -> torch.Tensor:
    """Return all singular values (descending, 1-D) of the circular conv by `weight` (out, in/groups, *k) on `input_size`.

    Computed in complex128 for float64 weights, complex64 otherwise. half=True keeps only the output
    frequencies with last index <= m/2: a real kernel's block at -w is the conjugate of the one at w,
    so this set holds every distinct singular value (the largest among them), at half the cost.
    """
    d = weight.dim() - 2
    n, s, dil = tuple(input_size), _tuple(stride, d), _tuple(dilation, d)
    if len(n) != d:
        raise ValueError(f"input_size={n} must have {d} spatial sizes for a weight of shape {tuple(weight.shape)}")
    for ni, si, ki, di in zip(n, s, weight.shape[2:], dil):
        if ni % si:
            raise ValueError(f"input_size={n} is not divisible by stride={s}; pick an input size that is")
        if (ki - 1) * di + 1 > ni:
            raise ValueError(f"the (dilated) kernel {tuple(weight.shape[2:])} does not fit in input_size={n}")
    out, in_g = weight.shape[:2]
    if out % groups:
        raise ValueError(f"groups={groups} does not divide the {out} output channels")
    w = weight.detach()
    w = w if w.dtype == torch.float64 else w.float()
    padded = w.new_zeros(out, in_g, *n)
    padded[(slice(None), slice(None), *(slice(0, (k - 1) * di + 1, di) for k, di in zip(w.shape[2:], dil)))] = w
    p = torch.fft.fftn(padded, dim=tuple(range(2, 2 + d)))  # (out, in_g, *n): P(xi) per frequency
    m = [ni // si for ni, si in zip(n, s)]
    # Frequency xi = a*m + w along each axis: split each axis into (a, w), then gather the aliases a.
    p = p.reshape(out, in_g, *[x for pair in zip(s, m) for x in pair])  # (out, in_g, s1, m1, s2, m2, ...)
    a_axes = [2 + 2 * i for i in range(d)]
    w_axes = [3 + 2 * i for i in range(d)]
    p = p.permute(*w_axes, 0, *a_axes, 1)  # (m1, .., md, out, s1, .., sd, in_g)
    if half:
        p = p[(Ellipsis, slice(0, m[-1] // 2 + 1)) + (slice(None),) * (d + 2)]  # w_d in [0, m_d/2]
    p = p.reshape(-1, out, math.prod(s) * in_g) / math.sqrt(math.prod(s))
    per_group = out // groups
    blocks = p.reshape(p.shape[0], groups, per_group, math.prod(s) * in_g)  # groups act on disjoint channels
    sv = torch.linalg.svdvals(blocks)  # (M, groups, min(per_group, s*in_g))
    return sv.flatten().sort(descending=True).values


def conv_operator_norm(
    weight: torch.Tensor,
    input_size: Sequence[int],
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> float:
    """Return the operator 2-norm (largest singular value) of the circular conv by `weight` on `input_size` inputs."""
    return float(conv_singular_values(weight, input_size, stride, dilation, groups, half=True)[0])


def conv_input_sizes(model: nn.Module, input_shape: Sequence[int]) -> dict[str, tuple[int, ...]]:
    """Return {module name: spatial input size} of every Conv1d/2d/3d, from one forward pass of zeros (1, *input_shape)."""
    sizes: dict[str, tuple[int, ...]] = {}

    def record(name: str):
        def hook(module, inputs, output) -> None:  # returns None, so the output is left alone
            sizes.setdefault(name, tuple(inputs[0].shape[2:]))
        return hook

    hooks = [m.register_forward_hook(record(name)) for name, m in model.named_modules()
             if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d))]
    param = next(model.parameters())
    try:
        with eval_mode(model), torch.no_grad():
            model(torch.zeros(1, *input_shape, device=param.device, dtype=param.dtype))
    finally:
        for h in hooks:
            h.remove()
    return sizes
