"""Local comparison of W&B runs (read offline with ibias.analysis.wandb_io): PNGs and one index.html.

Figures: for every probe the runs declared (ibias/analysis/records.py), each series' curves per
coordinate (a frequency, a δ, a radius) and the heat maps and images side by side (one column per
run), labelled with what the probe says its keys mean; model norm curves, losses, and a sweep plot
(a final metric against a config value, e.g. test error against model.width for double descent).

To run: `python scripts/compare.py multirun/double_descent/... --sweep-param model.width --metric test/error`.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt
import numpy as np

from .records import (
    EPOCH_AXIS,
    STEP_AXIS,
    ProbeRecord,
    Series,
    heatmap_from_rows,
    heatmap_table_key,
    image_key,
    model_norm_keys,
    read_records,
    spectrum_key,
    stage_key,
)
from .wandb_io import RunRecord, find_runs, join_parts, read_run

# Keys every run has whatever it logged: wandb's own and the step axes.
AXES = {"_step", "_runtime", "_timestamp", STEP_AXIS, EPOCH_AXIS}


class CompareError(ValueError):
    """Bad input to the comparison (not a run, nothing in common); its message says what to do."""


def load_runs(paths: Sequence[str | Path]) -> list[RunRecord]:
    """Return the runs at `paths`: each a run folder, a .wandb file, or a folder holding runs (a sweep)."""
    if not paths:
        raise CompareError("no runs given; pass W&B run folders (wandb/offline-run-...) or folders that hold them")
    runs: list[RunRecord] = []
    seen: set[Path] = set()
    for path in map(Path, paths):
        if not path.exists():
            raise CompareError(f"{path} does not exist")
        found = [path] if path.is_file() else find_runs(path)
        if not found:
            raise CompareError(f"{path} is not a W&B run: no run-<id>.wandb file under it (pass a wandb/offline-run-... folder)")
        for run_path in found:
            if run_path.resolve() in seen:  # the same run named twice (e.g. a sweep folder and one of its runs)
                continue
            seen.add(run_path.resolve())
            try:
                runs.append(read_run(run_path))
            except ValueError as err:
                raise CompareError(str(err)) from None
    return join_parts(runs)  # a resumed run's parts (one per process) compare as one run


def metric_keys(run: RunRecord) -> set[str]:
    """Return the run's logged scalar metrics (numbers), without the step axes."""
    keys = set()
    for row in run.history:
        keys.update(k for k, v in row.items() if k not in AXES and isinstance(v, (int, float)) and not isinstance(v, bool))
    return keys


def common_metrics(runs: Sequence[RunRecord]) -> list[str]:
    """Return the scalar metrics every run logged, sorted; raise CompareError when there are none."""
    sets = [metric_keys(r) for r in runs]
    common = sorted(set.intersection(*sets)) if sets else []
    if not common:
        listed = "; ".join(f"{label(r)}: {', '.join(sorted(s)[:4]) or 'nothing'}" for r, s in zip(runs, sets))
        raise CompareError(f"the runs share no logged metric ({listed}); compare runs of the same kind of experiment")
    return common


def label(run: RunRecord) -> str:
    """Return a short name for a run: its display name and id."""
    return f"{run.name or 'run'} ({run.run_id})"


def config_value(run: RunRecord, dotted: str) -> Any:
    """Return the config value at a dotted path (`model.width`); raise CompareError naming what exists."""
    node: Any = run.config
    if dotted in node:
        return node[dotted]
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            top = ", ".join(sorted(run.config)[:12]) or "an empty config"
            raise CompareError(f"--sweep-param {dotted} is not in the config of {label(run)} (it has {top})")
        node = node[part]
    return node


def final_value(run: RunRecord, key: str) -> float:
    """Return the last finite value of `key` in the history (else the summary); NaN when absent."""
    for row in reversed(run.history):
        value = row.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
    value = run.summary.get(key)
    return float(value) if isinstance(value, (int, float)) else math.nan


def x_axis(runs: Sequence[RunRecord]) -> str:
    """Return the shared x-axis: trainer/global_step when every run logged it, else wandb's _step."""
    return STEP_AXIS if all(any(STEP_AXIS in r for r in run.history) for run in runs) else "_step"


