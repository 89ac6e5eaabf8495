"""Decoding, path dispatch, size limits, plain text and Markdown."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline.errors import InputError, TooLargeError
from storyline.ingest import decode_bytes, detect_format, iter_articles, parse_text, read_article
from storyline.types import Article, RecordError

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
ARTICLES = FIXTURES / "articles"

# ------------------------------------------------------------------ decode_bytes


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", "Die Fähre fährt wieder nach Kessa."),
        ("utf-8-sig", "Die Fähre fährt wieder nach Kessa."),
        ("utf-16", "渡轮周二恢复运营。The ferry is back."),
        ("utf-16-le", "The ferry to Kessa Island is running again on Tuesday."),
        ("utf-16-be", "The ferry to Kessa Island is running again on Tuesday."),
        ("cp1252", "Le café du port a rouvert — les « passagers » sont là, déjà."),
        ("cp1252", "Café"),
        ("gb18030", "受风暴影响停航三天的渡轮于周二恢复运营。港务局表示，全部十二艘船已经完成检查。"),
        ("cp1251", "Во вторник паромное сообщение возобновилось после трёх дней шторма."),
        ("cp1250", "Zażółć gęślą jaźń, powiedział kapitan portu w czwartek."),
    ],
)
def test_decode_bytes_reads_common_encodings(encoding: str, text: str) -> None:
    assert decode_bytes(text.encode(encoding), "x.txt") == text


def test_decode_bytes_uses_the_declared_charset() -> None:
    page = '<html><head><meta charset="windows-1251"></head><body>Паром снова ходит</body></html>'
    assert "Паром снова ходит" in decode_bytes(page.encode("cp1251"), "p.html")


def test_decode_bytes_repairs_mojibake() -> None:
    assert decode_bytes("CafÃ© au lait, naÃ¯ve".encode("utf-8"), "m.txt") == "Café au lait, naïve"


def test_decode_bytes_normalises_newlines_and_keeps_curly_quotes() -> None:
    assert decode_bytes("“One”\r\nTwo\rThree".encode(), "n.txt") == "“One”\nTwo\nThree"


@pytest.mark.parametrize("raw", [b"", b"   \n\t  \r\n", "\ufeff".encode("utf-8-sig")])
def test_decode_bytes_refuses_empty_input(raw: bytes) -> None:
    with pytest.raises(InputError, match="empty") as info:
        decode_bytes(raw, "empty.txt")
    assert info.value.source == "empty.txt"


def test_decode_bytes_refuses_binary_files() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    with pytest.raises(InputError, match="binary file, not text"):
        decode_bytes(png, "logo.png")
    with pytest.raises(InputError, match="binary file, not text"):
        decode_bytes(b"abc\x00\x01\x02\x03def\x00\x00\xff\xfe\x00" * 50, "blob.bin")


# ------------------------------------------------------------------ read_article / size limits


def test_read_article_refuses_a_50_mb_file_by_size_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:  # sparse: instant, no 50 MB written
        fh.truncate(50_000_000)
    start = time.perf_counter()
    with pytest.raises(TooLargeError) as info:
        read_article(big)
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    assert str(big) in message and "50,000,000" in message and "20,000,000" in message
    [error] = list(iter_articles([big]))
    assert isinstance(error, RecordError) and error.error_type == "TooLargeError"


def test_read_article_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Ferry resumes\n\nThe ferry resumed on Tuesday.", encoding="utf-8")
    with pytest.raises(TooLargeError, match="over the limit of 10 bytes"):
        read_article(path, max_bytes=10)
    assert read_article(path, max_bytes=1000).title == "Ferry resumes"


def test_read_article_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file") as info:
        read_article(tmp_path / "missing.txt")
    assert "missing.txt" in str(info.value)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_article(empty)
    with pytest.raises(InputError, match="is a folder"):
        read_article(tmp_path)


def test_read_article_wants_exactly_one_record() -> None:
    with pytest.raises(InputError, match="use iter_articles"):
        read_article(ARTICLES / "records.jsonl")
    assert read_article(ARTICLES / "one.json").title == "Eine Meldung"


def test_read_article_source_is_file_path() -> None:
    a = read_article(ARTICLES / "ru.txt")
    assert a.source == f"file:{ARTICLES / 'ru.txt'}"
    assert a.title == "Паром снова ходит на остров Кесса"
    assert "Читайте также" not in a.text and "Все двенадцать судов" in a.text


# ------------------------------------------------------------------ plain text and Markdown


def test_text_title_date_and_boilerplate() -> None:
    a = read_article(ARTICLES / "folder" / "harbour.txt")
    assert a.title == "Ferry service resumes in Port Lindow"
    assert a.text.startswith("The ferry between Port Lindow and Kessa Island resumed on Tuesday after a three-day storm, officials said. The harbour")
    for junk in ("Share this article", "Related Articles", "Back to top", "PeacePolitics"):
        assert junk not in a.text
    assert a.published_at is None


def test_markdown_heading_and_published_line() -> None:
    a = read_article(ARTICLES / "folder" / "sub" / "wetter.md")
    assert a.title == "Sturm legt Fährverkehr lahm"
    assert a.published_at == datetime(2021, 2, 9, tzinfo=timezone.utc)
    assert "Mehr zum Thema" not in a.text and "Published" not in a.text
    assert a.meta["format"] == "markdown"


def test_date_prefix_and_tweet_signature_in_text_file() -> None:
    a = read_article(ARTICLES / "folder" / "sub" / "tweet.txt")
    assert a.published_at == datetime(2021, 2, 9, tzinfo=timezone.utc)
    assert a.text.startswith("Boats are running again to Kessa Island.")
    for junk in ("t.co", "@MayorVargaPL", "1612872000000", "date 2021"):
        assert junk not in a.text
    assert "on Tuesday. The crews" in a.text


@pytest.mark.parametrize("name", ["zh.txt", "ar.txt", "ru.txt"])
def test_non_latin_text_files(name: str) -> None:
    a = read_article(ARTICLES / name)
    assert a.title and a.text
    assert not any(junk in a.text for junk in ("分享到", "相关阅读", "责任编辑", "اقرأ أيضا", "Читайте также"))


def test_parse_text_does_not_take_a_sentence_as_title() -> None:
    a = parse_text("The ferry resumed on Tuesday.\nPassengers queued early.", "t")
    assert a.title == "" and a.text.startswith("The ferry resumed")
    assert parse_text("Ferry back\nThe ferry resumed.", "t").title == "Ferry back"
    assert parse_text("x" * 250 + "\nMore text.", "t").title == ""


def test_unparseable_date_line_stays_text() -> None:
    a = parse_text("Ferry back\nPublished: whenever the tide allows\n\nThe ferry resumed.", "t")
    assert a.published_at is None and "whenever the tide allows" in a.text


def test_text_in_cp1252_and_utf16_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes("Le ferry repart\n\nLe café du port a rouvert mardi.".encode("cp1252"))
    (tmp_path / "b.txt").write_bytes("渡轮恢复运营\n\n受风暴影响停航三天的渡轮于周二恢复运营。".encode("utf-16"))
    (tmp_path / "c.txt").write_bytes("渡轮恢复运营\n\n港务局表示，全部十二艘船已经完成检查。".encode("gb18030"))
    a, b, c = iter_articles([tmp_path])
    assert isinstance(a, Article) and a.text == "Le café du port a rouvert mardi."
    assert isinstance(b, Article) and b.title == "渡轮恢复运营"
    assert isinstance(c, Article) and c.text == "港务局表示，全部十二艘船已经完成检查。"


# ------------------------------------------------------------------ iter_articles


def test_iter_articles_walks_folders_in_sorted_order() -> None:
    sources = [x.source for x in iter_articles([ARTICLES / "folder"])]
    assert sources == [
        f"file:{ARTICLES / 'folder' / 'harbour.txt'}",
        f"file:{ARTICLES / 'folder' / 'sub' / 'tweet.txt'}",
        f"file:{ARTICLES / 'folder' / 'sub' / 'wetter.md'}",
    ]
    assert [x.source for x in iter_articles(ARTICLES / "folder")] == sources


def test_iter_articles_reads_every_format_and_never_raises() -> None:
    items = list(iter_articles([ARTICLES]))
    articles = [x for x in items if isinstance(x, Article)]
    errors = [x for x in items if isinstance(x, RecordError)]
    formats = {a.meta.get("format") for a in articles}
    assert formats >= {"text", "markdown", "html", "feed", "json", "jsonl", "csv"}
    assert all(e.stage == "ingest" and e.reason for e in errors)
    assert any("refused for safety" in e.reason for e in errors)
    assert len(articles) >= 15


def test_iter_articles_turns_bad_files_into_record_errors(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Ferry back\n\nThe ferry resumed.", encoding="utf-8")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (tmp_path / "c.txt").write_bytes(b"")
    (tmp_path / "d.html").write_text("<html><body><script>x()</script></body></html>", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")
    items = list(iter_articles([tmp_path, tmp_path / "nope.txt"]))
    assert [type(x).__name__ for x in items] == ["Article", "RecordError", "RecordError", "RecordError", "RecordError"]
    png, empty, html, missing = items[1:]
    assert "binary" in png.reason and png.raw is not None and png.raw.startswith(b"\x89PNG")
    assert "empty" in empty.reason
    assert "no article text" in html.reason
    assert missing.source.endswith("nope.txt") and "no such file" in missing.reason


def test_detect_format_by_extension_and_content() -> None:
    assert detect_format("x.ndjson", b"") == "jsonl"
    assert detect_format("x", b'{"a": 1}\n{"a": 2}\n') == "jsonl"
    assert detect_format("x", b'<?xml version="1.0"?><rss version="2.0">') == "feed"
    assert detect_format("x", b"Just words.") == "text"


def test_date_labels_only_take_a_real_date() -> None:
    a = parse_text("Ferry back\nUpdated guidance was issued in March 2021 by the port.\nMore text.", "t")
    assert a.published_at is None and a.text.startswith("Updated guidance")
    b = parse_text("Ferry back\nDateline: Port Lindow\nMore text.", "t")
    assert b.published_at is None and "Dateline" in b.text
    c = parse_text("Fähre fährt wieder\nVeröffentlicht am 9. Februar 2021\n\nDie Fähre fährt.", "t")
    assert c.published_at is not None and c.published_at.date().isoformat() == "2021-02-09"
    assert c.text == "Die Fähre fährt."
