"""Structured-config schemas (they catch type mistakes at compose time) and cross-group checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig

from .optim import OptimizerConfig


@dataclass
class LoggerSchema:
    """logger: W&B project and mode (offline | online | disabled; null reads $WANDB_MODE)."""

    project: str = "ibias"
    entity: str | None = None
    mode: str | None = None
    log_model: bool = False


@dataclass
class RunSchema:
    """run: how the run is named and grouped in W&B."""

    name: str = MISSING
    group: str = MISSING
    tags: list[str] = field(default_factory=list)
    job_type: str = "train"
    notes: str | None = None


CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"  # the checkout's configs/ (configs are not packaged)


def compose_config(*overrides: str) -> DictConfig:
    """Return configs/train.yaml composed with `overrides`, as scripts/train.py would see it (no hydra node)."""
    from hydra import compose, initialize_config_dir

    register_schemas()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


def register_schemas() -> None:
    """Store the schemas in Hydra's ConfigStore under the `schema` group."""
    cs = ConfigStore.instance()
    cs.store(group="schema", name="optimizer", node=OptimizerConfig)
    cs.store(group="schema", name="logger", node=LoggerSchema)
    cs.store(group="schema", name="run", node=RunSchema)


def check_task_matches_data(module_task: str, datamodule) -> None:
    """Raise if the LightningModule's task (regression | classification) is not the datamodule's."""
    if module_task != datamodule.task:
        raise ValueError(f"task={module_task} does not fit data={type(datamodule).__name__}, which is a "
                         f"{datamodule.task} data set; set task={datamodule.task}")
