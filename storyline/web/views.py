"""Pure helpers that shape records for the HTML pages: score bars, evidence highlights, the timeline picture.

Nothing here builds HTML: templates render the values these return, and Jinja2
escapes every piece of text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from storyline.types import DIMENSIONS

__all__ = ["Segment", "evidence_marks", "highlight", "language_name", "score_bars", "timeline_picture"]

VERDICT_TEXT = {
    "translation": "translations of each other",
    "near_duplicate": "near-duplicates (the same text, re-published)",
    "same_event": "the same event",
    "same_story": "the same story (different events)",
    "related": "related",
    "unrelated": "unrelated",
    "not_article": "not comparable: a page is a notice (anti-bot, captcha, paywall), not the article",
}


def score_bars(scores: Mapping[str, float]) -> list[dict[str, Any]]:
    """One bar per SemEval dimension: ``similarity`` in [0, 1] (4 → 0, 1 → 1) for the bar length.

    >>> [(b["name"], b["score"], b["similarity"]) for b in score_bars({"overall": 1.0, "tone": 4.0})]
    [('overall', 1.0, 1.0), ('tone', 4.0, 0.0)]
    """
    bars = []
    for name in DIMENSIONS:
        if name not in scores:
            continue
        value = float(scores[name])
        similarity = min(1.0, max(0.0, (4.0 - value) / 3.0))
        band = "high" if value <= 1.75 else "mid" if value <= 2.75 else "low"
        bars.append({"name": name, "score": round(value, 2), "similarity": round(similarity, 3), "band": band})
    return bars


@dataclass(frozen=True)
class Segment:
    """A run of text with the evidence kinds that cover it (``kinds`` empty: plain text)."""

    text: str
    kinds: tuple[str, ...] = ()
    pair: int | None = None  # index of the aligned sentence pair covering it

    @property
    def css(self) -> str:
        return " ".join(f"ev-{k}" for k in self.kinds)


def _find_all(text: str, needle: str) -> Iterable[tuple[int, int]]:
    if not needle or not needle.strip():
        return
    start = 0
    while True:
        i = text.find(needle, start)
        if i < 0:
            return
        yield i, i + len(needle)
        start = i + len(needle)


def highlight(text: str, marks: Sequence[tuple[str, str, int | None]]) -> list[Segment]:
    """Split ``text`` into segments marked by every occurrence of each ``(needle, kind, pair)``.

    Overlaps are fine: a segment carries every kind covering it (an entity inside an
    aligned sentence is both). ``pair`` ties a sentence to its partner in the other text.

    >>> [(s.text, s.kinds) for s in highlight("Talks in Doha. Then Kabul.", [("Doha", "place", None), ("Talks in Doha.", "sentence", 0)])]
    [('Talks in ', ('sentence',)), ('Doha', ('place', 'sentence')), ('.', ('sentence',)), (' Then Kabul.', ())]
    """
    n = len(text)
    if n == 0:
        return []
    cover: list[set[str] | None] = [None] * n
    pairs: list[int | None] = [None] * n
    for needle, kind, pair in marks:
        for start, end in _find_all(text, needle):
            for i in range(start, end):
                slot = cover[i]
                if slot is None:
                    slot = cover[i] = set()
                slot.add(kind)
                if pair is not None and pairs[i] is None:
                    pairs[i] = pair
    segments: list[Segment] = []
    run_start = 0
    for i in range(1, n + 1):
        if i == n or cover[i] != cover[run_start] or pairs[i] != pairs[run_start]:
            kinds = tuple(sorted(cover[run_start] or ()))
            segments.append(Segment(text[run_start:i], kinds, pairs[run_start]))
            run_start = i
    return segments


def evidence_marks(evidence: Mapping[str, Any], side: str) -> list[tuple[str, str, int | None]]:
    """The strings to mark in text ``side`` ("a" or "b") from a ``compare --json`` evidence block.

    >>> ev = {"entities": [{"a": ["Milley"], "b": ["米利"]}], "places": [{"a": ["Doha"], "b": ["多哈"]}],
    ...       "numbers": {"shared": [{"a": "2,500 troops", "b": "2500名"}], "conflicting": []},
    ...       "sentence_pairs": [{"a": "Milley spoke.", "b": "米利发言。", "score": 0.8}]}
    >>> evidence_marks(ev, "b")
    [('米利发言。', 'sentence', 0), ('米利', 'entity', None), ('多哈', 'place', None), ('2500名', 'number', None)]
    """
    marks: list[tuple[str, str, int | None]] = []
    for i, pair in enumerate(evidence.get("sentence_pairs") or []):
        if isinstance(pair.get(side), str):
            marks.append((pair[side], "sentence", i))
    for kind, key in (("entity", "entities"), ("place", "places")):
        for item in evidence.get(key) or []:
            for surface in item.get(side) or []:
                marks.append((str(surface), kind, None))
    numbers = evidence.get("numbers") or {}
    for kind, key in (("number", "shared"), ("conflict", "conflicting")):
        for item in numbers.get(key) or []:
            surface = item.get(side)
            for s in surface if isinstance(surface, list) else [surface]:
                if isinstance(s, str):
                    marks.append((s, kind, None))
    dates = evidence.get("dates") or {}
    if isinstance(dates.get(f"{side}_text"), str):
        marks.append((dates[f"{side}_text"], "date", None))
    return marks


_LANGUAGE_NAMES: dict[str, str] = {}


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code (the code itself when unknown).

    >>> language_name("zh"), language_name("de"), language_name("xx")
    ('Chinese', 'German', 'xx')
    """
    if not _LANGUAGE_NAMES:
        try:
            from babel import Locale

            _LANGUAGE_NAMES.update({k: v for k, v in Locale("en").languages.items() if len(k) == 2})
        except Exception:  # babel missing or broken: codes are still readable
            _LANGUAGE_NAMES["en"] = "English"
    return _LANGUAGE_NAMES.get(code, code)


