"""The online pipeline over a real SQLite store: placement, restart (snapshot + replay), failures, story shortlist."""

from __future__ import annotations

import pickle
import random
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from storyline.cluster import EventClusterer, StoryLinker
from storyline.cluster.testing import toy_profile
from storyline.pipeline import LexicalProfiler, Pipeline, ShortlistStoryLinker, make_profiler, outlet_of
from storyline.store import open_store
from storyline.types import Article, DateMention, Mention, NumberMention, Place

T0 = datetime(2020, 3, 1, tzinfo=timezone.utc)


def stream(n: int, seed: int = 1) -> list[Article]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        t = rnd.randrange(max(1, n // 4))
        vocab = random.Random(t)
        pool = ["".join(vocab.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(vocab.randrange(4, 9))) for _ in range(10)]
        out.append(Article.from_text(" ".join(pool[:3]), " ".join(rnd.choice(pool) for _ in range(30)) + ".",
                                     source=f"test:{i}", published_at=T0 + timedelta(hours=i), url=f"https://t.example/{i}",
                                     meta={"outlet": f"o{i % 3}"}))
    return out


@pytest.fixture()
def store(tmp_path):  # type: ignore[no-untyped-def]
    s = open_store(tmp_path / "p.db")
    yield s
    s.close()


def test_add_one_places_and_skips_duplicates(store):  # type: ignore[no-untyped-def]
    pipe = Pipeline(store, profiler="lexical")
    arts = stream(6)
    first = pipe.add_one(arts[0])
    assert first.event_id and first.story_id and not first.duplicate
    again = pipe.add_one(arts[0])
    assert again.duplicate and again.event_id == first.event_id
    same_url = Article.from_text("other", "other text", url=arts[0].url)
    assert pipe.add_one(same_url).duplicate
    stored = store.get_article(arts[0].article_id)
    assert stored is not None and stored.event_id == first.event_id and stored.outlet == "o0"
    assert store.counts()["articles"] == 1


def test_restart_replays_what_the_snapshot_missed(store):  # type: ignore[no-untyped-def]
    arts = stream(80)
    pipe = Pipeline(store, profiler="lexical", batch_size=8, snapshot_every=10_000)
    pipe.ingest(arts[:40])
    seq_40, state_40 = store.last_seq(), pipe.snapshot_bytes()
    pipe.ingest(arts[40:])
    # as if the process died after storing 40 more articles but before snapshotting them
    store.save_snapshot(seq_40, state_40)
    resumed = Pipeline(store, profiler="lexical")
    assert resumed.replayed == 40
    assert resumed.clusterer.assignments_ == pipe.clusterer.assignments_
    assert resumed.linker.assignments_ == pipe.linker.assignments_
    # and with no snapshot at all, the whole log is replayed to the same state
    store.save_snapshot(0, b"")
    store._writer().execute("DELETE FROM snapshots")
    rebuilt = Pipeline(store, profiler="lexical")
    assert rebuilt.replayed == 80 and rebuilt.clusterer.assignments_ == pipe.clusterer.assignments_
    # a new article after the restart lands as it would have without one
    extra = stream(81)[80]
    assert rebuilt.add_one(extra).event_id == pipe.add_one(extra).event_id or store.known_ids([extra.article_id])


def test_events_in_store_match_the_clusterer(store):  # type: ignore[no-untyped-def]
    pipe = Pipeline(store, profiler="lexical", batch_size=5)
    report = pipe.ingest(stream(60))
    assert report.added == 60 and report.failed == 0
    c = pipe.clusterer
    assert 5 < len(c.events_) < 30
    for event_id, ev in c.events_.items():
        stored = store.get_event(event_id)
        assert stored is not None and stored.n_articles == len(ev.members)
        assert {a.article_id for a in stored.articles} == set(ev.members)
        assert stored.story_id == pipe.linker.assignments_[event_id]
    assert store.counts()["events"] == len(c.events_)
    assert len(store.merges()) == len(c.merges_) and len(store.copies()) == len({(a, b) for a, b, _, _ in c.copies_.edges})


class Exploding(LexicalProfiler):
    def profile(self, article: Article):  # type: ignore[no-untyped-def]
        if "boom" in article.title:
            raise ValueError("cannot analyse this one")
        return super().profile(article)


def test_a_failing_record_is_reported_and_the_batch_goes_on(store):  # type: ignore[no-untyped-def]
    arts = stream(10)
    bad = Article.from_text("boom", "this article breaks the profiler", source="test:boom")
    report = Pipeline(store, profiler=Exploding()).ingest([*arts[:5], bad, *arts[5:]])
    assert report.added == 10 and [f.source for f in report.failures] == ["test:boom"]
    assert [(f.source, f.stage, f.reason) for f in store.failures()] == [("test:boom", "analyse", "cannot analyse this one")]


def themed_events(n: int = 150) -> EventClusterer:
    rnd = random.Random(3)
    events = EventClusterer()
    for i in range(n):
        base = i % 40  # 40 themes: events of one theme are near each other, others are not
        direction = [1.0 if j == base else 0.0 for j in range(40)] + [rnd.gauss(0, 0.6) for _ in range(8)]
        day = (T0 + timedelta(days=rnd.randrange(900))).date().isoformat()
        names = " ".join(rnd.sample(["Kabul", "Doha", "Tokyo", "Paris", "Lima", "Oslo", "Accra"], 2))
        events.learn_one(toy_profile(f"a{i}", direction, f"Story {i} {rnd.random()}", names=names, day=day, text=f"Story {i}. In {names} it went on {rnd.random()}."))
    return events


def test_shortlist_linker_makes_the_plain_linkers_choices():  # type: ignore[no-untyped-def]
    events = themed_events()
    plain = StoryLinker().link_many(events)
    short = ShortlistStoryLinker(shortlist=4).link_many(events)
    assert len(events.events_) > 40 and len(set(plain.values())) > 8
    assert short == plain
    with_ann = ShortlistStoryLinker(shortlist=4, ann_after=8)  # the nearest stories from an HNSW index (approximate; exact here)
    assert with_ann.link_many(events) == plain and with_ann._index._ann is not None


def test_shortlist_linker_builds_the_plain_linkers_stories_with_its_scores():  # type: ignore[no-untyped-def]
    """Its own learn_one and inlined score (names made once, story centroids kept) change nothing: the same
    stories (events, names, days, vector sums) as StoryLinker, each choice scored as StoryLinker.score scores it,
    and a pickled linker (which leaves its centroid cache behind) goes on the same."""
    events = themed_events()
    order = sorted(events.events_.values(), key=lambda e: (e.first_day, e.slot))
    plain, short = StoryLinker(), ShortlistStoryLinker(shortlist=4)
    for k, event in enumerate(order):
        if k == len(order) // 2:
            short = pickle.loads(pickle.dumps(short))
            assert "_centroids" not in short.__dict__
        if k > 8:
            best, score = short._best(event)
            assert best is not None and score == plain.score(event, plain.stories_[best]) == short.score(event, short.stories_[best])
            assert (best, score) == plain._best(event)  # scoring only what can still win chooses what scoring all does
        assert short.learn_one(event) == plain.learn_one(event)
    assert short.stories_.keys() == plain.stories_.keys() and len(plain.stories_) > 8
    for story_id, story in plain.stories_.items():
        other = short.stories_[story_id]
        assert (other.events, other.names, other.first_day, other.last_day, other.norm) == (story.events, story.names, story.first_day, story.last_day, story.norm)
        assert np.array_equal(other.vector_sum, story.vector_sum)


def test_shortlist_linker_breaks_ties_and_bounds_its_scores_as_scoring_all_does():  # type: ignore[no-untyped-def]
    """Stories made twins (same centroid and names) score alike for every event: the lowest slot wins, as in
    StoryLinker._best, also when the twins come from the names and not from the nearest ``shortlist``."""
    events = themed_events(90)
    order = sorted(events.events_.values(), key=lambda e: (e.first_day, e.slot))
    short = ShortlistStoryLinker(shortlist=1)
    for event in order:
        short.learn_one(event)
    stories = list(short.stories_.values())
    assert len(stories) > 12
    model = stories[0]
    for story in stories[3::4]:
        story.vector_sum, story.norm, story.names = model.vector_sum.copy(), model.norm, dict(model.names)
        story.first_day, story.last_day = model.first_day, model.last_day
        story.events.append("twin")  # a story that grew: its kept centroid is made again
        for d in (story.first_day, story.last_day):
            short._index.upsert(short._pos[story.story_id], np.asarray(story.centroid, dtype=np.float32), day=d.toordinal())
    ties = 0
    for event in order:
        best, score = short._best(event)
        assert (best, score) == StoryLinker._best(short, event)  # every story scored, first best kept
        ties += sum(short.score(event, s) == score for s in stories) > 1
    assert ties > 10


def test_a_snapshot_is_the_plain_pickle_of_the_state(store):  # type: ignore[no-untyped-def]
    """The snapshot pickler's reducers for records (Pipeline._snapshot_reducers) only make it faster: same bytes."""
    pipe = Pipeline(store, profiler="lexical")
    for i, (names, day) in enumerate([("Kabul Doha", "2020-02-29"), ("Doha Kabul Tokyo", "2020-03-01"), ("Lima", None)]):
        profile = toy_profile(f"s{i}", [1.0, 0.1 * i], f"Talks {i}", names=names, day=day, text=f"Talks in {names} went on. It was day {i}.")
        first = names.split()[0]
        profile = profile.replace(  # every kind of record a profile holds
            entities=(Mention(first, "LOC", 9, 9 + len(first), "en", first.lower()),),
            places=(Place(first, f"geo:{first}", first, "AF", "city", 9),),
            dates=(DateMention("2020", date(2020, 1, 1), 0, "year"),),
            numbers=(NumberMention("12 troops", 12.0, "troops", 3),),
        )
        pipe.add_one(Article.from_text(f"Talks {i}", f"Talks went on {i}."), profile=profile)
    header, body = pipe.snapshot_bytes().split(b"\n", 1)
    assert header.startswith(b"storyline-snapshot ")
    assert body == pickle.dumps((pipe.clusterer, pipe.linker), protocol=pickle.HIGHEST_PROTOCOL)


def test_shortlist_linker_has_the_plain_linkers_defaults():  # type: ignore[no-untyped-def]
    """The pipeline's linker must link stories as `cluster`/`link_many` do: a story's 2018 and 2020 rounds
    (about 800 days apart) are one story in both."""
    plain, short = StoryLinker(), ShortlistStoryLinker()
    assert {k: v for k, v in short._get_params().items() if k not in ("shortlist", "ann_after")} == plain._get_params()
    events = EventClusterer()
    rounds = [("2018-08-26", [1.0, 0.0], "Envoys meet in Doha", "Envoys met in Doha for a first round."),
              ("2020-11-22", [0.6, 0.8], "Kabul hails the Doha deal", "Kabul said the Doha agreement holds after months of talks.")]
    for i, (day, vector, title, text) in enumerate(rounds):
        events.learn_one(toy_profile(f"r{i}", vector, title, names="Doha Kabul", day=day, text=text))
    assert len(events.events_) == 2
    assert len(set(short.link_many(events).values())) == 1 == len(set(plain.link_many(events).values()))


def test_profilers_and_outlets():  # type: ignore[no-untyped-def]
    from storyline.errors import ConfigError

    assert isinstance(make_profiler("lexical"), LexicalProfiler)
    with pytest.raises(ConfigError, match="unknown profiler"):
        make_profiler("magic")
    assert outlet_of(Article.from_text("t", "x", source="jsonl:feeds/a.jsonl:12")) == "feeds/a.jsonl"
    assert outlet_of(Article.from_text("t", "x", url="http://user@news.example.com:8080/a")) == "news.example.com"


@pytest.mark.parametrize("snapshot", [b"not a pickle", "other code"])
def test_a_stale_snapshot_is_not_used_and_the_store_is_resynced(store, snapshot):  # type: ignore[no-untyped-def]
    import pickle

    from storyline.pipeline import SNAPSHOT_VERSION

    pipe = Pipeline(store, profiler="lexical", batch_size=8)
    arts = stream(30)
    pipe.ingest(arts)
    data = snapshot if isinstance(snapshot, bytes) else pickle.dumps((SNAPSHOT_VERSION, snapshot, pipe.clusterer, pipe.linker))
    store.save_snapshot(store.last_seq(), data)
    victim = arts[7].article_id
    store._writer().execute("UPDATE articles SET event_id = 'e-wrong' WHERE article_id = ?", (victim,))
    resumed = Pipeline(store, profiler="lexical")
    assert resumed.replayed == 30
    assert store.get_article(victim).event_id == pipe.clusterer.assignments_[victim]  # type: ignore[union-attr]
    assert Pipeline(store, profiler="lexical").replayed == 0  # the resync wrote a fresh snapshot


def test_add_one_from_many_threads(store):  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    pipe = Pipeline(store, profiler="lexical")
    arts = stream(40)
    with ThreadPoolExecutor(4) as pool:
        placements = list(pool.map(pipe.add_one, arts + arts[:10]))
    assert store.counts()["articles"] == 40 and sum(p.duplicate for p in placements) == 10
    assert all(store.get_article(p.article_id).event_id == pipe.clusterer.assignments_[p.article_id] for p in placements)  # type: ignore[union-attr]


def _worker_threads(_: int) -> list[int]:
    from threadpoolctl import threadpool_info

    import numpy as np

    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS loaded and used in this worker
    return [int(info["num_threads"]) for info in threadpool_info()]


def test_profiling_workers_run_one_thread_each_and_cluster_as_in_process(tmp_path):  # type: ignore[no-untyped-def]
    import multiprocessing as mp

    from storyline.pipeline import _init_worker

    with mp.get_context("spawn").Pool(1, initializer=_init_worker, initargs=("lexical",)) as pool:
        threads = pool.map(_worker_threads, [0])[0]
    assert threads and set(threads) == {1}
    arts = stream(40)
    a, b = open_store(tmp_path / "a.db"), open_store(tmp_path / "b.db")
    try:
        in_process = Pipeline(a, profiler="lexical", workers=0, batch_size=8)
        in_workers = Pipeline(b, profiler="lexical", workers=2, batch_size=8)
        assert in_workers.ingest(arts).added == in_process.ingest(arts).added == 40
        assert in_workers.clusterer.assignments_ == in_process.clusterer.assignments_
        assert in_workers._shared_profiler is not None  # loaded once here; the forked workers used it
    finally:
        a.close()
        b.close()


def test_a_long_stream_retires_old_events_and_restarts_from_a_streamed_snapshot(tmp_path):  # type: ignore[no-untyped-def]
    store = open_store(tmp_path / "r.db")
    store.snapshot_part_bytes = 8192  # many parts: the snapshot is streamed into them and read back from them
    arts = [Article.from_text(a.title, a.text, source=a.source, published_at=T0 + timedelta(days=i), url=a.url, meta=a.meta)
            for i, a in enumerate(stream(120, seed=3))]  # one article a day for four months
    clusterer = EventClusterer(window_days=5, retire_after=4, retire_margin_days=5)
    pipe = Pipeline(store, profiler="lexical", batch_size=16, snapshot_every=50, clusterer=clusterer)
    pipe.ingest(arts[:100])
    c = pipe.clusterer
    retired = [e for e, ev in c.events_.items() if ev.retired]
    assert retired and c.n_live_ < len(c.events_) and all(not c.events_[e].representatives for e in retired)
    assert store._rows("SELECT COUNT(*) FROM snapshots")[0][0] > 1
    for event_id in retired[:5]:  # the store still shows retired events as they were
        stored = store.get_event(event_id)
        assert stored is not None and stored.n_articles == c.summary(event_id)["n_articles"]
    resumed = Pipeline(store, profiler="lexical", batch_size=16)
    assert resumed.replayed == 0 and resumed.clusterer.n_live_ == c.n_live_
    assert resumed.clusterer.assignments_ == c.assignments_ and resumed.linker.assignments_ == pipe.linker.assignments_
    profiles = [LexicalProfiler().profile(a) for a in arts[100:]]
    assert [resumed.clusterer.learn_one(p) for p in profiles] == [c.learn_one(p) for p in profiles]
    store.close()


def test_a_pooled_ingest_reads_ahead_for_the_languages_and_loses_no_article(tmp_path):  # type: ignore[no-untyped-def]
    from storyline.pipeline import PRELOAD_PEEK, stream_languages

    de = Article.from_text("", "Der Bundestag hat am Donnerstag das Gesetz nach langer Debatte verabschiedet.")
    ru = Article.from_text("", "Переговоры возобновились в понедельник в Дохе.", language_hint="ru-RU")
    odd = Article.from_text("", "", language_hint="tlh")  # not a supported language: nothing to load
    assert stream_languages([de, ru, odd, de]) == ("en", "de", "ru")
    assert stream_languages([]) == ("en",)
    arts = stream(PRELOAD_PEEK + 44)  # more than the read-ahead: the articles read ahead are profiled too
    store = open_store(tmp_path / "peek.db")
    try:
        pipe = Pipeline(store, profiler="lexical", workers=1, batch_size=16)
        assert pipe.ingest(arts).added == len(arts) == store.counts()["articles"]
        assert pipe._shared_profiler is not None
    finally:
        store.close()


class ExplodingMany(Exploding):
    def profile_many(self, articles, *, batch=4):  # type: ignore[no-untyped-def]
        return [self.profile(a) for a in articles]


def test_a_worker_batch_with_a_failing_article_fails_only_that_article():  # type: ignore[no-untyped-def]
    import sys

    from storyline.pipeline import _WORKER, _profile_encoded_many
    from storyline.store.codec import decode_profile
    from storyline.types import RecordError

    arts = stream(3)
    bad = Article.from_text("boom", "this article breaks the profiler", source="test:boom")
    saved = dict(_WORKER)
    try:
        # a worker's state (as _init_worker sets it, without limiting this test process's threads)
        _WORKER.update(profiler=ExplodingMany(), modules=len(sys.modules))
        results = _profile_encoded_many([arts[0], bad, arts[1], arts[2]])
    finally:
        _WORKER.clear()
        _WORKER.update(saved)
    assert [a.source for a, _ in results] == [arts[0].source, "test:boom", arts[1].source, arts[2].source]
    assert isinstance(results[1][1], RecordError) and results[1][1].reason == "cannot analyse this one"
    assert [decode_profile(r).article_id for _, r in results[::2] + results[3:]] == [arts[0].article_id, arts[1].article_id, arts[2].article_id]


def test_an_ingest_run_ends_settled_and_stores_the_merges(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A short report that opened its own event online joins the full reports when the run ends; the
    store shows one event and records the merge."""
    rnd = random.Random(1)
    words = [f"alpha{j}" for j in range(8)]
    short = Article.from_text("Short", " ".join(rnd.choice(words) for _ in range(8)) + " " + " ".join(f"other{j}" for j in range(4)) + ".")
    full = [Article.from_text(f"Alpha {i}", " ".join(rnd.choice(words) for _ in range(30)) + ".") for i in range(4)]
    store = open_store(str(tmp_path / "s.db"))
    try:
        report = Pipeline(store, profiler="lexical", workers=0).ingest([short, *full])
        assert report.added == 5
        events = {row["event_id"] for row in store.iter_rows("articles")}
        assert len(events) == 1
        assert store.counts()["merges"] >= 1 and store.merges()[-1].into in events
    finally:
        store.close()
    with open_store(str(tmp_path / "s.db")) as again:  # restarted from the run's last snapshot: settled state
        pipe = Pipeline(again, profiler="lexical", workers=0)
        assert not pipe.clusterer.unsettled_ and len(set(pipe.clusterer.assignments_.values())) == 1
