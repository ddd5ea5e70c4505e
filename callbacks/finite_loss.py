"""StopOnNonFiniteLoss: a NaN or infinite training loss stops the run, naming the first step it happened at.

To run: `Trainer(callbacks=[StopOnNonFiniteLoss()])` on any LightningModule whose training_step returns the loss.
On the CPU the loss is read every step (about a microsecond) and the run stops at the bad step. On an
accelerator, reading it would wait for the device each step, so the first bad step is kept on the device
and read every `check_every_n_steps` steps and at the end of training. The error goes through
Lightning's exception path, so every callback's `on_exception` runs (the analysis callbacks save and
log their heat maps and tables) and the run ends with a non-zero exit status.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import lightning.pytorch as pl
import torch


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or ±inf; the message names the step."""


class StopOnNonFiniteLoss(pl.Callback):
    """Raises NonFiniteLossError at most `check_every_n_steps` steps after the training loss is first NaN or ±inf."""

    def __init__(self, check_every_n_steps: int = 50, read_every_step: bool | None = None) -> None:
        if not isinstance(check_every_n_steps, int) or check_every_n_steps < 1:
            raise ValueError(f"check_every_n_steps={check_every_n_steps!r} must be a positive integer")
        self.check_every_n_steps = check_every_n_steps
        self.read_every_step = read_every_step  # None: on the CPU only
        self._first_bad: torch.Tensor | None = None  # () long on the loss's device: the first bad step, or -1
        self._value: torch.Tensor | None = None  # () the first bad loss

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch, batch_idx: int) -> None:
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else outputs
        if not isinstance(loss, torch.Tensor):
            return  # manual optimization or a skipped batch: nothing to watch
        # The loss of this batch was computed before this step's update: step global_step - 1 in W&B's rows.
        if self.read_every_step or (self.read_every_step is None and loss.device.type == "cpu"):
            value = float(loss)
            if not math.isfinite(value):
                self._first_bad, self._value = torch.tensor(trainer.global_step - 1), torch.tensor(value)
                self._raise_if_bad(trainer)
            return
        loss = loss.detach().float().reshape(())
        if self._first_bad is None:
            self._first_bad = torch.full((), -1, dtype=torch.long, device=loss.device)
            self._value = torch.zeros((), device=loss.device)
        new = ~torch.isfinite(loss) & (self._first_bad < 0)
        self._first_bad = torch.where(new, trainer.global_step - 1, self._first_bad)
        self._value = torch.where(new, loss, self._value)
        if trainer.global_step % self.check_every_n_steps == 0:
            self._raise_if_bad(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._raise_if_bad(trainer)

    def _raise_if_bad(self, trainer: pl.Trainer) -> None:
        if self._first_bad is None:
            return
        step = int(self._first_bad)  # the one host sync, every check_every_n_steps steps
        if step >= 0:
            raise NonFiniteLossError(
                f"the training loss is {float(self._value)} at step {step} (stopped at step {trainer.global_step}); "
                "the analysis so far is saved and logged. A learning rate too large for the model is the usual cause: "
                "lower task.optimizer.lr, or add trainer.gradient_clip_val=1.0")
