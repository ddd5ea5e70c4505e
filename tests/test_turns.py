"""Two loops taking turns (ibias/bench/turns.py): they alternate every N steps, never overlap, and time only their own turns."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

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


LOOP = """
import sys, time
from ibias.bench.turns import Turns
name, steps, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
turns = Turns.from_env()
turns.begin()
for step in range(1, steps + 1):
    with open(log, "a") as f:
        f.write(name)
    time.sleep(0.005)
    if name == "bad":
        sys.exit("bad loop failed")  # without handing over: the other would wait for its turn for ever
    turns.step_done(step)
turns.end()
print(f"train loop: {steps} steps, wall 0.1 s, cpu 0.1 s")
"""


def test_the_bench_runs_two_processes_in_turns_and_stops_the_other_when_one_fails(tmp_path):
    from ibias.bench.lockstep import run_in_turns

    log = tmp_path / "order.txt"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    loop = lambda name, steps: [sys.executable, "-c", LOOP, name, str(steps), str(log)]  # noqa: E731
    runs = run_in_turns({"a": loop("a", 6), "b": loop("b", 6)}, env, tmp_path / "turns", every=2, first="b")
    assert log.read_text() == "bbaabbaabbaa"
    assert all("train loop: 6 steps" in out for _, out in runs.values())
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="bad loop failed"):
        run_in_turns({"bad": loop("bad", 2), "a": loop("a", 2)}, env, tmp_path / "turns", every=1, first="bad", timeout=60)
    assert time.perf_counter() - start < 30  # the waiting one was stopped, not waited for
