"""The store interface: what the pipeline writes and what the API/UI reads.

A store keeps articles (with their profiles and key vectors), the event each
article is in, events and stories with their counts, merges between events,
copy/translation edges, entities with their name variants, and per-record
failures. Every backend (:mod:`storyline.store.sqlite`,
:mod:`storyline.store.postgres`) implements :class:`Store`; :func:`open_store`
picks one from a URL or path.

Records returned by the read side are small frozen dataclasses with a
``to_json()`` giving plain JSON-able dicts (the API returns those as they are).

>>> f = EventFilter(language="zh", q="Doha")
>>> f.language, f.limit, f.offset
('zh', 50, 0)
>>> Page(items=[], total=0, limit=50, offset=0).to_json()
{'items': [], 'total': 0, 'limit': 50, 'offset': 0, 'next_offset': None}
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Callable, Generic, Iterable, Iterator, Protocol, Sequence, TypeVar, runtime_checkable

import numpy as np

from storyline.errors import StorylineError
from storyline.types import Article, Profile, RecordError

SCHEMA_VERSION = 1
"""The schema version a store of this storyline release is migrated to."""

T = TypeVar("T")


class StoreError(StorylineError):
    """The store cannot be opened, read or written (bad URL, newer schema, corrupt data)."""

    code = "E301"


def _json(value: Any) -> Any:
    """Dataclass → dict, datetimes → ISO strings, tuples → lists (recursively)."""
    if value is None or isinstance(value, (str, int, float)):  # the common leaves first
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _json(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


@functools.lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


class _Record:
    """Mixin: ``to_json()`` for record dataclasses."""

    def to_json(self) -> dict[str, Any]:
        out = _json(self)
        assert isinstance(out, dict)
        return out


# ------------------------------------------------------------------ read-side records


@dataclass(frozen=True, slots=True)
class StoredArticle(_Record):
    """One stored article. ``seq`` is its position in the article log (1, 2, …).

    ``profile`` is filled only when asked for (``get_article(id, profile=True)``).
    """

    article_id: str
    seq: int
    source: str
    outlet: str
    title: str
    text: str
    language: str
    url: str | None
    published_at: datetime | None
    added_at: datetime
    event_id: str | None
    story_id: str | None = None
    author: str | None = None
    entities: tuple[dict[str, Any], ...] = ()  # {"key", "name", "label", "language"}
    places: tuple[dict[str, Any], ...] = ()  # {"place_id", "name", "country"}
    profile: Profile | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        out = {f.name: _json(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "profile"}
        out["profile"] = profile_summary(self.profile) if self.profile is not None else None
        return out

    def to_article(self) -> Article:
        return Article(
            article_id=self.article_id,
            source=self.source,
            title=self.title,
            text=self.text,
            published_at=self.published_at,
            url=self.url,
            author=self.author,
        )


@dataclass(frozen=True, slots=True)
class ArticleRef(_Record):
    """An article as listed inside an event or story."""

    article_id: str
    title: str
    language: str
    outlet: str
    url: str | None
    published_at: datetime | None
    copy_of: str | None = None
    copy_kind: str | None = None


@dataclass(frozen=True, slots=True)
class EventRecord(_Record):
    """One event: articles about the same thing, in any language.

    ``headlines`` maps language → the first title seen in that language;
    ``n_independent`` counts articles that are not copies/translations of another member.
    """

    event_id: str
    story_id: str | None
    headline: str
    headlines: dict[str, str]
    n_articles: int
    n_independent: int
    languages: dict[str, int]
    sources: dict[str, int]
    first_seen: datetime | None
    last_seen: datetime | None
    first_day: str | None = None  # when it happened, from the text where the clusterer knew (ISO date)
    last_day: str | None = None
    articles: tuple[ArticleRef, ...] = ()  # filled by get_event


@dataclass(frozen=True, slots=True)
class StoryRecord(_Record):
    """One story: events that belong together over time.

    ``timeline``, ``entities``, ``places`` and ``disagreements`` are filled by ``get_story``.
    """

    story_id: str
    headline: str
    n_events: int
    n_articles: int
    n_independent: int
    languages: dict[str, int]
    sources: dict[str, int]
    first_seen: datetime | None
    last_seen: datetime | None
    events: tuple[EventRecord, ...] = ()
    timeline: tuple[dict[str, Any], ...] = ()
    entities: tuple[dict[str, Any], ...] = ()  # {"key", "name", "label", "n_articles", "variants": {lang: [..]}}
    places: tuple[dict[str, Any], ...] = ()  # {"place_id", "name", "country", "n_articles"}
    disagreements: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class EntityRecord(_Record):
    """An entity across scripts: its key (e.g. ``"mili"`` for Milley / 米利), spellings per language."""

    key: str
    name: str
    label: str
    n_articles: int
    variants: dict[str, list[str]]  # language -> surface forms
    events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CopyEdge(_Record):
    """``copy`` is a near-duplicate or translation of ``original``."""

    copy: str
    original: str
    kind: str  # "near_duplicate" | "translation"
    score: float


@dataclass(frozen=True, slots=True)
class MergeRecord(_Record):
    absorbed: str
    into: str
    score: float
    at_seq: int  # article-log position when the merge happened


@dataclass(frozen=True, slots=True)
class FailureRecord(_Record):
    source: str
    stage: str
    reason: str
    error_type: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Page(_Record, Generic[T]):
    """A page of results. ``next_offset`` is None on the last page."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [i.to_json() if hasattr(i, "to_json") else _json(i) for i in self.items],
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": self.next_offset,
        }


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Filters for listing events, stories and articles (all optional, combined with AND).

    ``since``/``until`` bound the last/first time an article was seen; ``entity`` matches
    an entity key or any spelling of it (so ``"Milley"`` also finds 米利); ``q`` is free
    text (FTS over titles, texts and entity keys, so a name finds its other scripts).
    """

    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    source: str | None = None  # outlet
    entity: str | None = None
    place: str | None = None  # place id ("geonames:290030", "iso:QA") or name
    q: str | None = None
    story_id: str | None = None
    limit: int = 50
    offset: int = 0

    def replace(self, **changes: Any) -> EventFilter:
        return dataclasses.replace(self, **changes)


# ------------------------------------------------------------------ write-side records


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article to add, with its profile (None: stored unprofiled) and outlet name."""

    article: Article
    profile: Profile | None = None
    outlet: str = ""
    event_id: str | None = None
    added_at: datetime | None = None  # default: now (import keeps the original time)
    encoded: bytes | None = None  # the profile's encoding when the caller has it (the pipeline's workers, an import): not encoded again


