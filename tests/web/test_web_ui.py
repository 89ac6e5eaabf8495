"""The web UI in a real headless Chromium (Debian's chromium, driven by Playwright), over a real server.

Screenshots go to pytest's tmp dir (or ``$STORYLINE_SCREENSHOTS``); their paths are
printed at the end of the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from webtools import API_KEY, Live, screenshot, serve

pytestmark = pytest.mark.ui

HOSTILE_TITLE = '<script>window.__xss = "title"</script>Hostile <b>bold</b> title'
HOSTILE_TEXT = (
    'Officials met in Doha on Monday. <img src=x onerror="window.__xss=\'img\'"> '
    'They said "><svg onload="window.__xss=\'svg\'"> nothing. '
    "</textarea><script>window.__xss='textarea'</script> The talks go on. "
    '\' onmouseover=\'window.__xss="attr"\' x=\' and <a href="javascript:window.__xss=1">click</a> here.'
)


def test_front_page_lists_stories_with_languages_and_sources(page: Any, demo_server: Live, shots: Path) -> None:
    page.goto(demo_server.url + "/")
    cards = page.locator(".story-card")
    assert cards.count() >= 3
    first = cards.first
    assert "independent source" in first.inner_text()
    codes = first.locator(".lang").all_inner_texts()
    assert {"en", "zh", "de"} <= {c.split("×")[0] for c in codes}
    screenshot(page, shots, "01-front-page")


def test_open_a_story_shows_timeline_events_languages_entities(page: Any, demo_server: Live, shots: Path) -> None:
    page.goto(demo_server.url + "/")
    page.locator(".story-card a.story-link").first.click()
    page.wait_for_url("**/stories/**")
    assert "Doha" in page.locator("h1.story-title").inner_text()
    dots = page.locator("svg.timeline circle")
    assert dots.count() >= 2 and page.locator("svg.timeline .tick-label").count() >= 1
    labels = page.locator("svg.timeline text").all_text_contents()
    assert any(label.startswith("2023") for label in labels) and any(label.startswith("2024") for label in labels)
    assert page.locator("ol.events li.event").count() == dots.count()
    groups = page.locator(".language-group h3").all_inner_texts()
    assert any(g.startswith("Chinese") for g in groups) and any(g.startswith("German") for g in groups)
    assert page.locator("ul.entities li").count() >= 3
    assert "Doha" in page.locator("ul.places").inner_text()
    screenshot(page, shots, "02-story")
    page.locator(".language-group", has_text="Chinese").locator("a.article-link").first.click()
    page.wait_for_url("**/articles/**")
    assert page.locator(".article-text p").count() >= 1 and "多哈" in page.locator(".article-text").inner_text()
    screenshot(page, shots, "03-article")


def test_story_page_shows_a_map_of_its_places_drawn_offline(page: Any, demo_server: Live, shots: Path) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    stories = httpx.get(demo_server.url + "/api/stories", timeout=30).json()["items"]
    story_id = next(s["story_id"] for s in stories if "Doha" in s["headline"])
    places = httpx.get(f"{demo_server.url}/api/stories/{story_id}", timeout=30).json()["story"]["places"]
    cities = [p for p in places if p["place_id"].startswith("geonames:") and p["lat"] is not None]
    countries = {p["country"] for p in places if p["country"]}
    assert cities and "QA" in countries
    page.goto(f"{demo_server.url}/stories/{story_id}")
    svg = page.locator("section.map-section svg.map")
    assert svg.get_attribute("role") == "img" and "place" in (svg.get_attribute("aria-label") or "")
    dots = page.locator("svg.map g.place.city")
    assert dots.count() == len(cities)
    tips = dots.locator("title").all_text_contents()
    assert any(t.startswith("Doha") and "article" in t for t in tips), tips
    shaded = set(page.locator("svg.map path.country").evaluate_all("els => els.map(e => e.getAttribute('data-country'))"))
    assert shaded == countries
    fills = page.locator("svg.map path.country").evaluate_all("els => els.map(e => getComputedStyle(e).fill)")
    land = page.locator("svg.map path.land").first.evaluate("e => getComputedStyle(e).fill")
    assert fills and land not in fills  # shaded countries are drawn in another colour than the rest
    box = page.locator("svg.map").bounding_box()
    assert box and box["width"] > 600 and box["height"] > 200
    assert page.locator(".map-legend .swatch-item").count() >= 2 and "Doha" in page.locator("ul.places").inner_text()
    screenshot(page, shots, "02b-story-map")
    event_id = page.locator("ol.events li.event h3 a").first.get_attribute("href")
    page.goto(demo_server.url + str(event_id))
    if page.locator("svg.map").count():
        assert page.locator("svg.map g.place, svg.map path.country").count() >= 1
    assert requests and all(url.startswith(demo_server.url) for url in requests), [u for u in requests if not u.startswith(demo_server.url)]


def test_compare_two_pasted_texts(page: Any, demo_server: Live, shots: Path) -> None:
    page.goto(demo_server.url + "/compare")
    page.fill("input[name=a_title]", "Quake hits Kabul")
    page.fill("textarea[name=a_text]", "A strong earthquake struck Kabul on Monday, killing 12 people. Rescue teams searched the rubble in Kabul.")
    page.fill("input[name=b_title]", "Séisme à Kaboul")
    page.fill("textarea[name=b_text]", "Un fort séisme a frappé Kaboul lundi, tuant 12 personnes. Les secours ont fouillé les décombres à Kaboul.")
    page.click("#compare-button")
    page.wait_for_selector("#result")
    assert page.locator("svg.bars g.bar").count() == 7
    dims = [g.get_attribute("data-dimension") for g in page.locator("svg.bars g.bar").all()]
    assert dims == ["geography", "entities", "time", "narrative", "overall", "style", "tone"]
    assert page.locator(".verdict").inner_text().strip()
    for side in ("a", "b"):
        marks = page.locator(f"#text-{side} mark")
        assert marks.count() >= 2, side
        assert page.locator(f"#text-{side} mark.ev-place").count() >= 1
    assert "Kaboul" in page.locator("#text-b mark.ev-place").first.inner_text()
    assert page.locator("textarea[name=a_text]").input_value().startswith("A strong earthquake")
    screenshot(page, shots, "04-compare")


def test_search(page: Any, demo_server: Live, shots: Path) -> None:
    page.goto(demo_server.url + "/")
    page.fill("form.quick input[name=q]", "Doha")
    page.press("form.quick input[name=q]", "Enter")
    page.wait_for_url("**/search?q=Doha")
    assert page.locator(".results .story-card").count() >= 1
    assert page.locator(".results ul.articles li").count() >= 5
    page.fill(".search-form input[name=language]", "ru")
    page.click(".search-form button")
    page.wait_for_url("**language=ru**")
    langs = page.locator(".results ul.articles li").evaluate_all("els => els.map(e => e.getAttribute('lang'))")
    assert langs and set(langs) == {"ru"}
    screenshot(page, shots, "05-search")


def test_api_docs_render_offline(page: Any, demo_server: Live, shots: Path) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(demo_server.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    assert page.locator(".swagger-ui .opblock").count() >= 10
    assert all(url.startswith(demo_server.url) for url in requests), [u for u in requests if not u.startswith(demo_server.url)]
    screenshot(page, shots, "08-api-docs")


# ------------------------------------------------------------------ XSS


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory, engine: Any) -> Iterator[Live]:
    """A store whose articles carry script, event-handler and attribute-injection payloads, added through the API."""
    from storyline.pipeline import Pipeline
    from storyline.store import open_store
    from storyline.web import WebSettings, create_app

    store = open_store(tmp_path_factory.mktemp("xss") / "xss.db")
    app = create_app(store, settings=WebSettings(api_key=API_KEY), engine=engine, pipeline=Pipeline(store, profiler="lexical", workers=0))
    url, server, thread = serve(app)
    articles = [
        {"title": HOSTILE_TITLE, "text": HOSTILE_TEXT, "source": '"><script>window.__xss="outlet"</script>', "url": "javascript:window.__xss='url'"},
        {"title": HOSTILE_TITLE + " (again)", "text": HOSTILE_TEXT + " Officials met in Doha again.", "source": "<i>outlet</i>"},
    ]
    r = httpx.post(url + "/api/articles/batch", json={"articles": articles}, headers={"X-API-Key": API_KEY}, timeout=60)
    assert r.status_code == 200 and r.json()["added"] == 2, r.text
    yield Live(url, app, store)
    server.should_exit = True
    thread.join(10)
    store.close()


def _assert_nothing_ran(page: Any) -> None:
    assert page.evaluate("() => window.__xss === undefined"), page.evaluate("() => String(window.__xss)")
    injected = page.evaluate(
        """() => ({
            scripts: [...document.scripts].filter(s => !s.src.endsWith('/static/app.js')).length,
            handlers: document.querySelectorAll('[onerror],[onload],[onmouseover]').length,
            images: document.querySelectorAll('main img').length,
            jsLinks: [...document.querySelectorAll('[href]')].filter(a => (a.getAttribute('href') || '').trim().toLowerCase().startsWith('javascript:')).length,
        })"""
    )
    assert injected == {"scripts": 0, "handlers": 0, "images": 0, "jsLinks": 0}, injected


def test_hostile_article_text_is_shown_escaped_and_never_runs(page: Any, hostile_server: Live, shots: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    base = hostile_server.url
    page.goto(base + "/")
    assert HOSTILE_TITLE in page.locator(".story-link").first.inner_text()
    _assert_nothing_ran(page)
    page.locator(".story-link").first.click()
    page.wait_for_url("**/stories/**")
    _assert_nothing_ran(page)
    page.locator("a.article-link").first.click()
    page.wait_for_url("**/articles/**")
    text = page.locator(".article-text").inner_text()
    assert '<img src=x onerror="window.__xss=\'img\'">' in text and "</textarea><script>" in text
    assert page.locator("h1.article-title").inner_text() == HOSTILE_TITLE or page.locator("h1.article-title").inner_text().startswith(HOSTILE_TITLE)
    page.hover(".article-text")
    _assert_nothing_ran(page)
    screenshot(page, shots, "06-xss-article")
    page.goto(base + "/search?q=" + "Doha")
    assert HOSTILE_TITLE in page.locator(".results").inner_text()
    _assert_nothing_ran(page)
    page.goto(base + "/compare")
    page.fill("textarea[name=a_text]", HOSTILE_TEXT)
    page.fill("input[name=a_title]", HOSTILE_TITLE)
    page.fill("textarea[name=b_text]", HOSTILE_TEXT.replace("Monday", "Tuesday"))
    page.click("#compare-button")
    page.wait_for_selector("#result")
    assert "</textarea><script>" in page.locator("#text-a .text").inner_text()
    assert page.locator("textarea[name=a_text]").input_value() == HOSTILE_TEXT
    page.hover("#text-a .text")
    _assert_nothing_ran(page)
    screenshot(page, shots, "07-xss-compare")
    assert dialogs == []
