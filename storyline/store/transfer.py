"""Export and import a whole store as JSONL (one JSON object per line).

The first line is a header (``{"kind": "storyline-export", "version": 1, ...}``);
then events, stories, articles (with their profile in the pickle-free encoding
of :mod:`storyline.store.codec`, base64), copy edges, merges and failures. An
import goes through the normal write path, so it is idempotent (articles
already present are skipped) and works between backends (SQLite ⇄ PostgreSQL).
The clusterer snapshot is not exported: the next ingest into the imported store
rebuilds it by replaying the stored profiles in log order.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from storyline.errors import InputError
from storyline.store.base import NewArticle, Store, WriteBatch
from storyline.store.codec import decode_profile
from storyline.store.sql import parse_time
from storyline.types import Article, RecordError

EXPORT_VERSION = 1
_TABLES = {"event": "events", "story": "stories", "merge": "merges"}


def export_jsonl(store: Any, out: IO[str], *, on_row: Callable[[], None] | None = None) -> dict[str, int]:
    """Write every record of ``store`` to ``out``; returns counts per kind."""
    counts: dict[str, int] = {}

    def emit(kind: str, row: dict[str, Any]) -> None:
        out.write(json.dumps({"kind": kind, **row}, ensure_ascii=False, default=str) + "\n")
        counts[kind] = counts.get(kind, 0) + 1
        if on_row is not None:
            on_row()

    out.write(json.dumps({"kind": "storyline-export", "version": EXPORT_VERSION, "schema": store.schema_version(),
                          "counts": store.counts()}) + "\n")
    for kind, table in (("event", "events"), ("story", "stories")):
        for row in store.iter_rows(table):
            emit(kind, row)
    profiles = {}
    for row in store.iter_rows("articles"):
        row.pop("fts", None)
        row.pop("keys", None)
        if not profiles or row["article_id"] not in profiles:
            profiles = _profiles_from(store, row["seq"])
        blob = profiles.get(row["article_id"])
        row["meta"] = json.loads(row["meta"]) if isinstance(row["meta"], str) else row["meta"]
        row["profile"] = base64.b64encode(blob).decode("ascii") if blob else None
        emit("article", row)
    for row in store.iter_rows("copies"):
        row["copy_kind"] = row.pop("kind")
        emit("copy", row)
    for row in store.iter_rows("merges"):
        emit("merge", row)
    for row in store.iter_rows("failures"):
        raw = row.pop("raw", None)
        row["raw"] = base64.b64encode(bytes(raw)).decode("ascii") if raw else None
        emit("failure", row)
    return counts


def _profiles_from(store: Any, seq: int, n: int = 500) -> dict[str, bytes]:
    rows = store._rows(
        "SELECT a.article_id, p.data FROM articles a JOIN profiles p ON p.article_id = a.article_id WHERE a.seq >= ? ORDER BY a.seq LIMIT ?",
        [seq, n],
    )
    return {r[0]: bytes(r[1]) for r in rows}


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


def import_jsonl(store: Store, path: str | Path, *, batch_size: int = 500, on_row: Callable[[], None] | None = None) -> dict[str, int]:
    """Read an export into ``store`` (idempotent); returns counts per kind actually added."""
    path = Path(path)
    lines = _lines(path)
    try:
        _, header = next(lines)
    except StopIteration:
        raise InputError(str(path), "empty file: not a storyline export") from None
    if header.get("kind") != "storyline-export":
        raise InputError(str(path), "first line is not a storyline export header", line=1)
    if int(header.get("version", 0)) > EXPORT_VERSION:
        raise InputError(str(path), f"export version {header.get('version')} is newer than this storyline reads ({EXPORT_VERSION})", line=1)
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

    for number, record in lines:
        kind = record.pop("kind")
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
                raw = record.get("raw")
                failures.append(RecordError(record["source"], record["stage"], record["reason"], record["error_type"],
                                            base64.b64decode(raw) if raw else None))
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
    profile = decode_profile(base64.b64decode(r["profile"])) if r.get("profile") else None
    return NewArticle(article, profile, r.get("outlet") or "", r.get("event_id"), parse_time(r.get("added_at")))
