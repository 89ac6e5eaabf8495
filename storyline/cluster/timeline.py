"""Timelines: a story's events in date order, each with its date, headlines and key facts.

Pure functions over profiles and the state of an
:class:`~storyline.cluster.events.EventClusterer` (and a
:class:`~storyline.cluster.stories.StoryLinker` for stories); they change nothing.

* **Date.** When the event happened, read from the text where the text says so
  (:func:`storyline.analyse.dates.date_of_event` per article: the most mentioned
  day near publication), else the publication date; the event's date is the day
  most of its articles give (ties: the earliest). ``date_source`` says which:
  ``"text"`` or ``"published"``. Undated articles that only name a month or a year
  give that, with ``precision`` ``"month"`` / ``"year"``.
* **Headlines.** One per language: the title of the member closest to the event's centroid.
* **Key facts.** *Who*: the people and organisations most members name (name
  variants of one entity in one article count once; across scripts they meet on the
  surname's phonetic key). *Where*: resolved places, most named first. *Numbers*:
  counted quantities ("2,500 troops"), most reported first.

Profiles are looked up by article id in ``profiles``; members without a profile
there are read from the clusterer's representatives (the first and latest few of
each event), so a timeline works from the clusterer alone, with less detail.

>>> from storyline.cluster.events import EventClusterer
>>> from storyline.cluster.testing import toy_profile
>>> model = EventClusterer()
>>> p = toy_profile("a1", [1, 0], "Quake hits Kabul", text="A quake hit Kabul on Monday. Dozens died.", day="2024-03-04")
>>> entry = event_entry(model.learn_one(p), model, {"a1": p})
>>> entry.date, entry.date_source, entry.headlines
('2024-03-04', 'published', {'en': 'Quake hits Kabul'})
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Mapping

import numpy as np

from storyline.types import Profile

__all__ = ["EventEntry", "Timeline", "article_date", "event_date", "event_entry", "event_profiles", "story_timeline"]

_WHO_LABELS = ("PER", "ORG")
_SKIP_UNITS = {"", "year", "day"}


@dataclass(frozen=True)
class EventEntry:
    """One event on a timeline."""

    event_id: str
    date: str | None  # ISO date (first day of the month/year when ``precision`` says so)
    date_source: str | None  # "text" | "published" | None
    precision: str  # "day" | "month" | "year"
    headlines: dict[str, str]  # language -> headline
    who: list[str]
    where: list[str]
    numbers: list[dict[str, Any]]  # {"value", "unit", "text", "n_articles"}
    n_articles: int
    languages: dict[str, int]
    first_day: str | None = None
    last_day: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Timeline:
    """A story's events, in date order (undated events last)."""

    story_id: str
    events: list[EventEntry] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"story_id": self.story_id, "events": [e.to_json() for e in self.events]}


def article_date(profile: Profile) -> tuple[date | None, str | None, str]:
    """When the article says its event happened: ``(day, source, precision)``.

    ``source`` is ``"text"`` when a date in the text gives the day (even if it is the
    publication day), ``"published"`` when only the publication date does, None when
    nothing dates the article. Undated articles that only mention months or years give
    the most mentioned one (precision ``"month"`` / ``"year"``).

    >>> from datetime import datetime, timezone
    >>> from storyline.cluster.testing import toy_profile
    >>> from storyline.types import DateMention
    >>> p = toy_profile("x", [1.0], "Talks", day="2020-11-22")
    >>> article_date(p)
    (datetime.date(2020, 11, 22), 'published', 'day')
    >>> article_date(p.replace(dates=(DateMention("Thursday", date(2020, 11, 19)),)))
    (datetime.date(2020, 11, 19), 'text', 'day')
    >>> article_date(p.replace(published_at=None, dates=(DateMention("in 2018", date(2018, 1, 1), precision="year"),)))
    (datetime.date(2018, 1, 1), 'text', 'year')
    """
    from storyline.analyse.dates import date_of_event

    day = date_of_event(list(profile.dates), profile.published_at)
    pub = profile.published_at.date() if profile.published_at else None
    if day is not None:
        said = any(d.precision == "day" and d.value == day for d in profile.dates)
        return day, ("text" if said or pub is None else "published"), "day"
    for precision in ("month", "year"):
        found = Counter(d.value for d in profile.dates if d.precision == precision)
        if found:
            best = max(found, key=lambda v: (found[v], -v.toordinal()))
            return best, "text", precision
    return None, None, "day"


def event_profiles(event_id: str, clusterer: Any, profiles: Mapping[str, Profile] | None = None) -> list[Profile]:
    """The profiles of an event's members that are known: from ``profiles``, else the clusterer's representatives."""
    ev = clusterer.events_[event_id]
    held = {d.profile.article_id: d.profile for d in ev.representatives}
    out = []
    for article_id in ev.members:
        p = (profiles or {}).get(article_id) or held.get(article_id)
        if p is not None:
            out.append(p)
    return out


