"""WeightNormCallback on resnet18k(k): seconds per measurement, exact SVD against power iteration, and its errors."""

from __future__ import annotations

import argparse
import statistics
import time


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
