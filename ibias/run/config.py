"""Structured-config schemas (they catch type mistakes at compose time) and cross-group checks."""

from __future__ import annotations

from dataclasses import dataclass, field

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


def register_schemas() -> None:
    """Store the schemas in Hydra's ConfigStore under the `schema` group."""
    cs = ConfigStore.instance()
    cs.store(group="schema", name="optimizer", node=OptimizerConfig)
    cs.store(group="schema", name="logger", node=LoggerSchema)
    cs.store(group="schema", name="run", node=RunSchema)


def check_task_matches_data(cfg: DictConfig, data_task: str) -> None:
    """Raise if cfg.task is a regression task on classification data, or the reverse."""
    target = cfg.task.get("_target_", "")
    kinds = {"ClassificationModule": "classification", "RegressionModule": "regression"}
    wants = kinds.get(target.rsplit(".", 1)[-1])
    if wants is not None and wants != data_task:
        raise ValueError(f"task={target.rsplit('.', 1)[-1]} does not fit data={cfg.data._target_.rsplit('.', 1)[-1]}, "
                         f"which is a {data_task} data set; set task={data_task}")
