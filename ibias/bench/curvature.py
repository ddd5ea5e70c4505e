"""Cost of one NTKProbe and one SharpnessProbe call on the default experiment (6×256 MLP, 200 grid points).

Times Probe.measure (what SpectrumCallback runs at each event) beside one full-batch Adam step of the same model,
on the sinusoid grid of the default run, with every weight moved by 0.1% of its scale between calls (like a few
steps of training: the sharpness probe's warm start is not handed the exact answer). Prints the median and the
spread over the repeats, the memory each probe holds, and the Lanczos residual (the sharpness is within it of an
eigenvalue of the Hessian). CPU time is reported beside wall time: with one thread it is what the wall time would be
on an idle machine, and it is far less sensitive to other jobs than the wall time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from callbacks import NTKProbe, SharpnessProbe
from datamodules.synthetic.sinusoids import SinusoidDataModule
from ibias.models import build_model
from ibias.run.tasks import RegressionModule


def nudge(module: torch.nn.Module) -> None:
    """Move every weight by 0.1% of its scale (a stand-in for a few training steps between two probe calls)."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(1e-3 * p.std() * torch.randn_like(p) if p.numel() > 1 else 0)


def seconds(call, repeats: int, before=None) -> list[tuple[float, float]]:
    """Return (wall, CPU) seconds of `repeats` calls of `call`, running `before` (untimed) ahead of each.

    CPU time is the process's: with one thread it is what the wall time would be on an otherwise idle machine.
    """
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def median(times: list[tuple[float, float]], which: int) -> float:
    """Return the median wall (which=0) or CPU (which=1) time."""
    return statistics.median(t[which] for t in times)


def show(label: str, times: list[tuple[float, float]], unit: float = 1.0, suffix: str = "s") -> str:
    """Return 'label: median CPU (wall) unit' for a list of (wall, CPU) times."""
    return (f"{label:<34} CPU {median(times, 1) * unit:8.3f} {suffix}, wall {median(times, 0) * unit:8.3f} {suffix} "
            f"(medians of {len(times)})")



def bench_curvature(args: argparse.Namespace) -> None:
    """Print seconds per NTKProbe and SharpnessProbe call on the default experiment's MLP, beside one Adam step."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = SinusoidDataModule(num_points=args.points)
    probe_set = data.probe_set()
    module = RegressionModule(build_model("mlp", input_shape=(1,), num_outputs=1, width=args.width, depth=args.depth))
    params = sum(p.numel() for p in module.parameters())
    print(f"mlp {args.depth}×{args.width}: {params:,} parameters, n = {args.points} grid points; torch {torch.__version__}, "
          f"{args.threads} thread(s)")

    optimizer = torch.optim.Adam(module.parameters(), lr=3e-4)
    x, y = data.train

    def step() -> None:
        optimizer.zero_grad()
        module.loss(module(x), y).backward()
        optimizer.step()

    step()
    steps = seconds(step, 20)
    print(show("full-batch Adam step (reference)", steps, 1e3, "ms"))

    module.eval()
    ntk = NTKProbe(top_k=10, subset=None)
    ntk.setup(probe_set)
    first = seconds(lambda: ntk.measure(module), 1)  # Θ₀, and torch.func's one-time start-up in this process
    print(show("NTKProbe first call in a process", first))
    ntk_times = seconds(lambda: ntk.measure(module), args.repeats, lambda: nudge(module))
    ratio = median(ntk_times, 1) / median(steps, 1)
    print(show("NTKProbe (top 10, whole grid)", ntk_times) + f"  ≈ {ratio:.0f} steps")
    print(f"{'':<34} memory: J {args.points * params * 4 / 1e6:.0f} MB (n·C·P float32) + Θ, Θ₀ "
          f"{2 * args.points**2 * 4 / 1e6:.2f} MB")

    sharp = SharpnessProbe(top_k=1, lr=3e-4)
    sharp.setup(probe_set)
    results = []

    def cold() -> None:
        sharp.vectors = None
        results.append(sharp.measure(module).scalars)

    def warm() -> None:
        results.append(sharp.measure(module).scalars)

    cold_times = seconds(cold, args.repeats, lambda: nudge(module))
    cold_products = [r["products"] for r in results]
    results.clear()
    warm_times = seconds(warm, args.repeats, lambda: nudge(module))
    warm_products = [r["products"] for r in results]
    print(show("SharpnessProbe cold start", cold_times) + f"  {statistics.median(cold_products):.0f} H·v products (median)")
    print(show("SharpnessProbe warm start", warm_times) + f"  {statistics.median(warm_products):.0f} H·v products (median)"
          f"  ≈ {median(warm_times, 1) / median(steps, 1):.0f} steps")
    print(f"{'':<34} sharpness {results[-1]['sharpness']:.6g}, Lanczos residual {results[-1]['residual']:.2g} "
          f"(relative {results[-1]['residual'] / results[-1]['sharpness']:.1g}); memory ≤ {51 * params * 4 / 1e6:.0f} MB "
          "of Lanczos vectors (max_iter + 1)·P + the double-backward graph")

