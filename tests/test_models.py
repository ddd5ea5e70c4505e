"""Registry-driven model tests: every registered model runs forward/backward finitely; published sizes."""

import pytest
import torch

import ibias.models as models
from ibias.models import MODELS, build_model

# A tiny configuration per registered model. A model registered without one fails
# test_every_model_has_a_tiny_config: add it here when you register a model.
TINY = {
    "mlp": dict(input_shape=(1, 12), num_outputs=3, width=8, depth=3),
    "linear": dict(input_shape=(5,), num_outputs=2, init_scale=0.1),
    "matrix_factorization": dict(input_shape=(4, 4), num_outputs=1, depth=2, init_scale=0.1),
    "cnn1d": dict(input_shape=(1, 40), num_outputs=10, width=4),
    "xu_cnn": dict(input_shape=(3, 12, 12), num_outputs=10, width=0.25),
    "resnet9": dict(input_shape=(3, 16, 16), num_outputs=10, width=4),
    "resnet18k": dict(input_shape=(3, 16, 16), num_outputs=10, k=2),
    "two_layer_relu": dict(input_shape=(2,), num_outputs=1, width=16),
}


def test_every_model_has_a_tiny_config():
    assert sorted(MODELS) == sorted(TINY), "registered models without a TINY config (or stale entries)"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_backward_finite(name):
    torch.manual_seed(0)
    cfg = TINY[name]
    net = build_model(name, **cfg)
    x = torch.randn(4, *cfg["input_shape"])  # batch 4: BatchNorm needs > 1 sample
    out = net(x)
    assert out.shape == (4, cfg["num_outputs"]) and torch.isfinite(out).all()
    out.square().mean().backward()
    for pname, p in net.named_parameters():
        assert p.grad is not None, f"{name}.{pname} is not used by forward"
        assert torch.isfinite(p.grad).all(), f"{name}.{pname} has a non-finite gradient"
    assert any(p.grad.abs().sum() > 0 for p in net.parameters())


def _count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("k", [1, 3, 12, 64])
def test_resnet18k_parameter_count(k):
    # Closed form, counted by hand from the layer list (docs/references.md §16):
    # stem 27k; stage 1: 36k² + 8k; stage 2: 128k² + 14k; stage 3: 512k² + 28k; stage 4: 2048k² + 56k;
    # linear 80k + 10.  Total 2724k² + 213k + 10.
    assert _count(models.resnet18k(k)) == 2724 * k * k + 213 * k + 10


def test_resnet18k_64_is_the_standard_preact_resnet18():
    net = models.resnet18k(64)  # the module-level callable with CIFAR defaults
    assert _count(net) == 11_171_146  # ≈ 11.17 M, kuangliu's PreActResNet18 on CIFAR-10
    # Strides 1, 2, 2, 2: the last stage sees 4×4 maps of 8k channels on 32×32 inputs.
    seen = {}

    def record(module, inputs, output) -> None:
        seen["shape"] = tuple(output.shape)

    net.layers[-1].register_forward_hook(record)
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, 3, 32, 32))
    assert seen["shape"] == (1, 512, 4, 4)
    # Projection shortcuts (1×1 convs) exactly where the width or stride changes: stages 2, 3, 4.
    assert [b.shortcut is not None for b in net.layers] == [False, False, True, False, True, False, True, False]


@pytest.mark.parametrize("c", [1, 8, 64])
def test_resnet9_parameter_count(c):
    # convs 9·(3c + 2c² + 2·4c² + 8c² + 32c² + 2·64c²) = 27c + 1602c²; BN 2·35c; linear 8c·10, no bias.
    assert _count(models.resnet9(c)) == 1602 * c * c + 177 * c
    if c == 64:
        assert _count(models.resnet9()) == 6_573_120  # Page's ResNet-9, ≈ 6.57 M


@pytest.mark.parametrize("width", [0.25, 1.0, 2.0])
def test_xu_cnn_parameter_count(width):
    c1, c2, fc = round(32 * width), round(64 * width), round(400 * width)
    expected = (3 * 9 * c1 + c1) + (c1 * 9 * c2 + c2) + (c2 * 14 * 14 * fc + fc) + (fc * 10 + 10)
    assert _count(models.xu_cnn(width)) == expected
    if width == 1.0:
        assert expected == 5_041_402


def test_cnn1d_is_greydanus_convbase():
    # ConvBase(channels=25, linear_in=125): 25·5+25 + 2·(25·25·3+25) + 125·10+10 = 5210.
    net = models.cnn1d(input_shape=(1, 40), num_outputs=10)
    assert _count(net) == 5210 and net.linear.in_features == 125
    # Flat (B, 40) signals are accepted too and give the same logits.
    x = torch.randn(3, 40)
    torch.testing.assert_close(net(x), net(x.unsqueeze(1)))


def test_mlp_parameter_count_rahaman():
    # 1 → 256 → 256 ×4 → 1: 512 + 4·65,792 + 257.
    assert _count(build_model("mlp", input_shape=(1,), num_outputs=1)) == 263_937


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("resnet18k", dict(input_shape=(3072,), num_outputs=10), r"\(3072,\)"),
        ("resnet18k", dict(input_shape=(3, 32, 32), num_outputs=10, k=0), "k=0"),
        ("resnet9", dict(input_shape=(1, 40), num_outputs=10), r"\(1, 40\)"),
        ("xu_cnn", dict(input_shape=(3, 4, 4), num_outputs=10), r"\(3, 4, 4\)"),
        ("xu_cnn", dict(input_shape=(3, 32, 32), num_outputs=10, width=-1), "width=-1"),
        ("cnn1d", dict(input_shape=(3, 32, 32), num_outputs=10), r"\(3, 32, 32\)"),
        ("cnn1d", dict(input_shape=(1, 2), num_outputs=10), "length=2"),
    ],
)
def test_bad_shapes_name_the_value(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_model(name, **kwargs)


def test_two_layer_relu_is_basris_net_with_fixed_signs():
    # f(x) = (1/√m) Σ_r a_r ReLU(w_r·x + b_r) (docs/references.md §12), summed here neuron by neuron.
    torch.manual_seed(0)
    net = models.two_layer_relu(input_shape=(2,), num_outputs=1, width=4000)
    assert sorted(n for n, _ in net.named_parameters()) == ["bias", "weight"]  # a_r is not trained
    assert set(net.signs.unique().tolist()) == {-1.0, 1.0} and torch.equal(net.bias, torch.zeros(4000))
    # w_r ~ N(0, 2.5²): 8000 draws, the sample std is within 3% of 2.5 (its standard error is 2.5/√16000 ≈ 0.8%).
    assert abs(net.weight.std().item() - 2.5) < 0.075
    with torch.no_grad():
        net.bias.normal_()
    x = torch.randn(5, 2)
    by_hand = sum(net.signs[r, 0] * torch.relu(x @ net.weight[r] + net.bias[r]) for r in range(4000)) / 4000**0.5
    assert torch.allclose(net(x)[:, 0], by_hand, atol=1e-4)
