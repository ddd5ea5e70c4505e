"""scripts/compare.py on runs written by the real wandb client (offline, in a subprocess).

Runs log synthetic rows with the project's key names; the expected curves, heat maps and sweep
points are the test's own numbers, not outputs of the code under test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from ibias.analysis.compare import common_metrics, heatmap_data, load_runs, probe_records, series_lines, sweep_points
from ibias.analysis.records import Axis, Heatmap, ProbeRecord, Series, records_config
from offline_runs import write_offline_run

ROOT = Path(__file__).resolve().parents[1]
FREQS = [5, 10, 15]


def amp(k: int, step: int, width: int) -> float:
    """The synthetic spectrum: low frequencies converge first, wider nets faster."""
    return float(1 - np.exp(-step * width / (40.0 * k)))


def grid_record() -> ProbeRecord:
    """The declaration a GridProbe on FREQS writes into the run's config."""
    axis = Axis("frequency", "cycles per grid period")
    tag = lambda k: f"k{int(k):02d}"
    amp_series = Series.along("amp", "|f̂(k)| / A_k", axis, FREQS, tag, (0.0, 1.0))
    relerr = Series.along("relerr", "|f̂(k) − ŷ(k)| / |ŷ(k)|", axis, FREQS, tag)
    return ProbeRecord("grid", (amp_series, relerr), heatmap=Heatmap(axis, tuple(map(str, FREQS)), "|f̂(k)| / A_k",
                                                                      (0.0, 1.0), series="amp"))


def spec(width: int, test_error: float, with_table: bool) -> dict:
    rows = []
    for i, step in enumerate(range(0, 50, 10)):
        data = {f"spectrum/grid/amp_k{k:02d}": amp(k, step, width) for k in FREQS}
        data |= {f"spectrum/grid/relerr_k{k:02d}": 1 - amp(k, step, width) for k in FREQS}
        data |= {"norms/model/sum_fro_sq": 1.0 + 0.1 * i * width, "train/loss": 1.0 / (1 + i), "trainer/global_step": step,
                 "epoch": i}
        rows.append({"data": data})
    last = {"test/error": test_error, "test/loss": 2 * test_error, "trainer/global_step": 40}
    rows.append({"data": last})
    if with_table:
        table = [[s, str(k), amp(k, s, width)] for s in range(0, 50, 10) for k in FREQS]
        rows.append({"data": {"trainer/global_step": 40},
                     "tables": {"spectrum/grid/heatmap_table": {"columns": ["step", "row", "value"], "data": table}}})
    config = {"model": {"width": width}, "seed": 0, **records_config([grid_record()])}
    init = {"project": "ibias-test", "name": f"w{width}", "group": "dd", "config": config}
    return {"init": init, "rows": rows}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    return [write_offline_run(root / f"w{w}", spec(w, err, with_table=(w == 8))) for w, err in [(8, 0.3), (16, 0.2)]]


def compare_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "compare.py"), *args], capture_output=True, text=True,
                          timeout=120)


def test_compare_renders_every_figure_and_the_page(runs, tmp_path):
    out = tmp_path / "cmp"
    done = compare_cli(*map(str, runs), "--out", str(out), "--sweep-param", "model.width", "--metric", "test/error")
    assert done.returncode == 0, done.stderr
    names = ["convergence_grid_amp.png", "convergence_grid_relerr.png", "heatmap_grid.png", "norms.png", "losses.png",
             "sweep.png"]
    page = (out / "index.html").read_text()
    for name in names:
        image = matplotlib.image.imread(out / name)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100, name
        assert image[..., :3].std() > 0.01, name  # something was drawn, not a blank canvas
        assert f"src='{name}'" in page
    assert "w8 (" in page and "w16 (" in page and "0.3" in page and "0.2" in page


def test_sweep_points_and_heatmaps_are_the_logged_numbers(runs):
    loaded = load_runs(runs)
    assert [r.run_dir for r in load_runs([runs[0], runs[0].parent.parent])] == [runs[0]]  # a run named twice counts once
    assert sweep_points(loaded, "model.width", "test/error") == {8: [0.3], 16: [0.2]}
    record = probe_records(loaded, common_metrics(loaded))["grid"]  # the declaration, read back from the config
    assert record == grid_record()
    want = {w: np.array([[amp(k, s, w) for s in range(0, 50, 10)] for k in FREQS]) for w in (8, 16)}
    for run, width in zip(loaded, (8, 16)):  # width 8 from its logged table, width 16 from its scalars
        values, labels, steps = heatmap_data(run, record, "trainer/global_step")
        np.testing.assert_allclose(values, want[width], rtol=0, atol=0)
        assert labels == [str(k) for k in FREQS] and list(steps) == [0, 10, 20, 30, 40]
        lines = series_lines(run, "grid", record.series_named("amp"), "trainer/global_step")
        assert [name for name, _, _ in lines] == ["frequency=5", "frequency=10", "frequency=15"]
        assert lines[1][2] == [amp(10, s, width) for s in range(0, 50, 10)]


def test_a_folder_that_is_not_a_run_is_a_one_line_error(tmp_path, runs):
    (tmp_path / "notes.txt").write_text("hello")
    done = compare_cli(str(tmp_path), str(runs[0]))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "is not a W&B run" in done.stderr and str(tmp_path) in done.stderr


def test_runs_with_nothing_in_common_are_a_one_line_error(tmp_path, runs):
    other = write_offline_run(tmp_path / "other", {"init": {"project": "x", "name": "other"},
                                                    "rows": [{"data": {"foo/bar": 1.0}}]})
    done = compare_cli(str(runs[0]), str(other), "--out", str(tmp_path / "cmp"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "share no logged metric" in done.stderr
    done = compare_cli(*map(str, runs), "--out", str(tmp_path / "cmp"), "--sweep-param", "model.depth")
    assert done.returncode == 2 and "model.depth is not in the config" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.filterwarnings("ignore")
def test_a_frequency_principle_run_is_plotted_per_delta_and_per_real_frequency(tmp_path):
    """A real (debug-sized) run of callbacks=frequency_principle, written by scripts/train.py, compared."""
    from conftest import run_train

    done = run_train(tmp_path / "run", "experiment=frequency_principle_mnist1d", "debug=quick")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "cmp"
    assert compare_cli(str(tmp_path / "run"), "--out", str(out)).returncode == 0
    for name in ("convergence_filter_e_low.png", "convergence_filter_e_high.png", "heatmap_filter.png",
                 "convergence_projection_relerr.png", "heatmap_projection.png"):
        assert (out / name).stat().st_size > 1000, name
    (run,) = load_runs([tmp_path / "run"])
    records = probe_records([run], common_metrics([run]))
    deltas = records["filter"].series_named("e_low")
    assert [name for name, _, _ in series_lines(run, "filter", deltas, "trainer/global_step")] == \
        [f"δ (kernel variance)={d:g}" for d in (2, 4, 6, 8, 10, 12, 14, 16, 18, 20)]
    peaks = records["projection"].series_named("relerr")
    lines = series_lines(run, "projection", peaks, "trainer/global_step")
    assert len(lines) == len(peaks.coords) >= 3 and all(len(ys) == 3 for _, _, ys in lines)  # start + 2 epochs
    for (name, _, _), key, k in zip(lines, peaks.keys(), peaks.coords):
        assert 0 < k < 10 and name == f"frequency along p={k:g}" and key == f"relerr_k{k:.4g}"  # a frequency, not an index
