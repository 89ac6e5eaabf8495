"""Stories: events linked over longer windows (days to months) by shared names, places and embeddings.

The 2018 and 2020 rounds of US–Taliban talks are two *events* of one *story*.
:class:`StoryLinker` reads the events an :class:`~storyline.cluster.events.EventClusterer`
holds and links each to the best earlier story, river-style.

>>> from storyline.cluster.events import EventClusterer
>>> from storyline.cluster.testing import toy_profile
>>> events = EventClusterer()
>>> docs = [([1, 0.0], "2018-07-23", "First talks. Envoy Khalilzad met the Taliban in Doha."),
...         ([1, 0.3], "2020-02-29", "Deal signed. In Doha the Taliban and Khalilzad signed a deal."),
...         ([0, 1.0], "2020-03-01", "Markets slide. The Nikkei fell in Tokyo on Monday.")]
>>> for i, (vec, day, text) in enumerate(docs):
...     _ = events.learn_one(toy_profile(f"a{i}", vec, text.split(".")[0], text=text, day=day))
>>> linker = StoryLinker()
>>> stories = linker.link_many(events)
>>> len(events.events_), len(set(stories.values()))
(3, 2)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from storyline.errors import invalid_parameter


@dataclass
class StoryState:
    """One story: its events and what they share (learned state)."""

    story_id: str
    events: list[str] = field(default_factory=list)
    vector_sum: np.ndarray | None = None
    names: dict[str, int] = field(default_factory=dict)  # name -> events naming it
    first_day: date | None = None
    last_day: date | None = None
    norm: float | None = field(default=None, repr=False)  # of vector_sum, kept by add_vector (None: not known yet)

    def add_vector(self, vector: np.ndarray) -> None:
        """Add an event centroid to the story's sum (and keep its norm: stories are scored far more often than they grow)."""
        self.vector_sum = vector.copy() if self.vector_sum is None else self.vector_sum + vector
        self.norm = float(np.linalg.norm(self.vector_sum))

    @property
    def centroid(self) -> np.ndarray:
        """The unit mean of the events' centroids.

        >>> s = StoryState("s1")
        >>> s.add_vector(np.array([3.0, 0.0])); s.add_vector(np.array([0.0, 4.0]))
        >>> s.centroid.tolist(), s.norm
        ([0.6, 0.8], 5.0)
        """
        assert self.vector_sum is not None
        if self.norm is None:  # a story pickled before it kept its norm
            self.norm = float(np.linalg.norm(self.vector_sum))
        return self.vector_sum / self.norm if self.norm > 0 else self.vector_sum


def _event_names(event: Any, k: int = 8) -> set[str]:
    """Names that at least a third of the event's members use (all scripts), top ``k``
    (ties, as in a one-article event: the names its representatives mention most often)."""
    from storyline.cluster.features import name_counts

    if getattr(event, "top_names", None) is not None:  # a retired event keeps only these
        return set(event.top_names[:k])
    counts: dict[str, int] = {}
    for table in event.name_df.values():
        for name, n in table.items():
            counts[name] = counts.get(name, 0) + n
    mentions: dict[str, int] = {}
    for digest in event.representatives:
        for name, n in name_counts(digest.profile).items():
            mentions[name] = mentions.get(name, 0) + n
    n_members = max(1, len(event.members))
    keep = [n for n in sorted(counts, key=lambda n: (-counts[n], -mentions.get(n, 0), n)) if counts[n] >= max(1, n_members / 3)]
    return set(keep[:k])


