"""Export and import a whole store as JSONL (one JSON object per line) or as one Parquet file.

Both formats hold the same records, in the same order: events, stories, articles
(with their profile in the pickle-free encoding of :mod:`storyline.store.codec`),
copy edges, merges and failures.

- **JSONL**: the first line is a header (``{"kind": "storyline-export", "version": 1, ...}``);
  then one record per line, ``kind`` first; binary fields (``profile``, ``raw``) are base64.
- **Parquet**: one file, one row per record, a ``kind`` column and the union of every kind's
  fields (a field a kind does not have is null; ``meta`` is JSON text, ``profile`` and ``raw``
  are binary); the header, with each kind's field list, is the schema's ``storyline`` metadata.
  ``SELECT title, language FROM 'store.parquet' WHERE kind = 'article'`` works in DuckDB, and
  ``pyarrow.parquet.read_table(path, filters=[("kind", "=", "event")])`` in Python.

An import goes through the normal write path, so it is idempotent (articles already present
are skipped) and works between backends (SQLite ⇄ PostgreSQL); the format is recognised from
the file's first bytes. The clusterer snapshot is not exported: the next ingest into the
imported store rebuilds it by replaying the stored profiles in log order.

>>> import os, tempfile
>>> from storyline.store import open_store
>>> folder = tempfile.mkdtemp()
>>> store = open_store(os.path.join(folder, "empty.db"))
>>> export_store(store, os.path.join(folder, "empty.parquet"))
{}
>>> store.close()
>>> read_export(os.path.join(folder, "empty.parquet"))[0]["kind"]
'storyline-export'
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from storyline.errors import InputError
from storyline.store.base import NewArticle, Store, WriteBatch
from storyline.store.codec import decode_profile
from storyline.store.sql import parse_time
from storyline.types import Article, RecordError

EXPORT_VERSION = 1
FORMATS = ("jsonl", "parquet")
_TABLES = {"event": "events", "story": "stories", "merge": "merges"}
_KINDS = (("event", "events"), ("story", "stories"), ("article", "articles"), ("copy", "copies"), ("merge", "merges"), ("failure", "failures"))
_BINARY = ("profile", "raw")  # bytes in the records; base64 in JSONL, binary in Parquet
_INTEGER = {"seq", "id", "at_seq", "n_articles", "n_independent", "n_events"}
_FLOAT = {"score"}
_PARQUET_META = b"storyline"

Record = dict[str, Any]


def _fields(store: Any) -> dict[str, list[str]]:
    """Each kind's exported fields, in order (the store's columns, renamed where the export renames them)."""
    out: dict[str, list[str]] = {}
    for kind, table in _KINDS:
        cols = [c for c in store._columns(table) if c not in ("fts", "keys")]
        if kind == "article":
            cols.append("profile")
        if kind == "copy":
            cols = ["copy_kind" if c == "kind" else c for c in cols]
        out[kind] = cols
    return out


def _header(store: Any, **extra: Any) -> Record:
    return {"kind": "storyline-export", "version": EXPORT_VERSION, "schema": store.schema_version(), "counts": store.counts(), **extra}


def export_records(store: Any) -> Iterator[tuple[str, Record]]:
    """Every record of ``store`` as ``(kind, fields)``, in export order; ``profile``/``raw`` are bytes, ``meta`` a dict."""
    for kind, table in (("event", "events"), ("story", "stories")):
        for row in store.iter_rows(table):
            yield kind, row
    profiles: dict[str, bytes] = {}
    for row in store.iter_rows("articles"):
        row.pop("fts", None)
        row.pop("keys", None)
        if not profiles or row["article_id"] not in profiles:
            profiles = _profiles_from(store, row["seq"])
        row["meta"] = json.loads(row["meta"]) if isinstance(row["meta"], str) else row["meta"]
        row["profile"] = profiles.get(row["article_id"])
        yield "article", row
    for row in store.iter_rows("copies"):
        row["copy_kind"] = row.pop("kind")
        yield "copy", row
    for row in store.iter_rows("merges"):
        yield "merge", row
    for row in store.iter_rows("failures"):
        raw = row.get("raw")
        row["raw"] = bytes(raw) if raw else None
        yield "failure", row


def export_jsonl(store: Any, out: IO[str], *, on_row: Callable[[], None] | None = None) -> dict[str, int]:
    """Write every record of ``store`` to ``out`` as JSONL; returns counts per kind."""
    counts: dict[str, int] = {}
    out.write(json.dumps(_header(store)) + "\n")
    for kind, row in export_records(store):
        for name in _BINARY:
            if name in row:
                row[name] = base64.b64encode(row[name]).decode("ascii") if row[name] else None
        out.write(json.dumps({"kind": kind, **row}, ensure_ascii=False, default=str) + "\n")
        counts[kind] = counts.get(kind, 0) + 1
        if on_row is not None:
            on_row()
    return counts


def _parquet_schema(fields: dict[str, list[str]], header: Record) -> Any:
    import pyarrow as pa

    columns: dict[str, Any] = {"kind": pa.string()}
    for names in fields.values():
        for name in names:
            columns.setdefault(
                name, pa.binary() if name in _BINARY else pa.int64() if name in _INTEGER else pa.float64() if name in _FLOAT else pa.string()
            )
    return pa.schema(list(columns.items()), metadata={_PARQUET_META: json.dumps(header, ensure_ascii=False).encode("utf-8")})


def export_parquet(store: Any, path: str | Path, *, batch_size: int = 1000, on_row: Callable[[], None] | None = None) -> dict[str, int]:
    """Write every record of ``store`` to one Parquet file at ``path`` (zstd); returns counts per kind."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = _fields(store)
    schema = _parquet_schema(fields, _header(store, fields=fields))
    counts: dict[str, int] = {}
    rows: list[Record] = []

    def flush(writer: Any) -> None:
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema), row_group_size=batch_size)
            rows.clear()

    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for kind, row in export_records(store):
            row = dict(row)
            if kind == "article":
                row["meta"] = json.dumps(row["meta"], ensure_ascii=False, sort_keys=True)
            rows.append({"kind": kind, **{k: _cell(k, v) for k, v in row.items()}})
            counts[kind] = counts.get(kind, 0) + 1
            if on_row is not None:
                on_row()
            if len(rows) >= batch_size:
                flush(writer)
        flush(writer)
    return counts


