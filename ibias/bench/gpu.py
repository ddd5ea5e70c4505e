"""The GPU case of the train benchmark: resnet18k epochs on CIFAR-10-format data, ibias vs the plain loop.

CIFAR-10 itself is not needed: random images and labels are written in the official format (only timing
is measured), and both sides train on the same device-resident data.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from .train_runs import Case, bench_train


def write_cifar10_format(root: Path, n_train: int = 50_000, n_test: int = 10_000, seed: int = 0) -> Path:
    """Write random images and labels as root/cifar-10-batches-py in the official pickle format; return root.

    Each batch is a dict with `data` (N, 3072) uint8 rows of red, green and blue 32x32 planes and `labels`
    (N ints in 0..9), pickled with protocol 2 like the originals. Random labels: only timing is measured.
    """
    import pickle

    import numpy as np

    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [(f"data_batch_{i}", n_train // 5) for i in range(1, 6)] + [("test_batch", n_test)]
    for name, n in names:
        entry = {"batch_label": name, "labels": rng.integers(0, 10, n).tolist(),
                 "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "filenames": [f"{i}.png" for i in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)
    return root


def gpu_cases(root: Path, k: int, epochs: tuple[int, int], compile_too: bool) -> dict[str, Case]:
    """Return the GPU cases: resnet18k(k), batch 128, bf16-mixed, channels_last, with and without torch.compile."""
    overrides = ("data=cifar10", f"data.root={root}", "model=resnet18k", f"model.k={k}", "task=classification",
                 "callbacks=none", "trainer.accelerator=gpu", "trainer.precision=bf16-mixed", "task.channels_last=true")
    label = (f"resnet18k({k}) on CIFAR-10-format data (50,000 images on the GPU, crop+flip there), batch 128, "
             "bf16-mixed, channels_last")
    cases = {"resnet18k": Case(label, overrides, "epochs", *epochs)}
    if compile_too:
        cases["resnet18k_compile"] = Case(label + ", torch.compile", overrides + ("task.compile=true",), "epochs", *epochs)
    return cases


def bench_gpu(args: argparse.Namespace) -> None:
    """Time resnet18k epochs on the GPU through scripts/train.py and through the plain loop; print the GPU's name."""
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("bench.py gpu needs a CUDA GPU (torch.cuda.is_available() is False)")
    print(f"GPU: {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}", flush=True)
    args.lockstep = False  # turns are handed over without waiting for the GPU's queue: a CPU tool
    with tempfile.TemporaryDirectory() as tmp:
        root = write_cifar10_format(Path(tmp))
        bench_train(args, gpu_cases(root, args.k, tuple(args.epochs), args.compile))
