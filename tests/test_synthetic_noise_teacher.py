"""High-frequency label noise ψ(x) = a·sin(2πK‖x‖) on training targets only; teacher-network data."""

from __future__ import annotations

import math

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from datamodules import HighFrequencyNoise, ManifoldCurveDataModule, SinusoidDataModule, TeacherDataModule


def _psi(x: torch.Tensor, k: float, a: float) -> np.ndarray:
    """Independent ψ in numpy float64: a·sin(2πK‖x‖) per flattened row, (B, 1)."""
    xs = x.reshape(len(x), -1).double().numpy()
    return a * np.sin(2 * np.pi * k * np.sqrt((xs**2).sum(1)))[:, None]


@pytest.mark.parametrize("inner", [lambda: SinusoidDataModule(num_points=64, freqs=[3, 5], steps_per_epoch=1),
                                   lambda: ManifoldCurveDataModule(num_points=200, freqs=[5, 20])])
def test_noise_is_added_to_training_targets_only_and_equals_psi(inner):
    clean, k, a = inner(), 37.0, 0.3
    dm = HighFrequencyNoise(inner(), frequency=k, amplitude=a)
    (x, y_noisy), (xc, y_clean) = next(iter(dm.train_dataloader())), next(iter(clean.train_dataloader()))
    assert torch.equal(x, xc)
    # float32 targets: the sum y + ψ is rounded once, so compare at float32 resolution.
    tol = 4e-7 * (1 + float(y_clean.abs().max()))
    np.testing.assert_allclose((y_noisy.double() - y_clean.double()).numpy(), _psi(x, k, a), atol=tol)
    assert float((y_noisy - y_clean).abs().max()) > 0.1 * a  # the noise is really there
    pairs = [(dm.val_dataloader(), clean.val_dataloader()), (dm.test_dataloader(), clean.test_dataloader()),
             (dm.clean_train_dataloader(), clean.train_dataloader())]
    for noisy_loader, clean_loader in pairs:
        for t_noisy, t_clean in zip(next(iter(noisy_loader)), next(iter(clean_loader))):
            assert torch.equal(t_noisy, t_clean)
    assert torch.equal(dm.probe_set().targets, clean.probe_set().targets)
    assert dm.input_shape == clean.input_shape and dm.num_outputs == 1 and dm.task == "regression"


def test_noise_follows_each_minibatch_and_every_output_column():
    inner = TeacherDataModule(num_train=50, num_val=10, dim=4, num_outputs=2, batch_size=16, seed=3)
    dm = HighFrequencyNoise(inner, frequency=5.0, amplitude=1.0)
    batches = list(dm.train_dataloader())
    assert len(batches) == len(dm.train_dataloader()) == 4 and sum(len(b[0]) for b in batches) == 50
    for x, y in batches:
        clean = inner.target(x).numpy()  # the teacher, noiseless here
        np.testing.assert_allclose(y.double().numpy() - clean, np.repeat(_psi(x, 5.0, 1.0), 2, axis=1), atol=1e-5)
    assert dm.teacher is inner.teacher and dm.clean is inner  # the ground truth stays reachable through the wrapper


def test_noisy_datamodule_trains_under_lightning():
    from ibias.models import build_model
    from ibias.run.tasks import RegressionModule

    dm = HighFrequencyNoise(ManifoldCurveDataModule(num_points=64, freqs=[3], steps_per_epoch=2), frequency=10.0, amplitude=0.5)
    module = RegressionModule(build_model("mlp", input_shape=dm.input_shape, num_outputs=1, width=8, depth=2))
    trainer = pl.Trainer(max_steps=3, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", devices=1, num_sanity_val_steps=0)
    trainer.fit(module, datamodule=dm)
    assert trainer.global_step == 3 and math.isfinite(float(trainer.callback_metrics["train/loss"]))


class _Labels(pl.LightningDataModule):
    task, input_shape, num_outputs = "classification", (2,), 3


@pytest.mark.parametrize("make,match", [
    (lambda: HighFrequencyNoise(_Labels()), "task='classification'"),
    (lambda: HighFrequencyNoise(SinusoidDataModule(), amplitude=-1.0), "amplitude=-1.0"),
    (lambda: HighFrequencyNoise(SinusoidDataModule(), frequency=float("nan")), "frequency=nan"),
])
def test_noise_bad_input_names_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def _numpy_teacher(teacher: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """The teacher MLP's forward pass re-done in numpy from its weights (ReLU between layers)."""
    linears = [m for m in teacher.modules() if isinstance(m, torch.nn.Linear)]
    h = x
    for i, lin in enumerate(linears):
        h = h @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
        if i < len(linears) - 1:
            h = np.maximum(h, 0)
    return h


def test_teacher_targets_are_the_teacher_forward_pass_with_unit_rms():
    before = torch.get_rng_state()
    dm = TeacherDataModule(num_train=200, num_val=50, dim=6, num_outputs=2, teacher_width=16, teacher_depth=3, seed=7)
    assert torch.equal(torch.get_rng_state(), before)  # the global RNG is untouched
    x, y = dm.train
    np.testing.assert_allclose(y.numpy(), _numpy_teacher(dm.teacher, x.double().numpy()), atol=1e-5)
    assert math.sqrt(float((y.double() ** 2).mean())) == pytest.approx(1.0, rel=1e-5)
    xv, yv = dm.val
    np.testing.assert_allclose(yv.numpy(), _numpy_teacher(dm.teacher, xv.double().numpy()), atol=1e-5)
    same, other = TeacherDataModule(dim=6, seed=7), TeacherDataModule(dim=6, seed=8)
    assert torch.equal(same.train[0], TeacherDataModule(dim=6, seed=7).train[0])
    assert not torch.equal(same.train[1], other.train[1])


def test_teacher_noise_has_the_stated_std_and_validation_stays_clean():
    dm = TeacherDataModule(num_train=5000, num_val=100, dim=3, noise=0.5, seed=1)
    resid = (dm.train[1].double() - dm.clean_train_targets).numpy()
    assert abs(resid.std() - 0.5) < 5 * 0.5 / math.sqrt(2 * 5000)
    np.testing.assert_allclose(dm.val[1].double().numpy(), dm.target(dm.val[0]).numpy(), atol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    (dict(noise=-0.5), "noise=-0.5"), (dict(dim=0), "dim=0"), (dict(num_train=2.5), "num_train=2.5"),
    (dict(activation="swish"), "swish"),
])
def test_teacher_bad_input_names_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TeacherDataModule(**kwargs)
