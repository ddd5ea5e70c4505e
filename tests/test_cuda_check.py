"""Without an NVIDIA driver, Lightning's NVML-based CUDA check is switched off: same answer, no per-step probing."""

from __future__ import annotations

import ctypes
import os

import lightning.pytorch  # noqa: F401  (sets PYTORCH_NVML_BASED_CUDA_CHECK=1, as in every ibias process)
import pytest
import torch

from ibias.run.cuda_check import NVML_LIBRARY, VARIABLE, skip_nvml_check_without_driver


def nvml_loads() -> bool:
    try:
        ctypes.CDLL(NVML_LIBRARY)
    except OSError:
        return False
    return True


def library_loads_in_one_adam_step(monkeypatch) -> list[str]:
    """Return the shared libraries ctypes was asked to load during one Adam step on CPU."""
    net = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(net.parameters())
    net(torch.randn(4, 3)).sum().backward()
    loaded, real = [], ctypes.CDLL

    def counting(name, *args, **kwargs):
        loaded.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(ctypes, "CDLL", counting)
    optimizer.step()
    monkeypatch.setattr(ctypes, "CDLL", real)
    return loaded


@pytest.mark.skipif(nvml_loads(), reason="an NVIDIA driver is installed: the NVML check is kept, as it should be")
def test_without_nvml_the_variable_goes_and_adam_stops_probing_for_it(monkeypatch):
    monkeypatch.setenv(VARIABLE, "1")  # what importing Lightning did
    answer = torch.cuda.is_available()
    assert NVML_LIBRARY in library_loads_in_one_adam_step(monkeypatch)  # the cost: a failed dlopen at every step
    assert skip_nvml_check_without_driver() is True
    assert VARIABLE not in os.environ
    assert library_loads_in_one_adam_step(monkeypatch) == []
    assert torch.cuda.is_available() == answer


def test_with_a_driver_or_without_the_variable_nothing_changes(monkeypatch):
    monkeypatch.setattr(ctypes, "CDLL", lambda name, *a, **k: object())  # NVML loads
    monkeypatch.setenv(VARIABLE, "1")
    assert skip_nvml_check_without_driver() is False
    assert os.environ[VARIABLE] == "1"
    monkeypatch.setenv(VARIABLE, "0")  # a user's own choice is left alone
    monkeypatch.setattr(ctypes, "CDLL", lambda name, *a, **k: (_ for _ in ()).throw(OSError(name)))
    assert skip_nvml_check_without_driver() is False
    assert os.environ[VARIABLE] == "0"
