"""What ibias logs, in one place: key names, the step axis, heat-map tables, and what each key means.

Every analysis row is logged against STEP_AXIS with an EPOCH_AXIS column. Keys are
`spectrum/<probe>/<key>` (SpectrumCallback) and `norms/<layer>/<measure>`, with `norms/model/<measure>`
for whole-model measures (WeightNormCallback). A probe *declares* its keys with a ProbeRecord:
which keys form a Series along an axis (a frequency, a δ, a radius) and what each value means.
SpectrumCallback writes the declarations into the run's config under RECORDS_KEY, so whoever reads
the finished run (compare.py, learning_order.py, the reproductions) knows what a key is without
parsing its name.
EndToEndCallback logs `end_to_end/<measure>` for a factorization's product matrix (END_TO_END_MEASURES).

To run: `read_records(read_run(path).config)["grid"].series_named("amp").coords` gives the frequencies
of a GridProbe run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

STEP_AXIS = "trainer/global_step"  # Lightning's define_metric("*") axis: every curve shares it in W&B
EPOCH_AXIS = "epoch"
RECORDS_KEY = "ibias_records"  # run config keys `ibias_records/<probe>` hold ProbeRecord.to_config()
TABLE_COLUMNS = ("step", "row", "value")  # a heat map as a long-format W&B table
SPECTRUM, NORMS, MODEL = "spectrum", "norms", "model"
LAYER_TABLE_KEY = f"{NORMS}/layers"  # WeightNormCallback's per-layer table
END_TO_END = "end_to_end"
# What EndToEndCallback logs about W, the network's end-to-end matrix (`end_to_end/<measure>`), besides the
# top singular values `sv_01`, `sv_02`, ... (singular_value_key). The reference ones need the datamodule's truth.
END_TO_END_MEASURES = {
    "nuclear": "‖W‖_* (sum of singular values)",
    "fro": "‖W‖_F",
    "spectral": "‖W‖_2 (largest singular value)",
    "effective_rank": "exp(entropy of σ/Σσ) (Roy & Vetterli 2007)",
    "recovery_error": "‖W − W*‖_F/‖W*‖_F, W* the datamodule's ground_truth",
    "unobserved_error": "‖W − W*‖_F/‖W*‖_F over the entries outside the datamodule's observed mask",
    "min_norm_error": "‖W − X⁺y‖_F/‖X⁺y‖_F, X⁺y the datamodule's min_norm_solution()",
    "fro_over_min_norm": "‖W‖_F/‖X⁺y‖_F",
    "init_interpolator_error": "‖W − W∞‖_F/‖W∞‖_F, W∞ = X⁺y + (I − X⁺X)W₀ the datamodule's closest_interpolator(W₀)",
    "min_nuclear_error": "‖W − X*‖_F/‖X*‖_F, X* the datamodule's min_nuclear_norm_solution()",
    "nuclear_over_min_nuclear": "‖W‖_*/‖X*‖_* (Gunasekar et al.'s gap is this minus 1)",
}


def stage_key(stage: str, name: str) -> str:
    """Return the logged name of a training metric: `<stage>/<name>` (train/loss, val/error, test/acc)."""
    return f"{stage}/{name}"


def spectrum_key(probe: str, key: str) -> str:
    """Return the logged name of a probe's scalar: `spectrum/<probe>/<key>`."""
    return f"{SPECTRUM}/{probe}/{key}"


def heatmap_key(probe: str) -> str:
    """Return the logged name of a probe's heat-map image."""
    return spectrum_key(probe, "heatmap")


def heatmap_table_key(probe: str) -> str:
    """Return the logged name of a probe's heat-map table (columns TABLE_COLUMNS)."""
    return spectrum_key(probe, "heatmap_table")


def image_key(probe: str) -> str:
    """Return the logged name of a probe's own picture (e.g. the Fourier heat map)."""
    return spectrum_key(probe, "image")


def norm_key(layer: str, measure: str) -> str:
    """Return the logged name of a norm: `norms/<parameter name>/<measure>` (`layer="model"` for the model)."""
    return f"{NORMS}/{layer}/{measure}"


