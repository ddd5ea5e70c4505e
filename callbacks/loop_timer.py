"""How long the training loop took, from the first batch to the end of training, without start-up or test.

To run: `python scripts/train.py +callbacks.timer._target_=callbacks.LoopTimer` prints, at the end of fit,
`train loop: <steps> steps, wall <s> s, cpu <s> s, analysis <s> s` (CPU = user + system time of every thread
of this process, which moves much less than wall time when other jobs share the machine; analysis = the wall
time the analysis callbacks (CadencedCallback) spent in their events within the loop). scripts/bench.py reads it.
Under `scripts/bench.py train --lockstep` (IBIAS_BENCH_TURNS set) the run takes turns with its plain loop
(ibias/bench/turns.py) and the times leave out the waits.
"""

from __future__ import annotations

import time

import lightning.pytorch as pl
import torch

from ibias.bench.turns import Turns

from .cadence import CadencedCallback


class LoopTimer(pl.Callback):
    """Measures wall and process CPU seconds from the first training batch to the end of training.

    Also the analysis callbacks' own seconds in that span (`analysis`): their events timed by themselves,
    a share of the loop that does not rest on the difference of two noisy runs.
    """

    def __init__(self) -> None:
        self.start: tuple[float, float] | None = None
        self.wall = self.cpu = self.analysis = 0.0
        self.analysis_at_start = 0.0
        self.steps = 0
        self.turns: Turns | None = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self.start is None:
            self.turns = Turns.from_env() if trainer.is_global_zero else None
            if self.turns is not None:
                self.turns.begin()
            _synchronize(pl_module)
            self.start = (time.perf_counter(), time.process_time())
            self.first_step = trainer.global_step
            self.analysis_at_start = analysis_seconds(trainer)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.turns is not None:
            self.turns.step_done(trainer.global_step - self.first_step)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.start is None:
            return
        _synchronize(pl_module)  # the GPU may still be working through queued steps
        self.wall = time.perf_counter() - self.start[0]
        self.cpu = time.process_time() - self.start[1]
        if self.turns is not None:
            self.turns.end()
            self.wall -= self.turns.waited_wall
            self.cpu -= self.turns.waited_cpu
        self.steps = trainer.global_step - self.first_step
        self.analysis = analysis_seconds(trainer) - self.analysis_at_start
        if trainer.is_global_zero:
            print(f"\ntrain loop: {self.steps} steps, wall {self.wall:.3f} s, cpu {self.cpu:.3f} s, "
                  f"analysis {self.analysis:.3f} s", flush=True)  # after the bar


def analysis_seconds(trainer: pl.Trainer) -> float:
    """Return the seconds the trainer's analysis callbacks (CadencedCallback) have spent in their events so far."""
    return sum(cb.seconds for cb in trainer.callbacks if isinstance(cb, CadencedCallback))


def _synchronize(pl_module: pl.LightningModule) -> None:
    if pl_module.device.type == "cuda":
        torch.cuda.synchronize(pl_module.device)
