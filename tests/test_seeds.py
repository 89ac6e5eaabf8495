"""The seed checks of the core issue, on the real articles in ../shared/seeds (skipped without them).

The seeds are other people's text: they are read at test time and never copied into the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.cli import segment_article
from storyline.engine import Engine
from storyline.ingest import read_article


@pytest.fixture(scope="module")
def seeds(shared_dir: Path):
    engine = Engine(strict=True)
    articles = {p.name[:3]: read_article(p) for p in sorted((shared_dir / "seeds").glob("*.txt"))}
    profiles = {k: engine.profile(a) for k, a in articles.items()}
    halves = {lang: engine.profile(segment_article(articles["001"], lang, source=f"001#{lang}")) for lang in ("zh", "en")}
    return engine, profiles, halves


def test_the_two_halves_of_001_are_a_translation(seeds) -> None:
    engine, _, halves = seeds
    result = engine.compare(halves["zh"], halves["en"])
    assert result.verdict == "translation"
    assert result.scores["overall"] <= 1.3


def test_000_and_001_are_the_same_event_and_milley_is_one_person(seeds) -> None:
    engine, profiles, _ = seeds
    result = engine.compare(profiles["000"], profiles["001"])
    assert result.verdict == "same_event" and result.scores["overall"] <= 1.8
    milley = [m for m in result.evidence.entities if "米利" in " ".join(m.b) or "米利" in " ".join(m.a)]
    assert len(milley) == 1
    forms = " ".join(milley[0].a + milley[0].b)
    for variant in ("Millie", "Mill", "Millay", "Milley", "米利", "米莉", "米勒"):
        assert variant in forms, variant


@pytest.mark.parametrize("a,b", [("003", "000"), ("003", "001"), ("004", "000"), ("004", "001"), ("003", "004")])
def test_003_and_004_belong_to_the_same_story(seeds, a: str, b: str) -> None:
    engine, profiles, _ = seeds
    result = engine.compare(profiles[a], profiles[b])
    assert result.scores["overall"] <= 2.5
    assert result.verdict in ("same_story", "same_event")


def test_002_from_2018_is_not_the_same_event_as_001(seeds) -> None:
    engine, profiles, _ = seeds
    assert engine.compare(profiles["002"], profiles["001"]).verdict != "same_event"
    assert any(d.value.year == 2018 for d in profiles["002"].dates)
