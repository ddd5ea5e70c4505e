"""ibias/measures/ntk.py and hessian.py against independent computations: explicit float64 Jacobians,
torch.autograd.functional.hessian + eigvalsh, a quadratic loss with a known Hessian, circulant kernels."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from ibias.measures.hessian import lanczos_top, loss_hessian_top
from ibias.measures.ntk import (
    dominant_frequencies,
    empirical_ntk,
    energy_fractions,
    fourier_rayleigh,
    kernel_effective_rank,
    kernel_eigen,
    relative_change,
)


def tiny_net(outputs: int = 2, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 7), nn.Tanh(), nn.Linear(7, 5), nn.Tanh(), nn.Linear(5, outputs)).double()


def explicit_jacobian(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Return J (n, C, P) row by row with torch.autograd.grad: one backward per sample and output."""
    params = list(net.parameters())
    rows = []
    for i in range(len(x)):
        out = net(x[i : i + 1])[0]
        rows.append(torch.stack([torch.cat([g.reshape(-1) for g in torch.autograd.grad(out[c], params, retain_graph=True)])
                                 for c in range(out.numel())]))
    return torch.stack(rows)


@pytest.mark.parametrize("chunk, cache_bytes", [(100, 1e9), (4, 1e9), (4, 0)])  # one chunk; chunks kept; recomputed
def test_ntk_equals_the_gram_of_an_explicit_float64_jacobian(chunk, cache_bytes):
    net = tiny_net(outputs=2)
    x = torch.randn(11, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    jac = explicit_jacobian(net, x)  # (11, 2, P)
    expected = torch.einsum("icp,jcp->ij", jac, jac)  # summed over outputs
    theta = empirical_ntk(net, x, chunk=chunk, cache_bytes=cache_bytes)
    assert theta.dtype == torch.float64
    torch.testing.assert_close(theta, expected, rtol=1e-12, atol=1e-12)


def test_ntk_of_a_linear_model_is_the_input_gram_plus_one():
    lin = nn.Linear(4, 1).double()  # f = wᵀx + b: ∇f = (x, 1), so Θ = XXᵀ + 1
    x = torch.randn(6, 4, dtype=torch.float64)
    torch.testing.assert_close(empirical_ntk(lin, x), x @ x.T + 1)


def test_ntk_eigen_helpers_against_numpy_style_computations():
    a = torch.randn(8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    theta = a @ a.T
    values, vectors = kernel_eigen(theta, top=3)
    full = torch.linalg.eigvalsh(theta / 8).flip(0)
    torch.testing.assert_close(values, full[:3])
    torch.testing.assert_close((theta / 8) @ vectors, vectors * values)
    assert (vectors.abs().argmax(0) == vectors.argmax(0)).all()  # sign fixed: largest entry positive
    p = full.clamp_min(0) / full.clamp_min(0).sum()
    assert kernel_effective_rank(full) == pytest.approx(math.exp(-(p * p.log()).sum()))
    assert kernel_effective_rank(torch.tensor([1.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert relative_change(2 * theta, theta) == pytest.approx(1.0)
    r = torch.randn(8, 2, dtype=torch.float64)
    _, all_vectors = kernel_eigen(theta)
    fractions = energy_fractions(all_vectors, r)
    assert float(fractions.sum()) == pytest.approx(1.0)  # a complete basis carries all the energy
    torch.testing.assert_close(energy_fractions(all_vectors[:, :1], r)[0], (all_vectors[:, 0] @ r).pow(2).sum() / r.pow(2).sum())


def test_a_circulant_kernel_has_fourier_eigenvectors_and_its_rayleigh_quotients_are_its_eigenvalues():
    n = 32
    j = torch.arange(n, dtype=torch.float64)
    spectrum = 1.0 / (1.0 + torch.arange(n // 2 + 1, dtype=torch.float64) ** 2)  # λ(k) = 1/(1 + k²)
    # Θ_ij = Σ_k c_k cos(2πk(i − j)/n): circulant, eigenvalue n·c_k/2 (k ≠ 0, n/2) on the (cos, sin) plane at k.
    c = torch.where((torch.arange(n // 2 + 1) == 0) | (torch.arange(n // 2 + 1) == n // 2), 1.0, 2.0) * spectrum / n
    diff = j[:, None] - j[None, :]
    theta = sum(c[k] * torch.cos(2 * math.pi * k * diff / n) for k in range(n // 2 + 1)) * n  # eigenvalues n·λ(k)
    torch.testing.assert_close(fourier_rayleigh(theta, [0, 1, 3, 7]), spectrum[[0, 1, 3, 7]])
    _, vectors = kernel_eigen(theta, top=5)  # λ: k=0, then the k=1 pair, then the k=2 pair
    assert dominant_frequencies(vectors).tolist() == [0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="not in"):
        fourier_rayleigh(theta, [16])


def flat_hessian(net: nn.Module, loss_of_params) -> torch.Tensor:
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for p in net.parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])

    def f(v):
        params, i = {}, 0
        for name, shape in zip(names, shapes):
            params[name] = v[i : i + shape.numel()].reshape(shape)
            i += shape.numel()
        return loss_of_params(params)

    return torch.autograd.functional.hessian(f, flat)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_sharpness_equals_the_top_eigenvalues_of_autograd_functional_hessian(loss):
    net = tiny_net(outputs=3)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(10, 3, dtype=torch.float64, generator=gen)
    if loss == "mse":
        y, loss_fn = torch.randn(10, 3, dtype=torch.float64, generator=gen), F.mse_loss
    else:
        y, loss_fn = torch.randint(0, 3, (10,), generator=gen), F.cross_entropy
    hessian = flat_hessian(net, lambda p: loss_fn(functional_call(net, p, (x,)), y))
    expected = torch.linalg.eigvalsh(hessian).flip(0)[:3]
    found = loss_hessian_top(net, loss_fn, x, y, k=3, max_iter=60, tol=1e-10)
    torch.testing.assert_close(found.values, expected, rtol=1e-8, atol=1e-10)
    assert (found.residuals <= 1e-9 * found.values.abs().max()).all()
    hy = hessian @ found.vectors  # the vectors are eigenvectors of the same Hessian
    torch.testing.assert_close(hy, found.vectors * found.values, rtol=1e-6, atol=1e-8)


def test_lanczos_on_a_quadratic_with_a_known_hessian_and_the_warm_start():
    # loss(θ) = ½ θᵀAθ has Hessian A exactly; A = Q diag(λ) Qᵀ with λ known and a small top gap.
    dim = 400
    gen = torch.Generator().manual_seed(4)
    q, _ = torch.linalg.qr(torch.randn(dim, dim, dtype=torch.float64, generator=gen))
    lam = torch.cat([torch.tensor([10.0, 9.5, 9.0]), torch.rand(dim - 3, dtype=torch.float64, generator=gen) * 5])
    a = q @ torch.diag(lam) @ q.T
    theta = nn.Parameter(torch.randn(dim, dtype=torch.float64, generator=gen))
    model = nn.Module()
    model.theta = theta
    quadratic = lambda pred, target: 0.5 * theta @ (a @ theta)  # pred/target unused: the loss is the quadratic itself
    cold = loss_hessian_top(model, quadratic, torch.zeros(1), torch.zeros(1), k=2, max_iter=100, tol=1e-8,
                            forward=lambda x: x)
    torch.testing.assert_close(cold.values, torch.tensor([10.0, 9.5], dtype=torch.float64), rtol=1e-7, atol=0)
    # Warm start after a small change of A: far fewer products for the same accuracy.
    a2 = a + 1e-3 * torch.outer(q[:, 0], q[:, 0])
    warm = lanczos_top(lambda v: a2 @ v, dim, k=2, max_iter=100, tol=1e-8, start=cold.vectors, dtype=torch.float64)
    again = lanczos_top(lambda v: a2 @ v, dim, k=2, max_iter=100, tol=1e-8, dtype=torch.float64)
    torch.testing.assert_close(warm.values, torch.tensor([10.001, 9.5], dtype=torch.float64), rtol=1e-7, atol=0)
    assert warm.products < again.products, (warm.products, again.products)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="chunk=0"):
        empirical_ntk(nn.Linear(2, 1), torch.zeros(3, 2), chunk=0)
    frozen = nn.Linear(2, 1).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        empirical_ntk(frozen, torch.zeros(3, 2))
    with pytest.raises(ValueError, match="k=3 <= max_iter=2"):
        lanczos_top(lambda v: v, 5, k=3, max_iter=2)
    net = tiny_net()
    with torch.inference_mode(), pytest.raises(RuntimeError, match="inference_mode"):
        loss_hessian_top(net, F.mse_loss, torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 2, dtype=torch.float64))
