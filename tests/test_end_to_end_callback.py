"""EndToEndCallback with a real CPU Trainer: the product matrix's measures against numpy, references from the datamodule."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lightning.pytorch import LightningModule, Trainer

from callbacks import EndToEndCallback
from datamodules import LinearRegressionDataModule, MatrixCompletionDataModule, MatrixSensingDataModule
from ibias.analysis.records import END_TO_END_MEASURES, end_to_end_key, singular_value_key
from ibias.models import build_model
from ibias.run.tasks import RegressionModule
from recording_logger import RecordingLogger


def _fit(tmp_path, module, datamodule, callback, steps: int) -> RecordingLogger:
    logger = RecordingLogger(tmp_path)
    Trainer(max_steps=steps, callbacks=[callback], logger=logger, enable_checkpointing=False, enable_progress_bar=False,
            enable_model_summary=False, limit_val_batches=0, accelerator="cpu", default_root_dir=tmp_path,
            ).fit(module, datamodule=datamodule)
    return logger


def _rows(logger: RecordingLogger) -> dict[int, dict[str, float]]:
    return {step: row for step, row in logger.rows if end_to_end_key("nuclear") in row}


def _numpy_measures(w: np.ndarray) -> dict[str, float]:
    s = np.linalg.svd(w, compute_uv=False)
    p = s / s.sum()
    return {"nuclear": s.sum(), "fro": np.sqrt((w**2).sum()), "spectral": s[0], "effective_rank": np.exp(-(p * np.log(p)).sum()),
            "sv": s}


def test_completion_product_measures_and_errors_match_numpy(tmp_path):
    torch.manual_seed(0)
    dm = MatrixCompletionDataModule(size=8, rank=2, num_observed=30, seed=1, steps_per_epoch=5)
    net = build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=8, depth=3, init_scale=0.5)
    callback = EndToEndCallback(every_n_steps=4, top_k=3)
    logger = _fit(tmp_path, RegressionModule(net, {"name": "sgd", "lr": 0.5}), dm, callback, steps=9)
    rows = _rows(logger)
    assert sorted(rows) == [0, 4, 8, 9]  # before training, every 4 steps, and the final matrix
    # The product of the trained factors, computed independently in float64: W = W_3 W_2 W_1. The model
    # multiplies its float32 factors in float32, so the two agree to float32 rounding (rel 1e-6), not more.
    f1, f2, f3 = (p.detach().double().numpy() for p in net.factors)
    w = f3 @ f2 @ f1
    ours, truth, observed = rows[9], dm.ground_truth.numpy(), dm.mask.numpy()
    expected = _numpy_measures(w)
    for name in ("nuclear", "fro", "spectral", "effective_rank"):
        assert ours[end_to_end_key(name)] == pytest.approx(expected[name], rel=1e-6), name
    assert [ours[singular_value_key(i)] for i in (1, 2, 3)] == pytest.approx(expected["sv"][:3], rel=1e-6)
    assert singular_value_key(4) not in ours  # top_k=3
    assert ours[end_to_end_key("recovery_error")] == pytest.approx(np.linalg.norm(w - truth) / np.linalg.norm(truth), rel=1e-6)
    unobserved = np.linalg.norm((w - truth)[~observed]) / np.linalg.norm(truth[~observed])
    assert ours[end_to_end_key("unobserved_error")] == pytest.approx(unobserved, rel=1e-6)
    assert rows[0][end_to_end_key("nuclear")] < ours[end_to_end_key("nuclear")]  # it trained: the product grew
    logged = {k.split("/", 1)[1] for k in ours if k.startswith("end_to_end/") and "/sv_" not in k}
    assert logged == set(END_TO_END_MEASURES) - {"min_norm_error", "fro_over_min_norm", "init_interpolator_error",
                                                 "min_nuclear_error", "nuclear_over_min_nuclear"}  # what completion has


def test_linear_regression_distances_to_the_min_norm_and_the_closest_interpolator(tmp_path):
    torch.manual_seed(3)
    dm = LinearRegressionDataModule(num_train=10, dim=30, noise=0.3, dtype="float64", seed=2, steps_per_epoch=10)
    net = build_model("linear", input_shape=dm.input_shape, num_outputs=1, init_scale=1.0).double()
    w0 = net.weight.detach().numpy()[0].copy()
    callback = EndToEndCallback(every_n_steps=10)
    logger = _fit(tmp_path, RegressionModule(net, {"name": "sgd", "lr": 0.05}).double(), dm, callback, steps=20)
    last = _rows(logger)[20]
    x, y = dm.x_train.numpy(), dm.y_train.numpy()
    xp = np.linalg.pinv(x)
    min_norm, limit = xp @ y, xp @ y + w0 - xp @ (x @ w0)  # GD from w0 ends at the interpolator closest to w0
    w = net.weight.detach().numpy()[0]
    rel = lambda a, b: np.linalg.norm(a - b) / np.linalg.norm(b)
    assert last[end_to_end_key("min_norm_error")] == pytest.approx(rel(w, min_norm), rel=1e-9)
    assert last[end_to_end_key("fro_over_min_norm")] == pytest.approx(np.linalg.norm(w) / np.linalg.norm(min_norm), rel=1e-9)
    assert last[end_to_end_key("init_interpolator_error")] == pytest.approx(rel(w, limit), rel=1e-9)
    assert last[end_to_end_key("nuclear")] == pytest.approx(np.linalg.norm(w), rel=1e-12)  # a 1×d matrix: σ₁ = ‖w‖
    assert last[end_to_end_key("effective_rank")] == 1.0 and singular_value_key(2) not in last


def test_sensing_compares_against_the_minimum_nuclear_norm_solution(tmp_path):
    torch.manual_seed(0)
    dm = MatrixSensingDataModule(size=6, rank=1, num_measurements=12, num_val=4, seed=0, steps_per_epoch=2)
    net = build_model("matrix_factorization", input_shape=dm.input_shape, num_outputs=1, depth=2, init_scale=0.1)
    logger = _fit(tmp_path, RegressionModule(net, {"name": "sgd", "lr": 1.0}), dm, EndToEndCallback(every_n_steps=2), steps=2)
    last = _rows(logger)[2]
    w = net.factors[1].detach().double().numpy() @ net.factors[0].detach().double().numpy()
    x_min = dm.min_nuclear_norm_solution().numpy()
    s_min = np.linalg.svd(x_min, compute_uv=False).sum()
    assert last[end_to_end_key("min_nuclear_error")] == pytest.approx(np.linalg.norm(w - x_min) / np.linalg.norm(x_min), rel=1e-6)
    assert last[end_to_end_key("nuclear_over_min_nuclear")] == pytest.approx(np.linalg.svd(w, compute_uv=False).sum() / s_min,
                                                                             rel=1e-6)
    # 12 measurements of a 6×6 matrix are too few to pin it down: the convex benchmark is not the truth.
    assert s_min < np.linalg.svd(dm.ground_truth.numpy(), compute_uv=False).sum()


class NoProduct(LightningModule):
    """A module whose network does not expose its product matrix."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))


def test_a_network_without_end_to_end_gets_an_error_naming_the_fix(tmp_path):
    from callbacks.end_to_end import find_end_to_end

    with pytest.raises(ValueError, match=r"NoProduct and its submodules have no end_to_end\(\) method; give your network one"):
        find_end_to_end(NoProduct())
    dm = MatrixCompletionDataModule(size=5, rank=1, num_observed=10, seed=0)
    net = build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=5, depth=2)
    callback = EndToEndCallback(ground_truth=torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r"ground_truth has shape \(4, 4\) but the end-to-end matrix is \(5, 5\)"):
        _fit(tmp_path, RegressionModule(net), dm, callback, steps=1)
    with pytest.raises(ValueError, match="top_k=-1 must be an integer >= 0"):
        EndToEndCallback(top_k=-1)
