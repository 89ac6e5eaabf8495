"""The ASGI app: JSON API under ``/api``, HTML pages elsewhere, OpenAPI at ``/docs``.

Every JSON error has ONE shape, ``{"ok": false, "error": "...", "errors": [...], "status": N}``
(validation errors list one ``"field: reason"`` per problem); every JSON success has
``"ok": true``. Writes need the API key in an ``X-API-Key`` header (or
``Authorization: Bearer KEY``); reads are open. Request bodies are capped at
``max_body_bytes``.

>>> import httpx, asyncio
>>> app = create_app(None, settings=WebSettings(api_key="k"))
>>> async def get(path):
...     async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
...         return (await c.get(path)).json()
>>> asyncio.run(get("/api/nothing-here"))
{'ok': False, 'error': 'not found: /api/nothing-here', 'errors': [], 'status': 404}
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from storyline.errors import InputError, StorylineError
from storyline.fetch import BlockedAddressError, FetchPolicy, RobotsDisallowedError

__all__ = ["ApiError", "Services", "WebSettings", "create_app"]

log = logging.getLogger("storyline.web")

DEFAULT_MAX_BODY = 2_000_000


@dataclass(frozen=True)
class WebSettings:
    """Settings of the web app.

    ``api_key`` None means writes are disabled (every write answers 403 saying how to
    enable them). ``max_text_chars`` bounds one article's text, ``max_batch`` the
    articles of one batch, ``max_page`` the page size.
    """

    api_key: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_text_chars: int = 200_000
    max_batch: int = 200
    max_page: int = 200
    fetch: FetchPolicy = field(default_factory=FetchPolicy)

    @classmethod
    def from_env(cls, **overrides: Any) -> WebSettings:
        """Settings from ``STORYLINE_API_KEY`` and ``STORYLINE_MAX_BODY_BYTES``, then ``overrides``.

        >>> WebSettings.from_env(api_key="x").api_key
        'x'
        """
        values: dict[str, Any] = {}
        if os.environ.get("STORYLINE_API_KEY"):
            values["api_key"] = os.environ["STORYLINE_API_KEY"]
        if os.environ.get("STORYLINE_MAX_BODY_BYTES", "").isdigit():
            values["max_body_bytes"] = int(os.environ["STORYLINE_MAX_BODY_BYTES"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class ApiError(Exception):
    """An error answered with the one JSON error shape (or the HTML error page)."""

    def __init__(self, status: int, error: str, errors: list[str] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.errors = errors or []
        self.headers = headers or {}


def error_body(status: int, error: str, errors: list[str] | None = None) -> dict[str, Any]:
    """The one error shape.

    >>> error_body(404, "story not found: s1")
    {'ok': False, 'error': 'story not found: s1', 'errors': [], 'status': 404}
    """
    return {"ok": False, "error": error, "errors": list(errors or []), "status": status}


class Services:
    """What the routes share: the store, the engine (loaded on first use), settings, one lock for the engine.

    The engine (models) and the pipeline (the clusterer) are not thread-safe: every call
    that profiles, compares or ingests holds ``lock``. Store reads need no lock.
    """

    def __init__(self, store: Any, settings: WebSettings, engine: Any = None, pipeline: Any = None) -> None:
        self.store = store
        self.settings = settings
        self._engine = engine
        self._pipeline = pipeline
        self.lock = threading.RLock()
        self._rendered: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._rendered_lock = threading.Lock()

    def rendered(self, kind: str, key: str, record: Any, build: Callable[[], Any], size: int = 128) -> Any:
        """``build()`` for an immutable store ``record``, kept while the store hands back that same object.

        The store keeps a story per revision (:meth:`storyline.store.sql.SQLStore.get_story`), so a
        page or JSON body built from it is rebuilt only when the story changed.
        """
        with self._rendered_lock:
            hit = self._rendered.get((kind, key))
        if hit is not None and hit[0] is record:
            return hit[1]
        value = build()
        with self._rendered_lock:
            if len(self._rendered) >= size:
                self._rendered.pop(next(iter(self._rendered)))
            self._rendered[(kind, key)] = (record, value)
        return value

    @property
    def engine(self) -> Any:
        with self.lock:
            if self._engine is None:
                from storyline.engine import Engine

                self._engine = Engine()
            return self._engine

    @property
    def pipeline(self) -> Any:
        """The ingest pipeline over ``store`` (built on first use; see :mod:`storyline.web.ingest`)."""
        with self.lock:
            if self._pipeline is None:
                from storyline.web.ingest import make_pipeline

                self._pipeline = make_pipeline(self.store, self.engine)
            return self._pipeline

    def require_store(self) -> Any:
        if self.store is None:
            raise ApiError(503, "this server has no store (start it with storyline serve --db PATH)")
        return self.store

    def check_key(self, headers: Any) -> None:
        """Raise 401/403 unless ``headers`` carry the configured API key."""
        expected = self.settings.api_key
        if not expected:
            raise ApiError(403, "writes are disabled: this server has no API key (set STORYLINE_API_KEY or serve --api-key)")
        given = headers.get("x-api-key")
        auth = headers.get("authorization", "")
        if given is None and auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given:
            raise ApiError(401, "this request writes and needs the API key in an X-API-Key header", headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8")):
            raise ApiError(403, "wrong API key")


# ------------------------------------------------------------------ body size limit (pure ASGI)


def _too_large(limit: int, size: int | None) -> str:
    said = f"{size:,} bytes" if size is not None else "over the limit"
    return f"request body is {said}; the limit is {limit:,} bytes"


def _body_too_large(limit: int) -> Exception:
    """An HTTPException (so FastAPI's body reader passes it on unchanged) with status 413."""
    from starlette.exceptions import HTTPException

    return HTTPException(413, _too_large(limit, None))


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by Content-Length and while streaming."""

    def __init__(self, app: Callable[..., Awaitable[None]], max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]], send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._refuse(scope, send, int(value))
                return
        seen = 0
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _body_too_large(limit)
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        from starlette.exceptions import HTTPException

        try:
            await self.app(scope, limited_receive, tracking_send)
        except HTTPException as exc:  # raised while reading the body outside FastAPI's handlers
            if exc.status_code != 413 or started:
                raise
            await self._refuse(scope, send, None)

    async def _refuse(self, scope: dict[str, Any], send: Callable[[dict[str, Any]], Awaitable[None]], size: int | None) -> None:
        body = json.dumps(error_body(413, _too_large(self.max_bytes, size))).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------ the app


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def create_app(store: Any = None, *, settings: WebSettings | None = None, engine: Any = None, pipeline: Any = None) -> Any:
    """The storyline ASGI app over ``store`` (a :class:`storyline.store.Store`, or None for compare only).

    ``engine`` (an :class:`storyline.engine.Engine`) is created on first use when omitted;
    ``pipeline`` (the ingest pipeline) likewise.
    """
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from storyline.web import api, ui

    settings = settings if settings is not None else WebSettings.from_env()
    services = Services(store, settings, engine=engine, pipeline=pipeline)
    from fastapi_offline import FastAPIOffline  # /docs with Swagger UI served from the package, not a CDN

    app: FastAPI = FastAPIOffline(
        docs_url="/docs",
        redoc_url=None,
        static_url="/static/docs",
        title="storyline",
        summary="Which news articles, in any language, report the same story.",
        version=_version(),
        openapi_url="/openapi.json",
    )
    app.state.services = services

    def respond(request: Request, status: int, error: str, errors: list[str] | None = None, headers: dict[str, str] | None = None) -> Any:
        if _is_api(request.url.path) or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse(error_body(status, error, errors), status_code=status, headers=headers)
        return ui.error_page(request, status, error, errors or [])

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Any:
        return respond(request, exc.status, exc.error, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Any:
        errors = [_validation_line(e) for e in exc.errors()]
        return respond(request, 400, "invalid request: " + "; ".join(errors), errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        if exc.status_code == 404:
            return respond(request, 404, f"not found: {request.url.path}")
        if exc.status_code == 405:
            return respond(request, 405, f"method {request.method} not allowed on {request.url.path}", headers=getattr(exc, "headers", None))
        return respond(request, exc.status_code, str(exc.detail))

    @app.exception_handler(StorylineError)
    async def _storyline(request: Request, exc: StorylineError) -> Any:
        status = 400
        if isinstance(exc, (BlockedAddressError, RobotsDisallowedError)):
            status = 422
        elif type(exc).__name__ == "TooLargeError":
            status = 413
        elif not isinstance(exc, InputError):
            status = 500 if type(exc).__name__ in ("ModelError", "StoreError") else 400
        return respond(request, status, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Any:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return respond(request, 500, f"internal error ({type(exc).__name__}); see the server log")

    app.include_router(api.router)
    app.include_router(ui.router)
    app.mount("/static", StaticFiles(packages=[("storyline.web", "static")]), name="static")
    if settings.max_body_bytes:
        app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def _validation_line(error: dict[str, Any]) -> str:
    """``"body.a.text: Field required"`` style, without pydantic's noise.

    >>> _validation_line({"loc": ("body", "articles", 0, "text"), "msg": "Field required"})
    'articles[0].text: Field required'
    >>> _validation_line({"loc": ("query", "limit"), "msg": "Input should be less than or equal to 200"})
    'limit: Input should be less than or equal to 200'
    """
    out = ""
    for part in error.get("loc", ())[1:] or error.get("loc", ()):
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    msg = str(error.get("msg", "invalid"))
    return f"{out or 'body'}: {msg}"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("storyline")
    except PackageNotFoundError:
        return "dev"
