"""Over-parameterized linear regression: the min-norm solution, and GD from zero reaching it (docs/references.md §1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from datamodules import LinearRegressionDataModule
from ibias.models import build_model


def test_min_norm_solution_equals_numpy_pinv_and_lstsq_and_interpolates():
    dm = LinearRegressionDataModule(num_train=30, dim=120, noise=0.5, seed=1)
    x, y = dm.x_train.numpy(), dm.y_train.numpy()
    w = dm.min_norm_solution().numpy()
    np.testing.assert_allclose(w, np.linalg.pinv(x) @ y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w, np.linalg.lstsq(x, y, rcond=None)[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x @ w, y, atol=1e-10)  # interpolates the noisy targets
    # Any other interpolator w + (I − X⁺X)z has a larger norm.
    z = np.random.default_rng(0).standard_normal(120)
    other = w + z - np.linalg.pinv(x) @ (x @ z)
    np.testing.assert_allclose(x @ other, y, atol=1e-10)
    assert np.linalg.norm(other) > np.linalg.norm(w)


def test_served_data_is_x_beta_plus_noise_and_validation_is_noiseless():
    dm = LinearRegressionDataModule(num_train=20, dim=50, noise=0.0, signal=2.0, dtype="float64", seed=2)
    xb, yb = next(iter(dm.train_dataloader()))
    assert xb.dtype == torch.float64 and xb.shape == (20, 50) and yb.shape == (20, 1)
    beta = dm.beta.numpy()
    assert np.linalg.norm(beta) == pytest.approx(2.0)
    np.testing.assert_allclose(yb[:, 0].numpy(), xb.numpy() @ beta, atol=1e-12)
    xv, yv = next(iter(LinearRegressionDataModule(num_train=20, dim=50, noise=3.0, dtype="float64", seed=2).val_dataloader()))
    np.testing.assert_allclose(yv[:, 0].numpy(), xv.numpy() @ dm.beta.numpy() / 2.0, atol=1e-12)  # same β direction, signal 1
    # Noise: y − Xβ has standard deviation σ (n = 4000 draws, 5 standard errors of a std estimate).
    noisy = LinearRegressionDataModule(num_train=4000, dim=5, noise=0.7, overparameterized=False, seed=3)
    resid = (noisy.y_train - noisy.x_train @ noisy.beta).numpy()
    assert abs(resid.std() - 0.7) < 5 * 0.7 / math.sqrt(2 * 4000)


def _gd(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> None:
    """Plain full-batch GD on (1/2n)‖Xw − y‖²."""
    for _ in range(steps):
        loss = 0.5 * (model(x) - y).pow(2).mean()
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad


def test_gd_from_zero_through_the_linear_model_converges_to_the_min_norm_solution():
    dm = LinearRegressionDataModule(num_train=40, dim=160, noise=0.5, dtype="float64", seed=4)
    x, y = next(iter(dm.train_dataloader()))  # (n, d), (n, 1) float64
    model = build_model("linear", input_shape=dm.input_shape, num_outputs=1).double()
    assert float(model.weight.detach().abs().max()) == 0.0  # zero init
    lam_max = float(torch.linalg.eigvalsh(x.T @ x / len(x)).max())
    lr = 1.0 / lam_max  # < 2/λ_max
    _gd(model, x, y, lr, steps=600)
    w_star = dm.min_norm_solution()
    rel = float((model.weight[0].detach() - w_star).norm() / w_star.norm())
    assert rel < 1e-6, rel


def test_gd_from_a_nonzero_init_keeps_the_null_space_component():
    # w∞ = X⁺y + (I − X⁺X)w₀: GD never moves the part of w₀ orthogonal to the rows of X.
    dm = LinearRegressionDataModule(num_train=20, dim=60, noise=0.1, dtype="float64", seed=5)
    x, y = dm.train
    torch.manual_seed(0)
    model = build_model("linear", input_shape=dm.input_shape, num_outputs=1, init_scale=1.0).double()
    w0 = model.weight[0].detach().clone()
    lam_max = float(torch.linalg.eigvalsh(x.T @ x / len(x)).max())
    _gd(model, x, y, 1.0 / lam_max, steps=600)
    xp = np.linalg.pinv(x.numpy())
    expected = xp @ y[:, 0].numpy() + w0.numpy() - xp @ (x.numpy() @ w0.numpy())
    np.testing.assert_allclose(model.weight[0].detach().numpy(), expected, rtol=1e-9, atol=1e-12)


def test_linear_model_init_std_is_init_scale_over_sqrt_d():
    torch.manual_seed(1)
    d, out = 400, 50
    w = build_model("linear", input_shape=(d,), num_outputs=out, init_scale=2.0).weight.detach().double()
    # 20,000 iid N(0, s²) entries: the sample std is within 5 standard errors (s/√(2N)) of s.
    s = 2.0 / math.sqrt(d)
    assert abs(float(w.std()) - s) < 5 * s / math.sqrt(2 * w.numel())
    assert abs(float(w.mean())) < 5 * s / math.sqrt(w.numel())
    x = torch.randn(3, 20, 20)
    np.testing.assert_allclose(build_model("linear", input_shape=(20, 20), num_outputs=2)(x).detach().numpy(), 0.0)


def test_underparameterized_side_allowed_only_when_asked_and_then_lstsq():
    dm = LinearRegressionDataModule(num_train=80, dim=20, noise=1.0, overparameterized=False, seed=6)
    np.testing.assert_allclose(dm.min_norm_solution().numpy(),
                               np.linalg.lstsq(dm.x_train.numpy(), dm.y_train.numpy(), rcond=None)[0], rtol=1e-10)


@pytest.mark.parametrize("kwargs,match", [
    (dict(num_train=200, dim=200), "num_train=200 >= dim=200"),
    (dict(num_train=300, dim=200), "overparameterized=false"),
    (dict(noise=-0.1), "noise=-0.1"),
    (dict(signal=float("nan")), "signal=nan"),
    (dict(dtype="float16"), "dtype='float16'"),
    (dict(num_train=0), "num_train=0"),
])
def test_bad_input_names_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearRegressionDataModule(**kwargs)


def test_linear_model_rejects_negative_init_scale():
    with pytest.raises(ValueError, match="init_scale=-1"):
        build_model("linear", input_shape=(3,), num_outputs=1, init_scale=-1.0)
