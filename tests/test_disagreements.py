"""Numbers aligned across articles: agreeing, changed over time, conflicting (hand-written multilingual fixtures)."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone

import pytest

from storyline.cluster.disagreements import Claim, align_claims, claims_of, event_disagreements, story_disagreements
from storyline.cluster.events import EventClusterer
from storyline.cluster.stories import StoryLinker
from storyline.types import Article

ARTICLES = {
    # 17 Nov 2020: two outlets say 4,000 troops (en, de), a third says 5,000 the same day
    "en1": ("en", "2020-11-17", "US to cut troops in Afghanistan",
            "The Pentagon said on Tuesday, November 17, that the United States will cut its forces in Afghanistan. "
            "About 4,000 troops are now in Afghanistan, officials said. "
            "Acting Defense Secretary Christopher Miller announced the plan in Washington."),
    "de1": ("de", "2020-11-17", "USA ziehen Soldaten aus Afghanistan ab",
            "Das Pentagon kündigte am Dienstag, 17. November, an, die Truppen in Afghanistan zu verkleinern. "
            "Derzeit sind rund 4.000 Soldaten in Afghanistan stationiert. "
            "Der amtierende Verteidigungsminister Christopher Miller stellte den Plan in Washington vor."),
    "en2": ("en", "2020-11-17", "Pentagon orders Afghan drawdown",
            "The United States has some 5,000 troops in Afghanistan, a defence official told reporters on Tuesday, November 17. "
            "Christopher Miller said the cut would be finished by January."),
    # 15 Jan 2021: the later figure, in French and Chinese
    "fr3": ("fr", "2021-01-15", "Il reste 2 500 soldats américains en Afghanistan",
            "Le Pentagone a annoncé vendredi 15 janvier 2021 qu'il ne reste plus que 2 500 soldats américains en Afghanistan. "
            "Christopher Miller a confirmé le retrait à Washington."),
    "zh4": ("zh", "2021-01-15", "美国驻阿富汗军队减至2500人",
            "五角大楼1月15日宣布，美国驻阿富汗军队已减至2500名美军。代理国防部长克里斯托弗·米勒在华盛顿确认了撤军。"),
}


@pytest.fixture(scope="module")
def profiles():
    from storyline.analyse.profile import Profiler

    profiler = Profiler()
    out = {}
    for key, (lang, day, title, text) in ARTICLES.items():
        article = Article.from_text(title, text, source=f"test:{key}", language_hint=lang,
                                    published_at=datetime.fromisoformat(day).replace(tzinfo=timezone.utc))
        out[key] = profiler.profile(article)
    return out


def _claims(profiles, keys):
    return [c for k in keys for c in claims_of(profiles[k], source=f"outlet-{k}")]


def test_claims_read_unit_subject_and_day(profiles):
    found = {k: [(c.unit, c.subject, c.value, c.day) for c in claims_of(profiles[k])] for k in ARTICLES}
    assert found["en1"] == [("troops", "AF", 4000.0, "2020-11-17")]
    assert found["de1"] == [("troops", "AF", 4000.0, "2020-11-17")]
    assert found["fr3"] == [("troops", "AF", 2500.0, "2021-01-15")]  # "américains" is whose troops, not where
    assert found["zh4"] == [("troops", "AF", 2500.0, "2021-01-15")]


def test_same_figure_across_languages_agrees(profiles):
    (fact,) = align_claims(_claims(profiles, ["en1", "de1"]))
    assert fact.label == "agreeing" and fact.unit == "troops"
    assert fact.sides[0].sources == ["outlet-de1", "outlet-en1"] and fact.sides[0].languages == ["de", "en"]


def test_different_figures_the_same_day_conflict(profiles):
    facts = align_claims(_claims(profiles, ["en1", "de1", "en2"]))
    assert [f.label for f in facts] == ["conflicting"]
    sides = {s.value: s.sources for s in facts[0].sides}
    assert sides == {4000.0: ["outlet-de1", "outlet-en1"], 5000.0: ["outlet-en2"]}


def test_a_later_figure_is_a_change_in_date_order(profiles):
    facts = align_claims(_claims(profiles, ["en1", "fr3", "zh4"]))
    assert [f.label for f in facts] == ["changed"]
    earlier, later = facts[0].sides
    assert (earlier.value, later.value) == (4000.0, 2500.0)
    assert later.article_ids == sorted([profiles["fr3"].article_id, profiles["zh4"].article_id])
    assert later.first_day == "2021-01-15" and earlier.last_day == "2020-11-17"


def test_an_article_giving_both_figures_states_no_disagreement():
    both = [Claim("troops", "AF", v, t, "a", None, "en", "2020-11-17") for v, t in ((4500.0, "4,500"), (2500.0, "2,500"))]
    assert align_claims(both) == []
    far = [Claim("troops", "AF", 2500.0, "2,500", "a", None, "en", "2020-11-17"),
           Claim("troops", "AF", 13000.0, "13,000", "b", None, "en", "2020-11-17")]
    assert align_claims(far) == []  # a factor above 3: probably two different facts


def test_event_and_story_disagreements_from_the_clusterer(profiles):
    model = EventClusterer()
    for key in ARTICLES:
        model.learn_one(profiles[key], source=f"outlet-{key}")
    linker = StoryLinker()
    stories = linker.link_many(model)
    before = pickle.dumps(model)
    by_id = {p.article_id: p for p in profiles.values()}
    event = model.event_of(profiles["en1"].article_id)
    labels = {f.label for f in event_disagreements(event, model, by_id)}
    assert profiles["en2"].article_id in model.events_[event].members
    assert "conflicting" in labels
    story = stories[event]
    facts = story_disagreements(story, linker, model, by_id)
    in_story = {a for e in linker.stories_[story].events for a in model.events_[e].members}
    assert profiles["fr3"].article_id in in_story and profiles["zh4"].article_id in in_story
    assert any(f.label == "changed" and f.sides[-1].value == 2500.0 for f in facts)
    assert all(s.sources for f in facts for s in f.sides)  # the learned sources are on each side
    json.dumps([f.to_json() for f in facts])
    assert pickle.dumps(model) == before  # reading changes nothing
