"""Structured records to articles: JSON, JSONL, CSV, and the SemEval-2022 Task 8 pair formats.

>>> list(iter_jsonl(b'{"headline": "Talks resume", "body": "Negotiators met in Doha."}', "x.jsonl"))[0].title
'Talks resume'
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields as dataclass_fields
from itertools import chain
from pathlib import Path
from typing import Any

import ftfy
from ftfy.badness import is_bad

from storyline.errors import InputError
from storyline.ingest.clean import clean_text, normalise_whitespace
from storyline.ingest.dates import parse_date
from storyline.ingest.decode import decode_bytes
from storyline.types import DIMENSIONS, Article, ArticlePair, RecordError

__all__ = ["FieldMap", "iter_csv", "iter_json", "iter_jsonl", "iter_pairs", "parse_record"]

_MAX_PAIRS_BYTES = 2_000_000_000


def _aliases(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class FieldMap:
    """Which record fields hold the title, text, date, URL, language, author and id.

    Each attribute is a tuple of names tried in order (case-insensitive); a
    single string is accepted too.

    >>> FieldMap(text="story").text
    ('story',)
    >>> FieldMap().find({"Headline": "Quake", "x": 1}, "title")
    ('Headline', 'Quake')
    """

    title: tuple[str, ...] = ("title", "headline")
    text: tuple[str, ...] = ("text", "body", "content", "article", "maintext")
    date: tuple[str, ...] = ("date", "published", "published_at", "pubDate", "publish_date", "date_publish")
    url: tuple[str, ...] = ("url", "link")
    lang: tuple[str, ...] = ("lang", "language")
    id: tuple[str, ...] = ("id",)
    author: tuple[str, ...] = ("author", "authors", "byline")

    def __post_init__(self) -> None:
        for f in dataclass_fields(self):
            object.__setattr__(self, f.name, _aliases(getattr(self, f.name)))

    def find(self, record: Mapping[str, Any], kind: str) -> tuple[str, Any] | None:
        """``(key, value)`` of the first alias of ``kind`` present in ``record``, or ``None``."""
        lowered = {str(k).lower(): k for k in record}
        for name in getattr(self, kind):
            key = lowered.get(name.lower())
            if key is not None and record[key] not in (None, ""):
                return key, record[key]
        return None


_DEFAULT_FIELDS = FieldMap()


def _fix(value: str) -> str:
    """Repair mojibake hidden in JSON escapes (``"Caf\\u00c3\\u00a9"``); the file's own
    bytes were repaired by :func:`decode_bytes` already, so clean values are left alone."""
    if value.isascii() or not is_bad(value):
        return value
    return ftfy.fix_text(value, uncurl_quotes=False, fix_character_width=False, normalization="NFC")


def _as_text(value: Any, key: str, source: str) -> str:
    if isinstance(value, str):
        return _fix(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _fix("\n\n".join(value))
    raise InputError(source, f"field {key!r} is a {type(value).__name__}, not text")


def _language(value: Any) -> str | None:
    code = re.split(r"[-_]", str(value or "").strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def parse_record(record: Any, source: str, fields: FieldMap | None = None, *, fmt: str = "json") -> Article:
    """An article from one record (a dict), or :class:`InputError` naming what is missing.

    >>> parse_record({"headline": "Quake", "body": "A quake hit Kabul.", "date": "2021-03-04"}, "x.json:1").published_at.year
    2021
    >>> parse_record({"title": "Quake"}, "x.jsonl:7")
    Traceback (most recent call last):
    storyline.errors.InputError: [E101] x.jsonl:7: no text field: expected one of 'text', 'body', 'content', 'article', 'maintext'; the record has 'title'
    """
    fields = fields or _DEFAULT_FIELDS
    if not isinstance(record, Mapping):
        raise InputError(source, f"record is a JSON {_json_type(record)}, not an object")
    found = fields.find(record, "text")
    if found is None:
        lowered = {str(k).lower(): k for k in record}
        empty = next((lowered[n.lower()] for n in fields.text if n.lower() in lowered), None)
        if empty is not None:
            raise InputError(source, f"field {str(empty)!r} is empty")
        expected = ", ".join(repr(n) for n in fields.text)
        present = ", ".join(repr(str(k)) for k in list(record)[:30]) or "no fields"
        raise InputError(source, f"no text field: expected one of {expected}; the record has {present}")
    text = clean_text(_as_text(found[1], str(found[0]), source))
    title_found = fields.find(record, "title")
    title = normalise_whitespace(_as_text(title_found[1], str(title_found[0]), source)) if title_found else ""
    if not text:
        raise InputError(source, f"field {found[0]!r} is empty (after removing boilerplate)")
    meta: dict[str, Any] = {"format": fmt}
    published_at = None
    date_found = fields.find(record, "date")
    if date_found is not None:
        published_at = parse_date(date_found[1])
        if published_at is None:
            meta["date_raw"] = str(date_found[1])[:200]
    id_found = fields.find(record, "id")
    if id_found is not None and isinstance(id_found[1], (str, int)):
        meta["record_id"] = str(id_found[1])[:200]
    url_found = fields.find(record, "url")
    lang_found = fields.find(record, "lang")
    author_found = fields.find(record, "author")
    author = None
    if author_found is not None:
        value = author_found[1]
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value if isinstance(v, str))
        author = normalise_whitespace(str(value))[:200] or None if isinstance(value, str) else None
    return Article.from_text(
        title,
        text,
        source=source,
        published_at=published_at,
        url=str(url_found[1]).strip()[:2000] if url_found and isinstance(url_found[1], str) else None,
        author=author,
        language_hint=_language(lang_found[1]) if lang_found else None,
        meta=meta,
    )


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _json_error(exc: json.JSONDecodeError) -> str:
    return f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"


def _loads(text: str) -> Any:
    """``json.loads`` that turns its odd failures (deep nesting, huge numbers) into ``ValueError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def iter_json(raw: bytes, path: str, *, fields: FieldMap | None = None) -> Iterator[Article | RecordError]:
    """Articles from a JSON file holding one object or an array of objects.

    >>> [type(x).__name__ for x in iter_json(b'[{"text": "A quake hit Kabul."}, {"title": "no text"}]', "a.json")]
    ['Article', 'RecordError']
    """
    try:
        data = _loads(decode_bytes(raw, path))
    except InputError as exc:
        yield RecordError.from_exc(f"file:{path}", "ingest", exc, raw=raw)
        return
    except json.JSONDecodeError as exc:
        yield RecordError(f"file:{path}", "ingest", _json_error(exc), "JSONDecodeError", raw=raw)
        return
    except ValueError as exc:
        yield RecordError(f"file:{path}", "ingest", f"invalid JSON: {exc}", "ValueError", raw=raw)
        return
    if isinstance(data, list):
        for i, item in enumerate(data):
            where = f"json:{path}#{i}"
            try:
                yield parse_record(item, where, fields)
            except InputError as exc:
                yield RecordError.from_exc(where, "ingest", exc, raw=_dump(item))
    else:
        try:
            yield parse_record(data, f"file:{path}", fields)
        except InputError as exc:
            yield RecordError.from_exc(f"file:{path}", "ingest", exc, raw=raw)


