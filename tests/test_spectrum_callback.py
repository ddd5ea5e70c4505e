"""SpectrumCallback on a user's own LightningModule: values, cadence, files, resume, crash."""

from __future__ import annotations

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from torch import nn

from callbacks import GridProbe, SpectrumCallback
from datamodules import SinusoidDataModule, full_batch_loader
from ibias.probe_set import ProbeSet
from recording_logger import RecordingLogger


class UserModule(pl.LightningModule):
    """Not one of ours: a plain regression module whose forward is prediction."""

    def __init__(self, fail_at_step: int | None = None):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 1))
        self.fail_at_step = fail_at_step

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        if self.fail_at_step is not None and self.global_step == self.fail_at_step:
            raise RuntimeError("simulated crash")
        x, y = batch
        return nn.functional.mse_loss(self(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def data() -> ProbeSet:
    return SinusoidDataModule(num_points=64, freqs=[1, 3, 7], amplitudes=[1.0, 0.5, 0.25], seed=1).probe_set()


def fit(tmp_path, module, callback, max_steps, ckpt_path=None):
    probe = data()
    logger = RecordingLogger(tmp_path)
    loader = full_batch_loader(probe.inputs, probe.targets, repeats=2)
    trainer = pl.Trainer(max_steps=max_steps, callbacks=[callback], logger=logger, enable_progress_bar=False,
                         enable_checkpointing=False, default_root_dir=tmp_path, accelerator="cpu", enable_model_summary=False)
    trainer.fit(module, train_dataloaders=loader, ckpt_path=ckpt_path)
    return trainer, logger


def test_logged_amplitudes_equal_numpy_fft_of_the_predictions(tmp_path):
    probe = data()
    callback = SpectrumCallback(every_n_steps=2, probe_set=probe)
    module = UserModule()
    trainer, logger = fit(tmp_path, module, callback, max_steps=6)
    steps = [step for step, row in logger.rows if "spectrum/grid/amp_k1" in row]
    assert steps == [0, 2, 4, 6]  # once before training, then every 2 optimizer steps
    final = dict(logger.rows)[6]
    with torch.no_grad():
        pred = module(probe.inputs)[:, 0].double().numpy()
    coeffs = 2 * np.fft.rfft(pred) / len(pred)
    for k, amplitude in zip([1, 3, 7], [1.0, 0.5, 0.25]):
        assert final[f"spectrum/grid/amp_k{k}"] == pytest.approx(abs(coeffs[k]) / amplitude, rel=1e-5)
        target = 2 * np.fft.rfft(probe.targets[:, 0].double().numpy()) / len(pred)
        assert final[f"spectrum/grid/relerr_k{k}"] == pytest.approx(abs(coeffs[k] - target[k]) / abs(target[k]), rel=1e-5)
    assert final["epoch"] == 2.0
    values, hm_steps = callback.heatmap("grid")
    assert values.shape == (3, 4) and hm_steps == [0, 2, 4, 6]
    assert (tmp_path / "spectrum_grid.png").stat().st_size > 1000


def test_history_survives_a_checkpoint_resume(tmp_path):
    probe = data()
    first = SpectrumCallback(every_n_steps=2, probe_set=probe)
    trainer, _ = fit(tmp_path, UserModule(), first, max_steps=4)
    ckpt = tmp_path / "mid.ckpt"
    trainer.save_checkpoint(ckpt)
    second = SpectrumCallback(every_n_steps=2, probe_set=probe)
    fit(tmp_path, UserModule(), second, max_steps=8, ckpt_path=ckpt)
    assert second.history["grid"]["steps"] == [0, 2, 4, 6, 8]  # continued, step 4 not measured twice


def test_a_crash_keeps_the_heatmap_of_what_was_measured(tmp_path):
    probe = data()
    callback = SpectrumCallback(every_n_steps=1, probe_set=probe)
    with pytest.raises(RuntimeError, match="simulated crash"):
        fit(tmp_path, UserModule(fail_at_step=3), callback, max_steps=10)
    assert callback.history["grid"]["steps"] == [0, 1, 2, 3]
    assert (tmp_path / "spectrum_grid.png").exists()


def test_clear_errors_for_missing_probe_data_and_bad_cadence(tmp_path):
    with pytest.raises(ValueError, match="every_n_steps=0"):
        SpectrumCallback(every_n_steps=0)
    with pytest.raises(ValueError, match="exactly one"):
        SpectrumCallback(every_n_steps=2, every_n_epochs=1)
    probe = data()
    with pytest.raises(ValueError, match="no probe data"):
        fit(tmp_path, UserModule(), SpectrumCallback(every_n_steps=1), max_steps=1)
    no_grid = ProbeSet(inputs=probe.inputs, targets=probe.targets)
    with pytest.raises(ValueError, match="GridProbe needs a ProbeSet with grid_freqs"):
        fit(tmp_path, UserModule(), SpectrumCallback(probes=[GridProbe()], every_n_steps=1, probe_set=no_grid), max_steps=1)
