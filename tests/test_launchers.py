"""Sweeps beyond one process: configs/hydra/launcher/{local,slurm}.yaml on hydra-submitit-launcher.

`local` (submitit's local executor) is what can run here: a 2-job multirun must run as two processes,
each finishing its own W&B run. `slurm` is checked to compose onto the plugin's SLURM launcher.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import CONFIG_DIR, ROOT
from ibias.analysis.wandb_io import find_runs, read_run

pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e '.[dev]' installs hydra-submitit-launcher")


def test_the_slurm_launcher_config_composes_onto_the_plugin():
    from hydra import compose, initialize_config_dir

    from ibias.run.config import register_schemas

    register_schemas()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=gpu"],
                      return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher") and launcher.partition == "gpu"
    assert (launcher.gpus_per_node, launcher.tasks_per_node, launcher.timeout_min) == (1, 1, 240)


@pytest.mark.slow  # 2 min on the shared 2-core machine (load ~6): two training processes side by side
def test_a_submitit_local_multirun_runs_each_job_in_its_own_process_and_wandb_run(tmp_path):
    command = [sys.executable, str(ROOT / "scripts" / "train.py"), "-m", "hydra/launcher=local",
               "experiment=double_descent_mnist1d", "debug=quick", "model.width=4,8", "logger.mode=offline",
               f"hydra.sweep.dir={tmp_path}", "hydra.sweep.subdir=${hydra.job.num}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = [read_run(d) for d in find_runs(tmp_path)]
    assert sorted(r.config["model"]["width"] for r in runs) == [4, 8] and len({r.run_id for r in runs}) == 2
    for run in runs:
        assert run.exited and run.exit_code == 0 and not run.torn
        assert any(r.get("test/error") is not None for r in run.history)
    # submitit's own record of each job: its folder with the job's stdout, one per process it started
    logs = sorted((tmp_path / ".submitit").rglob("*_log.out"))
    assert len(logs) == 2 and len({p.parent for p in logs}) == 2
