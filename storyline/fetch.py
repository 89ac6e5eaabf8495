"""Fetch pages and feeds from the web, safely: bounded size, time and redirects, robots.txt, no private targets.

Every connection (the first request, every redirect hop and every robots.txt)
resolves the host name itself, refuses it when ANY address it resolves to is
not a global unicast address (loopback, private, link-local, unique-local,
carrier-grade NAT, multicast, reserved, unspecified, and IPv4 addresses hidden
in IPv6 forms such as ``::ffff:127.0.0.1``), and then connects to the very
address it vetted, so a DNS answer that changes between the check and the
connection (DNS rebinding) cannot smuggle a private target in. TLS still
verifies the certificate against the host name from the URL.

Feeds are checked with defusedxml (no DTDs, no entity declarations, no
external references) before :func:`storyline.ingest.parse_feed` reads them,
and that parser refuses entity declarations on its own too.

>>> check_address("127.0.0.1")
'a loopback address'
>>> check_address("::ffff:10.0.0.7")
'an IPv4-mapped private address'
>>> check_address("93.184.216.34") is None
True
>>> Fetcher(FetchPolicy()).fetch("http://127.0.0.1:9/")
Traceback (most recent call last):
storyline.fetch.BlockedAddressError: [E111] http://127.0.0.1:9/: refused: 127.0.0.1 is a loopback address (fetching private, loopback and link-local addresses is off; FetchPolicy(allow_private=True) allows it)
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
import urllib.parse
import urllib.robotparser
from dataclasses import dataclass, field
from typing import Any, Iterable

from storyline.errors import InputError, TooLargeError
from storyline.types import Article, RecordError

__all__ = [
    "BlockedAddressError",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "Fetcher",
    "RobotsDisallowedError",
    "check_address",
    "default_user_agent",
]

_REDIRECTS = (301, 302, 303, 307, 308)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf)[\s>]")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml")


class FetchError(InputError):
    """A URL could not be fetched: network error, bad status, too many redirects, too slow."""

    code = "E110"


class BlockedAddressError(FetchError):
    """The URL (or a redirect) points at a private, loopback, link-local or otherwise non-global address."""

    code = "E111"


class RobotsDisallowedError(FetchError):
    """The site's robots.txt does not allow storyline to fetch this URL."""

    code = "E112"


def default_user_agent() -> str:
    """An honest user agent: who we are, which version, and that robots.txt is respected.

    >>> default_user_agent().startswith("storyline/")
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("storyline")
    except PackageNotFoundError:  # running from a source tree that is not installed
        v = "dev"
    return f"storyline/{v} (open-source news reader; fetches articles and feeds it is given; respects robots.txt)"


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for fetching.

    ``timeout`` bounds the whole fetch (all hops, robots.txt included) in seconds.
    ``allow_private`` lets every hop reach non-global addresses (an intranet
    deployment); ``allow_private_first_hop`` lets only the URL you gave reach one,
    never a redirect (tests run their server on loopback with it).
    """

    max_bytes: int = 5_000_000
    timeout: float = 15.0
    max_redirects: int = 5
    user_agent: str = field(default_factory=default_user_agent)
    respect_robots: bool = True
    allow_private: bool = False
    allow_private_first_hop: bool = False
    robots_max_bytes: int = 500_000


@dataclass(frozen=True)
class FetchResult:
    """What came back: the final URL after redirects, its status, type and body."""

    url: str
    requested_url: str
    status: int
    content_type: str
    body: bytes
    redirects: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """``"feed"``, ``"html"`` or ``"text"``, from the content type and the first bytes."""
        head = self.body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if self.content_type in _FEED_TYPES[:3] or _FEED_ROOT.search(head):
            return "feed"
        if self.content_type in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype html", b"<html")):
            return "html"
        return "text"


