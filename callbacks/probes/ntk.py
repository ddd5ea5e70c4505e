"""The empirical neural tangent kernel as a probe: its spectrum, its change from init, where the residual lies.

Source: docs/references.md §22 (kernel and learning order), §24 (lazy and rich training).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from ibias.analysis.records import Axis, ProbeRecord, Series
from ibias.measures.ntk import (
    dominant_frequencies,
    empirical_ntk,
    energy_fractions,
    fourier_rayleigh,
    kernel_effective_rank,
    kernel_eigen,
    relative_change,
)
from ibias.probe_set import ProbeSet

from .base import Measurement, Probe
from .outputs import subset_indices
from .training_loss import LossFn, output_gradient, resolve_loss

EIGEN_INDEX = Axis("eigenvalue index", "1 = largest")
FREQUENCY = Axis("frequency", "cycles per grid period")


def index_tag(count: int):
    """Return the key suffix maker of eigenvalue indices 1…count: 1 → '01' (zero-padded to ≥ 2 digits)."""
    width = max(2, len(str(count)))
    return lambda i: f"{int(i):0{width}d}"


class NTKProbe(Probe):
    """Logs the empirical NTK Θ = J Jᵀ on the probe inputs (summed over outputs; ibias/measures/ntk.py):

    eig_01 … eig_K   the top-K eigenvalues of Θ/n, descending (output² units; GD on the mean loss shrinks
                     the residual along eigenvector i at a rate ∝ λᵢ);
    effective_rank   exp(entropy of the normalized eigenvalues), 1 … n;
    kernel_change    ‖Θ − Θ₀‖_F/‖Θ₀‖_F, Θ₀ the kernel at the first measurement (kept in the checkpoint);
    res_01 … res_K   the fraction of the residual's energy along each top eigenvector, res_top their sum,
                     the residual being ∂loss/∂f on the probe set (needs targets and the training loss:
                     the module's `loss`, or `loss_fn=`; without either, not logged);
    on a periodic 1-D grid (ProbeSet.grid_freqs, the whole grid probed):
    freq_01 … freq_K the dominant frequency of each top eigenvector (cycles per grid period);
    kpow_k<k>        the kernel's rate λ(k) = Rayleigh quotient of Θ/n on the unit Fourier modes of each target
                     frequency k (the eigenvalue at k when Θ is shift-invariant): higher λ(k), learned sooner.
    Cost per call: one Jacobian of n·C rows by vmap(jacrev) (≈ n·C one-sample backward passes), the Gram
    (n²·C·P multiply-adds), an n×n eigendecomposition. Memory: J, n·C·P floats, when it fits in `cache_bytes`,
    else 2·chunk·C·P floats at ≈ n/(2·chunk) times the Jacobian cost; plus 2 n×n kernels (Θ and Θ₀).
    Measured on the default experiment (6×256 MLP, P = 263,937, n = 200; `python scripts/bench.py curvature --repeats 5`,
    1 thread, shared 2-core CPU under load ≈ 8.5): 0.87 s CPU per call, ≈ 56 full-batch Adam steps; J is 211 MB.
    Knobs: `subset` (n), `top_k`, the cadence (give the probe its own sparse SpectrumCallback).
    """

    name = "ntk"

    def __init__(self, top_k: int = 10, subset: int | None = 1000, seed: int = 0, chunk: int = 128,
                 cache_bytes: float = 1e9, loss_fn: LossFn | None = None) -> None:
        if top_k < 1:
            raise ValueError(f"NTKProbe(top_k={top_k}): log at least one eigenvalue")
        self.top_k, self.subset, self.seed, self.chunk, self.cache_bytes = top_k, subset, seed, chunk, cache_bytes
        self.loss_fn = loss_fn
        self.theta0: torch.Tensor | None = None
        self.warned = False

    def setup(self, probe_set: ProbeSet) -> None:
        super().setup(probe_set)
        n_all = len(probe_set.inputs)
        self.index = subset_indices(n_all, self.subset, self.seed, probe_set.inputs.device)
        self.inputs = probe_set.inputs[self.index]
        self.targets = None if probe_set.targets is None else probe_set.targets[self.index]
        self.k = min(self.top_k, len(self.index))
        ids = range(1, self.k + 1)
        tag = index_tag(self.k)
        self.eig = Series.along("eig", "λᵢ(Θ/n), eigenvalue of the empirical NTK", EIGEN_INDEX, ids, tag)
        self.res = Series.along("res", "fraction of the residual's energy along eigenvector i", EIGEN_INDEX, ids, tag,
                                value_range=(0.0, 1.0))
        self.freq = self.kpow = None
        if probe_set.grid_freqs is not None:
            if len(self.index) < n_all:
                warnings.warn(f"NTKProbe: subset={self.subset} of a {n_all}-point grid is not a grid; eigenvector "
                              "frequencies are not logged. Set subset=None to probe the whole grid.", stacklevel=2)
            else:
                self.freq = Series.along("freq", "dominant frequency of eigenvector i", EIGEN_INDEX, ids, tag)
                freqs = [int(k) for k in probe_set.grid_freqs]
                width = len(str(max(freqs)))
                self.kpow = Series.along("kpow", "λ(k), the kernel's rate on the Fourier modes at k", FREQUENCY, freqs,
                                         lambda k: f"k{int(k):0{width}d}")

    def record(self) -> ProbeRecord:
        series = tuple(s for s in (self.eig, self.res, self.freq, self.kpow) if s is not None)
        return ProbeRecord(self.name, series=series, scalars={
            "effective_rank": "exp(entropy of the normalized eigenvalues of Θ), 1 … n",
            "kernel_change": "‖Θ − Θ₀‖_F / ‖Θ₀‖_F, Θ₀ at the first measurement",
            "res_top": "fraction of the residual's energy in the span of the top eigenvectors",
        })

    def kernel(self, module: nn.Module) -> torch.Tensor:
        """Return Θ (n, n) of `module` on the probe inputs (after the probe set's input_transform)."""
        x = self.inputs if self.probe_set.input_transform is None else self.probe_set.input_transform(self.inputs)
        return empirical_ntk(module, x, self.chunk, self.cache_bytes)

    def measure(self, module: nn.Module) -> Measurement:
        theta = self.kernel(module).detach()
        if self.theta0 is None:
            self.theta0 = theta.clone()
        self.theta0 = self.theta0.to(theta.device)  # restored from a checkpoint on the CPU
        values, vectors = kernel_eigen(theta)  # all n, descending
        top, top_vectors = values[: self.k], vectors[:, : self.k]
        scalars = {**self.eig.scalars(top.tolist()), "effective_rank": kernel_effective_rank(values),
                   "kernel_change": relative_change(theta, self.theta0)}
        residual = self._residual(module)
        if residual is not None:
            fractions = energy_fractions(top_vectors, residual)
            scalars.update(self.res.scalars(fractions.tolist()))
            scalars["res_top"] = float(fractions.sum())
        if self.freq is not None:
            scalars.update(self.freq.scalars(dominant_frequencies(top_vectors).tolist()))
            scalars.update(self.kpow.scalars(fourier_rayleigh(theta, self.probe_set.grid_freqs.cpu()).tolist()))
        return Measurement(scalars=scalars)

    def _residual(self, module: nn.Module) -> torch.Tensor | None:
        if self.targets is None:
            return None
        try:
            loss_fn = resolve_loss(module, self.loss_fn, "NTKProbe")
        except ValueError as err:
            if not self.warned:
                warnings.warn(f"{err} Until then the residual fractions res_* are not logged.", stacklevel=2)
                self.warned = True
            return None
        with torch.no_grad():
            pred = self.probe_set.predict(module, self.inputs)  # (n, C)
        return output_gradient(loss_fn, pred, self.targets)

    def state_dict(self) -> dict:
        return {"theta0": None if self.theta0 is None else self.theta0.cpu()}

    def load_state_dict(self, state: dict) -> None:
        self.theta0 = state.get("theta0")
