"""Bad numbers and bad logger settings end the run clearly: a NaN loss names its step, a ~0 amplitude gives NaN."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from callbacks import GridProbe
from callbacks.finite_loss import NonFiniteLossError, StopOnNonFiniteLoss
from conftest import CPU_SMOKE, TINY_DEFAULT_RUN, compose_config
from ibias.analysis.records import LAYER_TABLE_KEY, STEP_AXIS, heatmap_table_key
from ibias.analysis.wandb_io import find_runs, read_finished_run
from ibias.probe_set import ProbeSet
from ibias.run.train import build_run, train

# SGD at lr 1e4 on the default MLP: the loss overflows within a few steps (found by trying, seed 0).
DIVERGING = [*TINY_DEFAULT_RUN, "task.optimizer.name=sgd", "task.optimizer.lr=1e4", "trainer.log_every_n_steps=1",
             "logger.mode=offline", "trainer.enable_progress_bar=false"]


def test_a_nan_loss_stops_the_run_naming_its_step_and_keeps_the_analysis(tmp_path):
    with pytest.raises(NonFiniteLossError) as err:
        train(compose_config(*DIVERGING), tmp_path)
    step = int(re.search(r"the training loss is (?:nan|inf|-inf) at step (\d+)", str(err.value)).group(1))
    (run,) = [read_finished_run(d) for d in find_runs(tmp_path)]
    losses = {row[STEP_AXIS]: row["train/loss"] for row in run.history if "train/loss" in row}
    # Checked every step here (log_every_n_steps=1): the run stops before Lightning logs the bad loss itself.
    assert sorted(losses) == list(range(step)) and all(math.isfinite(v) for v in losses.values())
    assert max(losses.values()) > 1e6  # it was diverging
    assert "lower task.optimizer.lr" in str(err.value)
    assert run.exit_code == 1  # the W&B run is finished, marked failed
    assert (tmp_path / "spectrum_grid.png").is_file()  # the heat map so far, saved and logged
    assert any(heatmap_table_key("grid") in row for row in run.history) and any(LAYER_TABLE_KEY in row for row in run.history)


@pytest.mark.parametrize("read_every_step", [True, False])  # False: the accelerator path, first bad step kept on device
def test_the_first_non_finite_loss_is_named_with_its_step(read_every_step):
    guard = StopOnNonFiniteLoss(check_every_n_steps=4, read_every_step=read_every_step)
    trainer = SimpleNamespace(global_step=0)
    losses = [1.0, 0.5, float("inf"), float("nan"), 0.2]  # batch i is the loss at step i (before update i + 1)
    with pytest.raises(NonFiniteLossError, match=r"the training loss is inf at step 2 \(stopped at step \d\)") as err:
        for i, value in enumerate(losses):
            trainer.global_step = i + 1
            guard.on_train_batch_end(trainer, None, {"loss": torch.tensor(value)}, None, i)
    assert f"stopped at step {3 if read_every_step else 4}" in str(err.value)  # at once, or at the next check


def test_a_frequency_without_target_amplitude_is_logged_as_nan_with_a_warning():
    n, freqs, amps = 64, torch.tensor([3, 5, 7]), torch.tensor([1.0, 0.0, 0.5])
    t = torch.arange(n, dtype=torch.float64) / n
    y = sum(a * torch.sin(2 * torch.pi * k * t) for k, a in zip(freqs.tolist(), amps.tolist()))
    probe = GridProbe()
    with pytest.warns(UserWarning, match=r"no amplitude at k = \[5\].*NaN"):
        probe.setup(ProbeSet(inputs=t[:, None].float(), targets=y[:, None].float(), grid_freqs=freqs, target_amplitudes=amps))

    net = torch.nn.Linear(1, 1)  # predictions a + b·t: a ramp, whose spectrum numpy gives independently
    result = probe.measure(net).scalars
    pred = net(t[:, None].float()).detach().double().numpy()[:, 0]
    expected = 2 * np.abs(np.fft.rfft(pred)) / n
    assert math.isnan(result["amp_k5"]) and math.isnan(result["relerr_k5"])
    assert result["amp_k3"] == pytest.approx(expected[3] / 1.0, rel=1e-5)
    assert result["amp_k7"] == pytest.approx(expected[7] / 0.5, rel=1e-5)
    assert math.isfinite(result["relerr_k3"]) and math.isfinite(result["relerr_k7"])


def test_online_without_credentials_fails_before_training_saying_how_to_log_in(tmp_path, monkeypatch):
    for name in ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wandb_config"))  # no settings file with a key
    with pytest.raises(ValueError, match=r"logger.mode=online, but W&B has no credentials.*wandb login.*logger.mode=offline"):
        build_run(compose_config(*CPU_SMOKE[:1], "logger.mode=online"), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_disabled_logging_prints_no_run_folder(tmp_path, capsys):
    train(compose_config(*CPU_SMOKE[:1], "logger.mode=disabled"), tmp_path)
    out = capsys.readouterr().out
    assert "W&B run" not in out and "wandb sync" not in out
    assert not find_runs(tmp_path) and not (tmp_path / "logged_rows.jsonl").exists()
