"""SpectrumProgressBar: the bar shows the loss and the latest spectrum row, and works without one."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch
from torch import nn

from callbacks import GridProbe, SpectrumCallback
from callbacks.progress import SpectrumProgressBar, short_number, spectrum_summary
from datamodules import SinusoidDataModule, full_batch_loader


class UserModule(pl.LightningModule):
    """A plain regression module; `prog_bar` says whether it puts its loss on the bar itself."""

    def __init__(self, prog_bar: bool):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 1))
        self.prog_bar = prog_bar

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        self.log("train/loss", loss, prog_bar=self.prog_bar)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def fit(tmp_path, callbacks, prog_bar: bool):
    probe = SinusoidDataModule(num_points=64, freqs=[1, 3, 7], amplitudes=[1.0, 0.5, 0.25], seed=1).probe_set()
    module = UserModule(prog_bar)
    trainer = pl.Trainer(max_steps=3, callbacks=callbacks, logger=False, enable_checkpointing=False, default_root_dir=tmp_path,
                         accelerator="cpu", enable_model_summary=False)
    trainer.fit(module, train_dataloaders=full_batch_loader(probe.inputs, probe.targets, repeats=2))
    return trainer, module, probe


def test_bar_shows_the_loss_and_the_latest_spectrum_row(tmp_path, capsys):
    bar = SpectrumProgressBar()
    probe = SinusoidDataModule(num_points=64, freqs=[1, 3, 7], amplitudes=[1.0, 0.5, 0.25], seed=1).probe_set()
    spectrum = SpectrumCallback(every_n_steps=1, probe_set=probe)
    trainer, module, _ = fit(tmp_path, [spectrum, bar], prog_bar=True)
    items = bar.get_metrics(trainer, module)
    latest = spectrum.history["grid"]["rows"][-1].tolist()  # the row measured after the last step
    assert spectrum.history["grid"]["steps"][-1] == 3
    tokens = [tok.split(":") for tok in items["spec"].split()]
    assert [name for name, _ in tokens] == ["k1", "k3", "k7"]
    for (_, text), value in zip(tokens, latest):
        assert abs(float(text) - value) <= 0.005 + 1e-9  # rounded to 2 decimals, not another row
    assert "train/loss" in items and "v_num" not in items
    shown = capsys.readouterr().out
    assert "spec=k1:" in shown and "train/loss=" in shown  # what the terminal actually got


def test_without_a_spectrum_callback_the_bar_still_shows_the_loss(tmp_path):
    bar = SpectrumProgressBar()
    trainer, module, _ = fit(tmp_path, [bar], prog_bar=False)
    items = bar.get_metrics(trainer, module)
    assert "spec" not in items
    # logged without prog_bar=True: read from callback_metrics when the bar redraws, under its logged name
    assert float(items["train/loss"]) == pytest.approx(float(trainer.callback_metrics["train/loss"]), rel=1e-2)


def test_summary_picks_evenly_spaced_rows_and_short_numbers():
    callback = SpectrumCallback(probes=[GridProbe()], probe_set=None)
    probe = callback.probes[0]
    probe.setup(SinusoidDataModule().probe_set())  # k = 5, 10, ..., 50
    callback.records = {probe.name: probe.record()}  # what SpectrumCallback.setup keeps
    assert spectrum_summary(callback) is None  # nothing measured yet
    callback.history["grid"]["rows"].append(torch.linspace(1.0, 0.1, 10))  # 1.0, 0.9, ..., 0.1
    assert spectrum_summary(callback, max_rows=5) == "k5:1.0 k15:.80 k25:.60 k40:.30 k50:.10"
    assert spectrum_summary(callback, max_rows=2) == "k5:1.0 k50:.10"
    assert [short_number(v) for v in (0.984, 0.004, -0.31, 3.14159, 12.3, float("nan"))] == \
        [".98", ".00", "-.31", "3.1", "12", "nan"]
