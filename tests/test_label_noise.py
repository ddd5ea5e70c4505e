"""Label noise (Nakkiran et al.): exact fraction, always a different class, uniform over wrong classes."""

import numpy as np
import pytest
import torch
from scipy import stats

from datamodules.label_noise import corrupt_labels


def _labels(n: int, num_classes: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, num_classes, (n,), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("fraction", [0.0, 0.15, 0.2, 0.5, 0.999])
def test_measured_fraction_equals_requested(fraction):
    labels = _labels(4000, 10)
    noisy, idx = corrupt_labels(labels, fraction, 10, seed=3)
    changed = (noisy != labels).nonzero().flatten()
    # Every corrupted label differs, so the changed set IS the index set: fraction is exact.
    assert len(changed) == round(fraction * 4000)
    assert torch.equal(changed, idx)


def test_every_corrupted_label_is_a_different_valid_class():
    labels = _labels(1000, 3)
    noisy, idx = corrupt_labels(labels, 0.9, 3, seed=0)
    assert (noisy[idx] != labels[idx]).all()
    assert noisy.min() >= 0 and noisy.max() < 3
    untouched = torch.ones(1000, dtype=torch.bool)
    untouched[idx] = False
    assert torch.equal(noisy[untouched], labels[untouched])


def test_wrong_class_is_uniform_chi_square():
    # For each true class c the new label should be uniform on the 9 others. Pool the offsets
    # (new - old) mod 10, which must be uniform on {1..9}: 45,000 draws, 8 degrees of freedom.
    # Threshold p > 1e-3: a correct sampler fails once in a thousand seeds; we use one fixed seed.
    labels = _labels(50_000, 10, seed=7)
    noisy, idx = corrupt_labels(labels, 0.9, 10, seed=11)
    offsets = ((noisy[idx] - labels[idx]) % 10).numpy()
    counts = np.bincount(offsets, minlength=10)
    assert counts[0] == 0
    assert stats.chisquare(counts[1:]).pvalue > 1e-3
    # And per true class: the 9 wrong targets of class 0 are uniform too.
    from0 = noisy[idx][labels[idx] == 0].numpy()
    assert stats.chisquare(np.bincount(from0, minlength=10)[1:]).pvalue > 1e-3


def test_chi_square_test_detects_a_biased_sampler():
    # The threshold above has power: "always +1" corruption fails it by a wide margin.
    counts = np.zeros(9)
    counts[0] = 1000
    assert stats.chisquare(counts + 100).pvalue < 1e-3


def test_same_seed_same_corruption_other_seed_differs():
    labels = _labels(500, 10)
    a, ia = corrupt_labels(labels, 0.2, 10, seed=5)
    b, ib = corrupt_labels(labels, 0.2, 10, seed=5)
    c, ic = corrupt_labels(labels, 0.2, 10, seed=6)
    assert torch.equal(a, b) and torch.equal(ia, ib)
    assert not torch.equal(ia, ic)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_fraction_outside_unit_interval_names_the_value(fraction):
    with pytest.raises(ValueError, match=f"label_noise={float(fraction)}"):
        corrupt_labels(_labels(10, 10), fraction, 10)


def test_bad_labels_are_rejected():
    with pytest.raises(ValueError, match="num_classes=10"):
        corrupt_labels(torch.tensor([0, 10]), 0.5, 10)
    with pytest.raises(ValueError, match="1-D"):
        corrupt_labels(torch.zeros(2, 2, dtype=torch.long), 0.5, 10)
