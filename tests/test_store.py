"""The store test suite: every test runs on SQLite and on a real PostgreSQL (started by the tests via pgserver)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from storyline.cluster.testing import toy_profile
from storyline.store import EventFilter, NewArticle, StoreError, WriteBatch, open_store
from storyline.store.codec import decode_profile, encode_profile
from storyline.types import Article, Mention, Place, RecordError

UTC = timezone.utc
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A real PostgreSQL 16 + pgvector server in a temp dir (pgserver), for the whole session."""
    from storyline.store.postgres import start_test_server

    server = start_test_server(tmp_path_factory.mktemp("pg"))
    if server is None:
        pytest.skip("pgserver is not installed (pip install -e '.[test]')")
    yield server
    from storyline.store.postgres import stop_test_server

    stop_test_server(server)


_DB_COUNTER = iter(range(1_000_000))


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    from storyline.store.postgres import create_database

    server = request.getfixturevalue("pg_server")
    return create_database(server, f"storyline_test_{next(_DB_COUNTER)}")


@pytest.fixture()
def store(store_url):  # type: ignore[no-untyped-def]
    s = open_store(store_url)
    yield s
    s.close()


def make(title: str, text: str, *, direction: list[float], lang: str = "en", day: str = "2020-02-29", url: str | None = None,
         names: tuple[tuple[str, str], ...] = (), places: tuple[tuple[str, str, str], ...] = ()) -> NewArticle:
    published = datetime.fromisoformat(day).replace(tzinfo=UTC)
    article = Article.from_text(title, text, source=f"test:{title}", published_at=published, url=url, language_hint=lang)
    profile = toy_profile(article.article_id, direction, title, text=text, language=lang, day=day)
    profile = profile.replace(
        entities=tuple(Mention(n, "PER", 0, len(n), lang, key) for n, key in names),
        places=tuple(Place(t, pid, name, pid[-2:] if pid.startswith("iso:") else "AF", "city") for t, pid, name in places),
    )
    return NewArticle(article, profile, outlet=f"outlet-{lang}")


@pytest.fixture()
def corpus() -> dict[str, NewArticle]:
    return {
        "en1": make("Milley meets Taliban in Doha", "Gen. Mark Milley met Taliban negotiators in Doha on Monday.", direction=[1, 0, 0],
                    names=(("Mark Milley", "mark mili"),), places=(("Doha", "geonames:290030", "Doha"),), url="https://a.example/1"),
        "zh1": make("米利在多哈会见塔利班", "马克·米利周一在多哈会见了塔利班谈判代表。", direction=[0.95, 0.1, 0], lang="zh",
                    names=(("马克·米利", "mark mili"),), places=(("多哈", "geonames:290030", "Doha"),)),
        "en2": make("Stocks fall in Tokyo", "The Nikkei fell sharply in Tokyo on Tuesday.", direction=[0, 1, 0], day="2020-03-03",
                    places=(("Tokyo", "geonames:1850147", "Tokyo"),)),
        "de1": make("Börse in Tokio bricht ein", "Der Nikkei fiel am Dienstag in Tokio stark.", direction=[0.1, 0.95, 0], lang="de", day="2020-03-03"),
        "en3": make("Talks resume in Doha", "Khalilzad and the Taliban resumed talks in Doha.", direction=[0.9, 0, 0.3], day="2020-03-10",
                    names=(("Zalmay Khalilzad", "salmi halilsad"),)),
    }


def _ingest(store, corpus):  # type: ignore[no-untyped-def]
    """Two events (Doha: en1+zh1, Tokyo: en2+de1), a third event later merged into Doha, one story for Doha."""
    c = corpus
    batch = WriteBatch(
        articles=[
            NewArticle(c["en1"].article, c["en1"].profile, "bbc", "ev-doha"),
            NewArticle(c["zh1"].article, c["zh1"].profile, "xinhua", "ev-doha"),
            NewArticle(c["en2"].article, c["en2"].profile, "nikkei", "ev-tokyo"),
            NewArticle(c["de1"].article, c["de1"].profile, "dpa", "ev-tokyo"),
            NewArticle(c["en3"].article, c["en3"].profile, "bbc", "ev-talks"),
        ],
        copies=[(c["zh1"].article.article_id, c["en1"].article.article_id, "translation", 0.91)],
        stories={"ev-doha": "st-afghan", "ev-tokyo": "st-markets", "ev-talks": "st-afghan"},
        event_days={"ev-doha": ("2020-02-29", "2020-02-29")},
    )
    result = store.write(batch)
    assert len(result.added) == 5
    store.write(WriteBatch(merges=[("ev-talks", "ev-doha", 0.7)]))
    return c


