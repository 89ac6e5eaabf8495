"""The SQL shared by both backends: schema, writes in one transaction, the read side.

Backends subclass :class:`SQLStore` and provide the dialect bits: connections
(one writer, per-thread readers), the parameter style, full-text search and
nearest-neighbour search over the stored key vectors. Queries are written with
``?`` placeholders; the PostgreSQL backend turns them into ``%s``.

Times are stored as ISO-8601 UTC text (``2020-02-29T10:00:00+00:00``), so
they sort and compare as text in both databases.
"""

from __future__ import annotations

import io
import json
import re
import threading
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from storyline.store.base import (
    SCHEMA_VERSION,
    AddResult,
    ArticleRef,
    CopyEdge,
    EntityRecord,
    EventFilter,
    EventRecord,
    FailureRecord,
    MergeRecord,
    NewArticle,
    Page,
    StoredArticle,
    StoreError,
    StoryRecord,
    WriteBatch,
)
from storyline.store.codec import decode_profile, encode_profile
from storyline.types import Article, Profile, RecordError

_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s|[。！？]")


def utc_text(value: datetime | None) -> str | None:
    """A datetime as sortable ISO UTC text (naive = UTC).

    >>> utc_text(datetime(2020, 2, 29, 10, 0))
    '2020-02-29T10:00:00+00:00'
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def now_text() -> str:
    return utc_text(datetime.now(timezone.utc)) or ""


def fts_text(text: str) -> str:
    """Text as the full-text index sees it: CJK characters spaced out so that a
    two-character word (多哈) is found as a phrase of characters.

    >>> fts_text("周一在多哈 talks")
    ' 周  一  在  多  哈  talks'
    """
    return _CJK.sub(r" \1 ", text)


def query_terms(q: str) -> list[tuple[list[str], list[str]]]:
    """Free text → one ``(phrase tokens, name keys)`` pair per query word.

    A name key (:func:`storyline.analyse.names.name_key`) lets a name find its
    spellings in other scripts (Milley / 米利 / Милли all key to ``mili``).

    >>> query_terms("Doha 多哈")
    [(['doha'], ['daha']), (['多', '哈'], ['daha'])]
    """
    from storyline.analyse.names import name_key

    out = []
    for word in _TOKEN.findall(q):
        tokens = [t.lower() for t in _TOKEN.findall(fts_text(word))]
        keys = [k for k in name_key(word).split() if k]
        out.append((tokens, keys))
    return out


def entity_keys(profile: Profile) -> list[tuple[str, str, str, str]]:
    """``(key, name, label, language)`` of each distinct mention of a profile."""
    from storyline.analyse.names import name_key

    seen: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for m in profile.entities:
        key = m.key
        if not key:
            try:
                key = name_key(m.text, m.language)
            except Exception:  # noqa: BLE001 - fall back to the lowercased surface
                key = ""
        key = key or m.text.lower()
        seen.setdefault((key, m.text), (key, m.text, m.label, m.language))
    return list(seen.values())


# ------------------------------------------------------------------ schema

_V1 = [
    """CREATE TABLE articles (
        seq {serial} PRIMARY KEY,
        article_id TEXT NOT NULL UNIQUE,
        url TEXT UNIQUE,
        source TEXT NOT NULL,
        outlet TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT 'xx',
        author TEXT,
        published_at TEXT,
        seen_at TEXT NOT NULL,
        added_at TEXT NOT NULL,
        event_id TEXT,
        meta TEXT NOT NULL DEFAULT '{{}}',
        keys TEXT NOT NULL DEFAULT '' {fts_column})""",
    "CREATE INDEX articles_event ON articles(event_id, seq)",
    "CREATE INDEX articles_seen ON articles(seen_at)",
    "CREATE INDEX articles_outlet ON articles(outlet)",
    """CREATE TABLE profiles (
        article_id TEXT PRIMARY KEY REFERENCES articles(article_id) ON DELETE CASCADE,
        data {blob} NOT NULL)""",
    """CREATE TABLE vectors (
        article_id TEXT PRIMARY KEY REFERENCES articles(article_id) ON DELETE CASCADE,
        seq BIGINT NOT NULL,
        v {vector} NOT NULL)""",
    "CREATE INDEX vectors_seq ON vectors(seq)",
    """CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        story_id TEXT,
        headline TEXT NOT NULL DEFAULT '',
        headlines TEXT NOT NULL DEFAULT '{{}}',
        n_articles INTEGER NOT NULL DEFAULT 0,
        n_independent INTEGER NOT NULL DEFAULT 0,
        languages TEXT NOT NULL DEFAULT '{{}}',
        sources TEXT NOT NULL DEFAULT '{{}}',
        first_seen TEXT,
        last_seen TEXT,
        first_day TEXT,
        last_day TEXT,
        merged_into TEXT)""",
    "CREATE INDEX events_story ON events(story_id)",
    "CREATE INDEX events_last_seen ON events(last_seen)",
    """CREATE TABLE stories (
        story_id TEXT PRIMARY KEY,
        headline TEXT NOT NULL DEFAULT '',
        n_events INTEGER NOT NULL DEFAULT 0,
        n_articles INTEGER NOT NULL DEFAULT 0,
        n_independent INTEGER NOT NULL DEFAULT 0,
        languages TEXT NOT NULL DEFAULT '{{}}',
        sources TEXT NOT NULL DEFAULT '{{}}',
        first_seen TEXT,
        last_seen TEXT)""",
    "CREATE INDEX stories_last_seen ON stories(last_seen)",
    """CREATE TABLE mentions (
        article_id TEXT NOT NULL REFERENCES articles(article_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        label TEXT NOT NULL,
        language TEXT NOT NULL,
        PRIMARY KEY (article_id, key, name))""",
    "CREATE INDEX mentions_key ON mentions(key)",
    "CREATE INDEX mentions_name ON mentions(name)",
    """CREATE TABLE article_places (
        article_id TEXT NOT NULL REFERENCES articles(article_id) ON DELETE CASCADE,
        place_id TEXT NOT NULL,
        name TEXT NOT NULL,
        country TEXT NOT NULL,
        PRIMARY KEY (article_id, place_id))""",
    "CREATE INDEX places_place ON article_places(place_id)",
    """CREATE TABLE copies (
        copy_id TEXT NOT NULL,
        original_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (copy_id, original_id))""",
    "CREATE INDEX copies_original ON copies(original_id)",
    """CREATE TABLE merges (
        id {serial} PRIMARY KEY,
        absorbed TEXT NOT NULL,
        into_id TEXT NOT NULL,
        score REAL NOT NULL,
        at_seq BIGINT NOT NULL)""",
    """CREATE TABLE failures (
        id {serial} PRIMARY KEY,
        source TEXT NOT NULL,
        stage TEXT NOT NULL,
        reason TEXT NOT NULL,
        error_type TEXT NOT NULL,
        at TEXT NOT NULL,
        raw {blob})""",
    """CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        seq BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        data {blob} NOT NULL)""",
]


class SQLStore:
    """Everything but the dialect. Subclasses set the class attributes and implement the hooks."""

    dialect = "sql"
    placeholder = "?"
    serial = "INTEGER"
    blob = "BLOB"
    vector_type = "BLOB"
    fts_column = ""

    def __init__(self, url: str) -> None:
        self.url = url
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[Any] = []  # every reader connection opened, closed by close()
        self._readers_lock = threading.Lock()

    def close(self) -> None:
        """Close every reader connection, then the writer."""
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._local = threading.local()
        with self._write_lock:
            self._writer().close()

    # -- hooks ---------------------------------------------------------------

    def _writer(self) -> Any:  # the one writer connection
        raise NotImplementedError

    def _reader(self) -> Any:  # this thread's reader connection
        raise NotImplementedError

    def _migrations(self) -> list[list[str]]:
        """One list of statements per schema version (index 0 = version 1)."""
        fmt = {"serial": self.serial, "blob": self.blob, "vector": self.vector_type, "fts_column": self.fts_column}
        return [[s.format(**fmt) for s in _V1] + self._extra_v1()]

    def _extra_v1(self) -> list[str]:
        return []

    def _fts_insert(self, cur: Any, seq: int, title: str, text: str, keys: str) -> None:
        raise NotImplementedError

    def _fts_condition(self, q: str) -> tuple[str, list[Any]]:
        """SQL condition on ``a`` (an articles row) that matches free text ``q``."""
        raise NotImplementedError

    def _vector_param(self, v: np.ndarray) -> Any:
        return np.asarray(v, dtype=np.float32).tobytes()

    def _binary(self, data: bytes) -> Any:
        return data

    def nearest(self, vector: np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        raise NotImplementedError

    # -- SQL helpers -----------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._reader().cursor()
        try:
            cur.execute(self._sql(sql), list(params))
            return list(cur.fetchall())
        finally:
            cur.close()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """The writer's cursor inside one transaction (committed on success, rolled back on error)."""
        with self._write_lock:
            conn = self._writer()
            cur = conn.cursor()
            self._begin(cur)
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()
                self.__dict__["_commits"] = self.__dict__.get("_commits", 0) + 1
            finally:
                cur.close()

    def _begin(self, cur: Any) -> None:
        pass

    def _x(self, cur: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        cur.execute(self._sql(sql), list(params))
        return cur

    # -- migrations -------------------------------------------------------------

    def migrate(self) -> int:
        """Bring the schema to :data:`SCHEMA_VERSION`; returns the version."""
        with self._transaction() as cur:
            self._x(cur, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            self._x(cur, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            current = int(cur.fetchone()[0])
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"[{StoreError.code}] {self.url}: schema version {current} is newer than this storyline ({SCHEMA_VERSION}); upgrade storyline"
                )
            for version, statements in enumerate(self._migrations(), start=1):
                if version <= current:
                    continue
                for statement in statements:
                    self._x(cur, statement)
                self._x(cur, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [version, now_text()])
        return self.schema_version()

    def schema_version(self) -> int:
        row = self._one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row[0]) if row else 0

    # -- write side ---------------------------------------------------------------

    def add_articles(self, items: Iterable[NewArticle | Article]) -> AddResult:
        batch = WriteBatch(articles=[i if isinstance(i, NewArticle) else NewArticle(i) for i in items])
        return self.write(batch)

    def record_failures(self, failures: Iterable[RecordError]) -> None:
        self.write(WriteBatch(failures=list(failures)))

    def save_snapshot(self, seq: int, data: bytes | Callable[[IO[bytes]], None]) -> None:
        with self._transaction() as cur:
            self._save_snapshot(cur, seq, data)

    snapshot_part_bytes = 16 * 1024 * 1024
    """A snapshot is stored in parts of at most this size (SQLite's largest value is 1 GB; a
    streamed snapshot holds one part in memory at a time)."""

    def _save_snapshot(self, cur: Any, seq: int, data: bytes | Callable[[IO[bytes]], None]) -> None:
        self._x(cur, "DELETE FROM snapshots")
        created = now_text()

        def insert(part: int, chunk: bytes) -> None:
            self._x(cur, "INSERT INTO snapshots (id, seq, created_at, data) VALUES (?, ?, ?, ?)", [part, seq, created, self._binary(chunk)])

        writer = SnapshotWriter(insert, self.snapshot_part_bytes)
        if callable(data):
            data(writer)
        else:
            writer.write(data)
        writer.close()

    def open_snapshot(self) -> tuple[int, IO[bytes]] | None:
        """The latest snapshot as its article-log position and a file to read it from, one part
        at a time (``pickle.load`` reads it without the whole snapshot in memory)."""
        rows = self._rows("SELECT id, seq FROM snapshots ORDER BY id")
        if not rows:
            return None
        ids = [int(r[0]) for r in rows]

        def fetch(i: int) -> bytes | None:
            if i >= len(ids):
                return None
            row = self._one("SELECT data FROM snapshots WHERE id = ?", [ids[i]])
            return bytes(row[0]) if row else b""

        return int(rows[0][1]), io.BufferedReader(SnapshotReader(fetch), buffer_size=1 << 20)

    def load_snapshot(self) -> tuple[int, bytes] | None:
        """The latest snapshot: its article-log position and its bytes (parts joined)."""
        found = self.open_snapshot()
        if found is None:
            return None
        with found[1] as f:
            return found[0], f.read()

    def write(self, batch: WriteBatch) -> AddResult:
        """Apply a batch in one transaction; see :class:`~storyline.store.base.WriteBatch`."""
        result = AddResult()
        with self._transaction() as cur:
            touched: set[str] = set()
            for item in batch.articles:
                seq = self._insert_article(cur, item)
                if seq is None:
                    result.duplicates.append(item.article.article_id)
                    continue
                result.added.append(item.article.article_id)
                result.last_seq = seq
                if item.event_id:
                    touched.add(item.event_id)
            for article_id, event_id in batch.assignments.items():
                self._x(cur, "SELECT event_id FROM articles WHERE article_id = ?", [article_id])
                row = cur.fetchone()
                if row is not None:
                    if row[0]:
                        touched.add(row[0])
                    self._x(cur, "UPDATE articles SET event_id = ? WHERE article_id = ?", [event_id, article_id])
                    touched.add(event_id)
            at_seq = result.last_seq or self._last_seq(cur)
            for absorbed, into, score in batch.merges:
                self._x(cur, "UPDATE articles SET event_id = ? WHERE event_id = ?", [into, absorbed])
                self._x(cur, "UPDATE events SET merged_into = ? WHERE merged_into = ?", [into, absorbed])
                self._ensure_event(cur, absorbed)
                self._x(cur, "UPDATE events SET merged_into = ?, n_articles = 0, n_independent = 0 WHERE event_id = ?", [into, absorbed])
                self._x(cur, "INSERT INTO merges (absorbed, into_id, score, at_seq) VALUES (?, ?, ?, ?)", [absorbed, into, float(score), at_seq])
                touched.discard(absorbed)
                touched.add(into)
            for copy, original, kind, score in batch.copies:
                self._x(
                    cur,
                    "INSERT INTO copies (copy_id, original_id, kind, score) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [copy, original, kind, float(score)],
                )
                self._x(cur, "SELECT event_id FROM articles WHERE article_id IN (?, ?)", [copy, original])
                touched.update(r[0] for r in cur.fetchall() if r[0])
            stories_touched: set[str] = set()
            for event_id, story_id in batch.stories.items():
                self._ensure_event(cur, event_id)
                self._x(cur, "SELECT story_id FROM events WHERE event_id = ?", [event_id])
                old = cur.fetchone()
                if old and old[0] and old[0] != story_id:
                    stories_touched.add(old[0])
                self._x(cur, "UPDATE events SET story_id = ? WHERE event_id = ?", [story_id, event_id])
                stories_touched.add(story_id)
            for event_id, (first_day, last_day) in batch.event_days.items():
                self._ensure_event(cur, event_id)
                self._x(cur, "UPDATE events SET first_day = ?, last_day = ? WHERE event_id = ?", [first_day, last_day, event_id])
            for event_id in sorted(touched):
                story = self._refresh_event(cur, event_id)
                if story:
                    stories_touched.add(story)
            for absorbed, _, _ in batch.merges:
                self._x(cur, "SELECT story_id FROM events WHERE event_id = ?", [absorbed])
                row = cur.fetchone()
                if row and row[0]:
                    stories_touched.add(row[0])
            for story_id in sorted(stories_touched):
                self._refresh_story(cur, story_id)
            for failure in batch.failures:
                self._x(
                    cur,
                    "INSERT INTO failures (source, stage, reason, error_type, at, raw) VALUES (?, ?, ?, ?, ?, ?)",
                    [failure.source, failure.stage, failure.reason, failure.error_type, now_text(), self._binary(failure.raw) if failure.raw else None],
                )
            if batch.snapshot is not None:
                seq, data = batch.snapshot  # bytes, or a function that writes them to a file (streamed into parts)
                self._save_snapshot(cur, seq if seq >= 0 else self._last_seq(cur), data)
        return result

    def _last_seq(self, cur: Any) -> int:
        self._x(cur, "SELECT COALESCE(MAX(seq), 0) FROM articles")
        return int(cur.fetchone()[0])

    def _insert_article(self, cur: Any, item: NewArticle) -> int | None:
        a, p = item.article, item.profile
        language = p.language if p is not None else (a.language_hint or "xx")
        mentions = entity_keys(p) if p is not None else []
        keys = " ".join(sorted({k for key, *_ in mentions for k in key.split()}))
        added = utc_text(item.added_at) or now_text()
        published = utc_text(a.published_at)
        params = [a.article_id, a.url, a.source, item.outlet, a.title, a.text, language, a.author, published, published or added, added,
                  item.event_id, json.dumps(a.meta, ensure_ascii=False, default=str), keys]
        cols = "article_id, url, source, outlet, title, text, language, author, published_at, seen_at, added_at, event_id, meta, keys"
        marks = ", ".join(["?"] * len(params))
        if self.fts_column:
            cols += ", fts"
            marks += ", to_tsvector('simple', ?)"
            params.append(fts_text(f"{a.title}\n{a.text}\n{keys}"))
        self._x(cur, f"INSERT INTO articles ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING RETURNING seq", params)
        row = cur.fetchone()
        if row is None:
            return None
        seq = int(row[0])
        if not self.fts_column:
            self._fts_insert(cur, seq, a.title, a.text, keys)
        if p is not None:
            self._x(cur, "INSERT INTO profiles (article_id, data) VALUES (?, ?)", [a.article_id, self._binary(item.encoded or encode_profile(p))])
            from storyline.cluster.events import key_vector

            self._x(cur, "INSERT INTO vectors (article_id, seq, v) VALUES (?, ?, ?)", [a.article_id, seq, self._vector_param(key_vector(p))])
            for key, name, label, lang in mentions:
                self._x(cur, "INSERT INTO mentions (article_id, key, name, label, language) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [a.article_id, key, name, label, lang])
            for place in {x.place_id: x for x in p.places}.values():
                self._x(cur, "INSERT INTO article_places (article_id, place_id, name, country) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [a.article_id, place.place_id, place.name, place.country])
        return seq

    def _ensure_event(self, cur: Any, event_id: str) -> None:
        self._x(cur, "INSERT INTO events (event_id) VALUES (?) ON CONFLICT DO NOTHING", [event_id])

    def _refresh_event(self, cur: Any, event_id: str) -> str | None:
        """Recompute an event's counts from its articles (aggregates in SQL); returns its story id."""
        self._ensure_event(cur, event_id)
        self._x(cur, "SELECT COUNT(*), MIN(seen_at), MAX(seen_at), MIN(seq) FROM articles WHERE event_id = ?", [event_id])
        n, first_seen, last_seen, first_seq = cur.fetchone()
        self._x(
            cur,
            "SELECT language, COUNT(*), MIN(seq), MIN(CASE WHEN title <> '' THEN seq END) FROM articles WHERE event_id = ? GROUP BY language",
            [event_id],
        )
        by_language = cur.fetchall()
        languages = {r[0]: int(r[1]) for r in by_language}
        headlines: dict[str, str] = {}
        headline = ""
        if by_language:
            # per language the first member's title, or the first titled member's; a language none of whose
            # members has a title gets its first member's opening sentence
            titled = {int(r[3]) for r in by_language if r[3] is not None}
            seqs = sorted(titled | {int(r[2]) for r in by_language if r[3] is None})
            marks = ",".join("?" * len(seqs))
            self._x(cur, f"SELECT language, title, SUBSTR(text, 1, 400), seq FROM articles WHERE seq IN ({marks}) ORDER BY seq", seqs)
            language_of: dict[int, str] = {}
            for language, title, lead, seq in cur.fetchall():
                headlines[language] = title if int(seq) in titled else lead_headline(lead)
                language_of[int(seq)] = language
            # the event's headline: its first title, else the opening of its first member
            headline = headlines[language_of[min(titled) if titled else int(first_seq)]]
        self._x(cur, "SELECT outlet, COUNT(*) FROM articles WHERE event_id = ? AND outlet <> '' GROUP BY outlet", [event_id])
        sources = {r[0]: int(r[1]) for r in cur.fetchall()}
        self._x(
            cur,
            "SELECT c.copy_id, c.original_id FROM copies c JOIN articles a ON a.article_id = c.copy_id WHERE a.event_id = ? ORDER BY c.copy_id, c.original_id",
            [event_id],
        )
        parent: dict[str, str] = {}
        for copy, original in cur.fetchall():
            parent.setdefault(copy, original)
        # members that are copies collapse onto their root (which may sit outside the event)
        independent = int(n) - len(parent) + len({_root(c, parent) for c in parent} - set(parent) - self._members_of(cur, event_id, parent))
        self._x(
            cur,
            """UPDATE events SET headline = ?, headlines = ?, n_articles = ?, n_independent = ?, languages = ?, sources = ?,
               first_seen = ?, last_seen = ? WHERE event_id = ?""",
            [headline, _dumps(dict(sorted(headlines.items(), key=lambda kv: -languages[kv[0]]))), int(n), independent,
             _dumps(_by_count(languages)), _dumps(_by_count(sources)), first_seen, last_seen, event_id],
        )
        self._x(cur, "SELECT story_id FROM events WHERE event_id = ?", [event_id])
        row = cur.fetchone()
        return row[0] if row else None

    def _members_of(self, cur: Any, event_id: str, parent: dict[str, str]) -> set[str]:
        """Which roots of ``parent``'s copy chains are themselves members of the event."""
        roots = sorted({_root(c, parent) for c in parent} - set(parent))
        if not roots:
            return set()
        found: set[str] = set()
        for chunk in _chunks(roots, 500):
            marks = ",".join("?" * len(chunk))
            self._x(cur, f"SELECT article_id FROM articles WHERE event_id = ? AND article_id IN ({marks})", [event_id, *chunk])
            found.update(r[0] for r in cur.fetchall())
        return found

    def _refresh_story(self, cur: Any, story_id: str) -> None:
        self._x(
            cur,
            """SELECT headline, n_articles, n_independent, languages, sources, first_seen, last_seen FROM events
               WHERE story_id = ? AND merged_into IS NULL AND n_articles > 0 ORDER BY n_articles DESC, event_id""",
            [story_id],
        )
        rows = cur.fetchall()
        languages: dict[str, int] = {}
        sources: dict[str, int] = {}
        for r in rows:
            for table, raw in ((languages, r[3]), (sources, r[4])):
                for k, n in json.loads(raw).items():
                    table[k] = table.get(k, 0) + n
        firsts = [r[5] for r in rows if r[5]]
        lasts = [r[6] for r in rows if r[6]]
        self._x(cur, "INSERT INTO stories (story_id) VALUES (?) ON CONFLICT DO NOTHING", [story_id])
        self._x(
            cur,
            """UPDATE stories SET headline = ?, n_events = ?, n_articles = ?, n_independent = ?, languages = ?, sources = ?,
               first_seen = ?, last_seen = ? WHERE story_id = ?""",
            [next((r[0] for r in rows if r[0]), ""), len(rows), sum(r[1] for r in rows), sum(r[2] for r in rows), _dumps(_by_count(languages)),
             _dumps(_by_count(sources)), min(firsts) if firsts else None, max(lasts) if lasts else None, story_id],
        )

    # -- read side: articles ------------------------------------------------------------

    _ARTICLE_COLS = "a.article_id, a.seq, a.source, a.outlet, a.title, a.text, a.language, a.url, a.published_at, a.added_at, a.event_id, e.story_id, a.author"

    def _article_from_row(self, r: Sequence[Any], *, details: bool = False, profile: bool = False) -> StoredArticle:
        entities: tuple[dict[str, Any], ...] = ()
        places: tuple[dict[str, Any], ...] = ()
        prof = None
        if details:
            entities = tuple(
                {"key": k, "name": n, "label": lab, "language": lang}
                for k, n, lab, lang in self._rows("SELECT key, name, label, language FROM mentions WHERE article_id = ? ORDER BY key, name", [r[0]])
            )
            places = tuple(
                {"place_id": pid, "name": n, "country": c}
                for pid, n, c in self._rows("SELECT place_id, name, country FROM article_places WHERE article_id = ? ORDER BY place_id", [r[0]])
            )
        if profile:
            row = self._one("SELECT data FROM profiles WHERE article_id = ?", [r[0]])
            prof = decode_profile(bytes(row[0])) if row else None
        return StoredArticle(
            article_id=r[0], seq=int(r[1]), source=r[2], outlet=r[3], title=r[4], text=r[5], language=r[6], url=r[7],
            published_at=parse_time(r[8]), added_at=parse_time(r[9]) or datetime.now(timezone.utc), event_id=r[10], story_id=r[11],
            author=r[12], entities=entities, places=places, profile=prof,
        )

    def get_article(self, article_id: str, *, profile: bool = False) -> StoredArticle | None:
        row = self._one(f"SELECT {self._ARTICLE_COLS} FROM articles a LEFT JOIN events e ON e.event_id = a.event_id WHERE a.article_id = ?", [article_id])
        return self._article_from_row(row, details=True, profile=profile) if row else None

    def has_article(self, article_id: str, url: str | None = None) -> bool:
        return bool(self.known_ids([article_id], [url] if url else []))

    def known_ids(self, article_ids: Sequence[str], urls: Sequence[str] = ()) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(article_ids), 500):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self._rows(f"SELECT article_id FROM articles WHERE article_id IN ({marks})", chunk))
        for chunk in _chunks([u for u in urls if u], 500):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self._rows(f"SELECT url FROM articles WHERE url IN ({marks})", chunk))
        return found

    def list_articles(self, flt: EventFilter | None = None, *, event_id: str | None = None) -> Page[StoredArticle]:
        flt = flt or EventFilter()
        conds, params = self._article_conditions(flt)
        if event_id is not None:
            conds.append("a.event_id = ?")
            params.append(self._resolve_event(event_id))
        if flt.story_id:
            conds.append("e.story_id = ?")
            params.append(flt.story_id)
        where = " AND ".join(conds) or "1=1"
        base = f"FROM articles a LEFT JOIN events e ON e.event_id = a.event_id WHERE {where}"
        total = int(self._one(f"SELECT COUNT(*) {base}", params)[0])  # type: ignore[index]
        rows = self._rows(f"SELECT {self._ARTICLE_COLS} {base} ORDER BY a.seen_at DESC, a.seq DESC LIMIT ? OFFSET ?", [*params, flt.limit, flt.offset])
        return Page([self._article_from_row(r) for r in rows], total, flt.limit, flt.offset)

    def iter_profiles(self, after_seq: int = 0, batch: int = 500) -> Iterator[tuple[int, Profile, str]]:
        last = after_seq
        while True:
            rows = self._rows(
                "SELECT a.seq, p.data, a.outlet FROM articles a JOIN profiles p ON p.article_id = a.article_id WHERE a.seq > ? ORDER BY a.seq LIMIT ?",
                [last, batch],
            )
            if not rows:
                return
            for seq, data, outlet in rows:
                yield int(seq), decode_profile(bytes(data)), outlet
            last = int(rows[-1][0])

    def iter_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of one table as a dict (export)."""
        order = {"articles": "seq", "merges": "id", "failures": "id"}.get(table, "1")
        cols = self._columns(table)
        cur = self._reader().cursor()
        try:
            cur.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}")
            while True:
                rows = cur.fetchmany(500)
                if not rows:
                    break
                for r in rows:
                    yield dict(zip(cols, r))
        finally:
            cur.close()

    def _columns(self, table: str) -> list[str]:
        raise NotImplementedError

    # -- read side: filters ---------------------------------------------------------------

    def _article_conditions(self, flt: EventFilter) -> tuple[list[str], list[Any]]:
        """Conditions on an articles row ``a`` for the article-level filters."""
        conds: list[str] = []
        params: list[Any] = []
        if flt.language:
            conds.append("a.language = ?")
            params.append(flt.language)
        if flt.source:
            conds.append("(a.outlet = ? OR a.source = ?)")
            params += [flt.source, flt.source]
        if flt.entity:
            keys = self._entity_keys(flt.entity)
            marks = ",".join("?" * len(keys))
            conds.append(f"EXISTS (SELECT 1 FROM mentions m WHERE m.article_id = a.article_id AND m.key IN ({marks}))")
            params += keys
        if flt.place:
            conds.append("EXISTS (SELECT 1 FROM article_places pl WHERE pl.article_id = a.article_id AND (pl.place_id = ? OR LOWER(pl.name) = LOWER(?)))")
            params += [flt.place, flt.place]
        if flt.q and flt.q.strip():
            cond, extra = self._fts_condition(flt.q)
            conds.append(cond)
            params += extra
        return conds, params

    def _entity_keys(self, key_or_name: str) -> list[str]:
        from storyline.analyse.names import name_key

        keys = {key_or_name}
        keys.add(name_key(key_or_name))
        keys.update(r[0] for r in self._rows("SELECT DISTINCT key FROM mentions WHERE name = ?", [key_or_name]))
        return sorted(k for k in keys if k)

    def _event_where(self, flt: EventFilter) -> tuple[str, list[Any]]:
        conds = ["e.merged_into IS NULL", "e.n_articles > 0"]
        params: list[Any] = []
        if flt.since:
            conds.append("e.last_seen >= ?")
            params.append(utc_text(flt.since))
        if flt.until:
            conds.append("e.first_seen <= ?")
            params.append(utc_text(flt.until))
        if flt.story_id:
            conds.append("e.story_id = ?")
            params.append(flt.story_id)
        lconds, lparams = _json_key_conditions("e", flt)
        conds += lconds
        params += lparams
        aconds, aparams = self._article_conditions(flt.replace(language=None, source=None))
        if aconds:  # one uncorrelated subquery: the matching articles' events, computed once
            conds.append(f"e.event_id IN (SELECT a.event_id FROM articles a WHERE a.event_id IS NOT NULL AND {' AND '.join(aconds)})")
            params += aparams
        return " AND ".join(conds), params

    # -- read side: events ------------------------------------------------------------------

    _EVENT_COLS = "e.event_id, e.story_id, e.headline, e.headlines, e.n_articles, e.n_independent, e.languages, e.sources, e.first_seen, e.last_seen, e.first_day, e.last_day"

    @staticmethod
    def _event_from_row(r: Sequence[Any], articles: tuple[ArticleRef, ...] = ()) -> EventRecord:
        return EventRecord(
            event_id=r[0], story_id=r[1], headline=r[2], headlines=json.loads(r[3]), n_articles=int(r[4]), n_independent=int(r[5]),
            languages=json.loads(r[6]), sources=json.loads(r[7]), first_seen=parse_time(r[8]), last_seen=parse_time(r[9]),
            first_day=r[10], last_day=r[11], articles=articles,
        )

    def _resolve_event(self, event_id: str) -> str:
        for _ in range(64):
            row = self._one("SELECT merged_into FROM events WHERE event_id = ?", [event_id])
            if not row or not row[0]:
                return event_id
            event_id = row[0]
        return event_id

    def list_events(self, flt: EventFilter | None = None) -> Page[EventRecord]:
        flt = flt or EventFilter()
        where, params = self._event_where(flt)
        total = int(self._one(f"SELECT COUNT(*) FROM events e WHERE {where}", params)[0])  # type: ignore[index]
        rows = self._rows(
            f"SELECT {self._EVENT_COLS} FROM events e WHERE {where} ORDER BY e.last_seen DESC, e.event_id LIMIT ? OFFSET ?",
            [*params, flt.limit, flt.offset],
        )
        return Page([self._event_from_row(r) for r in rows], total, flt.limit, flt.offset)

    def get_event(self, event_id: str) -> EventRecord | None:
        event_id = self._resolve_event(event_id)
        row = self._one(f"SELECT {self._EVENT_COLS} FROM events e WHERE e.event_id = ?", [event_id])
        if row is None:
            return None
        return self._event_from_row(row, tuple(self._article_refs(event_id)))

    def event_places(self, event_id: str, limit: int = 30) -> tuple[dict[str, Any], ...]:
        return self._places("a.event_id = ?", [self._resolve_event(event_id)], limit)

    def _places(self, where: str, params: list[Any], limit: int) -> tuple[dict[str, Any], ...]:
        """Places named by the articles ``where`` selects (alias ``a``; ``e`` is the article's event), most named first."""
        return tuple(
            {"place_id": pid, "name": n, "country": c, "n_articles": int(k)}
            for pid, n, c, k in self._rows(
                f"""SELECT pl.place_id, MIN(pl.name), MIN(pl.country), COUNT(DISTINCT pl.article_id) FROM article_places pl
                    JOIN articles a ON a.article_id = pl.article_id JOIN events e ON e.event_id = a.event_id
                    WHERE {where} GROUP BY pl.place_id ORDER BY 4 DESC, 1 LIMIT ?""",
                [*params, limit],
            )
        )

    def _article_refs(self, event_id: str) -> list[ArticleRef]:
        rows = self._rows(
            """SELECT a.article_id, a.title, a.language, a.outlet, a.url, a.published_at, c.original_id, c.kind
               FROM articles a LEFT JOIN copies c ON c.copy_id = a.article_id WHERE a.event_id = ? ORDER BY a.seen_at, a.seq""",
            [event_id],
        )
        out: dict[str, ArticleRef] = {}
        for r in rows:
            out.setdefault(r[0], ArticleRef(r[0], r[1], r[2], r[3], r[4], parse_time(r[5]), r[6], r[7]))
        return list(out.values())

    # -- read side: stories ------------------------------------------------------------------

    _STORY_COLS = "s.story_id, s.headline, s.n_events, s.n_articles, s.n_independent, s.languages, s.sources, s.first_seen, s.last_seen"

    @staticmethod
    def _story_from_row(r: Sequence[Any], **extra: Any) -> StoryRecord:
        return StoryRecord(
            story_id=r[0], headline=r[1], n_events=int(r[2]), n_articles=int(r[3]), n_independent=int(r[4]),
            languages=json.loads(r[5]), sources=json.loads(r[6]), first_seen=parse_time(r[7]), last_seen=parse_time(r[8]), **extra,
        )

    def list_stories(self, flt: EventFilter | None = None) -> Page[StoryRecord]:
        flt = flt or EventFilter()
        conds = ["s.n_events > 0"]
        params: list[Any] = []
        if flt.since:
            conds.append("s.last_seen >= ?")
            params.append(utc_text(flt.since))
        if flt.until:
            conds.append("s.first_seen <= ?")
            params.append(utc_text(flt.until))
        lconds, lparams = _json_key_conditions("s", flt)
        conds += lconds
        params += lparams
        aconds, aparams = self._article_conditions(flt.replace(language=None, source=None))
        if aconds:
            conds.append(
                "s.story_id IN (SELECT e.story_id FROM events e WHERE e.merged_into IS NULL AND e.event_id IN "
                f"(SELECT a.event_id FROM articles a WHERE a.event_id IS NOT NULL AND {' AND '.join(aconds)}))"
            )
            params += aparams
        where = " AND ".join(conds)
        total = int(self._one(f"SELECT COUNT(*) FROM stories s WHERE {where}", params)[0])  # type: ignore[index]
        rows = self._rows(
            f"SELECT {self._STORY_COLS} FROM stories s WHERE {where} ORDER BY s.last_seen DESC, s.story_id LIMIT ? OFFSET ?",
            [*params, flt.limit, flt.offset],
        )
        return Page([self._story_from_row(r) for r in rows], total, flt.limit, flt.offset)

    def get_story(self, story_id: str, *, disagreements: bool = True) -> StoryRecord | None:
        """One story with its events (and their articles), timeline, entities, places and disagreements.

        Answers are kept per story *revision* (the story row: its counts and last-seen time
        change with every article or event it gains or loses), so a repeated read of an
        unchanged story costs one row lookup.
        """
        row = self._one(f"SELECT {self._STORY_COLS} FROM stories s WHERE s.story_id = ?", [story_id])
        if row is None:
            return None
        cache: dict[tuple[Any, ...], StoryRecord] = self.__dict__.setdefault("_story_cache", {})
        key = (tuple(row), disagreements)
        found = cache.get(key)
        if found is None:
            found = self._read_story(story_id, row, disagreements=disagreements)
            if len(cache) >= 256:
                cache.pop(next(iter(cache)), None)
            cache[key] = found
        return found

    def _read_story(self, story_id: str, row: Sequence[Any], *, disagreements: bool) -> StoryRecord:
        refs = self._story_article_refs(story_id)
        events = [
            self._event_from_row(r, tuple(refs.get(r[0], ())))
            for r in self._rows(
                f"SELECT {self._EVENT_COLS} FROM events e WHERE e.story_id = ? AND e.merged_into IS NULL AND e.n_articles > 0", [story_id]
            )
        ]
        dated = {e.event_id: self._undated_event_date(e) if not e.first_day else (e.first_day, e.last_day or e.first_day, "event", "day") for e in events}
        events.sort(key=lambda e: (dated[e.event_id][0] or "9999", e.event_id))
        timeline = tuple(
            {
                "event_id": e.event_id,
                "date": dated[e.event_id][0],  # None: nothing in the articles dates it (``first_seen`` says when it was stored)
                "last_date": dated[e.event_id][1],
                "date_source": dated[e.event_id][2],  # "event": the clusterer's day (text or publication); "text": a month or year the text names
                "precision": dated[e.event_id][3],  # "day" | "month" | "year"
                "first_seen": e.first_seen.date().isoformat() if e.first_seen else None,
                "headline": e.headline,
                "headlines": e.headlines,
                "n_articles": e.n_articles,
                "n_independent": e.n_independent,
                "languages": e.languages,
            }
            for e in events
        )
        entities = self._story_entities(story_id)
        places = self._places("e.story_id = ?", [story_id], 30)
        found = self._cached_disagreements(story_id, events, row) if disagreements else ()
        return self._story_from_row(row, events=tuple(events), timeline=timeline, entities=entities, places=places, disagreements=found)

    def _undated_event_date(self, event: EventRecord, limit: int = 20) -> tuple[str | None, str | None, str | None, str]:
        """``(date, last_date, source, precision)`` of an event no member of which has a day: the month or year its
        first ``limit`` members' texts name most (:func:`storyline.cluster.timeline.event_date`), else nothing."""
        from storyline.cluster.timeline import event_date

        ids = [ref.article_id for ref in event.articles[:limit]]
        if not ids:
            return None, None, None, "day"
        marks = ",".join("?" * len(ids))
        members = [decode_profile(bytes(data)) for (data,) in self._rows(f"SELECT data FROM profiles WHERE article_id IN ({marks})", ids)]
        day, source, precision = event_date(members)
        if day is None:
            return None, None, None, "day"
        return day.isoformat(), day.isoformat(), source, precision

    def _story_article_refs(self, story_id: str) -> dict[str, list[ArticleRef]]:
        """The articles of every live event of a story, per event (one query; see :meth:`_article_refs`)."""
        rows = self._rows(
            """SELECT a.event_id, a.article_id, a.title, a.language, a.outlet, a.url, a.published_at, c.original_id, c.kind
               FROM events e JOIN articles a ON a.event_id = e.event_id LEFT JOIN copies c ON c.copy_id = a.article_id
               WHERE e.story_id = ? AND e.merged_into IS NULL ORDER BY a.event_id, a.seen_at, a.seq""",
            [story_id],
        )
        out: dict[str, dict[str, ArticleRef]] = {}
        for r in rows:
            out.setdefault(r[0], {}).setdefault(r[1], ArticleRef(r[1], r[2], r[3], r[4], r[5], parse_time(r[6]), r[7], r[8]))
        return {event_id: list(refs.values()) for event_id, refs in out.items()}

    def _story_entities(self, story_id: str, limit: int = 30) -> tuple[dict[str, Any], ...]:
        rows = self._rows(
            """SELECT m.key, m.name, m.label, m.language, COUNT(DISTINCT m.article_id) FROM mentions m
               JOIN articles a ON a.article_id = m.article_id JOIN events e ON e.event_id = a.event_id
               WHERE e.story_id = ? GROUP BY m.key, m.name, m.label, m.language""",
            [story_id],
        )
        by_key: dict[str, dict[str, Any]] = {}
        for key, name, label, language, n in rows:
            ent = by_key.setdefault(key, {"key": key, "name": name, "label": label, "n_mentions": 0, "variants": {}, "_best": 0})
            ent["n_mentions"] += int(n)
            ent["variants"].setdefault(language, []).append(name)
            if int(n) > ent["_best"]:
                ent["name"], ent["label"], ent["_best"] = name, label, int(n)
        out = sorted(by_key.values(), key=lambda e: (-e["n_mentions"], e["key"]))[:limit]
        for ent in out:
            del ent["_best"]
            ent["variants"] = {lang: sorted(set(v)) for lang, v in sorted(ent["variants"].items())}
        return tuple(out)

    def _cached_disagreements(self, story_id: str, events: list[EventRecord], row: Sequence[Any]) -> tuple[dict[str, Any], ...]:
        """Disagreements are recomputed only when the story changed (its article count or last-seen time)."""
        cache: dict[tuple[Any, ...], tuple[dict[str, Any], ...]] = self.__dict__.setdefault("_disagreement_cache", {})
        key = (story_id, row[3], row[8], tuple((e.event_id, e.n_articles) for e in events))
        if key not in cache:
            if len(cache) >= 512:
                cache.pop(next(iter(cache)))
            cache[key] = self._disagreements(story_id, events)
        return cache[key]

    def _disagreements(self, story_id: str, events: list[EventRecord], limit: int = 400) -> tuple[dict[str, Any], ...]:
        """Numbers aligned across the story's articles (agreeing / changed / conflicting), by
        :func:`storyline.cluster.disagreements.align_claims` over the stored profiles (first ``limit`` articles)."""
        try:
            from storyline.cluster.disagreements import align_claims, claims_of
        except ImportError:  # pragma: no cover - the clustering package without disagreements
            return ()
        rows = self._rows(
            """SELECT a.article_id, a.outlet FROM articles a JOIN events e ON e.event_id = a.event_id
               WHERE e.story_id = ? ORDER BY a.seq LIMIT ?""",
            [story_id, limit],
        )
        # a stored article's profile never changes: its claims are read once (a story that gains
        # an article decodes that article's profile, not all of them again)
        known: dict[str, list[Any]] = self.__dict__.setdefault("_claims_cache", {})
        missing = [r for r in rows if r[0] not in known]
        outlets = {r[0]: r[1] for r in missing}
        for part in _chunks([r[0] for r in missing], 200):
            marks = ", ".join("?" for _ in part)
            for article_id, data in self._rows(f"SELECT article_id, data FROM profiles WHERE article_id IN ({marks})", part):
                if len(known) >= 200_000:
                    known.clear()
                known[article_id] = claims_of(decode_profile(bytes(data), vectors=False), source=outlets[article_id] or article_id)
        claims = [c for r in rows for c in known.get(r[0], ())]
        return tuple(d.to_json() for d in align_claims(claims))

    # -- read side: entities, graph, failures -------------------------------------------------

    def get_entity(self, key_or_name: str) -> EntityRecord | None:
        keys = [k for k in self._entity_keys(key_or_name) if self._one("SELECT 1 FROM mentions WHERE key = ? LIMIT 1", [k])]
        if not keys:
            return None
        key = max(keys, key=lambda k: (int(self._one("SELECT COUNT(*) FROM mentions WHERE key = ?", [k])[0]), k))  # type: ignore[index]
        return self._entity(key)

    def _entity(self, key: str) -> EntityRecord:
        rows = self._rows("SELECT language, name, label, COUNT(*) FROM mentions WHERE key = ? GROUP BY language, name, label ORDER BY 4 DESC, 2", [key])
        variants: dict[str, list[str]] = {}
        for language, name, _, _ in rows:
            if name not in variants.setdefault(language, []):
                variants[language].append(name)
        n_articles = int(self._one("SELECT COUNT(DISTINCT article_id) FROM mentions WHERE key = ?", [key])[0])  # type: ignore[index]
        events = tuple(
            r[0] for r in self._rows(
                """SELECT a.event_id FROM mentions m JOIN articles a ON a.article_id = m.article_id
                   WHERE m.key = ? AND a.event_id IS NOT NULL GROUP BY a.event_id ORDER BY COUNT(*) DESC, a.event_id LIMIT 50""",
                [key],
            )
        )
        return EntityRecord(key=key, name=rows[0][1], label=rows[0][2], n_articles=n_articles, variants=variants, events=events)

    def list_entities(self, flt: EventFilter | None = None) -> Page[EntityRecord]:
        flt = flt or EventFilter()
        aconds, params = self._article_conditions(flt.replace(entity=None))
        if flt.story_id:
            aconds.append("e.story_id = ?")
            params.append(flt.story_id)
        where = " AND ".join(aconds) or "1=1"
        base = f"FROM mentions m JOIN articles a ON a.article_id = m.article_id LEFT JOIN events e ON e.event_id = a.event_id WHERE {where}"
        total = int(self._one(f"SELECT COUNT(DISTINCT m.key) {base}", params)[0])  # type: ignore[index]
        keys = self._rows(f"SELECT m.key {base} GROUP BY m.key ORDER BY COUNT(DISTINCT m.article_id) DESC, m.key LIMIT ? OFFSET ?",
                          [*params, flt.limit, flt.offset])
        return Page([self._entity(k[0]) for k in keys], total, flt.limit, flt.offset)

    def copies(self, article_id: str | None = None) -> list[CopyEdge]:
        if article_id is None:
            rows = self._rows("SELECT copy_id, original_id, kind, score FROM copies ORDER BY copy_id, original_id")
        else:
            rows = self._rows(
                "SELECT copy_id, original_id, kind, score FROM copies WHERE copy_id = ? OR original_id = ? ORDER BY copy_id, original_id",
                [article_id, article_id],
            )
        return [CopyEdge(r[0], r[1], r[2], float(r[3])) for r in rows]

    def merges(self) -> list[MergeRecord]:
        return [MergeRecord(r[0], r[1], float(r[2]), int(r[3])) for r in self._rows("SELECT absorbed, into_id, score, at_seq FROM merges ORDER BY id")]

    def failures(self) -> list[FailureRecord]:
        return [
            FailureRecord(r[0], r[1], r[2], r[3], parse_time(r[4]) or datetime.now(timezone.utc))
            for r in self._rows("SELECT source, stage, reason, error_type, at FROM failures ORDER BY id")
        ]

    def counts(self) -> dict[str, int]:
        """How many articles, live events, stories, entities, failures, copies and merges the store holds.

        Kept until the store changes: this object's own commits, or another writer's new
        articles, failures or merges (the largest ids, one index lookup each).
        """
        revision = (self.__dict__.get("_commits", 0), *self._one(  # type: ignore[misc]
            "SELECT (SELECT MAX(seq) FROM articles), (SELECT MAX(id) FROM failures), (SELECT MAX(id) FROM merges)"
        ))
        cached = self.__dict__.get("_counts")
        if cached is not None and cached[0] == revision:
            return dict(cached[1])
        found = self._count_all()
        self.__dict__["_counts"] = (revision, found)
        return dict(found)

    def _count_all(self) -> dict[str, int]:
        q = {
            "articles": "SELECT COUNT(*) FROM articles",
            "events": "SELECT COUNT(*) FROM events WHERE merged_into IS NULL AND n_articles > 0",
            "stories": "SELECT COUNT(*) FROM stories WHERE n_events > 0",
            "entities": "SELECT COUNT(DISTINCT key) FROM mentions",
            "failures": "SELECT COUNT(*) FROM failures",
            "copies": "SELECT COUNT(*) FROM copies",
            "merges": "SELECT COUNT(*) FROM merges",
        }
        return {name: int(self._one(sql)[0]) for name, sql in q.items()}  # type: ignore[index]

    def last_seq(self) -> int:
        row = self._one("SELECT COALESCE(MAX(seq), 0) FROM articles")
        return int(row[0]) if row else 0

    def vectors_after(self, seq: int) -> tuple[list[str], np.ndarray, int]:
        """Key vectors stored after ``seq``: ``(ids, matrix, last seq)`` (for an in-memory ANN index)."""
        rows = self._rows("SELECT article_id, v, seq FROM vectors WHERE seq > ? ORDER BY seq", [seq])
        if not rows:
            return [], np.zeros((0, 0), np.float32), seq
        matrix = np.vstack([np.frombuffer(bytes(r[1]), dtype=np.float32) for r in rows])
        return [r[0] for r in rows], matrix, int(rows[-1][2])

    # -- bulk import (export is in storyline.store.transfer) ---------------------------------------------

    def import_rows(self, table: str, rows: list[dict[str, Any]]) -> int:
        """Insert exported rows of one table as they are (skipping rows already present)."""
        if not rows:
            return 0
        n = 0
        with self._transaction() as cur:
            for row in rows:
                n += self._import_row(cur, table, row)
        return n

    def _import_row(self, cur: Any, table: str, row: dict[str, Any]) -> int:
        if table not in ("events", "stories", "copies", "merges", "failures"):
            raise StoreError(f"[{StoreError.code}] cannot import rows of table {table!r}")
        row = {k: v for k, v in row.items() if k != "id"}
        cols = list(row)
        values = [self._binary(v) if isinstance(v, bytes) else v for v in row.values()]
        marks = ", ".join("?" for _ in cols)
        self._x(cur, f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) ON CONFLICT DO NOTHING", values)
        return 1


def _json_key_conditions(alias: str, flt: EventFilter) -> tuple[list[str], list[Any]]:
    """Language and outlet filters on an event's / story's count tables (JSON text ``{"en": 3, ...}``):
    one scan of the events instead of one of the articles.

    >>> _json_key_conditions("e", EventFilter(language="zh", source="50%_off"))
    (["e.languages LIKE ? ESCAPE '!'", "e.sources LIKE ? ESCAPE '!'"], ['%"zh": %', '%"50!%!_off": %'])
    """
    conds: list[str] = []
    params: list[Any] = []
    for column, value in (("languages", flt.language), ("sources", flt.source)):
        if value:
            key = json.dumps(value, ensure_ascii=False).replace("!", "!!").replace("%", "!%").replace("_", "!_")
            conds.append(f"{alias}.{column} LIKE ? ESCAPE '!'")
            params.append(f"%{key}: %")
    return conds, params


def lead_headline(text: str, limit: int = 110) -> str:
    """A headline for an article without a title: its opening sentence, cut at a word near ``limit`` characters.

    >>> lead_headline("Envoys met in Doha on Monday. The talks went on.")
    'Envoys met in Doha on Monday.'
    >>> lead_headline("The minister, speaking after a long night of talks in the capital, said that the deal would be signed soon by both sides")
    'The minister, speaking after a long night of talks in the capital, said that the deal would be signed soon by…'
    >>> lead_headline("美国最高军事官员会见了塔利班代表。他的办公室周四证实。")
    '美国最高军事官员会见了塔利班代表。'
    >>> lead_headline("")
    ''
    """
    text = " ".join((text or "").split())
    found = _SENTENCE_END.search(text)
    sentence = text[: found.end()].strip() if found else text
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:–-") + "…"


def _root(article_id: str, parent: dict[str, str]) -> str:
    seen = {article_id}
    while article_id in parent and parent[article_id] not in seen:
        article_id = parent[article_id]
        seen.add(article_id)
    return article_id


def _by_count(table: dict[str, int]) -> dict[str, int]:
    return dict(sorted(table.items(), key=lambda kv: (-kv[1], kv[0])))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _chunks(items: list[Any], n: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def day_text(value: date | None) -> str | None:
    return value.isoformat() if value else None


class SnapshotWriter:
    """A write-only file that stores what is written in numbered parts of ``part_bytes``
    (``insert(part_number, chunk)``, numbered from 1; at least one part, maybe empty).

    >>> parts = []
    >>> w = SnapshotWriter(lambda i, b: parts.append((i, b)), part_bytes=4)
    >>> w.write(b"0123456789"); w.close(); parts
    10
    [(1, b'0123'), (2, b'4567'), (3, b'89')]
    """

    def __init__(self, insert: Callable[[int, bytes], None], part_bytes: int) -> None:
        self._insert = insert
        self._size = max(1, part_bytes)
        self._buffer = bytearray()
        self._parts = 0
        self.closed = False
        self.bytes_written = 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buffer += view
        self.bytes_written += len(view)
        while len(self._buffer) >= self._size:
            self._flush(self._size)
        return len(view)

    def _flush(self, n: int) -> None:
        self._parts += 1
        with memoryview(self._buffer) as view:  # one copy of the part, not two
            self._insert(self._parts, bytes(view[:n]))
        del self._buffer[:n]

    def close(self) -> None:
        if not self.closed:
            if self._buffer or not self._parts:
                self._flush(len(self._buffer))
            self.closed = True


class SnapshotReader(io.RawIOBase):
    """Reads the parts ``fetch(0)``, ``fetch(1)``, … (None: no more) as one stream, one part in memory.

    >>> parts = [b"0123", b"4567", b"89"]
    >>> io.BufferedReader(SnapshotReader(lambda i: parts[i] if i < len(parts) else None)).read()
    b'0123456789'
    """

    def __init__(self, fetch: Callable[[int], bytes | None]) -> None:
        super().__init__()
        self._fetch = fetch
        self._next = 0
        self._part = memoryview(b"")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while self._pos >= len(self._part):
            part = self._fetch(self._next)
            if part is None:
                return 0
            self._next += 1
            self._part, self._pos = memoryview(part), 0
        n = min(len(b), len(self._part) - self._pos)
        b[:n] = self._part[self._pos : self._pos + n]
        self._pos += n
        return n
