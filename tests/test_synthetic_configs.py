"""Every synthetic data config composes with its model config and runs a few CPU steps through ibias.run.train."""

from __future__ import annotations

import math

import pytest

from conftest import compose_config

# A few CPU steps without W&B; `++` sets a trainer key whether or not configs/trainer/default.yaml has it.
SMOKE = ["~logger", "callbacks=none", "data.steps_per_epoch=2", "++trainer.max_steps=3", "++trainer.limit_val_batches=1",
         "++trainer.limit_test_batches=1", "++trainer.enable_checkpointing=false", "++trainer.enable_progress_bar=false",
         "++trainer.accelerator=cpu", "++trainer.devices=1", "++trainer.check_val_every_n_epoch=1"]

MLP_TINY = ["model=mlp", "model.width=8", "model.depth=2"]
CASES = {
    "manifold": [*MLP_TINY, "data.num_points=64", "data.freqs=[2,5]"],
    "circle": [*MLP_TINY, "data.num_points=65", "data.k=3"],
    "sphere": [*MLP_TINY, "data.num_points=64", "data.num_val=32", "data.k=2", "data.order=-1"],
    "teacher": [*MLP_TINY, "data.num_train=64", "data.num_val=32", "data.batch_size=16"],
    "linear_regression": ["model=linear", "data.num_train=10", "data.dim=40", "data.num_val=20", "data.noise=0.1"],
    "matrix_completion": ["model=matrix_factorization", "data.size=10", "data.rank=2", "data.num_observed=30"],
    "matrix_sensing": ["model=matrix_factorization", "data.size=6", "data.rank=1", "data.num_measurements=20", "data.num_val=5"],
}


@pytest.mark.parametrize("data", sorted(CASES))
def test_data_config_trains_a_few_steps(data, tmp_path):
    from ibias.run.train import train

    cfg = compose_config(f"data={data}", *SMOKE, *CASES[data])
    metrics = train(cfg, tmp_path / "run")
    assert "test/loss" in metrics, sorted(metrics)  # fit ran its 3 steps (else train raises), then the test loop
    assert all(math.isfinite(v) for v in metrics.values()), metrics


def test_factorization_config_takes_its_size_from_the_data_config():
    from hydra.utils import instantiate

    from ibias.run.train import build_network

    cfg = compose_config("data=matrix_completion", "model=matrix_factorization", "data.size=12", "data.num_observed=20")
    network = build_network(cfg, instantiate(cfg.data, _convert_="all"))
    assert network.size == 12 and network.depth == 3 and network.init_scale == pytest.approx(1e-3)
