"""The train benchmark: ibias runs as users run them against the plain loop, as whole processes at two lengths.

Every case runs `scripts/train.py` as a user would (progress bar, W&B offline, the experiment's callbacks at
their cadence, validation at trainer.check_val_every_n_epoch, checkpoints, the final test) and
`python -m ibias.run.plain_loop` (the same seed, data, initial weights, optimizer, precision and minibatches in
a bare loop, then one test pass), each as a whole process, at two run lengths:
per-step time = (time(long) - time(short)) / (steps(long) - steps(short)), so start-up (imports, data,
W&B) and the final test cancel. Reported four ways: the whole process's wall and CPU time (user + sys of
the process tree), and the train loop's (first batch to end of training; callbacks.LoopTimer and the
plain loop print it). CPU time moves much less than wall time when other jobs share the machine.
Variants are interleaved within each repeat so drifts in load hit all alike, ibias and the plain loop back to
back (which goes first alternates between repeats); medians [min, max] over repeats. A fifth kind, the long
run's train loop alone (its wall / its steps), rests on one run per variant instead of a difference of two, and
on two runs next to each other for its ratio: this machine's speed drifts by up to a third within minutes, so
it is the ratio that drift disturbs least among runs one after the other (`--pairs` times only it: long runs of
ibias and the plain loop). `--lockstep` runs those two at once, taking turns every `--every` steps
(ibias/bench/turns.py): the drift then falls on both alike, and its per-repeat ratios are the tightest.
'callbacks off' drops the experiment's analysis callbacks (the bar and checkpoints stay); the
analysis callbacks' own time is what they spent in their events (LoopTimer), a share of the loop.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .lockstep import run_in_turns

ROOT = Path(__file__).resolve().parents[2]  # the checkout: scripts/train.py is run from it


@dataclass(frozen=True)
class Case:
    """A training run as users type it, and how to lengthen it (`unit` = steps or epochs)."""

    label: str
    overrides: tuple[str, ...]
    unit: str
    short: int
    long: int
    analysis_callbacks: tuple[str, ...] = ()  # callbacks.<name> entries switched off for the 'callbacks off' variant


CASES = {
    "default": Case("default run (make train): 6x256 MLP, full batch, spectrum+norms every 100 steps", (), "steps", 1000, 3000,
                    ("spectrum", "weight_norms")),
    "dd40": Case("experiment=double_descent_mnist1d model.width=40: 40-40-40-10 MLP, batch 100, norms every 10 epochs",
                 ("experiment=double_descent_mnist1d", "model.width=40"), "epochs", 10, 110, ("weight_norms",)),
    "cnn1d": Case("cnn1d on MNIST-1D: data=mnist1d model=cnn1d task=classification callbacks=none, batch 100",
                  ("data=mnist1d", "model=cnn1d", "task=classification", "callbacks=none", "trainer.max_steps=-1"),
                  "epochs", 5, 30),
    "fp_cnn": Case("experiment=frequency_principle_mnist1d_cnn: cnn1d(64), filter+projection probes every epoch",
                   ("experiment=frequency_principle_mnist1d_cnn",), "epochs", 2, 8, ("spectrum",)),
}
DEFAULT_CASES = ("default", "dd40", "cnn1d")


MEASURED = {"wall": "whole process, wall", "cpu": "whole process, CPU", "loop_wall": "train loop, wall",
            "loop_cpu": "train loop, CPU"}  # per run; per-step times from the difference of the two lengths
KINDS = {**MEASURED, "loop_long": "train loop, long run alone"}  # + the long run's loop wall / its steps
# callbacks.LoopTimer and the plain loop; only LoopTimer adds the analysis callbacks' own seconds
LOOP_LINE = re.compile(r"train loop: (\d+) steps, wall ([\d.]+) s, cpu ([\d.]+) s(?:, analysis ([\d.]+) s)?")


@dataclass
class Timing:
    """Seconds of every run of one variant, per kind (MEASURED) and per length (0 short, 1 long), and the steps."""

    seconds: dict[str, dict[int, list[float]]] = field(default_factory=lambda: {k: {0: [], 1: []} for k in MEASURED})
    steps: dict[int, int] = field(default_factory=dict)
    analysis_share: list[float] = field(default_factory=list)  # % of the long run's loop wall in analysis events


def run_process(cmd: list[str], env: dict[str, str], workdir: Path) -> tuple[float, float, str]:
    """Return (wall s, CPU s of the process tree, stdout) of `cmd`; raise with its output if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def length_override(case: Case, n: int) -> list[str]:
    """Return the overrides that make the case run `n` steps or epochs."""
    if case.unit == "steps":
        return [f"trainer.max_steps={n}"]
    return ["trainer.max_steps=-1", f"trainer.max_epochs={n}"]


