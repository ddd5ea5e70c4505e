"""Matrix completion and matrix sensing with a rank-r ground truth (Arora et al. 2019; Gunasekar et al. 2017).

Completion: inputs are observed (row, col) pairs (m, 2) int64 and targets W*[i, j] (m, 1); the
validation set is every unobserved entry (generalization), the test set every entry (reconstruction).
Sensing: inputs are Gaussian matrices A_i (m, n, n), targets <A_i, W*> (m, 1); validation/test are
fresh measurements. Both expose `ground_truth` W* (n, n) float64 and serve whole tensors.
Source: docs/references.md §3–4.
"""

from __future__ import annotations

import torch

from ibias.measures.matrix import (
    entries,
    gaussian_measurements,
    inner_products,
    low_rank_matrix,
    min_nuclear_norm_solution,
    sample_entries,
)
from ibias.probe_set import ProbeSet

from .base import TensorRegressionDataModule, check_positive_int, generator


class MatrixCompletionDataModule(TensorRegressionDataModule):
    """Observe `num_observed` entries of a rank-`rank` (size × size) matrix, uniformly without replacement."""

    def __init__(
        self, size: int = 100, rank: int = 5, num_observed: int = 2000,
        batch_size: int | None = None, seed: int = 0, steps_per_epoch: int = 1,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed, steps_per_epoch=steps_per_epoch)
        self.size, self.rank = check_positive_int("size", size), rank
        self.ground_truth = low_rank_matrix(self.size, rank, generator(seed, 0))  # (n, n) float64
        self.observed = sample_entries(self.size, num_observed, generator(seed, 1))  # (m, 2)
        self.mask = torch.zeros(self.size, self.size, dtype=torch.bool)
        self.mask[self.observed[:, 0], self.observed[:, 1]] = True
        self.input_shape = (2,)
        all_pairs = torch.cartesian_prod(torch.arange(self.size), torch.arange(self.size))  # (n², 2) row-major
        unobserved = all_pairs[~self.mask.flatten()]
        self.train = self._xy(self.observed)
        self.test = self._xy(all_pairs)
        self.val = self._xy(unobserved) if len(unobserved) else self.test  # everything observed: validate on all

    def _xy(self, pairs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return pairs, entries(self.ground_truth, pairs).float().unsqueeze(1)  # (B, 2) int64, (B, 1)

    def probe_set(self) -> ProbeSet:
        """Return every entry (n², 2) in row-major order with its true value (n², 1)."""
        return ProbeSet(inputs=self.test[0], targets=self.test[1])


class MatrixSensingDataModule(TensorRegressionDataModule):
    """y_i = <A_i, W*> with A_i iid N(0, 1/n²) entries; inputs (m, n, n) float32, targets (m, 1).

    `min_nuclear_norm_solution()` is the convex benchmark of Gunasekar et al. (computed once, on demand).
    """

    def __init__(
        self, size: int = 50, rank: int = 2, num_measurements: int = 1000, num_val: int = 200,
        batch_size: int | None = None, seed: int = 0, steps_per_epoch: int = 1,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed, steps_per_epoch=steps_per_epoch)
        self.size, self.rank = check_positive_int("size", size), rank
        self.ground_truth = low_rank_matrix(self.size, rank, generator(seed, 0))  # (n, n) float64
        self.input_shape = (self.size, self.size)
        self.num_measurements = check_positive_int("num_measurements", num_measurements)
        self.train = self._xy(self.num_measurements, 1)
        self.val = self.test = self._xy(check_positive_int("num_val", num_val), 2)
        self._min_nuclear: torch.Tensor | None = None

    def _xy(self, num: int, stream: int) -> tuple[torch.Tensor, torch.Tensor]:
        a = gaussian_measurements(num, self.size, generator(self.seed, stream))  # (m, n, n)
        return a.float(), inner_products(a, self.ground_truth).float().unsqueeze(1)  # (m, n, n), (m, 1)

    def min_nuclear_norm_solution(self) -> torch.Tensor:
        """Return argmin ‖X‖_* subject to <A_i, X> = y_i on the training measurements: (n, n) float64 (docs/references.md §3)."""
        if self._min_nuclear is None:
            a = gaussian_measurements(self.num_measurements, self.size, generator(self.seed, 1))  # the float64 training A_i
            self._min_nuclear = min_nuclear_norm_solution(a, inner_products(a, self.ground_truth))
        return self._min_nuclear

    def probe_set(self) -> ProbeSet:
        """Return the validation measurements and their true values."""
        return ProbeSet(inputs=self.val[0], targets=self.val[1])
