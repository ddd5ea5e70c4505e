"""A real Lightning Logger that keeps every log_metrics call in memory, for callback tests."""

from __future__ import annotations

from lightning.pytorch.loggers import Logger


class RecordingLogger(Logger):
    """Keeps (step, metrics) of every log_metrics call in `rows`; save_dir is where callbacks write files."""

    name, version = "recording", "0"

    def __init__(self, save_dir):
        super().__init__()
        self.rows, self._save_dir = [], str(save_dir)

    @property
    def save_dir(self):
        return self._save_dir

    def log_metrics(self, metrics, step=None):
        self.rows.append((step, dict(metrics)))

    def log_hyperparams(self, params, *args, **kwargs):
        pass
