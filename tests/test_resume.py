"""`resume=<run folder>` continues a run exactly, and one seed gives one set of numbers.

Runs are real scripts/train.py processes with W&B offline, read back from their `.wandb` files. A
resumed run is one W&B id in several parts (one per process); merged, its rows must equal a run
that went straight through: the same value for every (key, step), no (key, step) twice, and W&B's
own step counter rising across the parts.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from omegaconf import OmegaConf

from conftest import CPU_SMOKE, ROOT, TINY_DEFAULT_RUN, compose_config, run_train
from ibias.analysis.records import STEP_AXIS, heatmap_table_key
from ibias.analysis.wandb_io import find_runs, join_parts, read_run
from ibias.run.config import ConfigError, resumed_config
from ibias.run.train import LastCheckpoint, build_run, train_from_command_line

MEASURED = ("spectrum/", "norms/", "train/loss")


def parts(out):
    """Return the W&B run parts under `out`, oldest first (their folder names start with the start time)."""
    return [read_run(d) for d in sorted(find_runs(out), key=lambda d: d.name)]


def values(runs, prefixes=MEASURED) -> dict[tuple[str, int], float]:
    """Return {(key, step): value} over the runs' rows; a (key, step) logged twice fails the test."""
    found: dict[tuple[str, int], float] = {}
    for run in runs:
        for row in run.history:
            for key, value in row.items():
                if key.startswith(prefixes) and isinstance(value, float) and STEP_AXIS in row:  # scalars, not media
                    where = (key, row[STEP_AXIS])
                    assert where not in found, f"{where} logged twice"
                    found[where] = value
    return found


def assert_same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys(), sorted(set(got) ^ set(want))[:10]
    for where, value in want.items():
        assert got[where] == value or (math.isnan(got[where]) and math.isnan(value)), where


def assert_one_continuing_run(runs) -> None:
    assert len(runs) >= 2 and len({r.run_id for r in runs}) == 1  # one W&B run, in parts
    for earlier, later in zip(runs, runs[1:]):
        assert max(row["_step"] for row in earlier.history) < min(row["_step"] for row in later.history)


def train_offline(out, *overrides: str):
    """Train in this process through scripts/train.py's path, W&B offline (logger.mode is passed, not read from env)."""
    cfg = compose_config(*overrides, "logger.mode=offline", "trainer.enable_progress_bar=false")
    return train_from_command_line(cfg, out, overrides)


@pytest.fixture(scope="module")
def straight_and_resumed(tmp_path_factory):
    """A 40-step run, and a 20-step run of the same config resumed with trainer.max_steps=40 (in this process)."""
    root = tmp_path_factory.mktemp("resume")
    small = [o for o in TINY_DEFAULT_RUN if not o.startswith("trainer.max_steps")] + ["trainer.log_every_n_steps=1"]
    train_offline(root / "straight", *small, "trainer.max_steps=40")
    train_offline(root / "resumed", *small, "trainer.max_steps=20")
    train_offline(root / "ignored", f"resume={root / 'resumed'}", "trainer.max_steps=40")
    return root


def test_two_runs_with_one_seed_log_identical_values(straight_and_resumed):
    root = straight_and_resumed
    (straight,), (first, _) = parts(root / "straight"), parts(root / "resumed")
    got, want = values([first]), values([straight])
    assert {step for key, step in got if key.startswith("spectrum/")} == {0, 5, 10, 15, 20} and len(got) > 100
    assert_same(got, {where: v for where, v in want.items() if where in got})


def test_resume_continues_the_run_with_new_overrides(straight_and_resumed):
    root = straight_and_resumed
    runs = parts(root / "resumed")
    assert_one_continuing_run(runs)
    assert all(r.exited and r.exit_code == 0 for r in runs)
    assert runs[-1].config["trainer"]["max_steps"] == 40 and runs[-1].config["resume"] == str(root / "resumed")
    assert_same(values(runs), values(parts(root / "straight")))
    assert not (root / "ignored").exists()  # the run went on in its own folder
    (joined,) = join_parts(runs)  # how compare.py and learning_order.py read it: one run
    assert_same(values([joined]), values(parts(root / "straight")))
    assert heatmap_table(joined) == heatmap_table(parts(root / "straight")[0])  # the heat map spans steps 0-40
    order = subprocess.run([sys.executable, str(ROOT / "scripts" / "learning_order.py"), str(root / "resumed"), "--level", "0"],
                           capture_output=True, text=True, timeout=120)
    assert order.returncode == 0 and "monotone in frequency" in order.stdout, order.stderr


