"""Low-rank ground truths, completion and sensing data, and the deep matrix factorization model (docs/references.md §3–4)."""

from __future__ import annotations

import math
from functools import reduce

import numpy as np
import pytest
import torch

from datamodules import MatrixCompletionDataModule, MatrixSensingDataModule
from ibias.measures.matrix import low_rank_matrix, sample_entries
from ibias.models import build_model


@pytest.mark.parametrize("size,rank", [(100, 5), (30, 1), (12, 12)])
def test_ground_truth_has_rank_r_and_entry_rms_one(size, rank):
    w = low_rank_matrix(size, rank, torch.Generator().manual_seed(size)).numpy()
    assert w.shape == (size, size)
    assert np.linalg.matrix_rank(w) == rank
    assert math.sqrt((w**2).mean()) == pytest.approx(1.0, rel=1e-12)


def test_completion_observes_exactly_m_distinct_entries_with_their_true_values():
    dm = MatrixCompletionDataModule(size=100, rank=5, num_observed=2000, seed=1)
    x, y = next(iter(dm.train_dataloader()))
    assert x.dtype == torch.int64 and x.shape == (2000, 2) and y.shape == (2000, 1)
    flat = (x[:, 0] * 100 + x[:, 1]).numpy()
    assert len(np.unique(flat)) == 2000  # without replacement
    assert int(dm.mask.sum()) == 2000 and bool(dm.mask[x[:, 0], x[:, 1]].all())
    w = dm.ground_truth.numpy()
    np.testing.assert_allclose(y[:, 0].numpy(), w[x[:, 0].numpy(), x[:, 1].numpy()], rtol=1e-6)
    assert np.linalg.matrix_rank(w) == 5
    # Validation = the 8000 unobserved entries; test and probe = all 10,000 entries in row-major order.
    xv, yv = next(iter(dm.val_dataloader()))
    assert len(xv) == 8000 and not bool(dm.mask[xv[:, 0], xv[:, 1]].any())
    probe = dm.probe_set()
    np.testing.assert_allclose(probe.targets[:, 0].numpy(), w.reshape(-1), rtol=1e-6)
    assert probe.inputs[123].tolist() == [1, 23]


def test_completion_samples_entries_uniformly():
    # Each of 25 entries is observed with probability m/n² = 0.4; over 2000 seeds the counts are
    # Binomial(2000, 0.4): mean 800, sd √480 ≈ 21.9; 5 sd covers every entry by a wide margin.
    counts = np.zeros(25)
    g = torch.Generator().manual_seed(0)
    for _ in range(2000):
        idx = sample_entries(5, 10, g)
        counts[(idx[:, 0] * 5 + idx[:, 1]).numpy()] += 1
    assert np.abs(counts - 800).max() < 5 * math.sqrt(2000 * 0.4 * 0.6)


def test_completion_with_every_entry_observed_validates_on_all_entries():
    dm = MatrixCompletionDataModule(size=4, rank=2, num_observed=16)
    assert len(dm.val[0]) == 16 and bool(dm.mask.all())


def test_sensing_targets_are_inner_products_with_the_ground_truth():
    dm = MatrixSensingDataModule(size=20, rank=2, num_measurements=300, num_val=50, seed=2)
    a, y = next(iter(dm.train_dataloader()))
    assert a.shape == (300, 20, 20) and y.shape == (300, 1)
    w = dm.ground_truth.numpy()
    np.testing.assert_allclose(y[:, 0].numpy(), np.einsum("mij,ij->m", a.double().numpy(), w), atol=1e-5)
    # A entries are iid N(0, 1/n²): sample std of 120,000 entries within 5 standard errors of 1/n.
    assert abs(float(a.double().std()) - 1 / 20) < 5 * (1 / 20) / math.sqrt(2 * a.numel())
    assert np.linalg.matrix_rank(w) == 2
    av, _ = next(iter(dm.val_dataloader()))
    assert av.shape == (50, 20, 20) and not torch.equal(av[:50], a[:50])  # fresh measurements


def test_factorization_end_to_end_is_the_product_of_its_factors():
    torch.manual_seed(0)
    model = build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=7, depth=4, init_scale=0.5)
    factors = [f.detach().double().numpy() for f in model.factors]
    expected = reduce(lambda acc, f: f @ acc, factors[1:], factors[0])  # W_4 W_3 W_2 W_1
    np.testing.assert_allclose(model.end_to_end().detach().double().numpy(), expected, rtol=1e-5, atol=1e-9)
    idx = torch.tensor([[0, 0], [3, 6], [6, 2]])
    np.testing.assert_allclose(model(idx)[:, 0].detach().double().numpy(), expected[[0, 3, 6], [0, 6, 2]], rtol=1e-5)
    a = torch.randn(5, 7, 7)
    np.testing.assert_allclose(model(a)[:, 0].detach().double().numpy(),
                               np.einsum("bij,ij->b", a.double().numpy(), expected), rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("depth,init_scale", [(3, 1e-3), (2, 1e-2), (1, 0.5)])
def test_factorization_init_std_is_init_scale_to_one_over_depth_over_sqrt_n(depth, init_scale):
    torch.manual_seed(depth)
    n = 100
    model = build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=n, depth=depth, init_scale=init_scale)
    entries = torch.cat([f.detach().double().reshape(-1) for f in model.factors])
    s = init_scale ** (1 / depth) / math.sqrt(n)
    assert abs(float(entries.std()) - s) < 5 * s / math.sqrt(2 * entries.numel())
    assert abs(float(entries.mean())) < 5 * s / math.sqrt(entries.numel())


