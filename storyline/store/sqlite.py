"""The embedded default store: one SQLite file.

WAL journal (readers never block the writer), foreign keys on, FTS5 for text
search, schema migrations recorded in ``schema_migrations``. Exactly ONE
writer connection per store object, guarded by a lock, and every write
batch is one ``BEGIN IMMEDIATE … COMMIT`` transaction with
``synchronous=FULL``, so a committed (acknowledged) batch survives ``kill -9``
and power loss. Readers use their own connection per thread
(``query_only``).

Nearest-neighbour search: the key vectors live in the ``vectors`` table; an
in-memory HNSW index (hnswlib, already a dependency of the clusterer) is
built from them on first use and extended with newer rows on later calls.
sqlite-vec would keep the index inside the file, but it is a loadable
extension that does brute-force search only and is not needed for the
clusterer, which keeps its own index.

>>> import tempfile, os
>>> from storyline.types import Article
>>> d = tempfile.mkdtemp()
>>> store = SQLiteStore(os.path.join(d, "s.db"))
>>> a = Article.from_text("Quake hits Kabul", "A quake hit Kabul.")
>>> store.add_articles([a]).added == [a.article_id], store.add_articles([a]).duplicates == [a.article_id]
(True, True)
>>> store.list_articles().total
1
>>> store.close()
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np

from storyline.store.base import StoreError
from storyline.store.sql import SQLStore, fts_text, query_terms

BRUTE_FORCE_UNDER = 2000


class SQLiteStore(SQLStore):
    """A store in one SQLite file (created and migrated on open)."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", timeout: float = 30.0) -> None:
        path = Path(path)
        super().__init__(f"sqlite:///{path}")
        if str(path) == ":memory:":
            raise StoreError(f"[{StoreError.code}] :memory: has no second connection for readers; use a file")
        if path.parent and not path.parent.exists():
            raise StoreError(f"[{StoreError.code}] {path}: folder {path.parent} does not exist")
        self.path = path
        self._timeout = timeout
        self._synchronous = synchronous
        self._ann_lock = threading.Lock()
        self._ann: dict[str, Any] = {"seq": 0, "ids": [], "rows": [], "index": None}
        try:
            self._conn = self._connect()
            self._conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"[{StoreError.code}] {path}: not a storyline database ({exc})") from exc
        self.migrate()

    def _connect(self, *, readonly: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
        if readonly:
            conn.execute("PRAGMA query_only=1")
        else:
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
        return conn

    def _writer(self) -> sqlite3.Connection:
        return self._conn

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect(readonly=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _begin(self, cur: Any) -> None:
        cur.execute("BEGIN IMMEDIATE")

    def _extra_v1(self) -> list[str]:
        return ["CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, keys, tokenize = 'unicode61 remove_diacritics 2')"]

    def _fts_insert(self, cur: Any, seq: int, title: str, text: str, keys: str) -> None:
        cur.execute("INSERT INTO articles_fts (rowid, title, text, keys) VALUES (?, ?, ?, ?)", (seq, fts_text(title), fts_text(text), keys))

    def _fts_condition(self, q: str) -> tuple[str, list[Any]]:
        parts = []
        for tokens, keys in query_terms(q):
            alternatives = [_phrase(tokens)] if tokens else []
            if keys:
                alternatives.append("keys : " + _phrase(keys))
            if alternatives:
                parts.append("(" + " OR ".join(alternatives) + ")")
        if not parts:
            return "1=0", []
        return "a.seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)", [" AND ".join(parts)]

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self._rows(f"PRAGMA table_info({table})")]

    def nearest(self, vector: np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` stored articles whose key vector is most cosine-similar to ``vector``."""
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        with self._ann_lock:
            ann = self._ann
            ids, matrix, last = self.vectors_after(ann["seq"])
            if ids:
                ann["ids"].extend(ids)
                ann["rows"].append(matrix)
                ann["seq"] = last
                if ann["index"] is not None or len(ann["ids"]) >= BRUTE_FORCE_UNDER:
                    self._extend_index(matrix, len(ann["ids"]) - len(ids))
            n = len(ann["ids"])
            if n == 0:
                return []
            k = min(k, n)
            if ann["index"] is None:
                full = np.vstack(ann["rows"]) if len(ann["rows"]) > 1 else ann["rows"][0]
                ann["rows"] = [full]
                sims = full @ q
                top = np.argsort(-sims, kind="stable")[:k]
                return [(ann["ids"][i], float(sims[i])) for i in top]
            index = ann["index"]
            index.set_ef(max(64, 2 * k))
            labels, distances = index.knn_query(q, k=k)
            return [(ann["ids"][int(i)], float(1.0 - d)) for i, d in zip(labels[0], distances[0])]

    def _extend_index(self, matrix: np.ndarray, start: int) -> None:
        import hnswlib

        ann = self._ann
        if ann["index"] is None:
            full = np.vstack(ann["rows"])
            index = hnswlib.Index(space="cosine", dim=int(full.shape[1]))
            index.init_index(max_elements=max(4096, 2 * full.shape[0]), ef_construction=100, M=16, random_seed=0)
            index.add_items(full, np.arange(full.shape[0]), num_threads=1)
            ann["index"] = index
            ann["rows"] = []
            return
        index = ann["index"]
        needed = start + matrix.shape[0]
        if needed > index.get_max_elements():
            index.resize_index(2 * needed)
        index.add_items(matrix, np.arange(start, needed), num_threads=1)

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"


def _phrase(tokens: list[str]) -> str:
    return '"' + " ".join(t.replace('"', '""') for t in tokens) + '"'
