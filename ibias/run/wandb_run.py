"""Starting, resuming and finishing the W&B run of a training: offline by default, online on request.

A resumed run (`resume=<run folder>`) reopens the same W&B run id. wandb writes each process's
part as its own `wandb/offline-run-<time>-<id>` folder (`run-...` online); `wandb sync` uploads
the parts of one id into one run, in order of start time. A `kill -9` loses the rows wandb had not
yet written (measured here: the last ~0.4 s of rows, wandb's service writes behind the training),
so every scalar row also goes to the run folder's own journal, `logged_rows.jsonl`, appended as it
is logged. The resumed part first logs the journal's rows that no earlier part holds, then goes on:
a (key, step) already logged is not logged again (the resumed process recomputes, identically, the
steps after its checkpoint) and W&B's step counter continues after the earlier parts', so the run's
history has no duplicated and no missing steps.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from pathlib import Path

from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf

MODES = ("offline", "online", "disabled")
JOURNAL = "logged_rows.jsonl"  # in the run folder: one {"step": s, "metrics": {...}} per logged row


def wandb_mode(requested: str | None) -> str:
    """Return the wandb mode: `requested` (logger.mode), else $WANDB_MODE, else offline."""
    mode = requested or os.environ.get("WANDB_MODE") or "offline"
    mode = {"dryrun": "offline", "run": "online"}.get(mode, mode)
    if mode not in MODES:
        raise ValueError(f"logger.mode={mode!r} is not a W&B mode; use one of {MODES} (online needs `wandb login`)")
    return mode


def check_credentials(mode: str) -> None:
    """Raise ValueError when `mode` is online and wandb finds no credentials (no prompt, no network)."""
    if mode != "online":
        return
    import wandb

    if not wandb.login(prompt=False, verify=False):
        raise ValueError("logger.mode=online, but W&B has no credentials here (no WANDB_API_KEY, no ~/.netrc entry): "
                         "run `wandb login` (or set WANDB_API_KEY) first, or train with logger.mode=offline "
                         "(the default) and upload later with `wandb sync`")


def new_run_id() -> str:
    """Return $WANDB_RUN_ID if set (a `wandb agent` sets it: the sweep waits for that id), else a fresh id.

    A fresh id is 8 random lowercase letters and digits, the form wandb gives its own ids.
    """
    return os.environ.get("WANDB_RUN_ID") or "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))


def logged_so_far(output_dir: Path, run_id: str) -> tuple[dict[str, int], int]:
    """Return ({key: last trainer/global_step it was logged at}, next W&B step) over the run's parts in `output_dir`."""
    from ..analysis.records import STEP_AXIS
    from ..analysis.wandb_io import find_runs, read_run

    last: dict[str, int] = {}
    next_step = 0
    root = Path(output_dir) / "wandb"
    for folder in find_runs(root) if root.is_dir() else []:
        if not folder.name.endswith(f"-{run_id}"):
            continue
        part = read_run(folder)  # a killed part ends in a torn record: every complete row before it is read
        for row in part.history:
            next_step = max(next_step, int(row.get("_step", -1)) + 1)
            if row.get(STEP_AXIS) is None:
                continue
            for key in row:
                if not key.startswith("_") and key != STEP_AXIS:
                    last[key] = max(last.get(key, -1), int(row[STEP_AXIS]))
    return last, next_step


def read_journal(path: Path) -> list[tuple[int, dict[str, float]]]:
    """Return the (step, metrics) rows of a journal, in logged order; a line cut by a kill is skipped."""
    rows = []
    for line in path.read_text().splitlines() if path.is_file() else []:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        rows.append((int(entry["step"]), entry["metrics"]))
    return rows


def missing_rows(journal: list[tuple[int, dict]], logged: dict[str, int]) -> list[tuple[int, dict]]:
    """Return the journal rows, each cut to the keys whose step is past what `logged` holds (rows land in order)."""
    rows = [(step, {k: v for k, v in metrics.items() if step > logged.get(k, -1)}) for step, metrics in journal]
    return [(step, metrics) for step, metrics in rows if metrics]


