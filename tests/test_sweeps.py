"""configs/sweep/*.yaml: each W&B sweep parses, and every value the agent would pass composes with Hydra.

The agent's command line is built by wandb's own `create_sweep_command_args` (what `wandb agent` runs),
and each override must land on an existing config key with the swept value. The Hydra multirun
line documented in each file must sweep the same values. One real 2-job multirun checks that each
job finishes its own W&B run, with its checkpoint recorded as an artifact when logger.log_model=true.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from wandb.sdk.launch.sweeps.utils import create_sweep_command_args

from conftest import CONFIG_DIR
from ibias.analysis.compare import compare, sweep_points
from ibias.analysis.wandb_io import find_runs, read_run
from ibias.run.config import register_schemas

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = sorted((ROOT / "configs" / "sweep").glob("*.yaml"))
COMMAND = ["${env}", "${interpreter}", "${program}", "${args_no_hyphens}"]
AGENT_ONLY = {"logger.mode"}  # online only under a W&B agent; a Hydra multirun stays offline


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def choices(spec: dict) -> list:
    """Return the values a sweep parameter takes."""
    return [spec["value"]] if "value" in spec else list(spec["values"])


def agent_overrides(assignment: dict) -> list[str]:
    """Return the overrides `wandb agent` appends for one run (its ${args_no_hyphens})."""
    return create_sweep_command_args({"args": {k: {"value": v} for k, v in assignment.items()}})["args_no_hyphens"]


def test_the_four_sweeps_exist():
    assert {p.stem for p in SWEEPS} >= {"width_double_descent", "label_noise", "init_scale", "optimizer"}


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_sweep_file_is_a_valid_wandb_sweep(path):
    sweep = load(path)
    assert sweep["program"] == "scripts/train.py" and (ROOT / sweep["program"]).is_file()
    assert sweep["command"] == COMMAND
    assert sweep["method"] in {"grid", "random", "bayes"}
    assert sweep["metric"]["goal"] in {"minimize", "maximize"} and re.fullmatch(r"(train|val|test)/\w+", sweep["metric"]["name"])
    params = sweep["parameters"]
    for name, spec in params.items():
        assert ("value" in spec) != ("values" in spec), f"{name}: give exactly one of value / values"
        assert choices(spec), name
    assert "experiment" in params and any("values" in s for s in params.values())


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_every_swept_value_composes_and_lands_on_its_key(path):
    params = load(path)["parameters"]
    base = {name: choices(spec)[0] for name, spec in params.items()}
    register_schemas()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):  # once: composing is the cost
        cfgs = [(name, value, compose(config_name="train", overrides=agent_overrides({**base, name: value})))
                for name, spec in params.items() for value in choices(spec)]
    for name, value, cfg in cfgs:
        OmegaConf.resolve(cfg)  # every interpolation (run.name, data.seed, ...) must resolve
        if name != "experiment":
            assert OmegaConf.select(cfg, name) == value, (name, value)
    names = {cfg.run.name for _, _, cfg in cfgs}
    assert len(names) == 1 + sum(len(choices(s)) - 1 for s in params.values())  # each value renames the run


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_documented_hydra_multirun_sweeps_the_same_values(path):
    (line,) = [ln for ln in path.read_text().splitlines() if ln.startswith("# Hydra: python scripts/train.py -m ")]
    hydra = dict(tok.split("=", 1) for tok in line.split(" -m ", 1)[1].split())
    params = {k: v for k, v in load(path)["parameters"].items() if k not in AGENT_ONLY}
    assert set(hydra) == set(params)
    for name, spec in params.items():
        assert [yaml.safe_load(v) for v in hydra[name].split(",")] == choices(spec), name


@pytest.mark.slow  # ~40 s on the shared 2-core machine: two real training jobs
def test_hydra_multirun_jobs_each_finish_their_own_wandb_run(tmp_path):
    command = [sys.executable, str(ROOT / "scripts" / "train.py"), "-m", "experiment=double_descent_mnist1d", "debug=quick",
               "model.width=4,8", "trainer.enable_checkpointing=true", "logger.mode=offline", "logger.log_model=true",
               f"hydra.sweep.dir={tmp_path}",
               "hydra.sweep.subdir=${hydra.job.num}"]  # train.yaml's override_dirname subdir exceeds 255 chars here
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = [read_run(d) for d in find_runs(tmp_path)]
    assert sorted(r.config["model"]["width"] for r in runs) == [4, 8]
    assert len({r.run_id for r in runs}) == 2
    for run in runs:
        assert run.exited and run.exit_code == 0 and not run.torn
        assert run.name == f"dd_mnist1d_w{run.config['model']['width']}_noise0.15_s0" and run.group == "double_descent_mnist1d"
        assert any(r.get("test/error") is not None for r in run.history)
        models = [a for a in run.artifacts if a["type"] == "model"]
        assert models and models[-1]["files"] == ["model.ckpt"]
    index = compare([tmp_path], tmp_path / "cmp", sweep_param="model.width", metric="test/error")  # the local sweep plot
    assert (index.parent / "sweep.png").is_file() and (index.parent / "losses.png").is_file()
    last_error = lambda r: [h["test/error"] for h in r.history if h.get("test/error") is not None][-1]
    want = {r.config["model"]["width"]: [last_error(r)] for r in runs}
    assert sweep_points(runs, "model.width", "test/error") == want
