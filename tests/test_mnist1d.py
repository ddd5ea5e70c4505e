"""MNIST-1D datamodule: the package's data, isolated reseeding, label noise, splits, loaders, probes."""

import random

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from datamodules.mnist1d import MNIST1DDataModule, generate_mnist1d
from ibias.models import build_model
from ibias.run.tasks import ClassificationModule


@pytest.fixture(scope="module")
def dm() -> MNIST1DDataModule:
    return MNIST1DDataModule(label_noise=0.15, noise_seed=3, batch_size=100)


def test_generation_leaves_global_random_states_untouched():
    random.seed(123)
    np.random.seed(456)
    expected = (random.random(), np.random.rand())
    random.seed(123)
    np.random.seed(456)
    generate_mnist1d(num_samples=100, train_split=0.8, seed=1)
    assert (random.random(), np.random.rand()) == expected


def test_data_equal_the_packages_own_generator(dm):
    from mnist1d.data import get_dataset_args, make_dataset

    py, npy = random.getstate(), np.random.get_state()
    ref = make_dataset(get_dataset_args())  # the package defaults: 5000 samples, seed 42
    random.setstate(py)
    np.random.set_state(npy)
    assert ref["x"].shape == (4000, 40) and ref["x_test"].shape == (1000, 40)
    x, y, xt, yt = generate_mnist1d()
    np.testing.assert_allclose(x.numpy(), ref["x"], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), ref["y"])
    np.testing.assert_array_equal(yt.numpy(), ref["y_test"])
    # The datamodule's full training set is a permutation of the package's.
    pos = dm.train_indices
    np.testing.assert_allclose(dm.x_train[:, 0].numpy(), ref["x"][pos.numpy()], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(dm.y_train_clean.numpy(), ref["y"][pos.numpy()])


def test_shapes_and_attributes(dm):
    assert dm.input_shape == (1, 40) and dm.num_outputs == 10 and dm.task == "classification"
    assert dm.x_train.shape == (4000, 1, 40) and dm.x_test.shape == (1000, 1, 40)
    assert dm.x_train.dtype == torch.float32 and dm.y_train.dtype == torch.int64


def test_measured_label_noise_equals_requested(dm):
    changed = dm.y_train != dm.y_train_clean
    assert int(changed.sum()) == 600 and int(changed.sum()) / 4000 == 0.15  # exactly
    assert torch.equal(changed, dm.noisy_mask)
    assert torch.equal(changed.nonzero().flatten(), dm.noisy_indices)


def test_subset_and_validation_split():
    small = MNIST1DDataModule(train_size=1000, val_size=500, seed=4)
    assert len(small.y_train) == 1000 and len(small.y_val) == 500
    # Disjoint pieces of the generated pool.
    assert len(set(small.train_indices.tolist())) == 1000
    x_pool = generate_mnist1d()[0]
    assert all(any(torch.equal(v[0], x_pool[i]) for i in range(len(x_pool))) for v in small.x_val[:3])
    train_rows = {tuple(r.tolist()) for r in small.x_train[:, 0]}
    assert not any(tuple(r.tolist()) in train_rows for r in small.x_val[:, 0])
    assert len(next(iter(small.val_dataloader()))[1]) == 500


def test_train_loader_serves_every_example_once_per_epoch(dm):
    batches = list(dm.train_dataloader())
    assert len(batches) == 40 and all(x.shape == (100, 1, 40) for x, _ in batches)
    x = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    order = torch.argsort(x[:, 0, 0])
    ref = torch.argsort(dm.x_train[:, 0, 0])
    assert torch.equal(x[order], dm.x_train[ref]) and torch.equal(y[order], dm.y_train[ref])
    full = MNIST1DDataModule(batch_size=None, train_size=300)
    assert [len(b[1]) for b in full.train_dataloader()] == [300]
    gd = MNIST1DDataModule(batch_size=None, train_size=300, steps_per_epoch=3)  # an epoch of 3 full-batch GD steps
    assert [len(b[1]) for b in gd.train_dataloader()] == [300, 300, 300]


def test_probe_set(dm):
    probe = dm.probe_set()
    assert probe.inputs.shape == (1000, 1, 40) and probe.num_classes == 10
    assert torch.equal(probe.targets, dm.y_test)
    assert MNIST1DDataModule(probe_size=64).probe_set().inputs.shape == (64, 1, 40)
    train_probe = MNIST1DDataModule(label_noise=0.15, noise_seed=3, probe_split="train").probe_set()
    assert torch.equal(train_probe.inputs, dm.x_train) and torch.equal(train_probe.targets, dm.y_train)  # noisy labels


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"label_noise": 1.0}, "label_noise=1.0"),
        ({"train_size": 5000}, "train_size=5000"),
        ({"num_samples": 55}, "num_samples=55"),
        ({"train_split": 1.0}, "train_split=1.0"),
        ({"probe_size": 2000}, "probe_size=2000"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"probe_split": "val"}, "probe_split='val'"),
        ({"steps_per_epoch": 0}, "steps_per_epoch=0"),
    ],
)
def test_bad_input_names_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MNIST1DDataModule(**kwargs)


def test_lightning_fit_with_cnn1d(tmp_path):
    data = MNIST1DDataModule(train_size=200, batch_size=50)
    net = build_model("cnn1d", input_shape=data.input_shape, num_outputs=data.num_outputs)
    module = ClassificationModule(net, optimizer={"name": "adam", "lr": 1e-3})
    trainer = pl.Trainer(max_steps=3, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path, limit_val_batches=1)
    trainer.fit(module, datamodule=data)
    assert trainer.global_step == 3
    assert torch.isfinite(trainer.callback_metrics["train/loss"])
