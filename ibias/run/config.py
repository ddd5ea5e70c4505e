"""Structured-config schemas (they catch type mistakes at compose time) and cross-group checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

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
