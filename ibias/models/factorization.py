"""Deep matrix factorization W = W_depth ··· W_1 of square n×n factors (Arora, Cohen, Hu, Luo 2019).

One model serves both recovery problems, told apart by the input:
  integer indices (B, 2)     -> the entries W[i, j]       (B, 1)   matrix completion;
  float matrices (B, n, n)   -> the inner products <A, W> (B, 1)   matrix sensing.
Each factor starts with iid N(0, s²) entries, s = init_scale^(1/depth)·n^(−1/2), so the end-to-end
matrix has entries of scale ≈ init_scale·n^(−1/2) (small init: the implicit low-rank regime).
Source: docs/references.md §4.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .registry import register_model


class MatrixFactorization(nn.Module):
    """`depth` bias-free n×n factors; `end_to_end()` returns their product (n, n)."""

    def __init__(self, size: int, depth: int = 3, init_scale: float = 1e-3) -> None:
        super().__init__()
        if not (isinstance(size, int) and size >= 1) or not (isinstance(depth, int) and depth >= 1):
            raise ValueError(f"size={size!r} and depth={depth!r} must be positive integers")
        if not init_scale > 0:
            raise ValueError(f"init_scale={init_scale!r} must be > 0 (Arora et al. sweep 1e-3 … 1e-6)")
        self.size, self.depth, self.init_scale = size, depth, init_scale
        std = init_scale ** (1 / depth) / math.sqrt(size)
        self.factors = nn.ParameterList([nn.Parameter(torch.randn(size, size) * std) for _ in range(depth)])

    def end_to_end(self) -> torch.Tensor:
        """Return W = W_depth ··· W_2 W_1 (n, n); factors[0] is W_1, applied first to a column vector."""
        product = self.factors[0]
        for factor in self.factors[1:]:
            product = factor @ product
        return product

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.end_to_end()  # (n, n)
        if not x.is_floating_point():
            if x.ndim != 2 or x.shape[1] != 2:
                raise ValueError(f"index input must be (B, 2) (row, col) pairs, got shape {tuple(x.shape)}")
            return w[x[:, 0], x[:, 1]].unsqueeze(1)  # (B, 1)
        if x.shape[1:] != w.shape:
            raise ValueError(f"measurement input must be (B, {self.size}, {self.size}), got shape {tuple(x.shape)}")
        return (x * w).sum(dim=(1, 2)).unsqueeze(1)  # (B, 1)


@register_model
def matrix_factorization(
    input_shape: tuple[int, ...], num_outputs: int, size: int | None = None, depth: int = 3, init_scale: float = 1e-3,
) -> MatrixFactorization:
    """Return a depth-`depth` factorization; n comes from input_shape (n, n) for sensing or `size` for completion."""
    if num_outputs != 1:
        raise ValueError(f"num_outputs={num_outputs}: a matrix factorization predicts one value per input")
    if len(input_shape) == 2:
        if input_shape[0] != input_shape[1]:
            raise ValueError(f"input_shape={tuple(input_shape)}: sensing matrices must be square (n, n)")
        if size is not None and size != input_shape[0]:
            raise ValueError(f"size={size} disagrees with the sensing input shape {tuple(input_shape)}; drop model.size")
        size = input_shape[0]
    elif size is None:
        raise ValueError(
            f"input_shape={tuple(input_shape)} are index pairs, so the matrix size is unknown: set model.size "
            "(the data's size, e.g. model.size=${data.size})"
        )
    return MatrixFactorization(int(size), depth, init_scale)
