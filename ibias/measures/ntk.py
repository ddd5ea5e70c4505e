"""The empirical neural tangent kernel Θ = J Jᵀ of a network on a set of points, and its eigen-structure.

J is the Jacobian of the outputs with respect to every trainable parameter. Θ here is summed over
outputs, Θ(xᵢ, xⱼ) = Σ_c ∇_θ f_c(xᵢ) · ∇_θ f_c(xⱼ) (the trace of the C×C per-output block; for one
output it is the NTK itself), in units of output². Eigenvalues are reported for Θ/n, the kernel
operator on the points' empirical measure: with the mean loss (1/n)Σℓ, gradient flow in function space
is df/dt = −Θ/n · ∂ℓ/∂f, so λᵢ(Θ/n) are the rates at which the residual's components along the
eigenvectors shrink (docs/references.md §22). Per-sample Jacobians come from torch.func
(vmap over jacrev of a one-sample call), `chunk` points at a time.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from .norms import effective_rank


def _trainable(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}


def jacobian(model: nn.Module, inputs: torch.Tensor, params: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
    """Return J for `inputs` (m, *input_shape) as (m, C, P): J[i, c] = ∇_θ f_c(xᵢ) over the trainable parameters.

    The model is called on one point at a time (a batch of 1) under vmap, so BatchNorm must be in eval mode.
    """
    params = _trainable(model) if params is None else params
    buffers = {name: b.detach() for name, b in model.named_buffers()}

    def one(p, x):  # (*input_shape,) -> (C,)
        return functional_call(model, (p, buffers), (x.unsqueeze(0),)).reshape(-1)

    jac = vmap(jacrev(one), in_dims=(None, 0))(params, inputs)  # {name: (m, C, *shape)}
    m, c = inputs.shape[0], next(iter(jac.values())).shape[1]
    return torch.cat([j.reshape(m, c, -1) for j in jac.values()], dim=2)  # (m, C, P)


def empirical_ntk(model: nn.Module, inputs: torch.Tensor, chunk: int = 128, cache_bytes: float = 1e9) -> torch.Tensor:
    """Return Θ (n, n), Θᵢⱼ = Σ_c ∇f_c(xᵢ)·∇f_c(xⱼ) (output² units), in the model's dtype.

    Cost: Jacobians of ceil(n/chunk) chunks (each chunk·C one-sample backward passes under vmap) and
    n²·C·P multiply-adds for the Gram. Memory: the whole J (n·C·P floats) when it fits in `cache_bytes`;
    otherwise two chunks (2·chunk·C·P floats), recomputing chunk j for each i ≤ j (≈ n/(2·chunk) times the cost).
    """
    if chunk < 1:
        raise ValueError(f"chunk={chunk} must be a positive number of points per Jacobian chunk")
    params = _trainable(model)
    if not params:
        raise ValueError(f"{type(model).__name__} has no trainable parameters: its tangent kernel is zero")
    n = inputs.shape[0]
    num_params = sum(p.numel() for p in params.values())
    starts = list(range(0, n, chunk))
    first = jacobian(model, inputs[:1], params)  # (1, C, P): the output count and dtype
    keep = n * first.shape[1] * num_params * first.element_size() <= cache_bytes
    cache: dict[int, torch.Tensor] = {}

    def rows_of(s: int) -> torch.Tensor:  # (m, C·P) for the chunk starting at s: Σ over outputs is one matmul
        if s in cache:
            return cache[s]
        j = jacobian(model, inputs[s : s + chunk], params).flatten(1)
        if keep:
            cache[s] = j
        return j

    theta = torch.empty(n, n, dtype=first.dtype, device=first.device)
    for a, s in enumerate(starts):
        ja = rows_of(s)
        for t in starts[a:]:
            jb = ja if t == s else rows_of(t)
            block = ja @ jb.T  # (ma, mb)
            theta[s : s + len(ja), t : t + len(jb)] = block
            theta[t : t + len(jb), s : s + len(ja)] = block.T
    return theta


def kernel_eigen(theta: torch.Tensor, top: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (eigenvalues of Θ/n descending (k,), unit eigenvectors as columns (n, k)), float64; all n if top is None.

    Each eigenvector's sign is fixed so that its largest-magnitude entry is positive (eigh's sign is arbitrary).
    """
    n = theta.shape[0]
    sym = (theta.double() + theta.double().T) / 2
    values, vectors = torch.linalg.eigh(sym / n)  # ascending
    values, vectors = values.flip(0), vectors.flip(1)
    if top is not None:
        values, vectors = values[:top], vectors[:, :top]
    peak = vectors.abs().argmax(0)
    signs = torch.sign(vectors[peak, torch.arange(vectors.shape[1])])
    return values, vectors * torch.where(signs == 0, 1.0, signs)


