"""What the lean training step keeps: the same logged rows and values, exact epoch means, the same updates.

ibias.run.tasks logs train metrics only on the steps whose values reach a logger row and optimizes
manually (ibias.run.lean_module); each test compares against an independent computation: a module that
logs every step the standard Lightning way under automatic optimization, the full validation set
evaluated directly, and the plain PyTorch loop scripts/bench.py times.
"""

from __future__ import annotations

import io
import time

import lightning.pytorch as pl
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from callbacks import LoopTimer
from callbacks.cadence import CadencedCallback
from callbacks.progress import TimedTqdm
from datamodules import tensor_batches_loader
from ibias.run.config import compose_config
from ibias.run.plain_loop import plain_fit
from ibias.run.tasks import ClassificationModule, RegressionModule
from ibias.run.train import build_run
from recording_logger import RecordingLogger


class EveryStepModule(ClassificationModule):
    """The standard Lightning way: self.log_dict at every step, automatic optimization."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.automatic_optimization = True

    def training_step(self, batch, batch_idx):
        x, y = batch
        values = self.metrics(self(x), y)
        self.log_dict({f"train/{k}": v for k, v in values.items()}, on_step=True, on_epoch=False, prog_bar=True,
                      batch_size=len(x))
        return values["loss"]


def classification_data(n: int = 60, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (x (n, 6), y (n,)) with labels a noisy function of x."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    return x, ((x[:, 0] + 0.5 * torch.randn(n, generator=g)) > 0).long() + (x[:, 1] > 1).long()


def fit(module: pl.LightningModule, tmp_path, max_steps: int, log_every: int, val=None, **trainer_kw):
    """Fit on 60 points in batches of 12 (5 steps per epoch) and return (trainer, logger rows)."""
    logger = RecordingLogger(tmp_path)
    x, y = classification_data()
    trainer = pl.Trainer(max_steps=max_steps, logger=logger, log_every_n_steps=log_every, accelerator="cpu",
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         limit_val_batches=None if val else 0, default_root_dir=tmp_path, **trainer_kw)
    trainer.fit(module, train_dataloaders=tensor_batches_loader(x, y, batch_size=12, seed=3), val_dataloaders=val)
    return trainer, logger.rows


def network() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))


def train_rows(rows) -> list[tuple[int, dict]]:
    return [(step, {k: v for k, v in m.items() if k.startswith("train/") or k == "epoch"}) for step, m in rows
            if any(k.startswith("train/") for k in m)]


@pytest.mark.parametrize("max_steps, log_every", [(13, 4), (10, 5), (7, 50)])
def test_rows_steps_and_values_match_logging_every_step(tmp_path, max_steps, log_every):
    adam = {"name": "adam", "lr": 0.01}
    timer = LoopTimer()
    ours, rows = fit(ClassificationModule(network(), adam), tmp_path / "ours", max_steps, log_every, callbacks=[timer])
    ref, ref_rows = fit(EveryStepModule(network(), adam), tmp_path / "ref", max_steps, log_every)
    assert not ours.lightning_module.automatic_optimization
    got, want = train_rows(rows), train_rows(ref_rows)
    # Lightning's rows: the values of 0-based step s, at index s, when (s + 1) is a multiple of log_every_n_steps
    assert [s for s, _ in got] == [s for s, _ in want] == [s for s in range(max_steps) if (s + 1) % log_every == 0]
    for (_, a), (_, b) in zip(got, want):
        assert a.keys() == b.keys() == {"train/loss", "train/acc", "train/error", "epoch"}
        assert all(a[k] == pytest.approx(b[k], rel=1e-6, abs=1e-7) for k in a)
    # the final loss (the run's returned metrics) is the last step's, logged row or not
    assert float(ours.callback_metrics["train/loss"]) == pytest.approx(float(ref.callback_metrics["train/loss"]), rel=1e-6)
    assert timer.steps == max_steps


def test_validation_values_are_exact_means_over_the_whole_set(tmp_path):
    xv, yv = classification_data(30, seed=1)
    val = tensor_batches_loader(xv, yv, batch_size=7, shuffle=False)  # batches of 7, 7, 7, 7 and 2
    trainer, rows = fit(ClassificationModule(network(), {"name": "sgd", "lr": 0.1}), tmp_path, 10, 5, val=val,
                        check_val_every_n_epoch=1)
    last = [m for _, m in rows if "val/loss" in m][-1]  # validation after the last epoch: the final weights
    model = trainer.lightning_module.model.eval()
    with torch.no_grad():
        logits = model(xv)
    assert last["val/loss"] == pytest.approx(float(F.cross_entropy(logits, yv)), rel=1e-6)
    assert last["val/acc"] == pytest.approx(float((logits.argmax(-1) == yv).float().mean()), rel=1e-6)
    assert last["val/error"] == pytest.approx(1 - last["val/acc"], abs=1e-6)


@pytest.mark.parametrize("scheduler", [None, "cosine"])
def test_manual_optimization_makes_the_same_updates_as_automatic(tmp_path, scheduler):
    adam = {"name": "adam", "lr": 0.02}
    manual = ClassificationModule(network(), adam, scheduler=scheduler)
    automatic = ClassificationModule(network(), adam, scheduler=scheduler)
    automatic.automatic_optimization = True
    fit(manual, tmp_path / "m", 12, 50)
    fit(automatic, tmp_path / "a", 12, 50)
    for (name, a), b in zip(manual.named_parameters(), automatic.parameters()):
        assert torch.allclose(a, b, rtol=1e-6, atol=1e-7), name


def test_gradient_clipping_and_accumulation_fall_back_to_automatic_optimization(tmp_path):
    clipped = RegressionModule(nn.Linear(6, 1), {"name": "sgd", "lr": 0.1})
    trainer = pl.Trainer(max_steps=3, gradient_clip_val=0.5, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", default_root_dir=tmp_path)
    x, y = classification_data()
    trainer.fit(clipped, train_dataloaders=tensor_batches_loader(x, y.float()[:, None], batch_size=12))
    assert clipped.automatic_optimization and trainer.global_step == 3
    accumulating = RegressionModule(nn.Linear(6, 1))
    accumulating.trainer = pl.Trainer(accumulate_grad_batches=2, logger=False, accelerator="cpu", default_root_dir=tmp_path)
    assert accumulating.automatic_optimization


@pytest.mark.parametrize("overrides", [
    ["model.width=16", "trainer.max_steps=30", "data.steps_per_epoch=10"],  # the default: full-batch Adam
    ["experiment=double_descent_mnist1d", "data.num_samples=200", "data.batch_size=30", "trainer.max_epochs=2",
     "callbacks.weight_norms=null"],  # minibatch SGD with momentum, reshuffled every epoch
])
def test_the_plain_loop_trains_the_same_weights_as_ibias(tmp_path, overrides):
    """scripts/bench.py compares ibias with this loop: it must be the same computation."""
    cfg = compose_config(*overrides, "~logger", "trainer.enable_progress_bar=false", "trainer.enable_checkpointing=false",
                         "test=false", "trainer.check_val_every_n_epoch=1")
    run = build_run(cfg, tmp_path)
    run.trainer.fit(run.module, datamodule=run.datamodule)
    plain = plain_fit(cfg)
    assert plain.steps == run.trainer.global_step > 0
    for (name, a), b in zip(run.module.model.named_parameters(), plain.net.parameters()):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-7), name


def test_threads_sets_torchs_intra_op_threads_in_ibias_and_the_plain_loop(tmp_path):
    cfg = compose_config("model.width=8", "trainer.max_steps=2", "~logger", "trainer.enable_progress_bar=false",
                         "trainer.enable_checkpointing=false", "test=false", "callbacks=none")
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(3)
            cfg.threads = threads
            build_run(cfg, tmp_path / str(threads))
            assert torch.get_num_threads() == threads
            torch.set_num_threads(3)
            plain_fit(cfg)
            assert torch.get_num_threads() == threads
        cfg.threads = None  # torch's default stays as it is
        build_run(cfg, tmp_path / "none")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


class SleepingCallback(CadencedCallback):
    """An analysis callback whose every event takes `seconds` of wall time."""

    def __init__(self, seconds: float, **cadence) -> None:
        super().__init__(**cadence)
        self.sleep, self.steps = seconds, []

    def measure_event(self, trainer, pl_module):
        time.sleep(self.sleep)
        self.steps.append(trainer.global_step)
        return {}

    def logged_steps(self):
        return self.steps


def test_loop_timer_reports_the_analysis_callbacks_own_time_within_the_loop(tmp_path):
    timer, slow, fast = LoopTimer(), SleepingCallback(0.1, every_n_steps=4), SleepingCallback(0.02, every_n_steps=5)
    fit(ClassificationModule(network(), {"name": "sgd", "lr": 0.1}), tmp_path, 10, 50, callbacks=[timer, slow, fast])
    # events at steps 0 (train start, before the loop's first batch: not counted), 4, 8 and 0, 5, 10
    assert slow.steps == [0, 4, 8] and fast.steps == [0, 5, 10]
    assert slow.seconds >= 0.3 and fast.seconds >= 0.06
    in_loop = 2 * 0.1 + 2 * 0.02
    assert in_loop <= timer.analysis < in_loop + 0.05  # sleeping is at least as long as asked, the rest is bookkeeping
    assert timer.analysis < timer.wall


def test_timed_bar_skips_early_redraws_and_draws_the_final_state():
    out = io.StringIO()
    bar = TimedTqdm(total=10, file=out, min_seconds=3600, ascii=True)
    first = out.getvalue()
    for _ in range(10):
        bar.update(1)
        bar.set_postfix({"loss": 1.0})  # Lightning's per-batch redraw: skipped within min_seconds
    assert out.getvalue() == first and "0/10" in first
    bar.close()
    assert "10/10" in out.getvalue() and "loss=1" in out.getvalue()


def test_channels_last_and_compile_leave_predictions_and_checkpoints_unchanged():
    def conv_net() -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))

    x = torch.randn(5, 3, 8, 8)
    plain, fast = ClassificationModule(conv_net()), ClassificationModule(conv_net(), channels_last=True, compile=True)
    assert fast.model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(plain(x), fast(x), rtol=1e-5, atol=1e-6)  # forward (the callbacks' path) stays eager
    assert fast.state_dict().keys() == plain.state_dict().keys()  # the compiled wrapper is not a submodule