@dataclass
class WriteBatch:
    """Everything one pipeline step writes, committed in ONE transaction.

    Articles are added idempotently (an article whose id or URL is already stored is
    skipped and reported in :attr:`AddResult.duplicates`); ``assignments`` move articles to
    events; ``merges`` re-point every article of the absorbed event; ``stories`` set the
    story of events; ``event_days`` carry the clusterer's text dates per event.
    """

    articles: list[NewArticle] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)  # article_id -> event_id
    merges: list[tuple[str, str, float]] = field(default_factory=list)  # (absorbed, into, score)
    copies: list[tuple[str, str, str, float]] = field(default_factory=list)  # (copy, original, kind, score)
    stories: dict[str, str] = field(default_factory=dict)  # event_id -> story_id
    event_days: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    failures: list[RecordError] = field(default_factory=list)
    snapshot: tuple[int, bytes | Callable[[IO[bytes]], None]] | None = None  # (article-log position, clusterer state or a function writing it to a file)

    def __len__(self) -> int:
        return len(self.articles)


@dataclass
class AddResult:
    """What a write did: ids added (in log order) and ids skipped as already stored."""

    added: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    last_seq: int = 0


# ------------------------------------------------------------------ the protocol


@runtime_checkable
class Store(Protocol):
    """What every backend implements. Writes go through ONE writer; reads may run concurrently."""

    url: str

    # -- write side
    def write(self, batch: WriteBatch) -> AddResult:
        """Apply ``batch`` in one transaction (all or nothing)."""

    def add_articles(self, items: Iterable[NewArticle | Article]) -> AddResult:
        """Add articles idempotently (by content hash = ``article_id``, and by URL)."""

    def save_snapshot(self, seq: int, data: bytes | Callable[[IO[bytes]], None]) -> None:
        """Keep the clusterer state as of article-log position ``seq`` (older snapshots dropped):
        ``data`` is the bytes, or a function that writes them to the file it is given (stored in
        parts as it writes, so the whole snapshot is never in memory)."""

    def open_snapshot(self) -> tuple[int, IO[bytes]] | None:
        """The latest clusterer snapshot as its position and a file to read it from (streamed), or None."""

    def load_snapshot(self) -> tuple[int, bytes] | None:
        """The latest clusterer snapshot, or None."""

    # -- read side
    def has_article(self, article_id: str, url: str | None = None) -> bool: ...

    def known_ids(self, article_ids: Sequence[str], urls: Sequence[str] = ()) -> set[str]:
        """Which of these ids (and urls) are already stored."""

    def get_article(self, article_id: str, *, profile: bool = False) -> StoredArticle | None: ...

    def list_articles(self, flt: EventFilter | None = None, *, event_id: str | None = None) -> Page[StoredArticle]: ...

    def iter_profiles(self, after_seq: int = 0) -> Iterator[tuple[int, Profile, str]]:
        """``(seq, profile, outlet)`` of every profiled article after ``after_seq``, in log order."""

    def get_event(self, event_id: str) -> EventRecord | None:
        """One event with its articles (merged-away ids resolve to the surviving event)."""

    def event_places(self, event_id: str, limit: int = 30) -> tuple[dict[str, Any], ...]:
        """The places an event's articles name: ``{"place_id", "name", "country", "n_articles"}``, most named first."""

    def list_events(self, flt: EventFilter | None = None) -> Page[EventRecord]:
        """Events, most recently seen first."""

    def get_story(self, story_id: str) -> StoryRecord | None:
        """One story with its events, timeline, entities, places and disagreements."""

    def list_stories(self, flt: EventFilter | None = None) -> Page[StoryRecord]: ...

    def get_entity(self, key_or_name: str) -> EntityRecord | None: ...

    def list_entities(self, flt: EventFilter | None = None) -> Page[EntityRecord]: ...

    def copies(self, article_id: str | None = None) -> list[CopyEdge]: ...

    def merges(self) -> list[MergeRecord]: ...

    def failures(self) -> list[FailureRecord]: ...

    def nearest(self, vector: np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        """Stored articles whose key vector is closest (cosine) to ``vector``: ``(article_id, cosine)``."""

    def counts(self) -> dict[str, int]:
        """``{"articles", "events", "stories", "entities", "failures", "copies", "merges"}``."""

    def last_seq(self) -> int: ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...


# ------------------------------------------------------------------ helpers


def profile_summary(p: Profile) -> dict[str, Any]:
    """A JSON view of a profile (no vectors).

    >>> from storyline.cluster.testing import toy_profile
    >>> sorted(profile_summary(toy_profile("a", [1.0], "Quake", names="Kabul")))
    ['article_id', 'dates', 'entities', 'language', 'languages', 'n_chars', 'n_sentences', 'numbers', 'places', 'title']
    """
    return {
        "article_id": p.article_id,
        "title": p.title,
        "language": p.language,
        "languages": list(p.languages),
        "n_chars": p.n_chars,
        "n_sentences": len(p.sentences),
        "entities": [{"text": m.text, "label": m.label, "key": m.key, "language": m.language} for m in p.entities],
        "places": [{"text": x.text, "place_id": x.place_id, "name": x.name, "country": x.country, "kind": x.kind} for x in p.places],
        "dates": [{"text": d.text, "value": d.value.isoformat(), "precision": d.precision} for d in p.dates],
        "numbers": [{"text": n.text, "value": n.value, "unit": n.unit} for n in p.numbers],
    }


def default_db() -> str:
    """``$STORYLINE_DB`` or ``./storyline.db``.

    >>> import os; os.environ.pop("STORYLINE_DB", None) and None; default_db()
    'storyline.db'
    """
    import os

    return os.environ.get("STORYLINE_DB") or "storyline.db"


def open_store(url: str | Path | None = None, **options: Any) -> Store:
    """Open (creating and migrating as needed) the store at ``url``.

    A path or ``sqlite:///path`` opens SQLite; ``postgresql://…`` opens PostgreSQL.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     store = open_store(os.path.join(d, "s.db"))
    ...     n = store.counts()["articles"]
    ...     store.close()
    >>> n
    0
    """
    raw = str(url) if url is not None else default_db()
    if raw.startswith(("postgresql://", "postgres://")):
        from storyline.store.postgres import PostgresStore

        return PostgresStore(raw, **options)
    if raw.startswith("sqlite:///"):
        raw = raw[len("sqlite:///") :]
    elif raw.startswith("sqlite://"):
        raise StoreError(f"[{StoreError.code}] {raw}: use sqlite:///PATH (three slashes) or a plain path")
    elif "://" in raw:
        raise StoreError(f"[{StoreError.code}] {raw}: unknown store URL scheme (use a path, sqlite:///PATH or postgresql://…)")
    from storyline.store.sqlite import SQLiteStore

    return SQLiteStore(raw, **options)