# ------------------------------------------------------------------ address checks


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of non-global address ``ip`` is, or None for a global unicast address."""
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "carrier-grade NAT"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-global"
    return None


def check_address(address: str) -> str | None:
    """Why ``address`` may not be fetched (e.g. ``"a loopback address"``), or None when it is global.

    IPv4 addresses inside IPv6 (mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64)
    are checked as the IPv4 address they carry.

    >>> [check_address(a) for a in ("10.1.2.3", "169.254.169.254", "::1", "fe80::1", "fc00::1", "2002:7f00:1::1")]
    ['a private address', 'a link-local address', 'a loopback address', 'a link-local address', 'a private address', 'a 6to4 loopback address']
    >>> check_address("100.64.0.1"), check_address("0.0.0.0"), check_address("2130706433")
    ('a carrier-grade NAT address', 'an unspecified address', 'a loopback address')
    """
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        ip = ipaddress.IPv4Address(int(address)) if address.isdigit() else ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[tuple[str, ipaddress.IPv4Address | None]] = [
            ("IPv4-mapped", ip.ipv4_mapped),
            ("6to4", ip.sixtofour),
            ("Teredo", ip.teredo[1] if ip.teredo else None),
            ("NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None),
        ]
        for label, inner in embedded:
            if inner is not None:
                kind = _kind(inner)
                if kind is None:
                    return None
                return f"{'an' if label[0] in 'IA' else 'a'} {label} {kind} address"
    kind = _kind(ip)
    if kind is None:
        return None
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host!r}: {exc.strerror or exc}") from None
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in seen:
            seen.append(addr)
    return seen


class _Refused(Exception):
    """Raised inside the connection: carried out of httpcore and turned into BlockedAddressError."""

    def __init__(self, host: str, address: str, why: str) -> None:
        super().__init__(f"{host} resolves to {address}, {why}")
        self.host, self.address, self.why = host, address, why


class _VettingBackend:
    """An httpcore network backend that resolves, vets, then connects to the vetted address."""

    def __init__(self, allow_private: bool) -> None:
        import httpcore

        self.allow_private = allow_private
        self.inner = httpcore.SyncBackend()
        self.connected: list[str] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None, socket_options: Iterable[Any] | None = None) -> Any:
        addresses = _resolve(host, port)
        if not self.allow_private:
            for address in addresses:  # every answer must be global, not only the one we would use
                why = check_address(address)
                if why is not None:
                    raise _Refused(host, address, why)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address, socket_options=socket_options)
            except Exception as exc:  # try the next address, like socket.create_connection does
                last = exc
                continue
            self.connected.append(address)
            return stream
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
        raise _Refused("unix socket", "-", "not a network address")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# ------------------------------------------------------------------ the fetcher


class Fetcher:
    """Fetches URLs under a :class:`FetchPolicy`; keeps robots.txt answers per origin.

    One ``Fetcher`` per job: it holds no connections between calls.
    """

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy if policy is not None else FetchPolicy()
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    # -- public

    def fetch(self, url: str) -> FetchResult:
        """GET ``url`` following at most ``max_redirects`` redirects; raise :class:`FetchError` (or a subclass)."""
        policy = self.policy
        deadline = time.monotonic() + policy.timeout
        current = url
        redirects: list[str] = []
        for hop in range(policy.max_redirects + 1):
            allow = policy.allow_private or (hop == 0 and policy.allow_private_first_hop)
            parts = self._check_url(current, url, hop)
            redirect = current if hop else None
            if policy.respect_robots:
                self._check_robots(current, parts, url, allow, deadline, redirect)
            status, headers, body = self._get(current, url, allow, deadline, policy.max_bytes, redirect)
            if status in _REDIRECTS and "location" in headers:
                target = urllib.parse.urljoin(current, headers["location"])
                redirects.append(target)
                current = target
                continue
            if status >= 400:
                raise FetchError(url, f"HTTP {status} from {current}")
            if status != 200:
                raise FetchError(url, f"unexpected HTTP {status} from {current}")
            ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            return FetchResult(current, url, status, ctype, body, tuple(redirects), headers)
        raise FetchError(url, f"too many redirects (more than {policy.max_redirects}): {' -> '.join([url, *redirects])}")

    def fetch_articles(self, url: str) -> list[Article | RecordError]:
        """The article(s) at ``url``: one for a page, one per entry for a feed (bad entries as RecordError)."""
        result = self.fetch(url)
        return parse_fetched(result)

    # -- steps

    def _check_url(self, current: str, original: str, hop: int) -> urllib.parse.SplitResult:
        try:
            parts = urllib.parse.urlsplit(current)
            parts.port  # noqa: B018  (raises ValueError on a bad port)
        except ValueError as exc:
            raise FetchError(original, f"bad URL {current!r}: {exc}") from None
        where = "redirect to " if hop else ""
        if parts.scheme not in ("http", "https"):
            raise BlockedAddressError(original, f"refused: {where}{current!r} is not an http(s) URL (scheme {parts.scheme or 'missing'!r})")
        if not parts.hostname:
            raise FetchError(original, f"bad URL {current!r}: no host name")
        if parts.username or parts.password:
            raise FetchError(original, f"refused: {where}{current!r} carries a user name or password")
        return parts

    def _get(self, url: str, original: str, allow: bool, deadline: float, limit: int, redirect: str | None) -> tuple[int, dict[str, str], bytes]:
        """One GET. ``redirect`` is the redirect target being followed (named in refusals), None on the first hop."""
        import httpcore

        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(original, f"timed out after {self.policy.timeout:g} s (at {url})")
        backend = _VettingBackend(allow)
        headers = [
            (b"User-Agent", self.policy.user_agent.encode("ascii", "replace")),
            (b"Accept", b"text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"),
            (b"Accept-Encoding", b"identity"),
        ]
        timeouts = {"connect": remaining, "read": remaining, "write": remaining, "pool": remaining}
        try:
            with httpcore.ConnectionPool(network_backend=backend, max_connections=1, retries=0) as pool:
                with pool.stream("GET", url, headers=headers, extensions={"timeout": timeouts}) as response:
                    resp_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
                    if response.status in _REDIRECTS:
                        return response.status, resp_headers, b""
                    encoding = resp_headers.get("content-encoding", "identity").strip().lower()
                    if encoding not in ("", "identity"):
                        # we asked for identity; decompressing unasked-for gzip/br would need its own bomb limits
                        raise FetchError(original, f"{url} sent a {encoding}-compressed body although identity was asked for")
                    declared = resp_headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise TooLargeError(original, f"{url} is {int(declared):,} bytes, over the limit of {limit:,} bytes")
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in response.iter_stream():
                        size += len(chunk)
                        if size > limit:
                            raise TooLargeError(original, f"{url} sent more than the limit of {limit:,} bytes")
                        if time.monotonic() > deadline:
                            raise FetchError(original, f"timed out after {self.policy.timeout:g} s reading {url}")
                        chunks.append(chunk)
                    return response.status, resp_headers, b"".join(chunks)
        except _Refused as exc:
            where = f"redirect to {redirect} refused" if redirect else "refused"
            shown = exc.address if exc.host == exc.address else f"{exc.host} resolves to {exc.address}, which"
            raise BlockedAddressError(
                original,
                f"{where}: {shown} is {exc.why} (fetching private, loopback and link-local addresses is off; "
                "FetchPolicy(allow_private=True) allows it)",
            ) from None
        except httpcore.TimeoutException:
            raise FetchError(original, f"timed out after {self.policy.timeout:g} s (at {url})") from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, OSError) as exc:
            raise FetchError(original, f"cannot fetch {url}: {exc or type(exc).__name__}") from None

    def _check_robots(self, url: str, parts: urllib.parse.SplitResult, original: str, allow: bool, deadline: float, redirect: str | None) -> None:
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin, original, allow, deadline, redirect)
        parser = self._robots[origin]
        if parser is not None and not parser.can_fetch(self.policy.user_agent, url):
            raise RobotsDisallowedError(original, f"robots.txt of {origin} does not allow fetching {url}")

    def _load_robots(self, origin: str, original: str, allow: bool, deadline: float, redirect: str | None) -> urllib.robotparser.RobotFileParser | None:
        """RFC 9309: 4xx means no rules; 5xx or unreachable means everything is disallowed."""
        robots_url = origin + "/robots.txt"
        status = 0
        body = b""
        for _ in range(self.policy.max_redirects + 1):
            try:
                status, headers, body = self._get(robots_url, original, allow, deadline, self.policy.robots_max_bytes, redirect)
            except TooLargeError:
                return None  # RFC 9309 lets us read the first 500 KiB; an oversized file means no rules we can use
            except BlockedAddressError:
                raise
            except FetchError as exc:
                raise RobotsDisallowedError(original, f"robots.txt of {origin} could not be read ({exc.reason}); not fetching") from None
            if status in _REDIRECTS and "location" in headers:
                target = urllib.parse.urljoin(robots_url, headers["location"])
                if urllib.parse.urlsplit(target).netloc != urllib.parse.urlsplit(robots_url).netloc:
                    return None  # a robots.txt redirected elsewhere: no rules for this origin
                robots_url = target
                continue
            break
        if 400 <= status < 500:
            return None
        if status >= 500 or status != 200:
            raise RobotsDisallowedError(original, f"robots.txt of {origin} answered HTTP {status}; not fetching")
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return parser


# ------------------------------------------------------------------ bytes to articles


def refuse_unsafe_xml(raw: bytes, source: str) -> None:
    """Raise :class:`InputError` when ``raw`` declares a DTD, entities or external references.

    >>> refuse_unsafe_xml(b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><rss/>', "feed.xml")
    Traceback (most recent call last):
    storyline.errors.InputError: [E101] feed.xml: XML refused for safety: DTD or entity declarations are not allowed (DTDForbidden)
    >>> refuse_unsafe_xml(b'<rss version="2.0"><channel/></rss>', "feed.xml")
    """
    import xml.etree.ElementTree as ET

    import defusedxml
    import defusedxml.ElementTree

    try:
        defusedxml.ElementTree.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise InputError(source, f"XML refused for safety: DTD or entity declarations are not allowed ({type(exc).__name__})") from None
    except ET.ParseError:
        return  # not well-formed XML: the lenient feed parser decides (it refuses DOCTYPE/ENTITY itself)


def parse_fetched(result: FetchResult) -> list[Article | RecordError]:
    """Turn fetched bytes into articles: a feed gives one per entry, a page or text one.

    The article's ``url`` is the final URL; its ``source`` is ``url:<final url>``
    (``feed:<url>#entry-<i>`` for feed entries).
    """
    from storyline.ingest import decode_bytes, parse_feed, parse_html, parse_text

    kind = result.kind
    if kind == "feed":
        refuse_unsafe_xml(result.body, result.url)
        return parse_feed(result.body, result.url)
    if kind == "html":
        article = parse_html(result.body, f"url:{result.url}")
    else:
        article = parse_text(decode_bytes(result.body, result.url), f"url:{result.url}")
    return [article if article.url else article.replace(url=result.url)]
