"""The JSON API over real HTTP: a real uvicorn on a free port (and httpx's ASGI transport), real stores, no mocks."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import httpx
import pytest

from storyline.types import DIMENSIONS

from webtools import API_KEY, Live, serve

KEY = {"X-API-Key": API_KEY}

QUAKE = {"title": "Quake hits Kabul", "text": "A strong earthquake struck Kabul on Monday, killing 12 people and injuring 40.", "source": "wire-a"}
QUAKE_ZH = {"title": "喀布尔发生强烈地震", "text": "周一,喀布尔发生强烈地震,造成12人死亡、40人受伤。", "source": "wire-b", "language": "zh"}
FLOOD = {"title": "Floods close Hamburg port", "text": "Floods closed the port of Hamburg on Tuesday after the Elbe rose four metres.", "source": "paper"}

PAGE = b"""<!doctype html><html lang="en"><head><title>Storm reaches Bremen</title></head>
<body><article><p>A storm with winds of 120 km/h reached Bremen on Wednesday, closing schools.</p></article></body></html>"""
FEED = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Bridge closed in Lyon</title><link>http://example.test/lyon</link><description>The old bridge in Lyon was closed on Friday after cracks were found.</description></item>
<item><title>Train strike in Milan</title><link>http://example.test/milan</link><description>Train drivers in Milan went on strike on Friday for better pay.</description></item>
</channel></rss>"""


