"""Yin et al.'s Fourier heat map (docs/references.md §14): a naturally trained CIFAR-10 net is robust at low frequencies.

Runs experiment=fourier_heatmap_cifar10 (ResNet-9 with crop + flip, FourierHeatmapProbe: error rate on 1000
test images under unit-norm Fourier-basis noise of norm ε = 4, a 31×31 map) and checks, on the last map,
that the mean error over its low-frequency centre (max(|u|, |v|) <= 2) is below the mean over its outer ring
(max(|u|, |v|) = 15). Yin et al. [fig]: ≈0.1–0.2 at the centre, 0.5–0.8 elsewhere. Needs CIFAR-10 under
data.root and a GPU (a map is ≈481k forward passes); without either, NOT CHECKED with the command to run.
"""

from __future__ import annotations

from pathlib import Path

from ..claim import Claim, ClaimRun, Outcome, RunSpec, Setting, fmt, verdict
from ..records import STEP_AXIS, spectrum_key
from .frequency_principle_cifar10 import cifar10_unavailable

NAME = "fourier_heatmap_cifar10"


def runs(setting: Setting) -> list[RunSpec]:
    """Return one run per seed of experiment=fourier_heatmap_cifar10."""
    return [RunSpec(f"resnet9_s{s}", (f"experiment={NAME}", f"seed={s}")) for s in setting.seeds]


def last(run: ClaimRun, key: str) -> float:
    """Return the last logged value of the Fourier heat-map probe's scalar `key`."""
    _, values = run.record.series(spectrum_key("fourier_heatmap", key), x=STEP_AXIS)
    if not values:
        raise ValueError(f"{run.record.path} logged no {spectrum_key('fourier_heatmap', key)}")
    return float(values[-1])


def check(setting: Setting, runs: dict[str, ClaimRun], out: Path) -> Outcome:
    """Return: in every seed, the last map's centre error is below its outer ring's."""
    values = {name: {k: last(r, k) for k in ("centre_error", "ring_error", "clean_error")} for name, r in runs.items()}
    ok = all(v["centre_error"] < v["ring_error"] for v in values.values())
    measured = "; ".join(f"{n}: centre {fmt(v['centre_error'])}, ring {fmt(v['ring_error'])}" for n, v in values.items())
    table = [(f"{n}: error at the centre / outer ring / clean", f"{fmt(v['centre_error'])} / {fmt(v['ring_error'])} / "
              f"{fmt(v['clean_error'])}", "≈0.1–0.2 / 0.5–0.8 [fig]") for n, v in values.items()]
    figures = [p for r in runs.values() for p in [r.folder / "spectrum_fourier_heatmap_image.png"] if p.exists()]
    return Outcome(verdicts=[verdict("centre_error_below_outer_ring", ok, measured, "centre < ring in every seed")],
                   table=table, figures=figures)


CLAIM = Claim(
    name=NAME,
    paper="Yin et al. 2019, Fourier heat map (docs/references.md §14)",
    summary="a naturally trained CIFAR-10 ResNet errs less under low-frequency than under high-frequency Fourier noise",
    runtime_full="GPU: 30 epochs and 4 maps of 481k forward passes (not measured here: no GPU)",
    runtime_quick="NOT CHECKED (no reduced setting)",
    runs=runs,
    check=check,
    statements=("centre_error_below_outer_ring",),
    unavailable=lambda setting: cifar10_unavailable(NAME, setting),
)
