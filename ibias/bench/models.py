"""One training step of each registered model (forward, cross-entropy, backward, SGD) on random inputs."""

from __future__ import annotations

import argparse
import statistics
import time

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
