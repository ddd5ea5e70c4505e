"""The non-grid probes: their numbers against independent computations, and every probe through SpectrumCallback."""

from __future__ import annotations

import math

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from callbacks.probes.filtering import FilterProbe
from callbacks.probes.fourier_heatmap import FourierHeatmapProbe
from callbacks.probes.image_filters import ImageFilterProbe
from callbacks.probes.input_gradients import InputGradientProbe
from callbacks.probes.line_path import LinePathProbe
from callbacks.probes.projection import ProjectionProbe
from callbacks.spectrum import SpectrumCallback
from datamodules.tensor_loaders import full_batch_loader
from ibias.measures.filtering import filter_errors
from ibias.measures.spectral import projection_spectrum
from ibias.probe_set import ProbeSet
from recording_logger import RecordingLogger


class TinyClassifier(pl.LightningModule):
    """A user's own classifier on (C, H, W) images; forward returns logits."""

    def __init__(self, shape=(3, 8, 8), classes=4):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(shape[0], 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(4 * shape[1] * shape[2], classes))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        return F.cross_entropy(self(batch[0]), batch[1])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def image_probe_set(n=24, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, 8, 8, generator=g)
    labels = torch.randint(0, classes, (n,), generator=g)
    return ProbeSet(inputs=images, targets=labels, num_classes=classes, input_transform=lambda x: (x - 0.5) / 0.25)


@pytest.mark.filterwarnings("ignore:ProjectionProbe")  # random labels: its peaks are noise, as it warns
def test_every_probe_runs_through_the_callback_and_logs_its_keys(tmp_path):
    probe_set = image_probe_set()
    projection = ProjectionProbe(num_peaks=3, subset=20)
    cheap = SpectrumCallback(
        probes=[FilterProbe(deltas=[2.0, 10.0], subset=16), projection,
                LinePathProbe(num_paths=4, num_steps=16), ImageFilterProbe(radii=[1, 2.5], subset=12),
                InputGradientProbe(subset=6)],
        every_n_steps=1, probe_set=probe_set)
    heat = SpectrumCallback(probes=[FourierHeatmapProbe(eps=2.0, max_freq=1, subset=8)], every_n_steps=2,
                            probe_set=probe_set, heatmap_every_n_events=1)
    logger = RecordingLogger(tmp_path)
    trainer = pl.Trainer(max_steps=2, callbacks=[cheap, heat], logger=logger, enable_progress_bar=False,
                         enable_checkpointing=False, default_root_dir=tmp_path, accelerator="cpu", enable_model_summary=False)
    trainer.fit(TinyClassifier(), train_dataloaders=full_batch_loader(probe_set.inputs, probe_set.targets))
    keys = set().union(*(row.keys() for _, row in logger.rows))
    expected = {"spectrum/filter/e_low_d002.0", "spectrum/filter/e_high_d010.0",
                "spectrum/line_path/power_f0", "spectrum/line_path/power_f8", "spectrum/image_filters/acc_low_r01",
                "spectrum/image_filters/acc_high_r02.5", "spectrum/input_gradients/gradpow_r0",
                "spectrum/input_gradients/gradpow_r6", "spectrum/fourier_heatmap/fourier_heatmap_error",
                "spectrum/fourier_heatmap/clean_error"}
    expected |= {f"spectrum/projection/relerr_k{float(k):.4g}" for k in projection.freqs}  # keyed by the peak's frequency
    assert len(projection.freqs) == 3
    assert expected <= keys, expected - keys
    declared = {f"spectrum/{name}/{key}" for cb in (cheap, heat) for name, rec in cb.records.items() for key in rec.keys()}
    assert keys - {"epoch"} <= declared, (keys - {"epoch"}) - declared  # every logged key is declared
    assert cheap.history["filter"]["steps"] == [0, 1, 2] and heat.history["fourier_heatmap"]["steps"] == [0, 2]
    for name in ("filter", "projection", "line_path", "image_filters", "input_gradients"):
        assert (tmp_path / f"spectrum_{name}.png").stat().st_size > 1000
    assert heat.images["fourier_heatmap"][1].shape == (3, 3)
    assert (tmp_path / "spectrum_fourier_heatmap_image.png").stat().st_size > 1000
    assert all(math.isfinite(v) for _, row in logger.rows for v in row.values())


