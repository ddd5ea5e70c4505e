"""Test helper: write a real offline W&B run in a subprocess (WANDB_MODE is read once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ibias.analysis.wandb_io import find_runs, read_finished_run

# The child logs `spec` with the real wandb client, the way Lightning's WandbLogger does:
# define_metric on trainer/global_step, one wandb.log call per row.
CHILD = r"""
import json, sys
import numpy as np
import wandb

spec = json.load(open(sys.argv[1]))
run = wandb.init(mode="offline", dir=sys.argv[2], **spec["init"])
run.define_metric("trainer/global_step")
run.define_metric("*", step_metric="trainer/global_step", step_sync=True)
for row in spec["rows"]:
    data = dict(row["data"])
    for key, pixels in row.get("images", {}).items():
        data[key] = wandb.Image(np.asarray(pixels, dtype=np.uint8))
    for key, table in row.get("tables", {}).items():
        data[key] = wandb.Table(columns=table["columns"], data=table["data"])
    if row.get("step") is None:
        run.log(data)
    else:
        run.log(data, step=row["step"])
run.finish()
"""


def write_offline_run(root: Path, spec: dict, timeout: float = 60.0) -> Path:
    """Return the run folder of a finished offline run that logged `spec` (init kwargs + rows) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    spec_path = root / "spec.json"
    spec_path.write_text(json.dumps(spec))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    for name in ("CONFIG", "CACHE", "DATA", "ARTIFACT"):  # keep wandb's side files out of $HOME
        env[f"WANDB_{name}_DIR"] = str(root / "wandb_home")
    env["WANDB_SILENT"] = "true"
    subprocess.run([sys.executable, "-c", CHILD, str(spec_path), str(root)], env=env, check=True, timeout=timeout)
    (run_dir,) = find_runs(root)
    read_finished_run(run_dir, timeout)  # finish() can return before wandb's service has flushed the log
    return run_dir
