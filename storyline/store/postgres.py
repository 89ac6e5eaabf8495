"""The PostgreSQL store (``--db postgresql://…``), with pgvector for nearest-neighbour search.

Same schema and SQL as SQLite (:mod:`storyline.store.sql`), with these
dialect differences: ``BIGSERIAL``/``BYTEA``; full-text search through a
``tsvector`` column (``simple`` configuration, CJK characters spaced out, name
keys included) with a GIN index; key vectors in a ``vector(512)`` column with an
HNSW index (``vector_cosine_ops``). One writer connection per store object,
guarded by a lock; readers use one autocommit connection per thread.

Needs the server-side ``vector`` extension (pgvector). For tests and for a
single-machine setup, the PyPI package ``pgserver`` ships PostgreSQL 16 with
pgvector: :func:`start_test_server` starts one in a folder.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from storyline.store.base import StoreError
from storyline.store.sql import SQLStore, query_terms

DIMENSIONS = 512


class PostgresStore(SQLStore):
    """A store in a PostgreSQL database (created tables and migrated on open)."""

    dialect = "postgres"
    placeholder = "%s"
    serial = "BIGSERIAL"
    blob = "BYTEA"
    vector_type = f"vector({DIMENSIONS})"
    fts_column = ", fts tsvector"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise StoreError(f"[{StoreError.code}] {url}: PostgreSQL needs psycopg: pip install 'storyline[postgres]'") from exc
        self._psycopg = psycopg
        try:
            self._conn = psycopg.connect(url, autocommit=False)
        except psycopg.Error as exc:
            raise StoreError(f"[{StoreError.code}] {_safe(url)}: cannot connect ({exc})") from exc
        self.migrate()

    def _writer(self) -> Any:
        return self._conn

    def _reader(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._psycopg.connect(self.url, autocommit=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _migrations(self) -> list[list[str]]:
        versions = super()._migrations()
        versions[0] = ["CREATE EXTENSION IF NOT EXISTS vector", *versions[0]]
        return versions

    def _extra_v1(self) -> list[str]:
        return [
            "CREATE INDEX articles_fts ON articles USING gin (fts)",
            "CREATE INDEX vectors_hnsw ON vectors USING hnsw (v vector_cosine_ops)",
        ]

    def _fts_condition(self, q: str) -> tuple[str, list[Any]]:
        parts = []
        for tokens, keys in query_terms(q):
            alternatives = [_phrase(tokens)] if tokens else []
            if keys:
                alternatives.append(_phrase(keys))
            if alternatives:
                parts.append("(" + " | ".join(alternatives) + ")")
        if not parts:
            return "1=0", []
        return "a.fts @@ to_tsquery('simple', ?)", [" & ".join(parts)]

    def _vector_param(self, v: np.ndarray) -> str:
        return "[" + ",".join(f"{x:.6g}" for x in np.asarray(v, dtype=np.float32)) + "]"

    def _columns(self, table: str) -> list[str]:
        return [r[0] for r in self._rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema() ORDER BY ordinal_position",
            [table])]

    def vectors_after(self, seq: int) -> tuple[list[str], np.ndarray, int]:
        rows = self._rows("SELECT article_id, v::text, seq FROM vectors WHERE seq > ? ORDER BY seq", [seq])
        if not rows:
            return [], np.zeros((0, 0), np.float32), seq
        matrix = np.vstack([np.array(r[1].strip("[]").split(","), dtype=np.float32) for r in rows])
        return [r[0] for r in rows], matrix, int(rows[-1][2])

    def nearest(self, vector: np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        """pgvector HNSW search (cosine distance ``<=>``)."""
        q = self._vector_param(np.asarray(vector, dtype=np.float32).reshape(-1))
        rows = self._rows("SELECT article_id, 1 - (v <=> ?::vector) FROM vectors ORDER BY v <=> ?::vector LIMIT ?", [q, q, k])
        return [(r[0], float(r[1])) for r in rows]

    def __repr__(self) -> str:
        return f"PostgresStore({_safe(self.url)!r})"


def _phrase(tokens: list[str]) -> str:
    return " <-> ".join("'" + t.replace("'", "''").replace("\\", "") + "'" for t in tokens)


def _safe(url: str) -> str:
    """The URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}@{host}"
    return url


# ------------------------------------------------------------------ a local server (tests, single machine)


def start_test_server(folder: str | Path) -> Any | None:
    """Start PostgreSQL 16 + pgvector from the ``pgserver`` package in ``folder``; None if it is not installed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns (at import) when XDG_RUNTIME_DIR is unset
        try:
            import pgserver
        except ImportError:
            return None
        return pgserver.get_server(str(folder), cleanup_mode="stop")


def create_database(server: Any, name: str) -> str:
    """Create an empty database on a :func:`start_test_server` server and return its URL."""
    import psycopg

    uri = server.get_uri()
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.get_uri(name)


def stop_test_server(server: Any) -> None:
    """Stop a :func:`start_test_server` server at once (no shutdown checkpoint: its data is thrown away)."""
    import pgserver

    try:
        pgserver.pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=server.pgdata, user=server.system_user)
    except Exception:  # noqa: BLE001 - not stopped: cleanup() below stops it the slow way
        server.cleanup()
    else:
        server.cleanup_mode = None  # stopped: pgserver's exit handler has nothing left to do
