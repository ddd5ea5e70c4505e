"""grid_spectrum against closed forms: sums of sinusoids on the periodic grid t = j/N."""

import math

import pytest
import torch

from ibias.measures.spectral import grid_coefficients, grid_spectrum


def sinusoids(n, freqs, amps, phases):
    t = torch.arange(n, dtype=torch.float64) / n
    return sum(a * torch.sin(2 * math.pi * k * t + p) for k, a, p in zip(freqs, amps, phases))


def test_amplitudes_of_a_sum_of_sinusoids_are_exact():
    gen = torch.Generator().manual_seed(0)
    freqs = [1, 5, 10, 37, 99]
    amps = torch.rand(5, generator=gen, dtype=torch.float64) + 0.1
    phases = 2 * math.pi * torch.rand(5, generator=gen, dtype=torch.float64)
    values = sinusoids(200, freqs, amps, phases)
    out = grid_spectrum(values, freqs + [2, 50])
    torch.testing.assert_close(out[:5], amps, rtol=0, atol=1e-12)
    torch.testing.assert_close(out[5:], torch.zeros(2, dtype=torch.float64), rtol=0, atol=1e-12)


def test_phases_come_back_in_the_complex_coefficients():
    # A sin(2πkt + φ) = A cos(2πkt + φ − π/2): coefficient A·exp(i(φ − π/2)).
    values = sinusoids(64, [3], [2.0], [0.7])
    coeff = grid_coefficients(values, [3])[0]
    assert abs(coeff.abs().item() - 2.0) < 1e-12
    assert abs(torch.angle(coeff).item() - (0.7 - math.pi / 2)) < 1e-12


def test_dc_is_not_doubled_and_batches_over_leading_dims():
    n = 50
    values = torch.stack([torch.full((n,), 3.0), sinusoids(n, [4], [1.5], [0.0]).float()])  # (2, N)
    out = grid_spectrum(values.reshape(2, 1, n), [0, 4])  # (2, 1, 2)
    assert out.shape == (2, 1, 2)
    torch.testing.assert_close(out[:, 0], torch.tensor([[3.0, 0.0], [0.0, 1.5]]), atol=1e-5, rtol=0)


def test_off_grid_frequency_leaks_as_documented():
    # Half-way between integers the nearest bins hold 2/π of the amplitude (Dirichlet kernel), not all of it.
    # The mirror image at −k adds a term of relative size ≈ 1/(π·N·sin(π(2k)/N)) ≈ 0.2% at k = 200.5, N = 1000.
    n = 1000
    t = torch.arange(n, dtype=torch.float64) / n
    for wave in (torch.cos, torch.sin):
        amps = grid_spectrum(wave(2 * math.pi * 200.5 * t), [200, 201])
        torch.testing.assert_close(amps, torch.full((2,), 2 / math.pi, dtype=torch.float64), rtol=5e-3, atol=0)


@pytest.mark.parametrize("bad", [[100], [101], [-1]])
def test_frequencies_at_or_above_nyquist_are_rejected_by_name(bad):
    with pytest.raises(ValueError, match=rf"\[{bad[0]}\].*N=200"):
        grid_spectrum(torch.zeros(200), bad)