class _Site(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        routes = {
            "/robots.txt": (200, b"User-agent: *\nDisallow: /private/\n", "text/plain"),
            "/storm.html": (200, PAGE, "text/html; charset=utf-8"),
            "/feed.xml": (200, FEED, "application/rss+xml"),
            "/bomb.xml": (200, b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss><channel><title>&b;</title></channel></rss>', "application/rss+xml"),
        }
        if self.path.startswith("/to-private"):
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, body, ctype = routes.get(self.path, (404, b"no", "text/plain"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, engine: Any) -> Iterator[Live]:
    """A fresh store; the lexical profiler for ingest (fast), the real engine for compare; small limits."""
    from storyline.fetch import FetchPolicy
    from storyline.pipeline import Pipeline
    from storyline.store import open_store
    from storyline.web import WebSettings, create_app

    store = open_store(tmp_path_factory.mktemp("api") / "api.db")
    settings = WebSettings(api_key=API_KEY, max_body_bytes=100_000, max_batch=5, max_text_chars=20_000, fetch=FetchPolicy(allow_private_first_hop=True))
    app = create_app(store, settings=settings, engine=engine, pipeline=Pipeline(store, profiler="lexical", workers=0))
    url, server, thread = serve(app)
    yield Live(url, app, store)
    server.should_exit = True
    thread.join(10)
    store.close()


@pytest.fixture()
def http(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=120) as client:
        yield client


def assert_error(r: httpx.Response, status: int, contains: str = "") -> dict[str, Any]:
    """The ONE error shape: exactly ok/error/errors/status, JSON, status matching the HTTP status."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"ok", "error", "errors", "status"}, body
    assert body["ok"] is False and body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["errors"], list) and all(isinstance(e, str) for e in body["errors"])
    assert contains in body["error"], body
    assert "Traceback" not in r.text
    return body


# ------------------------------------------------------------------ writes


def test_add_article_then_read_it_back_with_profile_event_and_story(http: httpx.Client) -> None:
    r = http.post("/api/articles", json=QUAKE, headers=KEY)
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["ok"] is True and added["status"] == "added" and added["event_id"] and added["story_id"]
    article = http.get(f"/api/articles/{added['article_id']}").json()["article"]
    assert article["title"] == QUAKE["title"] and article["outlet"] == "wire-a" and article["event_id"] == added["event_id"]
    assert article["profile"]["language"] == "en" and article["profile"]["n_sentences"] >= 1
    event = http.get(f"/api/events/{added['event_id']}").json()["event"]
    assert [a["article_id"] for a in event["articles"]] == [added["article_id"]]
    again = http.post("/api/articles", json=QUAKE, headers=KEY).json()
    assert again["status"] == "duplicate" and again["article_id"] == added["article_id"]


def test_a_notice_page_is_refused_with_the_reason(http: httpx.Client, live: Live) -> None:
    before = live.store.counts()["articles"]
    notice = {"title": "Access denied", "text": "Access denied. Please verify you are not a robot. Too many requests from your IP address."}
    body = assert_error(http.post("/api/articles", json=notice, headers=KEY), 422, "not an article")
    assert "robot" in body["error"]
    ferry = {"title": "Ferry service resumes", "text": "The island ferry sailed again on Tuesday after the storm.", "source": "wire-e"}
    batch = http.post("/api/articles/batch", json={"articles": [notice, ferry]}, headers=KEY).json()
    assert [o["status"] for o in batch["results"]] == ["failed", "added"]
    assert batch["results"][0]["error"].startswith("not an article")
    assert live.store.counts()["articles"] == before + 1  # the ferry report only


def test_a_story_read_shows_an_article_added_after_it(http: httpx.Client) -> None:
    first = {"title": "Dam bursts above Lindau", "text": "The old dam above Lindau burst on Sunday night and flooded the lower town.", "source": "wire-c"}
    added = http.post("/api/articles", json=first, headers=KEY).json()
    story_id = added["story_id"]
    for path in (f"/api/stories/{story_id}", f"/stories/{story_id}"):
        assert http.get(path).status_code == 200 and http.get(path).text == http.get(path).text  # read twice: kept
    before = http.get(f"/api/stories/{story_id}").json()["story"]
    second = {**first, "text": first["text"] + " Rescuers searched the lower town on Monday.", "source": "wire-d"}
    again = http.post("/api/articles", json=second, headers=KEY).json()
    assert again["status"] == "added" and again["story_id"] == story_id
    after = http.get(f"/api/stories/{story_id}").json()["story"]
    assert after["n_articles"] == before["n_articles"] + 1
    assert again["article_id"] in {a["article_id"] for e in after["events"] for a in e["articles"]}
    assert again["article_id"] in http.get(f"/stories/{story_id}").text


def test_an_untitled_article_in_may_2021_has_a_headline_and_its_month_on_the_story_page(tmp_path: Any, engine: Any) -> None:
    """The app's own ingest (real profiler: the lexical one reads no dates) over a fresh store."""
    from storyline.store import open_store
    from storyline.web import WebSettings, create_app

    store = open_store(tmp_path / "may.db")
    url, server, thread = serve(create_app(store, settings=WebSettings(api_key=API_KEY), engine=engine))
    try:
        with httpx.Client(base_url=url, timeout=120) as http:
            text = "Shipping through the Lindau strait stopped in May 2021, port officials said. Ferries waited at anchor."
            added = http.post("/api/articles", json={"title": "", "text": text, "source": "wire-m"}, headers=KEY).json()
            assert added["status"] == "added", added
            story = http.get(f"/api/stories/{added['story_id']}").json()["story"]
            (entry,) = story["timeline"]
            assert entry["headline"] == "Shipping through the Lindau strait stopped in May 2021, port officials said."
            assert (entry["date"], entry["precision"], entry["last_date"]) == ("2021-05-01", "month", "2021-05-01")
            page = http.get(f"/stories/{added['story_id']}").text
            assert "May 2021 (from the text)" in page and "May 2021 · Shipping through the Lindau strait" in page
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()


def test_batch_reports_each_article_and_goes_on(http: httpx.Client, live: Live) -> None:
    before = live.store.counts()["articles"]
    r = http.post("/api/articles/batch", json={"articles": [FLOOD, QUAKE_ZH, FLOOD]}, headers=KEY)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [o["status"] for o in body["results"]] == ["added", "added", "duplicate"]
    assert (body["added"], body["duplicates"], body["failed"]) == (2, 1, 0)
    assert live.store.counts()["articles"] == before + 2


def test_add_by_url_and_by_feed(http: httpx.Client, site: str) -> None:
    r = http.post("/api/articles/fetch", json={"url": site + "/storm.html"}, headers=KEY)
    assert r.status_code == 200, r.text
    [outcome] = r.json()["results"]
    stored = http.get(f"/api/articles/{outcome['article_id']}").json()["article"]
    assert stored["title"] == "Storm reaches Bremen" and stored["url"] == site + "/storm.html"
    r = http.post("/api/articles/fetch", json={"feed": site + "/feed.xml"}, headers=KEY)
    assert r.json()["added"] == 2
    titles = {a["title"] for a in http.get("/api/articles", params={"q": "Lyon"}).json()["items"]}
    assert titles == {"Bridge closed in Lyon"}
    assert_error(http.post("/api/articles/fetch", json={"feed": site + "/storm.html"}, headers=KEY), 400, "is not an RSS or Atom feed")


def test_fetch_refusals_are_clear_errors(http: httpx.Client, site: str) -> None:
    body = assert_error(http.post("/api/articles/fetch", json={"url": site + "/to-private"}, headers=KEY), 422, "refused")
    assert "169.254.169.254 is a link-local address" in body["error"]
    assert_error(http.post("/api/articles/fetch", json={"url": site + "/private/x.html"}, headers=KEY), 422, "robots.txt")
    assert_error(http.post("/api/articles/fetch", json={"feed": site + "/bomb.xml"}, headers=KEY), 400, "refused for safety")
    assert_error(http.post("/api/articles/fetch", json={"url": "http://10.0.0.1/", "feed": "http://x"}, headers=KEY), 400, "exactly one of url or feed")


# ------------------------------------------------------------------ compare


def test_compare_raw_texts_and_stored_ids(http: httpx.Client) -> None:
    r = http.post("/api/compare", json={"a": {"title": QUAKE["title"], "text": QUAKE["text"]}, "b": {"title": QUAKE_ZH["title"], "text": QUAKE_ZH["text"]}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and list(body["scores"]) == list(DIMENSIONS)
    assert all(1.0 <= v <= 4.0 for v in body["scores"].values())
    assert body["verdict"] in ("translation", "same_event") and body["scores"]["overall"] < 2.5
    assert set(body["evidence"]) == {"entities", "places", "dates", "numbers", "sentence_pairs"}
    far = http.post("/api/compare", json={"a": {"text": QUAKE["text"]}, "b": {"text": FLOOD["text"]}}).json()
    assert far["scores"]["overall"] > body["scores"]["overall"]
    ids = [http.post("/api/articles", json=x, headers=KEY).json()["article_id"] for x in (QUAKE, QUAKE_ZH)]
    by_id = http.post("/api/compare", json={"a": {"article_id": ids[0]}, "b": {"article_id": ids[1]}}).json()
    assert (by_id["a"], by_id["b"]) == (ids[0], ids[1]) and by_id["scores"] == body["scores"]


# ------------------------------------------------------------------ reads over the demo store


@pytest.fixture()
def demo(demo_server: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo_server.url, timeout=60) as client:
        yield client


def test_stories_list_filters_and_pagination(demo: httpx.Client) -> None:
    everything = demo.get("/api/stories").json()
    assert everything["ok"] is True and everything["total"] >= 3
    big = everything["items"][0]
    assert big["n_articles"] >= 8 and {"en", "zh", "de"} <= set(big["languages"])
    first = demo.get("/api/stories", params={"limit": 1}).json()
    second = demo.get("/api/stories", params={"limit": 1, "offset": 1}).json()
    assert first["next_offset"] == 1 and first["items"][0]["story_id"] != second["items"][0]["story_id"]
    chinese = demo.get("/api/stories", params={"language": "zh"}).json()["items"]
    assert chinese and all("zh" in s["languages"] for s in chinese)
    turkish = demo.get("/api/events", params={"language": "tr"}).json()["items"]
    assert len(turkish) == 1 and turkish[0]["languages"] == {"tr": 1}
    assert demo.get("/api/stories", params={"q": "Doha"}).json()["items"][0]["story_id"] == big["story_id"]
    assert demo.get("/api/stories", params={"until": "2000-01-01"}).json()["total"] == 0
    in_doha = demo.get("/api/events", params={"place": "Doha"}).json()["items"]
    assert in_doha and all(e["story_id"] == big["story_id"] for e in in_doha)
    football = demo.get("/api/articles", params={"language": "fr"}).json()["items"][0]
    by_source = demo.get("/api/events", params={"source": football["outlet"]}).json()["items"]
    assert [e["event_id"] for e in by_source] == [football["event_id"]]
    key = demo.get(f"/api/stories/{big['story_id']}/entities").json()["entities"][0]["key"]
    by_entity = demo.get("/api/stories", params={"entity": key}).json()["items"]
    assert big["story_id"] in [s["story_id"] for s in by_entity]


def test_story_timeline_entities_disagreements(demo: httpx.Client) -> None:
    sid = demo.get("/api/stories", params={"q": "Doha"}).json()["items"][0]["story_id"]
    story = demo.get(f"/api/stories/{sid}").json()["story"]
    assert story["n_events"] >= 2 and story["events"]
    timeline = demo.get(f"/api/stories/{sid}/timeline").json()["timeline"]
    dates = [t["date"] for t in timeline if t["date"]]
    assert len(timeline) == story["n_events"] and dates == sorted(dates) and dates[0].startswith("2023")
    ents = demo.get(f"/api/stories/{sid}/entities").json()
    assert ents["entities"] and any(p["name"] == "Doha" for p in ents["places"])
    dis = demo.get(f"/api/stories/{sid}/disagreements").json()
    assert dis["ok"] is True and isinstance(dis["disagreements"], list)


def test_entity_with_variants_and_search(demo: httpx.Client) -> None:
    items = demo.get("/api/entities", params={"limit": 200}).json()["items"]
    multi = [e for e in items if len(e["variants"]) >= 2]
    assert multi, "some entity is named in two languages"
    one = demo.get(f"/api/entities/{multi[0]['key']}").json()["entity"]
    assert one["key"] == multi[0]["key"] and len(one["variants"]) >= 2
    found = demo.get("/api/search", params={"q": "Doha"}).json()
    assert found["stories"]["total"] >= 1 and found["events"]["total"] >= 1 and found["articles"]["total"] >= 5


def test_openapi_docs(demo: httpx.Client) -> None:
    spec = demo.get("/openapi.json").json()
    for path in ("/api/articles", "/api/articles/batch", "/api/articles/fetch", "/api/compare", "/api/stories/{story_id}/timeline", "/api/entities/{key}", "/api/search"):
        assert path in spec["paths"], path
    docs = demo.get("/docs")
    assert docs.status_code == 200 and "/static/docs/swagger-ui-bundle.js" in docs.text  # served here: works offline
    assert demo.get("/static/docs/swagger-ui-bundle.js").status_code == 200


def test_every_api_success_says_ok_true(demo: httpx.Client) -> None:
    sid = demo.get("/api/stories").json()["items"][0]["story_id"]
    for path in ("/api", "/api/stories", "/api/events", "/api/articles", "/api/entities", "/api/search?q=Doha", f"/api/stories/{sid}"):
        body = demo.get(path).json()
        assert body["ok"] is True, path


# ------------------------------------------------------------------ one error shape


def test_one_error_shape_for_every_kind_of_error(http: httpx.Client, live: Live) -> None:
    assert_error(http.get("/api/no/such/route"), 404, "not found")
    assert_error(http.get("/api/stories/s-nope"), 404, "story not found: s-nope")
    assert_error(http.get("/api/articles/nope"), 404, "article not found")
    assert_error(http.get("/api/entities/nobody-at-all"), 404, "entity not found")
    assert_error(http.delete("/api/stories"), 405, "not allowed")
    body = assert_error(http.post("/api/articles", json={"title": "no text"}, headers=KEY), 400, "text")
    assert body["errors"] == ["text: Field required"]
    body = assert_error(http.post("/api/articles/batch", json={"articles": [QUAKE, {"title": "x"}]}, headers=KEY), 400)
    assert body["errors"] == ["articles[1].text: Field required"]
    assert_error(http.post("/api/articles", content=b"{not json", headers={**KEY, "content-type": "application/json"}), 400)
    assert_error(http.get("/api/stories", params={"limit": 0}), 400, "limit")
    assert_error(http.get("/api/stories", params={"limit": 5000}), 400, "at most 200")
    assert_error(http.get("/api/events", params={"since": "last tuesday"}), 400, "since")
    assert_error(http.post("/api/compare", json={"a": {"text": "x", "article_id": "y"}, "b": {"text": "z"}}), 400, "exactly one of article_id or text")
    assert_error(http.post("/api/compare", json={"a": {"article_id": "missing"}, "b": {"text": "z"}}), 404, "article not found: missing")
    # the API key
    assert_error(http.post("/api/articles", json=QUAKE), 401, "API key")
    assert_error(http.post("/api/articles", json=QUAKE, headers={"X-API-Key": "wrong"}), 403, "wrong API key")
    assert http.post("/api/articles", json=FLOOD, headers={"Authorization": f"Bearer {API_KEY}"}).status_code in (200, 201)
    # size limits: declared, streamed without a length, per text, per batch
    assert_error(http.post("/api/articles", content=b"x" * 150_000, headers={**KEY, "content-type": "application/json"}), 413, "limit is 100,000 bytes")

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "t", "text": "'
        for _ in range(20):
            yield b"y" * 10_000
        yield b'"}'

    assert_error(http.post("/api/articles", content=chunks(), headers={**KEY, "content-type": "application/json"}), 413, "limit is 100,000 bytes")
    assert_error(http.post("/api/articles", json={"text": "z" * 30_000}, headers=KEY), 413, "over the limit of 20,000")
    assert_error(http.post("/api/articles/batch", json={"articles": [FLOOD] * 6}, headers=KEY), 413, "over the limit of 5")


def test_writes_are_off_without_a_key_and_no_store_is_503(tmp_path: Any) -> None:
    """Through httpx's ASGI transport, no server: the same error shape."""
    from storyline.store import open_store
    from storyline.web import WebSettings, create_app

    store = open_store(tmp_path / "s.db")

    async def run() -> list[httpx.Response]:
        out = []
        for app in (create_app(store, settings=WebSettings(api_key=None)), create_app(None, settings=WebSettings(api_key="k"))):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                out.append(await client.post("/api/articles", json=QUAKE, headers={"X-API-Key": "anything"}))
                out.append(await client.get("/api/stories"))
        return out

    no_key_write, open_read, no_store_write, no_store_read = asyncio.run(run())
    assert_error(no_key_write, 403, "writes are disabled")
    assert open_read.status_code == 200 and open_read.json()["total"] == 0
    assert_error(no_store_write, 403, "wrong API key")
    assert_error(no_store_read, 503, "no store")
    store.close()


def test_html_errors_are_pages_that_escape_what_they_echo(demo: httpx.Client) -> None:
    html = {"Accept": "text/html"}
    r = demo.get("/stories/<script>alert(1)</script>", headers=html)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    r = demo.get("/search", params={"q": "Doha", "since": '"><img src=x onerror=alert(1)>'}, headers=html)
    assert r.status_code == 400 and "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text
    r = demo.get("/api/stories/<b>x</b>", headers=html)  # the API answers JSON whatever the client accepts
    assert r.headers["content-type"].startswith("application/json") and r.json()["status"] == 404


def test_the_apps_ingest_profiles_like_storyline_ingest_while_its_compare_profiles_deep(tmp_path: Any) -> None:
    from storyline.engine import Engine
    from storyline.store import open_store
    from storyline.types import Article
    from storyline.web.ingest import make_pipeline

    engine = Engine()
    assert engine.profiler.e5  # compare reads titles and leads with the second encoder too
    with open_store(str(tmp_path / "s.db")) as store:
        pipeline = make_pipeline(store, engine)
        article = Article.from_text("Talks resume in Doha", "US and Taliban envoys met again in Doha on Monday.")
        pipeline.add_one(article)
        stored = store.iter_profiles()
        ((_, profile, _),) = list(stored)
        assert profile.e5_vectors is None  # stored as `storyline ingest` stores it
        assert engine.profile(article).e5_vectors is not None
