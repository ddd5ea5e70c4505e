"""EndToEndCallback: the product matrix of a factorization (or a linear model) during training, against its ground truth.

The claims about matrix factorization (Gunasekar et al. 2017, Arora et al. 2019; docs/references.md §3–4)
and min-norm regression (§1) are about the end-to-end matrix W = W_N ··· W_1, not the factors. A network
exposes it with a method `end_to_end() -> Tensor (out, in)` (ibias.models.MatrixFactorization and
Linear have one); the callback finds it on the LightningModule or its first submodule that has it.
Logged (`end_to_end/<measure>`, keys from ibias.analysis.records; END_TO_END_MEASURES says what each is):
nuclear, fro, spectral, effective_rank and the top singular values sv_01 … always; and from the
datamodule (or the arguments) when it exposes them:
  ground_truth (n, n)            -> recovery_error;  with `mask` (observed entries) -> unobserved_error
  min_norm_solution() (d,)       -> min_norm_error, fro_over_min_norm
  closest_interpolator(W₀) (d,)  -> init_interpolator_error (W₀ = the end-to-end matrix at train start)
  min_nuclear_norm_solution()    -> min_nuclear_error, nuclear_over_min_nuclear
Cost per call: one SVD of W in float64 (0.3 ms for 100×100); the references are computed once at train start.
To run: `Trainer(callbacks=[EndToEndCallback(every_n_steps=100)])` with a network that has end_to_end().
"""

from __future__ import annotations

from collections.abc import Callable

import lightning.pytorch as pl
import torch

from ibias.analysis.records import end_to_end_key, singular_value_key
from ibias.measures.matrix import relative_error
from ibias.measures.norms import effective_rank, singular_values

from .cadence import CadencedCallback


def find_end_to_end(module: torch.nn.Module) -> Callable[[], torch.Tensor]:
    """Return the `end_to_end` method of `module` or of its first submodule that has one; raise naming the fix."""
    for candidate in module.modules():
        method = getattr(candidate, "end_to_end", None)
        if callable(method):
            return method
    raise ValueError(
        f"EndToEndCallback: {type(module).__name__} and its submodules have no end_to_end() method; give your "
        "network one that returns its product matrix (out, in), as ibias.models.MatrixFactorization and Linear do, "
        "or drop the callback (on the command line: ~callbacks.end_to_end)")


