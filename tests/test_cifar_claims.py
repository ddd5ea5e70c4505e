"""The CIFAR-10 claims: NOT CHECKED here with the reason and the command; their checks read real (tiny) runs.

The default suite has neither CIFAR-10 nor a GPU, so test_reproductions.py only sees their NOT CHECKED
lines. Here the check itself runs on two debug-sized runs of the claims' own RunSpecs, trained on a tiny
CIFAR-10 written in the official format: every declared statement gets a PASS or FAIL (the numbers of a
2-epoch run on random images mean nothing; the plumbing from W&B run to verdict is what is tested).
"""

from __future__ import annotations

import pytest
import torch

from cifar_fixture import write_tiny_cifar10
from ibias.analysis.claim import FAIL, PASS, Setting
from ibias.analysis.claims import all_claims
from ibias.run.reproduce import train_runs

CIFAR_CLAIMS = ["frequency_principle_cifar10", "fourier_heatmap_cifar10"]


@pytest.mark.parametrize("name", CIFAR_CLAIMS)
def test_unavailable_names_what_is_missing_and_the_command(name, tmp_path):
    claim = all_claims()[name]
    reason = claim.unavailable(Setting(quick=False, seeds=(0,), overrides=(f"data.root={tmp_path}",)))
    assert f"data.root={tmp_path} (no cifar-10-batches-py there)" in reason
    assert f"python scripts/reproduce.py {name} --set data.root=" in reason
    root = write_tiny_cifar10(tmp_path / "cifar")
    with_data = claim.unavailable(Setting(quick=False, seeds=(0,), overrides=(f"data.root={root}",)))
    if torch.cuda.is_available():
        assert with_data is None
    else:
        assert with_data.startswith("needs a GPU;")
    quick = claim.unavailable(Setting(quick=True, seeds=(0,), overrides=(f"data.root={root}",)))
    assert quick is not None  # the default suite never trains a CIFAR-10 claim, even with data and a GPU
    assert ("no reduced CIFAR-10 setting" in quick) if torch.cuda.is_available() else quick.startswith("needs a GPU;")


@pytest.mark.parametrize("name", CIFAR_CLAIMS)
def test_check_turns_real_runs_into_a_verdict_per_statement(name, tmp_path):
    claim = all_claims()[name]
    root = write_tiny_cifar10(tmp_path / "cifar")
    setting = Setting(quick=False, seeds=(0,), overrides=("debug=quick", f"data.root={root}"))
    runs = train_runs(claim, setting, tmp_path / "report")
    outcome = claim.check(setting, runs, tmp_path / "report")
    assert [v.statement for v in outcome.verdicts] == list(claim.statements)
    assert all(v.status in (PASS, FAIL) for v in outcome.verdicts), [v.line(name) for v in outcome.verdicts]
