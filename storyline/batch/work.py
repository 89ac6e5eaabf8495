"""The work of one shard — read → profile → encode → write — and the output folder it goes to.

Both executors (:mod:`storyline.batch.executors`) call :func:`run_shard` and nothing
else, so their results are the same files. A shard's output is
``part-NNNNNN.parquet`` (one row per profiled article, sorted by publication time)
plus ``_shard-NNNNNN.json`` (counts, failures, CPU time). Each file is written under
a temporary name and renamed; the JSON marker is written last, so a shard is
*done* exactly when its marker exists, and a resumed batch skips it.

>>> import pathlib, tempfile
>>> from storyline.batch.shards import plan_shards
>>> from storyline.pipeline import LexicalProfiler
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> _ = (tmp / "in.jsonl").write_text('{"title": "Quake", "text": "A quake hit Kabul."}\\n{"title": "no text"}\\n')
>>> out = str(tmp / "out")
>>> summary = run_shard(plan_shards([str(tmp / "in.jsonl")])[0], LexicalProfiler(), out)
>>> summary["articles"], [f["reason"][:13] for f in summary["failures"]], is_done(out, 0)
(1, ['no text field'], True)
>>> read_profiles(out).column("title").to_pylist()
['Quake']
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from storyline.batch.shards import Shard, filesystem, read_shard
from storyline.store.codec import VERSION as CODEC_VERSION
from storyline.store.codec import encode_profile
from storyline.types import Article, RecordError

PLAN_FILE = "_plan.json"
ROW_GROUP = 256
"""Rows per Parquet row group in a part: parts are sorted by time, so a date filter skips most groups."""
FORMAT_VERSION = 1


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("article_id", pa.string()),
            ("source", pa.string()),
            ("outlet", pa.string()),
            ("title", pa.string()),
            ("text", pa.string()),
            ("language", pa.string()),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("url", pa.string()),
            ("author", pa.string()),
            ("n_chars", pa.int32()),
            ("profile", pa.binary()),  # storyline.store.codec encoding (decode_profile)
        ],
        metadata={"storyline_profile_codec": str(CODEC_VERSION), "storyline_batch_format": str(FORMAT_VERSION)},
    )


def failure_json(err: RecordError) -> dict[str, str]:
    return {"source": err.source, "stage": err.stage, "reason": err.reason, "error_type": err.error_type}


def _sort_key(row: dict[str, Any]) -> tuple[int, datetime, str]:
    when = row["published_at"]
    return (0, when, row["article_id"]) if when is not None else (1, datetime.min.replace(tzinfo=timezone.utc), row["article_id"])


def profile_articles(items: Iterable[Article | RecordError], profiler: Any) -> tuple[list[dict[str, Any]], list[RecordError]]:
    """Profile and encode every article; reader errors, profiling errors and pages that are a notice
    instead of the article (:func:`storyline.pipeline.notice_error`) come back as values.

    Rows are sorted by publication time (undated last), then article id.
    """
    from storyline.pipeline import notice_error, outlet_of

    rows: list[dict[str, Any]] = []
    failures: list[RecordError] = []
    for item in items:
        if isinstance(item, RecordError):
            failures.append(item)
            continue
        notice = notice_error(item)
        if notice is not None:
            failures.append(notice)
            continue
        try:
            profile = profiler.profile(item)
            encoded = encode_profile(profile)
        except Exception as exc:  # one bad record never stops the batch: it becomes a RecordError
            failures.append(RecordError.from_exc(item.source, "analyse", exc))
            continue
        rows.append(
            {
                "article_id": item.article_id,
                "source": item.source,
                "outlet": outlet_of(item),
                "title": item.title,
                "text": item.text,
                "language": profile.language,
                "published_at": item.published_at,
                "url": item.url,
                "author": item.author,
                "n_chars": len(item.text),
                "profile": encoded,
            }
        )
    rows.sort(key=_sort_key)
    return rows, failures


# ------------------------------------------------------------------ the output folder


def _join(out: str, name: str) -> str:
    return out.rstrip("/") + "/" + name


def _write_atomic(out: str, name: str, write: Any) -> None:
    """Write ``name`` in ``out`` through a temporary file and a rename (``write(fs, tmp_path)``)."""
    fs, root = filesystem(out)
    fs.create_dir(root, recursive=True)
    tmp = _join(root, f".tmp-{uuid.uuid4().hex}-{name}")
    write(fs, tmp)
    fs.move(tmp, _join(root, name))


def _write_json(out: str, name: str, data: Any) -> None:
    payload = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")

    def write(fs: Any, path: str) -> None:
        with fs.open_output_stream(path) as fh:
            fh.write(payload)

    _write_atomic(out, name, write)


def _read_json(out: str, name: str) -> Any | None:
    from pyarrow import fs as pafs

    fs, root = filesystem(out)
    path = _join(root, name)
    if fs.get_file_info(path).type != pafs.FileType.File:
        return None
    with fs.open_input_stream(path) as fh:
        return json.loads(bytes(fh.read()).decode("utf-8"))


def part_name(shard_id: int) -> str:
    return f"part-{shard_id:06d}.parquet"


def marker_name(shard_id: int) -> str:
    return f"_shard-{shard_id:06d}.json"


def is_done(out: str, shard_id: int) -> bool:
    """Whether the shard's marker (written last) exists."""
    from pyarrow import fs as pafs

    fs, root = filesystem(out)
    return bool(fs.get_file_info(_join(root, marker_name(shard_id))).type == pafs.FileType.File)