def _as_matrix(name: str, value: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Return `value` as a float64 CPU matrix of `shape` (a (d,) solution for a (1, d) linear model is reshaped)."""
    value = torch.as_tensor(value).detach().double().cpu()
    if value.numel() != shape.numel():
        raise ValueError(f"EndToEndCallback: the datamodule's {name} has shape {tuple(value.shape)} but the end-to-end "
                         f"matrix is {tuple(shape)}; they must describe the same matrix")
    return value.reshape(shape)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")  # a zero reference (y = 0): no ratio to report


class EndToEndCallback(CadencedCallback):
    """Measures the network's end-to-end matrix before training, at the cadence and at the end; logs `end_to_end/...` rows.

    top_k: how many of the largest singular values to log (fewer if the matrix has fewer).
    ground_truth / observed: the true matrix (n, n) and the bool mask of observed entries, when the
    datamodule does not expose them as `ground_truth` and `mask`.
    The initial matrix and the logged steps live in `state_dict`, so a resumed run keeps the true W₀.
    """

    def __init__(self, every_n_steps: int | None = None, every_n_epochs: int | None = None, top_k: int = 10,
                 ground_truth: torch.Tensor | None = None, observed: torch.Tensor | None = None) -> None:
        super().__init__(every_n_steps, every_n_epochs)
        if not (isinstance(top_k, int) and top_k >= 0):
            raise ValueError(f"top_k={top_k!r} must be an integer >= 0 (how many singular values to log)")
        self.top_k = top_k
        self.given_truth, self.given_observed = ground_truth, observed
        self.init: torch.Tensor | None = None  # W₀, float64 CPU
        self.steps: list[int] = []
        self.references: dict[str, torch.Tensor] = {}  # name -> float64 matrix shaped like W
        self.unobserved: torch.Tensor | None = None  # bool mask shaped like W
        self._matrix: Callable[[], torch.Tensor] | None = None

    # ---- set-up -------------------------------------------------------------------------
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._matrix = find_end_to_end(pl_module)
        if self.init is None:  # a resumed run has W₀ from load_state_dict
            self.init = self.matrix()
        self.references, self.unobserved = self.resolve_references(getattr(trainer, "datamodule", None), self.init)
        super().on_train_start(trainer, pl_module)

    def matrix(self) -> torch.Tensor:
        """Return the end-to-end matrix now, float64 on the CPU."""
        return self._matrix().detach().double().cpu()

    def resolve_references(self, datamodule, w0: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
        """Return ({reference name: matrix shaped like W₀}, the unobserved-entries mask or None) from the datamodule."""
        refs: dict[str, torch.Tensor] = {}
        truth = self.given_truth if self.given_truth is not None else getattr(datamodule, "ground_truth", None)
        if truth is not None:
            refs["truth"] = _as_matrix("ground_truth", truth, w0.shape)
        observed = self.given_observed if self.given_observed is not None else getattr(datamodule, "mask", None)
        unobserved = None
        if observed is not None and truth is not None:
            observed = torch.as_tensor(observed).cpu()
            if observed.dtype != torch.bool or observed.shape != w0.shape:
                raise ValueError(f"EndToEndCallback: the observed mask must be bool {tuple(w0.shape)}, got "
                                 f"{observed.dtype} {tuple(observed.shape)}")
            unobserved = ~observed if bool((~observed).any()) else None  # everything observed: nothing to report
        if hasattr(datamodule, "min_norm_solution"):
            refs["min_norm"] = _as_matrix("min_norm_solution()", datamodule.min_norm_solution(), w0.shape)
        if hasattr(datamodule, "closest_interpolator"):
            refs["init_interpolator"] = _as_matrix("closest_interpolator(W₀)", datamodule.closest_interpolator(w0), w0.shape)
        if hasattr(datamodule, "min_nuclear_norm_solution"):
            refs["min_nuclear"] = _as_matrix("min_nuclear_norm_solution()", datamodule.min_nuclear_norm_solution(), w0.shape)
        return refs, unobserved

    # ---- measuring ----------------------------------------------------------------------
    def measure(self, w: torch.Tensor) -> dict[str, float]:
        """Return {logged key: value} for the end-to-end matrix `w` (float64) against the resolved references."""
        s = singular_values(w)  # descending
        nuclear, fro = float(s.sum()), float(w.norm())
        out = {end_to_end_key("nuclear"): nuclear, end_to_end_key("fro"): fro,
               end_to_end_key("spectral"): float(s[0]) if s.numel() else 0.0,
               end_to_end_key("effective_rank"): effective_rank(s)}
        out.update({singular_value_key(i + 1): float(v) for i, v in enumerate(s[: self.top_k])})
        refs = self.references
        if "truth" in refs:
            out[end_to_end_key("recovery_error")] = relative_error(w, refs["truth"])
            if self.unobserved is not None:
                out[end_to_end_key("unobserved_error")] = relative_error(w, refs["truth"], self.unobserved)
        if "min_norm" in refs:
            out[end_to_end_key("min_norm_error")] = relative_error(w, refs["min_norm"])
            out[end_to_end_key("fro_over_min_norm")] = _ratio(fro, float(refs["min_norm"].norm()))
        if "init_interpolator" in refs:
            out[end_to_end_key("init_interpolator_error")] = relative_error(w, refs["init_interpolator"])
        if "min_nuclear" in refs:
            out[end_to_end_key("min_nuclear_error")] = relative_error(w, refs["min_nuclear"])
            out[end_to_end_key("nuclear_over_min_nuclear")] = _ratio(nuclear, float(singular_values(refs["min_nuclear"]).sum()))
        return out

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._measure(trainer, pl_module)  # the final matrix, unless the cadence just measured it

    def measure_event(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, float]:
        self.steps.append(trainer.global_step)
        return self.measure(self.matrix())

    def logged_steps(self) -> list[int]:
        return list(self.steps)

    # ---- resume -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"init": self.init, "steps": self.steps}

    def load_state_dict(self, state_dict: dict) -> None:
        self.init, self.steps = state_dict["init"], list(state_dict["steps"])
