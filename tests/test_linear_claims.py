"""Pieces of the linear, matrix and double-descent claims that the quick runs cannot reach (ibias/analysis/claims/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ibias.analysis.claim import FAIL, NOT_CHECKED, PASS, ClaimRun, RunSpec, Setting
from ibias.analysis.claims import all_claims
from ibias.analysis.claims.double_descent_mnist1d import mlp_parameters
from ibias.analysis.claims.double_descent_resnet18k import WIDTHS
from ibias.analysis.wandb_io import RunRecord
from ibias.models import build_model
from ibias.run.reproduce import reproduce, setting_for

RESNET = all_claims()["double_descent_resnet18k"]


@pytest.mark.parametrize("width,depth", [(4, 3), (40, 3), (400, 3), (16, 5)])
def test_mlp_parameter_count_is_the_models(width, depth):
    model = build_model("mlp", input_shape=(1, 40), num_outputs=10, width=width, depth=depth)
    assert mlp_parameters(width, depth) == sum(p.numel() for p in model.parameters())
    if (width, depth) == (40, 3):
        assert mlp_parameters(width, depth) == 3690  # Greydanus's peak width (docs/references.md §17)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message a machine without a GPU gets")
def test_resnet18k_claim_says_what_it_needs_and_how_to_run_it(tmp_path):
    outcome, report = reproduce(RESNET, setting_for(RESNET, quick=False, seeds=None, overrides=(f"data.root={tmp_path}",)),
                                tmp_path / "out")
    lines = [v.line("double_descent_resnet18k") for v in outcome.verdicts]
    assert [v.status for v in outcome.verdicts] == [NOT_CHECKED] * 3
    assert "needs CIFAR-10 under data.root" in lines[0] and "and a GPU" in lines[0]
    assert "python scripts/reproduce.py double_descent_resnet18k --set data.root=" in lines[0]
    (tmp_path / "cifar-10-batches-py").mkdir()
    reason = RESNET.unavailable(Setting(quick=False, seeds=(0,), overrides=(f"data.root={tmp_path}",)))
    assert reason.startswith("needs a GPU;")  # the data are there now
    assert RESNET.unavailable(Setting(quick=True, seeds=(0,))).startswith("no quick setting")


def _runs(errors: dict[int, float]) -> dict[str, ClaimRun]:
    """Finished runs as the check sees them: a W&B record whose history holds the final test/error."""
    return {f"k{k}_s0": ClaimRun(RunSpec(f"k{k}_s0", ()), RunRecord(path=Path(f"k{k}.wandb"), history=[{"test/error": e}]),
                                 Path("."))
            for k, e in errors.items()}


def test_resnet18k_check_finds_the_peak_and_the_fall(tmp_path):
    # Nakkiran et al.'s published points (k = 3, 12, 64) with a rise and fall between them.
    shaped = dict(zip(WIDTHS, (0.2461, 0.29, 0.32, 0.335, 0.3459, 0.33, 0.28, 0.24, 0.1963)))
    outcome = RESNET.check(Setting(quick=False, seeds=(0,)), _runs(shaped), tmp_path)
    assert [v.status for v in outcome.verdicts] == [PASS, PASS, PASS]
    assert ("k = 12: test error", "34.6%", "34.59%") in outcome.table and outcome.figures[0].exists()
    falling = dict(zip(WIDTHS, (0.40, 0.38, 0.36, 0.34, 0.32, 0.30, 0.28, 0.26, 0.24)))  # no peak: monotone
    outcome = RESNET.check(Setting(quick=False, seeds=(0,)), _runs(falling), tmp_path)
    statuses = {v.statement: v.status for v in outcome.verdicts}
    assert statuses == {"peak_near_k12": FAIL, "falls_beyond_peak": PASS, "rises_to_peak": FAIL}  # the "peak" is k = 3
