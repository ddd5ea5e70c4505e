"""A tqdm progress bar that also shows the loss and a one-glance spectrum: `spec=k5:.98 k25:.71 k50:.20`.

To run: `Trainer(callbacks=[SpectrumCallback(every_n_steps=100), SpectrumProgressBar()])`. Without a
SpectrumCallback (or before its first measurement) it is Lightning's TQDMProgressBar plus the loss.
It redraws by time (every `refresh_seconds`), not every step: Lightning's bar redraws at every batch and
epoch, which cost about as much as a whole training step of a small MLP (scripts/bench.py).
"""

from __future__ import annotations

import sys
import time

import lightning.pytorch as pl
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

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


class TimedTqdm(Tqdm):
    """Lightning's Tqdm that draws at most once every `min_seconds`; closing it always draws the final state.

    Lightning forces a redraw (tqdm's refresh) at every batch, epoch start and epoch end, bypassing tqdm's
    own `mininterval`; this bar skips the redraws that come too soon.
    """

    def __init__(self, *args, min_seconds: float = 0.5, **kwargs) -> None:
        self.min_seconds, self.drawn_at = min_seconds, -float("inf")
        super().__init__(*args, **kwargs)

    def due(self) -> bool:
        """True when `min_seconds` have passed since the last drawing."""
        return time.monotonic() - self.drawn_at >= self.min_seconds

    def refresh(self, nolock: bool = False, lock_args=None):
        if not self.due():
            return False
        self.drawn_at = time.monotonic()
        return super().refresh(nolock=nolock, lock_args=lock_args)


class SpectrumProgressBar(TQDMProgressBar):
    """TQDMProgressBar whose postfix holds the loss and `spec=` (up to `max_rows` evenly spaced rows).

    The training bar is redrawn at most every `refresh_seconds` (and at the end), and its metrics are only
    gathered when it is redrawn.
    """

    def __init__(self, refresh_rate: int = 1, max_rows: int = 5, refresh_seconds: float = 0.5, **kwargs) -> None:
        super().__init__(refresh_rate=refresh_rate, **kwargs)
        if not refresh_seconds >= 0:
            raise ValueError(f"refresh_seconds={refresh_seconds!r} must be >= 0 (0 redraws at every batch)")
        self.max_rows, self.refresh_seconds = max_rows, float(refresh_seconds)
        self._batches_done = 0

    def init_train_tqdm(self) -> Tqdm:
        """Return the training bar of TQDMProgressBar.init_train_tqdm, redrawn by time."""
        return TimedTqdm(desc=self.train_description, position=2 * self.process_position, disable=self.is_disabled, leave=True,
                         dynamic_ncols=True, file=sys.stdout, smoothing=0, bar_format=self.BAR_FORMAT,
                         min_seconds=self.refresh_seconds)

    def _due(self) -> bool:
        bar = self.train_progress_bar
        return not isinstance(bar, TimedTqdm) or bar.due()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self._batches_done = batch_idx + 1
        if self._due():  # else skip even gathering the metrics
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._due():
            super().on_train_epoch_end(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        bar = self.train_progress_bar
        if bar is not None and not bar.disable:  # the final state, which closing the bar draws
            bar.n = self._batches_done
            bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
        super().on_train_end(trainer, pl_module)

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict:
        """Return Lightning's bar metrics, plus the loss if the module did not put it there, plus `spec`."""
        items = super().get_metrics(trainer, pl_module)
        items.pop("v_num", None)  # the W&B run id: noise on the bar, it is printed at the end
        metrics = trainer.callback_metrics
        for key, value in metrics.items():  # train values logged without prog_bar (ibias.run.tasks), read only now
            if key.startswith("train/") and key not in items and value.numel() == 1:
                items[key] = f"{float(value):.3g}"
        if not any("loss" in key for key in items):  # a module that logs its loss without prog_bar=True
            loss = next((v for k, v in metrics.items() if k.endswith("loss") and v.numel() == 1), None)
            if loss is not None:
                items["loss"] = f"{float(loss):.3g}"
        for callback in trainer.callbacks:
            if isinstance(callback, SpectrumCallback):
                summary = spectrum_summary(callback, self.max_rows)
                if summary:
                    items["spec"] = summary
                break
        return items
