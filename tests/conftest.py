"""Shared fixtures: composing the real Hydra configs, shrunk for CPU tests."""

from __future__ import annotations

import os
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

    from ibias.config import register_schemas

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
