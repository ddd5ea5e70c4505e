"""One training run from a composed config: data → network → LightningModule → callbacks → fit → test.

Before anything is built the config is type-checked (ibias/run/config.py). `checkpoints/last.ckpt` is
rewritten at the analysis cadence, so `resume=<run folder>` continues a killed run: same config (plus
the overrides given now), same weights, optimizer, step and callback histories, same W&B run.
`ckpt_path=<file>` starts a new run from a checkpoint's weights. A NaN or infinite loss stops the run.
The W&B run is finished in every case (a crash or Ctrl-C keeps what was logged) and its location
printed with the `wandb sync` command that uploads it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import lightning.pytorch as pl
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning.pytorch.callbacks import ModelCheckpoint, ProgressBar
from omegaconf import DictConfig, OmegaConf, open_dict

from callbacks.cadence import CadencedCallback
from callbacks.finite_loss import StopOnNonFiniteLoss
from callbacks.progress import SpectrumProgressBar

from ..models import build_model
from .config import ConfigError, check_config, check_task_matches_data, resumed_config
from .cuda_check import skip_nvml_check_without_driver
from .lean_module import NullProfiler
from .wandb_run import build_wandb_logger, check_credentials, finish_wandb, new_run_id, wandb_mode

LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"  # inside the run folder
# Under manual optimization (ibias.run.lean_module) ModelCheckpoint warns, with a 15-line example, that it saves the
# weights after the step: that is what resume=... wants, the weights and global_step of one step (tests/test_resume.py).
warnings.filterwarnings("ignore", message="Using ModelCheckpoint with manual optimization")


def build_callbacks(cfg: DictConfig, output_dir: Path | None = None) -> list[pl.Callback]:
    """Return the callbacks of cfg.callbacks (null entries skipped), the NaN-loss stop and, if on, the checkpoint.

    A progress-bar callback is dropped when trainer.enable_progress_bar=false, which Lightning
    would otherwise reject, so one switch turns the bar off whatever the callback set; with the bar on and
    none configured, ours is added (it redraws by time; Lightning's default redraws at every step).
    """
    entries = cfg.get("callbacks") or {}
    built = [build(spec, f"callbacks.{name}") for name, spec in entries.items() if spec is not None]
    if cfg.trainer.get("enable_progress_bar", True) is False:
        built = [cb for cb in built if not isinstance(cb, ProgressBar)]
    elif not any(isinstance(cb, ProgressBar) for cb in built):
        built.append(SpectrumProgressBar())
    built.append(StopOnNonFiniteLoss(check_every_n_steps=cfg.trainer.get("log_every_n_steps") or 50))
    if cfg.trainer.get("enable_checkpointing", True) and output_dir is not None:
        built.append(last_checkpoint(cfg.get("checkpoint") or {}, built, Path(output_dir)))
    return built


def last_checkpoint(spec, callbacks: Sequence[pl.Callback], output_dir: Path) -> ModelCheckpoint:
    """Return a ModelCheckpoint that rewrites output_dir/checkpoints/last.ckpt (nothing else) at the given cadence.

    Neither spec.every_n_steps nor spec.every_n_epochs set: the analysis callbacks' cadence (the
    smallest every_n_steps among them, else the smallest every_n_epochs, else every epoch), so a
    killed run loses at most one analysis interval and resumes on an analysis event.
    """
    steps, epochs = spec.get("every_n_steps"), spec.get("every_n_epochs")
    if steps is None and epochs is None:
        cadences = [cb.cadence for cb in callbacks if isinstance(cb, CadencedCallback)]
        steps = min((c.every_n_steps for c in cadences if c.every_n_steps), default=None)
        epochs = None if steps else min((c.every_n_epochs for c in cadences if c.every_n_epochs), default=1)
    return LastCheckpoint(dirpath=output_dir / LAST_CHECKPOINT.parent, filename="last", save_top_k=0, save_last=True,
                          every_n_train_steps=steps, every_n_epochs=epochs if not steps else None)


class LastCheckpoint(ModelCheckpoint):
    """ModelCheckpoint whose state_key is built once, and is ModelCheckpoint's (checkpoints stay interchangeable).

    Lightning formats every callback's state_key (for ModelCheckpoint the repr of a dict) at each of the ~8
    callback hooks of every training step; it depends only on arguments that never change.
    """

    @cached_property
    def state_key(self) -> str:
        key = super().state_key  # "<class qualname>{...}"
        return ModelCheckpoint.__qualname__ + key[len(type(self).__qualname__):]


def set_threads(threads: int | None) -> None:
    """Give torch `threads` intra-op threads (None: leave torch's default, one per core).

    Small models on CPU spend much of a step in Python between short kernels; with more than one thread the
    idle threads then sleep and wake on every kernel, which on 2 cores made steps slower and their times erratic
    (README "Benchmarks").
    """
    if threads is not None:
        torch.set_num_threads(int(threads))


def build(spec: DictConfig, key: str, **kwargs):
    """Return hydra's instantiate(spec); a constructor's refusal becomes a ConfigError that names the config key."""
    try:
        return instantiate(spec, _convert_="all", **kwargs)
    except InstantiationException as err:
        cause = err.__cause__ or err
        raise ConfigError(f"{key} ({spec.get('_target_')}): {cause}") from err


def build_network(cfg: DictConfig, datamodule: pl.LightningDataModule):
    """Return the registered model cfg.model.name, sized for the datamodule's inputs and outputs."""
    kwargs = OmegaConf.to_container(cfg.model, resolve=True)
    name = kwargs.pop("name")
    shape, outputs = tuple(datamodule.input_shape), datamodule.num_outputs
    try:
        return build_model(name, input_shape=shape, num_outputs=outputs, **kwargs)
    except (ValueError, TypeError, RuntimeError) as err:
        raise ConfigError(f"model={name} does not fit data={type(datamodule).__name__} (inputs {shape}, {outputs} "
                          f"outputs): {err}") from err


@dataclass
class Run:
    """Everything one training run is made of, built from a config but not yet fitted."""

    datamodule: pl.LightningDataModule
    module: pl.LightningModule
    trainer: pl.Trainer
    logger: object  # a WandbLogger, or False


def build_run(cfg: DictConfig, output_dir: Path | str) -> Run:
    """Return the datamodule, LightningModule, trainer (with callbacks) and logger that `cfg` describes.

    The config is checked first (ConfigError names the bad key) and saved, with the W&B run id it
    gets here, as output_dir/config.yaml: what `resume=output_dir` starts from.
    """
    check_config(cfg)
    if cfg.get("logger"):
        check_credentials(wandb_mode(cfg.logger.mode))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if cfg.run.get("id") is None:
        with open_dict(cfg):
            cfg.run.id = new_run_id()
    OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    set_threads(cfg.get("threads"))
    skip_nvml_check_without_driver()  # else every Adam step probes for a driver that is not there
    pl.seed_everything(cfg.seed, workers=True)

    datamodule = build(cfg.data, "data")
    network = build_network(cfg, datamodule)
    module = build(cfg.task, "task", model=network)
    check_task_matches_data(module.task, datamodule)
    if cfg.get("ckpt_path"):
        load_weights(module, Path(cfg.ckpt_path))
    logger = build_wandb_logger(cfg, output_dir, resume=bool(cfg.get("resume"))) if cfg.get("logger") else False
    trainer_args = OmegaConf.to_container(cfg.trainer, resolve=True)
    # ibias loaders serve whole batches to every rank, or shard themselves: Lightning's DistributedSampler
    # would split a full-batch epoch into shorter ones (docs: README "Scaling out").
    trainer_args.setdefault("use_distributed_sampler", not getattr(datamodule, "shards_itself", False))
    if trainer_args.get("profiler") is None:  # Lightning's default costs ~60 context managers per step
        trainer_args["profiler"] = NullProfiler()
    trainer = pl.Trainer(**trainer_args, callbacks=build_callbacks(cfg, output_dir), logger=logger,
                         default_root_dir=str(output_dir))
    return Run(datamodule, module, trainer, logger)


def load_weights(module: pl.LightningModule, path: Path) -> None:
    """Load the weights (only) of the Lightning checkpoint `path` into `module`; ConfigError if they do not fit."""
    state = torch.load(path, map_location="cpu", weights_only=False).get("state_dict")
    if state is None:
        raise ConfigError(f"ckpt_path={path} holds no state_dict; give a checkpoint that train.py wrote (checkpoints/last.ckpt)")
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        lines = [line.strip() for line in str(err).splitlines()[1:]]  # torch lists every mismatch, one per line
        first = lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "") if lines else str(err)
        raise ConfigError(f"ckpt_path={path} holds weights for another network: {first}. Use the model config it was "
                          f"trained with (config.yaml beside its checkpoints/ folder)") from err


