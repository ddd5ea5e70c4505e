"""LightningModules that wrap any nn.Module: regression (MSE) and classification (cross-entropy).

`forward` is prediction, so analysis callbacks can call the module on probe inputs. Training metrics are
computed and logged only on the steps whose values reach a logger row (every trainer.log_every_n_steps),
the first step (the progress bar's first loss) and the last (the run's final metrics): a self.log call
costs about as much as a small model's whole step. Validation and test values are exact means over the
whole set (Lightning's batch-size-weighted epoch mean).
"""

from __future__ import annotations

from dataclasses import asdict

import torch
import torch.nn.functional as F
from torch import nn

from ..analysis.records import stage_key
from .lean_module import LeanLightningModule
from .optim import OptimizerConfig, build_optimizer, build_scheduler


class _Task(LeanLightningModule):
    """Shared plumbing: the wrapped network, its optimizer and schedule, train/val/test loops."""

    def __init__(self, model: nn.Module, optimizer: OptimizerConfig | dict | None = None, scheduler: str | None = None,
                 channels_last: bool = False, compile: bool = False) -> None:
        super().__init__()
        self.model = model.to(memory_format=torch.channels_last) if channels_last else model
        self.channels_last = channels_last
        # compile=True: training steps run torch.compile(model); analysis callbacks call the eager model (any
        # input shape, no recompilation). Not an attribute nn.Module registers: same parameters, same state_dict.
        object.__setattr__(self, "_compiled", torch.compile(model) if compile else None)
        if isinstance(optimizer, dict) or hasattr(optimizer, "keys"):
            optimizer = OptimizerConfig(**dict(optimizer))
        self.optimizer_cfg = optimizer or OptimizerConfig()
        self.scheduler_name = scheduler
        self.save_hyperparameters({"optimizer": asdict(self.optimizer_cfg), "scheduler": scheduler})

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        """Return x, as channels_last when images (B, C, H, W) meet a channels_last model."""
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.dim() == 4 else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(self._input(x))

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
        """Return {name: scalar tensor} to log, the loss included; the base class logs only the loss."""
        return {"loss": self.loss(pred, target)}

    def _log(self, values: dict[str, torch.Tensor], stage: str, batch_size: int) -> None:
        """Log `values` under stage keys: train per step, val/test as epoch means (mean over ranks, val on the bar).

        Train values are not marked prog_bar: Lightning converts every prog_bar value to a Python number
        after every batch (a device sync on GPU), even on the steps that logged nothing.
        callbacks.SpectrumProgressBar shows them from trainer.callback_metrics when it redraws.
        """
        on_step = stage == "train"
        self.log_dict({stage_key(stage, k): v for k, v in values.items()}, on_step=on_step, on_epoch=not on_step,
                      prog_bar=stage == "val", batch_size=batch_size, sync_dist=not on_step)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y = batch[0], batch[1]
        pred = self._compiled(self._input(x)) if self._compiled is not None else self(x)
        if self._logs_this_step(batch_idx):
            values = self.metrics(pred, y)
            self._log(values, "train", len(x))
            loss = values["loss"]
        else:
            loss = self.loss(pred, y)  # no metrics, no self.log (see the module docstring)
        return self.optimization_step(loss)

    def _logs_this_step(self, batch_idx: int) -> bool:
        """True when this step's train metrics reach a logger row, the bar's first value or the final metrics.

        Lightning writes the on_step values of step s (0-based) to the loggers only when (s + 1) is a multiple
        of trainer.log_every_n_steps, or when the trainer stops (its _LoggerConnector.should_update_logs);
        values logged on other steps are overwritten unseen. The first step gives the bar a loss at once, and
        the last step leaves the final loss in trainer.callback_metrics, as before.
        """
        trainer = self.trainer
        every = trainer.log_every_n_steps
        step = trainer.global_step  # optimizer steps taken before this batch
        row = every > 0 and (step + 1) % every == 0
        return row or step == 0 or trainer.should_stop or bool(trainer.fast_dev_run) or self._is_last_step(batch_idx)

    def _is_last_step(self, batch_idx: int) -> bool:
        """True on the last training batch that max_steps or max_epochs allow."""
        trainer = self.trainer
        if trainer.max_steps is not None and trainer.max_steps >= 0 and trainer.global_step + 1 >= trainer.max_steps:
            return True
        epochs = trainer.max_epochs
        last_epoch = epochs is not None and epochs >= 0 and trainer.current_epoch + 1 >= epochs
        return last_epoch and batch_idx + 1 >= trainer.num_training_batches

    def validation_step(self, batch, batch_idx: int) -> None:
        x, y = batch[0], batch[1]
        self._log(self.metrics(self(x), y), "val", len(x))

    def test_step(self, batch, batch_idx: int) -> None:
        x, y = batch[0], batch[1]
        self._log(self.metrics(self(x), y), "test", len(x))


class RegressionModule(_Task):
    """Mean squared error, (1/n)Σ‖f(x) − y‖² averaged over outputs too (torch's MSELoss)."""

    task = "regression"

    def loss(self, pred, target):
        return F.mse_loss(pred, target.reshape(pred.shape))


class ClassificationModule(_Task):
    """Cross-entropy on logits, or (criterion="mse") the MSE of the logits against one-hot targets; logs accuracy and error too.

    criterion="mse" is Cohen et al.'s squared loss for classification (docs/references.md §23): torch's
    mse_loss, a mean over samples and classes.
    """

    task = "classification"
    CRITERIA = ("cross_entropy", "mse")

    def __init__(self, model: nn.Module, optimizer=None, scheduler: str | None = None, label_smoothing: float = 0.0,
                 criterion: str = "cross_entropy", channels_last: bool = False, compile: bool = False) -> None:
        super().__init__(model, optimizer, scheduler, channels_last, compile)
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
