"""HTML pages: trafilatura extraction, metadata, fallback, boilerplate."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline.errors import InputError
from storyline.ingest import parse_html, read_article

ARTICLES = Path(__file__).parent / "fixtures" / "ingest" / "articles"


def test_html_page_main_text_and_metadata() -> None:
    a = read_article(ARTICLES / "es.html")
    assert a.title == "Vuelve el ferri a la isla de Kessa"
    assert a.text.startswith("El servicio de ferri entre Port Lindow")
    assert "Decenas de pasajeros" in a.text
    for junk in ("Compartir", "Lea también", "Publicidad", "Inicio", "©", "Síguenos"):
        assert junk not in a.text
    assert a.published_at == datetime(2021, 2, 9, 7, 30, tzinfo=timezone.utc)
    assert a.author == "Lucía Ferrer"
    assert a.url == "https://diario.example/ferri-kessa"
    assert a.language_hint == "es"
    assert a.meta["format"] == "html"


def test_html_declared_legacy_charset() -> None:
    page = (
        '<html lang="ru"><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "<title>Паром снова ходит</title></head><body><p>Во вторник паромное сообщение возобновилось.</p></body></html>"
    )
    a = parse_html(page.encode("cp1251"), "file:ru.html")
    assert a.title == "Паром снова ходит"
    assert "паромное сообщение" in a.text


def test_html_fallback_when_trafilatura_finds_nothing() -> None:
    page = b"<html><head><title>Tiny</title></head><body><div>Ferry back.</div></body></html>"
    a = parse_html(page, "file:tiny.html")
    assert a.title == "Tiny" and "Ferry back." in a.text


def test_html_naive_date_is_utc_and_bad_date_is_kept_raw() -> None:
    page = (
        '<html><head><meta name="date" content="2021-02-09 10:00"></head>'
        "<body><p>The ferry to Kessa Island resumed on Tuesday after the storm.</p></body></html>"
    )
    assert parse_html(page.encode(), "s").published_at == datetime(2021, 2, 9, 10, 0, tzinfo=timezone.utc)
    bad = page.replace("2021-02-09 10:00", "the day after the storm")
    a = parse_html(bad.encode(), "s")
    assert a.published_at is None and a.meta.get("date_raw") == "the day after the storm"


@pytest.mark.parametrize(
    "page",
    [b"<html><body><script>var x = 1;</script></body></html>", b"<html></html>", b"<!-- only a comment -->"],
)
def test_html_without_text_is_an_input_error(page: bytes) -> None:
    with pytest.raises(InputError) as info:
        parse_html(page, "file:empty.html")
    assert info.value.source == "file:empty.html"


def test_html_with_xml_declaration_and_utf16() -> None:
    page = '<?xml version="1.0" encoding="utf-16"?><html><body><p>渡轮周二恢复运营。</p></body></html>'
    assert "渡轮周二恢复运营" in parse_html(page.encode("utf-16"), "x").text
