"""Lightning's NVML-based CUDA check, switched off where no NVIDIA driver can answer it.

Importing Lightning sets PYTORCH_NVML_BASED_CUDA_CHECK=1, so that `torch.cuda.is_available()` asks NVML instead of
initializing CUDA. torch's Adam and AdamW call it at every `step()` (a CUDA-graph capture check), and until CUDA is
initialized torch caches no answer: on a machine without the NVIDIA driver every step tries to load libnvidia-ml,
fails, and then asks the CUDA runtime anyway. That cost 0.1 ms a call and about 0.7 ms of a 12 ms step of the
default run here (2 CPU cores). Without the library the variable changes nothing but the cost: torch falls back
to the same runtime query it makes without it, so the answer, and what that query initializes, are the same.
"""

from __future__ import annotations

import ctypes
import os

VARIABLE = "PYTORCH_NVML_BASED_CUDA_CHECK"
NVML_LIBRARY = "libnvidia-ml.so.1"  # the name torch.cuda loads (torch/cuda/__init__.py, _raw_device_count_nvml)


def skip_nvml_check_without_driver() -> bool:
    """Unset PYTORCH_NVML_BASED_CUDA_CHECK when NVML cannot be loaded; return True if it was unset.

    Call it after importing Lightning (which sets the variable at import) and before training.
    """
    if os.environ.get(VARIABLE) != "1":
        return False
    try:
        ctypes.CDLL(NVML_LIBRARY)
    except OSError:  # no NVIDIA driver: torch's NVML path would fail and fall back at every call
        del os.environ[VARIABLE]
        return True
    return False