def parse_norm_key(key: str) -> tuple[str, str] | None:
    """Return (layer, measure) of a `norms/<layer>/<measure>` key, else None (parameter names have no '/')."""
    parts = key.split("/")
    if len(parts) == 3 and parts[0] == NORMS and parts[1] and parts[2] and key != LAYER_TABLE_KEY:
        return parts[1], parts[2]
    return None


def end_to_end_key(measure: str) -> str:
    """Return the logged name of a measure of the end-to-end matrix: `end_to_end/<measure>` (END_TO_END_MEASURES)."""
    return f"{END_TO_END}/{measure}"


def singular_value_key(index: int) -> str:
    """Return the logged name of the end-to-end matrix's `index`-th largest singular value (1-based): `end_to_end/sv_01`."""
    if index < 1:
        raise ValueError(f"index={index}: singular values are numbered from 1 (the largest)")
    return end_to_end_key(f"sv_{index:02d}")


def model_norm_keys(keys: Iterable[str]) -> list[str]:
    """Return the whole-model norm keys (`norms/model/<measure>`) among `keys`, sorted."""
    return sorted(k for k in keys if (p := parse_norm_key(k)) is not None and p[0] == MODEL)


# ---- what a probe's keys mean -------------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """A coordinate: its name and unit (e.g. frequency, in cycles per unit interval)."""

    name: str
    unit: str = ""

    @property
    def label(self) -> str:
        """Return 'name (unit)', or the name alone."""
        return f"{self.name} ({self.unit})" if self.unit else self.name


@dataclass(frozen=True)
class Series:
    """Scalars of one quantity along an axis: key `<quantity>_<tag>` holds the value at `coords[i]`."""

    quantity: str  # key stem, e.g. "amp"
    label: str  # what a value is, e.g. "|f̂(k)| / A_k"
    axis: Axis
    coords: tuple[float, ...]  # one per key, in the order logged
    tags: tuple[str, ...]  # key suffixes, e.g. "k05"
    value_range: tuple[float, float] | None = None  # natural scale for plots (None: automatic)

    def __post_init__(self) -> None:
        if len(self.coords) != len(self.tags):
            raise ValueError(f"Series {self.quantity}: {len(self.coords)} coords but {len(self.tags)} tags")

    @classmethod
    def along(cls, quantity: str, label: str, axis: Axis, coords: Sequence[float], tag: Callable[[float], str],
              value_range: tuple[float, float] | None = None) -> Series:
        """Return the series whose key at coordinate c is `<quantity>_<tag(c)>`."""
        coords = tuple(float(c) for c in coords)
        return cls(quantity, label, axis, coords, tuple(tag(c) for c in coords), value_range)

    def keys(self) -> list[str]:
        """Return the probe-level keys (without `spectrum/<probe>/`), one per coordinate."""
        return [f"{self.quantity}_{t}" for t in self.tags]

    def scalars(self, values: Iterable[float]) -> dict[str, float]:
        """Return {key: value} for values given in coordinate order (what a probe's measure returns)."""
        values = [float(v) for v in values]
        if len(values) != len(self.tags):
            raise ValueError(f"Series {self.quantity}: {len(values)} values for {len(self.tags)} coordinates")
        return dict(zip(self.keys(), values))

    def coord_label(self, coord: float) -> str:
        """Return e.g. 'frequency=5' for a legend."""
        return f"{self.axis.name}={coord:g}"


@dataclass(frozen=True)
class Heatmap:
    """A probe's heat map over training: one row per label along `axis`, one column per measurement."""

    axis: Axis
    rows: tuple[str, ...]
    label: str  # what a cell is
    value_range: tuple[float, float] | None = None
    series: str | None = None  # the Series whose keys are the rows, value for value (None: no such series)