def _cell(name: str, value: Any) -> Any:
    """A record value as its Parquet column type (see :func:`_parquet_schema`)."""
    if value is None:
        return None
    if name in _BINARY:
        return bytes(value)
    if name in _INTEGER:
        return int(value)
    if name in _FLOAT:
        return float(value)
    return value if isinstance(value, str) else str(value)


def export_store(store: Any, path: str | Path, *, format: str | None = None, on_row: Callable[[], None] | None = None) -> dict[str, int]:
    """Export to ``path`` as ``format`` (``jsonl`` or ``parquet``; by default from the suffix, ``.parquet`` → Parquet)."""
    path = Path(path)
    fmt = format or ("parquet" if path.suffix.lower() in (".parquet", ".pq") else "jsonl")
    if fmt == "parquet":
        return export_parquet(store, path, on_row=on_row)
    if fmt != "jsonl":
        raise InputError(str(path), f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    with path.open("w", encoding="utf-8") as fh:
        return export_jsonl(store, fh, on_row=on_row)


def _profiles_from(store: Any, seq: int, n: int = 500) -> dict[str, bytes]:
    rows = store._rows(
        "SELECT a.article_id, p.data FROM articles a JOIN profiles p ON p.article_id = a.article_id WHERE a.seq >= ? ORDER BY a.seq LIMIT ?",
        [seq, n],
    )
    return {r[0]: bytes(r[1]) for r in rows}


# ------------------------------------------------------------------ reading exports


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(str(path), f"not JSON ({exc.msg})", line=number) from exc
            if not isinstance(record, dict) or "kind" not in record:
                raise InputError(str(path), "not a storyline export record (no 'kind')", line=number)
            yield number, record


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` starts with Parquet's magic bytes."""
    with Path(path).open("rb") as fh:
        return fh.read(4) == b"PAR1"


def _check_header(path: Path, header: Any) -> Record:
    if not isinstance(header, dict) or header.get("kind") != "storyline-export":
        raise InputError(str(path), "first line is not a storyline export header", line=1)
    if int(header.get("version", 0)) > EXPORT_VERSION:
        raise InputError(str(path), f"export version {header.get('version')} is newer than this storyline reads ({EXPORT_VERSION})", line=1)
    return header


def _jsonl_records(path: Path) -> tuple[Record, Iterator[tuple[int, str, Record]]]:
    lines = _lines(path)
    try:
        _, header = next(lines)
    except StopIteration:
        raise InputError(str(path), "empty file: not a storyline export") from None
    header = _check_header(path, header)

    def records() -> Iterator[tuple[int, str, Record]]:
        for number, record in lines:
            kind = record.pop("kind")
            for name in _BINARY:
                if isinstance(record.get(name), str):
                    try:
                        record[name] = base64.b64decode(record[name])
                    except ValueError as exc:
                        raise InputError(str(path), f"bad {kind} record ({name} is not base64: {exc})", line=number) from exc
            yield number, kind, record

    return header, records()


def _parquet_records(path: Path, batch_size: int = 500) -> tuple[Record, Iterator[tuple[int, str, Record]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(str(path))
        raw = (file.schema_arrow.metadata or {}).get(_PARQUET_META)
        header = json.loads(raw) if raw else None
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(str(path), f"not a readable Parquet file ({exc})") from exc
    if header is None:
        raise InputError(str(path), "a Parquet file without a storyline export header (schema metadata 'storyline')")
    header = _check_header(path, header)
    fields: dict[str, list[str]] = header.get("fields") or {}

    def records() -> Iterator[tuple[int, str, Record]]:
        number = 0
        for batch in file.iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                number += 1
                kind = row.get("kind")
                if kind not in fields:
                    raise InputError(str(path), f"unknown record kind {kind!r}", line=number)
                record = {name: row.get(name) for name in fields[kind]}
                if kind == "article" and isinstance(record.get("meta"), str):
                    record["meta"] = json.loads(record["meta"])
                yield number, kind, record

    return header, records()


def read_export(path: str | Path) -> tuple[Record, Iterator[tuple[str, Record]]]:
    """The header and the ``(kind, fields)`` records of a JSONL or Parquet export (the form :func:`export_records` yields)."""
    path = Path(path)
    header, records = (_parquet_records if is_parquet(path) else _jsonl_records)(path)
    return header, ((kind, record) for _, kind, record in records)


def import_jsonl(store: Store, path: str | Path, *, batch_size: int = 500, on_row: Callable[[], None] | None = None) -> dict[str, int]:
    """Read an export (JSONL or Parquet, recognised from the file) into ``store`` (idempotent); returns counts per kind added."""
    return import_export(store, path, batch_size=batch_size, on_row=on_row)


def import_export(store: Store, path: str | Path, *, batch_size: int = 500, on_row: Callable[[], None] | None = None) -> dict[str, int]:
    """Read an export (JSONL or Parquet, recognised from the file) into ``store`` (idempotent); returns counts per kind added."""
    path = Path(path)
    _, records = (_parquet_records if is_parquet(path) else _jsonl_records)(path)
    return _import_records(store, path, records, batch_size=batch_size, on_row=on_row)


def _import_records(
    store: Store, path: Path, records: Iterable[tuple[int, str, Record]], *, batch_size: int, on_row: Callable[[], None] | None
) -> dict[str, int]:
    counts: dict[str, int] = {}
    pending: dict[str, list[dict[str, Any]]] = {}
    articles: list[NewArticle] = []
    copies: list[tuple[str, str, str, float]] = []
    failures: list[RecordError] = []

    def flush_articles() -> None:
        if articles:
            result = store.write(WriteBatch(articles=list(articles)))
            counts["article"] = counts.get("article", 0) + len(result.added)
            articles.clear()

    def flush_rows(kind: str) -> None:
        rows = pending.pop(kind, [])
        if rows:
            counts[kind] = counts.get(kind, 0) + store.import_rows(_TABLES[kind], rows)  # type: ignore[attr-defined]

    for number, kind, record in records:
        if on_row is not None:
            on_row()
        try:
            if kind in _TABLES:
                if kind == "merge":
                    record.pop("id", None)
                pending.setdefault(kind, []).append(record)
                if len(pending[kind]) >= batch_size:
                    flush_rows(kind)
            elif kind == "article":
                flush_rows("event")
                flush_rows("story")
                articles.append(_new_article(record))
                if len(articles) >= batch_size:
                    flush_articles()
            elif kind == "copy":
                copies.append((record["copy_id"], record["original_id"], record["copy_kind"], float(record["score"])))
            elif kind == "failure":
                failures.append(RecordError(record["source"], record["stage"], record["reason"], record["error_type"], record.get("raw") or None))
            else:
                raise InputError(str(path), f"unknown record kind {kind!r}", line=number)
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(str(path), f"bad {kind} record ({type(exc).__name__}: {exc})", line=number) from exc
    flush_rows("event")
    flush_rows("story")
    flush_articles()
    if copies or failures:
        store.write(WriteBatch(copies=copies, failures=failures))
        counts["copy"], counts["failure"] = len(copies), len(failures)
    flush_rows("merge")
    return counts


def _new_article(r: dict[str, Any]) -> NewArticle:
    article = Article(
        article_id=r["article_id"],
        source=r["source"],
        title=r["title"],
        text=r["text"],
        published_at=parse_time(r.get("published_at")),
        url=r.get("url"),
        author=r.get("author"),
        language_hint=r.get("language"),
        meta=r.get("meta") or {},
    )
    blob = r.get("profile")
    encoded = (base64.b64decode(blob) if isinstance(blob, str) else bytes(blob)) if blob else None
    profile = decode_profile(encoded) if encoded else None
    return NewArticle(article, profile, r.get("outlet") or "", r.get("event_id"), parse_time(r.get("added_at")), encoded=encoded)
