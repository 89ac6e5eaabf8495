"""Story timelines: events in date order with dates from the text, headlines per language and key facts."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone

import pytest

from storyline.cluster.events import EventClusterer
from storyline.cluster.stories import StoryLinker
from storyline.cluster.timeline import article_date, event_entry, story_timeline
from storyline.types import Article

ARTICLES = {
    # event 1 (2018): talks in Doha; published three days after they happened, undated copy in Spanish
    "t1": ("en", "2018-11-22", "Taliban and US envoy hold talks in Doha",
           "Taliban officials met US envoy Zalmay Khalilzad in Doha, Qatar, on Monday, November 19, 2018. "
           "The Taliban said the two sides settled nothing yet. Khalilzad is working to end the long war in Afghanistan, "
           "where 14,000 US troops are deployed."),
    "t1_es": ("es", None, "Talibanes y el enviado de EE.UU. dialogan en Doha",
              "Funcionarios talibanes se reunieron con el enviado estadounidense Zalmay Khalilzad en Doha, Qatar, "
              "el lunes 19 de noviembre de 2018. Los talibanes dijeron que no se alcanzó ningún acuerdo. "
              "Khalilzad intenta poner fin a la guerra en Afganistán, donde hay 14.000 soldados estadounidenses."),
    # event 2 (2020): the deal is signed
    "t2": ("en", "2020-02-29", "US and Taliban sign deal in Doha",
           "The United States and the Taliban signed an agreement in Doha, Qatar, on Saturday, February 29, 2020. "
           "Zalmay Khalilzad and Taliban leader Abdul Ghani Baradar signed the deal. "
           "The US will reduce its 13,000 troops in Afghanistan to 8,600 within 135 days."),
    "t2_de": ("de", "2020-03-01", "USA und Taliban unterzeichnen Abkommen in Doha",
              "Die USA und die Taliban haben am Samstag, 29. Februar 2020, in Doha ein Abkommen unterzeichnet. "
              "Zalmay Khalilzad und Taliban-Chef Abdul Ghani Baradar unterschrieben. "
              "Die USA wollen ihre 13.000 Soldaten in Afghanistan innerhalb von 135 Tagen auf 8.600 verringern."),
}


def _article(key: str) -> Article:
    lang, day, title, text = ARTICLES[key]
    published = datetime.fromisoformat(day).replace(tzinfo=timezone.utc) if day else None
    return Article.from_text(title, text, source=f"test:{key}", language_hint=lang, published_at=published)


@pytest.fixture(scope="module")
def profiles():
    from storyline.analyse.profile import Profiler

    profiler = Profiler()
    return {key: profiler.profile(_article(key)) for key in ARTICLES}


@pytest.fixture(scope="module")
def story(profiles):
    model = EventClusterer()
    for key in ARTICLES:
        model.learn_one(profiles[key], source=key)
    linker = StoryLinker()
    stories = linker.link_many(model)
    return model, linker, stories


def test_article_date_comes_from_the_text(profiles):
    assert article_date(profiles["t1"])[:2] == (datetime(2018, 11, 19).date(), "text")  # not the 22nd it was published
    assert article_date(profiles["t1_es"])[0] == datetime(2018, 11, 19).date()  # no publication date at all
    assert article_date(profiles["t2_de"])[:2] == (datetime(2020, 2, 29).date(), "text")


def test_the_story_lists_its_events_in_date_order(profiles, story):
    model, linker, stories = story
    e1, e2 = (model.event_of(profiles[k].article_id) for k in ("t1", "t2"))
    assert model.event_of(profiles["t1_es"].article_id) == e1 and model.event_of(profiles["t2_de"].article_id) == e2
    assert e1 != e2 and stories[e1] == stories[e2]
    before = pickle.dumps(model)
    timeline = story_timeline(stories[e1], linker, model, {p.article_id: p for p in profiles.values()})
    assert pickle.dumps(model) == before
    assert [(e.event_id, e.date, e.date_source) for e in timeline.events] == [(e1, "2018-11-19", "text"), (e2, "2020-02-29", "text")]
    first, second = timeline.events
    assert first.headlines == {"en": ARTICLES["t1"][2], "es": ARTICLES["t1_es"][2]}
    assert set(second.headlines) == {"en", "de"}
    assert any("Khalilzad" in who for who in first.who)
    assert any("Baradar" in who for who in second.who)
    assert "Qatar" in first.where or "Doha" in first.where
    assert "Afghanistan" in second.where
    assert {"value": 13000.0, "unit": "troops"}.items() <= second.numbers[0].items() and second.numbers[0]["n_articles"] == 2
    payload = json.loads(json.dumps(timeline.to_json()))
    assert payload["story_id"] == stories[e1] and len(payload["events"]) == 2


def test_event_entry_works_from_the_clusterer_alone(profiles, story):
    model, _, _ = story
    entry = event_entry(model.event_of(profiles["t2"].article_id), model)  # representatives only
    assert entry.date == "2020-02-29" and entry.n_articles == 2 and entry.languages == {"en": 1, "de": 1}
