"""Xu et al.'s filtering method: split a function on scattered points into low and high frequencies.

With the Gaussian kernel G_δ(u) = exp(−‖u‖²/(2δ)) (δ is a variance, in squared input units),
f_low(x_i) = Σ_j f(x_j) G_δ(x_i − x_j) / Σ_j G_δ(x_i − x_j) and f_high = f − f_low. For a
prediction h and a target y,
    e_low  = (Σ_i ‖y_low,i − h_low,i‖² / Σ_i ‖y_low,i‖²)^½,   e_high likewise with the high parts.
The kernel is n×n per δ: `GaussianFilters` builds it once (distances in row chunks, so no
n×n×d intermediate), keeps the target's parts, and `errors(pred)` then costs one (n×n)·(n×C)
product per δ.
Source: docs/references.md §10.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def squared_distances(x: torch.Tensor, chunk_size: int = 1024) -> torch.Tensor:
    """Return ‖x_i − x_j‖² as (n, n), computed `chunk_size` rows at a time (peak memory n·chunk)."""
    x = x.reshape(len(x), -1)  # (n, d) flattened
    sq = (x * x).sum(1)  # (n,)
    out = torch.empty(len(x), len(x), dtype=x.dtype, device=x.device)
    for start in range(0, len(x), chunk_size):
        rows = x[start : start + chunk_size]  # (b, d)
        d2 = sq[start : start + chunk_size, None] + sq[None, :] - 2 * rows @ x.T  # (b, n)
        out[start : start + chunk_size] = d2.clamp_min_(0)  # rounding can make ~0 slightly negative
    out.diagonal().zero_()
    return out


def normalized_gaussian_kernel(d2: torch.Tensor, delta: float) -> torch.Tensor:
    """Return exp(−d2/(2δ)) with rows summing to 1, (n, n). The diagonal term 1 keeps rows nonzero."""
    k = torch.exp(d2 / (-2.0 * delta))
    return k / k.sum(1, keepdim=True)


def _check_deltas(deltas: Sequence[float] | torch.Tensor) -> list[float]:
    deltas = [float(d) for d in torch.as_tensor(deltas).reshape(-1).tolist()]
    bad = [d for d in deltas if not d > 0]
    if not deltas or bad:
        raise ValueError(f"deltas={deltas} must be positive variances (e.g. linspace(2, 100, 20) for CIFAR pixels in [0, 1]).")
    return deltas


class GaussianFilters:
    """Low-pass operators for several δ on fixed points x, with a fixed target's low/high parts.

    x: (n, ...) flattened to (n, d); target: (n, C) (one-hot for classification); deltas: (D,).
    cache="kernels" keeps D normalized n×n kernels (D·n²·itemsize bytes: 2.0 GB for n = 5000,
    D = 20 in float32) so each call is D matrix products; cache="distances" keeps one n×n matrix
    and rebuilds each kernel per call (D·n² exponentials more per call, D times less memory).
    `min_part` is the fraction ‖y_part‖/‖y‖ below which that part counts as absent (see errors).
    """

    def __init__(
        self,
        x: torch.Tensor,
        target: torch.Tensor,
        deltas: Sequence[float] | torch.Tensor,
        chunk_size: int = 1024,
        cache: str = "kernels",
        min_part: float = 1e-3,
    ) -> None:
        if cache not in ("kernels", "distances"):
            raise ValueError(f"cache={cache!r} must be 'kernels' (fast, D·n² memory) or 'distances' (n² memory).")
        if target.ndim != 2 or target.shape[0] != x.shape[0]:
            raise ValueError(f"target has shape {tuple(target.shape)}; pass (n, C) with n = {x.shape[0]} (one-hot for classes).")
        self.deltas = _check_deltas(deltas)
        self.cache, self.min_part = cache, min_part
        self.d2 = squared_distances(x, chunk_size)  # (n, n)
        self.kernels = None
        if cache == "kernels":
            n = len(self.d2)
            self.kernels = torch.empty(len(self.deltas), n, n, dtype=self.d2.dtype, device=self.d2.device)  # (D, n, n)
            for i, d in enumerate(self.deltas):  # filled in place: peak memory (D + 2)·n², not 2·D·n²
                self.kernels[i] = normalized_gaussian_kernel(self.d2, d)
            self.d2 = None
        self.target = target.to(self.d2.dtype if self.d2 is not None else self.kernels.dtype)
        self.target_low = self.low_pass(self.target)  # (D, n, C)
        self.target_high = self.target - self.target_low  # (D, n, C)
        total = self.target.norm()
        self.low_norm = self.target_low.flatten(1).norm(dim=1)  # (D,)
        self.high_norm = self.target_high.flatten(1).norm(dim=1)  # (D,)
        # Where a part of the target is ~0 (high part at small δ, when the kernel is ~identity) its
        # relative error is 0/0: report it as absent instead of dividing by rounding noise.
        self.low_absent = self.low_norm <= min_part * total  # (D,) bool
        self.high_absent = self.high_norm <= min_part * total  # (D,) bool

    def low_pass(self, values: torch.Tensor) -> torch.Tensor:
        """Return the low-frequency part of `values` (n, C) for every δ, (D, n, C)."""
        values = values.to(self.kernels.dtype if self.kernels is not None else self.d2.dtype)
        if self.kernels is not None:
            return self.kernels @ values
        return torch.stack([normalized_gaussian_kernel(self.d2, d) @ values for d in self.deltas])

    def errors(self, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return e_low, e_high (D,) for `pred` (n, C), NaN where the target part is absent, and
        the flags low_absent, high_absent (D,) and the target's high_fraction ‖y_high‖/‖y‖ (D,)."""
        if pred.shape != self.target.shape:
            raise ValueError(f"pred has shape {tuple(pred.shape)} but the target has {tuple(self.target.shape)}.")
        pred_low = self.low_pass(pred)  # (D, n, C)
        pred_high = pred.to(pred_low.dtype) - pred_low
        e_low = (self.target_low - pred_low).flatten(1).norm(dim=1) / self.low_norm
        e_high = (self.target_high - pred_high).flatten(1).norm(dim=1) / self.high_norm
        nan = torch.tensor(float("nan"), dtype=e_low.dtype, device=e_low.device)
        return {
            "e_low": torch.where(self.low_absent, nan, e_low),
            "e_high": torch.where(self.high_absent, nan, e_high),
            "low_absent": self.low_absent,
            "high_absent": self.high_absent,
            "high_fraction": self.high_norm / self.target.norm(),
        }


def filter_errors(
    x: torch.Tensor, pred: torch.Tensor, target: torch.Tensor, deltas: Sequence[float] | torch.Tensor, **kwargs
) -> dict[str, torch.Tensor]:
    """Return Xu et al.'s e_low and e_high, each (len(deltas),), for pred and target (n, C) at x (n, ...).

    One-off convenience: builds the kernels (O(n²·d + D·n²)); for repeated calls on the same
    points keep a `GaussianFilters` instead. NaN (with the *_absent flag set) where a part of
    the target is nearly zero.
    """
    return GaussianFilters(x, target, deltas, **kwargs).errors(pred)