def numeric_series(run: RunRecord, key: str, x: str) -> tuple[list[float], list[float]]:
    """Return (x, value) pairs of `key` where both are numbers (null and media rows skipped)."""
    xs, ys = run.series(key, x)
    pairs = [(a, b) for a, b in zip(xs, ys) if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))]
    return [float(a) for a, _ in pairs], [float(b) for _, b in pairs]


# ---- figures ----------------------------------------------------------------------------------
def _columns(n: int, height: float = 3.2, sharey: bool = True):
    fig, axes = plt.subplots(1, n, figsize=(max(4.0, 3.6 * n), height), sharey=sharey, squeeze=False, layout="constrained")
    return fig, axes[0]


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def probe_records(runs: Sequence[RunRecord], common: Sequence[str]) -> dict[str, ProbeRecord]:
    """Return the probes every run declared (as the first run declared them), sorted by name.

    Series keep only the coordinates whose keys every run logged, so runs of different probe
    settings still compare on what they share.
    """
    declared = [read_records(run.config) for run in runs]
    shared = set(common)
    out = {}
    for name in sorted(set.intersection(*(set(d) for d in declared)) if declared else ()):
        record = declared[0][name]
        series = []
        for s in record.series:
            kept = [i for i, key in enumerate(s.keys()) if spectrum_key(name, key) in shared]
            if kept:
                series.append(Series(s.quantity, s.label, s.axis, tuple(s.coords[i] for i in kept),
                                     tuple(s.tags[i] for i in kept), s.value_range))
        scalars = {k: v for k, v in record.scalars.items() if spectrum_key(name, k) in shared}
        out[name] = ProbeRecord(name, tuple(series), scalars, record.heatmap, record.image)
    return out


def series_lines(run: RunRecord, probe: str, series: Series, x: str) -> list[tuple[str, list[float], list[float]]]:
    """Return (legend label, x values, y values) per coordinate of `series`, labelled by its axis."""
    return [(series.coord_label(c), *numeric_series(run, spectrum_key(probe, key), x))
            for c, key in zip(series.coords, series.keys())]


def plot_convergence(runs, probe: str, series: Series, x: str, path: Path) -> Path:
    """Save one curve per coordinate (colour by coordinate), one panel per run; return the path."""
    fig, axes = _columns(len(runs))
    colors = plt.cm.viridis(np.linspace(0, 1, len(series.coords)))
    for ax, run in zip(axes, runs):
        for color, (name, xs, ys) in zip(colors, series_lines(run, probe, series, x)):
            ax.plot(xs, ys, color=color, label=name, lw=1.2)
        ax.set_title(label(run), fontsize=9)
        ax.set_xlabel(x)
        if series.value_range is not None:
            ax.set_ylim(*series.value_range)
    axes[0].set_ylabel(f"{probe}: {series.label}")
    if len(series.coords) <= 12:
        axes[-1].legend(fontsize=7, loc="best", ncol=2 if len(series.coords) > 6 else 1)
    else:  # a legend of 65 frequency bins is unreadable: a colour bar keyed by the coordinate instead
        mappable = plt.cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(min(series.coords), max(series.coords)))
        fig.colorbar(mappable, ax=list(axes), label=series.axis.label)
    return _save(fig, path)


def heatmap_data(run: RunRecord, record: ProbeRecord, x: str):
    """Return (values R x T, row labels, steps) from the logged heat-map table, else from the series it shows.

    Returns None when the run logged no table and no series holds the heat map's rows value for value.
    """
    for row in reversed(run.history):
        value = row.get(heatmap_table_key(record.probe))
        if isinstance(value, dict) and run.media_file(value).exists():
            grid, labels, steps = heatmap_from_rows(*run.table(value))
            return np.array(grid), labels, steps
    spec = record.heatmap
    if spec is None or spec.series is None:
        return None
    series = record.series_named(spec.series)
    curves = [dict(zip(*numeric_series(run, spectrum_key(record.probe, key), x))) for key in series.keys()]
    steps = sorted(set().union(*curves))
    grid = np.array([[c.get(step, np.nan) for step in steps] for c in curves])  # (R, T)
    return grid, list(spec.rows), [int(step) for step in steps]


