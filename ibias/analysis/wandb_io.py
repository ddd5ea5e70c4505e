"""Reading an offline W&B run back from its `run-<id>.wandb` log, with no network and no wandb reader.

wandb 0.31 writes each run as a LevelDB-style record log (verified on this machine, wandb 0.31.0):
a 7-byte file header (`:W&B`, magic 0xBEE1 little-endian, version 0), then 32 KiB blocks of frames;
a frame is `crc32 (u32 LE) | length (u16 LE) | type (u8)` + payload, type FULL=1 / FIRST=2 /
MIDDLE=3 / LAST=4 for records split across blocks, and a block tail shorter than a frame header
is zero padding. The CRC is IEEE CRC-32 (zlib) of the type byte followed by the payload. Each
reassembled payload is a `wandb.proto.wandb_internal_pb2.Record`.

A run that crashed leaves a torn tail (a frame cut short, or a record whose LAST fragment never
came): `read_run` returns every complete record before it and sets `RunRecord.torn`.

To run: `read_run("outputs/.../wandb/offline-run-...")`, or `find_runs("outputs")` for every run under a folder.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADER = struct.Struct("<4sHB")  # ident, magic, version
FRAME = struct.Struct("<IHB")  # crc, length, type
IDENT, MAGIC, VERSION = b":W&B", 0xBEE1, 0
BLOCK = 32 * 1024
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


@dataclass
class RunRecord:
    """One W&B run read back from disk: history rows, config, summary, media and run metadata."""

    path: Path  # the run-<id>.wandb file
    history: list[dict[str, Any]] = field(default_factory=list)  # one dict per logged row, each with `_step`
    config: dict[str, Any] = field(default_factory=dict)  # the run config, nested as logged (no `_wandb`)
    summary: dict[str, Any] = field(default_factory=dict)  # last summary values, if any were written
    media: list[Path] = field(default_factory=list)  # absolute paths of media files the run saved
    artifacts: list[dict[str, Any]] = field(default_factory=list)  # {name, type, aliases, digest, files}
    metrics: dict[str, str] = field(default_factory=dict)  # define_metric: metric name or glob -> its step metric
    run_id: str | None = None
    name: str | None = None
    project: str | None = None
    group: str | None = None
    job_type: str | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    exit_code: int | None = None  # from the exit record; None if the run never reached finish()
    torn: bool = False  # the file ends inside a record (a crash) or a frame failed its CRC

    @property
    def run_dir(self) -> Path:
        """Return the run folder (the one holding the .wandb file and files/)."""
        return self.path.parent

    @property
    def exited(self) -> bool:
        """Return True when the run wrote its exit record (finish() was reached)."""
        return self.exit_code is not None

    def media_file(self, value: dict[str, Any]) -> Path:
        """Return the file behind a logged media value (a history dict with `_type` and `path`)."""
        if not isinstance(value, dict) or "path" not in value:
            raise ValueError(f"{value!r} is not a logged media value (an image or table with a `path`)")
        return self.run_dir / "files" / value["path"]

    def table(self, value: dict[str, Any]) -> tuple[list[str], list[list]]:
        """Return (columns, rows) of a logged wandb.Table value."""
        saved = json.loads(self.media_file(value).read_text())
        return saved["columns"], saved["data"]

    def keys(self) -> list[str]:
        """Return every history key, in first-seen order."""
        seen: dict[str, None] = {}
        for row in self.history:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def series(self, key: str, x: str = "_step") -> tuple[list, list]:
        """Return (x values, key values) over the rows that hold both `x` and `key`."""
        rows = [r for r in self.history if key in r and x in r]
        return [r[x] for r in rows], [r[key] for r in rows]


def read_frames(data: bytes) -> tuple[list[tuple[int, bytes]], bool]:
    """Return ([(end offset in bytes, record payload)], torn) for a whole `.wandb` file's bytes."""
    if len(data) < HEADER.size:
        raise ValueError(f"not a W&B run log: {len(data)} bytes, shorter than the {HEADER.size}-byte header")
    ident, magic, version = HEADER.unpack_from(data)
    if ident != IDENT or magic != MAGIC:
        raise ValueError(f"not a W&B run log: header {data[:HEADER.size]!r} (expected {IDENT!r} + 0x{MAGIC:04X})")
    if version != VERSION:
        raise ValueError(f"W&B run log version {version} is not supported (this reader knows version {VERSION})")
    records: list[tuple[int, bytes]] = []
    pending: list[bytes] | None = None  # fragments of a record split across blocks
    pos = HEADER.size
    while pos < len(data):
        left_in_block = BLOCK - pos % BLOCK
        if left_in_block < FRAME.size:  # zero padding at a block's end
            pos += left_in_block
            continue
        if len(data) - pos < FRAME.size:
            return records, True  # a frame header cut short
        crc, length, kind = FRAME.unpack_from(data, pos)
        start, end = pos + FRAME.size, pos + FRAME.size + length
        if end > len(data):
            return records, True  # a payload cut short
        payload = data[start:end]
        if length > left_in_block - FRAME.size or zlib.crc32(bytes([kind]) + payload) != crc:
            return records, True  # garbage (e.g. zeros the filesystem left after a crash)
        pos = end
        if kind == FULL:
            records.append((end, payload))
            pending = None
        elif kind == FIRST:
            pending = [payload]
        elif kind in (MIDDLE, LAST) and pending is not None:
            pending.append(payload)
            if kind == LAST:
                records.append((end, b"".join(pending)))
                pending = None
        else:
            return records, True  # an unknown frame type, or a MIDDLE/LAST with no FIRST
    return records, pending is not None


