"""CIFAR-10: official-format reader, label noise and splits, on-device augmentation, probe set, Lightning fit."""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from scipy import stats

from cifar_fixture import tiny_cifar10_arrays, write_tiny_cifar10
from datamodules.cifar10 import CIFAR10DataModule
from datamodules.cifar10_format import read_cifar10
from datamodules.gpu_batches import CIFAR10_MEAN, CIFAR10_STD, Normalize, augmented_batches_loader, random_crop, random_flip
from ibias.models import build_model
from ibias.run.tasks import ClassificationModule


@pytest.fixture(scope="module")
def cifar(tmp_path_factory):
    root = write_tiny_cifar10(tmp_path_factory.mktemp("cifar") / "data", per_batch=20, num_test=20)
    return root, tiny_cifar10_arrays(per_batch=20, num_test=20)


def _chw(hwc: np.ndarray) -> np.ndarray:
    return hwc.transpose(0, 3, 1, 2)


def test_reader_matches_the_written_images(cifar):
    root, ref = cifar
    data = read_cifar10(root)
    assert data.x_train.shape == (100, 3, 32, 32) and data.x_train.dtype == torch.uint8
    np.testing.assert_array_equal(data.x_train.numpy(), _chw(ref["train_hwc"]))  # channel order R, G, B
    np.testing.assert_array_equal(data.y_train.numpy(), ref["train_y"])
    np.testing.assert_array_equal(data.x_test.numpy(), _chw(ref["test_hwc"]))
    np.testing.assert_array_equal(data.y_test.numpy(), ref["test_y"])


def test_missing_folder_says_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"data.root=.*nowhere has no cifar-10-batches-py.*download=true"):
        CIFAR10DataModule(root=str(tmp_path / "nowhere"))


def test_missing_batch_file_is_named(tmp_path):
    write_tiny_cifar10(tmp_path, per_batch=2, num_test=2)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3 is missing"):
        read_cifar10(tmp_path)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"label_noise": 1.0}, "label_noise=1.0"), ({"label_noise": -0.2}, "label_noise=-0.2"),
     ({"val_size": -1}, "val_size=-1"), ({"batch_size": 0}, "batch_size=0"), ({"probe_split": "x"}, "probe_split='x'")],
)
def test_bad_options_name_the_value(cifar, kwargs, match):
    with pytest.raises(ValueError, match=match):
        CIFAR10DataModule(root=str(cifar[0]), **kwargs)


def test_subset_larger_than_data_names_the_value(cifar):
    dm = CIFAR10DataModule(root=str(cifar[0]), train_size=90, val_size=20)
    with pytest.raises(ValueError, match=r"train_size=90 \+ data.val_size=20 exceeds the 100 training images"):
        dm.setup()


def test_subset_split_and_label_noise(cifar):
    root, ref = cifar
    dm = CIFAR10DataModule(root=str(root), train_size=60, val_size=30, label_noise=0.2, noise_seed=1, seed=2)
    dm.setup()
    train, val = dm.train_indices.numpy(), np.setdiff1d(np.arange(100), dm.train_indices.numpy())
    assert len(set(train)) == 60 and len(dm.y_val) == 30
    np.testing.assert_array_equal(dm.x_train.numpy(), _chw(ref["train_hwc"])[train])
    np.testing.assert_array_equal(dm.y_train_clean.numpy(), ref["train_y"][train])
    # The validation images are the other 30 (clean labels), none shared with training.
    val_rows = {dm.x_val[i].numpy().tobytes() for i in range(30)}
    assert val_rows <= {_chw(ref["train_hwc"])[j].tobytes() for j in val}
    changed = (dm.y_train != dm.y_train_clean).nonzero().flatten()
    assert len(changed) == 12 and len(changed) / 60 == 0.2  # the requested fraction, exactly
    assert torch.equal(changed, dm.noisy_indices) and torch.equal(dm.noisy_mask.nonzero().flatten(), changed)


def test_random_crop_is_a_shift_of_the_zero_padded_image():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(1, 256, (64, 3, 8, 8), dtype=torch.uint8, generator=g)  # no zeros: padding is visible
    out = random_crop(x, 2, g)
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (2, 2), (2, 2)))
    seen = set()
    for i in range(64):
        hits = [(dy, dx) for dy in range(5) for dx in range(5)
                if np.array_equal(out[i].numpy(), padded[i, :, dy : dy + 8, dx : dx + 8])]
        assert len(hits) == 1
        seen.add(hits[0])
    assert len(seen) > 10  # offsets actually vary


