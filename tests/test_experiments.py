"""Every experiment config composes and runs a few CPU steps end to end (shrunk by its `smoke` list)."""

from __future__ import annotations

import math

import pytest

from conftest import CONFIG_DIR, CPU_SMOKE, compose_config

EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))


def shrunk_config(name: str, tmp_path):
    cfg = compose_config(f"experiment={name}")
    extra = []
    if "CIFAR10" in cfg.data._target_:
        from cifar_fixture import write_tiny_cifar10

        extra.append(f"data.root={write_tiny_cifar10(tmp_path / 'cifar')}")
    return compose_config(f"experiment={name}", *CPU_SMOKE, *cfg.smoke, *extra)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_runs_a_few_cpu_steps(name, tmp_path):
    from ibias.run.train import train

    metrics = train(shrunk_config(name, tmp_path), tmp_path / "run")
    assert "train/loss" in metrics or "train/loss_step" in metrics, sorted(metrics)
    assert all(math.isfinite(v) for v in metrics.values()), metrics
    assert (tmp_path / "run" / "config.yaml").exists()


def test_default_config_is_the_quick_spectral_bias_run():
    cfg = compose_config()
    assert cfg.data._target_.endswith("SinusoidDataModule") and cfg.model.name == "mlp"
    assert list(cfg.data.freqs) == list(range(5, 55, 5))


def test_unknown_keys_and_options_get_hydra_errors_that_name_them():
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="no_such_key"):
        compose_config("trainer.no_such_key=1")
    with pytest.raises(ConfigCompositionException, match="no_such_model"):
        compose_config("model=no_such_model")
    with pytest.raises(Exception, match="lr"):
        compose_config("task.optimizer.lr=fast")  # the structured schema rejects a non-float