def _load(value_json: str) -> Any:
    return json.loads(value_json) if value_json else None


def _item_value(item) -> Any:
    """Return a HistoryItem's decoded value (value_json, else its typed `value` oneof)."""
    if item.value_json:
        return json.loads(item.value_json)
    which = item.WhichOneof("value")
    if which in (None, "none"):
        return None
    return json.loads(item.json) if which == "json" else getattr(item, which)


def _item_path(item) -> list[str]:
    return list(item.nested_key) if item.nested_key else [item.key]


def _put(target: dict, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def _drop(target: dict, path: list[str]) -> None:
    for part in path[:-1]:
        target = target.get(part, {})
    target.pop(path[-1], None)


def read_run(run: str | Path) -> RunRecord:
    """Return the RunRecord of an offline run folder (or of its `run-<id>.wandb` file itself)."""
    path = _wandb_file(Path(run))
    from wandb.proto import wandb_internal_pb2 as pb  # the record schema; no wandb service is started

    frames, torn = read_frames(path.read_bytes())
    out = RunRecord(path=path, torn=torn)
    media: dict[Path, None] = {}
    for _, payload in frames:
        record = pb.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "history":
            row: dict[str, Any] = {}
            for item in record.history.item:
                _put(row, _item_path(item), _item_value(item))
            row.setdefault("_step", record.history.step.num)
            out.history.append(row)
        elif kind == "run":
            _apply_run(out, record.run)
        elif kind == "config":
            _apply_updates(out.config, record.config.update, record.config.remove)
        elif kind == "summary":
            _apply_updates(out.summary, record.summary.update, record.summary.remove)
        elif kind == "files":
            for item in record.files.files:
                if item.path.startswith("media/"):
                    media[out.run_dir / "files" / item.path] = None
        elif kind == "artifact":
            art = record.artifact
            out.artifacts.append({
                "name": art.name, "type": art.type, "aliases": list(art.aliases), "digest": art.digest,
                "files": [c.path for c in art.manifest.contents],
            })
        elif kind == "metric":
            if record.metric.step_metric:
                out.metrics[record.metric.name or record.metric.glob_name] = record.metric.step_metric
        elif kind == "exit":
            out.exit_code = record.exit.exit_code
    out.config.pop("_wandb", None)  # wandb's own bookkeeping, not the user's config
    out.summary = {k: v for k, v in out.summary.items() if k != "_wandb"}
    out.media = list(media)
    return out


def _apply_run(out: RunRecord, run) -> None:
    out.run_id = run.run_id or out.run_id
    out.name = run.display_name or out.name
    out.project = run.project or out.project
    out.group = run.run_group or out.group
    out.job_type = run.job_type or out.job_type
    out.notes = run.notes or out.notes
    out.tags = list(run.tags) or out.tags
    _apply_updates(out.config, run.config.update, run.config.remove)
    _apply_updates(out.summary, run.summary.update, run.summary.remove)


def _apply_updates(target: dict, updates, removes) -> None:
    for item in updates:
        _put(target, _item_path(item), _load(item.value_json))
    for item in removes:
        _drop(target, _item_path(item))


def _wandb_file(path: Path) -> Path:
    """Return the `.wandb` log for a run folder or file; raise a clear error if there is none."""
    if path.is_file() and path.suffix == ".wandb":
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist; pass a W&B run folder such as wandb/offline-run-<date>-<id>")
    logs = sorted(path.glob("run-*.wandb"))
    if len(logs) != 1:
        found = "no run-<id>.wandb file" if not logs else f"{len(logs)} .wandb files"
        raise ValueError(f"{path} is not a W&B run folder ({found}); pass a folder such as wandb/offline-run-<date>-<id>")
    return logs[0]


def find_runs(root: str | Path) -> list[Path]:
    """Return every W&B run folder under `root` (or `root` itself), sorted, each once (symlinks such as latest-run skipped)."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"{root} does not exist")
    found: dict[Path, Path] = {}
    for log in sorted(root.rglob("run-*.wandb")):
        if any(p.is_symlink() for p in [log, *log.parents] if p != root and root in p.parents):
            continue
        found.setdefault(log.parent.resolve(), log.parent)
    return sorted(found.values())


def join_parts(records: list[RunRecord]) -> list[RunRecord]:
    """Return `records` with the parts of each resumed run (one per process, same run id) joined into one record.

    A run continued with `resume=` writes one folder per process (`offline-run-<time>-<id>`); joined,
    the history is the parts' rows in order of start time, config, summary and exit code are the last
    part's, and a logged media value points at its own part's file (its `path` made absolute).
    Records without a run id, and runs in one part, are returned as they are, in first-seen order.
    """
    groups: dict[object, list[RunRecord]] = {}
    for i, record in enumerate(records):
        groups.setdefault(record.run_id or i, []).append(record)
    joined = []
    for parts in groups.values():
        if len(parts) == 1:
            joined.append(parts[0])
            continue
        parts = sorted(parts, key=lambda r: r.run_dir.name.rsplit("-", 2)[-2])  # [offline-]run-<YYYYmmdd_HHMMSS>-<id>
        last = parts[-1]
        history = [{k: _absolute_media(part, v) for k, v in row.items()} for part in parts for row in part.history]
        joined.append(RunRecord(
            path=last.path, history=history, config=last.config, summary=last.summary,
            media=[m for part in parts for m in part.media], artifacts=[a for part in parts for a in part.artifacts],
            metrics={k: v for part in parts for k, v in part.metrics.items()}, run_id=last.run_id, name=last.name,
            project=last.project, group=last.group, job_type=last.job_type, tags=last.tags, notes=last.notes,
            exit_code=last.exit_code, torn=last.torn,
        ))
    return joined


def _absolute_media(part: RunRecord, value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        return {**value, "path": str(part.run_dir / "files" / value["path"])}
    return value


def read_finished_run(run: str | Path, timeout: float = 60.0) -> RunRecord:
    """Return read_run(run) once its exit record is on disk: wandb's finish() can return before the flush.

    Raises TimeoutError after `timeout` seconds (a run that crashed never writes one; use read_run).
    """
    import time

    deadline = time.monotonic() + timeout
    record = read_run(run)
    while not record.exited:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{run} has no exit record after {timeout:g} s: the run did not finish")
        time.sleep(0.2)
        record = read_run(run)
    return record
