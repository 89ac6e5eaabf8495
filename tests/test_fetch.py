"""Safe fetching against a real HTTP server on loopback (no mocks).

The server itself is on 127.0.0.1, so tests that need to reach it use
``allow_private_first_hop=True``: only the URL we give may be private, never a
redirect. Private / link-local targets that do not exist here are refused
before any connection is tried.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from storyline.errors import InputError, TooLargeError
from storyline.fetch import BlockedAddressError, FetchError, FetchPolicy, Fetcher, RobotsDisallowedError, check_address
from storyline.types import Article, RecordError

ARTICLE = b"""<!doctype html><html lang="en"><head><title>Floods close the port of Hamburg</title>
<meta property="article:published_time" content="2024-03-04T10:00:00+00:00"></head>
<body><article><p>Floods closed the port of Hamburg on Monday after the Elbe rose four metres.</p>
<p>Officials said 300 people were moved from the lowest streets.</p></article></body></html>"""

FEED = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test wire</title><language>en</language>
<item><title>Floods close Hamburg port</title><link>http://example.test/a</link><description>The Elbe rose four metres.</description></item>
<item><title>Storm reaches Bremen</title><link>http://example.test/b</link><description>Winds of 120 km/h hit Bremen.</description></item>
</channel></rss>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0"><channel><title>&lol4;</title><item><title>&lol4;</title><description>x</description></item></channel></rss>"""

EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title><description>x</description></item></channel></rss>"""


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.server.seen.append((parts.path, self.headers.get("User-Agent", "")))
        path = parts.path
        if path == "/robots.txt":
            if self.server.robots_status != 200:
                return self._send(self.server.robots_status, b"no", "text/plain")
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/article.html" or path.startswith("/private/"):
            return self._send(200, ARTICLE)
        if path == "/feed.xml":
            return self._send(200, FEED, "application/rss+xml")
        if path == "/bomb.xml":
            return self._send(200, BOMB, "application/rss+xml")
        if path == "/xxe.xml":
            return self._send(200, EXTERNAL, "application/xml")
        if path == "/redirect":
            return self._send(302, b"", headers={"Location": query["to"]})
        if path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            return self._send(302, b"", headers={"Location": f"/chain/{n + 1}"})
        if path == "/big":
            return self._send(200, b"x" * 200_000, "text/plain")
        if path == "/big-undeclared":  # no Content-Length: the limit must hold while reading
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"y" * 10_000)
            return None
        if path == "/gzipped":  # compressed although the client asked for identity
            return self._send(200, b"\x1f\x8b\x08\x00" + b"\x00" * 20, "text/html", {"Content-Encoding": "gzip"})
        if path == "/slow":
            time.sleep(float(query.get("s", "2")))
            return self._send(200, b"late", "text/plain")
        return self._send(404, b"not here", "text/plain")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str]] = []
        self.robots_status = 200

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the timeout test) is expected, not an error to print

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture()
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def first_hop(**kw: object) -> Fetcher:
    return Fetcher(FetchPolicy(allow_private_first_hop=True, **kw))  # type: ignore[arg-type]


# ------------------------------------------------------------------ what works


def test_fetches_a_page_with_honest_user_agent_after_reading_robots(server: _Server) -> None:
    result = first_hop().fetch(server.base + "/article.html")
    assert result.status == 200 and result.kind == "html" and b"Hamburg" in result.body
    paths = [p for p, _ in server.seen]
    assert paths == ["/robots.txt", "/article.html"]
    assert all(ua.startswith("storyline/") and "robots.txt" in ua for _, ua in server.seen)


def test_page_and_feed_become_articles(server: _Server) -> None:
    fetcher = first_hop()
    [page] = fetcher.fetch_articles(server.base + "/article.html")
    assert isinstance(page, Article) and page.title == "Floods close the port of Hamburg"
    assert page.url == server.base + "/article.html" and "300 people" in page.text
    entries = fetcher.fetch_articles(server.base + "/feed.xml")
    assert [e.title for e in entries if isinstance(e, Article)] == ["Floods close Hamburg port", "Storm reaches Bremen"]


def test_redirects_are_followed_when_every_hop_is_allowed(server: _Server) -> None:
    target = server.base + "/article.html"
    result = Fetcher(FetchPolicy(allow_private=True)).fetch(server.base + "/redirect?to=" + target)
    assert result.url == target and result.redirects == (target,)


# ------------------------------------------------------------------ SSRF


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:{port}/article.html", "127.0.0.1 is a loopback address"),
        ("http://localhost:{port}/article.html", "is a loopback address"),
        ("http://2130706433:{port}/article.html", "resolves to 127.0.0.1, which is a loopback address"),  # decimal form of 127.0.0.1
        ("http://[::1]:{port}/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/article.html", "an IPv4-mapped loopback address"),
        ("http://[::ffff:10.0.0.5]/", "an IPv4-mapped private address"),
        ("http://10.0.0.5/", "10.0.0.5 is a private address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://172.16.0.1/", "172.16.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/", "is a link-local address"),
        ("http://0.0.0.0:{port}/", "0.0.0.0 is an unspecified address"),
    ],
)
def test_non_global_targets_are_refused(server: _Server, url: str, why: str) -> None:
    url = url.format(port=server.server_address[1])
    with pytest.raises(BlockedAddressError) as info:
        Fetcher(FetchPolicy()).fetch(url)
    message = str(info.value)
    assert why in message and url in message and "allow_private" in message
    assert server.seen == []  # nothing reached the server, not even robots.txt


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/article.html",  # the very server we were allowed to reach first
        "http://localhost:{port}/article.html",
        "http://[::ffff:127.0.0.1]:{port}/article.html",
        "http://10.1.2.3/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
    ],
)
def test_redirect_into_a_private_address_is_refused(server: _Server, target: str) -> None:
    target = target.format(port=server.server_address[1])
    with pytest.raises(BlockedAddressError) as info:
        first_hop().fetch(server.base + "/redirect?to=" + target)
    assert f"redirect to {target} refused" in str(info.value)
    assert [p for p, _ in server.seen] == ["/robots.txt", "/redirect"]  # the target was never requested


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.test/x", "gopher://127.0.0.1:70/"])
def test_redirect_to_another_scheme_is_refused(server: _Server, target: str) -> None:
    with pytest.raises(BlockedAddressError, match="is not an http\\(s\\) URL"):
        first_hop().fetch(server.base + "/redirect?to=" + target)


def test_addresses_embedded_in_ipv6_are_checked_as_ipv4() -> None:
    assert check_address("::ffff:169.254.169.254") == "an IPv4-mapped link-local address"
    assert check_address("64:ff9b::7f00:1") == "a NAT64 loopback address"
    assert check_address("::ffff:8.8.8.8") is None and check_address("2001:4860:4860::8888") is None


# ------------------------------------------------------------------ bounds


def test_too_many_redirects(server: _Server) -> None:
    with pytest.raises(FetchError, match="too many redirects \\(more than 3\\)"):
        Fetcher(FetchPolicy(allow_private=True, max_redirects=3)).fetch(server.base + "/chain/0")
    assert [p for p, _ in server.seen].count("/chain/3") == 1 and "/chain/4" not in [p for p, _ in server.seen]


def test_size_limit_declared_and_streamed(server: _Server) -> None:
    with pytest.raises(TooLargeError, match="200,000 bytes, over the limit of 50,000"):
        first_hop(max_bytes=50_000).fetch(server.base + "/big")
    with pytest.raises(TooLargeError, match="more than the limit of 50,000"):
        first_hop(max_bytes=50_000).fetch(server.base + "/big-undeclared")


def test_time_limit(server: _Server) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 0.5 s"):
        first_hop(timeout=0.5).fetch(server.base + "/slow?s=3")
    assert time.monotonic() - started < 2.5


def test_unasked_for_compression_is_refused(server: _Server) -> None:
    with pytest.raises(FetchError, match="sent a gzip-compressed body although identity was asked for"):
        first_hop().fetch(server.base + "/gzipped")


def test_http_errors_name_the_status(server: _Server) -> None:
    with pytest.raises(FetchError, match="HTTP 404 from http://127.0.0.1:\\d+/nothing"):
        first_hop().fetch(server.base + "/nothing")


def test_connection_refused_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(FetchError, match="cannot fetch"):
            Fetcher(FetchPolicy(allow_private_first_hop=True, respect_robots=False)).fetch(f"http://127.0.0.1:{port}/")


# ------------------------------------------------------------------ robots.txt


def test_robots_disallow_is_respected(server: _Server) -> None:
    with pytest.raises(RobotsDisallowedError, match="robots.txt of http://127.0.0.1:\\d+ does not allow"):
        first_hop().fetch(server.base + "/private/page.html")
    assert "/private/page.html" not in [p for p, _ in server.seen]
    assert first_hop(respect_robots=False).fetch(server.base + "/private/page.html").status == 200


def test_robots_server_error_means_disallow_and_missing_means_allow(server: _Server) -> None:
    server.robots_status = 503
    with pytest.raises(RobotsDisallowedError, match="answered HTTP 503"):
        first_hop().fetch(server.base + "/article.html")
    server.robots_status = 404
    assert first_hop().fetch(server.base + "/article.html").status == 200


# ------------------------------------------------------------------ XML


@pytest.mark.parametrize("path", ["/bomb.xml", "/xxe.xml"])
def test_xml_bomb_and_external_entity_feeds_are_refused(server: _Server, path: str) -> None:
    with pytest.raises(InputError, match="refused for safety") as info:
        first_hop().fetch_articles(server.base + path)
    assert server.base + path in str(info.value)

