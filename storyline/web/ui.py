"""HTML pages: current stories, a story, an event, an article, an entity, compare, search.

Templates live in ``storyline/web/templates``; Jinja2 autoescaping is on for every
template, so article text is always escaped. Pages send a Content-Security-Policy
that allows scripts from ``/static`` only (no inline script), as a second wall.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from storyline.web.app import ApiError, Services
from storyline.web.views import VERDICT_TEXT, evidence_marks, highlight, language_name, map_picture, score_bars, timeline_picture

router = APIRouter(include_in_schema=False)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_ENV: list[Any] = []


def _env() -> Any:
    if not _ENV:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.PackageLoader("storyline.web", "templates"),
            autoescape=True,  # every template, whatever its name
            undefined=jinja2.ChainableUndefined,  # records differ in their fields: a missing one renders empty
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals.update(language_name=language_name, verdict_text=VERDICT_TEXT)
        env.filters["day"] = lambda v: str(v)[:10] if v else ""
        env.filters["outlet"] = short_outlet
        env.filters["when"] = lambda v: str(v)[:16].replace("T", " ") if v else ""
        _ENV.append(env)
    return _ENV[0]


def short_outlet(value: object) -> str:
    """An outlet as shown: a file path shortened to its file name.

    >>> short_outlet("/work/samples/03_de_doha.txt"), short_outlet("bbc.co.uk"), short_outlet(None)
    ('03_de_doha.txt', 'bbc.co.uk', '')
    """
    text = str(value or "")
    return text.rsplit("/", 1)[-1] if "/" in text and "://" not in text else text


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return page_response(render_html(request, name, **context), status)


def render_html(request: Request, name: str, **context: Any) -> str:
    return _env().get_template(name).render(request_path=request.url.path, **context)  # type: ignore[no-any-return]


def page_response(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})


def error_page(request: Request, status: int, error: str, errors: list[str]) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, error=error, errors=errors)


def _svc(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _filter(**values: Any) -> Any:
    from storyline.store.base import EventFilter

    return EventFilter(**values)


# ------------------------------------------------------------------ pages


@router.get("/", response_class=HTMLResponse)
def front_page(request: Request, offset: int = 0) -> HTMLResponse:
    svc = _svc(request)
    if svc.store is None:
        return render(request, "index.html", stories=None, counts=None, offset=0, next_offset=None)
    stories = svc.store.list_stories(_filter(limit=30, offset=max(0, offset)))
    return render(request, "index.html", stories=stories.items, counts=svc.store.counts(), offset=offset, next_offset=stories.next_offset, total=stories.total)


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(request: Request, story_id: str) -> HTMLResponse:
    svc = _svc(request)
    story = svc.require_store().get_story(story_id)
    if story is None:
        raise ApiError(404, f"story not found: {story_id}")

    def build() -> str:
        data = story.to_json()
        by_language: dict[str, list[dict[str, Any]]] = {}
        for event in data["events"]:
            for article in event.get("articles") or []:
                by_language.setdefault(article.get("language") or "xx", []).append({**article, "event_id": event["event_id"]})
        groups = sorted(by_language.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        places_map = map_picture(data["places"]) if data["places"] else None
        return render_html(request, "story.html", story=data, picture=timeline_picture(data["timeline"]), groups=groups, places_map=places_map)

    return page_response(svc.rendered("story.html", story_id, story, build))  # rebuilt when the story changes


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: str) -> HTMLResponse:
    store = _svc(request).require_store()
    event = store.get_event(event_id)
    if event is None:
        raise ApiError(404, f"event not found: {event_id}")
    places = list(store.event_places(event.event_id))
    return render(request, "event.html", event=event.to_json(), places=places, places_map=map_picture(places) if places else None)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str) -> HTMLResponse:
    article = _svc(request).require_store().get_article(article_id, profile=True)
    if article is None:
        raise ApiError(404, f"article not found: {article_id}")
    data = article.to_json()
    paragraphs = [p for p in article.text.split("\n") if p.strip()]
    places = [{**p, "n_articles": 1} for p in data.get("places") or []]
    return render(request, "article.html", article=data, paragraphs=paragraphs, profile=data.get("profile") or {},
                  places_map=map_picture(places) if places else None)


@router.get("/entities/{key}", response_class=HTMLResponse)
def entity_page(request: Request, key: str) -> HTMLResponse:
    entity = _svc(request).require_store().get_entity(key)
    if entity is None:
        raise ApiError(404, f"entity not found: {key}")
    return render(request, "entity.html", entity=entity.to_json())


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = "", language: str = "", since: str = "", until: str = "", source: str = "", entity: str = "", place: str = "") -> HTMLResponse:
    from storyline.web.api import parse_when

    svc = _svc(request)
    form = {"q": q, "language": language, "since": since, "until": until, "source": source, "entity": entity, "place": place}
    if not any(v.strip() for v in form.values()):
        return render(request, "search.html", form=form, stories=None, events=None, articles=None)
    store = svc.require_store()
    flt = _filter(
        q=q.strip() or None,
        language=language.strip().lower() or None,
        since=parse_when(since, "since"),
        until=parse_when(until, "until"),
        source=source.strip() or None,
        entity=entity.strip() or None,
        place=place.strip() or None,
        limit=20,
    )
    return render(request, "search.html", form=form, stories=store.list_stories(flt), events=store.list_events(flt), articles=store.list_articles(flt))


@router.get("/compare", response_class=HTMLResponse)
def compare_form(request: Request, a: str = "", b: str = "") -> HTMLResponse:
    """The empty form; ``?a=ID&b=ID`` compares two stored articles at once."""
    if a and b:
        from storyline.web.api import CompareIn, CompareSide

        return _compare(request, CompareIn(a=CompareSide(article_id=a), b=CompareSide(article_id=b)), {"a_title": "", "a_text": "", "b_title": "", "b_text": ""})
    return render(request, "compare.html", form={"a_title": "", "a_text": "", "b_title": "", "b_text": ""}, result=None)


@router.post("/compare", response_class=HTMLResponse)
async def compare_submit(request: Request) -> HTMLResponse:
    """The form posted (application/x-www-form-urlencoded): two titles and two texts."""
    from starlette.concurrency import run_in_threadpool

    from storyline.web.api import CompareIn, CompareSide

    body = (await request.body()).decode("utf-8", "replace")
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    form = {k: fields.get(k, "") for k in ("a_title", "a_text", "b_title", "b_text")}
    missing = [f"{side}_text: paste a text" for side in ("a", "b") if not form[f"{side}_text"].strip()]
    if missing:
        return render(request, "compare.html", status=400, form=form, result=None, errors=missing)
    body_in = CompareIn(a=CompareSide(title=form["a_title"], text=form["a_text"]), b=CompareSide(title=form["b_title"], text=form["b_text"]))
    return await run_in_threadpool(_compare, request, body_in, form)


def _compare(request: Request, body: Any, form: dict[str, str]) -> HTMLResponse:
    from storyline.web.api import compare_sides

    result, a, b = compare_sides(_svc(request), body)
    data = result.to_json()
    texts = []
    for side, article in (("a", a), ("b", b)):
        marks = evidence_marks(data["evidence"], side)
        texts.append(
            {
                "side": side,
                "title": article.title,
                "segments": highlight(article.text, marks),
                "title_segments": highlight(article.title, [m for m in marks if m[1] != "sentence"]),
                "languages": data["languages"][side],
            }
        )
    if not form["a_text"] and not form["b_text"]:
        form = {"a_title": a.title, "a_text": a.text, "b_title": b.title, "b_text": b.text}
    return render(request, "compare.html", form=form, result=data, bars=score_bars(data["scores"]), texts=texts)
