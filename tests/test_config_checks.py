"""Every config value is checked before anything is built; the error names the key, the value and what is allowed.

The checks come from the signatures of the code the values go to (ibias/run/config.py), so the
expected messages below quote those signatures: mlp(width: int = 256), lightning.Trainer(max_steps:
int = -1), MNIST1DDataModule(label_noise: LabelNoise = 0.0) with LabelNoise = float in [0, 1).
"""

from __future__ import annotations

import copy
import runpy
import sys

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf, open_dict

from conftest import CPU_SMOKE, ROOT, compose_config
from ibias.run.config import check_call, check_config
from ibias.run.train import build_run

# (overrides, what the error must say). This list is the issue's "every bad input tried and its message".
BAD = [
    (["model.width=abc"], "model.width='abc' is not allowed: mlp() takes width as an integer (its default: 256)"),
    (["trainer.max_steps=abc"], "trainer.max_steps='abc' is not allowed: lightning.Trainer takes max_steps as an integer"),
    (["trainer.max_steps=1e4"], "trainer.max_steps=10000.0 is not allowed: lightning.Trainer takes max_steps as an integer"),
    (["data=mnist1d", "data.label_noise=2"],
     "data.label_noise=2 is not allowed: MNIST1DDataModule takes label_noise as a number >= 0.0 and < 1.0"),
    (["data=cifar10", "data.label_noise=-0.1"], "data.label_noise=-0.1 is not allowed: CIFAR10DataModule takes label_noise"),
    (["model.width=true"], "model.width=true is not allowed: mlp() takes width as an integer"),
    (["data.freqs=[5,abc]"], "data.freqs=[5, 'abc'] is not allowed: SinusoidDataModule takes freqs as a list of integers"),
    (["data.amplitudes=5"],
     "data.amplitudes=5 is not allowed: SinusoidDataModule takes amplitudes as a string or a list of numbers"),
    (["trainer.precision=17"], "trainer.precision=17 is not allowed: lightning.Trainer takes precision as one of 64, 32, 16"),
    (["trainer.deterministic=yes"],
     "trainer.deterministic='yes' is not allowed: lightning.Trainer takes deterministic as one of 'warn'"),
    (["trainer.devices=[0,abc]"], "trainer.devices=[0, 'abc'] is not allowed"),
    (["callbacks.spectrum.every_n_steps=ten"],
     "callbacks.spectrum.every_n_steps='ten' is not allowed: SpectrumCallback takes every_n_steps as an integer or null"),
    (["+callbacks.spectrum.probes.grid.k=3"],
     "callbacks.spectrum.probes.grid.k is not an argument of GridProbe; it takes nothing"),
    (["seed=abc"], "seed='abc' is not allowed: configs/train.yaml takes seed as an integer"),
    (["test=maybe"], "test='maybe' is not allowed: configs/train.yaml takes test as true or false"),
    (["checkpoint.every_n_steps=0"], "checkpoint.every_n_steps=0 must be a positive integer"),
    (["+model.foo=1"], "model.foo is not an argument of mlp(); it takes input_shape, num_outputs, width"),
    (["+data.bogus=3"], "data.bogus is not an argument of SinusoidDataModule; it takes num_points, freqs"),
    (["+model.input_shape=[1]"], "model.input_shape is set from the data (datamodule.input_shape); remove it"),
    (["model.name=nope"], "model.name='nope' is not a registered model; choose one of"),
    (["task.optimizer.name=adamm"], "task.optimizer.name='adamm' is not an optimizer; choose one of ['adam', 'adamw', 'sgd']"),
    (["data._target_=datamodules.Nope"], "data._target_='datamodules.Nope' cannot be imported"),
    (["ckpt_path=/no/such.ckpt"], "ckpt_path=/no/such.ckpt is not a file"),
    (["resume=/tmp/x", "ckpt_path=/tmp/y"], "resume=/tmp/x and ckpt_path=/tmp/y were both given"),
    (["logger.mode=sometimes"], "logger.mode='sometimes' is not a W&B mode"),
    (["threads=0"], "threads=0 must be a positive integer (torch's intra-op threads), or null"),
    (["threads=two"], "threads='two' is not allowed: configs/train.yaml takes threads as an integer or null"),
]


@pytest.fixture(scope="module")
def composed():
    """Return {data option: its debug=quick config}, composed once (composing is most of a check's cost)."""
    return {data: compose_config(*CPU_SMOKE[:1], *([f"data={data}"] if data else [])) for data in (None, "mnist1d", "cifar10")}


def with_override(cfg, line: str):
    """Return a copy of `cfg` with one command-line override applied, its value parsed by Hydra's own parser."""
    (override,) = OverridesParser.create().parse_overrides([line])
    cfg = copy.deepcopy(cfg)
    with open_dict(cfg):
        OmegaConf.update(cfg, override.key_or_group, override.value(), merge=True, force_add=override.is_add())
    return cfg


@pytest.mark.parametrize(("overrides", "message"), BAD, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_bad_value_fails_before_anything_is_built_naming_its_key(overrides, message, composed, tmp_path):
    groups = [o for o in overrides if o.startswith("data=")]
    cfg = composed[groups[0].split("=")[1] if groups else None]
    for line in overrides:
        if line not in groups:
            cfg = with_override(cfg, line)
    with pytest.raises(ValueError) as err:
        build_run(cfg, tmp_path / "run")
    assert message in str(err.value)
    assert not (tmp_path / "run").exists()  # failed before the run folder, the data or the model existed


@pytest.mark.parametrize("overrides", [["model.width=abc"], ["trainer.max_steps=abc"], ["data=mnist1d", "data.label_noise=2"]])
def test_the_issues_examples_fail_the_same_when_hydra_composes_them(overrides, tmp_path):
    message = dict((tuple(o), m) for o, m in BAD)[tuple(overrides)]
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_run(compose_config(*overrides, *CPU_SMOKE[:1]), tmp_path / "run")


def test_every_shipped_option_passes_the_checks():
    for overrides in (["data=mnist1d", "model=cnn1d"], ["data=cifar10", "model=resnet18k"],
                      ["data=matrix_sensing", "model=matrix_factorization"], ["experiment=fourier_heatmap_cifar10"],
                      ["experiment=double_descent_mnist1d", "trainer=ddp"]):
        check_config(compose_config(*overrides))


def test_unknown_keys_stay_rejected_by_hydra():
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="max_stepz"):
        compose_config("trainer.max_stepz=3")


def test_the_command_line_exits_with_the_message_and_no_traceback(tmp_path, monkeypatch):
    # scripts/train.py run in this process: sys.exit("error: ...") prints the line alone and exits with status 1.
    monkeypatch.setattr(sys, "argv", ["train.py", f"hydra.run.dir={tmp_path}", "model.width=abc"])
    with pytest.raises(SystemExit) as err:
        runpy.run_path(str(ROOT / "scripts" / "train.py"), run_name="__main__")
    assert err.value.code == "error: model.width='abc' is not allowed: mlp() takes width as an integer (its default: 256)"


def test_a_missing_argument_is_named_unless_it_comes_later():
    def layer(width: int, depth: int = 2) -> None:
        """A stand-in constructor."""

    with pytest.raises(ValueError, match=r"model has no width, which layer\(\) needs \(no default\); add model.width=..."):
        check_call({"depth": 3}, layer, "model", "layer()")
    check_call({"depth": 3}, layer, "model", "layer()", complete=False)  # _partial_: true, or _args_
    check_call({"depth": 3}, layer, "model", "layer()", injected=("width",))  # filled in by train.py
