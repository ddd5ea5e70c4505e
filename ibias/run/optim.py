"""Optimizers and schedules by name, so configs and sweeps can switch them."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


@dataclass
class OptimizerConfig:
    """task.optimizer: name in OPTIMIZERS; momentum is used by SGD only, betas by Adam/AdamW only.

    Also the structured-config schema of task.optimizer (ibias/run/config.py), so a typo'd type fails at compose time.
    """

    name: str = "adam"
    lr: float = 3e-4
    weight_decay: float = 0.0
    momentum: float = 0.0
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])


def build_optimizer(params, cfg: OptimizerConfig) -> torch.optim.Optimizer:
    """Return the optimizer `cfg.name` over `params`."""
    if cfg.name not in OPTIMIZERS:
        raise ValueError(f"optimizer.name={cfg.name!r} is unknown; choose one of {sorted(OPTIMIZERS)}")
    if cfg.lr <= 0:
        raise ValueError(f"optimizer.lr={cfg.lr} must be positive")
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    return OPTIMIZERS[cfg.name](params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)


def build_scheduler(optimizer: torch.optim.Optimizer, name: str | None, total_steps: int | None):
    """Return a per-step LR schedule `name` (None/'constant', 'cosine') or None."""
    if name in (None, "constant"):
        return None
    if name == "cosine":
        if not total_steps or total_steps < 1:
            raise ValueError("scheduler=cosine needs a known length: set trainer.max_steps or trainer.max_epochs")
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    raise ValueError(f"scheduler={name!r} is unknown; choose constant or cosine")
