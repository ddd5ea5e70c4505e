"""L2 path norm against sums over paths computed directly (loops, explicit operator matrices)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ibias.measures.path_norm import path_norm


def test_two_layer_relu_net_closed_form():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    w, b = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    v, c = net[2].weight.detach().numpy(), net[2].bias.detach().numpy()
    total = 0.0
    for k in range(2):  # every output k
        for j in range(4):  # every hidden unit j
            total += sum(w[j, i] ** 2 * v[k, j] ** 2 for i in range(3))  # input i -> j -> k
            total += b[j] ** 2 * v[k, j] ** 2  # the bias unit of layer 1 -> j -> k
        total += c[k] ** 2  # the bias unit of layer 2 -> k
    assert path_norm(net, (3,)) == pytest.approx(math.sqrt(total), rel=1e-12)


def test_batchnorm_is_folded_into_a_bias_free_layer():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1, bias=False)).double()
    bn = net[1]
    with torch.no_grad():
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.normal_()
        bn.bias.normal_()
    net.train()  # path_norm must use the running statistics anyway
    a = (bn.weight / (bn.running_var + bn.eps).sqrt()).detach().numpy()
    folded_w = a[:, None] * net[0].weight.detach().numpy()  # (4, 3) = diag(a) W
    folded_b = (bn.bias - bn.running_mean * bn.weight / (bn.running_var + bn.eps).sqrt()).detach().numpy()
    v = net[3].weight.detach().numpy()[0]
    want = sum(v[j] ** 2 * (sum(folded_w[j] ** 2) + folded_b[j] ** 2) for j in range(4))
    assert path_norm(net, (3,)) == pytest.approx(math.sqrt(want), rel=1e-12)
    assert net.training


def _operator(layer: nn.Module, in_shape: tuple[int, ...]) -> np.ndarray:
    """Return the matrix of a linear layer without bias, one basis input per column."""
    n = math.prod(in_shape)
    with torch.no_grad():
        return layer(torch.eye(n, dtype=torch.float64).reshape(n, *in_shape)).reshape(n, -1).T.numpy()


def test_conv_pool_net_against_explicit_operators():
    torch.manual_seed(2)
    conv1, conv2 = nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.Conv2d(3, 2, 3, stride=2, bias=False)
    pool, lin = nn.AvgPool2d(2), nn.Linear(2, 2, bias=False)
    net = nn.Sequential(conv1, nn.ReLU(), nn.AvgPool2d(2), conv2, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), lin)
    net = net.double()
    # Input (2, 10, 10) -> conv1 (3, 10, 10) -> pool (3, 5, 5) -> conv2 (2, 2, 2) -> global pool (2,) -> lin (2,)
    mats = [_operator(conv1, (2, 10, 10)), _operator(pool, (3, 10, 10)), _operator(conv2, (3, 5, 5)),
            _operator(nn.AdaptiveAvgPool2d(1), (2, 2, 2)), lin.weight.detach().numpy()]
    vec = np.ones(mats[0].shape[1])
    for m in mats:  # sum over paths of the product of squared weights = 1^T (A_L^2 ... A_1^2) 1
        vec = (m ** 2) @ vec
    assert path_norm(net, (2, 10, 10)) == pytest.approx(math.sqrt(vec.sum()), rel=1e-12)


class _Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 5, bias=False), nn.Linear(5, 3, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(torch.relu(self.a(x)))


def test_residual_block_counts_the_skip_path():
    torch.manual_seed(3)
    net = _Residual().double()
    a, b = net.a.weight.detach().numpy(), net.b.weight.detach().numpy()
    want = (np.eye(3) + (b ** 2) @ (a ** 2)).sum()  # skip paths have weight 1
    assert path_norm(net, (3,)) == pytest.approx(math.sqrt(want), rel=1e-12)


class _Tanh(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 5), nn.Linear(5, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.tanh(self.a(x)))


class _FunctionalPool(nn.Module):
    """Pre-activation BN and a functional global average pool, as ibias.models.resnet writes them."""

    def __init__(self) -> None:
        super().__init__()
        self.bn, self.conv, self.lin = nn.BatchNorm2d(2), nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(F.relu(self.bn(x)))
        return self.lin(F.adaptive_avg_pool2d(out, 1).flatten(1))


def test_functional_pool_and_preactivation_batchnorm():
    torch.manual_seed(4)
    net = _FunctionalPool().double()
    with torch.no_grad():
        net.bn.running_mean.normal_()
        net.bn.running_var.uniform_(0.5, 2.0)
        net.bn.weight.normal_()
        net.bn.bias.normal_()
    bn = net.bn
    a = (bn.weight / (bn.running_var + bn.eps).sqrt()).detach().numpy()  # BN = diag(a) x + b per channel
    b = (bn.bias - bn.running_mean * bn.weight / (bn.running_var + bn.eps).sqrt()).detach().numpy()
    conv, pool = _operator(net.conv, (2, 4, 4)), _operator(nn.AdaptiveAvgPool2d(1), (3, 4, 4))
    lin, c = net.lin.weight.detach().numpy(), net.lin.bias.detach().numpy()
    a_full, b_full = np.repeat(a, 16), np.repeat(b, 16)  # per pixel of the (2, 4, 4) input
    after_bn = a_full ** 2 * 1.0 + b_full ** 2  # squared paths from the inputs and from BN's bias unit
    want = ((lin ** 2) @ (pool ** 2) @ (conv ** 2) @ after_bn).sum() + (c ** 2).sum()
    assert path_norm(net, (2, 4, 4)) == pytest.approx(math.sqrt(want), rel=1e-12)


def test_nets_that_are_not_positively_homogeneous_are_refused():
    with pytest.raises(ValueError, match="calls tanh"):
        path_norm(_Tanh(), (3,))
    with pytest.raises(ValueError, match="calls gelu"):
        path_norm(nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 1)), (3,))
    with pytest.raises(ValueError, match="calls max_pool2d"):  # homogeneous, but max is not a sum over paths
        path_norm(nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 1)), (1, 6, 6))


class _Exp(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(self.a(x))


def test_homogeneity_check_catches_unlisted_functions():
    with pytest.raises(ValueError, match="not positively homogeneous"):
        path_norm(_Exp(), (3,))
