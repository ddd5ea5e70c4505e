"""The reference a benchmark compares ibias against: the same run as a plain PyTorch loop, no Lightning.

Built from the same composed config as `train(cfg)`: the same seed, datamodule, network (same initial
weights), optimizer, schedule and loss, and the same minibatches in the same order (the batches come
from the datamodule's training set directly, not through a DataLoader). It trains and then measures
the test loss and error once; nothing else (no logging, no validation, no analysis).
To run: `python -m ibias.run.plain_loop experiment=double_descent_mnist1d model.width=40` (prints the
steps taken and the test metrics; scripts/bench.py times it).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import lightning.pytorch as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import Dataset, IterableDataset

from ..bench.turns import Turns
from .cuda_check import skip_nvml_check_without_driver
from .optim import OptimizerConfig, build_optimizer, build_scheduler
from .train import build_network, set_threads


def training_set(datamodule: pl.LightningDataModule, device: torch.device) -> Dataset:
    """Return the datamodule's training set (an ibias tensor dataset), its whole tensors moved to `device` once."""
    dataset = datamodule.train_dataloader().dataset
    dataset.tensors = tuple(t.to(device) for t in dataset.tensors)
    return dataset


def epoch_batches(dataset: Dataset) -> Iterator[tuple[torch.Tensor, ...]]:
    """Yield one epoch of batches of `dataset` (a fresh permutation per call, as each epoch in Lightning)."""
    if isinstance(dataset, IterableDataset):
        yield from dataset
    else:
        for i in range(len(dataset)):
            yield dataset[i]


def task_of(cfg: DictConfig) -> pl.LightningModule:
    """Return the config's task module around an identity network: its `loss(pred, target)` (a plain function of
    tensors: the criterion, label smoothing) and `task` are the ones ibias trains with; its network is not used."""
    return instantiate(cfg.task, model=torch.nn.Identity(), channels_last=False, compile=False, _convert_="all")


@dataclass
class PlainRun:
    """A finished plain run: the network, its datamodule, the steps taken and the loop's wall and CPU seconds."""

    net: torch.nn.Module
    datamodule: pl.LightningDataModule
    steps: int
    wall: float
    cpu: float


AUTOCAST = {"32-true": None, "32": None, "bf16-mixed": torch.bfloat16}  # trainer.precision -> autocast dtype


def run_device(cfg: DictConfig) -> torch.device:
    """Return the device Lightning would pick for cfg.trainer.accelerator (auto: CUDA when present)."""
    accelerator = str(cfg.trainer.get("accelerator", "auto"))
    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    if accelerator not in ("auto", "cpu"):
        raise ValueError(f"the plain loop runs on cpu or cuda; trainer.accelerator={accelerator} is not supported")
    return torch.device("cpu")


def plain_fit(cfg: DictConfig) -> PlainRun:
    """Return the PlainRun of training as cfg.trainer says (max_steps / max_epochs), timed from the first batch.

    Honours trainer.accelerator, trainer.precision (32-true or bf16-mixed: autocast of forward and loss, as
    Lightning does), task.channels_last and task.compile like ibias.run.tasks.
    """
    precision = str(cfg.trainer.get("precision", "32-true"))
    if precision not in AUTOCAST:
        raise ValueError(f"the plain loop supports trainer.precision in {sorted(AUTOCAST)}, not {precision}")
    device = run_device(cfg)
    set_threads(cfg.get("threads"))  # as train.build_run: the same intra-op threads
    skip_nvml_check_without_driver()  # as train.build_run; a plain PyTorch process never sets Lightning's variable
    pl.seed_everything(cfg.seed, workers=True)  # as train.build_run: same data, same initial weights
    datamodule = instantiate(cfg.data, _convert_="all")
    net = build_network(cfg, datamodule).to(device)
    channels_last = bool(cfg.task.get("channels_last", False))
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    step_net = torch.compile(net) if cfg.task.get("compile", False) else net
    optimizer = build_optimizer(net.parameters(), OptimizerConfig(**OmegaConf.to_container(cfg.task.optimizer)))
    max_steps, max_epochs = int(cfg.trainer.max_steps), int(cfg.trainer.max_epochs)
    if max_steps < 0 and max_epochs < 0:
        raise ValueError("the plain loop needs an end: set trainer.max_steps or trainer.max_epochs")
    dataset = training_set(datamodule, device)
    steps_per_epoch = len(dataset)  # batches per epoch (both ibias tensor datasets define it)
    total = min(s for s in (max_steps, max_epochs * steps_per_epoch) if s >= 0)
    scheduler = build_scheduler(optimizer, cfg.task.get("scheduler"), total)
    loss_of = task_of(cfg).loss
    dtype = AUTOCAST[precision]
    step = 0
    net.train()
    turns = Turns.from_env()  # scripts/bench.py train --lockstep: take turns with the ibias run
    if turns is not None:
        turns.begin()
    start = (time.perf_counter(), time.process_time())
    while step < total:
        for x, y in epoch_batches(dataset):
            if channels_last and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                loss = loss_of(step_net(x), y)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            step += 1
            if turns is not None:
                turns.step_done(step)
            if step == total:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - start[0], time.process_time() - start[1]
    if turns is not None:
        turns.end()
        wall, cpu = wall - turns.waited_wall, cpu - turns.waited_cpu
    return PlainRun(net, datamodule, step, wall, cpu)


@torch.no_grad()
def test_metrics(cfg: DictConfig, net: torch.nn.Module, datamodule: pl.LightningDataModule) -> dict[str, float]:
    """Return the test loss (and error rate for classification) of `net`, averaged over every test sample."""
    device = next(net.parameters()).device
    task = task_of(cfg)
    loss, total, wrong, count = task.loss, 0.0, 0, 0
    net.eval()
    for x, y in datamodule.test_dataloader():
        x, y = x.to(device), y.to(device)
        pred = net(x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 and cfg.task.get("channels_last") else x)
        total += float(loss(pred, y)) * len(y)
        if pred.dim() == 2 and y.dim() == 1:
            wrong += int((pred.argmax(-1) != y).sum())
        count += len(y)
    metrics = {"test/loss": total / count}
    if task.task == "classification":
        metrics["test/error"] = wrong / count
    return metrics


def main(argv: list[str]) -> None:
    from .config import compose_config

    cfg = compose_config(*argv)
    run = plain_fit(cfg)
    metrics = test_metrics(cfg, run.net, run.datamodule)
    print(f"train loop: {run.steps} steps, wall {run.wall:.3f} s, cpu {run.cpu:.3f} s")  # the format of callbacks.LoopTimer
    print("plain loop: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