def kernel_effective_rank(eigenvalues: torch.Tensor) -> float:
    """Return exp(entropy of λ/Σλ) over the non-negative eigenvalues (Roy & Vetterli 2007): 1 (one direction) to n."""
    return effective_rank(eigenvalues.clamp_min(0))


def relative_change(theta: torch.Tensor, theta0: torch.Tensor) -> float:
    """Return ‖Θ − Θ₀‖_F / ‖Θ₀‖_F (0: the lazy regime; order 1: the kernel moved, the rich regime)."""
    base = theta0.double().norm()
    if base == 0:
        raise ValueError("the initial kernel Θ₀ is zero, so a change relative to it is undefined")
    return float((theta.double() - theta0.double()).norm() / base)


def energy_fractions(vectors: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """Return the fraction of ‖r‖² along each eigenvector, Σ_c (vᵢᵀ r_c)² / ‖r‖²: (k,) float64, each in [0, 1].

    vectors: (n, k) orthonormal columns; residual: (n,) or (n, C). A zero residual gives zeros.
    """
    r = residual.reshape(residual.shape[0], -1).double()  # (n, C)
    total = r.pow(2).sum()
    if total == 0:
        return torch.zeros(vectors.shape[1], dtype=torch.float64, device=vectors.device)
    return (vectors.double().T @ r).pow(2).sum(1) / total


def dominant_frequencies(vectors: torch.Tensor) -> torch.Tensor:
    """Return each column's frequency of largest |DFT| on the periodic grid (cycles per grid period), (k,) long.

    vectors: (n, k) sampled at t_j = j/n; frequencies run 0 … n//2.
    """
    return torch.fft.rfft(vectors.double(), dim=0).abs().argmax(0)


def fourier_rayleigh(theta: torch.Tensor, freqs) -> torch.Tensor:
    """Return λ(k) = ½(cₖᵀ(Θ/n)cₖ + sₖᵀ(Θ/n)sₖ) for unit cosine and sine vectors on the periodic grid, (K,) float64.

    The kernel's rate along frequency k: exactly the eigenvalue of Θ/n at k when Θ is shift-invariant
    (circulant) on the grid, and the Rayleigh quotient of the frequency-k plane otherwise. k = 0 uses the
    constant vector alone. freqs: integers in [0, n/2).
    """
    n = theta.shape[0]
    freqs = torch.as_tensor(freqs, dtype=torch.long).reshape(-1)
    bad = freqs[(freqs < 0) | (2 * freqs >= n)]
    if bad.numel():
        raise ValueError(f"fourier_rayleigh: frequencies {bad.tolist()} are not in [0, n/2) for n={n} grid points")
    t = torch.arange(n, dtype=torch.float64, device=theta.device) / n
    phase = 2 * math.pi * freqs.to(theta.device).double()[:, None] * t  # (K, n)
    cos, sin = torch.cos(phase), torch.sin(phase)
    cos = cos / cos.norm(dim=1, keepdim=True)
    sin_norm = sin.norm(dim=1, keepdim=True)
    sin = sin / torch.where(sin_norm == 0, 1.0, sin_norm)
    op = theta.double() / n
    quad = lambda v: ((v @ op) * v).sum(1)  # (K,) vᵀ(Θ/n)v per row
    return torch.where(freqs.to(theta.device) == 0, quad(cos), (quad(cos) + quad(sin)) / 2)