def test_add_is_idempotent_by_content_hash_and_url(store, corpus):  # type: ignore[no-untyped-def]
    first = store.add_articles([corpus["en1"], corpus["en2"]])
    assert len(first.added) == 2 and first.duplicates == [] and first.last_seq >= 2
    again = store.add_articles([corpus["en1"]])
    assert again.added == [] and again.duplicates == [corpus["en1"].article.article_id]
    # same URL, different content: already stored
    other = Article.from_text("Updated title", "Different text entirely.", url="https://a.example/1")
    assert store.add_articles([other]).duplicates == [other.article_id]
    assert store.counts()["articles"] == 2
    assert store.known_ids([corpus["en1"].article.article_id, "nope"], ["https://a.example/1"]) == {
        corpus["en1"].article.article_id, "https://a.example/1"}


def test_article_round_trips_with_profile(store, corpus):  # type: ignore[no-untyped-def]
    store.add_articles([corpus["zh1"]])
    got = store.get_article(corpus["zh1"].article.article_id, profile=True)
    assert got is not None and got.language == "zh" and got.outlet == "outlet-zh"
    assert got.published_at == datetime(2020, 2, 29, tzinfo=UTC)
    assert got.profile is not None and got.profile.sentences == corpus["zh1"].profile.sentences
    assert float(got.profile.lead_vector @ corpus["zh1"].profile.lead_vector) > 0.999
    assert [e["name"] for e in got.entities] == ["马克·米利"]
    body = got.to_json()
    assert body["profile"]["entities"][0]["key"] == "mark mili" and body["published_at"].startswith("2020-02-29")
    assert store.get_article("missing") is None


def test_events_counts_headlines_and_copies(store, corpus):  # type: ignore[no-untyped-def]
    c = _ingest(store, corpus)
    doha = store.get_event("ev-doha")
    assert doha is not None
    assert doha.n_articles == 3 and doha.n_independent == 2  # the zh article is a translation of en1
    assert doha.headlines == {"en": "Milley meets Taliban in Doha", "zh": "米利在多哈会见塔利班"}
    assert doha.languages == {"en": 2, "zh": 1} and doha.sources == {"bbc": 2, "xinhua": 1}
    assert doha.first_day == "2020-02-29" and doha.first_seen == datetime(2020, 2, 29, tzinfo=UTC)
    assert doha.last_seen == datetime(2020, 3, 10, tzinfo=UTC)
    zh = next(a for a in doha.articles if a.language == "zh")
    assert zh.copy_of == c["en1"].article.article_id and zh.copy_kind == "translation"
    # a merged-away id resolves to the surviving event
    assert store.get_event("ev-talks").event_id == "ev-doha"  # type: ignore[union-attr]
    # its places in one query: Doha named by the en and zh reports; a merged-away id gives the survivor's
    assert store.event_places("ev-doha") == ({"place_id": "geonames:290030", "name": "Doha", "country": "AF", "n_articles": 2},)
    assert store.event_places("ev-talks") == store.event_places("ev-doha") and store.event_places("ev-tokyo")[0]["name"] == "Tokyo"
    assert [m.absorbed for m in store.merges()] == ["ev-talks"]
    assert store.counts()["events"] == 2
    assert store.get_event("nope") is None


def test_list_events_filters(store, corpus):  # type: ignore[no-untyped-def]
    _ingest(store, corpus)

    def ids(**kw):  # type: ignore[no-untyped-def]
        return [e.event_id for e in store.list_events(EventFilter(**kw)).items]

    assert ids() == ["ev-doha", "ev-tokyo"]  # most recently seen first
    assert ids(language="de") == ["ev-tokyo"]
    assert ids(language="zh") == ["ev-doha"]
    assert ids(source="dpa") == ["ev-tokyo"]
    assert ids(since=datetime(2020, 3, 5, tzinfo=UTC)) == ["ev-doha"]
    assert ids(until=datetime(2020, 3, 1, tzinfo=UTC)) == ["ev-doha"]
    assert ids(place="geonames:1850147") == ["ev-tokyo"] and ids(place="doha") == ["ev-doha"]
    assert ids(entity="mark mili") == ["ev-doha"]
    assert ids(entity="马克·米利") == ["ev-doha"]
    assert ids(story_id="st-markets") == ["ev-tokyo"]


