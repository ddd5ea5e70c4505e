"""Shared fixtures: composing the real Hydra configs, shrunk for CPU tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ibias.run.config import CONFIG_DIR, compose_config  # noqa: F401 (re-exported for the tests)

ROOT = Path(__file__).resolve().parents[1]

# 2 cores are shared by the whole suite: one intra-op thread per test process keeps timings stable.
torch.set_num_threads(1)
os.environ.setdefault("WANDB_SILENT", "true")




# Any experiment as a few CPU steps (configs/debug/quick.yaml), without W&B (W&B runs are tested in subprocesses).
CPU_SMOKE = ["debug=quick", "~logger"]


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
