"""JSON routes under ``/api``: add and fetch articles, compare, list and search events, stories and entities.

Reads are open; writes (``POST /api/articles…``) need the API key. Lists take
``limit``/``offset`` and the filters ``since``, ``until`` (ISO date/time or a
relative ``2d``, ``12h``, ``1w``), ``language``, ``source``, ``entity``, ``place``
and ``q`` (free text), and answer ``{"ok": true, "items": [...], "total", "limit",
"offset", "next_offset"}``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from storyline.web.app import ApiError, Services

router = APIRouter(prefix="/api")

_REL = re.compile(r"^(\d{1,5})\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def writer(request: Request) -> Services:
    """Dependency for writes: the API key must be there."""
    svc = services(request)
    svc.check_key(request.headers)
    return svc


def parse_when(value: str | None, name: str, *, now: datetime | None = None) -> datetime | None:
    """``since``/``until``: an ISO date or date-time (UTC when no zone), or ``2d``/``12h``/``30m``/``1w`` ago.

    >>> now = datetime(2024, 3, 10, tzinfo=timezone.utc)
    >>> parse_when("2d", "since", now=now).isoformat(), parse_when("2024-03-01", "since").isoformat()
    ('2024-03-08T00:00:00+00:00', '2024-03-01T00:00:00+00:00')
    >>> parse_when("yesterday", "since")
    Traceback (most recent call last):
    storyline.web.app.ApiError: since: 'yesterday' is not an ISO date/time or a relative time like 2d, 12h, 1w
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    m = _REL.match(value)
    if m:
        return (now or datetime.now(timezone.utc)) - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        msg = f"{name}: {value!r} is not an ISO date/time or a relative time like 2d, 12h, 1w"
        raise ApiError(400, msg, [msg]) from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class Filters:
    """Query parameters shared by every list route."""

    def __init__(
        self,
        request: Request,
        since: str | None = Query(None, description="ISO date/time, or relative: 2d, 12h, 1w"),
        until: str | None = Query(None, description="ISO date/time, or relative"),
        language: str | None = Query(None, max_length=8, description="ISO 639-1 code, e.g. zh"),
        source: str | None = Query(None, max_length=200, description="outlet"),
        entity: str | None = Query(None, max_length=200, description="entity key or any spelling (Milley finds 米利)"),
        place: str | None = Query(None, max_length=200, description="place id (geonames:290030, iso:QA) or name"),
        q: str | None = Query(None, max_length=500, description="free text"),
        limit: int = Query(50, ge=1, description="page size"),
        offset: int = Query(0, ge=0, le=10_000_000),
    ) -> None:
        max_page = services(request).settings.max_page
        if limit > max_page:
            msg = f"limit: must be at most {max_page}, got {limit}"
            raise ApiError(400, msg, [msg])
        self.values = dict(
            since=parse_when(since, "since"),
            until=parse_when(until, "until"),
            language=(language or "").strip().lower() or None,
            source=source or None,
            entity=entity or None,
            place=place or None,
            q=(q or "").strip() or None,
            limit=limit,
            offset=offset,
        )

    def filter(self, **extra: Any) -> Any:
        from storyline.store.base import EventFilter

        return EventFilter(**{**self.values, **extra})


def page(result: Any) -> dict[str, Any]:
    return {"ok": True, **result.to_json()}


def _not_found(kind: str, key: str) -> ApiError:
    return ApiError(404, f"{kind} not found: {key}")


# ------------------------------------------------------------------ request bodies


class ArticleIn(BaseModel):
    """One article to add."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"title": "Talks resume in Doha", "text": "Negotiators met in Doha on Monday…", "source": "wire"}]})

    title: str = Field("", max_length=1000)
    text: str = Field(..., min_length=1, description="the article text (plain text)")
    url: str | None = Field(None, max_length=2000)
    published_at: datetime | None = None
    source: str | None = Field(None, max_length=200, description="outlet name")
    language: str | None = Field(None, max_length=8, description="what the source claims; detection decides")
    author: str | None = Field(None, max_length=300)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleIn] = Field(..., min_length=1)


class FetchIn(BaseModel):
    """``url``: a page (one article; a feed there gives one per entry) or ``feed``: must be RSS/Atom."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, max_length=2000)
    feed: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _one(self) -> FetchIn:
        if bool(self.url) == bool(self.feed):
            raise ValueError("give exactly one of url or feed")
        return self


class CompareSide(BaseModel):
    """A stored article (``article_id``) or raw text (``text``, optional ``title``)."""

    model_config = ConfigDict(extra="forbid")

    article_id: str | None = Field(None, max_length=64)
    title: str = Field("", max_length=1000)
    text: str | None = None

    @model_validator(mode="after")
    def _one(self) -> CompareSide:
        if bool(self.article_id) == bool(self.text and self.text.strip()):
            raise ValueError("give exactly one of article_id or text")
        return self


class CompareIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"a": {"title": "Quake hits Kabul", "text": "A strong earthquake…"}, "b": {"article_id": "648f39e516351d0a"}}]})

    a: CompareSide
    b: CompareSide


def to_article(item: ArticleIn, where: str, max_chars: int) -> Any:
    from storyline.types import Article

    if len(item.text) > max_chars:
        msg = f"{where}.text: {len(item.text):,} characters, over the limit of {max_chars:,}"
        raise ApiError(413, msg, [msg])
    when = item.published_at
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    meta = {"outlet": item.source} if item.source else {}
    return Article.from_text(
        item.title,
        item.text,
        source=f"api:{item.source}" if item.source else "api",
        published_at=when,
        url=item.url,
        author=item.author,
        language_hint=(item.language or "").lower() or None,
        meta=meta,
    )


# ------------------------------------------------------------------ routes: service


@router.get("", summary="What this server is and holds")
def index(svc: Services = Depends(services)) -> dict[str, Any]:
    from storyline.web.app import _version

    counts = svc.store.counts() if svc.store is not None else None
    return {"ok": True, "name": "storyline", "version": _version(), "counts": counts, "writes": bool(svc.settings.api_key), "docs": "/docs"}


# ------------------------------------------------------------------ routes: articles


@router.post("/articles", status_code=201, summary="Add one article (needs the API key)")
def add_article(item: ArticleIn, svc: Services = Depends(writer)) -> dict[str, Any]:
    from storyline.web.ingest import ingest

    svc.require_store()
    article = to_article(item, "body", svc.settings.max_text_chars)
    [outcome] = ingest(svc, [article])
    if not outcome["ok"]:
        raise ApiError(422, f"article could not be added: {outcome['error']}", [outcome["error"]])
    return {"ok": True, **outcome}


@router.post("/articles/batch", summary="Add many articles; one bad article does not stop the others (needs the API key)")
def add_batch(body: BatchIn, svc: Services = Depends(writer)) -> dict[str, Any]:
    from storyline.web.ingest import ingest, summary

    svc.require_store()
    if len(body.articles) > svc.settings.max_batch:
        msg = f"articles: {len(body.articles)} in one batch, over the limit of {svc.settings.max_batch}"
        raise ApiError(413, msg, [msg])
    articles = [to_article(item, f"articles[{i}]", svc.settings.max_text_chars) for i, item in enumerate(body.articles)]
    outcomes = ingest(svc, articles)
    return {"ok": True, **summary(outcomes), "results": outcomes}


@router.post("/articles/fetch", summary="Fetch a page or a feed by URL and add its articles (needs the API key)")
def add_by_url(body: FetchIn, svc: Services = Depends(writer)) -> dict[str, Any]:
    from storyline.fetch import Fetcher, parse_fetched
    from storyline.web.ingest import ingest, summary

    svc.require_store()
    url = body.url or body.feed or ""
    fetched = Fetcher(svc.settings.fetch).fetch(url)  # FetchError and friends → one JSON error (app handlers)
    if body.feed and fetched.kind != "feed":
        msg = f"feed: {url} is not an RSS or Atom feed (content type {fetched.content_type or 'unknown'}); send it as url"
        raise ApiError(400, msg, [msg])
    items = parse_fetched(fetched)  # a page gives one article, a feed one per entry
    articles = [x for x in items if not hasattr(x, "stage")]
    failures = [x for x in items if hasattr(x, "stage")]
    outcomes = ingest(svc, articles)
    outcomes += [{"ok": False, "status": "failed", "article_id": None, "source": f.source, "error": f.reason} for f in failures]
    return {"ok": True, "url": url, **summary(outcomes), "results": outcomes}


@router.get("/articles", summary="List articles (filters, pagination)")
def list_articles(f: Filters = Depends(), event_id: str | None = Query(None, max_length=64), svc: Services = Depends(services)) -> dict[str, Any]:
    return page(svc.require_store().list_articles(f.filter(), event_id=event_id))


@router.get("/articles/{article_id}", summary="One article, with its profile (entities, places, dates, numbers)")
def get_article(article_id: str, profile: bool = Query(True), svc: Services = Depends(services)) -> dict[str, Any]:
    found = svc.require_store().get_article(article_id, profile=profile)
    if found is None:
        raise _not_found("article", article_id)
    return {"ok": True, "article": found.to_json()}


# ------------------------------------------------------------------ routes: compare


@router.post("/compare", summary="Compare two articles (stored ids or raw text): seven scores, verdict, evidence")
def compare(body: CompareIn, svc: Services = Depends(services)) -> dict[str, Any]:
    result, _, _ = compare_sides(svc, body)
    return {"ok": True, **result.to_json()}


