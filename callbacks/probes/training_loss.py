"""The training loss a probe differentiates: the LightningModule's own `loss(pred, target)`, or one the user passes."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def resolve_loss(module: nn.Module, loss_fn: LossFn | None, probe: str) -> LossFn:
    """Return `loss_fn` if given, else `module.loss` (ibias's tasks have one); raise naming the fix otherwise."""
    if loss_fn is not None:
        return loss_fn
    own = getattr(module, "loss", None)
    if callable(own):
        return own
    raise ValueError(
        f"{probe} needs the training loss, but {type(module).__name__} has no `loss(pred, target)` method; pass "
        f"{probe}(loss_fn=...), e.g. loss_fn=torch.nn.functional.mse_loss, or give the module such a method."
    )


def output_gradient(loss_fn: LossFn, pred: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Return ∂loss/∂pred (the shape of pred): the residual gradient descent feeds through the kernel.

    For the mean squared error it is 2(f − y)/(n·C); for cross-entropy (softmax(f) − onehot(y))/n.
    """
    with torch.enable_grad():
        pred = pred.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(pred, targets), pred)
    return grad
