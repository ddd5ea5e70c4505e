"""When an analysis callback runs, and the plumbing every analysis callback shares.

A CadencedCallback measures every N optimizer steps or every N epochs, and once before the first
step; it logs each event as one row, on rank zero only, never twice at one step (gradient
accumulation, a resume at that step); it publishes its pictures and tables at the end of fit and
on a crash or Ctrl-C, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import lightning.pytorch as pl

from ibias.probe_set import ProbeSet

from .logging import log_event


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
    """Runs `measure_event` at its Cadence and at train start, logs its metrics, publishes at the end.

    Neither every_n_steps nor every_n_epochs given means every epoch. Subclasses implement
    `measure_event` (one event's metrics; keep your own history), `logged_steps` (the steps of the
    events so far, resumed ones included) and, if they draw or tabulate, `publish`;
    `publish_every_n_events` also publishes during training.
    """

    def __init__(self, every_n_steps: int | None = None, every_n_epochs: int | None = None,
                 probe_set: ProbeSet | None = None, publish_every_n_events: int | None = None) -> None:
        if every_n_steps is None and every_n_epochs is None:
            every_n_epochs = 1
        self.cadence = Cadence(every_n_steps, every_n_epochs)
        self.explicit_probe_set = probe_set
        self.publish_every_n_events = publish_every_n_events
        self.seconds = 0.0  # wall time of this callback's events (measure, log, interim publish); LoopTimer reports it

    # ---- what subclasses provide ----------------------------------------------------------
    def measure_event(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, float]:
        """Measure now, remember it, and return the metrics to log (full logged keys)."""
        raise NotImplementedError

    def logged_steps(self) -> list[int]:
        """Return the global steps of the events measured so far (resumed history included)."""
        raise NotImplementedError

    def publish(self, trainer: pl.Trainer, final: bool) -> None:
        """Save and log pictures and tables of the history (rank zero); `final` at fit end or on a crash."""

    # ---- shared plumbing -------------------------------------------------------------------
    def find_probe_set(self, trainer: pl.Trainer) -> ProbeSet | None:
        """Return the probe_set= given at construction, else the datamodule's probe_set(), else None."""
        if self.explicit_probe_set is not None:
            return self.explicit_probe_set
        datamodule = getattr(trainer, "datamodule", None)
        if datamodule is not None and hasattr(datamodule, "probe_set"):
            return datamodule.probe_set()
        return None

    def _measure(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.sanity_checking:
            return
        steps = self.logged_steps()
        if steps and steps[-1] == trainer.global_step:  # gradient accumulation, or a resume at this step
            return
        start = time.perf_counter()
        log_event(trainer, self.measure_event(trainer, pl_module))
        events = len(self.logged_steps())
        if self.publish_every_n_events and events % self.publish_every_n_events == 0:
            self.publish(trainer, final=False)
        self.seconds += time.perf_counter() - start

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._measure(trainer, pl_module)  # the state before the first step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.cadence.due_after_step(trainer.global_step):
            self._measure(trainer, pl_module)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.cadence.due_after_epoch(trainer.current_epoch):
            self._measure(trainer, pl_module)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.is_global_zero:
            self.publish(trainer, final=True)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if trainer.is_global_zero:
            self.publish(trainer, final=True)  # a crash or Ctrl-C keeps what was measured
