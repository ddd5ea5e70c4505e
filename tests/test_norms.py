"""Per-layer norms and model aggregates against numpy SVD, orthogonal and rank-r closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from ibias.measures.complexity import aggregate, margin, margin_normalized, spectral_complexity
from ibias.measures.norms import (
    largest_singular_value,
    layer_norms,
    power_spectral_norm,
    singular_values,
    snapshot,
    weight_matrices,
)
from ibias.measures.powerlaw import powerlaw_alpha


def _numpy_measures(w: np.ndarray) -> dict[str, float]:
    s = np.linalg.svd(w, compute_uv=False)
    p = s / s.sum()
    return {"fro": float(np.sqrt((w ** 2).sum())), "spectral": float(s[0]), "nuclear": float(s.sum()),
            "stable_rank": float((w ** 2).sum() / s[0] ** 2), "effective_rank": float(np.exp(-(p * np.log(p)).sum())),
            "l21": float(np.linalg.norm(w, axis=1).sum())}


def _net(dtype=torch.float64) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 5, 3), nn.ReLU(), nn.Flatten(), nn.Linear(5 * 4 * 4, 7), nn.ReLU(),
                         nn.Linear(7, 3)).to(dtype)


@pytest.mark.parametrize("method, measures", [
    ("exact", ("fro", "spectral", "nuclear", "stable_rank", "effective_rank", "l21")),
    ("power", ("fro", "spectral", "stable_rank")),  # no SVD measure asked, so spectral comes from power iteration
])
def test_layer_norms_match_numpy_svd(method, measures):
    net = _net()
    got = layer_norms(net, measures=measures, method=method, power_tol=1e-14, power_iters=20000)
    assert set(got) == {"0.weight", "3.weight", "5.weight"}  # biases (1-D) are not layers
    for name, p in net.named_parameters():
        if p.dim() < 2:
            continue
        w = p.detach().numpy().reshape(p.shape[0], -1)  # the (out, in*kh*kw) conv convention
        want = _numpy_measures(w)
        for m in measures:
            assert got[name][m] == pytest.approx(want[m], rel=1e-9), (name, m)


def test_orthogonal_matrices():
    q, _ = torch.linalg.qr(torch.randn(8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1)))
    lin = nn.Linear(8, 8, bias=False).double()
    wide = nn.Linear(8, 4, bias=False).double()  # orthonormal rows: every singular value is 1
    with torch.no_grad():
        lin.weight.copy_(q)
        wide.weight.copy_(q[:4])
    got = layer_norms(nn.Sequential(lin, wide), measures=("fro", "spectral", "nuclear", "stable_rank", "effective_rank"))
    for name, n in (("0.weight", 8), ("1.weight", 4)):
        assert got[name]["spectral"] == pytest.approx(1.0, rel=1e-12)
        assert got[name]["fro"] == pytest.approx(math.sqrt(n), rel=1e-12)
        assert got[name]["nuclear"] == pytest.approx(n, rel=1e-12)
        assert got[name]["stable_rank"] == pytest.approx(n, rel=1e-12)
        assert got[name]["effective_rank"] == pytest.approx(n, rel=1e-12)


@pytest.mark.parametrize("r", [1, 3, 5])
def test_rank_r_effective_rank(r):
    g = torch.Generator().manual_seed(r)
    u, _ = torch.linalg.qr(torch.randn(12, r, dtype=torch.float64, generator=g))
    v, _ = torch.linalg.qr(torch.randn(20, r, dtype=torch.float64, generator=g))
    lin = nn.Linear(20, 12, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(3.0 * u @ v.T)  # r equal singular values 3: effective rank exactly r
    got = layer_norms(lin, measures=("effective_rank", "stable_rank", "nuclear"))["weight"]
    assert got["effective_rank"] == pytest.approx(r, rel=1e-9)
    assert got["stable_rank"] == pytest.approx(r, rel=1e-9)
    assert got["nuclear"] == pytest.approx(3.0 * r, rel=1e-9)


def test_distance_from_reference():
    net = _net()
    init = snapshot(net)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    got = layer_norms(net, reference=init, measures=("dist_fro", "dist_spectral", "dist_l21"), method="exact")
    for name, w in weight_matrices(net).items():
        delta = w.numpy() - init[name].numpy().reshape(w.shape)
        want = _numpy_measures(delta)
        assert got[name]["dist_fro"] == pytest.approx(want["fro"], rel=1e-10)
        assert got[name]["dist_spectral"] == pytest.approx(want["spectral"], rel=1e-10)
        assert got[name]["dist_l21"] == pytest.approx(want["l21"], rel=1e-10)
    at_init = layer_norms(_net(), reference=init, measures=("dist_fro", "dist_spectral"), method="power")
    assert all(v == 0.0 for row in at_init.values() for v in row.values())


def test_power_iteration_converges_from_below_and_warm_starts():
    g = torch.Generator().manual_seed(2)
    u, _ = torch.linalg.qr(torch.randn(30, 10, dtype=torch.float64, generator=g))
    v, _ = torch.linalg.qr(torch.randn(50, 10, dtype=torch.float64, generator=g))
    s = torch.linspace(2.0, 0.1, 10, dtype=torch.float64)
    s[1] = 1.0  # gap sigma2/sigma1 = 1/2: the error shrinks by 1/4 per iteration
    w = u @ torch.diag(s) @ v.T
    sigma, vec, iters = power_spectral_norm(w, tol=1e-12)
    assert sigma <= 2.0 + 1e-12 and sigma == pytest.approx(2.0, rel=1e-10)
    _, _, warm_iters = power_spectral_norm(w, v0=vec, tol=1e-12)
    assert warm_iters <= 2 < iters


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="unknown layer measures"):
        layer_norms(_net(), measures=("frobenius",))
    with pytest.raises(ValueError, match="reference="):
        layer_norms(_net(), measures=("dist_fro",))
    with pytest.raises(ValueError, match="input_shape="):
        layer_norms(_net(), measures=("operator",))


def test_powerlaw_alpha_recovers_pareto_exponent():
    rng = np.random.default_rng(0)
    x = rng.pareto(2.0, size=4000) + 1.0  # density 2 x^-3 on x >= 1: alpha = 3
    alpha, ks = powerlaw_alpha(x)
    assert alpha == pytest.approx(3.0, abs=0.15)  # MLE standard error ~ (alpha-1)/sqrt(n_tail) ~ 0.03-0.1
    assert ks < 0.03
    alpha_exp, ks_exp = powerlaw_alpha(rng.exponential(size=4000))  # not a power law: a worse fit
    assert ks_exp > ks


def _loop_alpha(values: np.ndarray, min_tail: int = 5) -> tuple[float, float]:
    """Clauset et al.'s fit written as a plain loop over xmin candidates and tail points."""
    x = np.sort(values[values > 0])
    best = (np.inf, np.nan)
    for i in range(len(x) - min_tail + 1):
        tail = x[i:]
        alpha = 1 + len(tail) / np.sum(np.log(tail / x[i]))
        ks = 0.0
        for j, v in enumerate(tail):
            cdf = 1 - (v / x[i]) ** (1 - alpha)
            ks = max(ks, abs((j + 1) / len(tail) - cdf), abs(j / len(tail) - cdf))
        best = min(best, (ks, alpha))
    return best[1], best[0]


