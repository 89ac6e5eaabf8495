"""storyline batch: shards, the local and Ray executors, resume, failures, Parquet output, clustering, store load.

The corpus is written here (our own short texts in seven languages) as JSONL, CSV,
Parquet and a folder of HTML/text. Ray tests share one local 2-CPU Ray cluster
(module-scoped fixture) and are skipped when the ``ray`` extra is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from storyline.batch import cluster_corpus, plan_shards, read_profiles, read_shard, run_shards
from storyline.batch.work import PLAN_FILE, marker_name, save_plan
from storyline.cli import main
from storyline.store.codec import decode_profile

RECORDS = [
    {"title": "Earthquake shakes Kabul", "text": "A strong earthquake shook Kabul early on Monday. Rescue teams searched collapsed houses in the old city.", "date": "2021-03-01", "lang": "en", "url": "https://example.org/en/1"},
    {"title": "Kabul quake: rescuers search rubble", "text": "Rescue teams searched collapsed houses in Kabul after a strong earthquake shook the city early on Monday.", "date": "2021-03-01", "url": "https://example.net/en/2"},
    {"title": "Erdbeben erschüttert Kabul", "text": "Ein starkes Erdbeben hat am Montagmorgen Kabul erschüttert. Rettungskräfte suchten in eingestürzten Häusern der Altstadt.", "date": "2021-03-01"},
    {"title": "no body here"},
    {"title": "Un séisme frappe Kaboul", "text": "Un violent séisme a secoué Kaboul lundi matin. Les secours ont fouillé les maisons effondrées de la vieille ville.", "date": "2021-03-02"},
    {"title": "Terremoto en Kabul", "text": "Un fuerte terremoto sacudió Kabul el lunes por la mañana. Los equipos de rescate buscaron en casas derrumbadas.", "date": "2021-03-02"},
    {"title": "Землетрясение в Кабуле", "text": "Сильное землетрясение произошло в Кабуле в понедельник утром. Спасатели обыскивали разрушенные дома в старом городе.", "date": "2021-03-02"},
    {"title": "喀布尔发生强烈地震", "text": "周一清晨，喀布尔发生强烈地震。救援人员在老城区倒塌的房屋中搜寻幸存者。", "date": "2021-03-02"},
    {"title": "Cup final decided on penalties", "text": "The home side won the cup final on penalties after a goalless draw and extra time in front of a full stadium.", "date": "2021-05-20"},
]
CSV_TEXT = (
    "title,body,date\n"
    "Central bank holds rates,\"The central bank kept its main interest rate unchanged on Thursday, citing slowing inflation.\",2021-06-03\n"
    "Merkez bankası faizi sabit tuttu,\"Merkez bankası perşembe günü politika faizini değiştirmedi, enflasyonun yavaşladığını belirtti.\",2021-06-03\n"
)
PARQUET_ROWS = [
    {"headline": "Talks resume in Doha", "content": "Negotiators met again in Doha on Tuesday for a second round of talks on a prisoner exchange.", "published": "2022-01-11"},
    {"headline": "Gespräche in Doha", "content": "Die Unterhändler trafen sich am Dienstag in Doha zu einer zweiten Gesprächsrunde über einen Gefangenenaustausch.", "published": "2022-01-11"},
    {"headline": "", "content": "", "published": "2022-01-12"},
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    (root / "news.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS) + "\n", encoding="utf-8")
    (root / "rates.csv").write_text(CSV_TEXT, encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(PARQUET_ROWS), root / "doha.parquet", row_group_size=1)
    pages = root / "pages"
    pages.mkdir()
    (pages / "a.html").write_text(
        "<html lang='it'><head><title>Vertice a Roma</title></head><body><article><h1>Vertice a Roma</h1>"
        "<p>I ministri si sono incontrati a Roma mercoledì per discutere del bilancio europeo.</p></article></body></html>",
        encoding="utf-8",
    )
    (pages / "b.txt").write_text("Summit in Rome\n\nMinisters met in Rome on Wednesday to discuss the European budget.", encoding="utf-8")
    return root


def _table(out: Path) -> list[dict]:
    rows = read_profiles(str(out)).to_pylist()
    return sorted(rows, key=lambda r: (r["article_id"], r["source"]))


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["batch", *args])
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------ planning and reading


def test_plan_is_deterministic_and_reads_every_record_once(corpus: Path) -> None:
    a = plan_shards([str(corpus)], shard_size=2)
    b = plan_shards([str(corpus)], shard_size=2)
    assert a == b
    items = [x for s in a for x in read_shard(s)]
    sources = [x.source for x in items]
    assert len(sources) == len(set(sources)) == len(RECORDS) + 2 + len(PARQUET_ROWS) + 2
    assert {s.kind for s in a} == {"records", "files"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_jsonl_shards_read_their_own_lines_like_ingest(tmp_path: Path, encoding: str) -> None:
    """Shards of a UTF-8 file read only their byte range; any encoding gives what ingest gives."""
    from storyline.ingest import iter_jsonl

    lines = [
        json.dumps({"title": f"Délégués n°{i}", "text": f"Les négociateurs se sont réunis à Doha, jour {i}.", "date": "March 0%d, 2008" % (i % 9 + 1)}, ensure_ascii=False)
        for i in range(7)
    ]
    lines.insert(3, "")  # a blank line: numbering must keep counting it
    lines.insert(5, "{broken")  # a bad record keeps its line number too
    raw = ("\n".join(lines) + "\n").encode(encoding)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(raw)
    whole = [(x.source, getattr(x, "title", None), getattr(x, "published_at", None)) for x in iter_jsonl(raw, str(path))]
    shards = plan_shards([str(path)], shard_size=2)
    assert len(shards) == 4
    assert all((s.offset is not None) == encoding.startswith("utf-8") for s in shards)
    by_shard = [(x.source, getattr(x, "title", None), getattr(x, "published_at", None)) for s in shards for x in read_shard(s)]
    assert by_shard == whole
    assert [src.rsplit(":", 1)[1] for src, _, _ in whole] == ["1", "2", "3", "5", "6", "7", "8", "9"]


@pytest.mark.parametrize("suffix, encoding", [(".csv", "utf-8"), (".tsv", "utf-8"), (".csv", "cp1252"), (".csv", "utf-16")])
def test_csv_shards_read_their_own_rows_like_ingest(tmp_path: Path, suffix: str, encoding: str) -> None:
    """CSV shards of a UTF-8 file read the header and their own byte range; rows with quoted
    newlines, blank lines and a row without text keep their line numbers; other encodings read whole."""
    from storyline.ingest.files import parse_file_bytes

    sep = "\t" if suffix == ".tsv" else ","
    rows = [sep.join(["title", "text", "date"])]
    for i in range(7):
        body = f'"Les délégués se sont réunis à Doha,\nséance {i}."' if i % 3 == 0 else f"Réunion numéro {i} à Doha."
        rows.append(sep.join([f"Délégués {i}", body, '"March 0%d, 2008"' % (i + 1)]))
    rows.insert(3, "")
    rows.insert(5, sep.join(["Sans texte", "", ""]))  # a record error, counted as a record
    raw = ("\n".join(rows) + "\n").encode(encoding)
    path = tmp_path / f"mixed{suffix}"
    path.write_bytes(raw)

    def seen(items):  # type: ignore[no-untyped-def]
        return [(x.source, getattr(x, "title", None), getattr(x, "text", None), getattr(x, "published_at", None)) for x in items]

    whole = seen(parse_file_bytes(str(path), raw))
    shards = plan_shards([str(path)], shard_size=3)
    assert len(shards) == 3
    assert all((s.offset is not None) == (encoding == "utf-8") for s in shards)
    assert seen(x for s in shards for x in read_shard(s)) == whole
    assert sum(getattr(x, "published_at", None) is not None for x in parse_file_bytes(str(path), raw)) == 7
    assert len(whole) == 8 and [src.rsplit(":", 1)[1] for src, *_ in whole] == ["2", "4", "6", "7", "8", "10", "11", "12"]


def test_uri_input_reads_like_a_path(corpus: Path) -> None:
    by_uri = [x.source for s in plan_shards([f"file://{corpus}/news.jsonl"], shard_size=4) for x in read_shard(s)]
    by_path = [x.source for s in plan_shards([str(corpus / "news.jsonl")], shard_size=4) for x in read_shard(s)]
    assert len(by_uri) == len(RECORDS) and [s.rsplit(":", 1)[1] for s in by_uri] == [s.rsplit(":", 1)[1] for s in by_path]


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = _run([str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o"), "--profiler", "lexical"])
    assert code == 2 and "no such file or folder" in err


# ------------------------------------------------------------------ local executor, failures, output


def test_local_batch_reports_bad_records_and_goes_on(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = _run([str(corpus), "--out", str(out), "--profiler", "lexical", "--workers", "2", "--shard-size", "3"])
    assert code == 1, stderr
    assert f"failed: jsonl:{corpus / 'news.jsonl'}:4: no text field" in stderr
    assert f"failed: parquet:{corpus / 'doha.parquet'}:2: field 'content' is empty" in stderr
    assert "14 articles profiled, 2 failed" in stdout
    assert len(_table(out)) == 14


def test_batch_reports_a_notice_page_instead_of_profiling_it(tmp_path: Path) -> None:
    """A captcha page in a corpus is a failure naming the file and why, like in `storyline ingest`."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "article.txt").write_text("Summit in Rome\n\nMinisters met in Rome on Wednesday to discuss the budget.", encoding="utf-8")
    (pages / "blocked.txt").write_text("Accès refusé\n\nAccès refusé. Veuillez confirmer que vous n'êtes pas un robot.", encoding="utf-8")
    code, stdout, stderr = _run([str(pages), "--out", str(tmp_path / "out"), "--profiler", "lexical", "--workers", "0"])
    assert code == 1, stderr
    assert f"failed: {pages / 'blocked.txt'}: not an article" in stderr or "blocked.txt: not an article" in stderr, stderr
    assert "1 articles profiled, 1 failed" in stdout
    assert [r["title"] for r in _table(tmp_path / "out")] == ["Summit in Rome"]


