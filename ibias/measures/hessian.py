"""The top eigenvalues of a loss's Hessian (the sharpness) by Lanczos on Hessian-vector products.

H is the Hessian of the loss with respect to every trainable parameter, applied as v ↦ Hv by
double backward (the gradient's graph is built once and reused). Lanczos with full
reorthogonalization finds the largest (algebraic) eigenvalues; a warm start from the last call's
Ritz vectors makes repeated calls during training cheap. Accuracy: for a symmetric H each returned
Ritz value θᵢ lies within its residual ‖Hyᵢ − θᵢyᵢ‖ of an eigenvalue of H (returned as `residuals`);
Lanczos stops when every residual is below tol·|θᵢ|. Lanczos can miss an eigenvalue whose eigenvector
is (nearly) orthogonal to the start vector, so a warm start is mixed with a fixed random vector.
Source: docs/references.md §23 (Cohen et al. measure the sharpness the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


def stability_threshold(lr: float, momentum: float = 0.0) -> float:
    """Return the largest sharpness at which GD with step `lr` is stable on a quadratic (loss per parameter²):
    2/lr, or (2 + 2β)/lr with heavy-ball momentum β."""
    if not lr > 0 or not 0 <= momentum < 1:
        raise ValueError(f"stability_threshold(lr={lr}, momentum={momentum}): need lr > 0 and 0 <= momentum < 1")
    return (2 + 2 * momentum) / lr


def hvp_operator(loss: torch.Tensor, params: list[torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return v ↦ Hv for flat v (P,) (the parameters' order, float32 like them), H the Hessian of `loss` in `params`.

    Builds ∇loss with create_graph once; each product is one more backward through that graph
    (about twice a backward pass). Parameters the loss does not use get zero rows.
    """
    grads = torch.autograd.grad(loss, params, create_graph=True, allow_unused=True)
    used = [(p, g) for p, g in zip(params, grads) if g is not None and g.requires_grad]
    sizes = [p.numel() for p in params]
    flat_grad = torch.cat([g.reshape(-1) for _, g in used]) if used else None

    def product(v: torch.Tensor) -> torch.Tensor:
        if flat_grad is None:
            return torch.zeros_like(v)
        pieces = dict(zip(map(id, params), v.split(sizes)))
        w = torch.cat([pieces[id(p)].reshape(-1) for p, _ in used])
        out = torch.autograd.grad(flat_grad, params, grad_outputs=w, retain_graph=True, allow_unused=True)
        return torch.cat([torch.zeros(p.numel(), dtype=v.dtype, device=v.device) if o is None else o.reshape(-1)
                          for p, o in zip(params, out)]).detach()

    return product


@dataclass
class Eigen:
    """The top eigenpairs found: values (k,) descending, float64; vectors (P, k); residuals ‖Hy − θy‖ (k,); H·v products used."""

    values: torch.Tensor
    vectors: torch.Tensor
    residuals: torch.Tensor
    products: int


def lanczos_top(
    matvec: Callable[[torch.Tensor], torch.Tensor], dim: int, k: int = 1, max_iter: int = 50, tol: float = 1e-3,
    start: torch.Tensor | None = None, dtype: torch.dtype = torch.float32, device=None, seed: int = 0,
) -> Eigen:
    """Return the k largest eigenvalues of the symmetric operator `matvec` on R^dim, by Lanczos.

    start: (dim,) or (dim, j) warm-start vectors (e.g. the last call's `vectors`), summed and mixed with
    a fixed random vector of 1% of their norm; None starts from that random vector. Memory: max_iter + 1
    vectors of dim. Stops when every residual ≤ tol·|θᵢ| (after at least k + 1 products) or at max_iter.
    """
    if k < 1 or max_iter < k:
        raise ValueError(f"lanczos_top: need 1 <= k={k} <= max_iter={max_iter}")
    noise = torch.randn(dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(device, dtype)
    q = noise / noise.norm()
    if start is not None:
        s = start.reshape(dim, -1).to(device, dtype).sum(1)
        if s.norm() > 0:
            q = s / s.norm() + 0.01 * q
            q = q / q.norm()
    basis = [q]
    alphas: list[float] = []
    betas: list[float] = []
    while True:
        w = matvec(basis[-1])
        alphas.append(float(basis[-1].double() @ w.double()))
        stack = torch.stack(basis, dim=1)  # (dim, j)
        for _ in range(2):  # full reorthogonalization, twice ("twice is enough")
            w = w - stack @ (stack.T @ w)
        beta = float(w.norm())
        j = len(alphas)
        values, ritz = torch.linalg.eigh(_tridiagonal(alphas, betas))  # ascending
        top = min(k, j)
        theta, s = values.flip(0)[:top], ritz.flip(1)[:, :top]  # (top,), (j, top)
        residuals = (beta * s[-1]).abs()  # ‖H y − θ y‖ = β_j |last entry of the Ritz vector|
        converged = j > k and bool((residuals <= tol * theta.abs().clamp_min(1e-30)).all())
        if converged or j >= min(max_iter, dim) or beta <= 1e-10 * max(1.0, abs(alphas[-1])):
            vectors = stack @ s.to(stack.dtype)  # (dim, top)
            return Eigen(theta, vectors, residuals, j)
        betas.append(beta)
        basis.append(w / beta)


def _tridiagonal(alphas: list[float], betas: list[float]) -> torch.Tensor:
    t = torch.diag(torch.tensor(alphas, dtype=torch.float64))
    if betas:
        off = torch.tensor(betas, dtype=torch.float64)
        t += torch.diag(off, 1) + torch.diag(off, -1)
    return t


def loss_hessian_top(
    model: nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], inputs: torch.Tensor,
    targets: torch.Tensor, k: int = 1, max_iter: int = 50, tol: float = 1e-3, start: torch.Tensor | None = None,
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Eigen:
    """Return the top-k eigenpairs of the Hessian of loss_fn(model(inputs), targets) in the trainable parameters.

    Units: loss per parameter². Cost: one forward and one backward with create_graph, then one
    Hessian-vector product (≈ 2 backward passes) per Lanczos iteration; memory: the double-backward
    graph of the batch plus (iterations + 1)·P floats. `forward` replaces model(inputs) (e.g. to apply
    an input transform).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{type(model).__name__} has no trainable parameters: its loss has no Hessian")
    if torch.is_inference_mode_enabled():
        raise RuntimeError("loss_hessian_top was called under torch.inference_mode (e.g. from a validation or test hook), "
                           "where autograd is off; measure the sharpness from a training hook (SpectrumCallback does).")
    with torch.enable_grad():
        pred = forward(inputs) if forward is not None else model(inputs)
        matvec = hvp_operator(loss_fn(pred, targets), params)
        dim = sum(p.numel() for p in params)
        return lanczos_top(matvec, dim, k, max_iter, tol, start, params[0].dtype, params[0].device)
