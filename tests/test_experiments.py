"""Every experiment config composes and runs a few CPU steps end to end (shrunk by debug=quick)."""

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
    return compose_config(f"experiment={name}", *CPU_SMOKE, *extra)


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


def test_debug_quick_shrinks_the_trainer_and_the_chosen_data_and_model():
    cfg = compose_config("experiment=double_descent_mnist1d", "debug=quick", "model=resnet18k")
    assert (cfg.trainer.max_epochs, cfg.trainer.limit_train_batches, cfg.trainer.accelerator) == (2, 2, "cpu")
    assert cfg.data.num_samples == 200 and cfg.model.k == 4  # configs/debug/{data,model}/quick_<option>.yaml
    assert cfg.run.name.startswith("dd_mnist1d") and cfg.run.job_type == "debug"
    plain = compose_config("experiment=double_descent_mnist1d", "model=resnet18k")
    assert plain.data.num_samples == 8000 and plain.model.k == 64 and plain.run.job_type == "train"


def test_a_task_that_does_not_fit_the_data_is_named(tmp_path):
    from ibias.run.train import build_run

    with pytest.raises(ValueError, match="task=regression does not fit data=MNIST1DDataModule.*set task=classification"):
        build_run(compose_config("data=mnist1d", "task=regression", *CPU_SMOKE), tmp_path)