# What the 'bare Lightning' variant switches off: everything ibias adds around Lightning's loop, which leaves
# Lightning's own per-step cost (with ibias's lean module) as the floor under the ratio.
BARE = ("~logger", "trainer.enable_progress_bar=false", "callbacks=none", "trainer.limit_val_batches=0",
        "trainer.enable_checkpointing=false")


def variant_commands(case: Case, n: int, workdir: Path, threads: int | None = None,
                     floor: bool = False) -> dict[str, list[str]]:
    """Return {variant: command} for one length of a case: ibias, ibias without analysis callbacks, plain loop,
    and with `floor` ibias with nothing but Lightning's loop (BARE)."""
    py = sys.executable
    args = [*case.overrides, *length_override(case, n), *([f"threads={threads}"] if threads else [])]
    train = [py, str(ROOT / "scripts" / "train.py"), *args, f"hydra.run.dir={workdir / 'run'}",
             "+callbacks.loop_timer._target_=callbacks.LoopTimer"]
    ibias = train + ["logger.mode=offline"]
    commands = {"ibias": ibias}
    if case.analysis_callbacks:
        commands["ibias, callbacks off"] = ibias + [f"callbacks.{name}=null" for name in case.analysis_callbacks]
    if floor:
        commands["ibias, bare Lightning"] = train + list(BARE)
    commands["plain loop"] = [py, "-m", "ibias.run.plain_loop", *args]
    return commands


def run_order(variants: list[str], repeat: int) -> list[str]:
    """Return the variants in the order one repeat runs them: ibias and the plain loop first, back to back (the
    plain loop first on odd repeats), then the others, so each repeat's ratio compares two runs next to each other."""
    pair = [v for v in ("ibias", "plain loop") if v in variants]
    rest = [v for v in variants if v not in pair]
    return (pair if repeat % 2 == 0 else pair[::-1]) + rest


def kinds_timed(t: Timing) -> list[str]:
    """Return the KINDS that `t` has data for: all with short and long runs, the long run alone with `--pairs`."""
    return list(KINDS) if t.seconds["wall"][0] else ["loop_long"]


def per_step(t: Timing, kind: str) -> list[float]:
    """Return per-repeat ms/step of `kind` (KINDS): from the long-minus-short difference, or the long run alone."""
    if kind == "loop_long":
        return [1e3 * s / t.steps[1] for s in t.seconds["loop_wall"][1]]
    runs = t.seconds[kind]
    dsteps = t.steps[1] - t.steps[0]
    return [1e3 * (b - a) / dsteps for a, b in zip(runs[0], runs[1])]


def spread(values: list[float], digits: int = 2) -> str:
    """Return 'median [min, max]' of `values`."""
    f = f"{{:.{digits}f}}"
    return f"{f.format(statistics.median(values))} [{f.format(min(values))}, {f.format(max(values))}]"


