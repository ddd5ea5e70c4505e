"""scripts/train.py end to end in a subprocess, with the real W&B library offline, read back from disk.

The logged spectrum and norms are checked against an independent computation from the final
checkpoint (numpy FFT of the network's predictions, torch.linalg norms of its weights).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT, TINY_DEFAULT_RUN, run_train
from ibias.analysis.wandb_io import find_runs, read_run


def test_default_run_logs_spectrum_and_norms_that_match_the_final_model(tmp_path):
    out = tmp_path / "run"
    proc = run_train(out, *TINY_DEFAULT_RUN)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wandb sync" in proc.stdout  # where the offline run is, and how to upload it

    (run_dir,) = find_runs(out)
    run = read_run(run_dir)
    assert run.exited and not run.torn
    # Named after the data and model (no experiment renames it); the id is the one saved in config.yaml for resume=.
    assert run.name == "sinusoids_1d_mlp_s0" and run.group == "sinusoids_1d" and run.tags == ["sinusoids_1d", "mlp"]
    assert run.job_type == "train" and run.run_id == run.config["run"]["id"]
    assert run.metrics.get("*") == "trainer/global_step"  # every curve shares one x-axis in the W&B UI
    assert run.config["model"]["width"] == 32 and run.config["trainer"]["max_steps"] == 20  # the resolved config

    steps, amps = run.series("spectrum/grid/amp_k05", x="trainer/global_step")
    assert steps == [0, 5, 10, 15, 20]

    (ckpt,) = list(out.rglob("*.ckpt"))
    saved = torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]
    state = {k.removeprefix("model."): v for k, v in saved.items()}
    from ibias.models import mlp

    net = mlp(input_shape=(1,), num_outputs=1, width=32, depth=6)
    net.load_state_dict(state)
    from datamodules import SinusoidDataModule

    probe = SinusoidDataModule().probe_set()
    with torch.no_grad():
        pred = net(probe.inputs)[:, 0].double().numpy()
    spectrum = 2 * np.abs(np.fft.rfft(pred)) / len(pred)
    final = {k: v for row in run.history if row.get("trainer/global_step") == 20 for k, v in row.items()}
    for k in (5, 25, 50):
        assert final[f"spectrum/grid/amp_k{k:02d}"] == pytest.approx(spectrum[k], rel=1e-4)
    for name, weight in state.items():
        if weight.ndim == 2:
            key = f"norms/model.{name}/fro"
            assert final[key] == pytest.approx(torch.linalg.matrix_norm(weight.double()).item(), rel=1e-5), key
            assert final[f"norms/model.{name}/spectral"] == pytest.approx(
                torch.linalg.matrix_norm(weight.double(), ord=2).item(), rel=1e-4)
    # learning_order.py reads the same run from disk: every amplitude is >= 0, so level 0 is reached at step 0.
    order = subprocess.run([sys.executable, str(ROOT / "scripts" / "learning_order.py"), str(run_dir), "--level", "0"],
                           capture_output=True, text=True, timeout=120)
    assert order.returncode == 0, order.stderr
    assert "monotone in frequency: True (steps: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])" in order.stdout
    heatmaps = [p for p in run.media if "heatmap" in p.name]
    assert heatmaps and all(p.exists() for p in heatmaps)
    assert (out / "spectrum_grid.png").exists()


def test_bad_override_fails_with_hydra_message(tmp_path):
    proc = run_train(tmp_path, "trainer.max_stepz=3", timeout=120)
    assert proc.returncode != 0
    assert "max_stepz" in proc.stderr


def test_a_probe_frequency_above_nyquist_is_named(tmp_path):
    proc = run_train(tmp_path, "data.num_points=64", "~logger", timeout=120)
    assert proc.returncode != 0
    assert "[35, 40, 45, 50]" in proc.stderr and "num_points" in proc.stderr
    assert "error: data (datamodules.SinusoidDataModule): freqs" in proc.stderr and "Traceback" not in proc.stderr