def compare_sides(svc: Services, body: CompareIn) -> tuple[Any, Any, Any]:
    """``(PairScore, article a, article b)`` for a compare request (shared with the compare page)."""
    from storyline.types import Article

    sides = []
    for name, side in (("a", body.a), ("b", body.b)):
        if side.article_id:
            stored = svc.require_store().get_article(side.article_id, profile=False)
            if stored is None:
                raise _not_found("article", side.article_id)
            sides.append(stored.to_article())
        else:
            text = side.text or ""
            if len(text) > svc.settings.max_text_chars:
                msg = f"{name}.text: {len(text):,} characters, over the limit of {svc.settings.max_text_chars:,}"
                raise ApiError(413, msg, [msg])
            sides.append(Article.from_text(side.title, text, source=f"compare:{name}"))
    with svc.lock:
        result = svc.engine.compare(sides[0], sides[1])
    return result, sides[0], sides[1]


# ------------------------------------------------------------------ routes: events, stories, entities


@router.get("/events", summary="List events, most recently seen first (filters, pagination)")
def list_events(f: Filters = Depends(), story_id: str | None = Query(None, max_length=64), svc: Services = Depends(services)) -> dict[str, Any]:
    return page(svc.require_store().list_events(f.filter(story_id=story_id)))


@router.get("/events/{event_id}", summary="One event with its articles")
def get_event(event_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    from storyline.web.geo import place_json

    store = svc.require_store()
    found = store.get_event(event_id)
    if found is None:
        raise _not_found("event", event_id)
    places = [place_json(p) for p in store.event_places(found.event_id)]
    return {"ok": True, "event": {**found.to_json(), "places": places}}


@router.get("/stories", summary="List stories (filters, pagination)")
def list_stories(f: Filters = Depends(), svc: Services = Depends(services)) -> dict[str, Any]:
    return page(svc.require_store().list_stories(f.filter()))


def _story(svc: Services, story_id: str) -> Any:
    found = svc.require_store().get_story(story_id)
    if found is None:
        raise _not_found("story", story_id)
    return found


@router.get("/stories/{story_id}", summary="One story: events, timeline, entities, places, disagreements")
def get_story(story_id: str, svc: Services = Depends(services)) -> Response:
    story = _story(svc, story_id)
    body = svc.rendered("story.json", story_id, story, lambda: json.dumps({"ok": True, "story": _story_json(story)}, ensure_ascii=False).encode("utf-8"))
    return Response(body, media_type="application/json")


def _story_json(story: Any) -> dict[str, Any]:
    """A story's JSON, its places with ``lat``/``lon`` (``null`` for regions)."""
    from storyline.web.geo import place_json

    data = story.to_json()
    data["places"] = [place_json(p) for p in data["places"]]
    return data  # type: ignore[no-any-return]


@router.get("/stories/{story_id}/timeline", summary="A story's events in date order")
def story_timeline(story_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    return {"ok": True, "story_id": story_id, "timeline": _story(svc, story_id).to_json()["timeline"]}


@router.get("/stories/{story_id}/entities", summary="The entities and places of a story")
def story_entities(story_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    data = _story_json(_story(svc, story_id))
    return {"ok": True, "story_id": story_id, "entities": data["entities"], "places": data["places"]}


@router.get("/stories/{story_id}/disagreements", summary="Numbers the articles of a story agree or disagree on")
def story_disagreements(story_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    return {"ok": True, "story_id": story_id, "disagreements": _story(svc, story_id).to_json()["disagreements"]}


@router.get("/entities", summary="List entities (filters, pagination)")
def list_entities(f: Filters = Depends(), svc: Services = Depends(services)) -> dict[str, Any]:
    return page(svc.require_store().list_entities(f.filter()))


@router.get("/entities/{key}", summary="One entity with its name variants per language")
def get_entity(key: str, svc: Services = Depends(services)) -> dict[str, Any]:
    found = svc.require_store().get_entity(key)
    if found is None:
        raise _not_found("entity", key)
    return {"ok": True, "entity": found.to_json()}


@router.get("/search", summary="Search stories, events and articles at once (same filters; q is free text)")
def search(
    f: Filters = Depends(),
    kind: Literal["all", "stories", "events", "articles"] = Query("all"),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    store = svc.require_store()
    out: dict[str, Any] = {"ok": True, "q": f.values["q"]}
    flt = f.filter()
    if kind in ("all", "stories"):
        out["stories"] = store.list_stories(flt).to_json()
    if kind in ("all", "events"):
        out["events"] = store.list_events(flt).to_json()
    if kind in ("all", "articles"):
        out["articles"] = store.list_articles(flt).to_json()
    return out
