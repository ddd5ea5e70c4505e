"""Run ibias and its plain loop side by side, taking turns on the machine (ibias/bench/turns.py).

A drift in the machine's speed over seconds to minutes then falls on both runs alike: each runs `every` steps
while the other waits, so their per-step times come from interleaved stretches of the same minutes.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from .turns import ENV


def run_in_turns(commands: dict[str, list[str]], env: dict[str, str], workdir: Path, every: int, first: str,
                 cwd: Path | None = None, timeout: float = 3600.0) -> dict[str, tuple[float, str]]:
    """Return {variant: (wall s of its process, stdout)} of two commands run at once from `cwd`, taking turns every
    `every` steps (pipes and logs in `workdir`).

    `first` names the variant that takes the first turn. If one fails, the other is stopped and the error says why.
    """
    if len(commands) != 2 or first not in commands:
        raise ValueError(f"run_in_turns needs two commands and the first of them, got {list(commands)} and {first!r}")
    workdir.mkdir(parents=True, exist_ok=True)
    names = list(commands)
    pipes = {name: workdir / f"turns_{i}" for i, name in enumerate(names)}
    for pipe in pipes.values():
        if pipe.exists():
            pipe.unlink()
        os.mkfifo(pipe)
    procs, logs, start = {}, {}, time.perf_counter()
    try:
        for name, other in zip(names, names[::-1]):
            spec = f"{pipes[name]},{pipes[other]},{every},{int(name == first)}"
            logs[name] = open(workdir / f"{name.replace(' ', '_')}.log", "w+")
            procs[name] = subprocess.Popen(commands[name], cwd=cwd, env={**env, ENV: spec}, stdout=logs[name],
                                           stderr=subprocess.STDOUT, text=True)
        walls = {}
        while len(walls) < 2:
            for name, proc in procs.items():
                if name not in walls and proc.poll() is not None:
                    walls[name] = time.perf_counter() - start
                    if proc.returncode:
                        logs[name].seek(0)
                        raise RuntimeError(f"{' '.join(commands[name])} failed ({proc.returncode}):\n"
                                           f"{logs[name].read()[-3000:]}")
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"runs taking turns did not finish in {timeout:.0f} s: {names}")
            time.sleep(0.2)
        outputs = {}
        for name, log in logs.items():
            log.seek(0)
            outputs[name] = (walls[name], log.read())
        return outputs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for log in logs.values():
            log.close()
        for pipe in pipes.values():
            pipe.unlink(missing_ok=True)
