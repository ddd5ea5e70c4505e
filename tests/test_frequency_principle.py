"""The frequency principle on MNIST-1D through the one training path (slow: two runs, ~3 CPU minutes).

Runs experiment=frequency_principle_mnist1d (MLP) and its _cnn twin via scripts/train.py, reads the
offline W&B runs back, and checks Xu et al.'s finding (docs/references.md §10): for every δ, e_low falls
to 0.2 before e_high does. The δs come from the FilterProbe's declaration in the run's config.
"""

from __future__ import annotations

import pytest

from conftest import run_train
from ibias.analysis.convergence import first_step_reaching
from ibias.analysis.records import STEP_AXIS, read_records, spectrum_key
from ibias.analysis.wandb_io import find_runs, read_run

EXPERIMENTS = ["frequency_principle_mnist1d", "frequency_principle_mnist1d_cnn"]  # the MLP and the CNN


@pytest.mark.slow
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_e_low_reaches_the_threshold_before_e_high_for_every_delta(tmp_path, experiment):
    done = run_train(tmp_path, f"experiment={experiment}", "trainer.enable_progress_bar=false", timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = find_runs(tmp_path)
    run = read_run(run_dir)
    record = read_records(run.config)["filter"]
    low, high = record.series_named("e_low"), record.series_named("e_high")
    assert list(low.coords) == list(high.coords) == [2.0 * i for i in range(1, 11)]  # no δ absent on MNIST-1D
    for delta, low_key, high_key in zip(low.coords, low.keys(), high.keys()):
        steps, e_low = run.series(spectrum_key("filter", low_key), x=STEP_AXIS)
        _, e_high = run.series(spectrum_key("filter", high_key), x=STEP_AXIS)
        # Sanity of the measurement itself: untrained, the high part is almost all error; trained, little is left.
        assert e_high[0] > 0.8 and e_high[-1] < 0.2, (experiment, delta)
        first_low = first_step_reaching(steps, e_low, 0.2, above=False)
        first_high = first_step_reaching(steps, e_high, 0.2, above=False)
        assert first_low is not None and first_high is not None, (experiment, delta)
        assert first_low < first_high, (experiment, delta, first_low, first_high)
