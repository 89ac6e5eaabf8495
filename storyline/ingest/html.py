"""HTML pages to articles: trafilatura for the main text, lxml for metadata and as a fallback.

>>> page = '''<html lang="en"><head><title>Quake hits Kabul</title>
... <meta property="article:published_time" content="2021-03-04T10:00:00+01:00"></head>
... <body><p>A strong earthquake hit Kabul on Monday.</p><p>Share on Facebook</p></body></html>'''
>>> a = parse_html(page.encode(), "file:quake.html")
>>> a.title, a.text, a.language_hint, a.published_at.isoformat()
('Quake hits Kabul', 'A strong earthquake hit Kabul on Monday.', 'en', '2021-03-04T09:00:00+00:00')
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from storyline.errors import InputError
from storyline.ingest.clean import clean_text, normalise_whitespace
from storyline.ingest.dates import parse_date
from storyline.ingest.decode import decode_bytes
from storyline.types import Article

__all__ = ["html_to_text", "parse_html"]

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish_date",
    "publication_date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "date",
)
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{4,60})"')
_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg", "iframe", "button")
_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section", "article",
    "blockquote", "pre", "figure", "figcaption", "dd", "dt", "hr", "main", "title",
)  # fmt: skip

def _lxml_errors() -> tuple[type[BaseException], ...]:
    from lxml import etree

    return (etree.ParserError, etree.XMLSyntaxError, ValueError, TypeError)


def _parse_tree(text: str) -> Any:
    """An lxml HTML tree, or ``None`` when lxml cannot build one."""
    import lxml.html

    try:
        return lxml.html.document_fromstring(text)
    except _lxml_errors():
        return None


def html_to_text(fragment: str) -> str:
    """The visible text of an HTML fragment, one line per block (used for feed summaries).

    >>> html_to_text("<p>One <b>bold</b> move.</p><p>Second&nbsp;line</p><script>x()</script>")
    'One bold move.\\n\\nSecond line'
    """
    if "<" not in fragment and "&" not in fragment:
        return normalise_whitespace(fragment)
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except _lxml_errors():
        return normalise_whitespace(re.sub(r"<[^>]{0,500}>", " ", fragment))
    return _visible_text(root)


def _visible_text(root: Any) -> str:
    for el in list(root.iter(*_DROP_TAGS)):
        parent = el.getparent()
        if parent is not None:
            el.drop_tree()
    for el in root.iter(*_BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
        if el.tag in ("br", "hr"):
            continue
        el.text = "\n" + (el.text or "")
    try:
        text = root.text_content()
    except ValueError:
        return ""
    return normalise_whitespace(str(text))


def _meta(root: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    return found


def _first_text(root: Any, tag: str) -> str:
    for el in root.iter(tag):
        try:
            value = normalise_whitespace(str(el.text_content()))
        except ValueError:
            continue
        if value:
            return value
    return ""


def _language(root: Any) -> str | None:
    value = (root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip().lower()
    code = re.split(r"[-_]", value, maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def _date(root: Any, meta: dict[str, str], text: str) -> tuple[datetime | None, str | None]:
    candidates = [meta[k] for k in _DATE_META if k in meta]
    for el in root.iter("time"):
        if el.get("datetime"):
            candidates.append(el.get("datetime"))
            break
    m = _JSONLD_DATE.search(text)
    if m:
        candidates.insert(0, m.group(1))
    for value in candidates:
        parsed = parse_date(value)
        if parsed is not None:
            return parsed, None
    return None, (candidates[0][:200] if candidates else None)


def _trafilatura(text: str) -> dict[str, Any]:
    import trafilatura
    from lxml import etree

    try:
        doc = trafilatura.bare_extraction(
            text, with_metadata=True, include_comments=False, include_tables=False, deduplicate=False
        )
    except (ValueError, TypeError, etree.ParserError, etree.XMLSyntaxError, json.JSONDecodeError):
        return {}
    if doc is None:
        return {}
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    return {k: data.get(k) for k in ("title", "text", "author", "date", "url", "language")}


def parse_html(raw: bytes, source: str) -> Article:
    """An article from an HTML page, or :class:`InputError` when it holds no text.

    trafilatura finds the main text, title, date and author; when it finds
    nothing, the page's visible text (without scripts, navigation, header and
    footer) is used. Dates come from ``<meta>`` tags, JSON-LD or ``<time>``
    first, then from trafilatura. ``clean_text`` is applied to the text.
    """
    text = _XML_DECL.sub("", decode_bytes(raw, source), count=1)
    root = _parse_tree(text)
    if root is None:
        raise InputError(source, "not HTML: lxml could not parse it")
    meta = _meta(root)
    extracted = _trafilatura(text)
    body = clean_text(str(extracted.get("text") or ""))
    fmt_meta: dict[str, Any] = {"format": "html"}
    if not body:
        fallback = _parse_tree(text)  # a fresh tree: _visible_text changes the one it reads
        if fallback is not None:
            node = fallback.find("body")
            body = clean_text(_visible_text(node if node is not None else fallback))
        fmt_meta["extractor"] = "lxml"
    else:
        fmt_meta["extractor"] = "trafilatura"
    title = normalise_whitespace(
        str(extracted.get("title") or meta.get("og:title") or _first_text(root, "title") or _first_text(root, "h1"))
    )
    if title and body.startswith(title):
        rest = body[len(title) :]
        if rest.startswith("\n"):
            body = rest.strip()
    if not body:
        raise InputError(source, "no article text found in the HTML page")
    published_at, date_raw = _date(root, meta, text)
    if published_at is None and extracted.get("date"):
        published_at = parse_date(extracted["date"])
        date_raw = None if published_at else str(extracted["date"])[:200]
    if date_raw:
        fmt_meta["date_raw"] = date_raw
    author = extracted.get("author") or meta.get("author") or None
    url = meta.get("og:url") or None
    for link in root.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            url = link.get("href").strip()
            break
    return Article.from_text(
        title[:1000],
        body,
        source=source,
        published_at=published_at,
        url=url,
        author=normalise_whitespace(str(author))[:200] if author else None,
        language_hint=_language(root),
        meta=fmt_meta,
    )

