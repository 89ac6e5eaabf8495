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

__all__ = ["parse_date", "to_utc"]

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
    if not text or len(text) > _MAX_DATE_CHARS:
        return None
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


_SPACED = re.compile(r"\s*([:/])\s*")
_MONTH_EN = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
_DATE_EN = re.compile(
    rf"(?i)(?<![\w/])(?:(?:{_MONTH_EN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # May 3rd, 2013 / Dec. 19, 2008
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH_EN})\.?,?\s+\d{{4}}"  # 7 July 2012
    r"|\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d\d-\d\d)(?![\w/])"  # 05/03/2013 (month first, as in English), 2013-05-03
)
_SHORT_YEAR = (  # two-digit years, only in these unambiguous-enough forms: 01-Mar-08, 8/2/13 (month first)
    (re.compile(rf"(?i)(?<![\w-])(\d{{1,2}}-(?:{_MONTH_EN})-\d\d)(?![\w-])"), ("%d-%b-%y",)),
    (re.compile(r"(?<![\w/])(\d{1,2}/\d{1,2}/\d\d)(?![\w/])"), ("%m/%d/%y", "%d/%m/%y")),
)
_DATE_ANY = re.compile(r"(?<!\w)\d{1,2}\.?\s+(?:de\s+)?[^\W\d_]{3,}\.?,?\s+(?:de\s+)?\d{4}(?!\d)")  # 8 de junio de 2010
_WHOLE_LINE_CHARS = 40


def _date_line(text: str) -> datetime | None:
    """A date from a free-form date line, as pages and corpora write them.

    The whole line first (English, then every language dateparser knows when the line is
    short), then the first date found inside it: labels ("First Published:", "UPDATED"), times,
    time zones and a second date around it are left out. Tokenised text ("4 : 59 PM",
    "05 / 03 / 2013") is rejoined first.

    >>> _date_line("First Published : June 13, 2013 4 : 59 PM EDT").date()
    datetime.date(2013, 6, 13)
    >>> _date_line("PUBLISHED : THURSDAY, MAY 2, 2013, 1 : 32 PM UPDATED : FRIDAY, MAY 3, 2013").date()
    datetime.date(2013, 5, 2)
    >>> _date_line("24-May-08").date(), _date_line("8 / 2 / 13 at 1 : 30 PM").date()
    (datetime.date(2008, 5, 24), datetime.date(2013, 8, 2))
    >>> _date_line("2010 8 de junio de 2010").date()
    datetime.date(2010, 6, 8)
    >>> _date_line("Updated 3 hours ago") is None
    True
    """
    line = " ".join(_SPACED.sub(r"\1", text).split())
    found = _with_dateparser(line, ["en"])
    if found is not None:
        return found
    for match in _DATE_EN.finditer(line):
        found = _with_dateparser(match.group(0), ["en"])
        if found is not None:
            return found
    for pattern, formats in _SHORT_YEAR:
        match = pattern.search(line)
        for fmt in formats if match else ():
            try:
                return datetime.strptime(match.group(1).title(), fmt)  # type: ignore[union-attr]
            except ValueError:
                continue
    if len(line) <= _WHOLE_LINE_CHARS:
        found = _with_dateparser(line, None)
        if found is not None:
            return found
    for match in _DATE_ANY.finditer(line):
        found = _with_dateparser(match.group(0), None)
        if found is not None:
            return found
    return None
