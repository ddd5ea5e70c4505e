"""ibias.analysis.wandb_io: an offline run written by the real wandb client reads back as it was logged.

Independent checks: the logged rows/config are the test's own; the file framing is checked by
re-framing the decoded payloads with a separate writer below (byte-identical to wandb's file);
truncation is checked against the record ends that writer computes.
"""

from __future__ import annotations

import json
import math
import struct
import zlib

import numpy as np
import pytest

from ibias.analysis.wandb_io import find_runs, read_frames, read_run
from offline_runs import write_offline_run

BLOCK = 32 * 1024
WANDB_KEYS = {"_step", "_runtime", "_timestamp"}  # what wandb adds to every row


def make_spec() -> dict:
    """Return the init kwargs and rows the offline run logs (many rows, so frames cross blocks)."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(120):
        data = {f"spectrum/grid/amp_k{k:02d}": float(rng.random()) for k in range(1, 16)}
        data.update({"train/loss": float(rng.random()) * 10 ** -(i % 7), "trainer/global_step": 10 * i, "epoch": i // 4})
        # wandb's own counter for the first rows, then explicit, strictly increasing, gappy steps
        # (a row without a step after one with a step would be merged into it, by wandb's design)
        rows.append({"data": data, "step": None if i < 3 else 3 * i + i % 2})
    rows[5]["data"]["val/loss"] = math.nan
    rows[6]["data"]["val/loss"] = math.inf
    pixels = (np.arange(6 * 5 * 3).reshape(6, 5, 3) * 3).astype(np.uint8).tolist()
    table = {"columns": ["step", "row", "value"], "data": [[0, "k1", 0.5], [0, "k2", 0.25], [10, "k1", 0.75]]}
    rows.append({"data": {"trainer/global_step": 1200}, "images": {"spectrum/grid/heatmap": pixels},
                 "tables": {"spectrum/grid/heatmap_table": table}, "step": 400})
    config = {"seed": 3, "model": {"name": "mlp", "width": 16, "depths": [1, 2]}, "blob": "x" * 70000}
    init = {"project": "ibias-test", "name": "readback", "group": "g1", "tags": ["a", "b"], "job_type": "train",
            "config": config}
    return {"init": init, "rows": rows, "pixels": pixels, "table": table}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    spec = make_spec()
    run_dir = write_offline_run(tmp_path_factory.mktemp("wandb_io"), spec)
    return run_dir, spec


def expected_steps(rows: list[dict]) -> list[int]:
    """Return wandb's `_step` per row: the explicit step, else one past the previous row's."""
    steps, last = [], -1
    for row in rows:
        last = row["step"] if row.get("step") is not None else last + 1
        steps.append(last)
    return steps


def same(a, b) -> bool:
    return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b


def test_history_config_and_metadata_equal_what_was_logged(run):
    run_dir, spec = run
    rec = read_run(run_dir)
    assert rec.exited and rec.exit_code == 0 and not rec.torn
    assert len(rec.history) == len(spec["rows"])
    for got, logged, step in zip(rec.history, spec["rows"], expected_steps(spec["rows"])):
        want = dict(logged["data"])
        media_keys = set(logged.get("images", {})) | set(logged.get("tables", {}))
        assert set(got) == set(want) | media_keys | WANDB_KEYS
        assert got["_step"] == step
        for key, value in want.items():
            assert same(got[key], value), (key, got[key], value)
    assert rec.config == spec["init"]["config"]
    assert (rec.name, rec.project, rec.group, rec.job_type, rec.tags) == ("readback", "ibias-test", "g1", "train", ["a", "b"])
    assert rec.metrics == {"*": "trainer/global_step"}
    assert rec.summary["train/loss"] == spec["rows"][-2]["data"]["train/loss"]
    xs, ys = rec.series("train/loss", x="trainer/global_step")
    assert xs == [10 * i for i in range(120)] and ys == [r["data"]["train/loss"] for r in spec["rows"][:120]]


def test_media_image_and_table_read_back(run):
    run_dir, spec = run
    rec = read_run(run_dir)
    last = rec.history[-1]
    image = rec.media_file(last["spectrum/grid/heatmap"])
    table = rec.media_file(last["spectrum/grid/heatmap_table"])
    assert set(rec.media) == {image, table}
    import matplotlib.image

    pixels = np.round(matplotlib.image.imread(image)[..., :3] * 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels, np.asarray(spec["pixels"], dtype=np.uint8))
    saved = json.loads(table.read_text())
    assert saved["columns"] == spec["table"]["columns"] and saved["data"] == spec["table"]["data"]
    assert rec.table(last["spectrum/grid/heatmap_table"]) == (spec["table"]["columns"], spec["table"]["data"])


# ---- framing: an independent writer, and torn tails ------------------------------------------
def frame(payloads: list[bytes]) -> tuple[bytes, list[int], set[int]]:
    """Return (file bytes, end offset of each record, every offset where a cut leaves whole records)."""
    out = bytearray(b":W&B" + struct.pack("<HB", 0xBEE1, 0))
    ends, clean = [], {len(out)}
    for payload in payloads:
        rest, first = payload, True
        while True:
            left = BLOCK - len(out) % BLOCK
            if left < 7:  # too small for a frame header: pad with zeros
                if len(out) in clean:  # padding after a whole record: a cut anywhere in it is clean too
                    clean.update(range(len(out) + 1, len(out) + left + 1))
                out += bytes(left)
                continue
            chunk, rest = rest[: left - 7], rest[left - 7:]
            kind = (1 if not rest else 2) if first else (4 if not rest else 3)
            out += struct.pack("<IHB", zlib.crc32(bytes([kind]) + chunk), len(chunk), kind) + chunk
            first = False
            if not rest:
                break
        ends.append(len(out))
        clean.add(len(out))
    return bytes(out), ends, clean


def test_framing_matches_an_independent_writer(run):
    run_dir, _ = run
    (path,) = run_dir.glob("run-*.wandb")
    data = path.read_bytes()
    records, torn = read_frames(data)
    rebuilt, ends, _ = frame([p for _, p in records])
    assert not torn and rebuilt == data  # byte-identical: every frame was decoded, none invented
    assert [e for e, _ in records] == ends
    assert len(data) > 3 * BLOCK and max(len(p) for _, p in records) > 2 * BLOCK  # FIRST/MIDDLE/LAST exercised


def test_torn_tail_returns_exactly_the_complete_prefix(run, tmp_path):
    run_dir, _ = run
    (path,) = run_dir.glob("run-*.wandb")
    data = path.read_bytes()
    records, _ = read_frames(data)
    _, ends, clean = frame([p for _, p in records])
    full = read_run(run_dir).history
    from wandb.proto import wandb_internal_pb2 as pb

    kinds = []
    for _, payload in records:
        r = pb.Record()
        r.ParseFromString(payload)
        kinds.append(r.WhichOneof("record_type"))
    is_history = [k == "history" for k in kinds]
    exit_end = ends[kinds.index("exit")]
    big = max(range(len(records)), key=lambda i: len(records[i][1]))
    cuts = {7, 8, 13, BLOCK - 1, BLOCK, BLOCK + 5, 2 * BLOCK + 100, len(data) - 1, len(data) // 2}
    cuts |= {ends[big - 1] + 3, ends[big] - BLOCK, ends[big] - 1}  # inside the multi-block record
    cuts |= {e + d for e in ends[::7] for d in (-1, 0, 1, 6, 7, 8)}
    torn_dir = tmp_path / "torn"
    torn_dir.mkdir()
    for cut in sorted(c for c in cuts if 7 <= c <= len(data)):
        (torn_dir / path.name).write_bytes(data[:cut])
        rec = read_run(torn_dir)
        n = sum(h for e, h in zip(ends, is_history) if e <= cut)
        assert len(rec.history) == n, cut
        assert all(same_row(a, b) for a, b in zip(rec.history, full[:n])), cut
        assert rec.torn == (cut not in clean), cut
        assert rec.exited == (cut >= exit_end), cut


def same_row(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)


def test_a_corrupt_frame_stops_the_reader_there(run, tmp_path):
    run_dir, _ = run
    (path,) = run_dir.glob("run-*.wandb")
    data = bytearray(path.read_bytes())
    records, _ = read_frames(bytes(data))
    k = len(records) // 2
    data[records[k][0] - 1] ^= 0xFF  # flip the last payload byte of record k: its CRC no longer matches
    got, torn = read_frames(bytes(data))
    assert torn and [p for _, p in got] == [p for _, p in records[:k]]


def test_bad_input_names_the_problem(tmp_path):
    (tmp_path / "run-x.wandb").write_bytes(b"not a log at all")
    with pytest.raises(ValueError, match="not a W&B run log"):
        read_run(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="is not a W&B run folder"):
        read_run(empty)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_run(tmp_path / "missing")


def test_find_runs_lists_each_run_once(run):
    run_dir, _ = run
    root = run_dir.parent.parent
    assert (run_dir.parent / "latest-run").is_symlink()  # wandb's alias must not count twice
    assert find_runs(root) == [run_dir]
    assert find_runs(run_dir) == [run_dir]


@pytest.mark.parametrize("left", [0, 1, 6, 7, 8])
def test_block_tails_of_every_size_round_trip(left):
    # first payload ends `left` bytes before the block's end: padding (left < 7), an empty FIRST frame (7), or data
    payloads = [bytes([1]) * (BLOCK - 7 - 7 - left), b"second" * 9000, b"", b"third"]
    data, ends, _ = frame(payloads)
    assert ends[0] == BLOCK - left
    records, torn = read_frames(data)
    assert not torn and [p for _, p in records] == payloads and [e for e, _ in records] == ends
