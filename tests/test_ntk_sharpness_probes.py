"""NTKProbe and SharpnessProbe: their numbers against independent computations, and both through a real Trainer."""

from __future__ import annotations

import math

import lightning.pytorch as pl
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from callbacks import NTKProbe, SharpnessProbe, SpectrumCallback
from datamodules.tensor_loaders import full_batch_loader
from ibias.probe_set import ProbeSet
from ibias.run.optim import OptimizerConfig
from ibias.run.tasks import ClassificationModule, RegressionModule
from recording_logger import RecordingLogger


def grid_probe_set(n: int = 24) -> ProbeSet:
    t = torch.arange(n, dtype=torch.float64) / n
    y = torch.sin(2 * math.pi * 3 * t) + 0.5 * torch.sin(2 * math.pi * 5 * t + 1.0)
    return ProbeSet(inputs=t[:, None], targets=y[:, None], grid_freqs=torch.tensor([3, 5]),
                    target_amplitudes=torch.tensor([1.0, 0.5], dtype=torch.float64))


def tiny_regression(seed: int = 0, dtype=torch.float64, optimizer=None) -> RegressionModule:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1)).to(dtype)
    return RegressionModule(net, optimizer=optimizer or OptimizerConfig(name="sgd", lr=0.05))


def explicit_ntk(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Return Θ from per-sample gradients by plain autograd (one backward per point; one output)."""
    params = [p for p in module.parameters() if p.requires_grad]
    rows = [torch.cat([g.reshape(-1) for g in torch.autograd.grad(module(x[i : i + 1]).sum(), params)]) for i in range(len(x))]
    jac = torch.stack(rows)  # (n, P)
    return jac @ jac.T


def autograd_hessian_eigenvalues(module: nn.Module, loss_fn, x, y) -> torch.Tensor:
    """Return every eigenvalue of the loss's Hessian, descending, from torch.autograd.functional.hessian."""
    names = [n for n, _ in module.named_parameters()]
    shapes = [p.shape for p in module.parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in module.parameters()])

    def loss(v):
        params, i = {}, 0
        for name, shape in zip(names, shapes):
            params[name] = v[i : i + shape.numel()].reshape(shape)
            i += shape.numel()
        return loss_fn(functional_call(module, params, (x,)), y)

    return torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss, flat)).flip(0)


def logged_rows_of_a_fit(module, callback, probe_set: ProbeSet, max_steps: int, tmp_path) -> dict[int, dict]:
    """Fit `module` full batch on the probe set for max_steps with `callback`; return the logger's rows by step."""
    logger = RecordingLogger(tmp_path)
    trainer = pl.Trainer(max_steps=max_steps, callbacks=[callback], logger=logger, enable_progress_bar=False,
                         enable_checkpointing=False, default_root_dir=tmp_path, accelerator="cpu", enable_model_summary=False)
    trainer.fit(module, train_dataloaders=full_batch_loader(probe_set.inputs, probe_set.targets))
    return {step: row for step, row in logger.rows}


def test_ntk_probe_numbers_against_an_explicit_kernel():
    probe_set, module = grid_probe_set(), tiny_regression()
    probe = NTKProbe(top_k=4, subset=None)
    probe.setup(probe_set)
    scalars = probe.measure(module.eval()).scalars
    n = len(probe_set.inputs)
    theta = explicit_ntk(module, probe_set.inputs)
    values, vectors = torch.linalg.eigh(theta / n)
    values, vectors = values.flip(0), vectors.flip(1)
    assert [scalars[f"eig_0{i}"] for i in range(1, 5)] == pytest.approx(values[:4].tolist(), rel=1e-9)
    p = values.clamp_min(0) / values.clamp_min(0).sum()
    assert scalars["effective_rank"] == pytest.approx(math.exp(-(p[p > 0] * p[p > 0].log()).sum()), rel=1e-9)
    # The residual is ∂loss/∂f = 2(f − y)/n for the module's MSE: its energy along each top eigenvector.
    r = module(probe_set.inputs).detach() - probe_set.targets
    fractions = (vectors[:, :4].T @ r).pow(2).sum(1) / r.pow(2).sum()
    assert [scalars[f"res_0{i}"] for i in range(1, 5)] == pytest.approx(fractions.tolist(), rel=1e-6, abs=1e-12)
    # On the grid: each eigenvector's largest Fourier bin, and λ(k) from explicit cosines and sines.
    assert [scalars[f"freq_0{i}"] for i in range(1, 5)] == torch.fft.rfft(vectors[:, :4], dim=0).abs().argmax(0).tolist()
    t = probe_set.inputs[:, 0]
    for k in (3, 5):
        c, s = torch.cos(2 * math.pi * k * t), torch.sin(2 * math.pi * k * t)
        c, s = c / c.norm(), s / s.norm()
        assert scalars[f"kpow_k{k}"] == pytest.approx(float((c @ theta @ c + s @ theta @ s) / (2 * n)), rel=1e-9)
    assert scalars["kernel_change"] == 0.0


def test_ntk_probe_tracks_the_kernel_change_from_init_and_keeps_init_across_a_resume(tmp_path):
    probe_set, module = grid_probe_set(), tiny_regression()
    theta0 = explicit_ntk(module, probe_set.inputs)
    callback = SpectrumCallback(probes=[NTKProbe(top_k=3, subset=None)], every_n_steps=5, probe_set=probe_set)
    rows = logged_rows_of_a_fit(module, callback, probe_set, 10, tmp_path)
    assert sorted(rows) == [0, 5, 10]
    expected = float((explicit_ntk(module, probe_set.inputs) - theta0).norm() / theta0.norm())
    assert rows[10]["spectrum/ntk/kernel_change"] == pytest.approx(expected, rel=1e-9) and expected > 0
    declared = {f"spectrum/ntk/{key}" for key in callback.records["ntk"].keys()}
    assert set(rows[10]) - {"epoch"} <= declared
    # A resumed callback (a fresh probe, state from the checkpoint) measures the change from the same init.
    resumed = SpectrumCallback(probes=[NTKProbe(top_k=3, subset=None)], every_n_steps=5, probe_set=probe_set)
    resumed.probes[0].setup(probe_set)
    resumed.load_state_dict(callback.state_dict())
    assert resumed.probes[0].measure(module).scalars["kernel_change"] == pytest.approx(expected, rel=1e-9)


