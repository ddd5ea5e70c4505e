"""Sending one analysis event to the trainer's loggers, as one row each."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl


def log_event(trainer: pl.Trainer, metrics: dict[str, float]) -> None:
    """Log `metrics` plus the `epoch` axis in one call per logger, at trainer.global_step."""
    if not trainer.is_global_zero or not metrics:
        return
    row = {**metrics, "epoch": float(trainer.current_epoch)}
    for logger in trainer.loggers:
        logger.log_metrics(row, step=trainer.global_step)


def wandb_runs(trainer: pl.Trainer) -> list:
    """Return the live wandb Run objects behind the trainer's WandbLoggers (rank 0 only)."""
    if not trainer.is_global_zero:
        return []
    from lightning.pytorch.loggers import WandbLogger

    return [lg.experiment for lg in trainer.loggers if isinstance(lg, WandbLogger)]


def run_dir(trainer: pl.Trainer) -> Path:
    """Return the folder where a callback saves its files (the first logger's, else the root dir)."""
    for logger in trainer.loggers:
        if getattr(logger, "save_dir", None):
            return Path(logger.save_dir)
    return Path(trainer.default_root_dir)
