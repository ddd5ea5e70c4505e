"""When an analysis callback runs: every N optimizer steps, or every N epochs."""

from __future__ import annotations

from dataclasses import dataclass

import lightning.pytorch as pl


@dataclass(frozen=True)
class Cadence:
    """Exactly one of every_n_steps / every_n_epochs is set (a positive int)."""

    every_n_steps: int | None = None
    every_n_epochs: int | None = None

    def __post_init__(self) -> None:
        pairs = (("every_n_steps", self.every_n_steps), ("every_n_epochs", self.every_n_epochs))
        given = {k: v for k, v in pairs if v is not None}
        if len(given) != 1:
            raise ValueError(
                f"set exactly one of every_n_steps / every_n_epochs, got {given or 'neither'}; "
                "e.g. every_n_steps=100 or every_n_epochs=1"
            )
        (name, value), = given.items()
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer")

    def due_after_step(self, global_step: int) -> bool:
        """True when `global_step` optimizer steps have been taken and a step cadence is due."""
        return self.every_n_steps is not None and global_step % self.every_n_steps == 0

    def due_after_epoch(self, epoch: int) -> bool:
        """True after the 0-based `epoch` finishes and an epoch cadence is due."""
        return self.every_n_epochs is not None and (epoch + 1) % self.every_n_epochs == 0


class CadencedCallback(pl.Callback):
    """A callback that calls `self._measure(trainer, pl_module)` whenever its Cadence is due.

    Neither every_n_steps nor every_n_epochs given means every epoch. Subclasses implement
    `_measure`; they decide themselves what happens at train start (both analysis callbacks
    also measure there, before the first step).
    """

    def __init__(self, every_n_steps: int | None = None, every_n_epochs: int | None = None) -> None:
        if every_n_steps is None and every_n_epochs is None:
            every_n_epochs = 1
        self.cadence = Cadence(every_n_steps, every_n_epochs)

    def _measure(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        raise NotImplementedError

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.cadence.due_after_step(trainer.global_step):
            self._measure(trainer, pl_module)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.cadence.due_after_epoch(trainer.current_epoch):
            self._measure(trainer, pl_module)
