"""Ctrl-C during training loses nothing that was logged: the W&B run is finished and the heat map saved."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import ROOT
from ibias.analysis.wandb_io import find_runs, read_run


def spectrum_rows(out) -> int:
    try:
        run = read_run(find_runs(out)[0])
    except (IndexError, OSError, ValueError):
        return 0
    return sum("spectrum/grid/amp_k05" in row for row in run.history)


def test_sigint_finishes_the_run_and_keeps_every_logged_row(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(ROOT / "scripts" / "train.py"), f"hydra.run.dir={out}", "trainer.max_steps=1000000",
           "model.width=16", "callbacks.spectrum.every_n_steps=10", "trainer.enable_progress_bar=false"]
    # A shell without job control starts background jobs with SIGINT ignored, and a child inherits that (Python
    # then installs no KeyboardInterrupt handler): give the run the default disposition a terminal gives it.
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 180
        while spectrum_rows(out) < 3:  # wait until training has logged a few analysis events
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no spectrum rows logged within 180 s"
            time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert "wandb sync" in stdout, stderr[-3000:]
    run = read_run(find_runs(out)[0])
    assert run.exited and not run.torn  # finished, not cut off
    steps, _ = run.series("spectrum/grid/amp_k05", x="trainer/global_step")
    assert len(steps) >= 3 and steps == sorted(set(steps))
    assert (out / "spectrum_grid.png").exists()  # saved by on_exception
