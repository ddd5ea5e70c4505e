"""Every weight measure in one table: its level, what it needs and whether it is cheap.

Layer measures (ibias/measures/norms.py) give one value per weight matrix; model measures
(ibias/measures/complexity.py, path_norm.py) one value per network, built from layer measures.
`cheap` marks the default set of WeightNormCallback; `in_all` the set of measures="all" (the
exact conv `operator` norm costs ~10x the rest on a ResNet, so only by name); `margin` marks the
model measures with a margin-normalized twin `<name>_margin` (Jiang et al., docs/references.md §19).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MeasureSpec:
    """One weight measure: its name, level ("layer" | "model"), needs and cost."""

    name: str
    level: str
    needs_svd: bool = False  # the full singular values (one SVD per layer)
    needs_reference: bool = False  # the init snapshot W0
    needs_input_shape: bool = False  # one input's shape (conv operator norm, path norm)
    cheap: bool = False  # in the default set
    in_all: bool = True  # in measures="all"
    from_layers: tuple[str, ...] = ()  # model measures: the layer measures they are computed from
    margin: bool = False  # has a `<name>_margin` version on classification data


SPECS = (
    MeasureSpec("fro", "layer", cheap=True),
    MeasureSpec("spectral", "layer", cheap=True),
    MeasureSpec("nuclear", "layer", needs_svd=True),
    MeasureSpec("stable_rank", "layer"),
    MeasureSpec("effective_rank", "layer", needs_svd=True),
    MeasureSpec("l21", "layer"),
    MeasureSpec("dist_fro", "layer", needs_reference=True, cheap=True),
    MeasureSpec("dist_spectral", "layer", needs_reference=True, cheap=True),
    MeasureSpec("dist_l21", "layer", needs_reference=True),
    MeasureSpec("alpha", "layer", needs_svd=True),
    MeasureSpec("alpha_ks", "layer", needs_svd=True),
    MeasureSpec("operator", "layer", needs_input_shape=True, in_all=False),
    MeasureSpec("log_prod_spectral", "model", cheap=True, from_layers=("spectral",), margin=True),
    MeasureSpec("sum_fro_sq", "model", cheap=True, from_layers=("fro",), margin=True),
    MeasureSpec("sum_stable_rank", "model", cheap=True, from_layers=("fro", "spectral")),
    MeasureSpec("dist_init_sq", "model", cheap=True, from_layers=("dist_fro",), margin=True),
    MeasureSpec("param_norm_sq", "model", cheap=True, margin=True),
    MeasureSpec("path_norm", "model", needs_input_shape=True, margin=True),
    # dist_l21 falls back to l21 (reference M = 0) when no init snapshot is given.
    MeasureSpec("spectral_complexity", "model", from_layers=("spectral", "dist_l21"), margin=True),
)
BY_NAME = {s.name: s for s in SPECS}


def names(level: str | None = None, **flags: bool) -> tuple[str, ...]:
    """Return the measure names of `level` whose spec fields equal `flags`, in table order.

    names("layer", cheap=True) is the default layer set; names(needs_svd=True) those needing an SVD.
    """
    return tuple(s.name for s in SPECS if (level is None or s.level == level)
                 and all(getattr(s, k) == v for k, v in flags.items()))


LAYER_MEASURES = names("layer")
MODEL_MEASURES = names("model")
MARGIN_MEASURES = tuple(f"{m}_margin" for m in names("model", margin=True))
