"""One training run from a composed config: data → network → LightningModule → callbacks → fit → test.

The W&B run is finished in every case (a crash or Ctrl-C keeps what was logged) and its location
printed with the `wandb sync` command that uploads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightning.pytorch as pl
from hydra.utils import instantiate
from lightning.pytorch.callbacks import ProgressBar
from omegaconf import DictConfig, OmegaConf

from callbacks.progress import SpectrumProgressBar

from ..models import build_model
from .config import check_task_matches_data
from .lean_module import NullProfiler
from .wandb_run import build_wandb_logger, finish_wandb


def build_callbacks(cfg: DictConfig) -> list[pl.Callback]:
    """Return the callbacks of cfg.callbacks, skipping entries set to null.

    A progress-bar callback is dropped when trainer.enable_progress_bar=false, which Lightning
    would otherwise reject, so one switch turns the bar off whatever the callback set; with the bar on and
    none configured, ours is added (it redraws by time; Lightning's default redraws at every step).
    """
    entries = cfg.get("callbacks") or {}
    built = [instantiate(spec, _convert_="all") for spec in entries.values() if spec is not None]
    if cfg.trainer.get("enable_progress_bar", True) is False:
        built = [cb for cb in built if not isinstance(cb, ProgressBar)]
    elif not any(isinstance(cb, ProgressBar) for cb in built):
        built.append(SpectrumProgressBar())
    return built


def build_network(cfg: DictConfig, datamodule: pl.LightningDataModule):
    """Return the registered model cfg.model.name, sized for the datamodule's inputs and outputs."""
    kwargs = OmegaConf.to_container(cfg.model, resolve=True)
    name = kwargs.pop("name")
    return build_model(name, input_shape=tuple(datamodule.input_shape), num_outputs=datamodule.num_outputs, **kwargs)


@dataclass
class Run:
    """Everything one training run is made of, built from a config but not yet fitted."""

    datamodule: pl.LightningDataModule
    module: pl.LightningModule
    trainer: pl.Trainer
    logger: object  # a WandbLogger, or False


def build_run(cfg: DictConfig, output_dir: Path | str) -> Run:
    """Return the datamodule, LightningModule, trainer (with callbacks) and logger that `cfg` describes."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    pl.seed_everything(cfg.seed, workers=True)

    datamodule = instantiate(cfg.data, _convert_="all")
    network = build_network(cfg, datamodule)
    module = instantiate(cfg.task, model=network, _convert_="all")
    check_task_matches_data(module.task, datamodule)
    logger = build_wandb_logger(cfg, output_dir) if cfg.get("logger") else False
    trainer_args = OmegaConf.to_container(cfg.trainer, resolve=True)
    if trainer_args.get("profiler") is None:  # Lightning's default costs ~60 context managers per step
        trainer_args["profiler"] = NullProfiler()
    trainer = pl.Trainer(**trainer_args, callbacks=build_callbacks(cfg), logger=logger, default_root_dir=str(output_dir))
    return Run(datamodule, module, trainer, logger)


def train(cfg: DictConfig, output_dir: Path | str) -> dict[str, float]:
    """Fit (and test) the run described by `cfg`, writing under `output_dir`; return the final metrics."""
    run = build_run(cfg, output_dir)
    trainer, module, datamodule, logger = run.trainer, run.module, run.datamodule, run.logger
    exit_code, metrics = 1, {}
    try:
        trainer.fit(module, datamodule=datamodule)
        metrics.update(_scalars(trainer.callback_metrics))
        if cfg.get("test"):
            trainer.test(module, datamodule=datamodule, verbose=False)
            metrics.update(_scalars(trainer.callback_metrics))
        exit_code = 0
    finally:
        where = finish_wandb(logger or None, exit_code=exit_code)
        if where:
            print(where)
    return metrics


def _scalars(metrics: dict) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v.numel() == 1}