def test_free_text_search_across_scripts(store, corpus):  # type: ignore[no-untyped-def]
    _ingest(store, corpus)

    def q(text: str, **kw):  # type: ignore[no-untyped-def]
        return [e.event_id for e in store.list_events(EventFilter(q=text, **kw)).items]

    assert q("Nikkei") == ["ev-tokyo"]
    assert q("多哈") == ["ev-doha"]  # two-character Chinese word, found as a phrase of characters
    assert q("nikkei tokio") == ["ev-tokyo"]  # every word must match (AND)
    assert q("earthquake") == []
    # the name key finds the other script: 米利 (zh) and "Milley" (en) both key to "mili"
    page = store.list_articles(EventFilter(q="米利"))
    assert {a.language for a in page.items} == {"en", "zh"}
    assert q("Khalilzad") == ["ev-doha"]  # the merged event's article now belongs to ev-doha


def test_pagination(store, corpus):  # type: ignore[no-untyped-def]
    _ingest(store, corpus)
    first = store.list_articles(EventFilter(limit=2))
    second = store.list_articles(EventFilter(limit=2, offset=2))
    last = store.list_articles(EventFilter(limit=2, offset=4))
    assert first.total == 5 and first.next_offset == 2 and last.next_offset is None
    seen = [a.article_id for p in (first, second, last) for a in p.items]
    assert len(seen) == len(set(seen)) == 5
    assert first.to_json()["next_offset"] == 2
    assert store.list_events(EventFilter(limit=1)).items[0].event_id == "ev-doha"
    assert store.list_events(EventFilter(limit=1, offset=1)).items[0].event_id == "ev-tokyo"


def test_story_has_events_timeline_entities_places(store, corpus):  # type: ignore[no-untyped-def]
    _ingest(store, corpus)
    stories = store.list_stories()
    assert [s.story_id for s in stories.items] == ["st-afghan", "st-markets"]
    assert [s.story_id for s in store.list_stories(EventFilter(language="de")).items] == ["st-markets"]
    story = store.get_story("st-afghan")
    assert story is not None and story.n_events == 1 and story.n_articles == 3 and story.n_independent == 2
    assert [t["event_id"] for t in story.timeline] == ["ev-doha"] and story.timeline[0]["date"] == "2020-02-29"
    milley = next(e for e in story.entities if e["key"] == "mark mili")
    assert milley["variants"] == {"en": ["Mark Milley"], "zh": ["马克·米利"]}
    assert story.places[0]["place_id"] == "geonames:290030" and story.places[0]["n_articles"] == 2
    assert story.to_json()["events"][0]["headlines"]["zh"] == "米利在多哈会见塔利班"
    assert store.get_story("nope") is None


