"""The records storyline passes from stage to stage.

All records are frozen dataclasses. Times are timezone-aware UTC and named
``*_at``. Internal similarities are in [0, 1] and named ``*_score``; the seven
SemEval dimensions keep the task's own 1 (very similar) … 4 (very dissimilar)
scale inside :attr:`PairScore.scores`.

>>> a = Article.from_text("Quake hits Kabul", "A strong earthquake hit Kabul on Monday.")
>>> a.article_id == Article.from_text("Quake hits Kabul", "A strong earthquake hit Kabul on Monday.").article_id
True
>>> a.source
'text'
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np

DIMENSIONS: tuple[str, ...] = ("geography", "entities", "time", "narrative", "overall", "style", "tone")
"""The seven SemEval-2022 Task 8 dimensions, in the task's order."""

VERDICTS: tuple[str, ...] = ("translation", "near_duplicate", "same_event", "same_story", "related", "unrelated", "not_article")
"""What :meth:`storyline.scorer.PairScorer.score` concludes; ``not_article``: one side is a notice page
(anti-bot, captcha, paywall: :mod:`storyline.analyse.pagekind`), so the scores are the training mean."""

Stage = Literal["ingest", "analyse", "compare", "cluster", "store"]


def content_id(*parts: str) -> str:
    """A stable 16-hex-digit id for some text parts.

    >>> len(content_id("a", "b")), content_id("a", "b") == content_id("a", "b"), content_id("ab") == content_id("a", "b")
    (16, True, False)
    """
    digest = hashlib.blake2b(digest_size=8)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Article:
    """One news article as read from its source, before any analysis.

    ``article_id`` is a hash of title and text, so reading the same article
    twice gives the same id wherever it came from.
    """

    article_id: str
    source: str  # "file:data/a.html", "feed:bbc.xml#entry-3", "jsonl:x.jsonl:12"
    title: str
    text: str
    published_at: datetime | None = None  # tz-aware UTC
    url: str | None = None
    author: str | None = None
    language_hint: str | None = None  # what the source claimed, ISO 639-1; detection decides
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_text(
        cls,
        title: str,
        text: str,
        *,
        source: str = "text",
        published_at: datetime | None = None,
        url: str | None = None,
        author: str | None = None,
        language_hint: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Article:
        return cls(
            article_id=content_id(title.strip(), text.strip()),
            source=source,
            title=title,
            text=text,
            published_at=published_at,
            url=url,
            author=author,
            language_hint=language_hint,
            meta=dict(meta or {}),
        )

    def replace(self, **changes: Any) -> Article:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ArticlePair:
    """Two articles to compare, with gold scores when they come from a labelled set."""

    pair_id: str
    a: Article
    b: Article
    gold: dict[str, float] = field(default_factory=dict)  # SemEval scale, keys from DIMENSIONS
    machine_translated: bool = False

    @property
    def language_pair(self) -> str:
        la = self.a.language_hint or "xx"
        lb = self.b.language_hint or "xx"
        return f"{la}-{lb}"


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record that could not be processed, kept with its raw input."""

    source: str  # where: file, file:line, url, feed#entry
    stage: Stage
    reason: str  # why, in one sentence
    error_type: str = "InputError"
    raw: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_exc(cls, source: str, stage: Stage, exc: BaseException, raw: bytes | None = None) -> RecordError:
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        return cls(source=source, stage=stage, reason=reason, error_type=type(exc).__name__, raw=raw)


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of the text in one language: ``text[start:end]``."""

    language: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A named-entity mention found in the text.

    ``label`` is one of PER, ORG, LOC, MISC. ``key`` is the cross-script name
    key (see :mod:`storyline.analyse.names`), e.g. ``"mili"`` for both
    "Milley" and 米利.
    """

    text: str
    label: str
    start: int
    end: int
    language: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class Place:
    """A place mention resolved against the gazetteer.

    ``place_id`` is ``"geonames:<id>"`` for cities and ``"iso:<CC>"`` for
    countries; ``country`` is the ISO 3166-1 alpha-2 code.
    """

    text: str
    place_id: str
    name: str  # canonical English name
    country: str
    kind: Literal["country", "city", "region"]
    start: int = -1


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date the text talks about, normalised against the publication date."""

    text: str
    value: date
    start: int = -1
    precision: Literal["day", "month", "year"] = "day"


@dataclass(frozen=True, slots=True)
class NumberMention:
    """A number with what it counts: ``2,500 troops`` → value 2500.0, unit "troops"."""

    text: str
    value: float
    unit: str  # normalised noun it counts, lowercase, in the text's language ("" if unknown)
    start: int = -1


@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """Everything storyline read from one article. Built once, cached, compared many times.

    The vectors are L2-normalised float32 rows from the cross-lingual encoder:
    ``title_vector`` (title, or first sentence when there is no title),
    ``lead_vector`` (title and the first ~1,000 characters read as one passage),
    ``sentence_vectors`` (one row per sentence, in order).
    ``e5_vectors`` is a second encoder's reading (multilingual-e5-small, two rows of 384:
    the title, then the lead's first 512 characters), present only in a *deep* profile (``Profiler(e5=True)``: ``compare``,
    ``eval pairs``, ``train pairs``); ingest leaves it ``None``.
    """

    article_id: str
    title: str
    language: str  # the main language, ISO 639-1 ("xx" when unknown)
    segments: tuple[Segment, ...]
    sentences: tuple[str, ...]
    title_vector: np.ndarray
    sentence_vectors: np.ndarray
    lead_vector: np.ndarray
    entities: tuple[Mention, ...] = ()
    entity_groups: tuple[tuple[int, ...], ...] = ()  # indices into entities: the name variants of one entity
    places: tuple[Place, ...] = ()
    dates: tuple[DateMention, ...] = ()
    numbers: tuple[NumberMention, ...] = ()
    published_at: datetime | None = None
    n_chars: int = 0
    shingles: tuple[int, ...] = ()  # MinHash signature of character shingles, for near-duplicates
    e5_vectors: np.ndarray | None = None

    def __setstate__(self, state: list[Any]) -> None:
        """Unpickle, giving fields added since the pickle was made their defaults."""
        for i, f in enumerate(dataclasses.fields(self)):
            if i < len(state):
                value = state[i]
            else:
                value = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            object.__setattr__(self, f.name, value)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages of the segments, largest first."""
        sizes: dict[str, int] = {}
        for seg in self.segments:
            sizes[seg.language] = sizes.get(seg.language, 0) + (seg.end - seg.start)
        return tuple(sorted(sizes, key=lambda lang: -sizes[lang]))

    @property
    def document_vector(self) -> np.ndarray:
        """Mean of the sentence vectors, re-normalised."""
        return _mean_vector(self.sentence_vectors, self.title_vector)

    def replace(self, **changes: Any) -> Profile:
        return dataclasses.replace(self, **changes)


def _mean_vector(rows: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    if rows.size == 0:
        return fallback
    mean = rows.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else fallback


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One entity found on both sides (or only one side) of a comparison."""

    name: str  # canonical display name
    label: str
    a: tuple[str, ...]  # surface forms in A
    b: tuple[str, ...]  # surface forms in B
    match_score: float  # [0, 1]
    reason: str  # "same key", "transliteration", "edit distance 1", ...


@dataclass(frozen=True, slots=True)
class Evidence:
    entities: tuple[EntityMatch, ...] = ()
    places: tuple[dict[str, Any], ...] = ()
    dates: dict[str, Any] = field(default_factory=dict)
    numbers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sentence_pairs: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class PairScore:
    """The comparison of two profiles.

    ``scores`` uses the SemEval scale: 1 = very similar … 4 = very dissimilar.
    ``features`` holds the internal [0, 1] ``*_score`` values the scores came from.
    """

    a_id: str
    b_id: str
    scores: dict[str, float]
    verdict: str
    evidence: Evidence
    features: dict[str, float]
    languages: dict[str, tuple[str, ...]]

    def to_json(self) -> dict[str, Any]:
        """The stable ``compare --json`` contract."""
        ev = self.evidence
        return {
            "scores": {d: round(float(self.scores[d]), 3) for d in DIMENSIONS},
            "verdict": self.verdict,
            "evidence": {
                "entities": [
                    {
                        "name": m.name,
                        "type": m.label,
                        "a": list(m.a),
                        "b": list(m.b),
                        "match_score": round(m.match_score, 3),
                        "reason": m.reason,
                    }
                    for m in ev.entities
                ],
                "places": list(ev.places),
                "dates": dict(ev.dates),
                "numbers": {"shared": list(ev.numbers.get("shared", [])), "conflicting": list(ev.numbers.get("conflicting", []))},
                "sentence_pairs": list(ev.sentence_pairs),
            },
            "languages": {"a": list(self.languages.get("a", ())), "b": list(self.languages.get("b", ()))},
            "a": self.a_id,
            "b": self.b_id,
        }
