"""The seeds as a stream (issue 5 acceptance), on the real articles in ../shared/seeds (skipped without them).

The seeds are other people's text: read at test time, never copied into the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.cluster.events import EventClusterer
from storyline.cluster.stories import StoryLinker
from storyline.cluster.timeline import story_timeline


@pytest.fixture(scope="module")
def seeds(shared_dir: Path):
    from storyline.engine import Engine
    from storyline.ingest import read_article

    engine = Engine(strict=True)
    profiles = {p.name[:3]: engine.profile(read_article(p)) for p in sorted((shared_dir / "seeds").glob("*.txt"))}
    model = EventClusterer()
    for key, profile in profiles.items():
        model.learn_one(profile, source=key)
    linker = StoryLinker()
    stories = linker.link_many(model)
    return profiles, model, linker, stories


def test_001_halves_are_linked_as_translations(seeds) -> None:
    profiles, model, _, _ = seeds
    aid = profiles["001"].article_id
    assert (f"{aid}#zh", f"{aid}#en", "translation") in {e[:3] for e in model.copies_.edges}


def test_the_seeds_form_one_story_and_002_is_its_own_event(seeds) -> None:
    profiles, model, _, stories = seeds
    events = {k: model.event_of(p.article_id) for k, p in profiles.items()}
    assert len({stories[e] for e in events.values()}) == 1
    assert model.events_[events["002"]].members == [profiles["002"].article_id]


def test_the_timeline_puts_002_in_2018_and_the_others_in_2020_21(seeds) -> None:
    profiles, model, linker, stories = seeds
    by_id = {p.article_id: p for p in profiles.values()}
    event_002 = model.event_of(profiles["002"].article_id)
    timeline = story_timeline(stories[event_002], linker, model, by_id)
    dates = {e.event_id: e.date for e in timeline.events}
    assert dates[event_002] is not None and dates[event_002].startswith("2018")
    assert timeline.events[0].event_id == event_002  # the earliest
    for event_id, day in dates.items():
        if event_id != event_002:
            assert day is not None and day[:4] in ("2020", "2021"), (event_id, day)


def test_the_story_has_at_least_three_events(seeds) -> None:
    profiles, model, linker, stories = seeds
    story = stories[model.event_of(profiles["000"].article_id)]
    assert len(linker.stories_[story].events) >= 3
    # Pompeo's Doha meeting (003) is not Milley's (000, 001): different lead persons
    assert model.event_of(profiles["003"].article_id) != model.event_of(profiles["000"].article_id)
