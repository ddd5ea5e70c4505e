"""A LightningModule base whose per-step cost stays close to a plain PyTorch loop's.

Lightning's own bookkeeping around one training step costs about as much as the forward, backward and
update of a small MLP (scripts/bench.py; README "Benchmarks"). This base removes what it can without
changing what is computed, logged or checkpointed:
- manual optimization: `training_step` ends with `return self.optimization_step(loss)`, which zeroes the
  gradients, backpropagates, steps the optimizer and the per-step LR schedule, skipping the closure and the
  hook calls of automatic optimization. Lightning implements gradient clipping and accumulation only in
  automatic optimization, so when the trainer asks for either the module optimizes automatically instead
  (and optimization_step just returns the loss);
- Lightning sets `_current_fx_name` twice around each of the ~20 hook calls of a step; it is a plain
  string, so it is set directly rather than through nn.Module.__setattr__'s parameter/buffer bookkeeping;
- Lightning inspects `training_step`'s signature at every step (for `batch_idx`); the signature is
  computed once per class and kept on the function (`__signature__`, which `inspect` returns as is).
And for the Trainer (ibias.run.train passes it unless trainer.profiler is set): NullProfiler, which does
what Lightning's default PassThroughProfiler does (nothing) without building a generator-based context
manager around each of the ~60 hook calls of a step.
"""

from __future__ import annotations

import inspect
from contextlib import nullcontext

import lightning.pytorch as pl
import torch
from lightning.pytorch.profilers import PassThroughProfiler


class LeanLightningModule(pl.LightningModule):
    """LightningModule with manual optimization where Lightning allows it and cheaper per-step plumbing."""

    def __init__(self) -> None:
        super().__init__()
        self._automatic_optimization = None  # None: automatic only when the trainer clips or accumulates gradients

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("training_step")
        if inspect.isfunction(step):
            step.__signature__ = inspect.signature(step)

    @property
    def automatic_optimization(self) -> bool:
        """True when Lightning must drive the optimizer: set so explicitly, or gradient clipping or accumulation."""
        if self._automatic_optimization is not None:
            return self._automatic_optimization
        trainer = self._trainer
        return trainer is None or bool(trainer.gradient_clip_val) or trainer.accumulate_grad_batches != 1

    @automatic_optimization.setter
    def automatic_optimization(self, value: bool) -> None:
        self._automatic_optimization = value

    def optimization_step(self, loss: torch.Tensor) -> torch.Tensor:
        """Return `loss` after the update it gives (zero grad, backward, optimizer and LR-schedule step) if manual."""
        if self.automatic_optimization:
            return loss  # Lightning's loop steps the optimizer with this loss
        optimizer = self.optimizers()
        optimizer.zero_grad()
        self.manual_backward(loss)
        optimizer.step()  # through Lightning's optimizer wrapper: global_step and precision plugins as usual
        for config in self.trainer.lr_scheduler_configs:
            if config.interval != "step":
                raise ValueError(f"{type(self).__name__} steps LR schedules per step; got interval={config.interval!r}")
            if self.trainer.global_step % config.frequency == 0:
                config.scheduler.step()
        return loss

    def __setattr__(self, name: str, value) -> None:
        if name == "_current_fx_name":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)


class NullProfiler(PassThroughProfiler):
    """Lightning's do-nothing profiler whose `profile(action)` context is one reusable nullcontext."""

    _nothing = nullcontext()

    def profile(self, action_name: str):
        return self._nothing
