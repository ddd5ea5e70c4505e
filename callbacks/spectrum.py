"""SpectrumCallback: runs spectral probes on a model at a cadence and logs what they find.

To run: `trainer = Trainer(callbacks=[SpectrumCallback(every_n_steps=100)])` with a datamodule
that has `probe_set()`, or pass `probe_set=ProbeSet(...)` for any LightningModule whose
`forward` is prediction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property

import lightning.pytorch as pl
import torch

from ibias.analysis.plotting import save_heatmap
from ibias.analysis.records import (
    TABLE_COLUMNS,
    ProbeRecord,
    heatmap_key,
    heatmap_rows,
    heatmap_table_key,
    image_key,
    records_config,
    spectrum_key,
)
from ibias.measures.eval_mode import eval_mode
from ibias.probe_set import ProbeSet

from .cadence import CadencedCallback
from .logging import declare, log_media, run_dir
from .probes.base import Measurement, Probe
from .probes.grid import GridProbe


class SpectrumCallback(CadencedCallback):
    """Measures every probe at the cadence (and once before training); logs `spectrum/<probe>/<key>`.

    At set-up each probe's declaration (ibias.analysis.records.ProbeRecord: what its keys mean) goes
    into the run's config. History (step, epoch and heat-map rows of every probe) lives in
    `state_dict`, so a resumed run continues its heat maps. At the end of fit, and on a crash or
    Ctrl-C, each heat map is saved as `spectrum_<probe>.png` in the run directory and logged to W&B
    as an image and as a long-format table (step, row, value). A probe's latest `Measurement.image`
    (e.g. the Fourier heat map) is saved as `spectrum_<probe>_image.png` and logged as an image at
    the same times; `heatmap_every_n_events` also does both during training. `probes` is a list,
    or a mapping {name: probe} (configs use one, so an override names the probe, not its index).
    """

    def __init__(
        self,
        probes: Sequence[Probe] | Mapping[str, Probe | None] | None = None,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        probe_set: ProbeSet | None = None,
        heatmap_every_n_events: int | None = None,
    ) -> None:
        super().__init__(every_n_steps, every_n_epochs, probe_set, publish_every_n_events=heatmap_every_n_events)
        if isinstance(probes, Mapping):  # from a config: {name: probe}, so overrides say probes.filter.subset=100
            probes = [p for p in probes.values() if p is not None]  # probes.<name>=null drops one
        self.probes = list(probes) if probes is not None else [GridProbe()]
        names = [p.name for p in self.probes]
        if len(set(names)) != len(names):
            raise ValueError(f"SpectrumCallback: probe names must be unique, got {names}")
        self.history: dict[str, dict[str, list]] = {n: {"steps": [], "epochs": [], "rows": []} for n in names}
        self.images: dict[str, tuple[int, torch.Tensor]] = {}  # probe name -> (step, latest image)
        self.records: dict[str, ProbeRecord] = {}  # probe name -> what it logs, once set up

    @cached_property  # Lightning reads it at every hook call (several per step); it never changes
    def state_key(self) -> str:
        # Unique per probe list, so a trainer can hold several SpectrumCallbacks (e.g. a sparse one
        # for an expensive probe) and each resumes its own history.
        return self._generate_state_key(probes=[p.name for p in self.probes])

    # ---- set-up -------------------------------------------------------------------------
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or not trainer.is_global_zero or self.records:
            return
        probe_set = self.find_probe_set(trainer)
        if probe_set is None:
            raise ValueError(
                "SpectrumCallback has no probe data: pass SpectrumCallback(probe_set=ProbeSet(inputs=...)) "
                f"or train with a datamodule that has a probe_set() method (got {type(trainer.datamodule).__name__})."
            )
        probe_set = probe_set.to(pl_module.device)
        for probe in self.probes:
            probe.setup(probe_set)
        self.records = {p.name: p.record() for p in self.probes}
        declare(trainer, records_config(self.records.values()))

    # ---- measuring ----------------------------------------------------------------------
    def logged_steps(self) -> list[int]:
        return self.history[self.probes[0].name]["steps"]

    def measure_event(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, float]:
        with eval_mode(pl_module):
            results = {probe.name: probe.measure(pl_module) for probe in self.probes}
        metrics: dict[str, float] = {}
        for name, result in results.items():
            metrics.update({spectrum_key(name, key): value for key, value in result.scalars.items()})
            self._remember(name, trainer.global_step, trainer.current_epoch, result)
        return metrics

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

    def publish(self, trainer: pl.Trainer, final: bool) -> None:
        """Save each probe's heat map and image as PNGs and log them (and, when final, the heat-map tables)."""
        images, tables = {}, {}
        for probe in self.probes:
            declared = self.records.get(probe.name)
            hm = self.heatmap(probe.name)
            if hm is not None and declared is not None and declared.heatmap is not None:
                values, steps = hm
                spec = declared.heatmap
                path = save_heatmap(run_dir(trainer) / f"spectrum_{probe.name}.png", values.numpy(), spec.rows, steps,
                                    title=f"{probe.name}: {spec.label}", row_axis=spec.axis.label,
                                    value_label=spec.label, value_range=spec.value_range)
                images[heatmap_key(probe.name)] = path
                if final:
                    tables[heatmap_table_key(probe.name)] = (list(TABLE_COLUMNS), heatmap_rows(values.tolist(), steps, spec.rows))
            if probe.name in self.images and declared is not None and declared.image is not None:
                step, image = self.images[probe.name]
                spec = declared.image
                path = save_heatmap(run_dir(trainer) / f"spectrum_{probe.name}_image.png", image.numpy(), spec.rows,
                                    spec.cols, title=f"{probe.name} at step {step}: {spec.label}",
                                    row_axis=spec.row_axis.label, value_label=spec.label,
                                    value_range=spec.value_range, time_axis=spec.col_axis.label)
                images[image_key(probe.name)] = path
        log_media(trainer, images, tables)

    # ---- resume -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        probes = {p.name: state for p in self.probes if (state := p.state_dict())}
        return {"history": self.history, "images": self.images, "probes": probes}

    def load_state_dict(self, state_dict: dict) -> None:
        self.history = state_dict["history"]
        self.images = state_dict.get("images", {})
        for probe in self.probes:
            if probe.name in state_dict.get("probes", {}):
                probe.load_state_dict(state_dict["probes"][probe.name])
