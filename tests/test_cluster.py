"""Event clustering on short hand-written articles (profiled with the real encoder once per module)."""

from __future__ import annotations

import pickle
from datetime import datetime, timezone

import pytest

from storyline.cluster.evaluate import bcubed, clustering_report, parse_gold_date
from storyline.cluster.events import EventClusterer
from storyline.cluster.stories import StoryLinker
from storyline.types import Article

ARTICLES = {
    # event A: an earthquake in Chile, early March 2024
    "a1": ("en", "2024-03-04", "Strong earthquake shakes northern Chile",
           "A magnitude 7.1 earthquake struck near Antofagasta in northern Chile on Monday, 4 March. "
           "The Chilean emergency office ONEMI said 14 people were injured and 230 homes were damaged. "
           "President Gabriel Boric flew to Antofagasta to visit the damaged neighbourhoods."),
    "a1_es": ("es", "2024-03-04", "Fuerte terremoto sacude el norte de Chile",
              "Un terremoto de magnitud 7.1 sacudió la zona de Antofagasta, en el norte de Chile, el lunes 4 de marzo. "
              "La oficina de emergencias ONEMI dijo que 14 personas resultaron heridas y 230 viviendas sufrieron daños. "
              "El presidente Gabriel Boric viajó a Antofagasta para visitar los barrios dañados."),
    "a1_copy": ("en", "2024-03-04", "Strong earthquake shakes northern Chile",
                "A magnitude 7.1 earthquake struck near Antofagasta in northern Chile on Monday, 4 March. "
                "The Chilean emergency office ONEMI said 14 people were injured and 230 homes were damaged. "
                "President Gabriel Boric flew to Antofagasta to visit the damaged neighbourhoods. (Reuters)"),
    "a2": ("en", "2024-03-05", "Antofagasta counts damage after 7.1 quake",
           "Residents of Antofagasta cleared rubble on Tuesday after the 7.1 earthquake that hit northern Chile. "
           "ONEMI raised the number of injured to 14 and said 230 houses were damaged. "
           "Boric promised emergency funds for the families who lost their homes."),
    # event B: an earthquake in Japan, late June 2024 (same kind of event, different place, time, names)
    "b1": ("en", "2024-06-20", "Earthquake hits Japan's Ishikawa coast",
           "A magnitude 6.4 earthquake hit the Noto peninsula in Ishikawa, Japan, on Thursday, 20 June. "
           "The Japan Meteorological Agency said there was no tsunami threat. "
           "Prime Minister Fumio Kishida said 3 people were hurt in Wajima."),
    "b2": ("en", "2024-06-21", "Noto peninsula shaken again",
           "Wajima residents spent the night outside after a 6.4 quake shook the Noto peninsula in Ishikawa. "
           "Kishida said the government was checking the Shika nuclear plant, which reported no problems. "
           "Three people were injured, according to the Japan Meteorological Agency."),
    "b2_de": ("de", "2024-06-21", "Noto-Halbinsel erneut erschüttert",
              "Die Bewohner von Wajima verbrachten die Nacht im Freien, nachdem ein Beben der Stärke 6.4 die Noto-Halbinsel in Ishikawa erschüttert hatte. "
              "Kishida sagte, die Regierung prüfe das Atomkraftwerk Shika, das keine Probleme meldete. "
              "Drei Menschen wurden nach Angaben der japanischen Wetterbehörde verletzt."),
    # event C: something else entirely
    "c1": ("en", "2024-03-04", "Central bank holds rates",
           "The European Central Bank kept its deposit rate at 4 percent on Thursday. "
           "Christine Lagarde said inflation was falling but wages were still rising fast. "
           "Markets in Frankfurt barely moved after the decision."),
}


