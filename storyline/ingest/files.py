"""Paths to articles: walk folders, check sizes, pick a reader by extension or content.

>>> import pathlib, tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "quake.txt"
>>> _ = path.write_text("Quake hits Kabul\\n\\nA strong earthquake hit Kabul on Monday.", encoding="utf-8")
>>> a = read_article(path)
>>> a.title, a.text
('Quake hits Kabul', 'A strong earthquake hit Kabul on Monday.')
>>> tmp.cleanup()
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from storyline.errors import InputError, TooLargeError, UnsupportedFormatError
from storyline.ingest.clean import clean_text
from storyline.ingest.dates import parse_date
from storyline.ingest.decode import decode_bytes, sniff_binary
from storyline.ingest.feeds import parse_feed
from storyline.ingest.html import parse_html
from storyline.ingest.records import FieldMap, iter_csv, iter_json, iter_jsonl
from storyline.types import Article, RecordError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "decode_bytes",
    "detect_format",
    "iter_articles",
    "parse_text",
    "read_article",
    "read_bytes",
]

DEFAULT_MAX_BYTES = 20_000_000
"""Files larger than this are refused before they are read (``max_bytes``)."""

FORMATS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
}
"""File extension → reader. Unknown extensions are sniffed from the content."""

_TITLE_MAX = 200
_DATE_LINE = re.compile(
    r"^(?:date|dated|published(?: on| at)?|updated|posted(?: on)?|datum|veröffentlicht(?: am)?|publié(?: le)?|fecha|"
    r"publicado(?: el)?|pubblicato(?: il)?|опубликовано|дата|日期|发布时间|發佈時間|时间|التاريخ|تاريخ النشر)"
    r"(?!\w)\s*[:：]?\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
_ISO_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)(?:\s+|$)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.DOTALL)
_SENTENCE_END = ("。", ".", "…", ";", ",", "،", "；", "，")


# ------------------------------------------------------------------ bytes from disk


def read_bytes(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a file, refusing it by size (checked with ``stat``) before reading.

    >>> read_bytes("/no/such/file.txt")
    Traceback (most recent call last):
    storyline.errors.InputError: [E101] /no/such/file.txt: no such file
    """
    where = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(where, "no such file") from None
    except OSError as exc:
        raise InputError(where, f"cannot read: {exc.strerror or exc}") from None
    if os.path.isdir(path):
        raise InputError(where, "is a folder, not a file; use iter_articles to read folders")
    if st.st_size > max_bytes:
        raise TooLargeError(
            where,
            f"file is {st.st_size:,} bytes, over the limit of {max_bytes:,} bytes; raise max_bytes to read it",
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(where, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:  # the file grew after stat
        raise TooLargeError(where, f"file is over the limit of {max_bytes:,} bytes; raise max_bytes to read it")
    return raw


# ------------------------------------------------------------------ plain text and Markdown


def _take_date(line: str) -> tuple[str, str] | None:
    """``(date_string, rest_of_line)`` when the line starts with a date label."""
    m = _DATE_LINE.match(line)
    if not m:
        return None
    rest = m.group("rest").strip()
    iso = _ISO_PREFIX.match(rest)
    if iso:
        return iso.group(1), rest[iso.end() :].strip()
    # a written date must be the whole (short) rest of the line: "Published: 9 February 2021"
    if len(rest) <= 60 and len(rest.split()) <= 8 and parse_date(rest) is not None:
        return rest, ""
    return None


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    values: dict[str, str] = {}
    for line in m.group(1).split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            values[key.strip().lower()] = value.strip().strip("\"'")
    return values, text[m.end() :]


def _looks_like_title(line: str, markdown_heading: bool) -> bool:
    if not line or len(line) >= _TITLE_MAX:
        return False
    if markdown_heading:
        return True
    return not line.endswith(_SENTENCE_END)


def parse_text(text: str, source: str, *, markdown: bool = False) -> Article:
    """An article from plain text or Markdown.

    The title is the first non-empty line when it is short (under 200
    characters), does not end like a sentence and is followed by more text;
    Markdown heading markers are stripped. A first line such as
    ``date 2020-11-22`` or ``Published: 21 November 2020`` gives ``published_at``.

    >>> a = parse_text("# Flut in Hamburg\\nPublished: 2021-03-04\\n\\nDie Elbe trat über die Ufer.", "x.md", markdown=True)
    >>> a.title, a.text, a.published_at.date().isoformat()
    ('Flut in Hamburg', 'Die Elbe trat über die Ufer.', '2021-03-04')
    >>> parse_text("Only one sentence here.", "y.txt").title
    ''
    """
    meta: dict[str, object] = {"format": "markdown" if markdown else "text"}
    front: dict[str, str] = {}
    if markdown:
        front, text = _front_matter(text.lstrip("\ufeff"))
    lines = clean_text(text).split("\n")
    date_raw: str | None = front.get("date") or front.get("published")
    # a date label among the first three non-empty lines
    seen = 0
    for i, line in enumerate(lines):
        if not line:
            continue
        seen += 1
        if seen > 3 or date_raw is not None:
            break
        taken = _take_date(line)
        if taken:
            date_raw, lines[i] = taken
            break
    title = front.get("title", "")
    nonempty = [i for i, line in enumerate(lines) if line]
    if not title and len(nonempty) >= 2:
        first = lines[nonempty[0]]
        heading = _MD_HEADING.match(first) if markdown else None
        candidate = heading.group(1).strip() if heading else first
        setext = markdown and nonempty[1] == nonempty[0] + 1 and _MD_SETEXT.match(lines[nonempty[1]])
        if _looks_like_title(candidate, bool(heading or setext)):
            title = candidate
            lines[nonempty[0]] = ""
            if setext:
                lines[nonempty[1]] = ""
    body = clean_text("\n".join(lines))
    if not body and not title:
        raise InputError(source, "no text after removing boilerplate")
    published_at = parse_date(date_raw) if date_raw else None
    if date_raw and published_at is None:
        meta["date_raw"] = date_raw[:200]
    return Article.from_text(title, body, source=source, published_at=published_at, meta=meta)


# ------------------------------------------------------------------ dispatch


def detect_format(path: str | os.PathLike[str], raw: bytes) -> str:
    """The reader for a file: by extension, else by sniffing the first bytes.

    >>> detect_format("a.rss", b""), detect_format("notes", b'{"text": "x"}'), detect_format("page", b"<!doctype html><p>x")
    ('feed', 'json', 'html')
    """
    suffix = Path(path).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"{", b"[")):
        lines = [line for line in raw[:65536].splitlines() if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines[:5]):
            return "jsonl"
        return "json"
    if head.startswith(b"<"):
        if re.search(rb"<(?:rss|feed|rdf:rdf)[\s>]", head):
            return "feed"
        return "html"
    return "text"


