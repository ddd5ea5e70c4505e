"""Sending one analysis event to the trainer's loggers, as one row each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from ibias.analysis.records import EPOCH_AXIS, STEP_AXIS


def log_event(trainer: pl.Trainer, metrics: dict[str, float]) -> None:
    """Log `metrics` plus the epoch axis in one call per logger, at trainer.global_step."""
    if not trainer.is_global_zero or not metrics:
        return
    row = {**metrics, EPOCH_AXIS: float(trainer.current_epoch)}
    for logger in trainer.loggers:
        logger.log_metrics(row, step=trainer.global_step)


def log_media(trainer: pl.Trainer, images: dict[str, Path], tables: dict[str, tuple[list[str], list[list]]]) -> None:
    """Log PNG files as W&B images and (columns, rows) as W&B tables, in one row per W&B run."""
    runs = wandb_runs(trainer)
    if not runs or not (images or tables):
        return
    import wandb

    row: dict[str, Any] = {key: wandb.Image(str(path)) for key, path in images.items()}
    row.update({key: wandb.Table(columns=columns, data=data) for key, (columns, data) in tables.items()})
    for run in runs:
        run.log({**row, STEP_AXIS: trainer.global_step})


def declare(trainer: pl.Trainer, params: dict[str, Any]) -> None:
    """Add `params` to every logger's run config (rank 0): what a callback's keys mean."""
    if trainer.is_global_zero:
        for logger in trainer.loggers:
            logger.log_hyperparams(params)


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
