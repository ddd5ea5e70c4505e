"""Model-level complexity measures (Jiang et al. 2019; Bartlett et al. 2017) from per-layer norms.

W_i runs over every >= 2-D weight, conv weights reshaped (out, in*k*k) (see ibias/measures/norms.py);
W_i^0 is the init snapshot. Squared quantities follow Jiang et al.'s definitions:

    log_prod_spectral   = sum_i log ||W_i||_2^2
    sum_fro_sq          = sum_i ||W_i||_F^2
    sum_stable_rank     = sum_i ||W_i||_F^2 / ||W_i||_2^2
    dist_init_sq        = sum_i ||W_i - W_i^0||_F^2
    param_norm_sq       = sum over ALL parameters (biases, BatchNorm too) of ||theta||^2
    path_norm           = sqrt(sum_paths prod w^2) (ibias/measures/path_norm.py)
    spectral_complexity = (prod_i ||W_i||_2) * (sum_i ||W_i^T - M_i^T||_{2,1}^{2/3} / ||W_i||_2^{2/3})^{3/2}
                          (Bartlett), M_i = W_i^0 when a reference is given, else 0.

Margin-normalized versions (`<name>_margin`) use gamma = 10th percentile of the margin
(correct logit - best other logit) on a classification probe set: squared measures / gamma^2,
log_prod_spectral - log gamma^2, path_norm^2 / gamma^2, spectral_complexity / gamma. They are NaN
while gamma <= 0 (fewer than 90% of probe points classified correctly).
Source: docs/references.md §19.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .measure_specs import MARGIN_MEASURES


def margin(logits: torch.Tensor, targets: torch.Tensor, quantile: float = 0.1) -> float:
    """Return the `quantile` (default 10th percentile) of logit[target] - max other logit over (N, C) logits."""
    if logits.dim() != 2 or targets.shape != logits.shape[:1]:
        raise ValueError(f"margin needs (N, C) logits and (N,) class indices, got {tuple(logits.shape)}, {tuple(targets.shape)}")
    logits = logits.detach().double()
    correct = logits.gather(1, targets.long().view(-1, 1)).squeeze(1)  # (N,)
    others = logits.scatter(1, targets.long().view(-1, 1), -math.inf).amax(dim=1)  # (N,)
    return float(torch.quantile(correct - others, quantile))


def aggregate(layers: dict[str, dict[str, float]], model: nn.Module, measures: tuple[str, ...]) -> dict[str, float]:
    """Return the requested model measures (except path_norm) from `layers` = layer_norms(...) output."""
    rows = list(layers.values())
    out: dict[str, float] = {}
    if "log_prod_spectral" in measures:
        out["log_prod_spectral"] = sum(2 * math.log(r["spectral"]) if r["spectral"] > 0 else -math.inf for r in rows)
    if "sum_fro_sq" in measures:
        out["sum_fro_sq"] = sum(r["fro"] ** 2 for r in rows)
    if "sum_stable_rank" in measures:
        out["sum_stable_rank"] = sum(r["fro"] ** 2 / r["spectral"] ** 2 for r in rows if r["spectral"] > 0)
    if "dist_init_sq" in measures:
        out["dist_init_sq"] = sum(r["dist_fro"] ** 2 for r in rows)
    if "param_norm_sq" in measures:
        out["param_norm_sq"] = float(sum(p.detach().double().pow(2).sum() for p in model.parameters()))
    if "spectral_complexity" in measures:
        out["spectral_complexity"] = spectral_complexity(rows)
    return out


def spectral_complexity(rows: list[dict[str, float]]) -> float:
    """Return Bartlett et al.'s R_A from rows with `spectral` and `dist_l21` (or `l21`, i.e. reference M = 0)."""
    spectral = [r["spectral"] for r in rows]
    if min(spectral) <= 0:
        return 0.0
    l21 = [r["dist_l21"] if "dist_l21" in r else r["l21"] for r in rows]
    log_prod = sum(math.log(s) for s in spectral)  # in logs: a product of 20 norms overflows float32 easily
    inner = sum((a / s) ** (2 / 3) for a, s in zip(l21, spectral))
    return math.exp(log_prod) * inner ** 1.5


def margin_normalized(values: dict[str, float], gamma: float) -> dict[str, float]:
    """Return `<name>_margin` for every measure in `values` that has one (NaN when gamma <= 0)."""
    ok = gamma > 0
    out: dict[str, float] = {}
    for name, value in values.items():
        key = f"{name}_margin"
        if key not in MARGIN_MEASURES:
            continue
        if not ok:
            out[key] = math.nan
        elif name == "log_prod_spectral":
            out[key] = value - 2 * math.log(gamma)
        elif name == "path_norm":
            out[key] = value ** 2 / gamma ** 2
        elif name == "spectral_complexity":
            out[key] = value / gamma
        else:
            out[key] = value / gamma ** 2
    return out
