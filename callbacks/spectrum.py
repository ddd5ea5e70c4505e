"""SpectrumCallback: runs spectral probes on a model at a cadence and logs what they find.

To run: `trainer = Trainer(callbacks=[SpectrumCallback(every_n_steps=100)])` with a datamodule
that has `probe_set()`, or pass `probe_set=ProbeSet(...)` for any LightningModule whose
`forward` is prediction.
"""

from __future__ import annotations

from collections.abc import Sequence

import lightning.pytorch as pl
import torch

from ibias.analysis.plotting import save_heatmap
from ibias.measures.eval_mode import eval_mode
from ibias.probe_set import ProbeSet

from .cadence import CadencedCallback
from .logging import log_event, run_dir, wandb_runs
from .probes.base import Measurement, Probe
from .probes.grid import GridProbe


class SpectrumCallback(CadencedCallback):
    """Measures every probe at the cadence (and once before training); logs `spectrum/...`.

    History (step, epoch and heat-map rows of every probe) lives in `state_dict`, so a resumed
    run continues its heat maps. At the end of fit, and on a crash or Ctrl-C, each heat map is
    saved as `spectrum_<probe>.png` in the run directory and logged to W&B as an image and as a
    long-format table (step, row, value). A probe's latest `Measurement.image` (e.g. the Fourier
    heat map) is saved as `spectrum_<probe>_image.png` and logged as an image at the same times.
    """

    def __init__(
        self,
        probes: Sequence[Probe] | None = None,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        probe_set: ProbeSet | None = None,
        heatmap_every_n_events: int | None = None,
    ) -> None:
        super().__init__(every_n_steps, every_n_epochs)
        self.probes = list(probes) if probes is not None else [GridProbe()]
        names = [p.name for p in self.probes]
        if len(set(names)) != len(names):
            raise ValueError(f"SpectrumCallback: probe names must be unique, got {names}")
        self.explicit_probe_set = probe_set
        self.heatmap_every_n_events = heatmap_every_n_events
        self.history: dict[str, dict[str, list]] = {n: {"steps": [], "epochs": [], "rows": []} for n in names}
        self.images: dict[str, tuple[int, torch.Tensor]] = {}  # probe name -> (step, latest image)
        self._ready = False

    @property
    def state_key(self) -> str:
        # Unique per probe list, so a trainer can hold several SpectrumCallbacks (e.g. a sparse one
        # for an expensive probe) and each resumes its own history.
        return self._generate_state_key(probes=[p.name for p in self.probes])

    # ---- set-up -------------------------------------------------------------------------
    def _probe_set(self, trainer: pl.Trainer) -> ProbeSet:
        if self.explicit_probe_set is not None:
            return self.explicit_probe_set
        datamodule = getattr(trainer, "datamodule", None)
        if datamodule is None or not hasattr(datamodule, "probe_set"):
            raise ValueError(
                "SpectrumCallback has no probe data: pass SpectrumCallback(probe_set=ProbeSet(inputs=...)) "
                f"or train with a datamodule that has a probe_set() method (got {type(datamodule).__name__})."
            )
        return datamodule.probe_set()

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and trainer.is_global_zero and not self._ready:
            probe_set = self._probe_set(trainer).to(pl_module.device)
            for probe in self.probes:
                probe.setup(probe_set)
            self._ready = True

    # ---- scheduling ---------------------------------------------------------------------
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._measure(trainer, pl_module)  # the initial spectrum, as in Rahaman et al. Fig. 1

    def _measure(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.sanity_checking:
            return
        step = trainer.global_step
        first = self.history[self.probes[0].name]["steps"]
        if first and first[-1] == step:  # gradient accumulation, or a resume at this step
            return
        with eval_mode(pl_module):
            results = {probe.name: probe.measure(pl_module) for probe in self.probes}
        metrics: dict[str, float] = {}
        for name, result in results.items():
            metrics.update({f"spectrum/{name}/{key}": value for key, value in result.scalars.items()})
            self._remember(name, step, trainer.current_epoch, result)
        log_event(trainer, metrics)
        events = len(first)
        if self.heatmap_every_n_events and events % self.heatmap_every_n_events == 0:
            self._publish(trainer, results, final=False)

    def _remember(self, name: str, step: int, epoch: int, result: Measurement) -> None:
        record = self.history[name]
        record["steps"].append(step)
        record["epochs"].append(epoch)
        record["rows"].append(None if result.row is None else result.row.detach().float().cpu())
        if result.image is not None:
            self.images[name] = (step, result.image.detach().float().cpu())

    # ---- output -------------------------------------------------------------------------
    def heatmap(self, name: str) -> tuple[torch.Tensor, list[int]] | None:
        """Return probe `name`'s history as (R rows x T times) and the steps, or None."""
        record = self.history[name]
        rows = [r for r in record["rows"] if r is not None]
        if not rows:
            return None
        steps = [s for s, r in zip(record["steps"], record["rows"]) if r is not None]
        return torch.stack(rows, dim=1), steps

    def _publish(self, trainer: pl.Trainer, results: dict[str, Measurement] | None, final: bool) -> None:
        if not trainer.is_global_zero:
            return
        payload: dict = {}
        for probe in self.probes:
            hm = self.heatmap(probe.name)
            if hm is None:
                continue
            values, steps = hm
            path = save_heatmap(
                run_dir(trainer) / f"spectrum_{probe.name}.png",
                values.numpy(), probe.row_labels, steps,
                title=f"{probe.name}: {probe.value_label}", row_axis=probe.row_axis,
                value_label=probe.value_label, value_range=probe.value_range,
            )
            payload[f"spectrum/{probe.name}/heatmap"] = path
            if final:
                payload[f"spectrum/{probe.name}/heatmap_table"] = (values, steps, probe.row_labels)
        for probe in self.probes:
            if probe.name in self.images:
                step, image = self.images[probe.name]
                rows = probe.image_row_labels or [str(i) for i in range(image.shape[0])]
                cols = probe.image_col_labels or [str(j) for j in range(image.shape[1])]
                label = probe.image_value_label or probe.value_label
                payload[f"spectrum/{probe.name}/image"] = save_heatmap(
                    run_dir(trainer) / f"spectrum_{probe.name}_image.png", image.numpy(), rows, cols,
                    title=f"{probe.name} at step {step}: {label}", row_axis=probe.image_row_axis,
                    value_label=label, value_range=probe.image_value_range, time_axis=probe.image_col_axis,
                )
        for run in wandb_runs(trainer):
            import wandb

            row = {}
            for key, value in payload.items():
                if key.endswith("_table"):
                    values, steps, labels = value
                    data = [[s, lab, float(values[i, j])] for j, s in enumerate(steps) for i, lab in enumerate(labels)]
                    row[key] = wandb.Table(columns=["step", "row", "value"], data=data)
                else:
                    row[key] = wandb.Image(str(value))
            if row:
                row["trainer/global_step"] = trainer.global_step
                run.log(row)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._publish(trainer, None, final=True)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._publish(trainer, None, final=True)  # a crash or Ctrl-C keeps what was measured

    # ---- resume -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"history": self.history, "images": self.images}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = state_dict["history"]
        self.images = state_dict.get("images", {})