def plot_heatmaps(runs, maps, record: ProbeRecord, path: Path) -> Path:
    """Save the heat maps `maps` (one per run) side by side on one colour scale; return the path."""
    finite = np.concatenate([m[0][np.isfinite(m[0])] for m in maps] or [np.zeros(1)])
    spec = record.heatmap
    if spec.value_range is not None:
        lo, hi = spec.value_range[0], max(spec.value_range[1], float(finite.max()) if finite.size else 0.0)
    else:
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    fig, axes = _columns(len(runs), height=0.22 * max(len(m[1]) for m in maps) + 2.4, sharey=False)
    for ax, run, (values, labels, steps) in zip(axes, runs, maps):
        image = ax.imshow(values, aspect="auto", origin="lower", cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels, fontsize=7)
        ticks = np.unique(np.linspace(0, len(steps) - 1, min(len(steps), 5)).round().astype(int))
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(steps[i]) for i in ticks], fontsize=7)
        ax.set_title(label(run), fontsize=9)
        ax.set_xlabel("step")
    axes[0].set_ylabel(spec.axis.label)
    fig.colorbar(image, ax=list(axes), label=f"{record.probe}: {spec.label}")
    return _save(fig, path)


def plot_images(runs, record: ProbeRecord, path: Path) -> Path | None:
    """Save each run's last logged image of the probe (e.g. the Fourier heat map) side by side; None if none."""
    files = []
    for run in runs:
        logged = [row[image_key(record.probe)] for row in run.history if isinstance(row.get(image_key(record.probe)), dict)]
        files.append(run.media_file(logged[-1]) if logged and run.media_file(logged[-1]).exists() else None)
    if not any(files):
        return None
    fig, axes = _columns(len(runs), height=4.0, sharey=False)
    for ax, run, file in zip(axes, runs, files):
        ax.axis("off")
        ax.set_title(label(run), fontsize=9)
        if file is not None:
            ax.imshow(plt.imread(file))
    return _save(fig, path)


def plot_overlay(runs, keys: Sequence[str], x: str, path: Path, logy: bool = False) -> Path:
    """Save one panel per key (4 to a row) with one line per run (norm curves, losses); return the path."""
    ncols = min(4, len(keys))
    nrows = -(-len(keys) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 0.4, 2.9 * nrows), squeeze=False, layout="constrained")
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for ax, key in zip(axes.flat, keys):
        for run in runs:
            xs, ys = numeric_series(run, key, x)
            ax.plot(xs, ys, label=label(run), lw=1.2, marker="o" if len(xs) < 3 else None)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel(x)
        if logy and all(v > 0 for run in runs for v in numeric_series(run, key, x)[1]):
            ax.set_yscale("log")
    axes.flat[len(keys) - 1].legend(fontsize=7)
    return _save(fig, path)


def sweep_points(runs, param: str, metric: str) -> dict[Any, list[float]]:
    """Return {config value of `param`: [final `metric` of each run with it]}, sorted by value."""
    missing = [label(r) for r in runs if math.isnan(final_value(r, metric))]
    if missing:
        have = ", ".join(common_metrics(runs)[:10])
        raise CompareError(f"--metric {metric} has no value in {', '.join(missing)}; metrics all runs have: {have}")
    points: dict[Any, list[float]] = defaultdict(list)
    for run in runs:
        value = config_value(run, param)
        points[tuple(value) if isinstance(value, list) else value].append(final_value(run, metric))
    try:
        return dict(sorted(points.items()))
    except TypeError:  # mixed types (e.g. optimizer names and null): keep the order of the runs
        return dict(points)


def plot_sweep(points: dict[Any, list[float]], param: str, metric: str, path: Path) -> Path:
    """Save the final metric against the swept value (mean, and every run as a dot); return the path."""
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    values = list(points)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    xs = values if numeric else list(range(len(values)))
    for x, ys in zip(xs, points.values()):
        ax.scatter([x] * len(ys), ys, color="tab:blue", alpha=0.4, s=14)
    ax.plot(xs, [float(np.mean(ys)) for ys in points.values()], color="tab:blue", marker="o", label="mean over runs")
    if numeric and min(values) > 0 and max(values) / min(values) >= 8:
        ax.set_xscale("log", base=2)
    if not numeric:
        ax.set_xticks(xs)
        ax.set_xticklabels([str(v) for v in values])
    ax.set_xlabel(param)
    ax.set_ylabel(f"final {metric}")
    ax.set_title(f"{metric} against {param}")
    ax.legend(fontsize=8)
    return _save(fig, path)


