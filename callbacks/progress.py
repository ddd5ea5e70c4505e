"""A tqdm progress bar that also shows the loss and a one-glance spectrum: `spec=k5:.98 k25:.71 k50:.20`.

To run: `Trainer(callbacks=[SpectrumCallback(every_n_steps=100), SpectrumProgressBar()])`. Without a
SpectrumCallback (or before its first measurement) it is Lightning's TQDMProgressBar plus the loss.
"""

from __future__ import annotations

import lightning.pytorch as pl
from lightning.pytorch.callbacks import TQDMProgressBar

from .spectrum import SpectrumCallback


def short_number(value: float) -> str:
    """Return `value` in at most four characters for the bar: .98, 1.0, 12, -.31, nan."""
    if value != value or abs(value) >= 100:
        return f"{value:.0e}" if value == value else "nan"
    text = f"{value:.2f}" if abs(value) < 1 else f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"
    return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text


def spectrum_summary(callback: SpectrumCallback, max_rows: int = 5) -> str | None:
    """Return 'k5:.98 k10:.71 ...' from the latest heat-map row of the callback's first probe that has one."""
    for probe in callback.probes:
        rows = [r for r in callback.history[probe.name]["rows"] if r is not None]
        if not rows:
            continue
        row = rows[-1].flatten().tolist()  # (R,)
        heatmap = callback.records[probe.name].heatmap if probe.name in callback.records else None
        fits = heatmap is not None and len(heatmap.rows) == len(row)
        labels = list(heatmap.rows) if fits else [str(i) for i in range(len(row))]
        prefix = "k" if heatmap is not None and heatmap.axis.name == "frequency" else ""
        n = min(max_rows, len(row))  # evenly spaced rows, always the first and the last
        shown = sorted({round(i * (len(row) - 1) / max(n - 1, 1)) for i in range(n)})
        return " ".join(f"{prefix}{labels[i]}:{short_number(row[i])}" for i in shown)
    return None


class SpectrumProgressBar(TQDMProgressBar):
    """TQDMProgressBar whose postfix holds the loss and `spec=` (up to `max_rows` evenly spaced rows)."""

    def __init__(self, refresh_rate: int = 1, max_rows: int = 5, **kwargs) -> None:
        super().__init__(refresh_rate=refresh_rate, **kwargs)
        self.max_rows = max_rows

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict:
        """Return Lightning's bar metrics, plus the loss if the module did not put it there, plus `spec`."""
        items = super().get_metrics(trainer, pl_module)
        items.pop("v_num", None)  # the W&B run id: noise on the bar, it is printed at the end
        if not any("loss" in key for key in items):  # a module that logs its loss without prog_bar=True
            loss = next((v for k, v in trainer.callback_metrics.items() if k.endswith("loss") and v.numel() == 1), None)
            if loss is not None:
                items["loss"] = f"{float(loss):.3g}"
        for callback in trainer.callbacks:
            if isinstance(callback, SpectrumCallback):
                summary = spectrum_summary(callback, self.max_rows)
                if summary:
                    items["spec"] = summary
                break
        return items