def machine_lines(threads: str) -> list[str]:
    """Return lines naming the machine, load, thread setting and versions."""
    import lightning
    import torch
    import wandb

    info = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), platform.processor())
    return [f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}); "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            f"python {platform.python_version()}, torch {torch.__version__}, lightning {lightning.__version__}, "
            f"wandb {wandb.__version__}; torch threads: {threads}"]


PAIR = ("ibias", "plain loop")  # what --pairs times


def time_run(cmd: list[str], env: dict[str, str], workdir: Path, t: Timing, which: int) -> str:
    """Run `cmd`, add its times to `t` at length `which` (0 short, 1 long) and return them as one line."""
    wall, cpu, out = run_process(cmd, env, workdir)
    return record(cmd, out, wall, cpu, t, which)


def record(cmd: list[str], out: str, wall: float, cpu: float, t: Timing, which: int) -> str:
    """Add a finished run's times (its process's, and the train loop's that it printed) to `t`; return them as one line."""
    found = LOOP_LINE.search(out)
    if found is None:
        raise RuntimeError(f"{' '.join(cmd)} printed no 'train loop:' line; its output ends:\n{out[-2000:]}")
    steps, loop_wall, loop_cpu, analysis = found.groups()
    if which == 1 and analysis is not None:
        t.analysis_share.append(100 * float(analysis) / float(loop_wall))
    for kind, value in zip(MEASURED, (wall, cpu, float(loop_wall), float(loop_cpu))):
        t.seconds[kind][which].append(value)
    if t.steps.setdefault(which, int(steps)) != int(steps):
        raise RuntimeError(f"{' '.join(cmd)} ran {steps} steps, not {t.steps[which]} as before")
    return (f"{steps:>6s} steps process wall {wall:7.2f} s cpu {cpu:7.2f} s | "
            f"loop wall {float(loop_wall):7.2f} s cpu {float(loop_cpu):7.2f} s")


