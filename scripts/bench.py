"""Speed benchmarks: ibias runs as users run them against a plain PyTorch loop; models, norms and probes.

To run:
    python scripts/bench.py                          # train cases default, dd40, cnn1d (see CASES), 3 repeats
    python scripts/bench.py train --cases dd40 --repeats 5 --threads 1 --markdown
    python scripts/bench.py gpu [--compile]          # resnet18k(64) CIFAR-10-format epochs on a CUDA GPU
    python scripts/bench.py models --steps 3         # one training step of each registered model
    python scripts/bench.py norms --k 64             # WeightNormCallback on resnet18k(k)
    python scripts/bench.py probes --subset 32 --max-freq 2 --threads 1   # image probes on resnet18k(64), CPU sizes

`train` and `gpu`: every case runs `scripts/train.py` as a user would (progress bar, W&B offline, the
experiment's callbacks at their cadence, validation at trainer.check_val_every_n_epoch, checkpoints, the
final test) and `python -m ibias.run.plain_loop` (the same seed, data, initial weights, optimizer, precision
and minibatches in a bare loop, then one test pass), each as a whole process, at two run lengths:
per-step time = (time(long) - time(short)) / (steps(long) - steps(short)), so start-up (imports, data,
W&B) and the final test cancel. Reported four ways: the whole process's wall and CPU time (user + sys of
the process tree), and the train loop's (first batch to end of training; callbacks.LoopTimer and the
plain loop print it). CPU time moves much less than wall time when other jobs share the machine.
Variants are interleaved within each repeat so drifts in load hit all alike; medians [min, max] over
repeats. 'callbacks off' drops the experiment's analysis callbacks (the bar and checkpoints stay).
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
                 ("experiment=double_descent_mnist1d", "model.width=40"), "epochs", 10, 60, ("weight_norms",)),
    "cnn1d": Case("cnn1d on MNIST-1D: data=mnist1d model=cnn1d task=classification callbacks=none, batch 100",
                  ("data=mnist1d", "model=cnn1d", "task=classification", "callbacks=none", "trainer.max_steps=-1"),
                  "epochs", 5, 30),
    "fp_cnn": Case("experiment=frequency_principle_mnist1d_cnn: cnn1d(64), filter+projection probes every epoch",
                   ("experiment=frequency_principle_mnist1d_cnn",), "epochs", 2, 8, ("spectrum",)),
}
DEFAULT_CASES = ("default", "dd40", "cnn1d")


KINDS = {"wall": "whole process, wall", "cpu": "whole process, CPU", "loop_wall": "train loop, wall",
         "loop_cpu": "train loop, CPU"}
LOOP_LINE = re.compile(r"train loop: (\d+) steps, wall ([\d.]+) s, cpu ([\d.]+) s")  # callbacks.LoopTimer, plain_loop


@dataclass
class Timing:
    """Seconds of every run of one variant, per kind (KINDS) and per length (0 short, 1 long), and the steps."""

    seconds: dict[str, dict[int, list[float]]] = field(default_factory=lambda: {k: {0: [], 1: []} for k in KINDS})
    steps: dict[int, int] = field(default_factory=dict)


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


def variant_commands(case: Case, n: int, workdir: Path) -> dict[str, list[str]]:
    """Return {variant: command} for one length of a case: ibias, ibias without analysis callbacks, plain loop."""
    py = sys.executable
    args = [*case.overrides, *length_override(case, n)]
    ibias = [py, str(ROOT / "scripts" / "train.py"), *args, "logger.mode=offline", f"hydra.run.dir={workdir / 'run'}",
             "+callbacks.loop_timer._target_=callbacks.LoopTimer"]
    commands = {"ibias": ibias}
    if case.analysis_callbacks:
        commands["ibias, callbacks off"] = ibias + [f"callbacks.{name}=null" for name in case.analysis_callbacks]
    commands["plain loop"] = [py, "-m", "ibias.run.plain_loop", *args]
    return commands


def per_step(t: Timing, kind: str) -> list[float]:
    """Return per-repeat ms/step of `kind` from the long-minus-short difference."""
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


def bench_train(args: argparse.Namespace, cases: dict[str, Case] | None = None) -> None:
    """Time the train cases (args.cases of CASES unless given) and print per-step times, ratios, callbacks' share."""
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "HYDRA_FULL_ERROR": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    threads = f"{args.threads} (OMP_NUM_THREADS)" if args.threads else f"torch's default ({os.cpu_count()} here)"
    cases = cases or {name: CASES[name] for name in args.cases}
    if args.scale != 1:
        cases = {k: Case(c.label, c.overrides, c.unit, max(1, round(c.short * args.scale)), max(2, round(c.long * args.scale)),
                         c.analysis_callbacks) for k, c in cases.items()}
    print("\n".join(machine_lines(threads)), flush=True)
    results: dict[str, dict[str, Timing]] = {name: {} for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for name, case in cases.items():
                order = (0, 1) if repeat % 2 == 0 else (1, 0)  # alternate, so a drift does not bias the difference
                for which in order:
                    n = (case.short, case.long)[which]
                    for variant, cmd in variant_commands(case, n, Path(tmp) / name).items():
                        wall, cpu, out = run_process(cmd, env, Path(tmp))
                        steps, loop_wall, loop_cpu = LOOP_LINE.search(out).groups()
                        t = results[name].setdefault(variant, Timing())
                        for kind, value in zip(KINDS, (wall, cpu, float(loop_wall), float(loop_cpu))):
                            t.seconds[kind][which].append(value)
                        if t.steps.setdefault(which, int(steps)) != int(steps):
                            raise RuntimeError(f"{variant} ran {steps} steps, not {t.steps[which]} as before: {' '.join(cmd)}")
                        print(f"  repeat {repeat + 1}/{args.repeats} {name:8s} {case.unit} {n:5d} {variant:22s} "
                              f"{steps:>6s} steps process wall {wall:7.2f} s cpu {cpu:7.2f} s | "
                              f"loop wall {float(loop_wall):7.2f} s cpu {float(loop_cpu):7.2f} s", flush=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report(cases, results, args.markdown)


def report(cases: dict[str, Case], results: dict[str, dict[str, Timing]], markdown: bool) -> None:
    """Print per-step times, ratios to the plain loop and the analysis callbacks' share of the run."""
    print("\nper-step time = (time(long run) - time(short run)) / (steps(long) - steps(short)), so start-up and the "
          "final test cancel;\nmedian [min, max] over repeats; ratio = ibias / plain loop within each repeat; "
          "callbacks' share = (ibias - ibias with callbacks off) / ibias")
    table = []
    for name, case in cases.items():
        timings = results[name]
        ms = {variant: {kind: per_step(t, kind) for kind in KINDS} for variant, t in timings.items()}
        plain = ms["plain loop"]
        print(f"\n{name}: {case.label}\n  steps {timings['plain loop'].steps[0]} and {timings['plain loop'].steps[1]}")
        row = {"case": name}
        for kind, what in KINDS.items():
            print(f"  {what}:")
            for variant in timings:
                ratios = [a / b for a, b in zip(ms[variant][kind], plain[kind])]
                extra = "" if variant == "plain loop" else f"   ratio {spread(ratios)}"
                print(f"    {variant:22s} {spread(ms[variant][kind], 3)} ms/step{extra}")
            row[f"plain {kind}"] = statistics.median(plain[kind])
            row[f"ibias {kind}"] = statistics.median(ms["ibias"][kind])
            row[f"ratio {kind}"] = statistics.median([a / b for a, b in zip(ms["ibias"][kind], plain[kind])])
            if "ibias, callbacks off" in timings:
                shares = [100 * (a - b) / a for a, b in zip(ms["ibias"][kind], ms["ibias, callbacks off"][kind])]
                print(f"    analysis callbacks' share of the run: {spread(shares, 1)} %")
                row[f"share {kind}"] = statistics.median(shares)
        table.append(row)
    if markdown:
        print("\n| case | plain loop ms/step | ibias ms/step | ibias / plain | analysis callbacks' share |")
        print("|---|---|---|---|---|")
        for row in table:
            cells = [" / ".join(fmt.format(row[f"{key} {k}"]) if f"{key} {k}" in row else "–" for k in KINDS)
                     for key, fmt in (("plain", "{:.2f}"), ("ibias", "{:.2f}"), ("ratio", "{:.2f}"), ("share", "{:.0f} %"))]
            print(f"| {row['case']} | " + " | ".join(cells) + " |")
        print("(each cell: " + " / ".join(KINDS.values()) + ")")


# ---- gpu: resnet18k on CIFAR-10-format data, ibias vs the plain loop, both on device-resident data --------


def write_cifar10_format(root: Path, n_train: int = 50_000, n_test: int = 10_000, seed: int = 0) -> Path:
    """Write random images and labels as root/cifar-10-batches-py in the official pickle format; return root.

    Each batch is a dict with `data` (N, 3072) uint8 rows of red, green and blue 32x32 planes and `labels`
    (N ints in 0..9), pickled with protocol 2 like the originals. Random labels: only timing is measured.
    """
    import pickle

    import numpy as np

    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [(f"data_batch_{i}", n_train // 5) for i in range(1, 6)] + [("test_batch", n_test)]
    for name, n in names:
        entry = {"batch_label": name, "labels": rng.integers(0, 10, n).tolist(),
                 "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "filenames": [f"{i}.png" for i in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)
    return root


def gpu_cases(root: Path, k: int, epochs: tuple[int, int], compile_too: bool) -> dict[str, Case]:
    """Return the GPU cases: resnet18k(k), batch 128, bf16-mixed, channels_last, with and without torch.compile."""
    overrides = ("data=cifar10", f"data.root={root}", "model=resnet18k", f"model.k={k}", "task=classification",
                 "callbacks=none", "trainer.accelerator=gpu", "trainer.precision=bf16-mixed", "task.channels_last=true")
    label = (f"resnet18k({k}) on CIFAR-10-format data (50,000 images on the GPU, crop+flip there), batch 128, "
             "bf16-mixed, channels_last")
    cases = {"resnet18k": Case(label, overrides, "epochs", *epochs)}
    if compile_too:
        cases["resnet18k_compile"] = Case(label + ", torch.compile", overrides + ("task.compile=true",), "epochs", *epochs)
    return cases


def bench_gpu(args: argparse.Namespace) -> None:
    """Time resnet18k epochs on the GPU through scripts/train.py and through the plain loop; print the GPU's name."""
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("bench.py gpu needs a CUDA GPU (torch.cuda.is_available() is False)")
    print(f"GPU: {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_cifar10_format(Path(tmp))
        bench_train(args, gpu_cases(root, args.k, tuple(args.epochs), args.compile))


# ---- models: one training step of each registered model ---------------------------------------------------

MODEL_INPUTS = {  # name -> (input shape, batch size); sizes are each constructor's defaults
    "mlp": ((1, 40), 100),
    "cnn1d": ((1, 40), 100),
    "xu_cnn": ((3, 32, 32), 128),
    "resnet9": ((3, 32, 32), 128),
    "resnet18k": ((3, 32, 32), 128),
}


def bench_models(args: argparse.Namespace) -> None:
    """Print the median seconds of one training step (forward, cross-entropy, backward, SGD) of each model."""
    import torch
    import torch.nn.functional as F

    from ibias.models import build_model

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}, median of {args.steps} steps "
          "after one warm-up step; random inputs")
    print(f"{'model':<10} {'params':>11} {'input':>12} {'batch':>5} {'s/step':>8}")
    for name in args.models:
        shape, batch = MODEL_INPUTS[name]
        net = build_model(name, input_shape=shape, num_outputs=10).to(args.device)
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        x, y = torch.randn(batch, *shape, device=args.device), torch.randint(0, 10, (batch,), device=args.device)
        times = []
        for i in range(args.steps + 1):
            start = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(x), y).backward()
            opt.step()
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            if i:  # the first step pays for allocation and kernel selection
                times.append(time.perf_counter() - start)
        params = sum(p.numel() for p in net.parameters())
        print(f"{name:<10} {params:>11,} {'x'.join(map(str, shape)):>12} {batch:>5} {statistics.median(times):>8.4f}", flush=True)


# ---- norms: one WeightNormCallback measurement on resnet18k(k) --------------------------------------------


def bench_norms(args: argparse.Namespace) -> None:
    """Print seconds per WeightNormCallback measurement on resnet18k(k), exact SVD vs power iteration.

    W = W0 + 1% noise so the distance measures are not zero; between warm-started calls every weight moves by
    0.1% of its scale, like a few SGD steps, so the warm start is not handed the exact answer. Exact singular
    values use the float64 Gram matrix above 64 on the short side (ibias/measures/norms.py).
    """
    import torch

    from callbacks.weight_norms import WeightNormCallback
    from ibias.measures.norms import layer_norms, power_spectral_norm, snapshot, weight_matrices
    from ibias.models import build_model

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shape = (3, 32, 32)
    model = build_model("resnet18k", k=args.k, input_shape=shape, num_outputs=10)
    init = snapshot(model)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * p.std() * torch.randn_like(p) if p.numel() > 1 else 0)
    mats = weight_matrices(model)
    print(f"resnet18k(k={args.k}): {sum(p.numel() for p in model.parameters()):,} params, {len(mats)} weight matrices, "
          f"largest {max(mats.values(), key=torch.Tensor.numel).shape}; torch {torch.__version__}, {args.threads} thread(s)")

    def timed(callback: WeightNormCallback, fresh_power: bool) -> tuple[list[float], dict]:
        times = []
        for _ in range(args.repeats):
            if fresh_power:
                callback._power_state.clear()
            else:
                with torch.no_grad():
                    for p in model.parameters():
                        if p.dim() >= 2:
                            p.add_(1e-3 * p.std() * torch.randn_like(p))
            start = time.perf_counter()
            layers, _ = callback.measure(model)
            times.append(time.perf_counter() - start)
        return times, layers

    cases = [("default", None, "exact", True), ("default", None, "power", True), ("default", None, "power", False),
             ("default", None, "auto", False)]
    if not args.skip_full:
        cases += [("all", "all", "exact", True), ("all", "all", "power", False)]
    for label, measures, method, fresh in cases:
        callback = WeightNormCallback(measures=measures, input_shape=shape, method=method, exact_max_dim=args.exact_max_dim,
                                      power_tol=args.power_tol)
        callback.init = init
        callback.measure(model)  # warm-up (and the warm-start vectors for the warm case)
        times, layers = timed(callback, fresh)
        what = f"{label:8s} {method:5s}" + (f" ({'cold' if fresh else 'warm'} start)" if method != "exact" else "")
        print(f"{what:30s} {statistics.mean(times):7.3f} +- {statistics.stdev(times) if len(times) > 1 else 0:.3f} s per call")
        if method != "exact" and not fresh:  # what the warm-started values of the last call are worth
            exact = layer_norms(model, reference=init, measures=("spectral", "dist_spectral"), method="exact")
            worst = max((exact[n][m] - row[m]) / exact[n][m] for n, row in layers.items() for m in ("spectral", "dist_spectral"))
            print(f"{'':30s} worst relative error of spectral/dist_spectral vs exact: {worst:.1e}")
    if not args.skip_full:  # where the full set's time goes
        for measure in ("nuclear", "alpha", "operator"):  # operator: not in "all", only by name
            start = time.perf_counter()
            layer_norms(model, measures=(measure,), input_shape=shape)
            print(f"  of which {measure:9s} {time.perf_counter() - start:7.3f} s")
    print(f"\npower iteration (cold start, tol {args.power_tol:g}, <= 500 iterations) vs exact SVD, per layer:")
    exact = layer_norms(model, reference=init, measures=("spectral", "dist_spectral"), method="exact")
    errors = {"spectral": [], "dist_spectral": []}
    for name, w in mats.items():
        delta = w - init[name].reshape(w.shape)
        for measure, matrix in (("spectral", w), ("dist_spectral", delta)):
            sigma, _, iters = power_spectral_norm(matrix, tol=args.power_tol)
            errors[measure].append(((exact[name][measure] - sigma) / exact[name][measure], iters, name))
    for measure, rows in errors.items():
        rel = sorted(r[0] for r in rows)
        worst = max(rows)
        print(f"{measure:14s} relative error median {statistics.median(rel):.2e}, max {worst[0]:.2e} ({worst[2]}), "
              f"iterations median {statistics.median(r[1] for r in rows):.0f}, max {max(r[1] for r in rows)}; "
              f"min error {rel[0]:.2e} (>= 0: power iteration stays below sigma_max)")


# ---- probes: each spectral probe's cost per call on resnet18k(k) ------------------------------------------


def bench_probes(args: argparse.Namespace) -> None:
    """Print set-up and per-call seconds of each image probe on resnet18k(k), on `subset` random images."""
    import torch

    from callbacks import FilterProbe, FourierHeatmapProbe, ImageFilterProbe, InputGradientProbe, LinePathProbe
    from datamodules.gpu_batches import Normalize
    from ibias.measures.eval_mode import eval_mode
    from ibias.models import build_model
    from ibias.probe_set import ProbeSet

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n = args.subset
    model = build_model("resnet18k", k=args.k, input_shape=(3, 32, 32), num_outputs=10).to(args.device)
    probe_set = ProbeSet(inputs=torch.rand(n, 3, 32, 32), targets=torch.randint(0, 10, (n,)), num_classes=10,
                         input_transform=Normalize()).to(args.device)
    # the experiments' probes (configs/experiment/fourier_heatmap_cifar10.yaml, frequency_principle_cifar10.yaml)
    probes = {"image_filters (8 radii)": ImageFilterProbe(radii=[2, 4, 6, 8, 10, 12, 14, 16], subset=n),
              "input_gradients": InputGradientProbe(subset=n),
              f"line_path ({n} paths x 128 steps)": LinePathProbe(num_paths=n, num_steps=128),
              f"fourier_heatmap (max_freq {args.max_freq})": FourierHeatmapProbe(eps=4.0, max_freq=args.max_freq, subset=n,
                                                                                  batch_size=min(n, 1000)),
              "filter (20 deltas)": FilterProbe(deltas=torch.linspace(2, 100, 20).tolist(), subset=n)}
    print(f"resnet18k(k={args.k}) on {args.device}, {n} probe images, torch threads {torch.get_num_threads()}")
    for name, probe in probes.items():
        start = time.perf_counter()
        probe.setup(probe_set)
        setup = time.perf_counter() - start
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            with eval_mode(model):
                probe.measure(model)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        print(f"{name:36s} set-up {setup:7.3f} s   per call {statistics.median(times):8.3f} s (median of {args.repeats})",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="ibias as users run it vs a plain PyTorch loop (the default)")
    gpu = sub.add_parser("gpu", help="resnet18k CIFAR-10 epochs on a GPU, ibias vs a plain loop")
    for p in (parser, train, gpu):
        p.add_argument("--repeats", type=int, default=3 if p is not gpu else 2)
        p.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS for every run (default: torch's choice)")
        p.add_argument("--scale", type=float, default=1.0, help="multiply every run length (e.g. 0.2 for a smoke test)")
        p.add_argument("--markdown", action="store_true", help="also print the summary as a markdown table")
    for p in (parser, train):
        p.add_argument("--cases", nargs="+", default=list(DEFAULT_CASES), choices=list(CASES))
    gpu.add_argument("--k", type=int, default=64, help="resnet18k width")
    gpu.add_argument("--epochs", type=int, nargs=2, default=[1, 3], help="the two run lengths, in epochs")
    gpu.add_argument("--compile", action="store_true", help="also time both with torch.compile (task.compile=true)")
    models = sub.add_parser("models", help="one training step of each registered model")
    models.add_argument("--models", nargs="*", default=list(MODEL_INPUTS), choices=list(MODEL_INPUTS))
    models.add_argument("--steps", type=int, default=5)
    models.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    models.add_argument("--device", default="cpu")
    norms = sub.add_parser("norms", help="WeightNormCallback on resnet18k(k): exact SVD vs power iteration")
    norms.add_argument("--k", type=int, default=64)
    norms.add_argument("--repeats", type=int, default=3)
    norms.add_argument("--threads", type=int, default=1)
    norms.add_argument("--skip-full", action="store_true", help="only the cheap default set")
    norms.add_argument("--exact-max-dim", type=int, default=256, help="method=auto: exact SVD up to this short side")
    norms.add_argument("--power-tol", type=float, default=1e-6, help="power iteration: stop below this relative change")
    probes = sub.add_parser("probes", help="each image probe's cost per call on resnet18k(k)")
    probes.add_argument("--k", type=int, default=64)
    probes.add_argument("--subset", type=int, default=1000, help="probe images (the experiments use 256-1000; CPU: try 32)")
    probes.add_argument("--max-freq", type=int, default=15, help="Fourier heat map: |u|, |v| <= this (CPU: try 2)")
    probes.add_argument("--repeats", type=int, default=3)
    probes.add_argument("--threads", type=int, default=None)
    probes.add_argument("--device", default="cuda" if _cuda() else "cpu")
    args = parser.parse_args()
    run = {None: bench_train, "train": bench_train, "gpu": bench_gpu, "models": bench_models, "norms": bench_norms,
           "probes": bench_probes}[args.command]
    run(args)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    main()
