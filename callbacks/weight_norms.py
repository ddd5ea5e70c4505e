"""WeightNormCallback: per-layer weight norms, distance from init and complexity measures during training.

To run: `Trainer(callbacks=[WeightNormCallback(every_n_steps=100)])` on any LightningModule; add
`measures="all"` for the full set (nuclear norm, effective rank, power-law alpha, path norm,
Bartlett's spectral complexity ...; the conv operator norm `operator` only by name, it is costly).
Logs `norms/<parameter name>/<measure>` and `norms/model/<measure>` (see ibias/measures/norms.py and
ibias/measures/complexity.py for the definitions and the conv convention: weights reshaped (out, in*k*k)
unless the measure is `operator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import lightning.pytorch as pl
import torch
from lightning.pytorch.utilities import rank_zero_warn

from ibias.analysis.records import LAYER_TABLE_KEY, MODEL, norm_key, parse_norm_key
from ibias.measures.complexity import aggregate, margin, margin_normalized
from ibias.measures.eval_mode import eval_mode
from ibias.measures.measure_specs import BY_NAME, LAYER_MEASURES, MODEL_MEASURES, names
from ibias.measures.norms import layer_norms, snapshot, weight_matrices
from ibias.measures.path_norm import path_norm
from ibias.probe_set import ProbeSet

from .cadence import CadencedCallback
from .logging import log_media
from .probes.outputs import predict_in_batches

SHAPE_MEASURES = names(needs_input_shape=True)


class WeightNormCallback(CadencedCallback):
    """Measures weight norms at the cadence and once before training; logs `norms/...` rows.

    measures: None (cheap default: fro, spectral, dist_fro, dist_spectral per layer; log_prod_spectral,
    sum_fro_sq, sum_stable_rank, dist_init_sq, param_norm_sq for the model), "all" (every measure but
    `operator`; path_norm skipped with a warning for nets that are not ReLU nets), or a list of layer
    and model measure names (`operator` and `path_norm` need `input_shape`, else taken from the
    datamodule's `input_shape` or the probe inputs). Margin-normalized model measures (`<name>_margin`) and the margin
    itself are added when a classification probe set is available (`probe_set=`, or the datamodule's
    `probe_set()` with class-index targets); they are skipped for regression.
    The init snapshot (CPU copy of every >= 2-D weight, taken at the first train start) and the
    history of logged rows live in `state_dict`, so a resumed run keeps measuring distance from the
    true init. At fit end and on exceptions a per-layer `wandb.Table` (`norms/layers`) goes to W&B.
    """

    def __init__(
        self,
        measures: str | Sequence[str] | None = None,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        probe_set: ProbeSet | None = None,
        input_shape: Sequence[int] | None = None,
        method: str = "auto",
        exact_max_dim: int = 256,
        power_iters: int = 500,
        power_tol: float = 1e-6,
        probe_batch_size: int = 1024,
    ) -> None:
        super().__init__(every_n_steps, every_n_epochs, probe_set)
        self.all = measures == "all"
        if measures is None:
            chosen = names(cheap=True)
        elif self.all:  # `operator` (FFT conv norms, ~10x the rest on a ResNet) only when asked for by name
            chosen = names(in_all=True)
        elif isinstance(measures, str):
            raise ValueError(f"measures={measures!r}: pass None (cheap default), 'all' or a list of names")
        else:
            chosen = tuple(measures)
        unknown = sorted(set(chosen) - set(LAYER_MEASURES) - set(MODEL_MEASURES))
        if unknown:
            raise ValueError(f"WeightNormCallback: unknown measures {unknown}; "
                             f"layer measures: {list(LAYER_MEASURES)}; model measures: {list(MODEL_MEASURES)}")
        if method not in ("auto", "exact", "power"):
            raise ValueError(f"method={method!r}; choose 'auto', 'exact' or 'power'")
        self.layer_measures = tuple(m for m in chosen if m in LAYER_MEASURES)
        self._key = {"measures": "all" if self.all else chosen, "every_n_steps": every_n_steps, "every_n_epochs": every_n_epochs}
        self.model_measures = tuple(m for m in chosen if m in MODEL_MEASURES)
        self.probe_batch_size = probe_batch_size
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.norm_kw = {"method": method, "exact_max_dim": exact_max_dim, "power_iters": power_iters, "power_tol": power_tol}
        self.init: dict[str, torch.Tensor] | None = None
        self.history: list[dict] = []
        self.last_layers: dict[str, dict[str, float]] = {}
        self._power_state: dict[str, torch.Tensor] = {}  # warm starts; not saved, a resume starts cold
        self._reference: dict[str, torch.Tensor] | None = None  # `init` on the model's device
        self._probe: ProbeSet | None = None
        self._resolved = False

    @cached_property  # Lightning reads it at every hook call (several per step); it never changes
    def state_key(self) -> str:
        """Return a checkpoint key unique to this measure set and cadence, so several instances can coexist."""
        return self._generate_state_key(**self._key)

    # ---- set-up -------------------------------------------------------------------------
    def _resolve(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Find the probe set and input shape once, and drop or refuse measures that cannot run."""
        datamodule = getattr(trainer, "datamodule", None)
        probe = self.find_probe_set(trainer)
        if probe is not None and probe.num_classes is not None and probe.targets is not None:
            self._probe = probe.to(pl_module.device)
        shape = self.input_shape or getattr(datamodule, "input_shape", None)
        if shape is None and probe is not None:
            shape = tuple(probe.inputs.shape[1:])
        self.input_shape = tuple(shape) if shape is not None else None
        if self.input_shape is None:
            needs = [m for m in self.layer_measures + self.model_measures if m in SHAPE_MEASURES]
            if needs and not self.all:
                raise ValueError(f"WeightNormCallback: {needs} need the input shape; pass input_shape=(C, H, W) "
                                 "or use a datamodule with an `input_shape` attribute")
            self.layer_measures = tuple(m for m in self.layer_measures if m not in SHAPE_MEASURES)
            self.model_measures = tuple(m for m in self.model_measures if m not in SHAPE_MEASURES)
        self._resolved = True

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not weight_matrices(pl_module):
            raise ValueError(
                f"WeightNormCallback: {type(pl_module).__name__} has no parameter with >= 2 dimensions (Linear/Conv "
                "weights), so there is nothing to measure; remove the callback or give the model weight matrices")
        if self.init is None:  # a resumed run has it from load_state_dict: the true init, not the restart
            self.init = snapshot(pl_module)
        if not self._resolved:
            self._resolve(trainer, pl_module)
        super().on_train_start(trainer, pl_module)

    # ---- measuring ----------------------------------------------------------------------
    def measure(self, pl_module: torch.nn.Module) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
        """Return (per-layer measures, model measures incl. margin ones) of `pl_module` now."""
        if self.init is None:
            raise ValueError("WeightNormCallback.measure: no init snapshot yet (it is taken at train start); "
                             "set callback.init = ibias.measures.norms.snapshot(model) first")
        device = next(pl_module.parameters()).device
        if self._reference is None or next(iter(self._reference.values())).device != device:
            self._reference = {k: v.to(device) for k, v in self.init.items()}
        needed = set(self.layer_measures)
        for m in self.model_measures:
            needed.update(BY_NAME[m].from_layers)
        wanted = tuple(m for m in LAYER_MEASURES if m in needed)
        layers = layer_norms(pl_module, reference=self._reference, measures=wanted, power_state=self._power_state,
                             input_shape=self.input_shape, **self.norm_kw)
        model = aggregate(layers, pl_module, self.model_measures)
        if "path_norm" in self.model_measures:
            try:
                model["path_norm"] = path_norm(pl_module, self.input_shape)
            except ValueError as err:
                if not self.all:
                    raise
                rank_zero_warn(f"WeightNormCallback: skipping path_norm: {err}")
                self.model_measures = tuple(m for m in self.model_measures if m != "path_norm")
        if self._probe is not None:
            with eval_mode(pl_module), torch.no_grad():  # in chunks, so a CIFAR-sized probe set fits in memory
                logits = predict_in_batches(self._probe, pl_module, self._probe.inputs, self.probe_batch_size)  # (N, C)
            gamma = margin(logits, self._probe.targets)
            model["margin"] = gamma
            model.update(margin_normalized(model, gamma))
        return {name: {m: row[m] for m in self.layer_measures} for name, row in layers.items()}, model

    def logged_steps(self) -> list[int]:
        return [event["step"] for event in self.history]

    def measure_event(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, float]:
        layers, model = self.measure(pl_module)
        metrics = {norm_key(name, m): v for name, row in layers.items() for m, v in row.items()}
        metrics.update({norm_key(MODEL, m): v for m, v in model.items()})
        self.last_layers = layers
        self.history.append({"step": trainer.global_step, "epoch": trainer.current_epoch, "metrics": metrics})
        return metrics

    # ---- output -------------------------------------------------------------------------
    def publish(self, trainer: pl.Trainer, final: bool) -> None:
        """Log the last per-layer measurement as one W&B table (`norms/layers`)."""
        if not self.last_layers or not self.history:
            return
        shapes = {k: list(v.shape) for k, v in (self.init or {}).items()}
        columns = ["step", "layer", "shape", *self.layer_measures]
        data = [[self.history[-1]["step"], name, str(shapes.get(name, "")), *(row[m] for m in self.layer_measures)]
                for name, row in self.last_layers.items()]
        log_media(trainer, {}, {LAYER_TABLE_KEY: (columns, data)})

    # ---- resume -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"init": self.init, "history": self.history}

    def load_state_dict(self, state_dict: dict) -> None:
        self.init = state_dict["init"]
        self.history = state_dict["history"]
        self._reference = None
        if self.history:  # the table at fit end shows the last measurement even if no new one is taken
            last = self.history[-1]["metrics"]
            rows: dict[str, dict[str, float]] = {}
            for key, value in last.items():
                name, m = parse_norm_key(key)
                if name != MODEL and m in self.layer_measures:
                    rows.setdefault(name, {})[m] = value
            self.last_layers = {n: r for n, r in rows.items() if len(r) == len(self.layer_measures)}

