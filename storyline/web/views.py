"""Pure helpers that shape records for the HTML pages: score bars, evidence highlights, the timeline picture.

Nothing here builds HTML: templates render the values these return, and Jinja2
escapes every piece of text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from storyline.types import DIMENSIONS

__all__ = ["Segment", "evidence_marks", "highlight", "language_name", "map_picture", "score_bars", "timeline_picture"]

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
                "date": _date_label(first, entry.get("precision")) if first else "undated",
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
    return {"width": width, "height": height, "points": points, "ticks": ticks, "axis_y": 22, "axis_start": left, "axis_end": axis_end,
            "dates": {p["event_id"]: p["date"] for p in points if p["dated"]},
            "span": _span([(first, p["date"]) for (first, _), p in zip(days, points) if first is not None])}


def _span(dated: Sequence[tuple[date, str]]) -> tuple[str, str] | None:
    """The first and last of the events' date labels (each as precise as its event's date).

    >>> _span([(date(2021, 5, 1), "May 2021"), (date(2018, 8, 26), "2018-08-26")]), _span([])
    (('2018-08-26', 'May 2021'), None)
    """
    if not dated:
        return None
    return min(dated)[1], max(dated)[1]


def _date_label(day: date, precision: Any) -> str:
    """A timeline date as precise as its source: ``2021-05-01`` at month precision is ``May 2021``.

    >>> _date_label(date(2021, 5, 1), "month"), _date_label(date(2021, 1, 1), "year"), _date_label(date(2018, 8, 26), "day")
    ('May 2021', '2021', '2018-08-26')
    """
    if precision == "month":
        return day.strftime("%b %Y")
    if precision == "year":
        return str(day.year)
    return day.isoformat()


SHADES = 5  # shading classes of the map (shade-1 … shade-5)


def _view_box(points: Sequence[tuple[float, float]], world: Any, ratio: float) -> tuple[float, float, float, float, float]:
    """``(x, y, w, h, squeeze)`` in display units (map x times ``squeeze``): the world, or a box around close points."""
    world_box = (0.0, 60.0, float(world.width), float(world.width) / ratio, 1.0)  # 84°N … about 66°S
    if not points:
        return world_box
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x1 - x0 > 1300 or y1 - y0 > 600:  # over 130° of longitude or 60° of latitude apart: the whole world
        return world_box
    cy = (y0 + y1) / 2
    squeeze = max(0.35, math.cos(math.radians(90 - cy / 10)))  # keeps a regional crop's shape
    w = max((x1 - x0) * squeeze * 1.3, (y1 - y0) * 1.3 * ratio, 300.0)  # at least 30°·cos(lat) of longitude wide
    if w >= world.width * squeeze * 0.6:
        return world_box
    h = w / ratio
    x = (x0 + x1) / 2 * squeeze - w / 2
    y = min(max(cy - h / 2, 0.0), world.height - h)
    return (round(x, 1), round(y, 1), round(w, 1), round(h, 1), round(squeeze, 4))


def map_picture(places: Sequence[Mapping[str, Any]], *, width: int = 900, ratio: float = 2.4, world: Any = None,
                locate: Any = None) -> dict[str, Any]:
    """SVG data of the places map: countries shaded by articles, a dot per city, the view cropped to the places.

    ``places`` are ``{"name", "place_id", "country", "n_articles"}`` (a story's or an event's).
    A country's count is the most articles naming it or one place in it (a lower bound on the
    articles naming any of them: counts of different places can't be added). Countries missing
    from the 1:110m outlines get a ring at their capital, and so do countries too small to see in the
    view (Qatar on the world); regions (``iso:CC-XX``) shade their
    country and are listed in ``unplaced``, as is anything without coordinates. ``world`` and
    ``locate`` default to the shipped outlines and gazetteer (:mod:`storyline.web.geo`).

    >>> pic = map_picture([{"name": "Kabul", "place_id": "geonames:1138958", "country": "AF", "n_articles": 4},
    ...                    {"name": "Kandahar", "place_id": "geonames:1138336", "country": "AF", "n_articles": 1}])
    >>> [(d["name"], d["n"]) for d in pic["dots"]], pic["world_view"], [(c["code"], c["shade"]) for c in pic["shaded"]]
    ([('Kabul', 4), ('Kandahar', 1)], False, [('AF', 5)])
    >>> map_picture([{"name": "Qatar", "place_id": "iso:QA", "country": "QA", "n_articles": 2},
    ...              {"name": "United States", "place_id": "iso:US", "country": "US", "n_articles": 1}])["world_view"]
    True
    """
    from storyline.web import geo

    world = world or geo.load_world()
    locate = locate or geo.locate
    by_country: dict[str, int] = {}
    named: dict[str, list[str]] = {}
    dots: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    focus: list[tuple[float, float]] = []
    for place in places:
        pid = str(place.get("place_id") or "")
        name = str(place.get("name") or pid)
        n = max(1, int(place.get("n_articles") or 1))
        code = geo.country_of(pid, place.get("country"))
        shape = world.countries.get(code) if code else None
        if code:
            by_country[code] = max(by_country.get(code, 0), n)
            named.setdefault(code, []).append(name)
        country_name = shape.name if shape else (code or "")
        is_country = pid.startswith("iso:") and len(pid) == 6
        point = None if (is_country and shape is not None) else locate(pid)
        if is_country and shape is not None:
            focus.append((float(shape.label[0]), float(shape.label[1])))
            if (shape.bbox[2] - shape.bbox[0]) < 400:  # a country of its own on the map: its box counts for the crop
                focus += [(float(shape.bbox[0]), float(shape.bbox[1])), (float(shape.bbox[2]), float(shape.bbox[3]))]
            continue
        if point is None and shape is not None and pid.startswith("iso:"):
            focus.append((float(shape.label[0]), float(shape.label[1])))  # a region: its country is in view
        if point is None:
            why = "a region: shaded as its country" if pid.startswith("iso:") and shape is not None else "no coordinates known"
            unplaced.append({"name": name, "country": country_name, "n": n, "why": why})
            continue
        x, y = geo.project(*point)
        focus.append((x, y))
        dots.append({"name": name, "country": country_name, "country_code": code or "", "n": n, "mx": x, "my": y, "kind": "country" if is_country else "city"})

    vx, vy, vw, vh, squeeze = _view_box(focus, world, ratio)
    k = vw / width  # display units per screen pixel: dots and text keep their size whatever the zoom
    top = max(by_country.values(), default=0)
    shaded, land = [], []
    for code, shape in world.countries.items():
        x0, y0, x1, y1 = shape.bbox
        if x1 * squeeze < vx or x0 * squeeze > vx + vw or y1 < vy or y0 > vy + vh:
            continue  # out of view
        n = by_country.get(code, 0)
        entry = {"code": code, "name": shape.name, "d": shape.d, "n": n}
        if n:
            entry["shade"] = max(1, math.ceil(SHADES * n / top))
            entry["places"] = ", ".join(dict.fromkeys(named[code]))
            shaded.append(entry)
        else:
            land.append(entry)
    ringed = {d["country_code"] for d in dots}
    for c in shaded:  # a country too small to see at this zoom (Qatar on the world) gets a ring at its label point
        shape = world.countries[c["code"]]
        if c["code"] not in ringed and max(shape.bbox[2] - shape.bbox[0], (shape.bbox[3] - shape.bbox[1]) / squeeze) * squeeze < vw * 0.012:
            dots.append({"name": shape.name, "country": "", "country_code": c["code"], "n": c["n"], "mx": float(shape.label[0]),
                         "my": float(shape.label[1]), "kind": "country"})
    dots.sort(key=lambda d: (-d["n"], d["name"]))
    for i, dot in enumerate(dots):
        del dot["country_code"]
        dot["x"] = round(dot.pop("mx") * squeeze, 1)
        dot["y"] = round(dot.pop("my"), 1)
        dot["r"] = round(min(12.0, 3.5 + 2.0 * dot["n"] ** 0.5) * k, 2)
        dot["label"] = i < 12
        dot["label_x"] = round(dot["x"] + dot["r"] + 3 * k, 1)
    world_view = squeeze == 1.0 and vw == float(world.width)
    country_labels = []
    if not world_view:  # a regional crop names the shaded countries big enough to hold their name
        for c in shaded:
            shape = world.countries[c["code"]]
            lx, ly = shape.label[0] * squeeze, shape.label[1]
            if (shape.bbox[2] - shape.bbox[0]) * squeeze > vw * 0.08 and vx < lx < vx + vw and vy < ly < vy + vh:
                country_labels.append({"name": shape.name, "x": round(lx, 1), "y": round(ly, 1)})
    legend = []
    for shade in range(1, SHADES + 1):
        counts = sorted({c["n"] for c in shaded if c["shade"] == shade})
        if counts:
            legend.append({"shade": shade, "label": str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"})
    n_countries = len(shaded)
    n_places = sum(1 for p in places if p.get("place_id"))
    aria = f"Map of {n_places} place{'s' if n_places != 1 else ''} in {n_countries} countr{'ies' if n_countries != 1 else 'y'}"
    return {
        "view_box": f"{vx} {vy} {vw} {vh}",
        "width": width,
        "height": round(width / ratio),
        "squeeze": squeeze,
        "world_view": world_view,
        "country_labels": country_labels,
        "land": land,
        "shaded": sorted(shaded, key=lambda c: -c["n"]),
        "dots": dots,
        "font": round(12 * k, 2),
        "stroke": round(k, 3),
        "unplaced": unplaced,
        "legend": legend,
        "aria_label": aria,
        "empty": not dots and not shaded,
        "has_rings": any(d["kind"] == "country" for d in dots),
        "has_cities": any(d["kind"] == "city" for d in dots),
    }
