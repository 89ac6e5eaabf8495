"""Publication dates as timezone-aware UTC datetimes.

>>> parse_date("2020-11-22")
datetime.datetime(2020, 11, 22, 0, 0, tzinfo=datetime.timezone.utc)
>>> parse_date("Sat, 21 Nov 2020 19:40:07 +0100")
datetime.datetime(2020, 11, 21, 18, 40, 7, tzinfo=datetime.timezone.utc)
>>> parse_date("last Tuesday") is None
True
"""

from __future__ import annotations

import email.utils
import functools
import re
from datetime import date, datetime, timezone
from typing import Any

__all__ = ["parse_date", "scan_date", "to_utc"]

_MIN_YEAR, _MAX_YEAR = 1800, 2200
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")
_MAX_DATE_CHARS = 100


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _from_epoch(number: float) -> datetime | None:
    if number > 1e11:  # milliseconds, as in tweet timestamps
        number /= 1000.0
    try:
        value = datetime.fromtimestamp(number, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return value if _MIN_YEAR <= value.year <= _MAX_YEAR else None


def _with_dateparser(text: str, languages: list[str] | None) -> datetime | None:
    """``text`` read by dateparser in ``languages`` (``None``: any it knows, which costs
    10-300 ms a string against ~1 ms for one language)."""
    # Only absolute dates: a four-digit year must be present, so "yesterday" or
    # "3 hours ago" never turn into today's date.
    if not _YEAR.search(text):
        return None
    import dateparser

    settings = {
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "UTC",
        "TO_TIMEZONE": "UTC",
        "PREFER_DAY_OF_MONTH": "first",
        "RELATIVE_BASE": datetime(2000, 1, 1),
    }
    try:
        return dateparser.parse(text, languages=languages, settings=settings)  # type: ignore[arg-type]
    except (ValueError, TypeError, OverflowError, AttributeError, IndexError, KeyError, re.error):
        return None


def parse_date(value: Any) -> datetime | None:
    """A publication date as an aware UTC datetime, or ``None`` when it cannot be read.

    Accepts ISO 8601, RFC 2822 (RSS), epoch seconds or milliseconds, ``datetime``
    and ``date`` objects, and written dates in many languages ("21 novembre 2020").
    Naive times are taken as UTC. Relative dates ("yesterday") give ``None``.

    >>> parse_date(1605987607000).isoformat()
    '2020-11-21T19:40:07+00:00'
    >>> parse_date("21 novembre 2020").date()
    datetime.date(2020, 11, 21)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        result: datetime | None = to_utc(value)
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    elif isinstance(value, (int, float)):
        result = _from_epoch(float(value))
    elif isinstance(value, str):
        result = _parse_string(value.strip())
    else:
        return None
    if result is None or not (_MIN_YEAR <= result.year <= _MAX_YEAR):
        return None
    return to_utc(result)


@functools.lru_cache(maxsize=4096)  # a feed or a file repeats its dates; datetimes are immutable
def _parse_string(text: str) -> datetime | None:
    if not text:
        return None
    if len(text) > _MAX_DATE_CHARS:  # a date line with text glued on (scraped bylines): its head
        return scan_date(text[:_MAX_DATE_CHARS])
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        pass
    return _date_line(text)


_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan enero gennaio januari janvier januar",
        "february feb febrero febbraio februari fevrier février februar",
        "march mar marzo maart mars märz maerz",
        "april apr abril aprile avril",
        "may mayo maggio mei mai",
        "june jun junio giugno juni juin",
        "july jul julio luglio juli juillet",
        "august aug agosto augustus aout août",
        "september sep sept septiembre setiembre settembre septembre",
        "october oct octubre ottobre oktober octobre",
        "november nov noviembre novembre novemer",  # novemer: a typo seen in real bylines
        "december dec diciembre dicembre dezember decembre décembre",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)
_MONTH_RE = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY_RE = r"(\d{1,2})(?:st|nd|rd|th|º)?"
_SCAN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\b"), "ymd"),
    (re.compile(rf"\b{_MONTH_RE}\s+{_DAY_RE}\s*[,\-]?\s*(\d{{4}})\b"), "mdy"),
    (re.compile(rf"\b{_DAY_RE}\s+(?:de\s+)?{_MONTH_RE},?\s+(?:de\s+|del\s+)?(\d{{4}})\b"), "dmy"),
    (re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4}|\d{2})\b"), "num/"),
    (re.compile(r"\b(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{4})\b"), "num."),
    (re.compile(rf"\b{_DAY_RE}-{_MONTH_RE}-(\d{{2}})\b"), "d-mon-yy"),
)
_TIME = re.compile(r"\d\s*:\s*\d\d")
_SPACED = re.compile(r"(?<=\d) ([:/]) (?=\d)")  # tokenised text: "4 : 59", "05 / 03 / 2013"
_DAY_WORD_YEAR = re.compile(r"\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,}\.?,?\s+(?:de\s+)?\d{4}")  # 21 listopada 2020
_WHOLE_LINE_CHARS = 40


def _two_digit_year(yy: int) -> int:
    return 2000 + yy if yy < 50 else 1900 + yy


def scan_date(text: str) -> datetime | None:
    """The first calendar date written inside a free-form line (a byline, a "Published:"
    label, a date with its time and time zone, a second "Updated" date), at midnight UTC.

    No dateparser: one pass of a few regular expressions over English, Spanish, Italian,
    Dutch, French and German month names and numeric forms. Numeric ``a/b/y`` is read month
    first (US bylines) unless ``a`` > 12, ``d.m.y`` day first, two-digit years as 1950-2049.

    >>> [scan_date(s).date().isoformat() for s in ("First Published : June 13, 2013 4 : 59 PM EDT",
    ...     "1 de marzo de 2008", "Posted : 04 / 9 / 2012 8 : 33 am", "2013 - 09 - 26", "THURSDAY, MAY 2, 2013",
    ...     "24-May-08", "UPDATED 3:09 AM EST Dec 19, 2008", "Article posted on 08.07.2012")]
    ['2013-06-13', '2008-03-01', '2012-04-09', '2013-09-26', '2013-05-02', '2008-05-24', '2008-12-19', '2012-07-08']
    >>> scan_date(""), scan_date("She was 91."), scan_date("Updated 3 hours ago")
    (None, None, None)
    """
    line = " ".join(text.lower().split())
    found: list[tuple[int, datetime]] = []
    for pattern, kind in _SCAN_PATTERNS:
        for m in pattern.finditer(line):
            a, b, c = m.groups()
            if kind == "ymd":
                y, mo, d = int(a), int(b), int(c)
            elif kind == "mdy":
                y, mo, d = int(c), _MONTHS[a], int(b)
            elif kind == "dmy":
                y, mo, d = int(c), _MONTHS[b], int(a)
            elif kind == "d-mon-yy":
                y, mo, d = _two_digit_year(int(c)), _MONTHS[b], int(a)
            elif kind == "num.":
                y, mo, d = int(c), int(b), int(a)
            else:
                y = int(c) if len(c) == 4 else _two_digit_year(int(c))
                mo, d = (int(a), int(b)) if int(a) <= 12 else (int(b), int(a))
            try:
                found.append((m.start(), datetime(y, mo, d, tzinfo=timezone.utc)))
            except ValueError:
                continue
            break
    return min(found, key=lambda x: x[0])[1] if found else None


def _date_line(text: str) -> datetime | None:
    """A date from a date line that is not ISO 8601 or RFC 2822.

    A line without a time of day is scanned (:func:`scan_date`); one with a time is read by
    dateparser in English first, which keeps the time and its zone ("Monday, March 3, 2014
    8:01 AM EST"), then scanned; a short line in another language goes to dateparser's search
    over every language it knows (10-300 ms a string, so last).

    >>> _date_line("Monday, March 3, 2014 8:01 AM EST").isoformat()
    '2014-03-03T13:01:00+00:00'
    >>> _date_line("First Published : June 13, 2013 4 : 59 PM EDT").date()
    datetime.date(2013, 6, 13)
    >>> _date_line("21 listopada 2020").date(), _date_line("Mi., 3. März 2021").date()
    (datetime.date(2020, 11, 21), datetime.date(2021, 3, 3))
    >>> _date_line("Film star to host the awards in 2014") is None
    True
    """
    if not _TIME.search(text):
        found = scan_date(text)
        if found is not None:
            return found
    else:
        found = _with_dateparser(_SPACED.sub(r"\1", text), ["en"]) or scan_date(text)
        if found is not None:
            return found
    # Every language dateparser knows: only for what looks like a date in another language
    # (its first use loads every locale, ~1.4 s), never for an English headline with a year.
    if len(text) <= _WHOLE_LINE_CHARS and (not text.isascii() or _DAY_WORD_YEAR.search(text)):
        return _with_dateparser(text, None)
    return None