def test_untitled_events_get_a_headline_and_undated_events_the_month_their_text_names(store):  # type: ignore[no-untyped-def]
    """A text file has no title: the event shows its first title, else its first member's opening sentence.
    An event with no day anywhere sits on the timeline at the month its text names, else as undated —
    never at the moment it was stored."""
    from datetime import date

    from storyline.types import DateMention

    def untitled(title: str, text: str, months: tuple[date, ...] = ()) -> NewArticle:
        article = Article.from_text(title, text, source=f"test:{text[:12]}", language_hint="en")
        profile = toy_profile(article.article_id, [1, 0, 0], title, text=text).replace(
            dates=tuple(DateMention(m.strftime("%B %Y"), m, precision="month") for m in months))
        return NewArticle(article, profile, outlet="wire")

    quiet = untitled("", "Envoys met in Doha again, officials said on Thursday. Nothing was agreed.", (date(2021, 5, 1),))
    titled = untitled("Doha talks resume", "The second day of talks began in Doha.")
    silent = untitled("", "A spokesman declined to comment on the talks. More later.")
    late = make("Deal signed in Doha", "The deal was signed in Doha.", direction=[1, 0, 0], day="2020-02-29")
    store.write(WriteBatch(articles=[NewArticle(quiet.article, quiet.profile, "wire", "ev-quiet"),
                                     NewArticle(titled.article, titled.profile, "wire2", "ev-quiet"),
                                     NewArticle(silent.article, silent.profile, "wire", "ev-silent"),
                                     NewArticle(late.article, late.profile, "bbc", "ev-deal")],
                           stories={"ev-quiet": "st", "ev-silent": "st", "ev-deal": "st"},
                           event_days={"ev-deal": ("2020-02-29", "2020-02-29")}))
    assert store.get_event("ev-quiet").headline == "Doha talks resume"  # type: ignore[union-attr]
    assert store.get_event("ev-silent").headline == "A spokesman declined to comment on the talks."  # type: ignore[union-attr]
    story = store.get_story("st")
    assert story is not None and story.headline
    assert [(t["event_id"], t["date"], t["precision"]) for t in story.timeline] == [
        ("ev-deal", "2020-02-29", "day"), ("ev-quiet", "2021-05-01", "month"), ("ev-silent", None, "day")]
    assert story.timeline[2]["first_seen"] and story.timeline[2]["last_date"] is None


def test_entity_with_name_variants(store, corpus):  # type: ignore[no-untyped-def]
    _ingest(store, corpus)
    for query in ("mark mili", "Mark Milley", "马克·米利"):
        entity = store.get_entity(query)
        assert entity is not None, query
        assert entity.key == "mark mili" and entity.n_articles == 2
        assert entity.variants == {"en": ["Mark Milley"], "zh": ["马克·米利"]} and entity.events == ("ev-doha",)
    assert store.get_entity("Nobody Atall") is None
    page = store.list_entities()
    assert page.total == 2 and page.items[0].key == "mark mili"


def test_failures_snapshot_and_nearest(store, corpus):  # type: ignore[no-untyped-def]
    _ingest(store, corpus)
    store.write(WriteBatch(failures=[RecordError("feed.xml#entry-3", "ingest", "no text", raw=b"<item/>")], snapshot=(-1, b"state")))
    assert [(f.source, f.reason) for f in store.failures()] == [("feed.xml#entry-3", "no text")]
    assert store.load_snapshot() == (store.last_seq(), b"state")
    store.save_snapshot(3, b"older")
    assert store.load_snapshot() == (3, b"older")
    store.snapshot_part_bytes = 4  # big snapshots are stored in parts (SQLite values stop at 1 GB)
    store.save_snapshot(5, b"0123456789")
    assert store.load_snapshot() == (5, b"0123456789")
    assert store._rows("SELECT COUNT(*) FROM snapshots")[0][0] == 3
    near = store.nearest(corpus["de1"].profile.lead_vector, k=2)
    assert {a for a, _ in near} == {corpus["de1"].article.article_id, corpus["en2"].article.article_id}
    assert near[0][1] > 0.99


def test_a_failing_batch_writes_nothing(store, corpus):  # type: ignore[no-untyped-def]
    bad = NewArticle(corpus["en2"].article, profile="not a profile")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        store.write(WriteBatch(articles=[corpus["en1"], bad]))
    assert store.counts()["articles"] == 0
    assert store.add_articles([corpus["en1"]]).added == [corpus["en1"].article.article_id]


def test_schema_version_and_reopen(store_url):  # type: ignore[no-untyped-def]
    store = open_store(store_url)
    assert store.schema_version() == 1
    store.add_articles([Article.from_text("A", "b")])
    store.close()
    again = open_store(store_url)
    assert again.schema_version() == 1 and again.counts()["articles"] == 1
    again.close()


def test_codec_rejects_other_versions(corpus):  # type: ignore[no-untyped-def]
    blob = encode_profile(corpus["en1"].profile)
    assert decode_profile(blob).title == "Milley meets Taliban in Doha"
    with pytest.raises(StoreError, match="version 9"):
        decode_profile(blob[:3] + bytes([9]) + blob[4:])


def test_open_store_urls(tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(StoreError, match="unknown store URL"):
        open_store("mysql://x")
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert store.counts()["articles"] == 0
    store.close()
    (tmp_path / "junk.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a storyline database"):
        open_store(tmp_path / "junk.db")


def test_newer_schema_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    import sqlite3

    path = tmp_path / "s.db"
    open_store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'later')")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        open_store(path)


