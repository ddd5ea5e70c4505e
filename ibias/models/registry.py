"""A registry of thin model constructors, so configs and tests can name models by string.

Every registered constructor takes keyword arguments `input_shape` (a tuple, without the
batch dimension) and `num_outputs`, which the training entry point fills in from the
datamodule, plus its own size knobs (width, depth, k, ...).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

MODELS: dict[str, Callable[..., nn.Module]] = {}


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Return `fn` unchanged after recording it in MODELS under its function name."""
    if fn.__name__ in MODELS:
        raise ValueError(f"model {fn.__name__!r} is registered twice")
    MODELS[fn.__name__] = fn
    return fn


def build_model(name: str, **kwargs) -> nn.Module:
    """Return the model registered as `name`, built with `kwargs`."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; registered models: {sorted(MODELS)}")
    return MODELS[name](**kwargs)
