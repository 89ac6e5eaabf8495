"""Ingest: files, folders, pages, feeds and records to :class:`~storyline.types.Article`.

Readers never raise for one bad record: iterators yield a
:class:`~storyline.types.RecordError` (with the raw bytes) and go on. Pure
parsers return a value or raise :class:`~storyline.errors.InputError`.

>>> from storyline.ingest import clean_text
>>> clean_text("Read more\\nThe talks resumed in Doha , amid hope.")
'The talks resumed in Doha, amid hope.'
"""

from storyline.ingest.clean import clean_text
from storyline.ingest.dates import parse_date
from storyline.ingest.decode import decode_bytes
from storyline.ingest.feeds import parse_feed
from storyline.ingest.files import DEFAULT_MAX_BYTES, FORMATS, detect_format, iter_articles, parse_file_bytes, parse_text, read_article
from storyline.ingest.html import html_to_text, parse_html
from storyline.ingest.records import FieldMap, iter_csv, iter_json, iter_jsonl, iter_pairs, parse_record

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "FieldMap",
    "clean_text",
    "decode_bytes",
    "detect_format",
    "html_to_text",
    "iter_articles",
    "iter_csv",
    "iter_json",
    "iter_jsonl",
    "iter_pairs",
    "parse_date",
    "parse_feed",
    "parse_file_bytes",
    "parse_html",
    "parse_record",
    "parse_text",
    "read_article",
]
