"""Two training processes taking turns on the machine, so that a drift in its speed falls on both alike.

`scripts/bench.py train --lockstep` starts ibias and its plain loop side by side. Each runs `every` steps, hands
the machine to the other and blocks until it is handed back, through two named pipes given in the environment
(IBIAS_BENCH_TURNS="<my pipe>,<their pipe>,<every>,<1 if I go first>"); each times only its own turns (the loop
timers subtract the waits). Both meet before their first step, so that neither one's start-up runs beside the
other's steps; the one that finishes first waits until the other has finished too, so that its shutdown does
not run beside the other's last steps. Without the variable nothing of this happens.
"""

from __future__ import annotations

import os
import time

ENV = "IBIAS_BENCH_TURNS"
READY, TURN, DONE = b"R", b"T", b"D"


class Turns:
    """One side of the hand-over: `begin()` before the first step, `step_done(steps)` after each, `end()` after the last."""

    def __init__(self, mine: str, theirs: str, every: int, first: bool) -> None:
        if every < 1:
            raise ValueError(f"{ENV}: every={every} must be a positive number of steps")
        self.every, self.first = every, first
        # O_RDWR: opening a named pipe does not wait for the other end, and reads block until a token comes
        self._mine, self._theirs = os.open(mine, os.O_RDWR), os.open(theirs, os.O_RDWR)
        self.partner_done = False
        self.waited_wall = self.waited_cpu = 0.0  # seconds spent blocked, to leave out of the loop's times

    @classmethod
    def from_env(cls) -> Turns | None:
        """Return the Turns that IBIAS_BENCH_TURNS describes, or None when it is not set."""
        spec = os.environ.get(ENV)
        if not spec:
            return None
        try:
            mine, theirs, every, first = spec.split(",")
            return cls(mine, theirs, int(every), first == "1")
        except ValueError as err:
            raise ValueError(f"{ENV}={spec!r}: expected '<my pipe>,<their pipe>,<every n steps>,<1 or 0>' ({err})") from err

    def _receive(self) -> bytes:
        start = time.perf_counter(), time.process_time()
        token = os.read(self._mine, 1)
        self.waited_wall += time.perf_counter() - start[0]
        self.waited_cpu += time.process_time() - start[1]
        if token == DONE:
            self.partner_done = True
        return token

    def begin(self) -> None:
        """Meet the other process at the start of its loop; the one that goes second then waits for its first turn."""
        os.write(self._theirs, READY)
        while self._receive() != READY:
            pass
        if not self.first:
            self._receive()
        self.waited_wall = self.waited_cpu = 0.0  # the loop's timer starts now: only later waits are left out

    def step_done(self, steps: int) -> None:
        """After `steps` steps: every `every` steps, hand the machine over and wait for it back."""
        if self.partner_done or steps % self.every:
            return
        os.write(self._theirs, TURN)
        self._receive()

    def end(self) -> None:
        """Hand over for good, and wait until the other has finished its loop too (after this loop's timing ended:
        not counted in `waited_wall` / `waited_cpu`)."""
        os.write(self._theirs, DONE)
        counted = self.waited_wall, self.waited_cpu
        while not self.partner_done:
            self._receive()
        self.waited_wall, self.waited_cpu = counted
        os.close(self._mine)
        os.close(self._theirs)
