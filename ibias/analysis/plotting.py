"""Pictures of analysis results (matplotlib, headless): heat maps over training."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on clusters or CI
import matplotlib.pyplot as plt
import numpy as np


def heatmap_figure(
    values: np.ndarray,
    row_labels: Sequence[str],
    steps: Sequence[int],
    title: str = "",
    row_axis: str = "frequency",
    value_label: str = "value",
    value_range: tuple[float, float] | None = None,
    time_axis: str = "step",
) -> plt.Figure:
    """Return a figure of `values` (R rows x T times): rows bottom-up, time left to right."""
    values = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(row_labels) + 2.2))
    lo, hi = value_range if value_range is not None else (None, None)
    image = ax.imshow(values, aspect="auto", origin="lower", cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_yticks(range(len(row_labels)))
    ax.set_yticklabels(row_labels)
    ticks = np.unique(np.linspace(0, len(steps) - 1, min(len(steps), 8)).round().astype(int))
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(steps[i]) for i in ticks])
    ax.set_xlabel(time_axis)
    ax.set_ylabel(row_axis)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=value_label)
    fig.tight_layout()
    return fig


def save_figure(fig: plt.Figure, path: Path | str) -> Path:
    """Write `fig` as a PNG at `path` (110 dpi, the folder made if missing), close it and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def save_heatmap(path: Path | str, *args, **kwargs) -> Path:
    """Render heatmap_figure(*args, **kwargs) to a PNG at `path` and return the path."""
    return save_figure(heatmap_figure(*args, **kwargs), path)
