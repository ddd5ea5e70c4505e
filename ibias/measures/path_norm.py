"""L2 path norm (Neyshabur et al. 2015): sqrt(sum over input-output paths of the product of squared weights).

Computed as in Jiang et al. 2019: square every parameter (weights and biases), feed an all-ones
input, sum the outputs, take the square root. Biases count as weights on paths from a constant-1
unit. Valid only for positively homogeneous nets (linear layers, ReLU, average pooling, residual
sums): on the squared net every activation is >= 0, so ReLU is the identity and the output is the
path sum. The forward runs under a TorchFunctionMode that sees functional calls too (F.relu,
F.adaptive_avg_pool2d in a forward method):
- BatchNorm (running statistics) is folded first: it is the diagonal affine map x -> a*x + b with
  a = gamma/sqrt(var + eps), b = beta - a*mean, whose path weights a and b are squared like the rest.
  This equals folding it into the preceding conv/linear when that layer has no bias (as in ResNets;
  with a bias c the folded bias path would be (a*c + b)^2 rather than a^2 c^2 + b^2).
- Average pools weigh each path by 1/window, which is squared too.
- Max pooling, saturating or smooth activations and layer/group norms are refused; any other
  non-homogeneous function is caught by checking f(2x) = 2 f(x) with biases zeroed.
Source: docs/references.md §19.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call
from torch.overrides import TorchFunctionMode

from .eval_mode import eval_mode

DENIED = ("max_pool", "adaptive_max_pool", "fractional_max_pool", "lp_pool", "leaky_relu", "prelu", "rrelu", "relu6",
          "hardtanh", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "sigmoid", "tanh", "softmax",
          "log_softmax", "layer_norm", "group_norm", "instance_norm", "local_response_norm", "abs")
AVG_POOLS = ("avg_pool1d", "avg_pool2d", "avg_pool3d")
ADAPTIVE_POOLS = ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d")


def _bn_args(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    return input, running_mean, running_var, weight, bias, eps


def _avg_args(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    return kernel_size, padding, count_include_pad, divisor_override


def _window(name: str, args: tuple, kwargs: dict) -> float:
    """Return how many inputs one output of an average pool averages (each path through it weighs 1/window)."""
    x = args[0]
    d = x.dim() - 2
    if name in AVG_POOLS:
        k, padding, count_include_pad, divisor = _avg_args(*args, **kwargs)
        pads = (padding,) if isinstance(padding, int) else tuple(padding)
        if any(pads) and not count_include_pad:
            raise ValueError(f"path_norm: {name} with padding={padding} and count_include_pad=False averages a varying "
                             "count at the borders; use count_include_pad=True")
        if divisor:
            return float(divisor)
        return float(math.prod((k,) * d if isinstance(k, int) else tuple(k)))
    out = args[1] if len(args) > 1 else kwargs["output_size"]
    out = (out,) * d if isinstance(out, int) else tuple(o if o is not None else n for o, n in zip(out, x.shape[2:]))
    if any(n % o for n, o in zip(x.shape[2:], out)):
        raise ValueError(f"path_norm: {name} from {tuple(x.shape[2:])} to {out} has uneven windows; "
                         "use input sizes divisible by the output size")
    return float(math.prod(n // o for n, o in zip(x.shape[2:], out)))


class _PathMode(TorchFunctionMode):
    """Folds BatchNorm into (squared) per-channel affine maps, squares pool weights, refuses non-path layers."""

    def __init__(self, square: bool, biases: bool) -> None:
        super().__init__()
        self.square, self.biases = square, biases

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "").lstrip("_")
        if name.startswith(DENIED):
            raise ValueError(f"path_norm: the forward calls {name}, which is not a positively homogeneous linear/ReLU "
                             "operation; the path norm is defined only for ReLU nets of Linear/Conv/BatchNorm/AvgPool")
        if name == "batch_norm":
            x, mean, var, weight, bias, eps = _bn_args(*args, **kwargs)
            if mean is None or var is None:
                raise ValueError("path_norm: a BatchNorm has no running statistics (track_running_stats=False), "
                                 "so it cannot be folded")
            a = (var.double() + eps).rsqrt() * (weight.double() if weight is not None else 1.0)
            b = (bias.double() if bias is not None else 0.0) - a * mean.double()
            if self.square:
                a, b = a * a, b * b
            shape = (1, -1) + (1,) * (x.dim() - 2)
            return x * a.view(shape) + b.view(shape) * float(self.biases)
        out = func(*args, **kwargs)
        if self.square and (name in AVG_POOLS or name in ADAPTIVE_POOLS):
            out = out / _window(name, args, kwargs)
        return out


def _run(model: nn.Module, x: torch.Tensor, square: bool, biases: bool) -> torch.Tensor:
    """Return model(x) in float64 with parameters squared (or raw, biases zeroed when not `biases`), BatchNorm folded."""
    batchnorm = {f"{prefix}.{n}" if prefix else n for prefix, m in model.named_modules()
                 if isinstance(m, nn.modules.batchnorm._BatchNorm) for n, _ in m.named_parameters(recurse=False)}
    params = {name: b.detach().double() for name, b in model.named_buffers() if b.is_floating_point()}
    for name, p in model.named_parameters():
        value = p.detach().double()
        if name in batchnorm:
            params[name] = value  # folded by _PathMode
        elif not biases and name.rsplit(".", 1)[-1] == "bias":
            params[name] = torch.zeros_like(value)
        else:
            params[name] = value * value if square else value
    with eval_mode(model), torch.no_grad(), _PathMode(square, biases):
        return functional_call(model, params, (x,))


def path_norm(model: nn.Module, input_shape: Sequence[int], check: bool = True) -> float:
    """Return the L2 path norm sqrt(sum_paths prod w^2) of a ReLU net taking (B, *input_shape) inputs (biases included)."""
    device = next(model.parameters()).device
    if check:  # catches what the deny list in _PathMode does not name (torch.exp, a custom autograd function, ...)
        x = torch.randn(4, *input_shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(device)
        y1, y2 = _run(model, x, False, False), _run(model, 2 * x, False, False)
        if not torch.allclose(y2, 2 * y1, rtol=1e-6, atol=1e-9 * float(y1.abs().max() + 1)):
            raise ValueError(
                f"path_norm: {type(model).__name__} is not positively homogeneous (f(2x) != 2 f(x) with biases zeroed); "
                "the path norm is defined only for ReLU nets of Linear/Conv/BatchNorm/AvgPool layers")
    ones = torch.ones(1, *input_shape, dtype=torch.float64, device=device)
    return math.sqrt(float(_run(model, ones, True, True).sum()))
