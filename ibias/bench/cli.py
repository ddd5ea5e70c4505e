"""The command line of scripts/bench.py: one entry point, a subcommand per benchmark (train by default)."""

from __future__ import annotations

import argparse
import importlib

from .models import MODEL_INPUTS
from .train_runs import CASES, DEFAULT_CASES

# subcommand -> (module of ibias.bench, function): imported when chosen, so `--help` does not load the training stack
COMMANDS = {"train": ("train_runs", "bench_train"), "gpu": ("gpu", "bench_gpu"), "models": ("models", "bench_models"),
            "norms": ("norms", "bench_norms"), "probes": ("image_probes", "bench_probes"),
            "curvature": ("curvature", "bench_curvature")}


def parser_of(description: str) -> argparse.ArgumentParser:
    """Return the parser of every subcommand and its options."""
    parser = argparse.ArgumentParser(description=description)
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="ibias as users run it vs a plain PyTorch loop (the default)")
    gpu = sub.add_parser("gpu", help="resnet18k CIFAR-10 epochs on a GPU, ibias vs a plain loop")
    for p in (parser, train, gpu):
        p.add_argument("--repeats", type=int, default=3 if p is not gpu else 2)
        p.add_argument("--threads", type=int, default=None, help="threads=N for ibias and the plain loop (default: the config's)")
        p.add_argument("--scale", type=float, default=1.0, help="multiply every run length (e.g. 0.2 for a smoke test)")
        p.add_argument("--markdown", action="store_true", help="also print the summary as a markdown table")
        p.add_argument("--floor", action="store_true", help="also time ibias with nothing but Lightning's loop")
        p.add_argument("--pairs", action="store_true",
                       help="long runs only, ibias and its plain loop back to back: the train loop per step alone")
    for p in (parser, train):
        p.add_argument("--cases", nargs="+", default=list(DEFAULT_CASES), choices=list(CASES))
        p.add_argument("--lockstep", action="store_true",
                       help="as --pairs, but both at once, taking turns every --every steps (CPU: drift hits both alike)")
        p.add_argument("--every", type=int, default=50, help="--lockstep: steps per turn")
    gpu.add_argument("--k", type=int, default=64, help="resnet18k width")
    gpu.add_argument("--epochs", type=int, nargs=2, default=[1, 3], help="the two run lengths, in epochs")
    gpu.add_argument("--compile", action="store_true", help="also time both with torch.compile (task.compile=true)")
    models = sub.add_parser("models", help="one training step of each registered model")
    models.add_argument("--models", nargs="*", default=list(MODEL_INPUTS), choices=list(MODEL_INPUTS))
    models.add_argument("--steps", type=int, default=5)
    models.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    models.add_argument("--device", default="cpu")
    norms = sub.add_parser("norms", help="WeightNormCallback on resnet18k(k): exact SVD vs power iteration")
    norms.add_argument("--k", type=int, default=64)
    norms.add_argument("--repeats", type=int, default=3)
    norms.add_argument("--threads", type=int, default=1)
    norms.add_argument("--skip-full", action="store_true", help="only the cheap default set")
    norms.add_argument("--exact-max-dim", type=int, default=256, help="method=auto: exact SVD up to this short side")
    norms.add_argument("--power-tol", type=float, default=1e-6, help="power iteration: stop below this relative change")
    probes = sub.add_parser("probes", help="each image probe's cost per call on resnet18k(k)")
    probes.add_argument("--k", type=int, default=64)
    probes.add_argument("--subset", type=int, default=1000, help="probe images (the experiments use 256-1000; CPU: try 32)")
    probes.add_argument("--max-freq", type=int, default=15, help="Fourier heat map: |u|, |v| <= this (CPU: try 2)")
    probes.add_argument("--repeats", type=int, default=3)
    probes.add_argument("--threads", type=int, default=None)
    probes.add_argument("--device", default=None, help="default: cuda when present, else cpu")
    curvature = sub.add_parser("curvature", help="NTKProbe and SharpnessProbe on the default experiment's MLP")
    curvature.add_argument("--repeats", type=int, default=5)
    curvature.add_argument("--threads", type=int, default=1)
    curvature.add_argument("--points", type=int, default=200)
    curvature.add_argument("--width", type=int, default=256)
    curvature.add_argument("--depth", type=int, default=6)
    return parser


def main(description: str = "Speed benchmarks of ibias") -> None:
    args = parser_of(description).parse_args()
    if getattr(args, "device", "") is None:
        import torch

        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    module, function = COMMANDS[args.command or "train"]
    getattr(importlib.import_module(f"ibias.bench.{module}"), function)(args)