def test_powerlaw_alpha_matches_a_plain_loop():
    w = np.random.default_rng(1).standard_t(3, size=(40, 90))  # heavy-tailed entries, as in trained layers
    eig = np.linalg.svd(w, compute_uv=False) ** 2
    got, want = powerlaw_alpha(eig, chunk=7), _loop_alpha(eig)  # small chunks exercise the chunked sweep
    assert got == pytest.approx(want, rel=1e-10) and powerlaw_alpha(eig) == pytest.approx(want, rel=1e-10)


def test_large_matrices_use_the_gram_matrix_to_1e8_of_sigma_max():
    w = torch.randn(100, 700, generator=torch.Generator().manual_seed(5))  # short side > GRAM_MIN_DIM
    got = singular_values(w).numpy()
    want = np.linalg.svd(w.double().numpy(), compute_uv=False)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-8 * want[0])  # sqrt(float64 eps) * sigma_max
    assert singular_values(w.T).numpy() == pytest.approx(got, abs=1e-8 * want[0])


def test_margin_is_the_numpy_percentile():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(200, 5, generator=g)
    targets = torch.randint(0, 5, (200,), generator=g)
    lg = logits.double().numpy()
    t = targets.numpy()
    m = [lg[i, t[i]] - max(lg[i, j] for j in range(5) if j != t[i]) for i in range(200)]
    assert margin(logits, targets) == pytest.approx(float(np.percentile(m, 10)), rel=1e-12)


