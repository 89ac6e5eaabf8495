"""Storage: articles, profiles, events, stories and their links, in SQLite (default) or PostgreSQL.

>>> from storyline.store import open_store, EventFilter
>>> EventFilter().limit
50
"""

from storyline.store.base import (
    AddResult,
    ArticleRef,
    CopyEdge,
    EntityRecord,
    EventFilter,
    EventRecord,
    FailureRecord,
    MergeRecord,
    NewArticle,
    Page,
    Store,
    StoredArticle,
    StoreError,
    StoryRecord,
    WriteBatch,
    default_db,
    open_store,
)

__all__ = [
    "AddResult",
    "ArticleRef",
    "CopyEdge",
    "EntityRecord",
    "EventFilter",
    "EventRecord",
    "FailureRecord",
    "MergeRecord",
    "NewArticle",
    "Page",
    "Store",
    "StoreError",
    "StoredArticle",
    "StoryRecord",
    "WriteBatch",
    "default_db",
    "open_store",
]