def _read_one_file(path: Path, fields: FieldMap | None, max_bytes: int) -> Iterator[Article | RecordError]:
    try:
        raw = read_bytes(path, max_bytes=max_bytes)
    except InputError as exc:
        yield RecordError.from_exc(f"file:{path}", "ingest", exc)
        return
    yield from parse_file_bytes(path, raw, fields)


def parse_file_bytes(
    name: str | os.PathLike[str], raw: bytes, fields: FieldMap | None = None
) -> Iterator[Article | RecordError]:
    """The articles of one file's bytes, read as ``storyline ingest`` reads that file; failures as values.

    ``name`` (a path or an object-store URI) decides the format with the bytes and names the file in errors.

    >>> [a.title for a in parse_file_bytes("note.md", b"# Quake in Kabul\\n\\nA strong quake hit Kabul.")]
    ['Quake in Kabul']
    >>> [e.reason[:11] for e in parse_file_bytes("x.txt", b"\\x89PNG\\r\\n\\x1a\\n" + bytes(64))]
    ['binary file']
    """
    where = str(name)
    suffix = Path(where).suffix.lower()
    fmt = detect_format(where, raw)
    try:
        if fmt in ("text", "markdown"):
            kind = sniff_binary(raw)
            if kind and suffix not in FORMATS:
                raise UnsupportedFormatError(
                    where, f"binary file, not text (looks like {kind}); unsupported file type {suffix or '(none)'}"
                )
            yield parse_text(decode_bytes(raw, where), f"file:{where}", markdown=fmt == "markdown")
        elif fmt == "html":
            yield parse_html(raw, f"file:{where}")
        elif fmt == "feed":
            yield from parse_feed(raw, where)
        elif fmt == "json":
            yield from iter_json(raw, where, fields=fields)
        elif fmt == "jsonl":
            yield from iter_jsonl(raw, where, fields=fields)
        elif fmt == "csv":
            yield from iter_csv(raw, where, fields=fields, delimiter="\t" if suffix == ".tsv" else None)
    except InputError as exc:
        yield RecordError.from_exc(f"file:{where}" if not exc.source.startswith(("file:", "feed:")) else exc.source, "ingest", exc, raw=raw)


def _walk(folder: Path) -> Iterator[Path]:
    """Files under ``folder`` in sorted order, skipping hidden files and folders."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def iter_articles(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    fields: FieldMap | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[Article | RecordError]:
    """Read every article in files and folders; failures come out as :class:`RecordError`.

    Folders are walked recursively in sorted order (hidden entries skipped).
    The reader is chosen by extension (see :data:`FORMATS`) or by sniffing.
    A bad file, line, row or feed entry becomes a ``RecordError`` with its raw
    bytes and the iteration goes on: this generator does not raise.

    >>> import pathlib, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> _ = (pathlib.Path(tmp.name) / "a.jsonl").write_text('{"text": "Talks resumed."}\\n{oops\\n', encoding="utf-8")
    >>> [type(x).__name__ for x in iter_articles([tmp.name])]
    ['Article', 'RecordError']
    >>> tmp.cleanup()
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for item in paths:
        path = Path(item)
        if path.is_dir():
            for file in _walk(path):
                yield from _read_one_file(file, fields, max_bytes)
        else:
            yield from _read_one_file(path, fields, max_bytes)


def read_article(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fields: FieldMap | None = None,
) -> Article:
    """Read the one article in a file, or raise :class:`InputError`.

    A file holding several records (a feed, a JSON list, JSONL, CSV) must hold
    exactly one; use :func:`iter_articles` for the others. Files over
    ``max_bytes`` raise :class:`TooLargeError` before they are read.
    """
    path = Path(path)
    raw = read_bytes(path, max_bytes=max_bytes)  # size and existence errors, raised as they are
    items = list(parse_file_bytes(path, raw, fields))
    articles = [x for x in items if isinstance(x, Article)]
    errors = [x for x in items if isinstance(x, RecordError)]
    if len(articles) == 1 and not errors:
        return articles[0]
    if errors and not articles:
        first = errors[0]
        raise InputError(first.source, first.reason)
    raise InputError(
        str(path),
        f"holds {len(articles)} articles and {len(errors)} bad records, not one; use iter_articles to read them all",
    )