def _dump(item: Any) -> bytes:
    try:
        return json.dumps(item, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except (ValueError, TypeError, RecursionError):
        return repr(item).encode("utf-8", "replace")


def _lines(raw: bytes, path: str, first_line: int = 1) -> Iterator[tuple[int, str] | RecordError]:
    """Numbered, decoded, non-blank lines of a file (or of a part of one that starts on line
    ``first_line``); a file that cannot be decoded is one error."""
    try:
        text = decode_bytes(raw, path)
    except InputError as exc:
        yield RecordError.from_exc(f"file:{path}", "ingest", exc, raw=raw)
        return
    for lineno, line in enumerate(text.split("\n"), start=first_line):
        if line.strip():
            yield lineno, line


def iter_jsonl(
    raw: bytes, path: str, *, fields: FieldMap | None = None, first_line: int = 1
) -> Iterator[Article | RecordError]:
    """Articles from JSON Lines, one object per line; a bad line is a :class:`RecordError`
    with source ``jsonl:<path>:<line>`` and the other lines are still read. ``raw`` may be
    a run of whole lines from inside a file, the first of them on line ``first_line``.

    >>> out = list(iter_jsonl(b'{"text": "One."}\\n{broken\\n{"text": "Three."}', "x.jsonl"))
    >>> [(type(x).__name__, x.source) for x in out]
    [('Article', 'jsonl:x.jsonl:1'), ('RecordError', 'jsonl:x.jsonl:2'), ('Article', 'jsonl:x.jsonl:3')]
    """
    for item in _lines(raw, path, first_line):
        if isinstance(item, RecordError):
            yield item
            continue
        lineno, line = item
        where = f"jsonl:{path}:{lineno}"
        try:
            yield parse_record(_loads(line), where, fields, fmt="jsonl")
        except InputError as exc:
            yield RecordError.from_exc(where, "ingest", exc, raw=line.encode("utf-8", "surrogatepass"))
        except json.JSONDecodeError as exc:
            yield RecordError(where, "ingest", _json_error(exc), "JSONDecodeError", raw=line.encode("utf-8", "surrogatepass"))
        except ValueError as exc:
            yield RecordError(where, "ingest", f"invalid JSON: {exc}", "ValueError", raw=line.encode("utf-8", "surrogatepass"))


def _raise_csv_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            if csv.field_size_limit() < limit:
                csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 16


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text, sniffed on its first line among ``, ; tab |``."""
    try:
        return csv.Sniffer().sniff(text[:8192].split("\n", 1)[0] or ",", delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _csv_rows(
    text: str, delimiter: str | None, first_line: int = 1
) -> Iterator[tuple[int, list[str]] | tuple[int, csv.Error]]:
    """``(first line number, row)`` for each CSV row, or ``(line, csv.Error)`` for a broken one."""
    _raise_csv_limit()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(text))
    start = first_line
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc
            start = first_line + reader.line_num
            continue
        yield start, row
        start = first_line + reader.line_num


def _iter_csv_table(
    raw: bytes,
    path: str,
    delimiter: str | None,
    check_header: Callable[[list[str]], str | None],
    *,
    header_raw: bytes | None = None,
    first_line: int = 1,
) -> Iterator[tuple[str, list[str], list[str]] | RecordError]:
    """``(where, header, row)`` for each data row of a CSV file, or RecordErrors; never raises.

    ``check_header`` returns a reason when the header cannot be used; that ends the file with one error.
    ``raw`` may be a run of whole rows from inside a file, starting on line ``first_line``, with the
    file's header row (and whatever precedes it) in ``header_raw``.
    """
    try:
        text = decode_bytes(raw, path)
        head = decode_bytes(header_raw, path) if header_raw is not None else ""
    except InputError as exc:
        yield RecordError.from_exc(f"file:{path}", "ingest", exc, raw=raw)
        return
    delimiter = delimiter or sniff_delimiter(head or text)
    header: list[str] | None = None
    rows = chain(_csv_rows(head, delimiter), _csv_rows(text, delimiter, first_line)) if head else _csv_rows(text, delimiter)
    for lineno, row in rows:
        where = f"csv:{path}:{lineno}"
        if isinstance(row, csv.Error):
            yield RecordError(where, "ingest", f"malformed CSV row: {row}", "csv.Error")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lstrip("\ufeff") for cell in row]
            reason = check_header(header)
            if reason is not None:
                yield RecordError(f"file:{path}", "ingest", reason, "InputError", raw=raw)
                return
            continue
        yield where, header, row
    if header is None:
        yield RecordError(f"file:{path}", "ingest", "CSV file has no header row", "InputError", raw=raw)


def iter_csv(
    raw: bytes,
    path: str,
    *,
    fields: FieldMap | None = None,
    delimiter: str | None = None,
    header_raw: bytes | None = None,
    first_line: int = 1,
) -> Iterator[Article | RecordError]:
    """Articles from a CSV file with a header row (delimiter sniffed among ``, ; tab |``).

    A header without a text column is one :class:`RecordError` for the file. ``raw`` may be a
    run of whole rows from inside a file, starting on line ``first_line``, with the file's header
    row in ``header_raw``.

    >>> out = list(iter_csv(b'title,body\\nQuake,A quake hit Kabul.\\n', "a.csv"))
    >>> out[0].title, out[0].text, out[0].source
    ('Quake', 'A quake hit Kabul.', 'csv:a.csv:2')
    """
    fields = fields or _DEFAULT_FIELDS
    chosen = fields

    def check(header: list[str]) -> str | None:
        if chosen.find(dict.fromkeys(header, "x"), "text") is None:
            expected = ", ".join(repr(n) for n in chosen.text)
            return f"no text column: expected one of {expected}; the columns are {header[:30]}"
        return None

    for item in _iter_csv_table(raw, path, delimiter, check, header_raw=header_raw, first_line=first_line):
        if isinstance(item, RecordError):
            yield item
            continue
        where, header, row = item
        try:
            yield parse_record(dict(zip(header, row)), where, fields, fmt="csv")
        except InputError as exc:
            yield RecordError.from_exc(where, "ingest", exc, raw=_csv_line(row))


def _csv_line(row: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(row)
    return out.getvalue().encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------ SemEval-2022 Task 8 pairs


def _gold(record: Mapping[str, Any], where: str) -> dict[str, float]:
    lowered = {str(k).lower(): v for k, v in record.items()}
    gold: dict[str, float] = {}
    for dim in DIMENSIONS:
        value = lowered.get(dim)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, bool):
            raise InputError(where, f"gold score {dim!r} is a boolean, not a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(where, f"gold score {dim!r} is {str(value)[:40]!r}, not a number") from None
        if not math.isfinite(number):
            raise InputError(where, f"gold score {dim!r} is {number}, not a finite number")
        gold[dim] = number
    return gold


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    return bool(value) if isinstance(value, (bool, int, float)) else False


def _side(record: Mapping[str, Any], n: int, where: str, pair_id: str) -> Article:
    text_value = record.get(f"text{n}")
    if text_value is None or text_value == "":
        present = ", ".join(repr(str(k)) for k in list(record)[:30])
        raise InputError(where, f"pair {pair_id}: missing field 'text{n}'; the record has {present}")
    text = clean_text(_as_text(text_value, f"text{n}", where))
    if not text:
        raise InputError(where, f"pair {pair_id}: field 'text{n}' is empty")
    title_value = record.get(f"title{n}")
    title = normalise_whitespace(_as_text(title_value, f"title{n}", where)) if title_value not in (None, "") else ""
    lang = _language(record.get(f"lang{n}") or record.get(f"url{n}_lang"))
    return Article.from_text(
        title, text, source=f"{where}#{'ab'[n - 1]}", language_hint=lang, meta={"pair_id": pair_id, "format": "pairs"}
    )


def _pair_from_jsonl(record: Any, where: str) -> ArticlePair:
    if not isinstance(record, Mapping):
        raise InputError(where, f"record is a JSON {_json_type(record)}, not an object")
    pair_id = record.get("pair_id")
    if pair_id in (None, "") or not isinstance(pair_id, (str, int)):
        raise InputError(where, "missing field 'pair_id'")
    pair_id = str(pair_id)
    return ArticlePair(
        pair_id=pair_id,
        a=_side(record, 1, where, pair_id),
        b=_side(record, 2, where, pair_id),
        gold=_gold(record, where),
        machine_translated=_truthy(record.get("machine_translated", False)),
    )


def _iter_pairs_jsonl(raw: bytes, path: str) -> Iterator[ArticlePair | RecordError]:
    for item in _lines(raw, path):
        if isinstance(item, RecordError):
            yield item
            continue
        lineno, line = item
        where = f"jsonl:{path}:{lineno}"
        data = line.encode("utf-8", "surrogatepass")
        try:
            yield _pair_from_jsonl(_loads(line), where)
        except InputError as exc:
            yield RecordError.from_exc(where, "ingest", exc, raw=data)
        except json.JSONDecodeError as exc:
            yield RecordError(where, "ingest", _json_error(exc), "JSONDecodeError", raw=data)
        except ValueError as exc:
            yield RecordError(where, "ingest", f"invalid JSON: {exc}", "ValueError", raw=data)


def _article_paths(articles_dir: Path, article_id: str) -> list[Path]:
    return [articles_dir / article_id[-2:] / f"{article_id}.json", articles_dir / f"{article_id}.json"]


def _load_scraped(articles_dir: Path, article_id: str, lang: str | None, where: str, pair_id: str) -> Article:
    candidates = _article_paths(articles_dir, article_id)
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise InputError(where, f"pair {pair_id}: article {article_id} not found at {candidates[0]} or {candidates[1]}")
    from storyline.ingest.files import read_bytes

    raw = read_bytes(path)
    try:
        data = _loads(decode_bytes(raw, str(path)))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"pair {pair_id}: {_json_error(exc)}") from None
    except ValueError as exc:
        raise InputError(str(path), f"pair {pair_id}: invalid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise InputError(str(path), f"pair {pair_id}: article file holds a JSON {_json_type(data)}, not an object")
    fields = FieldMap(date=("publish_date", "date", "published", "pubDate"))
    article = parse_record(data, f"file:{path}", fields, fmt="semeval-article")
    hint = article.language_hint or lang or _language(data.get("meta_lang"))
    return article.replace(language_hint=hint, meta={**article.meta, "pair_id": pair_id})


def _iter_pairs_csv(raw: bytes, path: str, articles_dir: Path) -> Iterator[ArticlePair | RecordError]:
    def check(header: list[str]) -> str | None:
        return None if "pair_id" in [h.lower() for h in header] else f"no 'pair_id' column; the columns are {header[:30]}"

    for item in _iter_csv_table(raw, path, ",", check):
        if isinstance(item, RecordError):
            yield item
            continue
        where, header, row = item
        record = {h.lower(): v for h, v in zip(header, row)}
        try:
            pair_id = record.get("pair_id", "").strip()
            ids = pair_id.split("_")
            if len(ids) != 2 or not all(ids):
                raise InputError(where, f"pair_id {pair_id!r} is not '<id1>_<id2>'")
            a = _load_scraped(articles_dir, ids[0], _language(record.get("url1_lang")), where, pair_id)
            b = _load_scraped(articles_dir, ids[1], _language(record.get("url2_lang")), where, pair_id)
            yield ArticlePair(pair_id=pair_id, a=a, b=b, gold=_gold(record, where))
        except InputError as exc:
            yield RecordError(where, "ingest", exc.reason, type(exc).__name__, raw=_csv_line(row))


def iter_pairs(
    path: str | os.PathLike[str],
    *,
    articles_dir: str | os.PathLike[str] | None = None,
    max_bytes: int = _MAX_PAIRS_BYTES,
) -> Iterator[ArticlePair | RecordError]:
    """Labelled article pairs from SemEval-2022 Task 8 files; never raises.

    Two formats:

    * JSONL with ``pair_id, lang1, lang2, [title1], text1, [title2], text2``,
      the seven gold dimensions and ``machine_translated`` (``.jsonl``);
    * the official CSV (``pair_id`` like ``1484084337_1484110209``,
      ``url1_lang``, ``url2_lang``, capitalised gold columns, absent for the
      test set) plus the scraper's article files
      ``<articles_dir>/<last 2 digits of id>/<id>.json`` (or
      ``<articles_dir>/<id>.json``); ``articles_dir`` defaults to the CSV's folder.

    >>> import pathlib, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> p = pathlib.Path(tmp.name) / "pairs.jsonl"
    >>> _ = p.write_text('{"pair_id": "1_2", "lang1": "en", "lang2": "de", "text1": "Talks resumed.", '
    ...                  '"text2": "Die Gespräche gingen weiter.", "overall": 1.5}\\n', encoding="utf-8")
    >>> pair = next(iter_pairs(p))
    >>> pair.pair_id, pair.language_pair, pair.gold
    ('1_2', 'en-de', {'overall': 1.5})
    >>> tmp.cleanup()
    """
    path = Path(path)
    from storyline.ingest.files import read_bytes

    try:
        raw = read_bytes(path, max_bytes=max_bytes)
    except InputError as exc:  # missing, unreadable or over max_bytes (TooLargeError)
        yield RecordError.from_exc(f"file:{path}", "ingest", exc)
        return
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if path.suffix.lower() == ".csv" or (path.suffix.lower() not in (".jsonl", ".ndjson", ".json") and not head.startswith(b"{")):
        folder = Path(articles_dir) if articles_dir is not None else path.parent
        yield from _iter_pairs_csv(raw, str(path), folder)
    else:
        yield from _iter_pairs_jsonl(raw, str(path))
