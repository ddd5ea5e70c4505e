"""LightningModules that wrap any nn.Module: regression (MSE) and classification (cross-entropy).

`forward` is prediction, so analysis callbacks can call the module on probe inputs.
"""

from __future__ import annotations

from dataclasses import asdict

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch import nn

from ..analysis.records import stage_key
from .optim import OptimizerConfig, build_optimizer, build_scheduler


class _Task(pl.LightningModule):
    """Shared plumbing: the wrapped network, its optimizer and schedule, train/val/test loops."""

    def __init__(self, model: nn.Module, optimizer: OptimizerConfig | dict | None = None, scheduler: str | None = None) -> None:
        super().__init__()
        self.model = model
        if isinstance(optimizer, dict) or hasattr(optimizer, "keys"):
            optimizer = OptimizerConfig(**dict(optimizer))
        self.optimizer_cfg = optimizer or OptimizerConfig()
        self.scheduler_name = scheduler
        self.save_hyperparameters({"optimizer": asdict(self.optimizer_cfg), "scheduler": scheduler})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def configure_optimizers(self):
        optimizer = build_optimizer(self.parameters(), self.optimizer_cfg)
        scheduler = build_scheduler(optimizer, self.scheduler_name, self.trainer.estimated_stepping_batches)
        if scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def loss(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Return the training loss of a batch (a scalar): what the Hessian probe (callbacks.SharpnessProbe) differentiates."""
        raise NotImplementedError

    def metrics(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def _step(self, batch, stage: str) -> torch.Tensor:
        x, y = batch[0], batch[1]
        values = self.metrics(self(x), y)
        on_step = stage == "train"
        self.log_dict({stage_key(stage, k): v for k, v in values.items()}, on_step=on_step, on_epoch=not on_step,
                      prog_bar=stage != "test", batch_size=len(x), sync_dist=not on_step)  # epoch values: mean over ranks
        return values["loss"]

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch, batch_idx: int) -> None:
        self._step(batch, "test")


class RegressionModule(_Task):
    """Mean squared error, (1/n)Σ‖f(x) − y‖² averaged over outputs too (torch's MSELoss)."""

    task = "regression"

    def loss(self, pred, target):
        return F.mse_loss(pred, target.reshape(pred.shape))

    def metrics(self, pred, target):
        return {"loss": self.loss(pred, target)}


class ClassificationModule(_Task):
    """Cross-entropy on logits, or (criterion="mse") the MSE of the logits against one-hot targets; logs accuracy and error too.

    criterion="mse" is Cohen et al.'s squared loss for classification (docs/references.md §23): torch's
    mse_loss, a mean over samples and classes.
    """

    task = "classification"
    CRITERIA = ("cross_entropy", "mse")

    def __init__(self, model: nn.Module, optimizer=None, scheduler: str | None = None, label_smoothing: float = 0.0,
                 criterion: str = "cross_entropy") -> None:
        super().__init__(model, optimizer, scheduler)
        if criterion not in self.CRITERIA:
            raise ValueError(f"task.criterion={criterion!r} is unknown; choose one of {list(self.CRITERIA)}")
        if criterion == "mse" and label_smoothing:
            raise ValueError(f"task.label_smoothing={label_smoothing} applies to cross-entropy only; "
                             "set it to 0 with criterion=mse")
        self.label_smoothing, self.criterion = label_smoothing, criterion

    def loss(self, pred, target):
        if self.criterion == "mse":
            return F.mse_loss(pred, F.one_hot(target, pred.shape[-1]).to(pred.dtype))
        return F.cross_entropy(pred, target, label_smoothing=self.label_smoothing)

    def metrics(self, pred, target):
        acc = (pred.argmax(-1) == target).float().mean()
        return {"loss": self.loss(pred, target), "acc": acc, "error": 1 - acc}