def train(cfg: DictConfig, output_dir: Path | str) -> dict[str, float]:
    """Fit (and test) the run described by `cfg`, writing under `output_dir`; return the final metrics.

    With `cfg.resume` set, fit continues from output_dir/checkpoints/last.ckpt.
    """
    ckpt = None
    if cfg.get("resume"):
        ckpt = Path(output_dir) / LAST_CHECKPOINT
        if not ckpt.is_file():
            raise ConfigError(f"resume={output_dir} has no {LAST_CHECKPOINT}: the run was killed before its first checkpoint, "
                              "or ran with trainer.enable_checkpointing=false; start it again instead")
    run = build_run(cfg, output_dir)
    trainer, module, datamodule, logger = run.trainer, run.module, run.datamodule, run.logger
    exit_code, metrics = 1, {}
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=str(ckpt) if ckpt else None)
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


def train_from_command_line(cfg: DictConfig, output_dir: Path | str, overrides: Sequence[str]) -> dict[str, float]:
    """Train as scripts/train.py does: `resume=<folder>` continues that run (its config.yaml + `overrides`), else a new run."""
    if cfg.get("resume"):
        folder = Path(cfg.resume)
        return train(resumed_config(folder, overrides), folder)
    return train(cfg, output_dir)


def _scalars(metrics: dict) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v.numel() == 1}