def _day(value: Any) -> date | None:
    if not value:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def timeline_picture(timeline: Sequence[Mapping[str, Any]], *, width: int = 900, row: int = 34) -> dict[str, Any]:
    """Geometry of the timeline SVG: one dot (and span) per event on a date axis, labels beside them.

    Dates come from the timeline entries (``date`` and ``last_date``); undated events
    sit after the last tick, in a grey band. Returns plain numbers and strings; the
    template draws them (escaping the headlines).

    >>> pic = timeline_picture([{"event_id": "e1", "date": "2018-07-01", "headline": "Round one", "n_articles": 2},
    ...                         {"event_id": "e2", "date": "2020-09-12", "headline": "Round two", "n_articles": 5}])
    >>> [(p["event_id"], p["x"] <= pic["axis_end"], p["year"]) for p in pic["points"]]
    [('e1', True, '2018'), ('e2', True, '2020')]
    >>> pic["points"][0]["x"] < pic["points"][1]["x"], [t["label"] for t in pic["ticks"]][:2]
    (True, ['2018', '2019'])
    """
    left, right = 20, width - 20
    axis_end = right - 60
    days = [(_day(e.get("date")), _day(e.get("last_date") or e.get("last_day")) or _day(e.get("date"))) for e in timeline]
    known = [d for pair in days for d in pair if d is not None]
    lo = min(known) if known else None
    hi = max(known) if known else None
    span = max(1, (hi - lo).days) if lo and hi else 1

    def x_of(d: date) -> float:
        assert lo is not None
        return left + (axis_end - left) * ((d - lo).days / span)

    points = []
    for i, (entry, (first, last)) in enumerate(zip(timeline, days)):
        y = 40 + i * row
        n = int(entry.get("n_articles") or 1)
        r = min(10.0, 4.0 + 1.5 * n ** 0.5)
        if first is not None:
            x = x_of(first)
            x2 = x_of(last) if last is not None and last > first else x
        else:
            x = x2 = float(right - 12)
        headline = str(entry.get("headline") or next(iter((entry.get("headlines") or {}).values()), "") or entry.get("event_id", ""))
        points.append(
            {
                "event_id": str(entry.get("event_id", "")),
                "x": round(x, 1),
                "x2": round(x2, 1),
                "y": y,
                "r": round(r, 1),
                "date": first.isoformat() if first else "undated",
                "year": str(first.year) if first else "",
                "label": headline[:90] + ("…" if len(headline) > 90 else ""),
                "n_articles": n,
                "dated": first is not None,
                "anchor": "end" if first is not None and x > (left + axis_end) / 2 else "start",
                "label_x": round((x - r - 6) if first is not None and x > (left + axis_end) / 2 else (x2 + r + 6 if first is not None else x - r - 6), 1),
            }
        )
    ticks = []
    if lo and hi:
        if span > 540:
            for year in range(lo.year, hi.year + 1):
                d = max(lo, date(year, 1, 1))
                ticks.append({"x": round(x_of(d), 1), "label": str(year)})
        else:
            step = 1 if span <= 62 else 3
            y, m = lo.year, lo.month
            while date(y, m, 1) <= hi:
                d = max(lo, date(y, m, 1))
                ticks.append({"x": round(x_of(d), 1), "label": d.strftime("%b %Y") if step > 1 or m == 1 or not ticks else d.strftime("%b")})
                m += step
                while m > 12:
                    m -= 12
                    y += 1
    height = 40 + max(1, len(timeline)) * row + 10
    return {"width": width, "height": height, "points": points, "ticks": ticks, "axis_y": 22, "axis_start": left, "axis_end": axis_end}
