"""RSS and Atom feeds: entries, dates, HTML stripping, safety."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline.errors import InputError
from storyline.ingest import iter_articles, parse_feed
from storyline.types import Article, RecordError

ARTICLES = Path(__file__).parent / "fixtures" / "ingest" / "articles"


def test_rss_entries() -> None:
    items = parse_feed((ARTICLES / "feed.rss").read_bytes(), "feed.rss")
    first, second, third = items
    assert isinstance(first, Article) and isinstance(second, Article) and isinstance(third, RecordError)
    assert first.source == "feed:feed.rss#entry-0"
    assert first.title == "Ferry resumes after storm"
    assert first.text == "The ferry to Kessa Island resumed on Tuesday."  # HTML and "Read more" stripped
    assert first.published_at == datetime(2021, 2, 9, 9, 0, tzinfo=timezone.utc)
    assert first.url == "https://harbour.example/ferry"
    assert first.language_hint == "en"
    assert second.published_at is None and second.meta["date_raw"] == "sometime soon"
    assert third.source == "feed:feed.rss#entry-2" and "neither a title nor any text" in third.reason


def test_atom_entry() -> None:
    [entry] = parse_feed((ARTICLES / "feed.atom").read_bytes(), "feed.atom")
    assert isinstance(entry, Article)
    assert entry.title == "Fähre fährt wieder"
    assert entry.text == "Die Fähre zur Insel Kessa fährt seit Dienstag wieder."
    assert entry.published_at == datetime(2021, 2, 9, 10, 0, tzinfo=timezone.utc)
    assert entry.language_hint == "de"


def test_xml_bomb_is_refused_before_parsing() -> None:
    with pytest.raises(InputError, match="refused for safety"):
        parse_feed((ARTICLES / "bomb.xml").read_bytes(), "bomb.xml")
    [error] = list(iter_articles([ARTICLES / "bomb.xml"]))
    assert isinstance(error, RecordError) and "refused for safety" in error.reason
    assert error.raw is not None and b"<!ENTITY" in error.raw


def test_external_entity_is_refused() -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item><title>&x;</title></item></channel></rss>'
    with pytest.raises(InputError, match="refused for safety"):
        parse_feed(xxe, "xxe.xml")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<!DOCTYPE html><html><body><p>Hello</p></body></html>", "not RSS or Atom: root element is <html>"),
        (b'<?xml version="1.0"?><note><to>Tove</to></note>', "not RSS or Atom: root element is <note>"),
        (b"just some words", "not RSS or Atom"),
    ],
)
def test_not_a_feed(raw: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_feed(raw, "x.xml")


def test_feed_in_latin1_with_declaration() -> None:
    rss = '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><item><title>Café</title><description>Le café a rouvert.</description></item></channel></rss>'
    [a] = parse_feed(rss.encode("latin-1"), "l.xml")
    assert isinstance(a, Article) and a.title == "Café" and a.text == "Le café a rouvert."


def test_title_only_entry_is_kept_with_empty_text() -> None:
    rss = b'<rss version="2.0"><channel><item><title>Only a headline</title><link>https://x.example/1</link></item></channel></rss>'
    [a] = parse_feed(rss, "t.xml")
    assert isinstance(a, Article) and a.title == "Only a headline" and a.text == "" and a.meta["text_missing"]
