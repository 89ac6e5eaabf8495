"""Property tests: every reader returns a value or raises InputError; iterators never raise."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.errors import InputError
from storyline.ingest import (
    clean_text,
    decode_bytes,
    iter_articles,
    iter_csv,
    iter_json,
    iter_jsonl,
    iter_pairs,
    parse_date,
    parse_feed,
    parse_html,
    parse_text,
)
from storyline.types import Article, ArticlePair, RecordError

FAST = settings(max_examples=100, deadline=None)
FEW = settings(max_examples=40, deadline=None)

WORDS = st.sampled_from(
    [
        "ferry", "Kessa", "Read more", "Share on Facebook", "分享到", "相关阅读", "Читайте также", "اقرأ أيضا",
        "country.It", "Doha ,", "U.S.", "4.5", "https://t.co/Ab12", "– Mayor (@mayor) 1612872000000",
        "\n", "\n\n", " ", "&amp;", "<p>", "</p>", "<b>", "\x00", "\r", "\u2028", "CafÃ©", "©", "”", ".", "Asia PacificPeacePolitics",
        "date 2021-02-09", "Published:", "# ", "---", "\ufeff", "\t", "😀",
    ]
)  # fmt: skip
MESSY_TEXT = st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=40).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-16", "utf-16-le", "cp1252", "gb18030", "cp1251", "latin-1"])


@st.composite
def encoded_text(draw: st.DrawFn) -> bytes:
    text = draw(MESSY_TEXT)
    return text.encode(draw(ENCODINGS), errors="replace")


ANY_BYTES = st.one_of(st.binary(max_size=600), encoded_text())


def _check_article(article: Article) -> None:
    assert isinstance(article, Article)
    assert isinstance(article.title, str) and isinstance(article.text, str)
    if article.published_at is not None:
        assert article.published_at.utcoffset() == timedelta(0)


def _check_items(items: list[object]) -> None:
    for item in items:
        if isinstance(item, RecordError):
            assert item.stage == "ingest" and item.reason and item.source
        elif isinstance(item, ArticlePair):
            _check_article(item.a)
            _check_article(item.b)
        else:
            _check_article(item)  # type: ignore[arg-type]


@FAST
@given(ANY_BYTES)
def test_decode_bytes_returns_text_or_input_error(raw: bytes) -> None:
    try:
        text = decode_bytes(raw, "p.txt")
    except InputError as exc:
        assert exc.source == "p.txt" and exc.reason
    else:
        assert isinstance(text, str) and text.strip() and "\r" not in text


@FAST
@given(MESSY_TEXT)
def test_clean_text_is_total_and_idempotent(text: str) -> None:
    once = clean_text(text)
    assert isinstance(once, str)
    assert clean_text(once) == once


@FAST
@given(st.text(max_size=300))
def test_clean_text_on_arbitrary_unicode(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@FAST
@given(MESSY_TEXT, st.booleans())
def test_parse_text_returns_article_or_input_error(text: str, markdown: bool) -> None:
    try:
        article = parse_text(text, "t", markdown=markdown)
    except InputError as exc:
        assert exc.source == "t"
    else:
        _check_article(article)


@FAST
@given(st.one_of(st.text(max_size=60), MESSY_TEXT, st.integers(), st.floats(allow_nan=True), st.none()))
def test_parse_date_returns_utc_or_none(value: object) -> None:
    result = parse_date(value)
    assert result is None or result.utcoffset() == timedelta(0)


HTML_PIECES = st.sampled_from(
    [
        "<html>", "</html>", "<head>", "<title>", "</title>", "<body>", "<p>", "</p>", "<div>", "<script>", "</script>",
        '<meta charset="utf-8">', '<meta charset="bogus-enc">', '<meta property="article:published_time" content="2021-02-09">',
        '<meta name="date" content="not a date">', "<!--", "-->", "<![CDATA[", "]]>", "<?xml version='1.0' encoding='latin-1'?>",
        "<!DOCTYPE html>", '<html lang="de">', "<h1>", "</h1>", "<br>", "&nbsp;", "&#0;", "&#xD800;", "<time datetime='x'>",
        '<link rel="canonical" href="">',
    ]
)  # fmt: skip
HTML_TEXT = st.lists(st.one_of(HTML_PIECES, WORDS, st.text(max_size=20)), max_size=40).map("".join)


@FAST
@given(st.one_of(ANY_BYTES, HTML_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_parse_html_returns_article_or_input_error(raw: bytes) -> None:
    try:
        article = parse_html(raw, "file:p.html")
    except InputError as exc:
        assert exc.source == "file:p.html"
    else:
        _check_article(article)
        assert article.text


FEED_PIECES = st.sampled_from(
    [
        '<?xml version="1.0"?>', "<rss version='2.0'>", "</rss>", "<channel>", "</channel>", "<item>", "</item>",
        "<title>", "</title>", "<description>", "</description>", "<pubDate>", "</pubDate>", "Tue, 09 Feb 2021 10:00:00 +0100",
        '<feed xmlns="http://www.w3.org/2005/Atom">', "</feed>", "<entry>", "</entry>", '<content type="html">',
        "</content>", "<updated>2021-02-09T10:00:00Z</updated>", "&lt;p&gt;", "&amp;", "&bogus;", "<language>zz-ZZ</language>",
        "<!DOCTYPE rss>", '<!ENTITY a "b">', "<link>", "</link>", "<rdf:RDF>", "</rdf:RDF>", "<![CDATA[<b>x</b>]]>",
    ]
)  # fmt: skip
FEED_TEXT = st.lists(st.one_of(FEED_PIECES, WORDS, st.text(max_size=15)), max_size=40).map("".join)


@FAST
@given(st.one_of(ANY_BYTES, FEED_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_parse_feed_returns_items_or_input_error(raw: bytes) -> None:
    try:
        items = parse_feed(raw, "f.xml")
    except InputError as exc:
        assert exc.source == "f.xml"
    else:
        _check_items(list(items))
        for item in items:
            assert item.source.startswith("feed:f.xml#entry-")


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), MESSY_TEXT),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=8,
)
KEYS = st.sampled_from(["title", "text", "body", "date", "published", "url", "lang", "id", "author", "headline", "x"])
RECORDS = st.dictionaries(KEYS, JSON_VALUES, max_size=6)


@st.composite
def jsonl_bytes(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.one_of(RECORDS.map(json.dumps), MESSY_TEXT, JSON_VALUES.map(json.dumps)), max_size=6))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@FAST
@given(st.one_of(ANY_BYTES, jsonl_bytes()))
def test_iter_jsonl_never_raises(raw: bytes) -> None:
    _check_items(list(iter_jsonl(raw, "r.jsonl")))


@FAST
@given(st.one_of(ANY_BYTES, st.lists(RECORDS, max_size=4).map(json.dumps).map(str.encode), JSON_VALUES.map(json.dumps).map(str.encode)))
def test_iter_json_never_raises(raw: bytes) -> None:
    _check_items(list(iter_json(raw, "r.json")))


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    header = ",".join(draw(st.lists(KEYS, min_size=1, max_size=4)))
    cells = st.one_of(MESSY_TEXT, st.sampled_from(['"', '""', '"a,b"', ",", "\n", "\x00"]))
    rows = draw(st.lists(st.lists(cells, max_size=5).map(",".join), max_size=5))
    return "\n".join([header, *rows]).encode(draw(ENCODINGS), errors="replace")


@FAST
@given(st.one_of(ANY_BYTES, csv_bytes()))
def test_iter_csv_never_raises(raw: bytes) -> None:
    _check_items(list(iter_csv(raw, "r.csv")))


PAIR_KEYS = st.sampled_from(
    ["pair_id", "lang1", "lang2", "title1", "title2", "text1", "text2", "overall", "tone", "geography", "machine_translated"]
)
PAIR_RECORDS = st.dictionaries(
    PAIR_KEYS, st.one_of(MESSY_TEXT, st.floats(), st.integers(), st.booleans(), st.none(), st.lists(MESSY_TEXT, max_size=2)), max_size=11
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ingest-properties")


@FAST
@given(lines=st.lists(st.one_of(PAIR_RECORDS.map(lambda r: json.dumps(r, allow_nan=True)), MESSY_TEXT), max_size=5))
def test_iter_pairs_jsonl_never_raises(scratch: Path, lines: list[str]) -> None:
    path = scratch / "pairs.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    _check_items(list(iter_pairs(path)))


@FEW
@given(rows=st.lists(st.lists(st.one_of(MESSY_TEXT, st.sampled_from(["1_2", "12_34", "1.5", "", "en"])), max_size=4), max_size=4))
def test_iter_pairs_csv_never_raises(scratch: Path, rows: list[list[str]]) -> None:
    path = scratch / "pairs.csv"
    body = "\n".join(",".join(row) for row in rows)
    path.write_bytes(("url1_lang,url2_lang,pair_id,Overall\n" + body).encode("utf-8", "surrogatepass"))
    _check_items(list(iter_pairs(path, articles_dir=scratch)))


@FEW
@given(raw=ANY_BYTES, suffix=st.sampled_from([".txt", ".md", ".html", ".xml", ".json", ".jsonl", ".csv", ".bin", ""]))
def test_iter_articles_never_raises(scratch: Path, raw: bytes, suffix: str) -> None:
    path = scratch / f"any{suffix}"
    path.write_bytes(raw)
    _check_items(list(iter_articles([path])))
