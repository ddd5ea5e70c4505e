"""Two loops taking turns (ibias/bench/turns.py): they alternate every N steps, never overlap, and time only their own turns."""

from __future__ import annotations

import os
import threading
import time

import pytest

from ibias.bench.turns import ENV, Turns


def run_loop(turns: Turns, name: str, steps: int, step_seconds: float, log: list, result: dict) -> None:
    """A loop of `steps` sleeps of `step_seconds`, logging (name, step) and timing itself as LoopTimer does."""
    turns.begin()
    start = time.perf_counter()
    for step in range(1, steps + 1):
        log.append((name, step))
        time.sleep(step_seconds)
        turns.step_done(step)
    wall = time.perf_counter() - start
    turns.end()
    result[name] = wall - turns.waited_wall


@pytest.mark.parametrize("steps", [(9, 9), (9, 5)])
def test_two_loops_alternate_every_n_steps_and_time_only_their_turns(tmp_path, steps):
    a, b = tmp_path / "a", tmp_path / "b"
    os.mkfifo(a), os.mkfifo(b)
    log, result = [], {}
    loops = [threading.Thread(target=run_loop, args=(Turns(str(a), str(b), 3, first=True), "A", steps[0], 0.02, log, result)),
             threading.Thread(target=run_loop, args=(Turns(str(b), str(a), 3, first=False), "B", steps[1], 0.01, log, result))]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join(timeout=30)
    names = "".join(name for name, _ in log)
    if steps == (9, 9):
        assert names == "AAABBBAAABBBAAABBB"
    else:  # B runs out after 5: A finishes its last turn alone
        assert names == "AAABBBAAABBAAA"
    # each loop's time is its own steps' sleeps (0.18 s and 0.09 or 0.05 s), not the other's turns
    assert result["A"] == pytest.approx(steps[0] * 0.02, abs=0.03)
    assert result["B"] == pytest.approx(steps[1] * 0.01, abs=0.03)


def test_turns_come_from_the_environment_or_not_at_all(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    assert Turns.from_env() is None
    os.mkfifo(tmp_path / "a"), os.mkfifo(tmp_path / "b")
    monkeypatch.setenv(ENV, f"{tmp_path / 'a'},{tmp_path / 'b'},50,1")
    turns = Turns.from_env()
    assert (turns.every, turns.first) == (50, True)
    monkeypatch.setenv(ENV, f"{tmp_path / 'a'},50")
    with pytest.raises(ValueError, match=ENV):
        Turns.from_env()
