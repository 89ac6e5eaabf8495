"""The web service: a JSON API (``/api``, OpenAPI at ``/docs``) and HTML pages over a store.

>>> from storyline.web import create_app, WebSettings
>>> app = create_app(None, settings=WebSettings(api_key="secret"))
>>> sorted(p for p in app.openapi()["paths"] if p.startswith("/api/stories"))
['/api/stories', '/api/stories/{story_id}', '/api/stories/{story_id}/disagreements', '/api/stories/{story_id}/entities', '/api/stories/{story_id}/timeline']
"""

from storyline.web.app import WebSettings, create_app

__all__ = ["WebSettings", "create_app"]
