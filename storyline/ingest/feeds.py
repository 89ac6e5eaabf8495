"""RSS and Atom feeds to articles, one per entry, with XML entity declarations refused.

>>> rss = '''<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><language>de</language>
... <item><title>Flut in Hamburg</title><link>https://example.org/flut</link>
... <pubDate>Thu, 04 Mar 2021 10:00:00 +0100</pubDate>
... <description>&lt;p&gt;Die Elbe trat &lt;b&gt;über&lt;/b&gt; die Ufer.&lt;/p&gt;</description></item></channel></rss>'''.encode()
>>> [(a.source, a.title, a.text, a.language_hint) for a in parse_feed(rss, "news.xml")]
[('feed:news.xml#entry-0', 'Flut in Hamburg', 'Die Elbe trat über die Ufer.', 'de')]
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import datetime, timezone
from typing import Any

from storyline.errors import InputError
from storyline.ingest.clean import clean_text, normalise_whitespace
from storyline.ingest.dates import parse_date
from storyline.ingest.decode import decode_bytes
from storyline.ingest.html import html_to_text
from storyline.types import Article, RecordError

__all__ = ["parse_feed"]

_PROLOG = re.compile(r"\A(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_DANGEROUS = re.compile(r"<!(?:DOCTYPE|ENTITY)\b", re.IGNORECASE)
_FEED_ROOTS = {"rss", "feed", "rdf:rdf", "rdf", "channel"}
_XML_DECL = re.compile(r"\A\s*<\?xml[^>]*\?>", re.IGNORECASE)


def _root_element(text: str) -> str | None:
    rest = text[_PROLOG.match(text).end() :]  # type: ignore[union-attr]
    rest = re.sub(r"\A<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", "", rest, count=1, flags=re.IGNORECASE | re.DOTALL)
    rest = rest[_PROLOG.match(rest).end() :]  # type: ignore[union-attr]
    m = _ROOT.match(rest)
    return m.group(1).lower() if m else None


def _struct_to_utc(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _language(value: Any) -> str | None:
    code = re.split(r"[-_]", str(value or "").strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def _get(entry: Any, key: str) -> Any:
    """``entry[key]`` without feedparser's deprecated key fallbacks (they warn)."""
    return dict.get(entry, key) if isinstance(entry, dict) else None


def _entry_text(entry: Any) -> str:
    parts: list[str] = []
    for content in _get(entry, "content") or []:
        value = content.get("value") if isinstance(content, dict) else None
        if value:
            parts.append(str(value))
    if not parts:
        for key in ("summary", "description", "subtitle"):
            value = entry.get(key)
            if value:
                parts.append(str(value))
                break
    return clean_text(html_to_text("\n".join(parts))) if parts else ""


def _entry_article(entry: Any, source: str, feed_language: str | None) -> Article:
    title = normalise_whitespace(html_to_text(str(_get(entry, "title") or "")))
    text = _entry_text(entry)
    if not text and not title:
        raise InputError(source, "feed entry has neither a title nor any text")
    meta: dict[str, Any] = {"format": "feed"}
    published_at = _struct_to_utc(_get(entry, "published_parsed")) or _struct_to_utc(_get(entry, "updated_parsed"))
    if published_at is None:
        raw_date = _get(entry, "published") or _get(entry, "updated") or _get(entry, "dc_date")
        if raw_date:
            published_at = parse_date(str(raw_date))
            if published_at is None:
                meta["date_raw"] = str(raw_date)[:200]
    if not text:
        meta["text_missing"] = True
    author = _get(entry, "author")
    link = _get(entry, "link")
    language = feed_language
    detail = _get(entry, "title_detail")
    if isinstance(detail, dict) and _language(detail.get("language")):
        language = _language(detail.get("language"))
    return Article.from_text(
        title,
        text,
        source=source,
        published_at=published_at,
        url=str(link).strip() or None if link else None,
        author=normalise_whitespace(str(author))[:200] or None if author else None,
        language_hint=language,
        meta=meta,
    )


def parse_feed(raw: bytes, source: str) -> list[Article | RecordError]:
    """The entries of an RSS or Atom feed, each as an :class:`Article` (or a
    :class:`RecordError` when an entry holds nothing).

    ``source`` names the feed (a path or URL); entries get
    ``feed:<source>#entry-<i>``. Raises :class:`InputError` when the bytes are
    not a feed, and refuses any ``<!DOCTYPE>``/``<!ENTITY>`` declaration before
    parsing (XML bombs, external entities). Entry HTML is reduced to its text.
    An entry with a title but no text is kept with ``text == ""``.

    >>> parse_feed(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel/></rss>', "bomb.xml")
    Traceback (most recent call last):
    storyline.errors.InputError: [E101] bomb.xml: feed declares XML entities (DOCTYPE/ENTITY); refused for safety
    """
    text = decode_bytes(raw, source)
    root = _root_element(text)
    if root is None:
        raise InputError(source, "not RSS or Atom: no XML root element")
    if root in ("html", "body", "head"):
        raise InputError(source, f"not RSS or Atom: root element is <{root}> (an HTML page?)")
    if _DANGEROUS.search(text):
        raise InputError(source, "feed declares XML entities (DOCTYPE/ENTITY); refused for safety")
    if root.split(":")[-1] not in _FEED_ROOTS:
        raise InputError(source, f"not RSS or Atom: root element is <{root}>")
    import feedparser

    data = '<?xml version="1.0" encoding="utf-8"?>' + _XML_DECL.sub("", text, count=1)
    parsed = feedparser.parse(data.encode("utf-8"), sanitize_html=True, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f": {normalise_whitespace(str(problem))[:200]}" if problem else ""
        raise InputError(source, f"not RSS or Atom: feedparser found no feed{detail}")
    feed_language = _language(parsed.feed.get("language")) if parsed.get("feed") else None
    items: list[Article | RecordError] = []
    for i, entry in enumerate(parsed.entries):
        where = f"feed:{source}#entry-{i}"
        try:
            items.append(_entry_article(entry, where, feed_language))
        except InputError as exc:
            raw_entry = str(_get(entry, "summary") or _get(entry, "title") or "").encode("utf-8")
            items.append(RecordError.from_exc(where, "ingest", exc, raw=raw_entry or None))
    if not items and parsed.get("bozo_exception") and not parsed.get("version"):
        raise InputError(source, f"not RSS or Atom: {parsed['bozo_exception']}")
    return items
