"""When an analysis callback runs: every N optimizer steps, or every N epochs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cadence:
    """Exactly one of every_n_steps / every_n_epochs is set (a positive int)."""

    every_n_steps: int | None = None
    every_n_epochs: int | None = None

    def __post_init__(self) -> None:
        pairs = (("every_n_steps", self.every_n_steps), ("every_n_epochs", self.every_n_epochs))
        given = {k: v for k, v in pairs if v is not None}
        if len(given) != 1:
            raise ValueError(
                f"set exactly one of every_n_steps / every_n_epochs, got {given or 'neither'}; "
                "e.g. every_n_steps=100 or every_n_epochs=1"
            )
        (name, value), = given.items()
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer")

    def due_after_step(self, global_step: int) -> bool:
        """True when `global_step` optimizer steps have been taken and a step cadence is due."""
        return self.every_n_steps is not None and global_step % self.every_n_steps == 0

    def due_after_epoch(self, epoch: int) -> bool:
        """True after the 0-based `epoch` finishes and an epoch cadence is due."""
        return self.every_n_epochs is not None and (epoch + 1) % self.every_n_epochs == 0