def test_aggregates_against_direct_sums():
    net = _net()
    init = snapshot(net)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(1.5)
    layers = layer_norms(net, reference=init, measures=("fro", "spectral", "dist_fro", "dist_l21"), method="exact")
    got = aggregate(layers, net, ("log_prod_spectral", "sum_fro_sq", "sum_stable_rank", "dist_init_sq",
                                  "param_norm_sq", "spectral_complexity"))
    ws = {n: w.numpy() for n, w in weight_matrices(net).items()}
    ms = {n: init[n].numpy().reshape(w.shape) for n, w in ws.items()}
    spec = {n: np.linalg.norm(w, 2) for n, w in ws.items()}
    assert got["log_prod_spectral"] == pytest.approx(sum(np.log(s ** 2) for s in spec.values()), rel=1e-10)
    assert got["sum_fro_sq"] == pytest.approx(sum((w ** 2).sum() for w in ws.values()), rel=1e-10)
    assert got["sum_stable_rank"] == pytest.approx(sum((w ** 2).sum() / spec[n] ** 2 for n, w in ws.items()), rel=1e-10)
    assert got["dist_init_sq"] == pytest.approx(sum(((w - ms[n]) ** 2).sum() for n, w in ws.items()), rel=1e-10)
    assert got["param_norm_sq"] == pytest.approx(sum((p.detach().numpy() ** 2).sum() for p in net.parameters()), rel=1e-10)
    # Bartlett et al. 2017: (prod ||A||_2) (sum (||A^T - M^T||_{2,1} / ||A||_2)^{2/3})^{3/2}, columns of A^T = rows of A
    l21 = {n: sum(np.linalg.norm((w - ms[n]).T[:, j]) for j in range(w.shape[0])) for n, w in ws.items()}
    bartlett = np.prod(list(spec.values())) * sum((l21[n] / spec[n]) ** (2 / 3) for n in ws) ** 1.5
    assert got["spectral_complexity"] == pytest.approx(bartlett, rel=1e-10)
    zero_ref = spectral_complexity([{"spectral": 2.0, "l21": 3.0}, {"spectral": 0.5, "l21": 1.0}])
    assert zero_ref == pytest.approx(1.0 * ((3 / 2) ** (2 / 3) + 2 ** (2 / 3)) ** 1.5, rel=1e-12)


def test_margin_normalized():
    values = {"log_prod_spectral": 3.0, "sum_fro_sq": 8.0, "sum_stable_rank": 5.0, "path_norm": 6.0,
              "spectral_complexity": 10.0}
    got = margin_normalized(values, 2.0)
    assert got == pytest.approx({"log_prod_spectral_margin": 3.0 - math.log(4.0), "sum_fro_sq_margin": 2.0,
                                 "path_norm_margin": 9.0, "spectral_complexity_margin": 5.0})
    assert all(math.isnan(v) for v in margin_normalized(values, -0.1).values())


@pytest.mark.parametrize("shape", [(30, 50), (256, 256), (100, 700), (700, 100)])
def test_largest_singular_value_is_numpys_top_singular_value(shape):
    w = torch.randn(*shape, generator=torch.Generator().manual_seed(7)) / shape[1] ** 0.5
    want = np.linalg.svd(w.double().numpy(), compute_uv=False)[0]
    assert largest_singular_value(w) == pytest.approx(want, rel=1e-12)  # the top one is well conditioned
    assert largest_singular_value(w) == pytest.approx(float(singular_values(w)[0]), rel=1e-13)


def test_largest_singular_value_of_a_diverged_zero_or_empty_weight():
    w = torch.randn(100, 100)
    w[3, 4] = float("nan")
    assert np.isnan(largest_singular_value(w))
    assert largest_singular_value(torch.zeros(0, 5)) == 0.0
    assert largest_singular_value(torch.zeros(80, 90)) == 0.0