def test_since_is_a_window(store, corpus):  # type: ignore[no-untyped-def]
    _ingest(store, corpus)
    late = datetime(2020, 3, 10, tzinfo=UTC) - timedelta(days=2)
    assert store.list_events(EventFilter(since=late)).total == 1
    assert np.isclose(store.nearest(corpus["en1"].profile.lead_vector, k=1)[0][1], 1.0, atol=1e-3)


def test_export_import_round_trip(store, corpus, tmp_path):  # type: ignore[no-untyped-def]
    import io

    from storyline.store.transfer import export_jsonl, import_jsonl

    _ingest(store, corpus)
    store.write(WriteBatch(failures=[RecordError("x.csv:4", "ingest", "no text", raw=b"a,b")]))
    buffer = io.StringIO()
    counts = export_jsonl(store, buffer)
    assert counts == {"event": 3, "story": 2, "article": 5, "copy": 1, "merge": 1, "failure": 1}
    path = tmp_path / "export.jsonl"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    target = open_store(tmp_path / "imported.db")
    try:
        got = import_jsonl(target, path)
        assert got["article"] == 5
        _assert_same_records(target, store, corpus)
        assert [a for a, _ in target.nearest(corpus["de1"].profile.lead_vector, k=1)] == [corpus["de1"].article.article_id]
        assert import_jsonl(target, path)["article"] == 0  # idempotent
        assert target.counts()["articles"] == 5
    finally:
        target.close()



def _assert_same_records(target, store, corpus):  # type: ignore[no-untyped-def]
    """``target`` (an import of ``store``'s export) holds the same counts, events, story and article with profile."""
    assert target.counts() == store.counts()
    for event_id in ("ev-doha", "ev-tokyo", "ev-talks"):
        assert target.get_event(event_id).to_json() == store.get_event(event_id).to_json()
    assert target.get_story("st-afghan").to_json() == store.get_story("st-afghan").to_json()
    article_id = corpus["zh1"].article.article_id
    assert target.get_article(article_id, profile=True).to_json() == store.get_article(article_id, profile=True).to_json()


def test_import_rejects_a_file_that_is_not_an_export(tmp_path):  # type: ignore[no-untyped-def]
    from storyline.errors import InputError
    from storyline.store.transfer import import_jsonl

    path = tmp_path / "x.jsonl"
    path.write_text('{"title": "an article, not an export"}\n', encoding="utf-8")
    store = open_store(tmp_path / "s.db")
    try:
        with pytest.raises(InputError, match="no 'kind'"):
            import_jsonl(store, path)
    finally:
        store.close()


def test_parquet_export_holds_the_jsonl_records_and_round_trips(store, store_url, corpus, tmp_path, request):  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    from storyline.store.transfer import export_store, import_export, read_export

    _ingest(store, corpus)
    store.write(WriteBatch(failures=[RecordError("x.csv:4", "ingest", "no text", raw=b"a,b\x00\xff")]))
    expected = {"event": 3, "story": 2, "article": 5, "copy": 1, "merge": 1, "failure": 1}
    assert export_store(store, tmp_path / "s.jsonl") == expected
    assert export_store(store, tmp_path / "s.parquet") == expected
    jsonl_header, jsonl_records = read_export(tmp_path / "s.jsonl")
    parquet_header, parquet_records = read_export(tmp_path / "s.parquet")
    records = list(parquet_records)
    assert records == list(jsonl_records)  # the same records, in the same order
    assert parquet_header["counts"] == jsonl_header["counts"] and parquet_header["version"] == 1
    table = pq.read_table(tmp_path / "s.parquet", filters=[("kind", "=", "article")], columns=["title", "language", "profile"])
    assert sorted(table.column("title").to_pylist()) == sorted(c.article.title for c in corpus.values())
    assert all(isinstance(p, bytes) and p.startswith(b"SLP") for p in table.column("profile").to_pylist())
    if store_url.startswith("postgresql"):
        from storyline.store.postgres import create_database

        target_url = create_database(request.getfixturevalue("pg_server"), f"storyline_test_{next(_DB_COUNTER)}")
    else:
        target_url = str(tmp_path / "imported.db")
    target = open_store(target_url)
    try:
        got = import_export(target, tmp_path / "s.parquet")
        assert got["article"] == 5 and got["event"] == 3 and got["failure"] == 1
        _assert_same_records(target, store, corpus)
        assert [(f.source, f.reason) for f in target.failures()] == [("x.csv:4", "no text")]
        assert import_export(target, tmp_path / "s.parquet")["article"] == 0  # idempotent
        assert target.counts()["articles"] == 5
        export_store(target, tmp_path / "again.parquet")
        again = {(k, r.get("article_id") or r.get("event_id") or r.get("story_id")) for k, r in read_export(tmp_path / "again.parquet")[1]}
        assert again == {(k, r.get("article_id") or r.get("event_id") or r.get("story_id")) for k, r in records}
    finally:
        target.close()


