"""Disagreements: the numbers articles give about the same thing, aligned across an event or a story.

A **claim** is a counted quantity an article states (``2,500 troops``, ``$40 billion``,
``14 injured``; see :func:`storyline.analyse.numbers.extract_numbers`, which maps the
counted noun to one unit across languages: "Soldaten", "soldats", 美军 → ``troops``),
with its *subject*: the country of the nearest place named within
``context_chars`` of the number (``troops`` in AF vs ``troops`` in IQ are different
things), and its day (when the article says its event happened, see
:func:`storyline.cluster.timeline.article_date`).

Claims with the same unit and subject are grouped; values within 1 % are one
**side** (with the articles, outlets and languages giving it). Two sides are about the
same fact when their values are within a factor of ``max_ratio`` (2,500 vs 3,000
troops; not 2,500 vs 13,000) and each has articles that do not also give the other
(an article saying "from 4,500 to 2,500" states a change, not a disagreement). Then:

* **changed** — every article of one side is dated *before* every article of the
  other: a revision or a later figure (sides in date order);
* **conflicting** — otherwise (e.g. the same day, or dates unknown);
* **agreeing** — a side given by two or more articles and not disputed.

>>> a = Claim("troops", "AF", 4000.0, "4,000 troops", "a1", "wire", "en", "2020-11-16")
>>> b = Claim("troops", "AF", 4000.0, "4.000 Soldaten", "a2", "paper", "de", "2020-11-16")
>>> c = Claim("troops", "AF", 5000.0, "5,000 troops", "a3", "tv", "en", "2020-11-16")
>>> [(d.label, [s.value for s in d.sides]) for d in align_claims([a, b, c])]
[('conflicting', [4000.0, 5000.0])]
>>> later = Claim("troops", "AF", 2500.0, "2,500 troops", "a4", "tv", "en", "2021-01-15")
>>> [(d.label, [s.value for s in d.sides]) for d in align_claims([a, b, later])]
[('changed', [4000.0, 2500.0])]
>>> [(d.label, d.sides[0].article_ids) for d in align_claims([a, b])]
[('agreeing', ['a1', 'a2'])]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Sequence

from storyline.types import Profile

__all__ = ["Alignment", "Claim", "Side", "align_claims", "claims_of", "event_disagreements", "story_disagreements"]

LABELS = ("conflicting", "changed", "agreeing")
_SKIP_UNITS = {"", "year", "day"}


@dataclass(frozen=True)
class Claim:
    """One number one article gives."""

    unit: str
    subject: str  # ISO country code of the nearest place, "" when none
    value: float
    text: str
    article_id: str
    source: str | None
    language: str
    day: str | None  # ISO date the article's event happened, if known


@dataclass(frozen=True)
class Side:
    """One value of a fact, with who gives it."""

    value: float
    texts: list[str]
    article_ids: list[str]
    sources: list[str]
    languages: list[str]
    first_day: str | None
    last_day: str | None


@dataclass(frozen=True)
class Alignment:
    """One fact (unit + subject) across articles: ``label`` is conflicting / changed / agreeing.

    ``sides``: one for agreeing; for changed, earlier then later; for conflicting, by value.
    """

    unit: str
    subject: str
    label: str
    sides: list[Side]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def claims_of(profile: Profile, *, source: str | None = None, context_chars: int = 120) -> list[Claim]:
    """The claims of one article: counted numbers (not years or days), each once per value and unit.

    >>> from storyline.cluster.testing import toy_profile
    >>> from storyline.types import NumberMention, Place
    >>> p = toy_profile("x", [1.0], "Drawdown", text="The US will keep 2,500 troops in Afghanistan.", day="2020-11-17")
    >>> p = p.replace(numbers=(NumberMention("2,500 troops", 2500.0, "troops", 17),),
    ...               places=(Place("Afghanistan", "iso:AF", "Afghanistan", "AF", "country", 34),))
    >>> [(c.unit, c.subject, c.value, c.day) for c in claims_of(p, source="wire")]
    [('troops', 'AF', 2500.0, '2020-11-17')]
    """
    from storyline.cluster.timeline import article_date

    day, _, precision = article_date(profile)
    iso = day.isoformat() if day and precision == "day" else None
    # adjectives ("soldats américains") say whose, not where: skip lower-case place words
    places = [pl for pl in profile.places if pl.start >= 0 and pl.country and not pl.text[:1].islower()]
    out: list[Claim] = []
    seen: set[tuple[str, str, float]] = set()
    for n in profile.numbers:
        if n.unit in _SKIP_UNITS:
            continue
        subject = ""
        if n.start >= 0:
            end = n.start + len(n.text)
            # a place inside the number's phrase or right after it modifies it ("4,500 US troops", "2500名美军")
            around = [pl for pl in places if not n.start <= pl.start <= end + 2 and abs(pl.start - n.start) <= context_chars]
            if around:
                subject = min(around, key=lambda pl: (abs(pl.start - n.start), pl.kind != "country")).country
        key = (n.unit, subject, round(float(n.value), 6))
        if key in seen:
            continue
        seen.add(key)
        out.append(Claim(n.unit, subject, float(n.value), n.text, profile.article_id, source, profile.language, iso))
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.01 * max(abs(a), abs(b))


def _side(value: float, claims: list[Claim]) -> Side:
    days = sorted(c.day for c in claims if c.day)
    return Side(
        value=value,
        texts=sorted({c.text for c in claims}),
        article_ids=sorted({c.article_id for c in claims}),
        sources=sorted({c.source for c in claims if c.source}),
        languages=sorted({c.language for c in claims}),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
    )


def _sides(claims: list[Claim]) -> list[tuple[float, list[Claim]]]:
    out: list[tuple[float, list[Claim]]] = []
    for c in sorted(claims, key=lambda c: c.value):
        if out and _close(out[-1][0], c.value):
            out[-1][1].append(c)
        else:
            out.append((c.value, [c]))
    return out


def align_claims(claims: Iterable[Claim], *, max_ratio: float = 3.0) -> list[Alignment]:
    """Group claims into facts and label each (see the module docstring). Conflicts first,
    then changes, then agreements; within a label, the most reported first."""
    groups: dict[tuple[str, str], list[Claim]] = {}
    for c in claims:
        groups.setdefault((c.unit, c.subject), []).append(c)
    # a claim with no subject joins its unit's only subject, when there is exactly one
    for unit in {u for u, _ in groups}:
        subjects = [s for u, s in groups if u == unit and s]
        if len(subjects) == 1 and (unit, "") in groups:
            groups[(unit, subjects[0])].extend(groups.pop((unit, "")))
    out: list[Alignment] = []
    for (unit, subject), group in groups.items():
        sides = _sides(group)
        articles = [{c.article_id for c in members} for _, members in sides]
        disputed: set[int] = set()
        for i in range(len(sides)):
            for j in range(i + 1, len(sides)):
                lo, hi = sorted((abs(sides[i][0]), abs(sides[j][0])))
                if lo <= 0 or hi / lo > max_ratio:
                    continue
                only_i, only_j = articles[i] - articles[j], articles[j] - articles[i]
                if not only_i or not only_j:
                    continue
                disputed.update((i, j))
                ci = [c for c in sides[i][1] if c.article_id in only_i]
                cj = [c for c in sides[j][1] if c.article_id in only_j]
                di, dj = [c.day for c in ci], [c.day for c in cj]
                label, pair = "conflicting", [_side(sides[i][0], ci), _side(sides[j][0], cj)]
                if all(di) and all(dj):
                    if max(di) < min(dj):  # type: ignore[type-var]
                        label = "changed"
                    elif max(dj) < min(di):  # type: ignore[type-var]
                        label, pair = "changed", pair[::-1]
                out.append(Alignment(unit, subject, label, pair))
        for k, (value, members) in enumerate(sides):
            if k not in disputed and len(articles[k]) >= 2:
                out.append(Alignment(unit, subject, "agreeing", [_side(value, members)]))
    out.sort(key=lambda a: (LABELS.index(a.label), -sum(len(s.article_ids) for s in a.sides), a.unit, a.subject, a.sides[0].value))
    return out


def _sources(clusterer: Any, sources: Mapping[str, str] | None) -> Mapping[str, str]:
    return sources if sources is not None else getattr(clusterer, "article_sources_", {})


def event_disagreements(
    event_id: str, clusterer: Any, profiles: Mapping[str, Profile] | None = None, *, sources: Mapping[str, str] | None = None
) -> list[Alignment]:
    """Aligned numbers across one event's articles (``sources``: article id → outlet;
    default: the ``source`` each article was learned with)."""
    from storyline.cluster.timeline import event_profiles

    where = _sources(clusterer, sources)
    members = event_profiles(event_id, clusterer, profiles)
    return align_claims(c for p in members for c in claims_of(p, source=where.get(p.article_id)))


def story_disagreements(
    story_id: str,
    linker: Any,
    clusterer: Any,
    profiles: Mapping[str, Profile] | None = None,
    *,
    sources: Mapping[str, str] | None = None,
) -> list[Alignment]:
    """Aligned numbers across all the articles of a story's events (figures that changed between events show as changed)."""
    from storyline.cluster.timeline import event_profiles

    where = _sources(clusterer, sources)
    members: Sequence[Profile] = [
        p for e in linker.stories_[story_id].events if e in clusterer.events_ for p in event_profiles(e, clusterer, profiles)
    ]
    return align_claims(c for p in members for c in claims_of(p, source=where.get(p.article_id)))
