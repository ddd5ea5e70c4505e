"""Per-layer weight norms and ranks: Frobenius, spectral, nuclear, stable and effective rank, distance from init.

Which weights: every parameter with >= 2 dimensions (Linear, Conv1d/2d/3d, embeddings, ...).
Conv convention: a weight (out, in, *kernel) is reshaped to the matrix (out, in*prod(kernel))
(Jiang et al. 2019). Every number here is a norm of that matrix, NOT the operator norm of the
convolution; the measure `operator` (ibias/measures/conv_norms.py, Sedghi et al. 2018) is that one.

Spectral norms (`spectral`, `dist_spectral`): exact (largest_singular_value) when min(out, fan_in) <=
exact_max_dim (method="auto"), else power iteration on W^T W warm-started from the last call's
vector (pass the same `power_state` dict every call). Power iteration approaches sigma_max from
below and stops when sigma changes by < tol (relative) in one iteration; with tol=1e-6 that is not
an error bound when the top two singular values are close. Measured on resnet18k(64) weights at
init + 1% noise (`scripts/bench.py norms`, a worst case: random matrices have tiny top gaps): cold
start, median relative error 2e-5, worst 1e-4 (weights) and 1.3e-3 (W - W0, 500 iterations, capped);
warm start after a 0.1% weight change, worst 1e-4 to 1e-3.
Source: docs/references.md §18.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import torch
from torch import nn

from .conv_norms import conv_input_sizes, conv_operator_norm
from .measure_specs import LAYER_MEASURES, names
from .powerlaw import powerlaw_alpha

SVD_MEASURES = names("layer", needs_svd=True)
REFERENCE_MEASURES = names("layer", needs_reference=True)
GRAM_MIN_DIM = 64  # above this short side, singular values come from the float64 Gram matrix (see singular_values)


def weight_matrices(model: nn.Module) -> dict[str, torch.Tensor]:
    """Return {parameter name: detached (out, fan_in) matrix} for every parameter with >= 2 dims."""
    return {name: p.detach().reshape(p.shape[0], -1) for name, p in model.named_parameters() if p.dim() >= 2}


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """Return a CPU copy {name: tensor} of every >= 2-D parameter, usable as `reference=` later."""
    return {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters() if p.dim() >= 2}


def power_spectral_norm(
    w: torch.Tensor, v0: torch.Tensor | None = None, max_iter: int = 500, tol: float = 1e-6,
) -> tuple[float, torch.Tensor, int]:
    """Return (sigma_max estimate, unit right singular vector (fan_in,), iterations) by power iteration on W^T W.

    The estimate ||W v|| never exceeds the true sigma_max; warm-start with the returned vector.
    """
    n = w.shape[1]
    if v0 is not None and v0.shape == (n,) and v0.device == w.device:
        v = v0.to(w.dtype)
    else:  # a fixed seed, so cold starts are reproducible
        v = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(w.device, w.dtype)
    norm = v.norm()
    if norm == 0:
        return 0.0, v, 0
    v = v / norm
    sigma = 0.0
    for it in range(1, max_iter + 1):
        u = w @ v  # (out,)
        v_next = w.T @ u  # (fan_in,)
        length = v_next.norm()
        if length == 0:  # W v = 0: W is zero, or v is orthogonal to its row space
            return float(u.norm()), v, it
        new_sigma = float(u.norm())
        v = v_next / length
        if new_sigma - sigma <= tol * new_sigma:
            return float((w @ v).norm()), v, it
        sigma = new_sigma
    return float((w @ v).norm()), v, max_iter


def singular_values(w: torch.Tensor) -> torch.Tensor:
    """Return the singular values of a 2-D matrix, descending, float64.

    Up to GRAM_MIN_DIM on the short side: LAPACK SVD. Above: sqrt of the eigenvalues of the float64
    Gram matrix on the short side (W W^T or W^T W), 7x faster than SVD for a 512 x 4608 conv weight
    on one CPU thread; every sigma_i is then exact to about 1e-8 * sigma_max (sqrt of float64 eps),
    far below the float32 rounding of the weights themselves (1e-7 relative).
    """
    w = w.double()
    if min(w.shape) <= GRAM_MIN_DIM:
        return torch.linalg.svdvals(w)
    return torch.linalg.eigvalsh(short_side_gram(w)).flip(0).clamp_min(0).sqrt()


def short_side_gram(w: torch.Tensor) -> torch.Tensor:
    """Return W W^T or W^T W, whichever is (short side, short side): its eigenvalues are the squared singular values."""
    return w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w


def largest_singular_value(w: torch.Tensor) -> float:
    """Return sigma_max of a 2-D matrix: singular_values(w)[0], computed alone where that is cheaper; NaN if w is not finite.

    For a CPU matrix with short side above GRAM_MIN_DIM, LAPACK's dsyevr (through scipy) finds only the top
    eigenvalue of the same float64 Gram matrix, after the same tridiagonal reduction: the same number to float64
    rounding (2e-15 relative), in 0.8 of the time of all eigenvalues for 256 x 256 (22.7 against 28.3 ms for
    eight, medians of 25 interleaved rounds on 2 cores). Every spectral and dist_spectral goes through here.
    """
    if w.numel() == 0:
        return 0.0
    if not bool(torch.isfinite(w).all()):  # a diverged weight has no spectral norm (LAPACK would fail to converge)
        return float("nan")
    if min(w.shape) <= GRAM_MIN_DIM or w.device.type != "cpu":
        return float(singular_values(w)[0])
    from scipy.linalg import eigh

    gram = short_side_gram(w.double()).numpy()
    n = gram.shape[0]
    with _scipy_blas().limit(limits=1):
        top = eigh(gram, eigvals_only=True, subset_by_index=[n - 1, n - 1], driver="evr")
    return float(max(top[0], 0.0) ** 0.5)


@functools.cache
def _scipy_blas():
    """Return threadpoolctl's handle on scipy's BLAS libraries, to run them on one thread.

    torch's OpenMP threads spin for a while after its last parallel op (the Gram product); a second thread pool
    next to them fights them for the cores: eight top eigenvalues of 256 x 256 took 107 ms with scipy's default
    threads and 21 ms with one, on 2 cores.
    """
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS, so that the controller finds it)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


def effective_rank(s: torch.Tensor) -> float:
    """Return exp(entropy of s/sum(s)) (Roy & Vetterli 2007), in [1, rank]; 0 for a zero matrix."""
    total = s.sum()
    if total <= 0:
        return 0.0
    p = s[s > 0] / total
    return float(torch.exp(-(p * p.log()).sum()))


def _spectral(w, s, name, exact, power_state, power_kw) -> float:
    if s is not None:
        return float(s[0]) if s.numel() else 0.0
    if exact:
        return largest_singular_value(w)
    sigma, v, _ = power_spectral_norm(w, None if power_state is None else power_state.get(name), **power_kw)
    if power_state is not None:
        power_state[name] = v
    return sigma


def layer_norms(
    model: nn.Module,
    reference: nn.Module | Mapping[str, torch.Tensor] | None = None,
    measures: Iterable[str] | None = None,
    method: str = "auto",
    exact_max_dim: int = 256,
    power_state: dict[str, torch.Tensor] | None = None,
    power_iters: int = 500,
    power_tol: float = 1e-6,
    input_shape: tuple[int, ...] | None = None,
) -> dict[str, dict[str, float]]:
    """Return {parameter name: {measure: value}} for every >= 2-D weight (conv weights reshaped (out, in*k*k)).

    fro = ||W||_F, spectral = ||W||_2, nuclear = sum sigma, stable_rank = ||W||_F^2/||W||_2^2,
    effective_rank = exp(entropy of sigma/sum sigma), l21 = ||W^T||_{2,1} = sum of row 2-norms;
    with `reference` (the init snapshot W0): dist_fro/dist_spectral/dist_l21 of W - W0;
    alpha, alpha_ks = WeightWatcher power-law exponent of the eigenvalues of W^T W and its KS distance;
    operator = exact operator norm of a conv layer for inputs of `input_shape` (circular padding,
    Sedghi et al.), = spectral for other layers (ConvTranspose too). Measures default to the cheap set
    (ibias/measures/measure_specs.py): fro, spectral (+ dist_fro, dist_spectral with a reference).
    """
    if method not in ("auto", "exact", "power"):
        raise ValueError(f"method={method!r}; choose 'auto' (exact SVD when min dim <= exact_max_dim), 'exact' or 'power'")
    if measures is None:
        measures = tuple(m for m in names("layer", cheap=True) if reference is not None or m not in REFERENCE_MEASURES)
    wanted = tuple(measures)
    unknown = sorted(set(wanted) - set(LAYER_MEASURES))
    if unknown:
        raise ValueError(f"unknown layer measures {unknown}; choose from {list(LAYER_MEASURES)}")
    if reference is None and any(m in REFERENCE_MEASURES for m in wanted):
        raise ValueError(f"measures {[m for m in wanted if m in REFERENCE_MEASURES]} need reference= (the init snapshot)")
    if isinstance(reference, nn.Module):
        reference = weight_matrices(reference)
    sizes = {}
    if "operator" in wanted:
        if input_shape is None:
            raise ValueError("measure 'operator' needs input_shape= (one input without the batch dim, e.g. (3, 32, 32))")
        sizes = conv_input_sizes(model, input_shape)
    modules = dict(model.named_modules())
    power_kw = {"max_iter": power_iters, "tol": power_tol}
    matrices = weight_matrices(model)
    out: dict[str, dict[str, float]] = {}
    for name, w in matrices.items():
        w = w if w.dtype in (torch.float32, torch.float64) else w.float()
        exact = method == "exact" or (method == "auto" and min(w.shape) <= exact_max_dim)
        s = singular_values(w) if any(m in SVD_MEASURES for m in wanted) else None
        row: dict[str, float] = {}
        if any(m in wanted for m in ("fro", "stable_rank")):
            row["fro"] = float(w.norm())
        if any(m in wanted for m in ("spectral", "stable_rank")):
            row["spectral"] = _spectral(w, s, name, exact, power_state, power_kw)
        if "stable_rank" in wanted:
            row["stable_rank"] = row["fro"] ** 2 / row["spectral"] ** 2 if row["spectral"] > 0 else 0.0
        if "nuclear" in wanted:
            row["nuclear"] = float(s.sum())
        if "effective_rank" in wanted:
            row["effective_rank"] = effective_rank(s)
        if "l21" in wanted:
            row["l21"] = float(w.norm(dim=1).sum())
        if any(m in wanted for m in ("alpha", "alpha_ks")):
            row["alpha"], row["alpha_ks"] = powerlaw_alpha((s.double() ** 2).cpu().numpy())
        if any(m in wanted for m in REFERENCE_MEASURES):
            if name not in reference:
                raise ValueError(f"reference has no weight {name!r}; take it with ibias.norms.snapshot(model) at init")
            w0 = reference[name]
            if w0.numel() != w.numel():
                raise ValueError(f"reference {name!r} has shape {tuple(w0.shape)} but the model's is {tuple(w.shape)}; "
                                 "snapshot the same architecture")
            w0 = w0.reshape(w.shape).to(w.device, w.dtype)
            delta = w - w0
            if "dist_fro" in wanted:
                row["dist_fro"] = float(delta.norm())
            if "dist_spectral" in wanted:
                row["dist_spectral"] = _spectral(delta, None, name + ":dist", exact, power_state, power_kw)
            if "dist_l21" in wanted:
                row["dist_l21"] = float(delta.norm(dim=1).sum())
        if "operator" in wanted:
            prefix = name.rsplit(".", 1)[0] if "." in name else ""
            module = modules.get(prefix)
            if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)) and name.endswith("weight") and prefix in sizes:
                row["operator"] = conv_operator_norm(module.weight.detach(), sizes[prefix],
                                                     module.stride, module.dilation, module.groups)
            else:
                row["operator"] = _spectral(w, s, name, True, None, power_kw)
        out[name] = {m: row[m] for m in wanted}
    return out

