"""Starting and finishing the W&B run of a training: offline by default, online on request."""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

MODES = ("offline", "online", "disabled")


def wandb_mode(requested: str | None) -> str:
    """Return the wandb mode: `requested` (logger.mode), else $WANDB_MODE, else offline."""
    mode = requested or os.environ.get("WANDB_MODE") or "offline"
    mode = {"dryrun": "offline", "run": "online"}.get(mode, mode)
    if mode not in MODES:
        raise ValueError(f"logger.mode={mode!r} is not a W&B mode; use one of {MODES} (online needs `wandb login`)")
    return mode


def build_wandb_logger(cfg: DictConfig, output_dir: Path):
    """Return a Lightning WandbLogger for `cfg.logger` and `cfg.run`, writing under `output_dir`."""
    from lightning.pytorch.loggers import WandbLogger

    log = cfg.logger
    run = cfg.run
    return WandbLogger(
        project=log.project,
        entity=log.get("entity"),
        name=run.name,
        group=run.group,
        tags=list(run.tags or []),
        job_type=run.job_type,
        notes=run.get("notes"),
        save_dir=str(output_dir),
        mode=wandb_mode(log.mode),  # not offline=True: that forces WANDB_MODE=dryrun on the whole process
        log_model=log.log_model,
        config=OmegaConf.to_container(cfg, resolve=True),  # the resolved config, recorded at init
    )


def finish_wandb(logger, exit_code: int = 0) -> str | None:
    """Finish the run behind `logger` (Lightning never does) and return a line saying where it is."""
    if logger is None or getattr(logger, "_experiment", None) is None:
        return None
    run = logger.experiment
    run_path = Path(run.dir).parent  # .../wandb/offline-run-<time>-<id>
    offline = run.settings.mode in ("offline", "dryrun") or run.offline
    run.finish(exit_code=exit_code)  # also clears wandb.run, so a multirun's next job starts its own run
    if offline:
        return f"W&B run saved offline in {run_path}\n  upload it with: wandb sync {run_path}"
    return f"W&B run: {run.url}" if getattr(run, "url", None) else f"W&B run in {run_path}"
