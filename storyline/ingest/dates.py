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


def _with_dateparser(text: str) -> datetime | None:
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
        return dateparser.parse(text, settings=settings)  # type: ignore[arg-type]
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
    return _with_dateparser(text)
