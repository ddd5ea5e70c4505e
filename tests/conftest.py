"""Shared fixtures: composing the real Hydra configs, shrunk for CPU tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "configs"

# 2 cores are shared by the whole suite: one intra-op thread per test process keeps timings stable.
torch.set_num_threads(1)
os.environ.setdefault("WANDB_SILENT", "true")


def compose_config(*overrides: str):
    """Return configs/train.yaml composed with `overrides`, as scripts/train.py would see it."""
    from hydra import compose, initialize_config_dir

    from ibias.run.config import register_schemas

    register_schemas()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


# Overrides that turn any experiment into a few CPU steps without W&B (W&B runs are tested in subprocesses).
CPU_SMOKE = [
    "~logger",
    "trainer.max_steps=3",
    "trainer.limit_val_batches=1",
    "trainer.limit_test_batches=1",
    "trainer.enable_checkpointing=false",
    "trainer.enable_progress_bar=false",
    "trainer.accelerator=cpu",
    "trainer.devices=1",
]


@pytest.fixture
def python_exe() -> str:
    """Return the interpreter running the tests (the project's venv)."""
    return sys.executable


def run_train(out: Path, *overrides: str, timeout: int = 240) -> subprocess.CompletedProcess:
    """Run scripts/train.py in a fresh process (W&B offline) writing into `out`; return the finished process."""
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(ROOT / "scripts" / "train.py"), f"hydra.run.dir={out}", *overrides]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


# A default-experiment run small enough for a test: 20 full-batch steps, analysis every 5.
TINY_DEFAULT_RUN = ["trainer.max_steps=20", "data.steps_per_epoch=10", "model.width=32", "callbacks.spectrum.every_n_steps=5",
                    "callbacks.weight_norms.every_n_steps=5", "trainer.check_val_every_n_epoch=1"]
