"""Reading CIFAR-10 in its official Python format (`cifar-10-batches-py`), without md5 checks.

Each of data_batch_1 … data_batch_5 and test_batch is a pickled dict with `data`, an (N, 3072)
uint8 array whose rows are the red, green and blue 32×32 planes in row-major order, and `labels`,
N integers in 0 … 9. torchvision's `CIFAR10` reads the same files but insists on the official md5
sums; this reader does not, so small generated data sets (the tests') load the same way.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class CIFAR10Tensors(NamedTuple):
    """uint8 images (N, 3, 32, 32) and int64 labels (N,) for the training and test sets."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def cifar10_folder(root: str | Path) -> Path:
    """Return root/cifar-10-batches-py after checking that it exists, with a fix in the error if not."""
    folder = Path(root).expanduser() / FOLDER
    if not folder.is_dir():
        raise FileNotFoundError(
            f"data.root={root} has no {FOLDER} (looked for {folder.resolve()}); set data.download=true on a machine "
            f"with internet, or point data.root at a folder that contains {FOLDER} (from "
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, unpacked)"
        )
    return folder


def read_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (images (N, 3, 32, 32) uint8, labels (N,) int64) from one pickled batch file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; the CIFAR-10 folder needs {', '.join(TRAIN_FILES)} and {TEST_FILE}")
    with open(path, "rb") as f:
        entry = pickle.load(f, encoding="latin1")  # the official files were pickled by Python 2
    entry = {k.decode() if isinstance(k, bytes) else k: v for k, v in entry.items()}
    if "data" not in entry or "labels" not in entry:
        raise ValueError(f"{path} is not a CIFAR-10 batch: it has keys {sorted(entry)}, expected 'data' and 'labels'")
    data = np.asarray(entry["data"], dtype=np.uint8)
    labels = np.asarray(entry["labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise ValueError(f"{path}: data has shape {data.shape} and {len(labels)} labels; expected (N, 3072) and N labels")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{path}: labels span [{labels.min()}, {labels.max()}], expected classes 0 … 9")
    return torch.from_numpy(data.reshape(-1, 3, 32, 32).copy()), torch.from_numpy(labels)


def read_cifar10(root: str | Path) -> CIFAR10Tensors:
    """Return the five training batches concatenated and the test batch, as uint8/int64 tensors."""
    folder = cifar10_folder(root)
    train = [read_batch(folder / name) for name in TRAIN_FILES]
    x_test, y_test = read_batch(folder / TEST_FILE)
    return CIFAR10Tensors(torch.cat([x for x, _ in train]), torch.cat([y for _, y in train]), x_test, y_test)