def test_filter_probe_compares_softmax_with_one_hot():
    probe_set = image_probe_set(n=20)
    module = TinyClassifier().eval()
    probe = FilterProbe(deltas=[5.0, 20.0], subset=None)
    probe.setup(probe_set)
    got = probe.measure(module).scalars
    with torch.no_grad():
        softmax = torch.softmax(module(probe_set.input_transform(probe_set.inputs)), -1).double()
    one_hot = torch.eye(4, dtype=torch.float64)[probe_set.targets]
    x = probe_set.inputs.reshape(20, -1).double()  # raw pixels, as Xu et al.
    expected = filter_errors(x, softmax, one_hot, [5.0, 20.0])
    assert got["e_low_d005.0"] == pytest.approx(float(expected["e_low"][0]), rel=1e-4)
    assert got["e_high_d020.0"] == pytest.approx(float(expected["e_high"][1]), rel=1e-4)


class Exact(nn.Module):
    """A regression 'model' that returns the target function exactly: y = cos(2π·3·(p·x))."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return torch.cos(2 * math.pi * 3 * (x @ self.p))[:, None]


def test_projection_probe_finds_the_target_peak_and_a_perfect_model_has_zero_error():
    g = torch.Generator().manual_seed(0)
    p = torch.tensor([0.6, 0.8, 0.0])
    x = torch.randn(500, 3, generator=g) * torch.tensor([1.0, 1.0, 0.1])
    x = x - (x @ p)[:, None] * p + torch.rand(500, 1, generator=g) * 4 * p  # spread 4 along p: the top direction
    probe_set = ProbeSet(inputs=x, targets=Exact(p)(x))
    probe = ProjectionProbe(num_peaks=1, num_scan=401, max_freq=4.0, subset=None)
    probe.setup(probe_set)
    assert float(probe.freqs[0]) == pytest.approx(3.0, abs=0.011)
    assert abs(abs(float(probe.direction.double() @ p.double())) - 1) < 1e-2
    key = f"relerr_k{float(probe.freqs[0]):.4g}"  # the key names the peak's frequency (≈ 3)
    assert key.startswith("relerr_k3") or key.startswith("relerr_k2.99")
    assert probe.measure(Exact(p)).scalars[key] == pytest.approx(0.0, abs=1e-6)
    zero = probe.measure(lambda z: torch.zeros(len(z), 1)).scalars[key]
    assert zero == pytest.approx(1.0, abs=1e-9)  # ĥ = 0: ‖ŷ‖/‖ŷ‖
    coeffs = projection_spectrum(x.double(), probe_set.targets.double(), probe.freqs, probe.direction)
    assert torch.allclose(coeffs, probe.target_coeffs)


def test_input_gradient_spectrum_of_a_linear_model_equals_the_spectrum_of_its_weights():
    torch.manual_seed(0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(2 * 8 * 8, 3)).double()
    probe_set = ProbeSet(inputs=torch.rand(10, 2, 8, 8, dtype=torch.float64), targets=torch.randint(0, 3, (10,)), num_classes=3)
    probe = InputGradientProbe(subset=None, batch_size=4)
    probe.setup(probe_set)
    got = probe.measure(linear).scalars
    # ∂(logit of class c)/∂x = W[c] for every x: average the numpy ring power of W[label] over images and channels.
    weights = linear[1].weight.detach().numpy().reshape(3, 2, 8, 8)
    grads = weights[probe_set.targets.numpy()]  # (10, 2, 8, 8)
    power = (np.abs(np.fft.fft2(grads)) ** 2 / 64).reshape(-1, 8, 8).mean(0)
    u = np.fft.fftfreq(8, 1 / 8)
    ring = np.rint(np.hypot(u[:, None], u[None, :])).astype(int)
    for r in range(ring.max() + 1):
        assert got[f"gradpow_r{r}"] == pytest.approx(power[ring == r].mean(), rel=1e-10)


def test_image_filter_probe_separates_brightness_from_texture():
    # Class c: channel c is brighter (a radius-0 feature) and channel (c+1) mod 3 carries a checkerboard (radius √32 ≈ 5.7).
    g = torch.Generator().manual_seed(1)
    labels = torch.arange(30) % 3
    checker = (torch.arange(8)[:, None] + torch.arange(8)[None, :]) % 2 * 2.0 - 1  # (8, 8) of ±1
    images = 0.3 + 0.05 * torch.rand(30, 3, 8, 8, generator=g) + 0.3 * F.one_hot(labels, 3).float()[:, :, None, None]
    images = images + 0.2 * checker * F.one_hot((labels + 1) % 3, 3).float()[:, :, None, None]
    brightness = lambda x: x.mean(dim=(2, 3)) * 10  # logits from channel means  # noqa: E731
    texture = lambda x: x.var(dim=(2, 3)).roll(-1, dims=1) * 100  # logits from channel variance  # noqa: E731
    probe_set = ProbeSet(inputs=images, targets=labels, num_classes=3)
    probe = ImageFilterProbe(radii=[0, 3], subset=None)
    probe.setup(probe_set)
    by_brightness, by_texture = probe.measure(brightness).scalars, probe.measure(texture).scalars
    assert by_brightness["acc_low_r00"] == 1.0 and by_brightness["acc_low_r03"] == 1.0  # the means survive low-pass
    assert by_texture["acc_high_r00"] == 1.0 and by_texture["acc_high_r03"] == 1.0  # the checkerboard survives high-pass


def test_fourier_heatmap_with_zero_eps_is_the_clean_error_and_is_symmetric():
    probe_set = image_probe_set(n=16)
    module = TinyClassifier().eval()
    probe = FourierHeatmapProbe(eps=0.0, max_freq=2, subset=None)
    probe.setup(probe_set)
    result = probe.measure(module)
    assert result.image.shape == (5, 5)
    assert torch.allclose(result.image, torch.full((5, 5), result.scalars["clean_error"]))
    noisy = FourierHeatmapProbe(eps=3.0, max_freq=2, subset=None)
    noisy.setup(probe_set)
    image = noisy.measure(module).image
    assert torch.equal(image, image.flip(0).flip(1))  # U_{u,v} = U_{−u,−v}
    scalars = noisy.measure(module).scalars  # the centre is max(|u|, |v|) <= 2 = the whole 5×5 map; the ring its border
    border = torch.cat([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
    assert scalars["centre_error"] == pytest.approx(float(image.mean()))
    assert scalars["ring_error"] == pytest.approx(float(border.mean()))


def test_image_probes_name_bad_input():
    flat = ProbeSet(inputs=torch.rand(5, 40), targets=torch.zeros(5).long(), num_classes=2)
    with pytest.raises(ValueError, match=r"image inputs \(n, C, H, W\)"):
        ImageFilterProbe().setup(flat)
    with pytest.raises(ValueError, match="max_freq=9 must be in"):
        FourierHeatmapProbe(max_freq=9).setup(image_probe_set())


def test_projection_probe_warns_when_its_peaks_are_sampling_noise():
    # Labels independent of x: every |ŷ(k)| at k > 0 is noise of RMS ‖y‖_F/n (here 1/√n for one-hot rows).
    g = torch.Generator().manual_seed(2)
    probe_set = ProbeSet(inputs=torch.randn(400, 5, generator=g), targets=torch.randint(0, 4, (400,), generator=g), num_classes=4)
    probe = ProjectionProbe(num_peaks=3, subset=None)
    with pytest.warns(UserWarning, match="sampling-noise level 0.05 of n = 400"):
        probe.setup(probe_set)
