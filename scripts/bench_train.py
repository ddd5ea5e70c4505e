"""Speed of a full-batch training step: ibias (Lightning) against a plain PyTorch loop, callbacks off and on.

To run: python scripts/bench_train.py [--steps 2000] [--repeats 3]
Prints the mean ± std of seconds per step of each variant and the ratios, measured in one process.
"""

from __future__ import annotations

import argparse
import statistics
import time

import lightning.pytorch as pl
import torch

from callbacks import SpectrumCallback
from datamodules import SinusoidDataModule
from ibias.models import mlp
from ibias.run.tasks import RegressionModule


def plain_loop(steps: int) -> float:
    """Return seconds per step of Adam on the full 1-D batch in a bare PyTorch loop."""
    dm = SinusoidDataModule()
    x, y = next(iter(dm.train_dataloader()))
    net = mlp(input_shape=(1,), num_outputs=1)
    opt = torch.optim.Adam(net.parameters(), lr=3e-4)
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
    return (time.perf_counter() - start) / steps


def lightning_run(steps: int, callbacks: list) -> float:
    """Return seconds per step of the same training through ibias's module, datamodule and Trainer."""
    dm = SinusoidDataModule(steps_per_epoch=100)
    module = RegressionModule(mlp(input_shape=(1,), num_outputs=1), {"name": "adam", "lr": 3e-4})
    timer = _StepTimer()
    trainer = pl.Trainer(max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", limit_val_batches=0, callbacks=[timer, *callbacks])
    trainer.fit(module, datamodule=dm)
    return timer.seconds / steps


class _StepTimer(pl.Callback):
    """Times from the first batch to the end of fit, leaving set-up out as the plain loop does."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if not hasattr(self, "start"):
            self.start = time.perf_counter()

    def on_train_end(self, trainer, pl_module):
        self.seconds = time.perf_counter() - self.start


def with_callbacks() -> list:
    from callbacks import WeightNormCallback

    return [SpectrumCallback(every_n_steps=100), WeightNormCallback(every_n_steps=100)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    variants = {"plain PyTorch": lambda: plain_loop(args.steps),
                "ibias, no callbacks": lambda: lightning_run(args.steps, []),
                "ibias, spectrum+norms every 100": lambda: lightning_run(args.steps, with_callbacks())}
    times = {name: [] for name in variants}
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit every variant alike
        for name, run in variants.items():
            times[name].append(run())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.steps} steps x {args.repeats} repeats")
    for name, ts in times.items():
        print(f"{name:34s} {1e3 * statistics.mean(ts):7.3f} ± {1e3 * statistics.stdev(ts):.3f} ms/step")
    base = statistics.mean(times["plain PyTorch"])
    off = statistics.mean(times["ibias, no callbacks"])
    on = statistics.mean(times["ibias, spectrum+norms every 100"])
    print(f"ratio ibias/plain = {off / base:.3f}; callbacks on/off = {on / off:.3f}")


if __name__ == "__main__":
    main()