def test_ntk_probe_on_a_classifier_uses_the_cross_entropy_gradient_and_warns_on_a_partial_grid():
    torch.manual_seed(0)
    module = ClassificationModule(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).double()).eval()
    x = torch.randn(10, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (10,))
    probe = NTKProbe(top_k=2, subset=None)
    probe.setup(ProbeSet(inputs=x, targets=y, num_classes=3))
    scalars = probe.measure(module).scalars
    assert "freq_01" not in scalars and 0.0 <= scalars["res_top"] <= 1.0
    residual = module(x).softmax(-1).detach() - F.one_hot(y, 3)  # ∝ ∂CE/∂logits
    # Θ summed over the 3 outputs, from plain autograd per point and output.
    params = list(module.parameters())
    jac = torch.stack([torch.stack([torch.cat([g.reshape(-1) for g in torch.autograd.grad(module(x[i : i + 1])[0, c], params)])
                                    for c in range(3)]) for i in range(10)])  # (n, C, P)
    theta = torch.einsum("icp,jcp->ij", jac, jac)
    _, vectors = torch.linalg.eigh(theta)
    top = vectors.flip(1)[:, :2]
    expected = (top.T @ residual).pow(2).sum(1) / residual.pow(2).sum()
    assert [scalars["res_01"], scalars["res_02"]] == pytest.approx(expected.tolist(), rel=1e-6)
    with pytest.warns(UserWarning, match="not a grid"):
        NTKProbe(subset=10).setup(grid_probe_set(24))


def test_sharpness_probe_logs_the_hessian_top_eigenvalue_and_two_over_lr_during_a_real_fit(tmp_path):
    probe_set = grid_probe_set()
    module = tiny_regression(optimizer=OptimizerConfig(name="sgd", lr=0.05))
    callback = SpectrumCallback(probes=[SharpnessProbe(top_k=3, tol=1e-10, max_iter=80)], every_n_steps=4, probe_set=probe_set)
    rows = logged_rows_of_a_fit(module, callback, probe_set, 8, tmp_path)
    assert sorted(rows) == [0, 4, 8]
    expected = autograd_hessian_eigenvalues(module, module.loss, probe_set.inputs, probe_set.targets)  # the final weights
    final = rows[8]
    assert final["spectrum/sharpness/sharpness"] == pytest.approx(float(expected[0]), rel=1e-8)
    assert [final[f"spectrum/sharpness/eig_0{i}"] for i in (1, 2, 3)] == pytest.approx(expected[:3].tolist(), rel=1e-7)
    assert final["spectrum/sharpness/threshold"] == pytest.approx(2 / 0.05)
    assert final["spectrum/sharpness/residual"] <= 1e-9 * final["spectrum/sharpness/sharpness"]


def test_sharpness_threshold_per_optimizer_and_clear_errors(tmp_path):
    from callbacks.probes.sharpness import optimizer_threshold

    w = [nn.Parameter(torch.zeros(2))]
    assert optimizer_threshold(torch.optim.SGD(w, lr=0.1)) == pytest.approx(20.0)
    assert optimizer_threshold(torch.optim.SGD(w, lr=0.1, momentum=0.9)) == pytest.approx(38.0)  # (2 + 2β)/η
    assert optimizer_threshold(torch.optim.SGD(w, lr=0.1, momentum=0.9, nesterov=True)) is None
    assert optimizer_threshold(torch.optim.Adam(w, lr=0.1)) is None
    probe_set = grid_probe_set()
    with pytest.raises(ValueError, match="targets=None"):
        SharpnessProbe().setup(ProbeSet(inputs=probe_set.inputs))
    plain = nn.Sequential(nn.Linear(1, 3), nn.Tanh(), nn.Linear(3, 1)).double()  # a user's module: no loss method
    probe = SharpnessProbe(lr=0.1)
    probe.setup(probe_set)
    with pytest.raises(ValueError, match="loss_fn="):
        probe.measure(plain)
    given = SharpnessProbe(loss_fn=F.mse_loss, lr=0.1)
    given.setup(probe_set)
    scalars = given.measure(plain).scalars
    assert scalars["threshold"] == pytest.approx(20.0)
    assert scalars["sharpness"] == pytest.approx(float(autograd_hessian_eigenvalues(plain, F.mse_loss, probe_set.inputs,
                                                                                    probe_set.targets)[0]), rel=1e-3)
    detached = SharpnessProbe(loss_fn=F.mse_loss)
    detached.setup(probe_set)
    with pytest.warns(UserWarning, match="threshold` is not logged"):
        assert "threshold" not in detached.measure(plain).scalars


def test_mse_classification_is_the_squared_error_on_one_hot_targets():
    module = ClassificationModule(nn.Linear(2, 3), criterion="mse")
    pred, target = torch.randn(5, 3), torch.tensor([0, 2, 1, 1, 0])
    assert float(module.loss(pred, target)) == pytest.approx(float(((pred - F.one_hot(target, 3)) ** 2).mean()))
    with pytest.raises(ValueError, match="task.criterion='hinge'"):
        ClassificationModule(nn.Linear(2, 3), criterion="hinge")