def test_factorization_takes_its_size_from_sensing_inputs_and_trains():
    dm = MatrixSensingDataModule(size=6, rank=1, num_measurements=40, num_val=10)
    model = build_model("matrix_factorization", input_shape=dm.input_shape, num_outputs=1, depth=2, init_scale=1e-2)
    assert model.size == 6
    a, y = dm.train
    loss = torch.nn.functional.mse_loss(model(a), y)
    loss.backward()
    assert all(torch.isfinite(f.grad).all() and f.grad.abs().sum() > 0 for f in model.factors)


@pytest.mark.parametrize("make,match", [
    (lambda: low_rank_matrix(10, 11), "rank=11"),
    (lambda: MatrixCompletionDataModule(size=10, rank=0), "rank=0"),
    (lambda: MatrixCompletionDataModule(size=10, rank=2, num_observed=101), "num_observed=101"),
    (lambda: MatrixSensingDataModule(size=10, rank=2, num_measurements=0), "num_measurements=0"),
    (lambda: build_model("matrix_factorization", input_shape=(2,), num_outputs=1), "model.size"),
    (lambda: build_model("matrix_factorization", input_shape=(5, 5), num_outputs=1, size=6), "size=6"),
    (lambda: build_model("matrix_factorization", input_shape=(5, 6), num_outputs=1), "must be square"),
    (lambda: build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=4, init_scale=0.0), "init_scale=0.0"),
    (lambda: build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=4, depth=0), "depth=0"),
    (lambda: build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=4)(torch.zeros(3, 3, dtype=torch.long)),
     r"\(B, 2\)"),
    (lambda: build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=4)(torch.zeros(3, 5, 5)), r"\(B, 4, 4\)"),
])
def test_bad_input_names_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def _gd_completion(dm: MatrixCompletionDataModule, depth: int, init_scale: float, lr: float, max_steps: int, tol: float = 1e-6):
    """Full-batch GD on the mean squared error over observed entries; returns (model, final loss)."""
    torch.manual_seed(0)
    model = build_model("matrix_factorization", input_shape=dm.input_shape, num_outputs=1, size=dm.size,
                        depth=depth, init_scale=init_scale)
    x, y = dm.train
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(max_steps):
        loss = (model(x) - y).pow(2).mean()
        if loss.item() < tol:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, loss.item()


def test_depth_one_gd_fits_observed_entries_and_leaves_the_rest_at_init():
    # Depth 1 is plain least squares on the entries: the gradient vanishes off the mask, so the limit
    # is P_obs(W*) + P_unobs(W₀) exactly (the min-distance-from-init interpolator).
    dm = MatrixCompletionDataModule(size=12, rank=2, num_observed=60, seed=3)
    torch.manual_seed(0)
    w0 = build_model("matrix_factorization", input_shape=(2,), num_outputs=1, size=12, depth=1, init_scale=0.5).end_to_end()
    model, loss = _gd_completion(dm, depth=1, init_scale=0.5, lr=20.0, max_steps=500, tol=1e-11)
    assert loss < 1e-11  # every observed residual below √(60·1e-11) ≈ 2.5e-5
    expected = torch.where(dm.mask, dm.ground_truth.float(), w0.detach())
    np.testing.assert_allclose(model.end_to_end().detach().numpy(), expected.numpy(), atol=3e-5)


def test_depth_two_from_small_init_finds_a_low_rank_completion():
    # Gunasekar et al. 2017 / Arora et al. 2019: from a small init, GD on a deep factorization fits the
    # observed third of a rank-2 matrix with a low-rank matrix that also recovers the unobserved entries,
    # while depth 1 leaves them at their tiny init (relative error √(1 − m/n²) ≈ 0.82).
    dm = MatrixCompletionDataModule(size=30, rank=2, num_observed=300, seed=0)
    model, loss = _gd_completion(dm, depth=2, init_scale=1e-3, lr=5.0, max_steps=3000)
    assert loss < 1e-6
    w, truth = model.end_to_end().detach().double(), dm.ground_truth
    s = torch.linalg.svdvals(w)
    p = s / s.sum()
    effective_rank = math.exp(float(-(p * p.log()).sum()))  # exp(entropy of normalized singular values)
    rel_error = float((w - truth).norm() / truth.norm())
    assert rel_error < 0.3 and effective_rank < 4, (rel_error, effective_rank)
