"""Speed benchmarks: ibias runs as users run them against a plain PyTorch loop; models, norms and probes.

To run:
    python scripts/bench.py                          # train cases default, dd40, cnn1d (see CASES), 3 repeats
    python scripts/bench.py train --cases dd40 --repeats 5 --threads 1 --markdown
    python scripts/bench.py gpu [--compile]          # resnet18k(64) CIFAR-10-format epochs on a CUDA GPU
    python scripts/bench.py models --steps 3         # one training step of each registered model
    python scripts/bench.py norms --k 64             # WeightNormCallback on resnet18k(k)
    python scripts/bench.py probes --subset 32 --max-freq 2 --threads 1   # image probes on resnet18k(64), CPU sizes
    python scripts/bench.py curvature --repeats 5     # NTKProbe and SharpnessProbe on the default experiment's MLP

The benchmarks live in ibias/bench/ (train_runs.py says what `train` and `gpu` measure and how).
"""

from ibias.bench.cli import main

if __name__ == "__main__":
    main(__doc__.splitlines()[0])
