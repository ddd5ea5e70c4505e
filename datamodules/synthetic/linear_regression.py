"""Over-parameterized linear regression (n < d), whose GD limit from zero is the min-norm interpolator.

X has iid N(0, 1) entries (isotropic features, Hastie et al. 2019), β is a random direction of
norm `signal`, y = Xβ + σε. Validation/test targets are noiseless (x·β), so their MSE is the
excess risk E[(x·(ŵ − β))²] of Hastie et al.'s closed form. Everything is generated in float64;
loaders serve `dtype` (float64 for GD checks at 1e-6, float32 for ordinary runs).
Source: docs/references.md §1–2.
"""

from __future__ import annotations

import torch

from ibias.measures.least_squares import closest_interpolator

from .base import DTYPES, TensorRegressionDataModule, check_nonnegative, check_positive_int, generator


class LinearRegressionDataModule(TensorRegressionDataModule):
    """Inputs X (n, d), targets Xβ + σε (n, 1); `min_norm_solution()` = X⁺y (d,) float64."""

    def __init__(
        self, num_train: int = 50, dim: int = 200, noise: float = 0.0, signal: float = 1.0, num_val: int = 1000,
        overparameterized: bool = True, dtype: str = "float32",
        batch_size: int | None = None, seed: int = 0, steps_per_epoch: int = 1,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed, steps_per_epoch=steps_per_epoch)
        self.num_train, self.dim = check_positive_int("num_train", num_train), check_positive_int("dim", dim)
        if overparameterized and self.num_train >= self.dim:
            raise ValueError(
                f"num_train={num_train} >= dim={dim}: the over-parameterized set needs n < d; "
                "lower data.num_train, raise data.dim, or set data.overparameterized=false for n >= d"
            )
        if dtype not in DTYPES:
            raise ValueError(f"dtype={dtype!r} is unknown; use one of {sorted(DTYPES)}")
        self.noise, self.signal = check_nonnegative("noise", noise), check_nonnegative("signal", signal)
        self.input_shape = (self.dim,)
        direction = torch.randn(self.dim, generator=generator(seed, 0), dtype=torch.float64)
        self.beta = self.signal * direction / direction.norm()  # (d,) the ground truth
        self.x_train = torch.randn(self.num_train, self.dim, generator=generator(seed, 1), dtype=torch.float64)
        eps = torch.randn(self.num_train, generator=generator(seed, 2), dtype=torch.float64)
        self.y_train = self.x_train @ self.beta + self.noise * eps  # (n,)
        x_val = torch.randn(check_positive_int("num_val", num_val), self.dim, generator=generator(seed, 3), dtype=torch.float64)
        cast = DTYPES[dtype]
        self.train = (self.x_train.to(cast), self.y_train.unsqueeze(1).to(cast))
        self.val = self.test = (x_val.to(cast), (x_val @ self.beta).unsqueeze(1).to(cast))

    def min_norm_solution(self) -> torch.Tensor:
        """Return X⁺y (d,) float64: the minimum-L2-norm least-squares solution (an interpolator when n ≤ d)."""
        return closest_interpolator(self.x_train, self.y_train)

    def closest_interpolator(self, w0: torch.Tensor) -> torch.Tensor:
        """Return X⁺y + (I − X⁺X)w₀ (d,) float64: where GD from w₀ ends (docs/references.md §1); w₀ has d entries."""
        return closest_interpolator(self.x_train, self.y_train, w0.detach().cpu())
