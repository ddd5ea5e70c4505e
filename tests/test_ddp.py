"""Two-process DDP on CPU (gloo), in a subprocess: one W&B run, analysis once per event, same result as one process.

With full-batch data every rank computes the same gradient, so DDP's averaged gradient equals the
single-process one and the logged spectra must agree to float round-off. Every rank gets the whole
batch, so an epoch keeps its data.steps_per_epoch steps: the epoch column and the validation rows
fall at the same steps as with one process (Lightning's DistributedSampler would halve the epoch).
"""

from __future__ import annotations

import pytest

from conftest import TINY_DEFAULT_RUN, run_train
from ibias.analysis.wandb_io import find_runs, read_run


def final_row(run_dir):
    run = read_run(run_dir)
    steps, _ = run.series("spectrum/grid/amp_k05", x="trainer/global_step")
    return steps, {k: v for row in run.history if row.get("trainer/global_step") == 20 for k, v in row.items()}


def epochs_and_validation(run_dir) -> tuple[list, list]:
    """Return [(step, epoch)] of the analysis rows and [(step, epoch)] of the validation rows, each row once."""
    run = read_run(run_dir)
    analysis = [(r["trainer/global_step"], r["epoch"]) for r in run.history if "spectrum/grid/amp_k05" in r]
    validation = [(r["trainer/global_step"], r["epoch"]) for r in run.history if "val/loss" in r]
    return analysis, validation


def test_ddp_on_two_cpu_processes_matches_one_process(tmp_path):
    ddp = run_train(tmp_path / "ddp", *TINY_DEFAULT_RUN, "trainer.strategy=ddp", "trainer.devices=2",
                    "trainer.accelerator=cpu", "trainer.enable_progress_bar=false", timeout=300)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    single = run_train(tmp_path / "one", *TINY_DEFAULT_RUN, "trainer.accelerator=cpu", "trainer.enable_progress_bar=false")
    assert single.returncode == 0, single.stderr[-3000:]

    (ddp_run,) = find_runs(tmp_path / "ddp")  # rank 1 starts no W&B run of its own
    ddp_steps, ddp_final = final_row(ddp_run)
    one_steps, one_final = final_row(find_runs(tmp_path / "one")[0])
    assert ddp_steps == one_steps == [0, 5, 10, 15, 20]  # each analysis event logged once, by rank 0
    keys = [k for k, v in one_final.items() if k.startswith(("spectrum/", "norms/")) and isinstance(v, float)]
    assert len(keys) > 20
    for key in keys:
        assert ddp_final[key] == pytest.approx(one_final[key], rel=1e-4, abs=1e-6), key
    # data.steps_per_epoch=10: epochs 0 and 1, validated once each at their end, with 2 processes as with 1.
    ddp_epochs, one_epochs = epochs_and_validation(ddp_run), epochs_and_validation(find_runs(tmp_path / "one")[0])
    assert ddp_epochs == one_epochs and len(one_epochs[1]) == 2, (ddp_epochs, one_epochs)