class StoryLinker:
    """Links events into stories.

    Parameters
    ----------
    threshold:
        Minimum story score (mean of centroid cosine and name overlap) to join a story.
    window_days:
        A story accepts events up to this many days before its first or after its last event.
    name_weight:
        Weight of the name overlap in the score (the centroid cosine gets the rest).
    """

    def __init__(self, threshold: float = 0.45, window_days: float = 1100.0, name_weight: float = 0.5) -> None:
        self.threshold = threshold
        self.window_days = window_days
        self.name_weight = name_weight

    def _get_params(self) -> dict[str, Any]:
        return {n: getattr(self, n) for n in inspect.signature(type(self).__init__).parameters if n != "self"}

    def clone(self, **changes: Any) -> StoryLinker:
        return type(self)(**{**self._get_params(), **changes})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._get_params().items())})"

    def _init_state(self) -> None:
        owner = type(self).__name__
        for name in ("threshold", "name_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise invalid_parameter(name, owner, "a float in the range [0, 1]", value)
        if not isinstance(self.window_days, (int, float)) or self.window_days < 0:
            raise invalid_parameter("window_days", owner, "a float in the range [0, inf)", self.window_days)
        self.stories_: dict[str, StoryState] = {}
        self.assignments_: dict[str, str] = {}

    def score(self, event: Any, story: StoryState, *, names: set[str] | None = None, centroid: np.ndarray | None = None) -> float:
        """How well ``event`` (an :class:`~storyline.cluster.events.EventState`) fits ``story``; 0 outside the window.

        ``names`` (:func:`_event_names` of the event) and ``centroid`` (``event.centroid``) may be
        passed when one event is scored against many stories: they are the costly part."""
        if not self._in_window(event, story):
            return 0.0
        cos = float((event.centroid if centroid is None else centroid) @ story.centroid)
        names = _event_names(event) if names is None else names
        overlap = len(names & story.names.keys()) / max(1, min(len(names), len(story.names))) if names and story.names else 0.0
        return (1 - self.name_weight) * cos + self.name_weight * overlap

    def _in_window(self, event: Any, story: StoryState) -> bool:
        """Whether ``event`` lies within ``window_days`` of the story's span (True when either is undated)."""
        if event.first_day and story.first_day and story.last_day:
            if event.first_day.toordinal() > story.last_day.toordinal() + self.window_days:
                return False
            if event.last_day and event.last_day.toordinal() < story.first_day.toordinal() - self.window_days:
                return False
        return True

    def _split_story(self, event: Any) -> str | None:
        """The story of an event that ``event`` was split from, or that was split from it (the clusterer's
        ``splits_``, read by :meth:`link_many`), when ``event`` lies within its window: the two halves of one
        event are one story, whatever their score (the split cut them *because* they differ)."""
        for other in sorted(getattr(self, "_partners", {}).get(event.event_id, ())):
            story_id = self.assignments_.get(other)
            if story_id is not None and self._in_window(event, self.stories_[story_id]):
                return story_id
        return None

    def _best(self, event: Any, names: set[str] | None = None) -> tuple[str | None, float]:
        """The best story for ``event`` and its score (``names``: :func:`_event_names` of the event, when the caller has them)."""
        best, best_score = None, -1.0
        names, centroid = _event_names(event) if names is None else names, event.centroid
        for story_id, story in self.stories_.items():
            s = self.score(event, story, names=names, centroid=centroid)
            if s > best_score:
                best, best_score = story_id, s
        return best, best_score

    def predict_one(self, event: Any) -> str | None:
        """The story ``event`` would join, or None. Changes nothing."""
        if not hasattr(self, "stories_"):
            return None
        if event.event_id in self.assignments_:
            return self.assignments_[event.event_id]
        best, s = self._best(event)
        return best if best is not None and s >= self.threshold else None

    def learn_one(self, event: Any) -> str:
        """Link ``event`` to the best story (or start one) and return the story id."""
        if not hasattr(self, "stories_"):
            self._init_state()
        if event.event_id in self.assignments_:
            return self.assignments_[event.event_id]
        names = _event_names(event)  # made once: to score and to record
        best, s = self._best(event, names)
        partner = self._split_story(event)
        if partner is not None:
            best, s = partner, max(s, self.threshold)
        if best is None or s < self.threshold:
            best = f"s{len(self.stories_):06d}-{event.event_id.split('-')[-1]}"
            self.stories_[best] = StoryState(story_id=best)
        story = self.stories_[best]
        story.events.append(event.event_id)
        story.add_vector(event.centroid)
        for name in names:
            story.names[name] = story.names.get(name, 0) + 1
        for d in (event.first_day, event.last_day):
            if d:
                story.first_day = min(story.first_day, d) if story.first_day else d
                story.last_day = max(story.last_day, d) if story.last_day else d
        self.assignments_[event.event_id] = best
        return best

    def link_many(self, clusterer: Any) -> dict[str, str]:
        """Link every event of ``clusterer`` (oldest first): ``{event_id: story_id}``. The two events of
        each of the clusterer's splits (``splits_``) are linked into one story when their days allow it."""
        partners: dict[str, set[str]] = {}
        for a, b, _ in getattr(clusterer, "splits_", ()):
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
        self._partners = partners
        try:
            events = sorted(clusterer.events_.values(), key=lambda e: (e.first_day or date.max, e.slot))
            return {e.event_id: self.learn_one(e) for e in events}
        finally:
            self._partners = {}

    def timeline(self, story_id: str, clusterer: Any) -> list[dict[str, Any]]:
        """The story's events in date order: id, first/last day, headline, article count."""
        story = self.stories_[story_id]
        rows = [clusterer.summary(e) for e in story.events if e in clusterer.events_]
        return sorted(rows, key=lambda r: (r["first_day"] or "9999", r["event_id"]))