@dataclass(frozen=True)
class Image:
    """A probe's picture of its own at one time (rows x columns), e.g. Yin et al.'s Fourier heat map."""

    row_axis: Axis
    col_axis: Axis
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    label: str
    value_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class ProbeRecord:
    """Everything a probe logs, declared: its series, its other scalars, its heat map and its image."""

    probe: str
    series: tuple[Series, ...] = ()
    scalars: Mapping[str, str] = field(default_factory=dict)  # other keys -> what they are
    heatmap: Heatmap | None = None
    image: Image | None = None

    def keys(self) -> list[str]:
        """Return every probe-level key the probe may log."""
        return [k for s in self.series for k in s.keys()] + list(self.scalars)

    def series_named(self, quantity: str) -> Series:
        """Return the series of `quantity`; raise a KeyError naming the ones declared."""
        for s in self.series:
            if s.quantity == quantity:
                return s
        raise KeyError(f"probe {self.probe!r} logs no series {quantity!r}; it logs {[s.quantity for s in self.series]}")

    def to_config(self) -> dict[str, Any]:
        """Return the declaration as plain JSON-able values (what goes into the run's config)."""
        return _plain(self)

    @classmethod
    def from_config(cls, value: Mapping[str, Any]) -> ProbeRecord:
        """Return the record that to_config() wrote (as read back from a run's config)."""
        def axis(a):
            return Axis(**a)

        def rng(r):
            return None if r is None else (float(r[0]), float(r[1]))

        hm, im = value.get("heatmap"), value.get("image")
        return cls(
            probe=value["probe"],
            series=tuple(Series(s["quantity"], s["label"], axis(s["axis"]), tuple(float(c) for c in s["coords"]),
                                tuple(s["tags"]), rng(s.get("value_range"))) for s in value.get("series") or ()),
            scalars=dict(value.get("scalars") or {}),
            heatmap=None if hm is None else Heatmap(axis(hm["axis"]), tuple(hm["rows"]), hm["label"],
                                                     rng(hm.get("value_range")), hm.get("series")),
            image=None if im is None else Image(axis(im["row_axis"]), axis(im["col_axis"]), tuple(im["rows"]),
                                                 tuple(im["cols"]), im["label"], rng(im.get("value_range"))),
        )


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def records_config(records: Iterable[ProbeRecord]) -> dict[str, Any]:
    """Return {`ibias_records/<probe>`: declaration}: what SpectrumCallback adds to the run's config.

    One key per probe, because a config update replaces a key's whole value: two callbacks (or a
    resumed run) then add their probes without erasing each other's.
    """
    return {f"{RECORDS_KEY}/{r.probe}": r.to_config() for r in records}


def read_records(config: Mapping[str, Any]) -> dict[str, ProbeRecord]:
    """Return {probe name: ProbeRecord} declared in a run's config (empty when the run declared none)."""
    prefix = f"{RECORDS_KEY}/"
    return {key[len(prefix):]: ProbeRecord.from_config(value) for key, value in config.items() if key.startswith(prefix)}


# ---- heat maps as tables ------------------------------------------------------------------------
def heatmap_rows(values: Sequence[Sequence[float]], steps: Sequence[int], labels: Sequence[str]) -> list[list]:
    """Return the long-format rows [step, row label, value] of a (R rows x T steps) heat map."""
    return [[int(s), str(lab), float(values[i][j])] for j, s in enumerate(steps) for i, lab in enumerate(labels)]


def heatmap_from_rows(columns: Sequence[str], data: Sequence[Sequence]) -> tuple[list[list[float]], list[str], list[int]]:
    """Return (values R x T, row labels, steps) from a logged heat-map table; NaN where a cell is missing."""
    s, r, v = (list(columns).index(c) for c in TABLE_COLUMNS)
    steps = sorted({int(d[s]) for d in data})
    labels = list(dict.fromkeys(str(d[r]) for d in data))
    grid = [[float("nan")] * len(steps) for _ in labels]
    where = {step: j for j, step in enumerate(steps)}
    rows = {lab: i for i, lab in enumerate(labels)}
    for d in data:
        grid[rows[str(d[r])]][where[int(d[s])]] = float(d[v])
    return grid, labels, steps
