"""scripts/reproduce.py: the runner on a toy claim, and every registered claim (quick here, full under `slow`).

The quick setting of each claim is part of the default suite: its verdicts must all be PASS or
NOT CHECKED (a claim that needs CIFAR-10 or a GPU says so). The full setting runs with `make test-slow`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ibias.analysis.claim import FAIL, NOT_CHECKED, PASS, Claim, Outcome, RunSpec, fmt, verdict
from ibias.analysis.claims import all_claims
from ibias.analysis.records import STEP_AXIS, read_records, spectrum_key
from ibias.analysis.wandb_io import find_runs, read_run
from ibias.run.reproduce import listing, main, reproduce, setting_for

CLAIMS = all_claims()
ROOT = Path(__file__).resolve().parents[1]


def toy_check(setting, runs, out):
    """Reads the run back: the config it was trained with, and the grid probe's first logged amplitude."""
    (run,) = runs.values()
    width = run.record.config["model"]["width"]
    series = read_records(run.record.config)["grid"].series_named("amp")
    steps, amps = run.record.series(spectrum_key("grid", series.keys()[0]), x=STEP_AXIS)
    figure = out / "toy.png"
    figure.write_bytes(b"\x89PNG")
    return Outcome(verdicts=[verdict("width_read_back", width == 8, str(width), "8"),
                             verdict("amplitude_is_small_at_init", amps[0] < 0.5, fmt(amps[0]), "< 0.5"),
                             verdict("always_fails", False, "1", "0")],
                   figures=[figure], table=[("steps measured", str(steps), "[0]")])


TOY = Claim(name="toy", paper="none (a test of the runner)", summary="a debug run is read back", runtime_full="10 s",
            runtime_quick="10 s", runs=lambda s: [RunSpec("tiny", ("debug=quick", "model.width=8", f"seed={s.seeds[0]}"))],
            check=toy_check, statements=("width_read_back", "amplitude_is_small_at_init", "always_fails"))


def test_a_claim_trains_through_train_py_reads_the_run_back_and_reports(tmp_path):
    outcome, report = reproduce(TOY, setting_for(TOY, quick=True, seeds=None), tmp_path, command="toy command")
    assert [(v.statement, v.status) for v in outcome.verdicts] == [
        ("width_read_back", PASS), ("amplitude_is_small_at_init", PASS), ("always_fails", FAIL)]
    assert outcome.verdicts[0].line("toy") == "PASS toy.width_read_back: measured 8 expected 8"
    text = report.read_text()
    assert report.parent.parent == tmp_path / "toy" and (report.parent / "runs" / "tiny" / "config.yaml").exists()
    assert "| always_fails | FAIL | 1 | 0 |" in text and "![toy](toy.png)" in text and "`toy command`" in text
    assert "| steps measured | [0] | [0] |" in text and "runs/tiny/wandb/" in text


def test_an_unavailable_claim_is_not_checked_and_trains_nothing(tmp_path):
    gpu = Claim(name="needs_gpu", paper="p", summary="s", runtime_full="1 h on a GPU", runtime_quick="-",
                runs=lambda s: pytest.fail("an unavailable claim must not train"), check=toy_check,
                statements=("a", "b"), unavailable=lambda s: "needs a GPU; run: python scripts/reproduce.py needs_gpu")
    outcome, report = reproduce(gpu, setting_for(gpu, quick=False, seeds=2), tmp_path)
    assert [v.status for v in outcome.verdicts] == [NOT_CHECKED, NOT_CHECKED]
    line = outcome.verdicts[1].line("needs_gpu")
    assert line == "NOT CHECKED needs_gpu.b: needs a GPU; run: python scripts/reproduce.py needs_gpu"
    assert not (report.parent / "runs").exists()


def test_resume_reads_finished_runs_back_and_retrains_the_rest(tmp_path):
    setting = setting_for(TOY, quick=True, seeds=None)
    first, report = reproduce(TOY, setting, tmp_path)
    before = find_runs(report.parent / "runs")
    again, same = reproduce(TOY, setting, tmp_path, resume=report.parent)
    assert same == report and find_runs(report.parent / "runs") == before  # the same W&B run, read back
    assert [v.line("toy") for v in again.verdicts] == [v.line("toy") for v in first.verdicts]
    changed = setting_for(TOY, quick=True, seeds=None, overrides=("trainer.max_epochs=1",))
    reproduce(TOY, changed, tmp_path, resume=report.parent)  # another config: trained again, in place
    (after,) = find_runs(report.parent / "runs")
    assert after not in before and read_run(after).config["trainer"]["max_epochs"] == 1


def test_the_command_line_lists_claims_and_names_bad_input(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["claim", "paper", "quick", "full"] and all(name in out for name in CLAIMS)
    assert main(["no_such_claim"]) == 2
    assert "unknown claim(s) ['no_such_claim']" in capsys.readouterr().err
    assert listing({"toy": TOY}).splitlines()[1].startswith("toy")
    assert main([next(iter(CLAIMS)), "--resume", str(ROOT / "docs")]) == 2
    assert "not a report folder of scripts/reproduce.py" in capsys.readouterr().err


def assert_claim_holds(name: str, quick: bool, out) -> None:
    """Run the claim in its quick or full setting; every verdict must be PASS or NOT CHECKED."""
    claim = CLAIMS[name]
    outcome, report = reproduce(claim, setting_for(claim, quick=quick, seeds=None), out)
    lines = [v.line(name) for v in outcome.verdicts]
    assert outcome.verdicts and not [ln for ln in lines if ln.startswith(FAIL)], "\n".join(lines)
    assert report.exists()


@pytest.mark.parametrize("name", list(CLAIMS))
def test_quick_claim_holds(name, tmp_path):
    assert_claim_holds(name, quick=True, out=tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CLAIMS))
def test_full_claim_holds(name, tmp_path):
    assert_claim_holds(name, quick=False, out=tmp_path)