def test_parquet_output_is_readable_and_decodes(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run([str(corpus), "--out", str(out), "--profiler", "lexical", "--workers", "0"])
    table = pq.read_table(out)  # the folder is a plain Parquet dataset (markers start with "_")
    assert table.num_rows == 14
    assert {"article_id", "source", "title", "text", "language", "published_at", "profile"} <= set(table.column_names)
    langs = {}
    for row in table.to_pylist():
        p = decode_profile(row["profile"])
        assert p.article_id == row["article_id"] and p.language == row["language"]
        langs[row["title"]] = p.language
    assert langs["Erdbeben erschüttert Kabul"] == "de" and langs["Землетрясение в Кабуле"] == "ru" and langs["喀布尔发生强烈地震"] == "zh"


def test_worker_processes_equal_in_process(corpus: Path, tmp_path: Path) -> None:
    shards = plan_shards([str(corpus)], shard_size=2)
    run_shards(shards, str(tmp_path / "a"), "lexical", engine="local", workers=0)
    run_shards(shards, str(tmp_path / "b"), "lexical", engine="local", workers=2)
    assert _table(tmp_path / "a") == _table(tmp_path / "b")


def test_resume_skips_finished_shards_and_gives_the_same_result(corpus: Path, tmp_path: Path) -> None:
    full, part = tmp_path / "full", tmp_path / "part"
    _run([str(corpus), "--out", str(full), "--profiler", "lexical", "--workers", "0", "--shard-size", "2"])
    shards = plan_shards([str(corpus)], shard_size=2)
    save_plan(str(part), [str(corpus)], shards, "lexical", 2)  # what the CLI does first, then "interrupted" after 3 shards
    run_shards(shards[:3], str(part), "lexical", engine="local", workers=0)
    (part / "part-000004.parquet").write_bytes(b"half-written part without its marker")
    before = {i: (part / marker_name(i)).read_bytes() for i in range(3)}
    code, stdout, stderr = _run([str(corpus), "--out", str(part), "--profiler", "lexical", "--workers", "0", "--shard-size", "2", "--resume"])
    assert code == 1  # the two bad records
    assert f"3 of {len(shards)} shards already done, skipped" in stderr
    assert f"({len(shards) - 3} run now, 3 skipped)" in stdout
    assert {i: (part / marker_name(i)).read_bytes() for i in range(3)} == before  # nothing redone
    assert _table(part) == _table(full)


def test_rerun_without_resume_refuses_and_other_inputs_refuse(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run([str(corpus / "rates.csv"), "--out", str(out), "--profiler", "lexical", "--workers", "0"])
    assert (out / PLAN_FILE).exists()
    code, _, err = _run([str(corpus / "rates.csv"), "--out", str(out), "--profiler", "lexical", "--workers", "0"])
    assert code == 2 and "--resume" in err
    code, _, err = _run([str(corpus / "news.jsonl"), "--out", str(out), "--profiler", "lexical", "--workers", "0", "--resume"])
    assert code == 2 and "other inputs" in err


def test_cluster_puts_the_quake_reports_together(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, _ = _run([str(corpus / "news.jsonl"), "--out", str(out), "--profiler", "lexical", "--workers", "0", "--shard-size", "3", "--cluster"])
    assert code == 1 and "clustered: 8 articles" in stdout
    events = {r["article_id"]: r["event_id"] for r in pq.read_table(out / "_events.parquet").to_pylist()}
    ids = {r["title"]: r["article_id"] for r in _table(out)}
    assert events[ids["Earthquake shakes Kabul"]] == events[ids["Kabul quake: rescuers search rubble"]]
    assert events[ids["Cup final decided on penalties"]] != events[ids["Earthquake shakes Kabul"]]
    again = cluster_corpus(str(out), write=False)
    assert again.assignments == {a: (e, again.assignments[a][1]) for a, e in events.items()}


def test_corpus_clustering_splits_like_cluster_many(tmp_path: Path) -> None:
    """The corpus path runs cluster_many's steps (pass, rescue, consolidation, split) on the same
    profiles: two groups of reports with their own words, sharing enough common words to be one event
    without the split, end as two events either way."""
    import random

    from storyline.batch.corpus import iter_in_date_order
    from storyline.cluster import EventClusterer

    rnd = random.Random(1)
    own = {"Alpha": [f"alpha{j}" for j in range(8)], "Beta": [f"beta{j}" for j in range(8)]}
    common = [f"common{j}" for j in range(6)]
    rows = [{"title": f"{g} {i}", "text": " ".join(rnd.choice(common) if rnd.random() < 0.6 else rnd.choice(own[g]) for _ in range(30)) + "."}
            for g in ("Alpha", "Beta") for i in range(4)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    _run([str(tmp_path / "in.jsonl"), "--out", str(out), "--profiler", "lexical", "--workers", "0"])
    profiles = [decode_profile(r["profile"]) for r in iter_in_date_order(str(out), ["article_id", "published_at", "profile"])]
    params = {"split_ratio": 0.99, "split_min_size": 3, "consolidate_threshold": 0.99}  # loose, so the split decides
    assert len(set(EventClusterer(**{**params, "split_ratio": 0}).cluster_many(profiles))) == 1  # one event without the split
    clusterer = EventClusterer(**params)
    by_many = dict(zip([p.article_id for p in profiles], clusterer.cluster_many(profiles)))
    assert clusterer.splits_ and len(set(by_many.values())) == 2
    by_corpus = cluster_corpus(str(out), clusterer=EventClusterer(**params), write=False).assignments

    def partition(assign: dict[str, str]) -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for a, e in assign.items():
            groups.setdefault(e, set()).add(a)
        return {frozenset(g) for g in groups.values()}

    assert partition({a: e for a, (e, _) in by_corpus.items()}) == partition(by_many)


def test_db_target_stores_every_profiled_article_once(corpus: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", tmp_path / "s.db"
    code, stdout, _ = _run([str(corpus), "--out", str(out), "--profiler", "lexical", "--workers", "0", "--db", str(db), "--cluster"])
    assert code == 1 and "store" in stdout
    from storyline.store import open_store

    store = open_store(str(db))
    try:
        assert store.counts()["articles"] == 14
        quake = store.get_article(next(r["article_id"] for r in _table(out) if r["title"] == "Earthquake shakes Kabul"))
        assert quake is not None and quake.event_id
    finally:
        store.close()
    events = pq.read_table(out / "_events.parquet").to_pylist()
    assert len(events) == 14 and quake.event_id in {r["event_id"] for r in events}


# ------------------------------------------------------------------ Ray (one local 2-CPU cluster for the module)


@pytest.fixture(scope="module")
def ray_cluster():  # type: ignore[no-untyped-def]
    pytest.importorskip("ray")
    from storyline.batch.executors import init_ray

    ray = init_ray(None, num_cpus=2)  # the settings `storyline batch --engine ray` starts a local cluster with
    yield ray
    ray.shutdown()


@pytest.mark.ray
def test_ray_equals_local(corpus: Path, tmp_path: Path, ray_cluster) -> None:  # type: ignore[no-untyped-def]
    local, remote = tmp_path / "local", tmp_path / "ray"
    _run([str(corpus), "--out", str(local), "--profiler", "lexical", "--workers", "0", "--shard-size", "2"])
    code, stdout, stderr = _run([str(corpus), "--out", str(remote), "--profiler", "lexical", "--engine", "ray", "--workers", "2", "--shard-size", "2"])
    assert code == 1, stderr
    assert "(ray, 2 workers" in stdout and "14 articles profiled, 2 failed" in stdout
    assert _table(remote) == _table(local)
    markers = [json.loads(p.read_text()) for p in remote.glob("_shard-*.json")]
    pids = {m["pid"] for m in markers}
    assert len(markers) == 9 and 1 <= len(pids) <= 2  # at most two actors (one profiler each) did all nine shards


@pytest.mark.ray
def test_ray_fast_profiler_equals_in_process(corpus: Path, tmp_path: Path, ray_cluster) -> None:  # type: ignore[no-untyped-def]
    shards = plan_shards([str(corpus / "news.jsonl")], shard_size=4)
    run_shards(shards, str(tmp_path / "local"), "fast", engine="local", workers=0)
    summaries = run_shards(shards, str(tmp_path / "ray"), "fast", engine="ray", workers=2)
    local, remote = _table(tmp_path / "local"), _table(tmp_path / "ray")
    assert len(local) == 8 and remote == local
    assert len({s["pid"] for s in summaries}) == 2  # one actor per worker, each handed a shard from the start


@pytest.mark.ray
def test_ray_resume_skips_finished_shards(corpus: Path, tmp_path: Path, ray_cluster) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    shards = plan_shards([str(corpus)], shard_size=3)
    save_plan(str(out), [str(corpus)], shards, "lexical", 3)
    run_shards(shards[:2], str(out), "lexical", engine="ray", workers=2)
    code, stdout, _ = _run([str(corpus), "--out", str(out), "--profiler", "lexical", "--engine", "ray", "--workers", "2", "--shard-size", "3", "--resume"])
    assert code == 1 and f"({len(shards) - 2} run now, 2 skipped)" in stdout
    assert len(_table(out)) == 14


def test_ray_engine_without_the_extra_says_how_to_install_it(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # what `import ray` does when the extra is absent: ImportError
    code, _, err = _run([str(corpus / "rates.csv"), "--out", str(tmp_path / "o"), "--engine", "ray", "--profiler", "lexical"])
    assert code == 3 and "pip install 'storyline[ray]'" in err and "--engine local" in err
    assert not (tmp_path / "o").exists()


def test_output_inside_the_input_folder_is_not_read_back(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rates.csv").write_text(CSV_TEXT, encoding="utf-8")
    out = folder / "profiles.parquet"
    assert _run([str(folder), "--out", str(out), "--profiler", "lexical", "--workers", "0"])[0] == 0
    code, stdout, _ = _run([str(folder), "--out", str(out), "--profiler", "lexical", "--workers", "0", "--resume"])
    assert code == 0 and "(0 run now, 1 skipped)" in stdout and len(_table(out)) == 2


def _groups(assignments: dict) -> set[frozenset]:
    by: dict = {}
    for a, (e, _) in assignments.items():
        by.setdefault(e, set()).add(a)
    return {frozenset(g) for g in by.values()}


def test_partitioned_clustering_in_one_partition_equals_the_sequential_one(corpus: Path, tmp_path: Path) -> None:
    from storyline.batch.partitions import cluster_partitioned

    out = tmp_path / "out"
    run_shards(plan_shards([str(corpus)], shard_size=3), str(out), "lexical", engine="local", workers=0)
    sequential = cluster_corpus(str(out), write=False)
    partitioned = cluster_partitioned(str(out), days=3650, workers=2, write=False)
    assert partitioned.partitions == 2  # all dated articles, and the undated ones (the HTML/text pages)
    dated = {r["article_id"] for r in _table(out) if r["published_at"] is not None}
    seq_dated = {a: v for a, v in sequential.assignments.items() if a in dated}
    part_dated = {a: v for a, v in partitioned.assignments.items() if a in dated}
    assert _groups(part_dated) == _groups(seq_dated)


def test_partitioned_clustering_stitches_an_event_across_partitions(tmp_path: Path) -> None:
    text = "Floods cut the coastal road near Varna for a {} day. Crews pumped water from the tunnels and closed the bridge."
    rows = [{"title": f"Varna floods, day {d}", "text": text.format(["first", "second", "third", "fourth", "fifth", "sixth"][d]), "date": f"2022-07-{d + 10:02d}"} for d in range(6)]
    rows.append({"title": "Chess final", "text": "The chess final ended in a draw after six hours of play in the capital.", "date": "2022-07-12"})
    (tmp_path / "f.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, _ = _run([str(tmp_path / "f.jsonl"), "--out", str(out), "--profiler", "lexical", "--workers", "2", "--cluster", "--partition-days", "2"])
    assert code == 0 and "clustered: 7 articles → 2 events" in stdout
    events = pq.read_table(out / "_events.parquet").to_pylist()
    assert len({r["event_id"] for r in events}) == 2


@pytest.mark.ray
def test_ray_partitioned_clustering_equals_local(corpus: Path, tmp_path: Path, ray_cluster) -> None:  # type: ignore[no-untyped-def]
    from storyline.batch.partitions import cluster_partitioned

    out = tmp_path / "out"
    run_shards(plan_shards([str(corpus)], shard_size=3), str(out), "lexical", engine="local", workers=0)
    local = cluster_partitioned(str(out), days=1, workers=0, write=False)
    remote = cluster_partitioned(str(out), days=1, engine="ray", workers=2, write=False)
    assert local.partitions == remote.partitions >= 3
    assert remote.assignments == local.assignments


def test_killed_batch_resumes_without_redoing_finished_shards(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    lines = [json.dumps({"title": f"Report {i}", "text": f"Item {i}: the council met on day {i} and approved plan {i * 7}.", "date": "2023-01-02"}) for i in range(150)]
    (tmp_path / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    args = [str(tmp_path / "many.jsonl"), "--profiler", "lexical", "--workers", "0", "--shard-size", "1"]
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "storyline.cli", "batch", *args, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(out.glob("_shard-*.json"))) < 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {p.name: p.read_bytes() for p in out.glob("_shard-*.json")}
    assert proc.returncode == -signal.SIGKILL and 10 <= len(before) < 150
    code, stdout, stderr = _run([*args, "--out", str(out), "--resume"])
    assert code == 0, stderr
    assert f"({150 - len(before)} run now, {len(before)} skipped)" in stdout
    assert {name: (out / name).read_bytes() for name in before} == before  # finished shards were not redone
    assert not list(out.glob(".tmp-*"))  # what the killed run was writing was removed
    _run([*args, "--out", str(tmp_path / "clean")])
    assert _table(out) == _table(tmp_path / "clean")


# ------------------------------------------------------------------ near-duplicates across the corpus

WIRE = [
    "Flood waters forced thousands of residents to leave their homes in the river town of Kellsmoor on Saturday.",
    "The regional government said that more than four thousand people had been moved to schools and sports halls.",
    "Rain had fallen for three days without a break, and the river rose two metres above its usual level.",
    "Two bridges were closed and the main railway line to the coast was cut near the old mill.",
    "Rescue boats searched the lower streets for people who had stayed behind, the fire service said.",
    "Forecasters expect the rain to ease on Monday, but warned that the water would keep rising until then.",
]
WIRE_DE = [
    "Das Hochwasser zwang am Samstag Tausende Bewohner der Flussstadt Kellsmoor, ihre Häuser zu verlassen.",
    "Die Regionalregierung teilte mit, dass mehr als viertausend Menschen in Schulen und Sporthallen gebracht worden seien.",
    "Es hatte drei Tage lang ohne Pause geregnet, und der Fluss stieg zwei Meter über seinen normalen Stand.",
    "Zwei Brücken wurden gesperrt und die Hauptbahnlinie zur Küste wurde nahe der alten Mühle unterbrochen.",
    "Rettungsboote suchten die unteren Straßen nach Menschen ab, die zurückgeblieben waren, teilte die Feuerwehr mit.",
    "Meteorologen erwarten, dass der Regen am Montag nachlässt, warnten aber, dass das Wasser bis dahin weiter steigen werde.",
]
COPY_RECORDS = [
    {"title": "Floods force thousands from homes in Kellsmoor", "text": " ".join(WIRE), "date": "2023-04-01T08:00:00Z", "outlet": "wire.example"},
    {"title": "Thousands flee Kellsmoor floods", "text": " ".join(WIRE).replace("on Saturday", "early on Saturday") + " (Reporting by our staff.)",
     "date": "2023-04-01T09:30:00Z", "outlet": "daily.example"},
    {"title": "Kellsmoor floods: thousands evacuated", "text": " ".join(WIRE[:5]).replace("two metres", "nearly two metres"),
     "date": "2023-04-01T11:00:00Z", "outlet": "herald.example"},
    {"title": "Floods in Kellsmoor", "text": " ".join(WIRE).replace("the fire service said", "a fire service spokesman said"),
     "date": "2023-04-01T12:15:00Z", "outlet": "courier.example"},
    {"title": "Hochwasser in Kellsmoor", "text": " ".join(WIRE_DE), "date": "2023-04-01T13:00:00Z", "outlet": "zeitung.example"},
    {"title": "Orchestra opens its season", "text": "The city orchestra opened its winter season on Saturday with a symphony by a young local composer. "
     "The hall was full, and the audience asked for two encores.", "date": "2023-04-01T14:00:00Z", "outlet": "daily.example"},
]


def test_corpus_copies_agree_with_the_online_clusterer(tmp_path: Path) -> None:
    from storyline.batch.corpus import iter_in_date_order
    from storyline.batch.duplicates import copy_graph
    from storyline.cluster import EventClusterer

    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in COPY_RECORDS), encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, _ = _run([str(tmp_path / "in.jsonl"), "--out", str(out), "--profiler", "fast", "--workers", "0", "--cluster"])
    assert code == 0 and "copies: 3 near-duplicates, 1 translations" in stdout
    links = pq.read_table(out / "_copies.parquet").to_pylist()
    batch = copy_graph(_links(links))

    online = EventClusterer()  # what `storyline ingest` does: the same profiles, one at a time, in date order
    for row in iter_in_date_order(str(out), ["article_id", "published_at", "outlet", "profile"]):
        online.learn_one(decode_profile(row["profile"]), source=row["outlet"])
    ids = {r["title"]: r["article_id"] for r in read_profiles(str(out)).to_pylist()}
    wire = ids["Floods force thousands from homes in Kellsmoor"]
    assert {batch.original_of(a) for a in ids.values()} == {wire, ids["Orchestra opens its season"]}
    assert {a: batch.original_of(a) for a in ids.values()} == {a: online.copies_.original_of(a) for a in ids.values()}
    assert sorted((e[0], e[2]) for e in batch.edges) == sorted((e[0], e[2]) for e in online.copies_.edges)
    assert all(link["original_id"] == wire for link in links if link["kind"] == "near_duplicate")  # each copy to the oldest

    code, stdout, _ = _run([str(tmp_path / "in.jsonl"), "--out", str(out), "--profiler", "fast", "--workers", "2", "--resume", "--cluster", "--partition-days", "0.1"])
    assert code == 0 and "clustered: 6 articles" in stdout  # time partitions of 2.4 h: the translation is found in another partition than the wire story
    assert pq.read_table(out / "_copies.parquet").to_pylist() == links


def _links(rows: list[dict]) -> list:
    from storyline.batch.duplicates import CopyLink

    return [CopyLink(r["copy_id"], r["original_id"], r["kind"], r["score"]) for r in rows]


def test_near_duplicates_need_the_same_language_and_the_threshold(tmp_path: Path) -> None:
    from storyline.batch.duplicates import find_near_duplicates

    text = " ".join(WIRE)
    rows = [{"title": "a", "text": text, "date": "2023-04-02", "lang": "en"},
            {"title": "b", "text": text, "date": "2023-04-01", "lang": "en"},  # older: the original
            {"title": "c", "text": " ".join(WIRE[:2]), "date": "2023-04-03"},  # a third of the text: below 0.5
            {"title": "d", "text": "short", "date": "2023-04-03"},
            {"title": "e", "text": text, "date": "2023-04-01", "lang": "fr"},  # said to be another language: not a near-duplicate
            {"title": "f", "text": text, "date": "1969-07-20", "lang": "en"},  # the oldest (before 1970) is everyone's original
            {"title": "g", "text": text, "lang": "en"}]  # undated: after every dated article
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = str(tmp_path / "out")
    run_shards(plan_shards([str(tmp_path / "in.jsonl")], shard_size=2), out, "lexical", workers=2)
    ids = {r["title"]: r["article_id"] for r in read_profiles(out).to_pylist()}
    links = find_near_duplicates(out, workers=2)
    assert [(x.copy, x.original, x.kind, x.score) for x in links] == [(ids[t], ids["f"], "near_duplicate", 1.0) for t in "bag"]
    assert [x.copy for x in find_near_duplicates(out, workers=0, threshold=1.0)] == [ids[t] for t in "bag"]


@pytest.mark.ray
def test_ray_data_api_equals_in_process(corpus: Path, tmp_path: Path, ray_cluster) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("ray.data")
    local, remote = tmp_path / "local", tmp_path / "ray-data"
    assert _run([str(corpus), "--out", str(local), "--profiler", "lexical", "--engine", "local", "--workers", "0", "--shard-size", "4"])[0] == 1
    code, stdout, _ = _run([str(corpus), "--out", str(remote), "--profiler", "lexical", "--engine", "ray", "--ray-api", "data",
                            "--workers", "2", "--shard-size", "4"])
    assert code == 1 and "(ray, 2 workers" in stdout  # exit 1: the corpus's two bad records, reported as locally
    assert _table(remote) == _table(local)
