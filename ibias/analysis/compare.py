"""Local comparison of W&B runs (read offline with ibias.wandb_io): PNGs and one index.html.

Figures: per-frequency convergence curves and spectrum heat maps side by side (one column per run),
norm curves, losses, and a sweep plot (a final metric against a config value, e.g. test error
against model.width for double descent).

To run: `python scripts/compare.py multirun/double_descent/... --sweep-param model.width --metric test/error`.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: clusters and CI have no display
import matplotlib.pyplot as plt
import numpy as np

from .wandb_io import RunRecord, find_runs, read_run

# Keys every run has whatever it logged: wandb's own and the step axes.
AXES = {"_step", "_runtime", "_timestamp", "trainer/global_step", "epoch"}
FREQ_KEY = re.compile(r"^spectrum/(?P<probe>[^/]+)/(?P<qty>amp|relerr)_k(?P<k>\d+)$")


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
    return runs


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
    return "trainer/global_step" if all(any("trainer/global_step" in r for r in run.history) for run in runs) else "_step"


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


def frequency_keys(runs: Sequence[RunRecord], common: Sequence[str]) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """Return {(probe, amp|relerr): [(k, key), ...] sorted by k} over the common per-frequency metrics."""
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for key in common:
        m = FREQ_KEY.match(key)
        if m:
            groups[(m["probe"], m["qty"])].append((int(m["k"]), key))
    return {g: sorted(v) for g, v in sorted(groups.items())}


def plot_convergence(runs, keys: list[tuple[int, str]], title: str, x: str, path: Path) -> Path:
    """Save per-frequency curves (one line per k, colour by k), one panel per run; return the path."""
    fig, axes = _columns(len(runs))
    colors = plt.cm.viridis(np.linspace(0, 1, len(keys)))
    for ax, run in zip(axes, runs):
        for color, (k, key) in zip(colors, keys):
            xs, ys = numeric_series(run, key, x)
            ax.plot(xs, ys, color=color, label=f"k={k}", lw=1.2)
        ax.set_title(label(run), fontsize=9)
        ax.set_xlabel(x)
    axes[0].set_ylabel(title)
    axes[-1].legend(fontsize=7, loc="best", ncol=2 if len(keys) > 6 else 1)
    return _save(fig, path)


def heatmap_data(run: RunRecord, probe: str, keys: list[tuple[int, str]], x: str):
    """Return (values R x T, row labels, steps) from the logged heat-map table, else the amp scalars."""
    for row in reversed(run.history):
        value = row.get(f"spectrum/{probe}/heatmap_table")
        if isinstance(value, dict) and run.media_file(value).exists():
            columns, data = run.table(value)
            s, r, v = (columns.index(c) for c in ("step", "row", "value"))
            steps = sorted({d[s] for d in data})
            labels = list(dict.fromkeys(d[r] for d in data))
            grid = np.full((len(labels), len(steps)), np.nan)
            for d in data:
                grid[labels.index(d[r]), steps.index(d[s])] = d[v]
            return grid, [str(lab) for lab in labels], steps
    series = [dict(zip(*numeric_series(run, key, x))) for _, key in keys]
    steps = sorted(set().union(*series))
    grid = np.array([[s.get(step, np.nan) for step in steps] for s in series])  # (K, T)
    return grid, [str(k) for k, _ in keys], [int(step) for step in steps]


def plot_heatmaps(runs, probe: str, keys: list[tuple[int, str]], x: str, path: Path) -> Path:
    """Save the spectrum heat maps of all runs side by side on one colour scale; return the path."""
    maps = [heatmap_data(run, probe, keys, x) for run in runs]
    finite = np.concatenate([m[0][np.isfinite(m[0])] for m in maps] or [np.zeros(1)])
    lo, hi = (0.0, max(1.0, float(finite.max()))) if finite.size else (0.0, 1.0)
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
    axes[0].set_ylabel("frequency")
    fig.colorbar(image, ax=list(axes), label=f"{probe}: |f̂(k)| / A_k")
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
    for (probe, qty), keys in frequency_keys(runs, common).items():
        what = "|f̂(k)| / A_k" if qty == "amp" else "relative error per frequency"
        figures.append((f"{probe}: {what}", plot_convergence(runs, keys, what, x, out / f"convergence_{probe}_{qty}.png")))
        if qty == "amp":
            figures.append((f"{probe}: spectrum heat maps", plot_heatmaps(runs, probe, keys, x, out / f"heatmap_{probe}.png")))
    norms = [k for k in common if k.startswith("norms/model/")]
    if norms:
        figures.append(("model norms", plot_overlay(runs, norms, x, out / "norms.png")))
    losses = [k for k in common if re.fullmatch(r"(train|val)/(loss|error)", k)]
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