def test_random_crop_offsets_are_uniform_chi_square():
    # Tag each pixel by its column so the top-left pixel reveals the offset; 25 offsets, 5000 draws.
    g = torch.Generator().manual_seed(1)
    x = (torch.arange(1, 9).view(1, 1, 1, 8) + 10 * torch.arange(1, 9).view(1, 1, 8, 1)).to(torch.uint8).repeat(5000, 1, 1, 1)
    corner = random_crop(x, 2, g)[:, 0, 2, 2].long()  # pixel (2, 2) of the crop = original (dy, dx)
    dy, dx = corner // 10 - 1, corner % 10 - 1
    counts = np.bincount((dy * 5 + dx).numpy(), minlength=25)
    assert counts.sum() == 5000 and stats.chisquare(counts).pvalue > 1e-3


def test_random_flip_mirrors_about_half():
    g = torch.Generator().manual_seed(2)
    x = torch.randint(0, 256, (2000, 3, 4, 4), dtype=torch.uint8, generator=g)
    out = random_flip(x, g)
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    assert (same | mirrored).all()
    flipped = int((mirrored & ~same).sum())
    assert abs(flipped - 1000) < 4 * np.sqrt(2000 * 0.25)  # binomial(2000, 1/2) within 4 sigma


def test_normalize_matches_numpy():
    x = torch.rand(5, 3, 4, 4)
    expected = (x.numpy() - np.array(CIFAR10_MEAN)[:, None, None]) / np.array(CIFAR10_STD)[:, None, None]
    np.testing.assert_allclose(Normalize()(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_loader_pairs_labels_and_covers_every_image_once():
    images = torch.arange(50, dtype=torch.uint8).view(50, 1, 1, 1).expand(50, 3, 4, 4).contiguous()
    labels = torch.arange(50) % 10
    loader = augmented_batches_loader(images, labels, batch_size=16, shuffle=True, seed=3, crop_padding=0, flip=True)
    batches = list(loader)
    assert [len(y) for _, y in batches] == [16, 16, 16, 2]
    ids = torch.cat([(x[:, 0, 0, 0] * 255).round().long() for x, _ in batches])
    assert sorted(ids.tolist()) == list(range(50))
    assert torch.equal(torch.cat([y for _, y in batches]), ids % 10)
    assert not torch.equal(ids, torch.arange(50))  # shuffled


def test_eval_loader_and_probe_set(cifar):
    root, ref = cifar
    dm = CIFAR10DataModule(root=str(root), probe_size=8)
    x, y = next(iter(dm.test_dataloader()))
    raw = _chw(ref["test_hwc"]).astype(np.float32) / 255
    mean, std = (np.array(v, dtype=np.float32)[:, None, None] for v in (CIFAR10_MEAN, CIFAR10_STD))
    expected = (raw - mean) / std
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-5, atol=1e-5)  # no augmentation at test time
    np.testing.assert_array_equal(y.numpy(), ref["test_y"])
    probe = dm.probe_set()
    assert probe.inputs.shape == (8, 3, 32, 32) and probe.num_classes == 10
    np.testing.assert_allclose(probe.inputs.numpy(), raw[:8], atol=1e-7)  # raw pixels in [0, 1]
    net = build_model("xu_cnn", input_shape=dm.input_shape, num_outputs=10, width=0.125)
    torch.testing.assert_close(probe.predict(net), net(torch.from_numpy(expected[:8])), rtol=1e-5, atol=1e-5)
    noisy = CIFAR10DataModule(root=str(root), label_noise=0.5, probe_split="train", probe_size=1000)
    train_probe = noisy.probe_set()  # all 100 training images, with the labels the model fits
    assert torch.equal(train_probe.inputs, noisy.x_train.float() / 255) and torch.equal(train_probe.targets, noisy.y_train)


def test_lightning_fit_on_tiny_cifar(cifar, tmp_path):
    dm = CIFAR10DataModule(root=str(cifar[0]), label_noise=0.1, batch_size=32, eval_batch_size=20)
    net = build_model("resnet18k", input_shape=dm.input_shape, num_outputs=10, k=2)
    module = ClassificationModule(net, optimizer={"name": "adam", "lr": 1e-3})
    trainer = pl.Trainer(max_steps=4, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path, accelerator="cpu")
    trainer.fit(module, datamodule=dm)
    trainer.test(module, datamodule=dm, verbose=False)
    assert trainer.global_step == 4 and dm.x_train.device.type == "cpu"
    assert torch.isfinite(trainer.callback_metrics["test/loss"])