def test_resume_refuses_what_would_not_continue_the_run(straight_and_resumed, tmp_path):
    folder = straight_and_resumed / "resumed"
    with pytest.raises(ConfigError, match="model=cnn1d.*ckpt_path="):
        resumed_config(folder, ["model=cnn1d"])
    with pytest.raises(ConfigError, match=r"trainer.max_stepz is not a key .*\+trainer.max_stepz=7"):
        resumed_config(folder, ["trainer.max_stepz=7"])
    with pytest.raises(ConfigError, match="has no config.yaml"):
        resumed_config(tmp_path, [])
    (tmp_path / "config.yaml").write_text((folder / "config.yaml").read_text())
    with pytest.raises(ConfigError, match="has no checkpoints/last.ckpt"):
        train_offline(tmp_path, f"resume={tmp_path}")


def test_ckpt_path_starts_a_new_run_from_the_weights(straight_and_resumed, tmp_path):
    ckpt = straight_and_resumed / "resumed" / "checkpoints" / "last.ckpt"
    saved = torch.load(ckpt, map_location="cpu", weights_only=False)
    assert saved["global_step"] == 40
    run = build_run(compose_config(*TINY_DEFAULT_RUN, *CPU_SMOKE, f"ckpt_path={ckpt}"), tmp_path)
    state = run.module.state_dict()
    assert state.keys() == saved["state_dict"].keys()
    assert all(torch.equal(state[k], saved["state_dict"][k]) for k in state)
    assert run.trainer.global_step == 0  # a new run: step, optimizer and W&B run start afresh
    with pytest.raises(ConfigError, match="holds weights for another network"):
        build_run(compose_config(*TINY_DEFAULT_RUN, *CPU_SMOKE, "model.width=16", f"ckpt_path={ckpt}"), tmp_path)


def test_a_new_run_gets_its_id_before_anything_is_built_and_a_wandb_agents_id_is_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_RUN_ID", raising=False)
    build_run(compose_config(*TINY_DEFAULT_RUN, *CPU_SMOKE), tmp_path / "new")
    saved = OmegaConf.load(tmp_path / "new" / "config.yaml")
    assert len(saved.run.id) == 8 and saved.run.id.isalnum()  # what resume= reopens
    monkeypatch.setenv("WANDB_RUN_ID", "sweep123")  # `wandb agent` starts each sweep run with its id set here
    build_run(compose_config(*TINY_DEFAULT_RUN, *CPU_SMOKE), tmp_path / "agent")
    assert OmegaConf.load(tmp_path / "agent" / "config.yaml").run.id == "sweep123"


@pytest.mark.slow  # ~1-2 min on the shared 2-core machine: 600 + (≥300 + resume) steps of the default MLP
def test_a_run_killed_with_sigkill_resumes_to_the_same_numbers(tmp_path):
    config = ["trainer.max_steps=600", "trainer.enable_progress_bar=false", "trainer.log_every_n_steps=10"]
    straight = run_train(tmp_path / "straight", *config, timeout=600)
    assert straight.returncode == 0, straight.stderr[-3000:]

    killed = tmp_path / "killed"
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "train.py"), f"hydra.run.dir={killed}", *config],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 400
        while checkpoint_step(killed / "checkpoints" / "last.ckpt") < 300:
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no checkpoint at step 300 within 400 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL  # killed, not finished
    (cut,) = parts(killed)
    assert not cut.exited  # no exit record: the process died mid-run
    assert checkpoint_step(killed / "checkpoints" / "last.ckpt") < 600

    resumed = run_train(tmp_path / "ignored", f"resume={killed}", timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    runs = parts(killed)
    assert_one_continuing_run(runs)
    got, want = values(runs), values(parts(tmp_path / "straight"))
    assert {step for _, step in want} >= {0, 100, 300, 400, 600}
    assert_same(got, want)
    # The callbacks' histories continued: the final heat-map table spans every step from 0, as straight through.
    assert heatmap_table(runs[-1]) == heatmap_table(parts(tmp_path / "straight")[0])


def checkpoint_step(path) -> int:
    """Return the global step of a Lightning checkpoint, or -1 while there is none."""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)["global_step"]
    except (FileNotFoundError, EOFError, RuntimeError):
        return -1


def heatmap_table(run) -> list:
    """Return the rows of the last logged spectrum heat-map table of a run."""
    key = heatmap_table_key("grid")
    (value,) = [row[key] for row in run.history if key in row][-1:]
    return run.table(value)[1]


def test_the_last_checkpoint_callback_keeps_model_checkpoints_state_key(tmp_path):
    """Its state is stored under ModelCheckpoint's key, so checkpoints of either resume with the other."""
    from lightning.pytorch.callbacks import ModelCheckpoint

    args = dict(dirpath=tmp_path, filename="last", save_top_k=0, save_last=True, every_n_train_steps=100)
    ours, theirs = LastCheckpoint(**args), ModelCheckpoint(**args)
    assert ours.state_key == theirs.state_key and ours.state_key.startswith("ModelCheckpoint{")
    assert LastCheckpoint(**{**args, "every_n_train_steps": 7}).state_key != ours.state_key
