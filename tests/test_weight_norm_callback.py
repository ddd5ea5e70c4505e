"""WeightNormCallback on a plain LightningModule with a real CPU Trainer: cadence, values, margin, resume."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.loggers import CSVLogger
from torch import nn

from callbacks.weight_norms import WeightNormCallback
from datamodules.tensor_loaders import full_batch_loader
from ibias.probe_set import ProbeSet

X = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
Y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()  # 3 classes


class TinyClassifier(LightningModule):
    """A plain LightningModule of our own: forward is prediction."""

    def __init__(self, seed: int = 0, activation: nn.Module | None = None) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(4, 8), activation or nn.ReLU(), nn.Linear(8, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx):
        return F.cross_entropy(self(batch[0]), batch[1])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.5)

    def train_dataloader(self):
        return full_batch_loader(X, Y, repeats=2)


def _trainer(tmp_path, callback, max_steps, logger=False, **kw) -> Trainer:
    return Trainer(max_steps=max_steps, callbacks=[callback], logger=logger, enable_checkpointing=False,
                   enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path, **kw)


def test_logs_at_cadence_and_values_match_numpy(tmp_path):
    model = TinyClassifier()
    init = {n: p.detach().numpy().copy() for n, p in model.named_parameters() if p.dim() == 2}
    callback = WeightNormCallback(every_n_steps=2)
    logger = CSVLogger(tmp_path, name="csv")
    _trainer(tmp_path, callback, 5, logger=logger).fit(model)
    assert [h["step"] for h in callback.history] == [0, 2, 4]  # train start, then every 2 steps (not again at epoch end)
    first, last = callback.history[0]["metrics"], callback.history[-1]["metrics"]
    assert first["norms/net.0.weight/dist_fro"] == 0.0
    # after fit the weights are at step 5; compare the last event against a fresh independent computation
    w = model.net[2].weight.detach().numpy()
    callback.history.clear()
    layers, agg = callback.measure(model)
    assert layers["net.2.weight"]["fro"] == pytest.approx(np.linalg.norm(w), rel=1e-6)
    assert layers["net.2.weight"]["spectral"] == pytest.approx(np.linalg.norm(w, 2), rel=1e-6)
    assert layers["net.2.weight"]["dist_spectral"] == pytest.approx(np.linalg.norm(w - init["net.2.weight"], 2), rel=1e-6)
    spec = [np.linalg.norm(model.net[i].weight.detach().numpy(), 2) for i in (0, 2)]
    # a sum of logs near 0: float32 sigmas (relative error ~1e-7) give an absolute error ~1e-7 per layer
    assert agg["log_prod_spectral"] == pytest.approx(sum(np.log(s ** 2) for s in spec), abs=1e-6)
    assert set(agg) == {"log_prod_spectral", "sum_fro_sq", "sum_stable_rank", "dist_init_sq", "param_norm_sq"}
    assert last["norms/net.0.weight/dist_fro"] > 0
    logger.save()
    with open(f"{logger.log_dir}/metrics.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("norms/net.0.weight/fro")]
    assert [int(r["step"]) for r in rows] == [0, 2, 4]


def test_margin_measures_need_a_classification_probe_set(tmp_path):
    model = TinyClassifier()
    probe = ProbeSet(inputs=X, targets=Y, num_classes=3)
    callback = WeightNormCallback(every_n_epochs=1, probe_set=probe, measures="all", probe_batch_size=10)  # 4 chunks
    _trainer(tmp_path, callback, 2).fit(model)
    layers, agg = callback.measure(model)
    with torch.no_grad():
        logits = model(X).double().numpy()
    y = Y.numpy()
    masked = logits.copy()
    masked[np.arange(len(y)), y] = -np.inf
    gamma = float(np.percentile(logits[np.arange(len(y)), y] - masked.max(axis=1), 10))
    # float32 logits of 4 chunks of 10 vs one batch of 32 differ in the last bits (GEMM blocking): ~1e-8 relative
    assert agg["margin"] == pytest.approx(gamma, rel=1e-6)
    if gamma > 0:
        assert agg["sum_fro_sq_margin"] == pytest.approx(agg["sum_fro_sq"] / agg["margin"] ** 2, rel=1e-12)
    else:
        assert math.isnan(agg["sum_fro_sq_margin"])
    assert {"path_norm", "spectral_complexity", "path_norm_margin"} <= set(agg)
    assert {"nuclear", "effective_rank", "alpha", "alpha_ks", "dist_l21"} <= set(layers["net.0.weight"])
    assert "operator" not in layers["net.0.weight"]  # costly: only by name
    regression = WeightNormCallback(probe_set=ProbeSet(inputs=X, targets=torch.randn(32, 3)))
    _trainer(tmp_path, regression, 1).fit(TinyClassifier())
    assert not [k for k in regression.history[-1]["metrics"] if "margin" in k]  # skipped silently


def test_resume_keeps_the_init_snapshot(tmp_path):
    model = TinyClassifier(seed=0)
    init = {n: p.detach().clone() for n, p in model.named_parameters() if p.dim() == 2}
    first = WeightNormCallback(every_n_steps=1)
    trainer = _trainer(tmp_path, first, 4)  # 2 epochs of 2 steps: a checkpoint at an epoch boundary
    trainer.fit(model)
    ckpt = tmp_path / "step4.ckpt"
    trainer.save_checkpoint(ckpt)
    resumed = WeightNormCallback(every_n_steps=1)
    other = TinyClassifier(seed=1)  # a different init, overwritten by the checkpoint's weights
    _trainer(tmp_path, resumed, 6).fit(other, ckpt_path=ckpt)
    for name, w0 in init.items():
        torch.testing.assert_close(resumed.init[name], w0, rtol=0, atol=0)
    assert [h["step"] for h in resumed.history] == [0, 1, 2, 3, 4, 5, 6]
    w = other.net[0].weight.detach()
    assert resumed.history[-1]["metrics"]["norms/net.0.weight/dist_fro"] == pytest.approx(
        float((w - init["net.0.weight"]).norm()), rel=1e-6)
    assert WeightNormCallback(every_n_steps=1).state_key == resumed.state_key  # the checkpoint finds its instance
    assert WeightNormCallback(every_n_steps=1, measures="all").state_key != resumed.state_key  # two can coexist
    copy = WeightNormCallback()
    copy.load_state_dict(resumed.state_dict())
    assert copy.history == resumed.history and set(copy.last_layers) == {"net.0.weight", "net.2.weight"}


class _Tanh(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x)


class NoMatrices(LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(4))

    def forward(self, x):
        return x * self.scale

    def training_step(self, batch, batch_idx):
        return self(batch[0]).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def train_dataloader(self):
        return full_batch_loader(X, Y)


def test_errors_and_skips(tmp_path):
    with pytest.raises(ValueError, match="unknown measures"):
        WeightNormCallback(measures=["frobenius"])
    with pytest.raises(ValueError, match="NoMatrices has no parameter with >= 2 dimensions"):
        _trainer(tmp_path, WeightNormCallback(), 1).fit(NoMatrices())
    with pytest.raises(ValueError, match="input_shape="):
        _trainer(tmp_path, WeightNormCallback(measures=["path_norm"]), 1).fit(TinyClassifier())
    named = WeightNormCallback(measures=["operator", "path_norm"], probe_set=ProbeSet(inputs=X))  # shape from the probes
    _trainer(tmp_path, named, 1).fit(TinyClassifier())
    assert {"norms/net.0.weight/operator", "norms/model/path_norm"} <= set(named.history[-1]["metrics"])
    tanh = WeightNormCallback(measures="all", input_shape=(4,))
    with pytest.warns(UserWarning, match="skipping path_norm"):
        _trainer(tmp_path, tanh, 1).fit(TinyClassifier(activation=_Tanh()))
    assert "norms/model/path_norm" not in tanh.history[-1]["metrics"]
    with pytest.raises(ValueError, match="positively homogeneous"):
        strict = WeightNormCallback(measures=["fro", "path_norm"], input_shape=(4,))
        _trainer(tmp_path, strict, 1).fit(TinyClassifier(activation=_Tanh()))


WANDB_CHILD = r"""
import sys
import torch
from lightning.pytorch import Trainer
from lightning.pytorch.loggers import WandbLogger
from test_weight_norm_callback import TinyClassifier
from callbacks.weight_norms import WeightNormCallback