def event_date(members: list[Profile]) -> tuple[date | None, str | None, str]:
    """When an event happened, from its members' profiles: ``(day, source, precision)`` as in
    :func:`article_date`; the day most members give at the finest precision any gives (ties: the earliest).

    >>> from storyline.cluster.testing import toy_profile
    >>> from storyline.types import DateMention
    >>> undated = toy_profile("u", [1.0], "Talks").replace(published_at=None)
    >>> event_date([undated, undated.replace(dates=(DateMention("May 2021", date(2021, 5, 1), precision="month"),))])
    (datetime.date(2021, 5, 1), 'text', 'month')
    >>> event_date([undated])
    (None, None, 'day')
    """
    found = [article_date(p) for p in members]
    for precision in ("day", "month", "year"):
        days = Counter(d for d, _, pr in found if d is not None and pr == precision)
        if not days:
            continue
        best = max(days, key=lambda v: (days[v], -v.toordinal()))
        sources = {s for d, s, pr in found if d == best and pr == precision}
        return best, ("text" if "text" in sources else "published"), precision
    return None, None, "day"


def _headlines(members: list[Profile], centroid: np.ndarray | None) -> dict[str, str]:
    from storyline.cluster.events import key_vector

    best: dict[str, tuple[float, str]] = {}
    for p in members:
        if not p.title:
            continue
        closeness = float(key_vector(p) @ centroid) if centroid is not None else 0.0
        if p.language not in best or closeness > best[p.language][0]:
            best[p.language] = (closeness, p.title)
    return {lang: title for lang, (_, title) in sorted(best.items())}


def _who(members: list[Profile], k: int) -> list[str]:
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for p in members:
        groups = p.entity_groups or tuple((i,) for i in range(len(p.entities)))
        seen: set[str] = set()
        for group in groups:
            mentions = [p.entities[i] for i in group if i < len(p.entities)]
            mentions = [m for m in mentions if m.label in _WHO_LABELS]
            if not mentions:
                continue
            longest = max(mentions, key=lambda m: (len(m.text.split()), len(m.text)))
            key = ((longest.key or longest.text).lower().split() or [""])[-1]
            if not key or key in seen:
                continue
            seen.add(key)
            counts[key] += 1
            table = forms.setdefault(key, Counter())
            for m in mentions:
                table[m.text] += 2 if m.text.isascii() and len(m.text.split()) > 1 else 1
    order = sorted(counts, key=lambda key: (-counts[key], key))
    return [forms[key].most_common(1)[0][0] for key in order[:k]]


def _where(members: list[Profile], k: int) -> list[str]:
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for p in members:
        for place_id in {pl.place_id for pl in p.places}:
            counts[place_id] += 1
        for pl in p.places:
            names.setdefault(pl.place_id, pl.name)
    order = sorted(counts, key=lambda pid: (-counts[pid], names[pid]))
    return [names[pid] for pid in order[:k]]


def _numbers(members: list[Profile], k: int) -> list[dict[str, Any]]:
    counts: Counter[tuple[float, str]] = Counter()
    texts: dict[tuple[float, str], str] = {}
    for p in members:
        seen = set()
        for n in p.numbers:
            if n.unit in _SKIP_UNITS:
                continue
            key = (float(n.value), n.unit)
            if key in seen:
                continue
            seen.add(key)
            counts[key] += 1
            texts.setdefault(key, n.text)
    order = sorted(counts, key=lambda key: (-counts[key], key[1], key[0]))
    return [{"value": v, "unit": u, "text": texts[(v, u)], "n_articles": counts[(v, u)]} for v, u in order[:k]]


def event_entry(event_id: str, clusterer: Any, profiles: Mapping[str, Profile] | None = None, *, k: int = 5) -> EventEntry:
    """One event's date, headlines and key facts (``k`` of each kind)."""
    ev = clusterer.events_[event_id]
    members = event_profiles(event_id, clusterer, profiles)
    day, source, precision = event_date(members)
    return EventEntry(
        event_id=event_id,
        date=day.isoformat() if day else None,
        date_source=source,
        precision=precision,
        headlines=_headlines(members, ev.centroid if ev.vector_sum is not None else None),
        who=_who(members, k),
        where=_where(members, k),
        numbers=_numbers(members, k),
        n_articles=ev.n_articles,
        languages=dict(sorted(ev.languages.items(), key=lambda kv: -kv[1])),
        first_day=ev.first_day.isoformat() if ev.first_day else None,
        last_day=ev.last_day.isoformat() if ev.last_day else None,
    )


def story_timeline(story_id: str, linker: Any, clusterer: Any, profiles: Mapping[str, Profile] | None = None, *, k: int = 5) -> Timeline:
    """The story's events in date order (undated last; ties: event id).

    >>> from storyline.cluster.events import EventClusterer
    >>> from storyline.cluster.stories import StoryLinker
    >>> from storyline.cluster.testing import toy_profile
    >>> model = EventClusterer()
    >>> ps = [toy_profile("b", [1, 0.3], "Deal signed", text="In Doha the Taliban and Khalilzad signed a deal.", day="2020-02-29"),
    ...       toy_profile("a", [1, 0.0], "First talks", text="Envoy Khalilzad met the Taliban in Doha.", day="2018-07-23")]
    >>> for p in ps:
    ...     _ = model.learn_one(p)
    >>> linker = StoryLinker(); stories = linker.link_many(model)
    >>> [(e.date, e.headlines["en"]) for e in story_timeline(stories[model.event_of("a")], linker, model).events]
    [('2018-07-23', 'First talks'), ('2020-02-29', 'Deal signed')]
    """
    story = linker.stories_[story_id]
    entries = [event_entry(e, clusterer, profiles, k=k) for e in story.events if e in clusterer.events_]
    entries.sort(key=lambda e: (e.date is None, e.date or "", e.event_id))
    return Timeline(story_id=story_id, events=entries)
