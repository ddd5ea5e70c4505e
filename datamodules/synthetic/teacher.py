"""Teacher–student data: Gaussian inputs, targets from a fixed random MLP (the ground truth)."""

from __future__ import annotations

import torch

from ibias.models.mlp import MLP

from .base import TensorRegressionDataModule, check_nonnegative, check_positive_int, generator


class TeacherDataModule(TensorRegressionDataModule):
    """x ~ N(0, I_d) (n, d); y = teacher(x) + noise·ε (n, num_outputs); val/test targets are noiseless.

    The teacher is an `MLP(dim, num_outputs, teacher_width, teacher_depth, activation)` with PyTorch's
    default init drawn from `seed` (the global RNG is left untouched). With `normalize`, its last layer
    is rescaled so that the clean training targets have RMS 1; `teacher` stays the exact ground truth.
    """

    def __init__(
        self, num_train: int = 1000, num_val: int = 1000, dim: int = 10, num_outputs: int = 1,
        teacher_width: int = 32, teacher_depth: int = 2, activation: str = "relu", noise: float = 0.0,
        normalize: bool = True, batch_size: int | None = None, seed: int = 0, steps_per_epoch: int = 1,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed, steps_per_epoch=steps_per_epoch)
        num_train, num_val = check_positive_int("num_train", num_train), check_positive_int("num_val", num_val)
        self.dim, self.noise = check_positive_int("dim", dim), check_nonnegative("noise", noise)
        self.num_outputs = check_positive_int("num_outputs", num_outputs)
        self.input_shape = (self.dim,)
        with torch.random.fork_rng(devices=[]):  # the teacher's init must not move the user's global RNG
            torch.manual_seed(seed)
            self.teacher = MLP(self.dim, self.num_outputs, teacher_width, teacher_depth, activation).double().eval()
        self.teacher.requires_grad_(False)
        x_train = torch.randn(num_train, self.dim, generator=generator(seed, 0), dtype=torch.float64)
        x_val = torch.randn(num_val, self.dim, generator=generator(seed, 1), dtype=torch.float64)
        if normalize:
            last = self.teacher.net[-1]
            rms = self.teacher(x_train).pow(2).mean().sqrt()
            last.weight.div_(rms)
            if last.bias is not None:
                last.bias.div_(rms)
        self.clean_train_targets = self.teacher(x_train)  # (n, C) float64
        eps = torch.randn(self.clean_train_targets.shape, generator=generator(seed, 2), dtype=torch.float64)
        self.train = (x_train.float(), (self.clean_train_targets + self.noise * eps).float())
        self.val = self.test = (x_val.float(), self.teacher(x_val).float())

    def target(self, x: torch.Tensor) -> torch.Tensor:
        """Return the teacher's output at x (N, dim) -> (N, num_outputs) float64: the ground truth."""
        return self.teacher(x.double())
