"""The import rules of ibias/'s folders (README "Layout"), checked on the source and in a fresh interpreter.

measures/ and models/ are pure maths and networks: torch, numpy, scipy, never Lightning, W&B, Hydra,
plotting or another ibias role. analysis/ reads finished runs: nothing from run/, callbacks or datamodules.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ("lightning", "pytorch_lightning", "wandb", "hydra", "omegaconf")
FORBIDDEN = {
    "measures": TRAINING + ("matplotlib", "ibias.run", "ibias.analysis", "ibias.models", "callbacks", "datamodules"),
    "models": TRAINING + ("matplotlib", "ibias.run", "ibias.analysis", "ibias.measures", "callbacks", "datamodules"),
    "analysis": ("lightning", "pytorch_lightning", "hydra", "omegaconf", "ibias.run", "callbacks", "datamodules"),
}


def imported_modules(path: Path, package: str) -> set[str]:
    """Return the absolute names of every module `path` imports (relative imports resolved from `package`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module)
    return names


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_each_folder_imports_only_what_its_role_allows(folder):
    files = sorted((ROOT / "ibias" / folder).glob("*.py"))
    assert files
    for path in files:
        for name in imported_modules(path, f"ibias.{folder}"):
            bad = [f for f in FORBIDDEN[folder] if name == f or name.startswith(f + ".")]
            assert not bad, f"{path.relative_to(ROOT)} imports {name}: ibias/{folder} must not import {bad[0]}"


def test_the_maths_loads_without_lightning_or_wandb():
    """Transitive imports too: a notebook can use ibias.measures and ibias.models without the training stack."""
    code = ("import sys, pkgutil, importlib, ibias.measures, ibias.models\n"
            "for m in pkgutil.iter_modules(ibias.measures.__path__): importlib.import_module('ibias.measures.' + m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('lightning', 'wandb', 'hydra', 'matplotlib')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