torch.set_num_threads(1)
logger = WandbLogger(project="norms-test", save_dir=sys.argv[1], offline=True)
trainer = Trainer(max_steps=2, callbacks=[WeightNormCallback(every_n_steps=1)], logger=logger, enable_checkpointing=False,
                  enable_progress_bar=False, enable_model_summary=False, default_root_dir=sys.argv[1])
trainer.fit(TinyClassifier())
logger.experiment.finish()
"""


def test_wandb_offline_run_gets_rows_and_the_layer_table(tmp_path):
    """A real offline W&B run in a subprocess (13 s idle, 36 s on the loaded 2 cores)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from ibias.analysis.wandb_io import find_runs, read_finished_run

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    for name in ("CONFIG", "CACHE", "DATA", "ARTIFACT"):  # keep wandb's side files out of $HOME
        env[f"WANDB_{name}_DIR"] = str(tmp_path / "wandb_home")
    env.update(WANDB_SILENT="true", PYTHONPATH=os.pathsep.join([str(root), str(root / "tests"), env.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-c", WANDB_CHILD, str(tmp_path)], env=env, check=True,
                   timeout=120, cwd=root)
    (run_dir,) = find_runs(tmp_path)
    run = read_finished_run(run_dir)  # finish() may return before the flush
    steps, fro = run.series("norms/net.0.weight/fro", x="trainer/global_step")
    assert steps == [0, 1, 2] and all(v > 0 for v in fro)
    assert run.series("norms/model/dist_init_sq", x="trainer/global_step")[1][0] == 0.0
    (table,) = [r["norms/layers"] for r in run.history if "norms/layers" in r]
    columns, rows = run.table(table)
    assert columns == ["step", "layer", "shape", "fro", "spectral", "dist_fro", "dist_spectral"]
    assert [r[1] for r in rows] == ["net.0.weight", "net.2.weight"] and rows[0][2] == "[8, 4]"
    assert rows[0][3] == pytest.approx(fro[-1], rel=1e-6)


def test_norms_full_config_in_the_training_pipeline(tmp_path):
    """configs/callbacks/norms_full.yaml on the MNIST-1D classification experiment: margins from its probe set."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from conftest import CPU_SMOKE, compose_config
    from ibias.run.train import build_callbacks, build_network

    cfg = compose_config("experiment=double_descent_mnist1d", "callbacks=norms_full", *CPU_SMOKE, "trainer.max_epochs=1",
                         "callbacks.weight_norms.every_n_epochs=1")
    callbacks = build_callbacks(cfg)
    (norms,) = [c for c in callbacks if isinstance(c, WeightNormCallback)]
    datamodule = instantiate(cfg.data, _convert_="all")
    module = instantiate(cfg.task, model=build_network(cfg, datamodule), _convert_="all")
    trainer = Trainer(**OmegaConf.to_container(cfg.trainer, resolve=True), callbacks=callbacks, logger=False,
                      default_root_dir=tmp_path)
    trainer.fit(module, datamodule=datamodule)
    metrics = norms.history[-1]["metrics"]
    assert [h["step"] for h in norms.history] == [0, 2]  # train start, end of the one epoch (100 samples / batch 50)
    for key in ("margin", "path_norm", "path_norm_margin", "spectral_complexity", "sum_fro_sq_margin"):
        assert f"norms/model/{key}" in metrics
    assert {"norms/model.net.0.weight/alpha", "norms/model.net.0.weight/effective_rank"} <= set(metrics)
