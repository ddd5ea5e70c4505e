"""Per-step training time of each model at its default size, on CPU (or --device).

One step = forward, cross-entropy, backward, SGD update, on random inputs: batch 128 of 3×32×32 for
the image models, batch 100 of 1×40 (MNIST-1D, the double-descent batch) for cnn1d and mlp.
Reports the median over --steps timed steps after one warm-up step.
To run: `python scripts/bench_models.py --threads 1 --steps 3` (or `--models resnet18k cnn1d`).

Measured 2026-11-28 (torch 2.14.1, 2-core shared VM, load average ≈ 7 from other jobs, 1 thread,
median of 3 steps; expect ±30% run to run on a machine this busy):
    mlp 276,234 params 0.011 s | cnn1d 5,210 0.013 s | xu_cnn 5,041,402 1.07 s |
    resnet9 6,573,120 16.7 s | resnet18k (k=64) 11,171,146 30.6 s
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from ibias.models import build_model

# name -> (input shape, batch size); sizes are each constructor's defaults.
BENCH = {
    "mlp": ((1, 40), 100),
    "cnn1d": ((1, 40), 100),
    "xu_cnn": ((3, 32, 32), 128),
    "resnet9": ((3, 32, 32), 128),
    "resnet18k": ((3, 32, 32), 128),
}


def time_steps(name: str, steps: int, device: str) -> tuple[float, int]:
    """Return (median seconds per training step, parameter count) for model `name`."""
    shape, batch = BENCH[name]
    net = build_model(name, input_shape=shape, num_outputs=10).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(batch, *shape, device=device), torch.randint(0, 10, (batch,), device=device)
    times = []
    for i in range(steps + 1):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if i:  # the first step pays for allocation and kernel selection
            times.append(time.perf_counter() - start)
    return statistics.median(times), sum(p.numel() for p in net.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(BENCH), choices=list(BENCH))
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}, median of {args.steps} steps")
    print(f"{'model':<10} {'params':>11} {'input':>12} {'batch':>5} {'s/step':>8}")
    for name in args.models:
        seconds, params = time_steps(name, args.steps, args.device)
        shape, batch = BENCH[name]
        print(f"{name:<10} {params:>11,} {'x'.join(map(str, shape)):>12} {batch:>5} {seconds:>8.4f}", flush=True)


if __name__ == "__main__":
    main()
