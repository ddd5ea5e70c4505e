"""L2 path norm (Neyshabur et al. 2015): sqrt(sum over input-output paths of the product of squared weights).

Computed as in Jiang et al. 2019: square every weight and bias, feed an all-ones input, sum the
outputs, take the square root. Biases count as weights on paths from a constant-1 unit. Valid only
for positively homogeneous nets (ReLU, linear layers, average pooling, residual sums): on the
squared net every activation is >= 0, so ReLU is the identity and the output is the path sum.
BatchNorm (running statistics) is folded first: it is the diagonal affine map x -> a*x + b with
a = gamma/sqrt(var + eps), b = beta - a*mean, whose path weights a and b are squared like the
rest. This equals folding it into the preceding conv/linear when that layer has no bias (as in
ResNets; with a bias c the folded bias path would be (a*c + b)^2 rather than a^2 c^2 + b^2).
Average pools weigh each path by 1/window, which is squared too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call

LINEAR = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
POOLS = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
PASS = (nn.ReLU, nn.Identity, nn.Flatten, nn.Unflatten, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)
ALLOWED = LINEAR + NORMS + POOLS + PASS


def _bn_affine(bn: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """Return BatchNorm's eval-mode (scale a, shift b), float64, per channel."""
    if bn.running_var is None:
        raise ValueError(f"path_norm: {bn} has no running statistics (track_running_stats=False), so it cannot be folded")
    a = (bn.running_var.double() + bn.eps).rsqrt()
    if bn.weight is not None:
        a = a * bn.weight.detach().double()
    b = -a * bn.running_mean.double()
    if bn.bias is not None:
        b = b + bn.bias.detach().double()
    return a, b


def _pool_window(pool: nn.Module, x: torch.Tensor) -> float:
    """Return the number of inputs an average pool averages over (so each path weighs 1/window)."""
    d = x.dim() - 2
    if isinstance(pool, (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
        k = pool.kernel_size
        padding = pool.padding
        if any(p != 0 for p in ((padding,) if isinstance(padding, int) else padding)) and not pool.count_include_pad:
            raise ValueError(f"path_norm: {pool} averages over a varying count at the borders; use count_include_pad=True")
        if getattr(pool, "divisor_override", None):
            return float(pool.divisor_override)
        return float(math.prod((k,) * d if isinstance(k, int) else k))
    out = pool.output_size
    out = (out,) * d if isinstance(out, int) else tuple(o if o is not None else n for o, n in zip(out, x.shape[2:]))
    if any(n % o for n, o in zip(x.shape[2:], out)):
        raise ValueError(f"path_norm: {pool} on input {tuple(x.shape[2:])} has uneven windows; use sizes divisible by {out}")
    return float(math.prod(n // o for n, o in zip(x.shape[2:], out)))


def _run(model: nn.Module, x: torch.Tensor, square: bool, biases: bool) -> torch.Tensor:
    """Return model(x) in float64 with weights (squared if `square`), biases (squared, or zeroed) and folded BN."""
    params = {}
    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        if p.is_floating_point():
            params[name] = p.detach().double()
    modules = dict(model.named_modules())
    for prefix, module in modules.items():
        if isinstance(module, LINEAR):
            key = f"{prefix}.weight" if prefix else "weight"
            params[key] = params[key] ** 2 if square else params[key]
            if module.bias is not None:
                bkey = f"{prefix}.bias" if prefix else "bias"
                params[bkey] = params[bkey] ** 2 if (square and biases) else params[bkey] * float(biases)

    def bn_hook(module, inputs, output):
        a, b = _bn_affine(module)
        if square:
            a, b = a * a, b * b
        shape = (1, -1) + (1,) * (inputs[0].dim() - 2)
        return inputs[0] * a.view(shape) + b.view(shape) * float(biases)

    def pool_hook(module, inputs, output):
        return output / _pool_window(module, inputs[0]) if square else output

    called: list[nn.Module] = []
    hooks = []
    for module in modules.values():
        if not list(module.children()):
            hooks.append(module.register_forward_hook(lambda m, i, o: called.append(m)))
        if isinstance(module, NORMS):
            hooks.append(module.register_forward_hook(bn_hook))
        elif isinstance(module, POOLS):
            hooks.append(module.register_forward_hook(pool_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            y = functional_call(model, params, (x,))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    bad = sorted({type(m).__name__ for m in called if not isinstance(m, ALLOWED)})
    if bad:
        raise ValueError(
            f"path_norm: {type(model).__name__} uses {bad}, which are not positively homogeneous linear/ReLU layers; "
            "the path norm is defined only for ReLU nets built from Linear/Conv/BatchNorm/AvgPool layers")
    return y


def path_norm(model: nn.Module, input_shape: Sequence[int], check: bool = True) -> float:
    """Return the L2 path norm sqrt(sum_paths prod w^2) of a ReLU net taking (B, *input_shape) inputs (biases included)."""
    device = next(model.parameters()).device
    if check:  # functional nonlinearities (torch.tanh in forward) are invisible to the module check above
        x = torch.randn(4, *input_shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(device)
        y1, y2 = _run(model, x, False, False), _run(model, 2 * x, False, False)
        if not torch.allclose(y2, 2 * y1, rtol=1e-6, atol=1e-9 * float(y1.abs().max() + 1)):
            raise ValueError(
                f"path_norm: {type(model).__name__} is not positively homogeneous (f(2x) != 2 f(x) with biases zeroed); "
                "the path norm is defined only for ReLU nets (no tanh/sigmoid/GELU, no max-pool or softmax in forward)")
    ones = torch.ones(1, *input_shape, dtype=torch.float64, device=device)
    return math.sqrt(float(_run(model, ones, True, True).sum()))
