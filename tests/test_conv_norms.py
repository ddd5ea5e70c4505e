"""The FFT (Sedghi et al.) conv singular values against the explicit convolution operator of a small input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ibias.measures.conv_norms import conv_input_sizes, conv_operator_norm, conv_singular_values
from ibias.measures.norms import layer_norms, power_spectral_norm


def _explicit_operator(w: torch.Tensor, n: int, stride: int, dilation: int, groups: int) -> torch.Tensor:
    """Return the (out*m*m, in*n*n) matrix of the circularly padded conv, one basis input per column."""
    cin = w.shape[1] * groups
    pad = (w.shape[-1] - 1) * dilation // 2
    basis = torch.eye(cin * n * n, dtype=torch.float64).reshape(-1, cin, n, n)
    out = F.conv2d(F.pad(basis, (pad,) * 4, mode="circular"), w, stride=stride, dilation=dilation, groups=groups)
    return out.reshape(cin * n * n, -1).T


@pytest.mark.parametrize("cin, cout, k, n, stride, dilation, groups", [
    (2, 3, 3, 5, 1, 1, 1),
    (2, 4, 3, 6, 2, 1, 1),  # stride 2: aliased frequency blocks
    (4, 4, 3, 6, 1, 1, 2),  # grouped
    (2, 3, 3, 8, 2, 2, 1),  # dilated and strided
    (3, 2, 1, 4, 2, 1, 1),  # 1x1 downsampling shortcut, as in ResNets
])
def test_fft_singular_values_match_explicit_operator(cin, cout, k, n, stride, dilation, groups):
    w = torch.randn(cout, cin // groups, k, k, dtype=torch.float64, generator=torch.Generator().manual_seed(k + n))
    a = _explicit_operator(w, n, stride, dilation, groups)
    want = np.linalg.svd(a.numpy(), compute_uv=False)  # all of them, descending
    got = conv_singular_values(w, (n, n), stride, dilation, groups).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    sigma, _, _ = power_spectral_norm(a, tol=1e-15, max_iter=100000)  # power iteration on the explicit operator
    assert conv_operator_norm(w, (n, n), stride, dilation, groups) == pytest.approx(sigma, rel=1e-6)  # half the blocks
    assert conv_operator_norm(w, (n, n), stride, dilation, groups) == pytest.approx(want[0], rel=1e-12)
    half = conv_singular_values(w, (n, n), stride, dilation, groups, half=True).numpy()  # a real kernel: w and -w agree
    gaps = np.abs(half[:, None] - want[None, :])  # every value of one set is in the other
    assert gaps.min(axis=0).max() < 1e-9 and gaps.min(axis=1).max() < 1e-9
    single = conv_operator_norm(w.float(), (n, n), stride, dilation, groups)  # complex64 for float32 weights
    assert single == pytest.approx(want[0], rel=1e-5)


def test_conv1d_matches_explicit_operator():
    w = torch.randn(3, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    n = 7
    basis = torch.eye(2 * n, dtype=torch.float64).reshape(-1, 2, n)
    a = F.conv1d(F.pad(basis, (1, 1), mode="circular"), w).reshape(2 * n, -1).T
    np.testing.assert_allclose(conv_singular_values(w, (n,)).numpy(), np.linalg.svd(a.numpy(), compute_uv=False),
                               rtol=1e-10, atol=1e-12)


def test_layer_norms_operator_measure_uses_each_layers_input_size():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2, padding=1), nn.Flatten(),
                        nn.Linear(4 * 4 * 4, 5)).double()
    assert conv_input_sizes(net, (2, 8, 8)) == {"0": (8, 8), "2": (8, 8)}
    got = layer_norms(net, measures=("operator", "spectral"), input_shape=(2, 8, 8), method="exact")
    assert got["0.weight"]["operator"] == pytest.approx(conv_operator_norm(net[0].weight, (8, 8)), rel=1e-12)
    assert got["2.weight"]["operator"] == pytest.approx(conv_operator_norm(net[2].weight, (8, 8), 2), rel=1e-12)
    assert got["4.weight"]["operator"] == pytest.approx(got["4.weight"]["spectral"], rel=1e-12)  # Linear: the same


def test_bad_sizes_are_named():
    w = torch.randn(2, 2, 3, 3)
    with pytest.raises(ValueError, match="not divisible by stride"):
        conv_operator_norm(w, (5, 5), stride=2)
    with pytest.raises(ValueError, match="does not fit"):
        conv_operator_norm(w, (2, 2))
