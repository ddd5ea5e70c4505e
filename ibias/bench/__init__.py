"""Speed benchmarks (scripts/bench.py): ibias as users run it against a plain PyTorch loop; models, norms, probes."""
