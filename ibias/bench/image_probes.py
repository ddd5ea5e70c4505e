"""Each image probe's set-up and per-call seconds on resnet18k(k), on random images."""

from __future__ import annotations

import argparse
import statistics
import time


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
