"""`python scripts/train.py data=X model=Y` runs for every pair that fits, with the task and analysis the data declares.

Each data option picks its task and default callbacks (configs/data/*.yaml); a pair that does not fit
fails before training with a message naming both. The default suite runs each data option with its
first model; the slow suite runs every pair in FITS.
"""

from __future__ import annotations

import math

import pytest

from conftest import CONFIG_DIR, CPU_SMOKE, compose_config
from ibias.run.config import ConfigError
from ibias.run.train import build_run, train

# data option -> models that fit it (input shape, task and the data's default analysis), the first being the
# natural one. An MLP on linear_regression or matrix_sensing trains, but the data's end-to-end analysis needs a
# network with end_to_end(): test_an_mlp_on_matrix_data_is_told_to_drop_the_end_to_end_callback.
FITS = {
    "sinusoids_1d": ["mlp", "linear"], "circle": ["mlp", "linear"], "manifold": ["mlp", "linear"],
    "sphere": ["mlp", "linear"], "teacher": ["mlp", "linear"], "linear_regression": ["linear"],
    "matrix_sensing": ["matrix_factorization", "linear"], "matrix_completion": ["matrix_factorization"],
    "mnist1d": ["mlp", "cnn1d", "linear"], "cifar10": ["mlp", "xu_cnn", "resnet9", "resnet18k"],
}
# data option -> (task, the probe its default analysis runs, or None for none)
DECLARED = {
    "sinusoids_1d": ("regression", "grid"), "circle": ("regression", "grid"), "manifold": ("regression", "grid"),
    "sphere": ("regression", "filter"), "teacher": ("regression", "filter"),
    "linear_regression": ("regression", None), "matrix_sensing": ("regression", None),
    "matrix_completion": ("regression", None), "mnist1d": ("classification", "filter"),
    "cifar10": ("classification", "filter"),
}


def test_every_data_option_is_listed():
    assert set(FITS) == set(DECLARED) == {p.stem for p in (CONFIG_DIR / "data").glob("*.yaml")}


def quick_config(data: str, model: str, tmp_path):
    extra = []
    if data == "cifar10":
        from cifar_fixture import write_tiny_cifar10

        extra.append(f"data.root={write_tiny_cifar10(tmp_path / 'cifar')}")
    return compose_config(f"data={data}", f"model={model}", *CPU_SMOKE, *extra)


def run_pair(data: str, model: str, tmp_path) -> None:
    cfg = quick_config(data, model, tmp_path)
    task, probe = DECLARED[data]
    assert cfg.task._target_.endswith({"regression": "RegressionModule", "classification": "ClassificationModule"}[task])
    probes = (cfg.callbacks.get("spectrum") or {}).get("probes") or {}
    assert list(probes) == ([probe] if probe else [])
    assert (cfg.run.name, cfg.run.group) == (f"{data}_{cfg.model.name}_s0", data)
    metrics = train(cfg, tmp_path / "run")
    assert metrics and all(math.isfinite(v) for v in metrics.values()), metrics


@pytest.mark.parametrize("data", sorted(FITS))
def test_each_data_option_runs_with_its_natural_model(data, tmp_path):
    run_pair(data, FITS[data][0], tmp_path)


@pytest.mark.slow  # ~1 min: every other fitting pair
@pytest.mark.parametrize(("data", "model"), [(d, m) for d, ms in sorted(FITS.items()) for m in ms[1:]])
def test_every_other_fitting_pair_runs(data, model, tmp_path):
    run_pair(data, model, tmp_path)


@pytest.mark.parametrize(("data", "model", "says"), [
    ("sinusoids_1d", "cnn1d", "CNN1D needs width >= 1 and signals of length >= 3"),
    ("cifar10", "cnn1d", r"cnn1d wants input_shape \(L,\) or \(channels, L\)"),
    ("sinusoids_1d", "matrix_factorization", "set model.size"),
])
def test_a_pair_that_does_not_fit_is_named_before_training(data, model, says, tmp_path):
    with pytest.raises(ConfigError, match=rf"model={model} does not fit data=\w+ \(inputs .*\): .*{says}"):
        build_run(quick_config(data, model, tmp_path), tmp_path / "run")


def test_an_mlp_on_matrix_data_is_told_to_drop_the_end_to_end_callback(tmp_path):
    with pytest.raises(ValueError, match=r"no end_to_end\(\) method.*~callbacks\.end_to_end"):
        run_pair("linear_regression", "mlp", tmp_path)


def test_the_default_callbacks_follow_the_data_but_the_command_line_wins():
    assert "spectrum" not in compose_config("data=mnist1d", "callbacks=none").get("callbacks", {})
    assert compose_config("data=mnist1d", "task=regression").task._target_.endswith("RegressionModule")
    experiment = compose_config("experiment=double_descent_mnist1d")  # an experiment's choices beat the data's
    assert list(experiment.callbacks) == ["weight_norms"]
