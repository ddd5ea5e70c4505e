"""Write a tiny CIFAR-10 in the official `cifar-10-batches-py` pickle format, from the format's spec.

Written independently of datamodules/cifar10_format.py (which only reads): images start as
(N, 32, 32, 3) HWC arrays, as PIL/torchvision see them, and each row of `data` is the red plane,
then green, then blue, each 32×32 row-major; dicts pickled with protocol 2 like the originals.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np


def tiny_cifar10_arrays(per_batch: int = 20, num_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """Return the random HWC uint8 images (N, 32, 32, 3) and labels (N,) that write_tiny_cifar10 writes."""
    rng = np.random.default_rng(seed)
    return {"train_hwc": rng.integers(0, 256, (5 * per_batch, 32, 32, 3), dtype=np.uint8),
            "test_hwc": rng.integers(0, 256, (num_test, 32, 32, 3), dtype=np.uint8),
            "train_y": rng.integers(0, 10, 5 * per_batch), "test_y": rng.integers(0, 10, num_test)}


def write_tiny_cifar10(root: Path, per_batch: int = 20, num_test: int = 20, seed: int = 0) -> Path:
    """Write 5 training batches of `per_batch` images and a test batch under root/cifar-10-batches-py; return root."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    arrays = tiny_cifar10_arrays(per_batch, num_test, seed)
    train_hwc, train_y, test_hwc, test_y = arrays["train_hwc"], arrays["train_y"], arrays["test_hwc"], arrays["test_y"]

    def dump(name: str, hwc: np.ndarray, labels: np.ndarray) -> None:
        planes = [hwc[..., c].reshape(len(hwc), 1024) for c in range(3)]  # R, G, B planes
        entry = {"batch_label": name, "labels": [int(v) for v in labels], "data": np.concatenate(planes, axis=1),
                 "filenames": [f"img_{i}.png" for i in range(len(hwc))]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)

    for i in range(5):
        part = slice(i * per_batch, (i + 1) * per_batch)
        dump(f"data_batch_{i + 1}", train_hwc[part], train_y[part])
    dump("test_batch", test_hwc, test_y)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                                     "truck"], "num_cases_per_batch": per_batch, "num_vis": 3072}, f, protocol=2)
    return Path(root)
