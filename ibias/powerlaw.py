"""Power-law tail fit of a layer's eigenvalue spectrum (WeightWatcher alpha; Martin & Mahoney 2021).

Fit p(x) ~ x^(-alpha) for x >= xmin by maximum likelihood (Clauset, Shalizi & Newman 2009):
alpha = 1 + n_tail / sum log(x / xmin), with xmin chosen among the data to minimise the
Kolmogorov-Smirnov distance D between the tail's empirical CDF and the fitted one, as the
`powerlaw` package (used by WeightWatcher) does. D is the fit quality: small is a good fit.
"""

from __future__ import annotations

import math

import numpy as np

MIN_TAIL = 5  # tails shorter than this are not fitted: alpha's standard error is (alpha-1)/sqrt(n_tail)


def powerlaw_alpha(values: np.ndarray, min_tail: int = MIN_TAIL) -> tuple[float, float]:
    """Return (alpha, KS distance D) of the best power-law tail fit to the positive `values`; (nan, nan) if too few."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    x = x[x > 0]
    n = x.size
    if n < min_tail + 1:
        return math.nan, math.nan
    logs = np.log(x)
    best = (math.inf, math.nan)
    for i in range(n - min_tail + 1):  # candidate xmin = x[i]; the tail is x[i:]
        tail_logs = logs[i:] - logs[i]
        total = tail_logs.sum()
        if total <= 0:
            continue
        n_tail = n - i
        alpha = 1.0 + n_tail / total
        fitted = 1.0 - np.exp((1.0 - alpha) * tail_logs)  # CDF of the fit at each tail point
        upper = np.arange(1, n_tail + 1) / n_tail  # empirical CDF just after each point
        ks = float(np.max(np.maximum(np.abs(upper - fitted), np.abs(upper - 1.0 / n_tail - fitted))))
        if ks < best[0]:
            best = (ks, alpha)
    return best[1], best[0]