def done_shards(out: str) -> set[int]:
    """The ids of the finished shards in ``out`` (one listing, not one request per shard)."""
    from pyarrow import fs as pafs

    fs, root = filesystem(out)
    if fs.get_file_info(root).type != pafs.FileType.Directory:
        return set()
    done = set()
    for info in fs.get_file_info(pafs.FileSelector(root)):
        name = info.base_name
        if name.startswith("_shard-") and name.endswith(".json") and name[7:-5].isdigit():
            done.add(int(name[7:-5]))
    return done


def remove_temporary(out: str) -> int:
    """Delete the temporary files a killed run left in ``out`` (before resuming it); how many."""
    from pyarrow import fs as pafs

    fs, root = filesystem(out)
    if fs.get_file_info(root).type != pafs.FileType.Directory:
        return 0
    stale = [i.path for i in fs.get_file_info(pafs.FileSelector(root)) if i.base_name.startswith(".tmp-")]
    for path in stale:
        fs.delete_file(path)
    return len(stale)


def run_shard(shard: Shard, profiler: Any, out: str) -> dict[str, Any]:
    """Read, profile, encode and write one shard; returns its summary (also written as its marker)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    started, wall, cpu = time.time(), time.perf_counter(), time.process_time()
    rows, failures = profile_articles(read_shard(shard), profiler)
    table = pa.Table.from_pylist(rows, schema=_schema())

    def write(fs: Any, path: str) -> None:
        with fs.open_output_stream(path) as fh:
            pq.write_table(table, fh, compression="zstd", row_group_size=ROW_GROUP)  # sorted by time: small groups prune by date

    _write_atomic(out, part_name(shard.shard_id), write)
    summary = {
        "shard_id": shard.shard_id,
        "articles": len(rows),
        "failures": [failure_json(f) for f in failures],
        "seconds": round(time.perf_counter() - wall, 4),
        "cpu_seconds": round(time.process_time() - cpu, 4),
        "pid": os.getpid(),
        "started_at": round(started, 3),
        "finished_at": round(time.time(), 3),
    }
    _write_json(out, marker_name(shard.shard_id), summary)
    return summary


# ------------------------------------------------------------------ plan and resume


def plan_fingerprint(shards: Sequence[Shard], profiler: str) -> str:
    """A hash of the shard plan and the profiler: a resumed batch must have the same one."""
    digest = hashlib.blake2b(digest_size=10)
    digest.update(json.dumps([s.to_json() for s in shards], sort_keys=True).encode("utf-8"))
    digest.update(f"|{profiler}|{CODEC_VERSION}|{FORMAT_VERSION}".encode())
    return digest.hexdigest()


def load_plan(out: str) -> dict[str, Any] | None:
    plan = _read_json(out, PLAN_FILE)
    return plan if isinstance(plan, dict) else None


def save_plan(out: str, inputs: Sequence[str], shards: Sequence[Shard], profiler: str, shard_size: int) -> None:
    _write_json(
        out,
        PLAN_FILE,
        {
            "format": FORMAT_VERSION,
            "fingerprint": plan_fingerprint(shards, profiler),
            "inputs": list(inputs),
            "profiler": profiler,
            "shard_size": shard_size,
            "shards": [s.to_json() for s in shards],
        },
    )


def shard_summaries(out: str, shards: Sequence[Shard]) -> list[dict[str, Any]]:
    """The markers of the finished shards, in shard order."""
    found = (_read_json(out, marker_name(s.shard_id)) for s in shards)
    return [m for m in found if isinstance(m, dict)]


def read_profiles(out: str, columns: Sequence[str] | None = None) -> Any:
    """Every finished shard's rows as one :class:`pyarrow.Table`, in shard order."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import fs as pafs

    fs, root = filesystem(out)
    files = {info.base_name: info.path for info in fs.get_file_info(pafs.FileSelector(root)) if info.type == pafs.FileType.File}
    names = sorted(  # a part counts only with its marker: a crash between the two leaves a part to be redone
        path for base, path in files.items() if base.startswith("part-") and base.endswith(".parquet") and "_shard-" + base[5:-8] + ".json" in files
    )
    tables = []
    for path in names:
        with fs.open_input_file(path) as fh:
            tables.append(pq.read_table(fh, columns=list(columns) if columns else None))
    if not tables:
        schema = _schema()
        return schema.empty_table() if not columns else pa.schema([schema.field(c) for c in columns]).empty_table()
    return pa.concat_tables(tables)