def test_import_rejects_a_parquet_file_that_is_not_an_export(tmp_path):  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    from storyline.errors import InputError
    from storyline.store.transfer import import_export

    pq.write_table(pa.table({"title": ["an article, not an export"]}), tmp_path / "x.parquet")
    store = open_store(tmp_path / "s.db")
    try:
        with pytest.raises(InputError, match="without a storyline export header"):
            import_export(store, tmp_path / "x.parquet")
        assert store.counts()["articles"] == 0
    finally:
        store.close()


def test_a_story_read_again_is_the_same_until_the_story_changes(store, corpus):  # type: ignore[no-untyped-def]
    _ingest(store, corpus)
    first = store.get_story("st-markets")
    assert first is not None and store.get_story("st-markets") is first  # unchanged: kept per revision
    assert {a.article_id for e in first.events for a in e.articles} == {corpus["en2"].article.article_id, corpus["de1"].article.article_id}
    later = make("Nikkei recovers", "The Nikkei recovered on Wednesday after 300 points of losses.", direction=[0.05, 1, 0], day="2020-03-04")
    assert store.counts()["articles"] == 5
    store.write(WriteBatch(articles=[NewArticle(later.article, later.profile, "nikkei", "ev-tokyo")]))
    assert store.counts()["articles"] == 6
    second = store.get_story("st-markets")
    assert second is not first and second.n_articles == 3
    assert later.article.article_id in {a.article_id for e in second.events for a in e.articles}
    assert second.timeline[0]["n_articles"] == 3
    assert store.get_story("st-markets", disagreements=False).n_articles == 3


def test_counts_follow_another_writer(store, store_url):  # type: ignore[no-untyped-def]
    other = open_store(store_url)
    try:
        assert store.counts()["articles"] == 0 and store.counts()["failures"] == 0
        extra = make("Ferry service resumes", "The ferry to the islands sailed again on Friday.", direction=[0, 0, 1], day="2020-03-06")
        other.write(WriteBatch(articles=[NewArticle(extra.article, extra.profile, "port", "ev-ferry")], failures=[RecordError("y.csv:2", "ingest", "empty")]))
        assert store.counts()["articles"] == 1 and store.counts()["events"] == 1 and store.counts()["failures"] == 1
    finally:
        other.close()


def test_a_snapshot_is_pickled_into_parts_and_read_back_streaming(store):  # type: ignore[no-untyped-def]
    import pickle

    import numpy as np

    state = {"vectors": np.arange(5000, dtype=np.float32).reshape(50, 100), "ids": [f"a{i}" for i in range(3000)]}
    store.snapshot_part_bytes = 4096
    written: list[int] = []

    def write(file):  # type: ignore[no-untyped-def]
        pickle.dump(state, file, protocol=pickle.HIGHEST_PROTOCOL)
        written.append(file.bytes_written)

    store.write(WriteBatch(snapshot=(7, write)))
    n_parts = store._rows("SELECT COUNT(*) FROM snapshots")[0][0]
    assert n_parts == -(-written[0] // 4096) > 10  # streamed: parts of the given size, the last one shorter
    seq, file = store.open_snapshot()
    with file:
        again = pickle.load(file)
    assert seq == 7 and again["ids"] == state["ids"] and np.array_equal(again["vectors"], state["vectors"])
    assert store.load_snapshot() == (7, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    store.save_snapshot(8, lambda file: None)  # nothing written: one empty part, still a snapshot
    assert store.load_snapshot() == (8, b"")