def timed_runs(commands: dict[str, list[str]], timings: dict[str, Timing], env: dict[str, str], workdir: Path,
               which: int, args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """Run the variants of `timings` (in its order) one after the other, or with --lockstep both at once taking turns
    (the first listed goes first); record their times; yield (variant, its times as one line) as each is done."""
    if args.lockstep:
        first = next(iter(timings))
        runs = run_in_turns({v: commands[v] for v in timings}, env, workdir / "turns", args.every, first, cwd=ROOT)
        for variant, (wall, out) in runs.items():  # process CPU time is not separable: the two ran at once
            yield variant, record(commands[variant], out, wall, float("nan"), timings[variant], which)
        return
    for variant, timing in timings.items():
        yield variant, time_run(commands[variant], env, workdir, timing, which)


def bench_train(args: argparse.Namespace, cases: dict[str, Case] | None = None) -> None:
    """Time the train cases (args.cases of CASES unless given) and print per-step times, ratios, callbacks' share."""
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "HYDRA_FULL_ERROR": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    threads = (f"{args.threads} (threads={args.threads} for ibias and the plain loop)" if args.threads else
               f"each config's `threads` (null: torch's default, {os.cpu_count()} here)")
    cases = cases or {name: CASES[name] for name in args.cases}
    if args.scale != 1:
        cases = {k: Case(c.label, c.overrides, c.unit, max(1, round(c.short * args.scale)), max(2, round(c.long * args.scale)),
                         c.analysis_callbacks) for k, c in cases.items()}
    print("\n".join(machine_lines(threads)), flush=True)
    results: dict[str, dict[str, Timing]] = {name: {} for name in cases}
    pairs_only = args.pairs or args.lockstep  # long runs of ibias and the plain loop only
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for name, case in cases.items():
                # alternate the lengths, so a drift does not bias the difference; --pairs: long runs only
                lengths = (1,) if pairs_only else (0, 1) if repeat % 2 == 0 else (1, 0)
                for which in lengths:
                    n = (case.short, case.long)[which]
                    commands = variant_commands(case, n, Path(tmp) / name, args.threads, args.floor and not pairs_only)
                    variants = [v for v in run_order(list(commands), repeat) if not pairs_only or v in PAIR]
                    timings = {v: results[name].setdefault(v, Timing()) for v in variants}
                    for variant, line in timed_runs(commands, timings, env, Path(tmp), which, args):
                        print(f"  repeat {repeat + 1}/{args.repeats} {name:8s} {case.unit} {n:5d} {variant:22s} {line}",
                              flush=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report(cases, results, args.markdown)


def report(cases: dict[str, Case], results: dict[str, dict[str, Timing]], markdown: bool) -> None:
    """Print per-step times, ratios to the plain loop and the analysis callbacks' share of the run."""
    print("\nper-step time = (time(long run) - time(short run)) / (steps(long) - steps(short)), so start-up and the "
          "final test cancel;\nmedian [min, max] over repeats; ratio = ibias / plain loop within each repeat; "
          "callbacks' share = (ibias - ibias with callbacks off) / ibias;\nanalysis callbacks' own time = the wall "
          "time of their events (timed by themselves) / the train loop's wall time, in the long runs;\n"
          "train loop, long run alone = the long run's train-loop wall / its steps (ibias and the plain loop ran back "
          "to back, or at once taking turns with --lockstep)")
    table, kinds = [], list(KINDS)
    for name, case in cases.items():
        timings = results[name]
        kinds = kinds_timed(timings["plain loop"])
        ms = {variant: {kind: per_step(t, kind) for kind in kinds} for variant, t in timings.items()}
        plain = ms["plain loop"]
        print(f"\n{name}: {case.label}\n  steps " + " and ".join(str(n) for _, n in sorted(timings["plain loop"].steps.items())))
        row = {"case": name}
        own = timings["ibias"].analysis_share
        if any(own):
            print(f"  analysis callbacks' own time: {spread(own, 1)} % of the train loop")
            row["own share"] = statistics.median(own)
        for kind in kinds:
            print(f"  {KINDS[kind]}:")
            ratios = {variant: [a / b for a, b in zip(ms[variant][kind], plain[kind])] for variant in timings}
            for variant in timings:
                extra = "" if variant == "plain loop" else f"   ratio {spread(ratios[variant])}"
                print(f"    {variant:22s} {spread(ms[variant][kind], 3)} ms/step{extra}")
            row[f"plain {kind}"] = statistics.median(plain[kind])
            row[f"ibias {kind}"] = statistics.median(ms["ibias"][kind])
            row[f"ratio {kind}"] = statistics.median(ratios["ibias"])
            if "ibias, bare Lightning" in ratios:
                row[f"floor {kind}"] = statistics.median(ratios["ibias, bare Lightning"])
            if "ibias, callbacks off" in timings:
                shares = [100 * (a - b) / a for a, b in zip(ms["ibias"][kind], ms["ibias, callbacks off"][kind])]
                print(f"    analysis callbacks' share of the run: {spread(shares, 1)} %")
                row[f"share {kind}"] = statistics.median(shares)
        table.append(row)
    if markdown:
        print("\n| case | plain loop ms/step | ibias ms/step | ibias / plain | bare Lightning / plain | "
              "callbacks' share (on - off) | analysis callbacks' own time |")
        print("|---|---|---|---|---|---|---|")
        for row in table:
            cells = [" / ".join(fmt.format(row[f"{key} {k}"]) if f"{key} {k}" in row else "–" for k in kinds)
                     for key, fmt in (("plain", "{:.2f}"), ("ibias", "{:.2f}"), ("ratio", "{:.2f}"), ("floor", "{:.2f}"),
                                      ("share", "{:.0f} %"))]
            own = f"{row['own share']:.1f} % of the loop" if "own share" in row else "–"
            print(f"| {row['case']} | " + " | ".join(cells) + f" | {own} |")
        print("(each cell: " + " / ".join(KINDS[k] for k in kinds) + ")")
