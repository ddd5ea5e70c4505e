"""The frequency principle on MNIST-1D, run through scripts/frequency_principle.py (slow: ~2 CPU minutes)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_e_low_reaches_the_threshold_before_e_high_for_every_delta(tmp_path, python_exe):
    out = tmp_path / "fp.json"
    subprocess.run([python_exe, str(ROOT / "scripts" / "frequency_principle.py"), "--out", str(tmp_path / "runs"),
                    "--threshold", "0.2", "--json", str(out)], check=True, cwd=tmp_path, timeout=1800)
    report = json.loads(out.read_text())
    assert [r["model"] for r in report] == ["mlp", "cnn1d"]
    for result in report:
        deltas = [float(d) for d in result["e_high"]]
        assert deltas == [2.0 * i for i in range(1, 11)]
        for d in result["e_high"]:
            # Sanity of the measurement itself: untrained, the high part is almost all error; trained, little is left.
            assert result["e_high"][d][0] > 0.8 and result["e_high"][d][-1] < 0.2
        table = result["tables"]["0.2"]
        for row in table:
            assert row["low_epoch"] is not None and row["high_epoch"] is not None, (result["model"], row)
            assert row["low_epoch"] < row["high_epoch"], (result["model"], row)