def _order(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) and not isinstance(value, bool) else (1, 0, str(value))


# ---- the report -------------------------------------------------------------------------------
def compare(paths: Sequence[str | Path], out: str | Path, sweep_param: str | None = None,
            metric: str | None = None) -> Path:
    """Write the comparison PNGs and index.html of the runs at `paths` into `out`; return index.html."""
    runs = load_runs(paths)
    if sweep_param:  # panels in the order of the swept value
        runs.sort(key=lambda r: _order(config_value(r, sweep_param)))
    common = common_metrics(runs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x = x_axis(runs)
    figures: list[tuple[str, Path]] = []
    for probe, record in probe_records(runs, common).items():
        for series in record.series:
            path = out / f"convergence_{probe}_{series.quantity}.png"
            figures.append((f"{probe}: {series.label} per {series.axis.name}", plot_convergence(runs, probe, series, x, path)))
        if record.heatmap is not None:
            maps = [heatmap_data(run, record, x) for run in runs]
            if all(m is not None for m in maps):
                figures.append((f"{probe}: heat maps ({record.heatmap.label})",
                                plot_heatmaps(runs, maps, record, out / f"heatmap_{probe}.png")))
        if record.image is not None and (path := plot_images(runs, record, out / f"image_{probe}.png")) is not None:
            figures.append((f"{probe}: {record.image.label} (last image)", path))
        if record.scalars:
            keys = [spectrum_key(probe, k) for k in record.scalars]
            figures.append((f"{probe}: scalars", plot_overlay(runs, keys, x, out / f"scalars_{probe}.png")))
    norms = model_norm_keys(common)
    if norms:
        figures.append(("model norms", plot_overlay(runs, norms, x, out / "norms.png")))
    curves = {stage_key(stage, name) for stage in ("train", "val") for name in ("loss", "error")}
    losses = [k for k in common if k in curves]
    if losses:
        figures.append(("losses", plot_overlay(runs, losses, x, out / "losses.png", logy=True)))
    points = None
    if sweep_param:
        metric = metric or next((m for m in ("test/error", "test/loss", "val/error", "val/loss") if m in common), None)
        if metric is None:
            raise CompareError(f"give --metric for the sweep plot; metrics all runs have: {', '.join(common[:10])}")
        points = sweep_points(runs, sweep_param, metric)
        figures.append((f"sweep: {metric} against {sweep_param}", plot_sweep(points, sweep_param, metric, out / "sweep.png")))
    index = out / "index.html"
    index.write_text(render_html(runs, figures, sweep_param, metric, x))
    return index


def render_html(runs, figures: list[tuple[str, Path]], param: str | None, metric: str | None, x: str) -> str:
    """Return one self-contained-by-reference HTML page: a table of the runs, then every figure."""
    esc = html.escape
    head = ["run", "group", "tags", "steps", "state"] + ([param, f"final {metric}"] if param else [])
    rows = []
    for run in runs:
        state = "torn (crashed)" if run.torn else f"exit {run.exit_code}" if run.exited else "unfinished"
        last = run.history[-1].get(x, "") if run.history else ""
        cells = [label(run), run.group or "", ", ".join(run.tags), last, state]
        if param:
            cells += [config_value(run, param), f"{final_value(run, metric):.4g}"]
        rows.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in cells) + "</tr>")
    body = [
        "<!doctype html><html><head><meta charset='utf-8'><title>ibias run comparison</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}img{max-width:100%;margin-bottom:2em}</style></head><body>",
        f"<h1>Comparison of {len(runs)} runs</h1>",
        "<table><tr>" + "".join(f"<th>{esc(str(h))}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>",
    ]
    for title, path in figures:
        body.append(f"<h2>{esc(title)}</h2><img src='{esc(path.name)}' alt='{esc(title)}'>")
    body.append("</body></html>")
    return "\n".join(body)
