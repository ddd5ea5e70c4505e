"""Power-law tail fit of a layer's eigenvalue spectrum (WeightWatcher alpha; Martin & Mahoney 2021).

Fit p(x) ~ x^(-alpha) for x >= xmin by maximum likelihood (Clauset, Shalizi & Newman 2009):
alpha = 1 + n_tail / sum log(x / xmin), with xmin chosen among the data to minimise the
Kolmogorov-Smirnov distance D between the tail's empirical CDF and the fitted one, as the
`powerlaw` package (used by WeightWatcher) does. D is the fit quality: small is a good fit.
Source: docs/references.md §20.
"""

from __future__ import annotations

import math

import numpy as np

MIN_TAIL = 5  # tails shorter than this are not fitted: alpha's standard error is (alpha-1)/sqrt(n_tail)


def powerlaw_alpha(values: np.ndarray, min_tail: int = MIN_TAIL, chunk: int = 256) -> tuple[float, float]:
    """Return (alpha, KS distance D) of the best power-law tail fit to the positive `values`; (nan, nan) if too few."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    x = x[x > 0]
    n = x.size
    if n < min_tail + 1:
        return math.nan, math.nan
    logs = np.log(x)
    suffix = np.cumsum(logs[::-1])[::-1]  # suffix[i] = sum_{j >= i} log x_j
    best = (math.inf, math.nan)
    for lo in range(0, n - min_tail + 1, chunk):  # candidates xmin = x[i], i in [lo, hi); tails x[i:]
        i = np.arange(lo, min(lo + chunk, n - min_tail + 1))
        n_tail = n - i  # (c,)
        total = suffix[i] - n_tail * logs[i]  # sum over the tail of log(x / xmin)
        ok = total > 0
        alpha = np.where(ok, 1.0 + n_tail / np.where(ok, total, 1.0), np.nan)
        j = np.arange(n)
        rel = logs[None, :] - logs[i, None]  # (c, n): log(x_j / xmin_i)
        in_tail = j[None, :] >= i[:, None]
        fitted = 1.0 - np.exp((1.0 - alpha[:, None]) * np.where(in_tail, rel, 0.0))  # fitted CDF at x_j
        upper = (j[None, :] - i[:, None] + 1) / n_tail[:, None]  # empirical CDF just after x_j
        gap = np.maximum(np.abs(upper - fitted), np.abs(upper - 1.0 / n_tail[:, None] - fitted))
        ks = np.where(in_tail, gap, 0.0).max(axis=1)
        ks = np.where(ok, ks, np.inf)
        k = int(np.argmin(ks))
        if ks[k] < best[0]:
            best = (float(ks[k]), float(alpha[k]))
    return best[1], best[0]