class ContinuingWandbLogger(WandbLogger):
    """A WandbLogger that keeps a journal of its scalar rows and continues a resumed run without gaps or repeats.

    journal:   file each logged row is appended to (None: none).
    logged:    {key: last step} the run's earlier parts hold; a (key, step) at or before it is not logged again.
    next_step: the W&B step the first row of this part gets (after the earlier parts').
    replay:    rows (step, metrics) to log first: journal rows the earlier parts lost.
    """

    def __init__(self, journal: Path | None = None, logged: dict[str, int] | None = None, next_step: int = 0,
                 replay: list[tuple[int, dict]] = (), **kwargs) -> None:
        super().__init__(**kwargs)
        self.journal, self.logged, self.next_step, self.replay = journal, dict(logged or {}), next_step, list(replay)

    @property
    @rank_zero_experiment
    def experiment(self):
        starting = self._experiment is None
        run = super().experiment
        if starting and self.next_step:
            run.log({}, step=self.next_step, commit=False)  # the next row gets W&B step next_step; no row is written
        if starting:
            for step, metrics in self.replay:
                WandbLogger.log_metrics(self, metrics, step)
                self.logged.update(dict.fromkeys(metrics, step))
            self.replay = []
        return run

    @rank_zero_only
    def log_metrics(self, metrics, step=None) -> None:
        if step is not None:
            metrics = {k: v for k, v in metrics.items() if step > self.logged.get(k, -1)}
            if not metrics:
                return
        super().log_metrics(metrics, step)
        if self.journal is not None and step is not None:
            row = {k: float(v) for k, v in metrics.items()}
            with self.journal.open("a") as f:  # written through to the OS at once: a kill -9 of this process keeps it
                f.write(json.dumps({"step": int(step), "metrics": row}, allow_nan=True) + "\n")


def build_wandb_logger(cfg: DictConfig, output_dir: Path, resume: bool = False):
    """Return a Lightning WandbLogger for `cfg.logger` and `cfg.run`, writing under `output_dir`.

    `resume`: reopen the W&B run `cfg.run.id` and go on from what its earlier parts and journal in `output_dir` hold.
    """
    log, run = cfg.logger, cfg.run
    mode = wandb_mode(log.mode)
    journal = Path(output_dir) / JOURNAL if mode != "disabled" else None
    logged, next_step, replay = {}, 0, []
    if resume and journal is not None:
        logged, next_step = logged_so_far(output_dir, run.id)
        replay = missing_rows(read_journal(journal), logged)
    return ContinuingWandbLogger(
        journal, logged, next_step, replay,
        project=log.project,
        entity=log.get("entity"),
        name=run.name,
        group=run.group,
        tags=list(run.tags or []),
        job_type=run.job_type,
        notes=run.get("notes"),
        id=run.id,
        resume="allow" if resume else None,  # allow: online, a run never synced is created under this id
        save_dir=str(output_dir),
        mode=mode,  # not offline=True: that forces WANDB_MODE=dryrun on the whole process
        log_model=log.log_model,
        config=OmegaConf.to_container(cfg, resolve=True),  # the resolved config, recorded at init
    )


def finish_wandb(logger, exit_code: int = 0) -> str | None:
    """Finish the run behind `logger` (Lightning never does) and return a line saying where it is (None: nowhere)."""
    if logger is None or getattr(logger, "_experiment", None) is None:
        return None
    run = logger.experiment
    mode = run.settings.mode
    run_path = Path(run.dir).parent  # .../wandb/offline-run-<time>-<id>
    offline = mode in ("offline", "dryrun") or run.offline
    run.finish(exit_code=exit_code)  # also clears wandb.run, so a multirun's next job starts its own run
    if mode == "disabled":
        return None  # nothing was written
    parts = sorted(run_path.parent.glob(f"*run-*-{run.id}"))
    if offline:
        where = run_path if len(parts) < 2 else run_path.parent / f"offline-run-*-{run.id}"
        what = "W&B run saved offline in" if len(parts) < 2 else f"W&B run saved offline in {len(parts)} parts,"
        return f"{what} {where}\n  upload it with: wandb sync {where}"
    return f"W&B run: {run.url}" if getattr(run, "url", None) else f"W&B run in {run_path}"