def _article(key: str) -> Article:
    lang, day, title, text = ARTICLES[key]
    return Article.from_text(title, text, source=f"test:{key}", language_hint=lang,
                             published_at=datetime.fromisoformat(day).replace(tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def profiles():
    from storyline.analyse.profile import Profiler

    profiler = Profiler()
    return {key: profiler.profile(_article(key)) for key in ARTICLES}


ORDER = ["a1", "b1", "c1", "a2", "a1_es", "b2", "a1_copy", "b2_de"]


def test_two_events_of_the_same_kind_are_separated(profiles):
    model = EventClusterer()
    events = dict(zip(ORDER, model.cluster_many([profiles[k] for k in ORDER])))
    assert events["a1"] == events["a2"] == events["a1_es"] == events["a1_copy"]
    assert events["b1"] == events["b2"] == events["b2_de"]
    assert len({events["a1"], events["b1"], events["c1"]}) == 3


def test_translation_joins_and_is_recorded(profiles):
    model = EventClusterer()
    a = model.learn_one(profiles["a1"])
    assert model.learn_one(profiles["a1_es"]) == a
    kinds = {(c, o): k for c, o, k, _ in model.copies_.edges}
    assert kinds.get((profiles["a1_es"].article_id, profiles["a1"].article_id)) == "translation"


def test_near_duplicate_is_recorded_and_not_independent(profiles):
    model = EventClusterer()
    a = model.learn_one(profiles["a1"], source="wire")
    assert model.learn_one(profiles["a1_copy"], source="paper") == a
    assert (profiles["a1_copy"].article_id, profiles["a1"].article_id, "near_duplicate") in {e[:3] for e in model.copies_.edges}
    summary = model.summary(a)
    assert summary["n_articles"] == 2 and summary["n_independent"] == 1 and summary["n_sources"] == 2


def test_predict_one_is_pure(profiles):
    model = EventClusterer()
    for key in ("a1", "b1", "c1"):
        model.learn_one(profiles[key])
    before = pickle.dumps(model)
    predicted = model.predict_one(profiles["a2"])
    assert predicted == model.assignments_[profiles["a1"].article_id]
    assert pickle.dumps(model) == before
    assert model.predict_one(profiles["b2"]) == model.assignments_[profiles["b1"].article_id]
    assert pickle.dumps(model) == before


def test_predict_one_before_learning_is_none(profiles):
    assert EventClusterer().predict_one(profiles["a1"]) is None


def test_learn_one_does_not_change_its_input(profiles):
    p = profiles["a2"]
    before = pickle.dumps(p)
    model = EventClusterer()
    model.learn_one(profiles["a1"])
    model.learn_one(p)
    assert pickle.dumps(p) == before


def test_learning_twice_is_idempotent(profiles):
    model = EventClusterer()
    e = model.learn_one(profiles["a1"])
    assert model.learn_one(profiles["a1"]) == e
    assert model.n_seen_ == 1 and model.events_[e].n_articles == 1


def test_pickle_round_trip_keeps_predictions(profiles):
    model = EventClusterer()
    for key in ("a1", "b1", "c1"):
        model.learn_one(profiles[key])
    copy = pickle.loads(pickle.dumps(model))
    assert copy.predict_one(profiles["a2"]) == model.predict_one(profiles["a2"])


def test_story_linker_links_events(profiles):
    model = EventClusterer()
    model.cluster_many([profiles[k] for k in ORDER])
    stories = StoryLinker().link_many(model)
    assert set(stories) == set(model.events_)
    before = pickle.dumps(model)
    StoryLinker().link_many(model)
    assert pickle.dumps(model) == before


def test_bcubed_hand_computed():
    # pred {1,2,3}{4,5}, gold {1,2}{3,4,5}
    # precision: 2/3, 2/3, 1/3, 1, 1 -> 11/15 ; recall: 1, 1, 1/3, 2/3, 2/3 -> 11/15
    p, r, f = bcubed(["x", "x", "x", "y", "y"], ["a", "a", "b", "b", "b"])
    assert p == pytest.approx(11 / 15) and r == pytest.approx(11 / 15) and f == pytest.approx(11 / 15)
    assert bcubed(["1", "2"], ["a", "a"]) == pytest.approx((1.0, 0.5, 2 / 3))
    with pytest.raises(ValueError):
        bcubed(["1"], ["a", "b"])


def test_clustering_report_shape():
    r = clustering_report(["e", "e", "f"], ["a", "a", "a"], seconds=1.0)
    assert set(r) == {"n", "bcubed", "clusters", "gold_clusters", "docs_per_second"}
    assert set(r["bcubed"]) == {"precision", "recall", "f1"}
    assert r["clusters"] == 2 and r["gold_clusters"] == 1


def test_parse_gold_date_variants():
    assert parse_gold_date("13 de octubre de 2005").date().isoformat() == "2005-10-13"
    assert parse_gold_date("27-Mar-08").date().isoformat() == "2008-03-27"
    assert parse_gold_date("no date here") is None


def test_a_clusterer_pickled_by_an_older_version_still_learns(profiles):
    model = EventClusterer()
    model.learn_one(profiles["a1"])
    state = dict(model.__dict__)
    for name in ("rescue_threshold", "article_sources_"):  # attributes added later
        del state[name]
    old = EventClusterer.__new__(EventClusterer)
    old.__setstate__(state)
    restored = pickle.loads(pickle.dumps(old))
    assert restored.rescue_threshold == EventClusterer().rescue_threshold
    assert restored.learn_one(profiles["a2"], source="wire") == model.event_of(profiles["a1"].article_id)
    assert restored.article_sources_ == {profiles["a2"].article_id: "wire"}


def test_minhash_bands_find_near_duplicates_across_consolidation_and_pickle():
    from storyline.analyse.profile import minhash_signature
    from storyline.cluster.candidates import MinHashBands

    bands = MinHashBands()
    import random

    words = "council budget river harbour school bridge election storm market railway hospital festival court police museum".split()
    texts = [" ".join(random.Random(i).choice(words) + str(random.Random(i * 31 + k).randrange(99)) for k in range(25)) + " long" for i in range(400)]
    for i, text in enumerate(texts):
        bands.add(f"a{i}", minhash_signature(text))
    assert bands._n_pending < 400 * 16  # some keys were merged into the sorted arrays
    again = pickle.loads(pickle.dumps(bands))
    for model in (bands, again):
        found = model.query(minhash_signature(texts[123].replace("long", "lengthy")), min_jaccard=0.5)
        assert found == ["a123"]
        assert model.query(minhash_signature("Completely unrelated words about weather in the mountains today."), min_jaccard=0.5) == []
    again.add("b", minhash_signature(texts[5]))
    assert again.query(minhash_signature(texts[5]), min_jaccard=0.9) == ["a5", "b"]


def test_events_keep_compact_representatives_with_the_same_scores(profiles):
    import numpy as np

    from storyline.cluster.features import Digest, Vocabulary, link_features

    p, q = profiles["a1"], profiles["a1_es"]
    full, compact = Digest(q), Digest(q).compact()
    assert compact.profile.sentence_vectors.dtype == np.float16 and compact.profile.shingles.dtype == np.uint32
    assert compact.profile.sentences == q.sentences and compact.profile.entities == q.entities
    vocabulary = Vocabulary()
    a, b = link_features(Digest(p), full, vocabulary), link_features(Digest(p), compact, vocabulary)
    assert all(abs(a[k] - b[k]) < 0.01 for k in a), {k: (a[k], b[k]) for k in a if abs(a[k] - b[k]) >= 0.01}
    model = EventClusterer()
    model.learn_one(p)
    (event,) = model.events_.values()
    assert event.representatives[0].profile.lead_vector.dtype == np.float16


def _words(topic: int, k: int) -> str:
    """Twelve random words: the same for one topic's articles but the last two, no shared shingles across topics."""
    import random

    rnd, own = random.Random(topic), random.Random(topic * 1000 + k + 1)
    word = lambda r: "".join(r.choice("bcdfghjklmnpqrstvwxz") + r.choice("aeiou") for _ in range(4))  # noqa: E731
    return " ".join([word(rnd) for _ in range(10)] + [word(own) for _ in range(2)])


def _topic_stream(n_topics: int = 24, per_topic: int = 3, spacing: int = 3) -> list:
    """Date-ordered toy articles: topic ``t`` has its own direction and names and runs for two days from day ``spacing * t``."""
    from datetime import date, timedelta

    from storyline.cluster.testing import toy_profile

    out = []
    for t in range(n_topics):
        direction = [0.0] * 64
        direction[t % 64] = 1.0
        for k in range(per_topic):
            day = date(2024, 1, 1) + timedelta(days=spacing * t + k % 2)
            words = _words(t, k)
            out.append(toy_profile(f"t{t:02d}a{k}", direction, f"Topic {t} report {k}", names=f"Place{t} Person{t}",
                                   text=f"Topic {t} report {k}. Place{t} and Person{t} said {words}.", day=day.isoformat()))
    return out


def test_retiring_old_events_changes_no_decision_on_a_dated_stream():
    stream = _topic_stream()
    keep_all = EventClusterer(window_days=5, retire_after=10**6, retire_margin_days=2)
    retiring = keep_all.clone(retire_after=1)
    a = [keep_all.learn_one(p) for p in stream]
    b = [retiring.learn_one(p) for p in stream]
    assert a == b and len(set(a)) == 24  # one event per topic either way
    assert keep_all.n_live_ == 24 and retiring.n_live_ < 5
    old = retiring.events_[b[0]]
    assert old.retired and old.representatives == [] and old.name_df == {}
    assert retiring.summary(b[0]) == keep_all.summary(a[0])  # still readable: counts, days, members
    assert retiring.event_of(stream[0].article_id) == b[0]
    assert len(retiring._bands) < len(keep_all._bands) and len(retiring._index) == retiring.n_live_
    assert len(pickle.dumps(retiring)) < len(pickle.dumps(keep_all)) / 2
    # stories link retired events by the names they kept: the same stories as without retirement
    assert StoryLinker().link_many(retiring) == StoryLinker().link_many(keep_all)


def test_a_late_article_joins_only_a_live_event_or_opens_one():
    stream = _topic_stream()
    model = EventClusterer(window_days=5, retire_after=1, retire_margin_days=2)
    events = [model.learn_one(p) for p in stream]
    from storyline.cluster.testing import toy_profile

    late_old = toy_profile("late0", [1.0] + [0.0] * 63, "Topic 0 report late", names="Place0 Person0",
                           text=f"Topic 0 report late. Place0 and Person0 said {_words(0, 9)}.",
                           day="2024-01-02")  # topic 0's day, retired long ago
    assert model.predict_one(late_old) is None  # it would have joined topic 0's event: retired, so a new event
    assert model.learn_one(late_old) not in events
    recent = stream[-1]
    late_recent = toy_profile("late23", [0.0] * 23 + [1.0] + [0.0] * 40, "Topic 23 report late", names="Place23 Person23",
                              text=f"Topic 23 report late. Place23 and Person23 said {_words(23, 9)}.",
                              day="2024-03-10")  # two days before the newest: within the margin
    assert model.learn_one(late_recent) == model.event_of(recent.article_id)


def test_a_pickled_clusterer_with_retired_events_continues_like_the_original():
    stream = _topic_stream()
    model = EventClusterer(window_days=5, retire_after=2, retire_margin_days=2)
    for p in stream[:40]:
        model.learn_one(p)
    again = pickle.loads(pickle.dumps(model))
    assert [again.learn_one(p) for p in stream[40:]] == [model.learn_one(p) for p in stream[40:]]
    assert again.n_live_ == model.n_live_


def test_minhash_bands_forget_removed_items_and_compact():
    import numpy as np

    from storyline.cluster.candidates import MinHashBands

    rng = np.random.default_rng(0)
    signatures = rng.integers(0, 2**32, size=(3000, 64), dtype=np.uint64).astype(np.uint32)
    bands = MinHashBands()
    for i, sig in enumerate(signatures):
        bands.add(f"a{i}", sig)
    bands.remove(f"a{i}" for i in range(0, 2500))  # more dead than live: compacted
    assert len(bands) == 500 and len(bands._items) == 500 and len(bands._signatures) == 500
    again = pickle.loads(pickle.dumps(bands))
    for model in (bands, again):
        assert model.query(signatures[10]) == []
        assert model.query(signatures[2600], min_jaccard=0.9) == ["a2600"]
    bands.remove(["a2600"])
    assert bands.query(signatures[2600]) == [] and len(bands) == 499
    bands.add("b", signatures[2700])
    assert bands.query(signatures[2700], min_jaccard=0.9) == ["a2700", "b"]


def test_centroid_index_drops_or_rebuilds_its_ann_as_events_retire():
    import numpy as np

    from storyline.cluster.candidates import CentroidIndex

    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(60, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = CentroidIndex(dim=16, ann_after=20)
    for slot, v in enumerate(vectors):
        index.upsert(slot, v, day=slot)
    assert index._ann is not None
    for slot in range(31):
        index.remove(slot)  # more deleted than live: rebuilt over the live ones
    assert index._ann is not None and index._ann.get_current_count() == 29
    found = index.query(vectors[40], k=1, day=40, window=100)
    assert found[0][0] == 40
    for slot in range(31, 52):
        index.remove(slot)  # fewer live than ann_after / 2: brute force again
    assert index._ann is None and len(index) == 8
    assert [s for s, _ in index.query(vectors[55], k=3, day=55, window=100)][0] == 55
    assert all(s >= 52 for s, _ in index.query(vectors[10], k=8, day=10, window=100))


def test_centroid_index_brute_force_over_scattered_live_events_matches_a_full_scan():
    import numpy as np

    from storyline.cluster.candidates import CentroidIndex

    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(60, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for keep in ([0, 59], [0, 1, 2] + list(range(40, 60)), list(range(30, 60))):  # gathered, range from slot 0, range from 30
        index = CentroidIndex(dim=16)
        for slot, v in enumerate(vectors):
            index.upsert(slot, v, day=None)
        for slot in set(range(60)) - set(keep):
            index.remove(slot)
        q = vectors[keep[-1]] + 0.3 * vectors[keep[0]]
        expected = sorted(keep, key=lambda s: -float(vectors[s] @ q))[:5]
        assert [s for s, _ in index.query(q, k=5, day=None, window=0)] == expected


def test_consolidation_rejoins_events_split_online_and_keeps_different_ones_apart(profiles):
    # threshold 1.0: no score reaches it, so every article opens its own event online
    # (b2_de is left out: once b2 and its German translation are one event, b1 scores 0.5 against the
    # pair on average — a member in another language has no lexical or name evidence against b1)
    split = dict(threshold=1.0, merge_threshold=1.0, rescue_threshold=1.0)
    order = [k for k in ORDER if k != "b2_de"]
    apart = EventClusterer(**split, consolidate_threshold=1.0)
    events = dict(zip(order, apart.cluster_many([profiles[k] for k in order])))
    assert events["a1"] != events["a2"] and events["b1"] != events["b2"]
    model = EventClusterer(**split)
    events = dict(zip(order, model.cluster_many([profiles[k] for k in order])))
    assert events["a1"] == events["a2"] == events["a1_es"] == events["a1_copy"]
    assert events["b1"] == events["b2"]
    assert len({events["a1"], events["b1"], events["c1"]}) == 3
    assert {into for _, into, _ in model.merges_} <= set(model.events_)  # merges recorded, into surviving events
    assert len(model.merges_) == len(apart.events_) - len(model.events_)


def test_consolidation_does_not_depend_on_arrival_order(profiles):
    keys = ["b2", "a1_copy", "c1", "a2", "b1", "a1", "b2_de", "a1_es"]
    split = dict(threshold=1.0, merge_threshold=1.0, rescue_threshold=1.0)
    groups = []
    for order in (ORDER, keys, keys[::-1]):
        events = dict(zip(order, EventClusterer(**split).cluster_many([profiles[k] for k in order])))
        groups.append(sorted(sorted(k for k in events if events[k] == e) for e in set(events.values())))
    assert groups[0] == groups[1] == groups[2]


def test_online_learning_never_consolidates(profiles):
    model = EventClusterer(threshold=1.0, merge_threshold=1.0, rescue_threshold=1.0)
    for key in ORDER:
        model.learn_one(profiles[key])
    assert model.event_of(profiles["a1"].article_id) != model.event_of(profiles["a2"].article_id)
    assert not model.merges_


def test_consolidation_takes_a_title_only_event_at_its_own_word(profiles):
    # a title-only article has no sentences to be compared with, so the other event scores it low;
    # its agreement with the event alone decides (the ECB+ title-only fragments)
    from storyline.analyse.profile import Profiler

    title = "Chile earthquake: 14 injured in Antofagasta"
    lone = Profiler().profile(Article.from_text(title, title, source="test:title", language_hint="en",
                                                published_at=datetime(2024, 3, 5, tzinfo=timezone.utc)))
    assert len(lone.sentences) <= 1
    # consolidate_far_days=0: b1 (June) is no pair of a1 (March) at all, rather than a far pair with its penalty
    model = EventClusterer(threshold=1.0, merge_threshold=1.0, rescue_threshold=1.0, consolidate_threshold=1.0, consolidate_far_days=0.0)
    model.cluster_many([profiles["a1"], profiles["b1"], lone])
    a, t = model.event_of(profiles["a1"].article_id), model.event_of(lone.article_id)
    scores: dict[tuple[str, str], float] = {}
    model._pair_scores(t, scores)
    own, other = model._agreement(t, a, copies=True), model._agreement(a, t, copies=True)
    assert own != other
    assert scores[tuple(sorted((a, t)))] == own
    model._pair_scores(model.event_of(profiles["b1"].article_id), scores)
    b = model.event_of(profiles["b1"].article_id)
    if (pair := tuple(sorted((a, b)))) in scores:  # two full articles: both directions, averaged
        assert scores[pair] == (model._agreement(a, b, copies=True) + model._agreement(b, a, copies=True)) / 2


def _late_follow_up():
    # event A again, eleven weeks later: outside the 30-day window, inside consolidate_far_days
    from storyline.analyse.profile import Profiler

    text = ("Eleven weeks after the magnitude 7.1 earthquake that struck Antofagasta in northern Chile on 4 March, "
            "ONEMI said all 230 damaged homes had been inspected and the 14 people injured had left hospital. "
            "President Gabriel Boric returned to Antofagasta to open the first rebuilt houses.")
    article = Article.from_text("Antofagasta rebuilds after the 7.1 earthquake", text, source="test:a_late",
                                language_hint="en", published_at=datetime(2024, 5, 20, tzinfo=timezone.utc))
    return Profiler().profile(article)


def test_consolidation_reaches_beyond_the_window_only_for_a_fragment_and_with_a_penalty(profiles):
    late = _late_follow_up()
    split = dict(threshold=1.0, merge_threshold=1.0, rescue_threshold=1.0)
    keys = ["a1", "a2", "b1", "c1"]

    def events_of(**params):
        model = EventClusterer(**split, **params)
        return model, dict(zip([*keys, "late"], model.cluster_many([*(profiles[k] for k in keys), late])))

    model, events = events_of()
    assert events["late"] == events["a1"] == events["a2"]  # the late report of A joins A
    assert len({events["a1"], events["b1"], events["c1"]}) == 3
    for params in ({"consolidate_far_days": 0.0}, {"consolidate_far_size": 0}, {"consolidate_far_penalty": 0.4}):
        _, apart = events_of(**params)  # no far pairs; no event small enough; a bar (1.0) nothing reaches
        assert apart["late"] not in {apart[k] for k in keys}, params
        assert apart["a1"] == apart["a2"]
    # the far pair's score is the symmetric agreement lowered by the penalty (one-way agreement off)
    probe = EventClusterer(**split, consolidate_threshold=1.0, consolidate_one_way=False)  # both directions averaged
    probe.cluster_many([profiles["a1"], late])
    a, t = probe.event_of(profiles["a1"].article_id), probe.event_of(late.article_id)
    scores: dict[tuple[str, str], float] = {}
    probe._pair_scores(a, scores)
    both = (probe._agreement(a, t, copies=True) + probe._agreement(t, a, copies=True)) / 2
    assert scores[tuple(sorted((a, t)))] == pytest.approx(both - probe.consolidate_far_penalty)


def test_far_consolidation_parameters_are_validated():
    from storyline.cluster.testing import toy_profile

    for bad in ({"consolidate_far_days": -1.0}, {"consolidate_far_penalty": 1.5}, {"consolidate_far_size": -1}):
        with pytest.raises(Exception, match=next(iter(bad))):
            EventClusterer(**bad).learn_one(toy_profile("x", [1.0], "Quake hits Kabul"))


def test_split_cuts_an_event_holding_two_incidents_in_two(profiles):
    # threshold 0 and a wide window: the online pass puts both earthquakes into one event (an ambiguous
    # article joining the wrong incident, and the rest following it); the batch split cuts it apart
    keys = ["a1", "a2", "a1_copy", "b1", "b2", "b2_de"]
    joined = dict(threshold=0.0, merge_threshold=1.0, candidate_floor=0.0, window_days=1000.0, rescue_threshold=1.0, consolidate_threshold=1.0)
    whole = EventClusterer(**joined, split_ratio=0.0)
    assert len(set(whole.cluster_many([profiles[k] for k in keys]))) == 1
    assert not whole.splits_
    model = EventClusterer(**joined)
    events = dict(zip(keys, model.cluster_many([profiles[k] for k in keys])))
    assert events["a1"] == events["a2"] == events["a1_copy"] != events["b1"] == events["b2"] == events["b2_de"]
    assert events["a1"] == whole.event_of(profiles["a1"].article_id)  # the part holding the first member keeps the id
    assert model.splits_ == [(events["a1"], events["b1"], model.splits_[0][2])] and model.splits_[0][2] < model.split_ratio
    for key in keys:  # each part is rebuilt as if its members had been added one by one
        ev = model.events_[events[key]]
        assert profiles[key].article_id in ev.members and len(ev.members) == 3
    assert model.summary(events["b1"])["first_day"] == "2024-06-20"
    # too small a part (split_min_size 4 needs 8 members), a bar just below this event's ratio, or too large an event: one event
    ratio = model.splits_[0][2]
    assert ratio > 0.0002
    # or two parts the consolidation would join again (any agreement reaches a consolidate_threshold of 0)
    for params in ({"split_min_size": 4}, {"split_ratio": ratio - 0.0001}, {"split_max_size": 5}, {"consolidate_threshold": 0.0}):
        assert len(set(EventClusterer(**{**joined, **params}).cluster_many([profiles[k] for k in keys]))) == 1, params


def test_split_leaves_an_event_whose_groups_are_two_languages_whole(profiles):
    # an English and a German group of one event meet only through the encoder: no lexical or name
    # evidence across them, so a low cross score is no reason to split
    from storyline.cluster.events import best_split
    from storyline.cluster.features import Digest

    keys = ["a1", "a2", "a1_copy", "b1", "b2", "b2_de"]
    model = EventClusterer(threshold=0.0, merge_threshold=1.0, candidate_floor=0.0, window_days=1000.0, rescue_threshold=1.0,
                           consolidate_threshold=1.0, split_min_size=3)
    model.cluster_many([profiles[k] for k in keys])
    digests = {profiles[k].article_id: Digest(profiles[k]) for k in keys}
    relabelled = {aid: Digest(d.profile.replace(language="de" if k.startswith("b") else "en")) for (aid, d), k in zip(digests.items(), keys)}
    found = best_split(model._member_scores([relabelled[profiles[k].article_id] for k in keys]), 3)
    assert found is not None and found[0] < model.split_ratio  # the scores alone would split it
    model = EventClusterer(threshold=0.0, merge_threshold=1.0, candidate_floor=0.0, window_days=1000.0, rescue_threshold=1.0,
                           consolidate_threshold=1.0)
    for k in keys:
        model.learn_one(relabelled[profiles[k].article_id].profile)
    model.split_events(relabelled)
    assert not model.splits_ and len(model._live) == 1


def test_split_parameters_are_validated():
    from storyline.cluster.testing import toy_profile

    for bad in ({"split_ratio": -0.1}, {"split_min_size": 0}, {"split_max_size": -1}, {"consolidate_one_way": 1}):
        with pytest.raises(Exception, match=next(iter(bad))):
            EventClusterer(**bad).learn_one(toy_profile("x", [1.0], "Quake hits Kabul"))


def test_consolidation_of_two_events_in_one_language_takes_the_smaller_ones_word(profiles):
    def pair_score(keys, one_way, **params):
        model = EventClusterer(rescue_threshold=1.0, consolidate_threshold=1.0, consolidate_one_way=one_way, candidate_floor=-1.0, **params)
        model.cluster_many([profiles[k] for k in keys])
        a, b = model.event_of(profiles[keys[0]].article_id), model.event_of(profiles[keys[-1]].article_id)
        assert a != b
        scores: dict[tuple[str, str], float] = {}
        model._pair_scores(a, scores)
        return scores[tuple(sorted((a, b)))], model._agreement(a, b, copies=True), model._agreement(b, a, copies=True)

    # one language (en): the Chile event (a1 + a2) and the one-article central-bank event; c1's own word counts
    (on, big, small), (off, _, _) = pair_score(["a1", "a2", "c1"], True), pair_score(["a1", "a2", "c1"], False)
    assert small > big + 1e-4  # the lone article scores the event higher than the event's members score it
    assert on == pytest.approx(small) and off == pytest.approx((big + small) / 2)
    # English and German (no event joins: threshold 1.0): both directions, always
    (on, x, y), (off, _, _) = pair_score(["b2", "b2_de"], True, threshold=1.0), pair_score(["b2", "b2_de"], False, threshold=1.0)
    assert on == off == pytest.approx((x + y) / 2)


def test_settle_joins_what_the_online_pass_left_apart_and_only_once() -> None:
    """settle() (the end of an online ingest run) rejoins the events touched since the last call as
    cluster_many would: a short report that arrived first stays alone online (the full reports score
    too low against it) and joins them at the settle; a second call finds nothing left to do."""
    import random

    from storyline.pipeline import LexicalProfiler
    from storyline.types import Article

    rnd = random.Random(1)
    words = [f"alpha{j}" for j in range(8)]
    short = Article.from_text("Short", " ".join(rnd.choice(words) for _ in range(8)) + " " + " ".join(f"other{j}" for j in range(4)) + ".")
    full = [Article.from_text(f"Alpha {i}", " ".join(rnd.choice(words) for _ in range(30)) + ".") for i in range(4)]
    profiles = [LexicalProfiler().profile(a) for a in [short, *full]]
    online = EventClusterer()
    for p in profiles:
        online.learn_one(p)
    assert len(set(online.assignments_.values())) == 2 and online.unsettled_
    online.settle()
    assert not online.unsettled_ and len(set(online.assignments_.values())) == 1
    assert len(set(EventClusterer().cluster_many(profiles))) == 1
    merges = list(online.merges_)
    online.settle()
    assert online.merges_ == merges


FLOODS = {
    # one river, one town, two floods four years apart: the same kind of event at the same place
    "x1": ("2019-05-14", "River Elm floods Harwick", "The River Elm burst its banks in Harwick on Tuesday and flooded the old market. "
           "Mayor Ines Calder said 40 homes were evacuated overnight. Firefighters used boats on Mill Street."),
    "x2": ("2019-05-15", "Harwick cleans up after the Elm flood", "Harwick residents pumped water out of cellars after the River Elm flooded the market square. "
           "Ines Calder asked for state help for the 40 evacuated families. The water fell by a metre on Wednesday."),
    "x3": ("2019-05-16", "Elm flood: Harwick market reopens", "Traders returned to the Harwick market two days after the River Elm flood. "
           "Mayor Calder thanked the firefighters who worked on Mill Street."),
    "y1": ("2023-09-02", "Harwick under water again as Elm rises", "The River Elm flooded Harwick again on Saturday after a night of storms. "
           "Mayor Tomas Brandt said the new flood wall failed near the railway bridge and 120 people were moved to the school."),
    "y2": ("2023-09-03", "Elm flood wall failed, Brandt says", "Harwick's flood wall gave way near the railway bridge, Mayor Tomas Brandt said on Sunday. "
           "About 120 residents spent the night in the school gym as the River Elm kept rising."),
    "y3": ("2023-09-04", "Harwick asks why the Elm wall broke", "Engineers inspected the broken flood wall by the railway bridge in Harwick. "
           "Brandt promised an inquiry; the River Elm fell slowly and the school shelter closed."),
}


@pytest.fixture(scope="module")
def floods():
    from storyline.analyse.profile import Profiler

    profiler = Profiler()
    return {key: profiler.profile(Article.from_text(title, text, source=f"test:{key}", language_hint="en",
                                                    published_at=datetime.fromisoformat(day).replace(tzinfo=timezone.utc)))
            for key, (day, title, text) in FLOODS.items()}


def test_split_cuts_groups_of_different_years_at_a_higher_gate(floods):
    from storyline.cluster.events import best_split, year_conflict
    from storyline.cluster.features import Digest

    keys = list(FLOODS)
    joined = dict(threshold=0.0, merge_threshold=1.0, candidate_floor=0.0, window_days=5000.0, rescue_threshold=1.0, consolidate_threshold=1.0)
    whole = EventClusterer(**joined, split_ratio=0.0)
    assert len(set(whole.cluster_many([floods[k] for k in keys]))) == 1  # online: one event
    digests = [Digest(floods[k]) for k in keys]
    ratio, a, b = best_split(whole._member_scores(digests), 3)
    assert sorted([sorted(a), sorted(b)]) == [[0, 1, 2], [3, 4, 5]]
    assert year_conflict(digests[:3], digests[3:])  # dated 2019 vs 2023, and neither names the other's year
    # the plain gate just below this cut's ratio leaves the event whole; the gate for groups of different years cuts it
    plain = dict(joined, split_ratio=ratio - 0.001)
    assert len(set(EventClusterer(**plain, split_year_ratio=ratio - 0.001).cluster_many([floods[k] for k in keys]))) == 1
    model = EventClusterer(**plain, split_year_ratio=min(1.0, ratio + 0.001))
    events = dict(zip(keys, model.cluster_many([floods[k] for k in keys])))
    assert events["x1"] == events["x2"] == events["x3"] != events["y1"] == events["y2"] == events["y3"]
    # unless the two groups agree as two events by split_year_margin more than the consolidation asks
    strict = dict(plain, split_year_ratio=min(1.0, ratio + 0.001), consolidate_threshold=0.0, split_year_margin=0.0)
    assert len(set(EventClusterer(**strict).cluster_many([floods[k] for k in keys]))) == 1
    # the same six articles all dated in one year: no conflict, so only the plain gate counts
    same_year = {k: p.replace(published_at=p.published_at.replace(year=2019)) for k, p in floods.items()}
    assert not year_conflict([Digest(same_year[k]) for k in keys[:3]], [Digest(same_year[k]) for k in keys[3:]])
    assert len(set(EventClusterer(**plain, split_year_ratio=1.0).cluster_many([same_year[k] for k in keys]))) == 1


def _split_floods(floods):  # type: ignore[no-untyped-def]
    """The six flood reports clustered into one event that the batch split cuts in two (by year): (model, events)."""
    keys = list(FLOODS)
    joined = dict(threshold=0.0, merge_threshold=1.0, candidate_floor=0.0, window_days=5000.0, rescue_threshold=1.0, consolidate_threshold=1.0)
    model = EventClusterer(**joined, split_year_ratio=1.0)
    events = dict(zip(keys, model.cluster_many([floods[k] for k in keys])))
    assert model.splits_ and events["x1"] != events["y1"]
    return model, events


def test_consolidation_never_rejoins_a_recorded_split(floods):
    model, events = _split_floods(floods)
    model.consolidate_threshold = 0.0  # any agreement would merge them now
    model.consolidate()
    assert model.event_of(floods["x1"].article_id) != model.event_of(floods["y1"].article_id)
    model.splits_ = []  # without the record, the consolidation joins them again
    model.consolidate()
    assert model.event_of(floods["x1"].article_id) == model.event_of(floods["y1"].article_id)


def test_split_year_parameters_are_validated():
    from storyline.cluster.testing import toy_profile

    for bad in ({"split_year_ratio": 1.5}, {"split_year_margin": -0.1}):
        with pytest.raises(Exception, match=next(iter(bad))):
            EventClusterer(**bad).learn_one(toy_profile("x", [1.0], "Quake hits Kabul"))


def test_consolidation_joins_title_only_events_by_their_titles():
    # bare headlines (no body): the pair model, fitted on articles with a body, scores two headlines of one
    # event low, so each stays alone online; the consolidation compares two such events by their titles
    from storyline.analyse.profile import Profiler

    titles = ["Armed robbers dressed as women raid a Geneva watch shop", "Robbers disguised as women steal watches worth millions in Geneva",
              "Geneva watch boutique robbed by gang in wigs", "Norway's central bank raises interest rates to fight inflation",
              "Oslo rate rise: Norges Bank lifts key rate"]
    profiler = Profiler()
    bare = [profiler.profile(Article.from_text(t, "")) for t in titles]
    assert all(not p.sentences for p in bare)
    alone = dict(threshold=1.0, merge_threshold=1.0, rescue_threshold=1.0)
    events = EventClusterer(**alone).cluster_many(bare)
    assert events[0] == events[1] == events[2] != events[3] == events[4]
    assert len(set(EventClusterer(**alone, consolidate_title_threshold=1.0).cluster_many(bare))) == 5  # off: five events
    # an article with a body is no bare title: its event is compared by the pair model as before
    body = profiler.profile(Article.from_text(titles[1], titles[1] + " Police said so on Monday. Nobody was hurt."))
    assert len(set(EventClusterer(**alone, consolidate_threshold=0.99).cluster_many([bare[0], body]))) == 2
    assert len(set(EventClusterer(**alone, consolidate_threshold=0.99).cluster_many(bare[:2]))) == 1


def test_the_two_halves_of_a_split_are_linked_into_one_story(floods):
    model, events = _split_floods(floods)
    # a linker that would never join two events (threshold 1.0) still keeps the halves of one event together
    stories = StoryLinker(threshold=1.0, window_days=2000.0).link_many(model)
    assert stories[events["x1"]] == stories[events["y1"]]
    # not beyond its window (the floods are four years apart: the default 1,100 days is too narrow too), and not without the record of the split
    narrow = StoryLinker(threshold=1.0, window_days=100.0).link_many(model)
    assert narrow[events["x1"]] != narrow[events["y1"]]
    model.splits_ = []
    assert len(set(StoryLinker(threshold=1.0, window_days=2000.0).link_many(model).values())) == 2


def test_consolidation_floor_is_exact_from_the_floor_up(profiles):
    """``_mutual_agreement(..., floor=)`` (what consolidate scores with) equals the exact agreement wherever that
    reaches the floor, and is below the floor wherever it does not; consolidation merges the same pairs."""
    model = EventClusterer(rescue_threshold=1.0, consolidate_threshold=1.0, candidate_floor=-1.0, representatives=3)
    model.cluster_many(list(profiles.values()))
    live = [model.events_[e] for e in model._live]
    assert len(live) >= 3
    seen = 0
    for a in live:
        for b in live:
            if a is b:
                continue
            exact = model._mutual_agreement(a, b)
            for floor in (0.05, 0.3, 0.6, exact, 0.95):
                got = model._mutual_agreement(a, b, floor=floor)
                assert got == exact if exact >= floor else got < floor
                seen += exact < floor and model._state_agreement(a, b, copies=True, floor=floor) is None
    assert seen  # the early stop was taken
    merged = {}
    for floor_on in (True, False):
        m = EventClusterer(rescue_threshold=1.0, consolidate_threshold=0.3, candidate_floor=-1.0)
        for p in profiles.values():
            m.learn_one(p)
        if not floor_on:
            exact_pairs = type(m)._pair_scores
            m._pair_scores = lambda e, s, ap=None, fl=None, _m=m: exact_pairs(_m, e, s, ap, None)  # type: ignore[method-assign]
        m.consolidate()
        merged[floor_on] = (m.merges_, dict(m.assignments_))
    assert merged[True] == merged[False]


def _settle_state() -> bytes:
    """A pickled clusterer after an online pass that leaves work for the settle: per topic a short report
    that arrives first (alone online, rescued at the settle), three full reports, and an unrelated lone one."""
    import random

    from storyline.pipeline import LexicalProfiler

    rnd = random.Random(7)
    articles = []
    for t in range(12):
        words = [f"topic{t}word{j}" for j in range(8)]
        articles.append(Article.from_text(f"Short {t}", " ".join(rnd.choice(words) for _ in range(8)) + " " + " ".join(f"other{t}x{j}" for j in range(4)) + "."))
        articles += [Article.from_text(f"Topic {t} report {i}", " ".join(rnd.choice(words) for _ in range(30)) + ".") for i in range(3)]
        articles.append(Article.from_text(f"Lone {t}", " ".join(f"lone{t}w{j}" for j in range(12)) + "."))
    model = EventClusterer()
    for a in articles:
        model.learn_one(LexicalProfiler().profile(a))
    return pickle.dumps(model)


def test_settle_decides_the_same_with_and_without_its_helper() -> None:
    state = _settle_state()
    plain, helped = pickle.loads(state), pickle.loads(state)
    plain.settle(helper=False)
    helped.settle(helper=True)
    assert len(plain.merges_) >= 5  # the short reports rejoin their topics
    assert helped.merges_ == plain.merges_ and helped.assignments_ == plain.assignments_ and not helped.unsettled_


def test_the_settle_helper_sends_the_scores_the_settle_would_make() -> None:
    """Every score the forked helper sends (run to its end first) is bit for bit what the settle makes itself for
    that representative against that event of that size, with and without the copy rule."""
    from storyline.cluster.events import _Prefetch

    model = pickle.loads(_settle_state())
    with model._memo_links():
        prefetch = _Prefetch.start(model)
        assert prefetch is not None
        prefetch.drain(wait=True)
        ready = dict(prefetch.ready)
        prefetch.stop()
    assert len(ready) >= 12 and {e for _, e, _ in ready} & {e for e, ev in model.events_.items() if ev.n_articles > 2}
    digests = {r.profile.article_id: r for ev in model.events_.values() for r in ev.representatives}
    for (article_id, event_id, size), (score, copy) in ready.items():
        event = model.events_[event_id]
        assert len(event.members) == size
        assert model._scored(digests[article_id], event) == score
        assert model._scored(digests[article_id], event, copies=True) == (max(score, 0.99) if copy else score)
