"""Plain nn.Modules (no Lightning), registered by name for configs and sweeps."""

from .mlp import MLP, mlp
from .registry import MODELS, build_model, register_model

__all__ = ["MLP", "MODELS", "build_model", "mlp", "register_model"]
