"""`storyline ingest` as a real subprocess: kill -9 in the middle, re-run, every article stored exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyline.pipeline import Pipeline
from storyline.store import open_store

N_ARTICLES = int(os.environ.get("STORYLINE_KILL_TEST_N", "1000"))


def write_corpus(path: Path, n: int, *, seed: int = 0) -> list[dict[str, object]]:
    """``n`` tiny synthetic articles on n/5 topics (each topic has its own words), plus an exact
    duplicate and a URL reused with other content (both must be stored once)."""
    rnd = random.Random(seed)
    topics = max(1, n // 5)
    rows: list[dict[str, object]] = []
    for i in range(n):
        t = rnd.randrange(topics)
        pool = [f"t{t}w{j}" for j in range(12)]
        rows.append({"id": i, "title": " ".join(pool[:3]).title(), "text": " ".join(rnd.choice(pool) for _ in range(25)) + ".",
                     "url": f"https://example.org/{i}", "published": f"2020-03-{1 + t % 28:02d}", "source": f"outlet{i % 7}"})
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
        fh.write(json.dumps(rows[3]) + "\n")  # the same record again
        fh.write(json.dumps({**rows[4], "text": "Completely different text at a known URL."}) + "\n")
    return rows


def _cmd(db: Path, corpus: Path) -> list[str]:
    return [sys.executable, "-m", "storyline.cli", "ingest", str(corpus), "--db", str(db), "--profiler", "lexical",
            "--workers", "1", "--batch-size", "16", "--snapshot-every", "200", "--json"]


def _stored(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _partition(store) -> set[frozenset[str]]:  # type: ignore[no-untyped-def]
    groups: dict[str, set[str]] = {}
    for row in store.iter_rows("articles"):
        groups.setdefault(row["event_id"], set()).add(row["url"])
    return {frozenset(g) for g in groups.values()}


def test_kill_9_mid_ingest_then_rerun_stores_each_article_once(tmp_path):  # type: ignore[no-untyped-def]
    corpus = tmp_path / "docs.jsonl"
    rows = write_corpus(corpus, N_ARTICLES)
    db = tmp_path / "s.db"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(_cmd(db, corpus), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env)
    deadline = time.monotonic() + 120 + N_ARTICLES / 10
    target = N_ARTICLES // 3
    while _stored(db) < target and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"ingest ended before it could be killed: {proc.communicate()[1].decode()[-2000:]}"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: the writer and its profiling worker
    proc.wait(timeout=30)
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    killed_at = _stored(db)
    assert target <= killed_at < N_ARTICLES

    done = subprocess.run(_cmd(db, corpus), capture_output=True, text=True, timeout=300 + N_ARTICLES / 5, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["added"] == N_ARTICLES - killed_at
    assert report["duplicates"] == killed_at + 2  # what the killed run stored, plus the two repeats in the file
    assert "resumed: replayed" in done.stderr

    store = open_store(db)
    try:
        urls = [r["url"] for r in store.iter_rows("articles")]
        assert sorted(urls) == sorted(str(r["url"]) for r in rows)  # every article exactly once
        counts = store.counts()
        assert counts["articles"] == N_ARTICLES
        # assignments are consistent: every article is in a live event whose counts match, every event has a story
        by_event: dict[str, int] = {}
        for row in store.iter_rows("articles"):
            assert row["event_id"], row
            by_event[row["event_id"]] = by_event.get(row["event_id"], 0) + 1
        events = {r["event_id"]: r for r in store.iter_rows("events") if r["merged_into"] is None and r["n_articles"] > 0}
        assert set(events) == set(by_event)
        assert all(events[e]["n_articles"] == n and events[e]["story_id"] for e, n in by_event.items())
        assert store.load_snapshot()[0] == store.last_seq()  # type: ignore[index]
        interrupted = _partition(store)
    finally:
        store.close()

    # the interrupted-and-resumed run made the same events as one uninterrupted run
    clean = open_store(tmp_path / "clean.db")
    try:
        from storyline.ingest import iter_articles

        Pipeline(clean, profiler="lexical", workers=0, batch_size=16, snapshot_every=200).ingest(iter_articles([corpus]))
        assert _partition(clean) == interrupted
    finally:
        clean.close()


def test_ingest_reports_bad_records_and_goes_on(tmp_path):  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Quake hits Kabul\n\nA strong earthquake hit Kabul on Monday, killing dozens.\n", encoding="utf-8")
    (tmp_path / "in" / "b.jsonl").write_text('{"title": "no text"}\n{"title": "Talks", "text": "Talks resumed in Doha."}\n', encoding="utf-8")
    db = tmp_path / "s.db"
    run = subprocess.run([sys.executable, "-m", "storyline.cli", "ingest", str(tmp_path / "in"), "--db", str(db), "--profiler", "lexical",
                          "--workers", "0"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "b.jsonl:1" in run.stderr and "no text field" in run.stderr
    assert "2 added" in run.stderr
    events = subprocess.run([sys.executable, "-m", "storyline.cli", "events", "--db", str(db), "--json"], capture_output=True, text=True, timeout=60)
    assert events.returncode == 0, events.stderr
    page = json.loads(events.stdout)
    assert page["total"] == 2 and {e["n_articles"] for e in page["items"]} == {1}
    story_id = page["items"][0]["story_id"]
    story = subprocess.run([sys.executable, "-m", "storyline.cli", "story", story_id, "--db", str(db), "--json"], capture_output=True, text=True, timeout=60)
    assert story.returncode == 0 and json.loads(story.stdout)["story_id"] == story_id
    missing = subprocess.run([sys.executable, "-m", "storyline.cli", "story", "nope", "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no story nope" in missing.stderr
    nodb = subprocess.run([sys.executable, "-m", "storyline.cli", "events", "--db", str(tmp_path / "none.db")], capture_output=True, text=True, timeout=60)
    assert nodb.returncode == 2 and "no store" in nodb.stderr


def test_tables_on_a_narrow_terminal_print_whole_ids(tmp_path):  # type: ignore[no-untyped-def]
    """An 80-column terminal squeezes the tables, but an event or story id is printed whole (it is what the
    user copies into `storyline story ID`), and an article without a title is listed under its opening sentence."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("A strong earthquake hit Kabul on Monday, killing dozens. Rescuers searched all night.\n", encoding="utf-8")
    db = tmp_path / "s.db"

    def cli(*args: str, columns: str = "200") -> str:
        return subprocess.run([sys.executable, "-m", "storyline.cli", *args, "--db", str(db)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COLUMNS": columns}, check=True).stdout

    cli("ingest", str(tmp_path / "in"), "--profiler", "lexical", "--workers", "0")
    (event,) = json.loads(cli("events", "--json"))["items"]
    assert event["headline"] == "A strong earthquake hit Kabul on Monday, killing dozens."
    for command, wanted in (("events", event["event_id"]), ("stories", event["story_id"]), ("story", event["event_id"])):
        table = cli(command, *([event["story_id"]] if command == "story" else []), columns="80")
        assert wanted in table and max(len(line) for line in table.splitlines() if line[:1] in "┏┃┡│└") <= 80, table


def test_ingest_refuses_notice_pages_unless_kept(tmp_path):  # type: ignore[no-untyped-def]
    """A captcha/anti-bot page is a failed record naming the file and the reason; the articles beside it are stored."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "article.txt").write_text("Quake hits Kabul\n\nA strong earthquake hit Kabul on Monday, killing dozens.\n", encoding="utf-8")
    (tmp_path / "in" / "blocked.html").write_text(
        "<html><head><title>Zugriff verweigert</title></head><body><p>Zugriff verweigert. Bitte bestätigen Sie, dass Sie kein Roboter sind."
        "</p><p>Von Ihrer IP-Adresse kamen zu viele Anfragen.</p></body></html>", encoding="utf-8")
    db = tmp_path / "s.db"
    base = [sys.executable, "-m", "storyline.cli", "ingest", str(tmp_path / "in"), "--db", str(db), "--profiler", "lexical", "--workers", "0"]
    run = subprocess.run(base + ["--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["added"] == 1 and report["failed"] == 1
    (failure,) = report["failures"]
    assert failure["source"].endswith("blocked.html") and failure["reason"].startswith("not an article")
    kept = subprocess.run(base + ["--keep-notices", "--json"], capture_output=True, text=True, timeout=120)
    assert kept.returncode == 0, kept.stderr
    assert json.loads(kept.stdout)["added"] == 1 and _stored(db) == 2


@pytest.mark.parametrize("since", ["soon", "2x"])
def test_events_rejects_bad_since(tmp_path, since):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from storyline.cli import main

    open_store(tmp_path / "s.db").close()
    result = CliRunner().invoke(main, ["events", "--db", str(tmp_path / "s.db"), "--since", since])
    assert result.exit_code == 2 and "neither a duration" in result.output


def test_ingest_refuses_a_private_feed_url_and_goes_on(tmp_path):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from storyline.cli import main

    page = tmp_path / "a.txt"
    page.write_text("Quake hits Kabul\n\nA strong earthquake hit Kabul on Monday.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", "http://127.0.0.1:9/feed.xml", str(page), "--db", str(tmp_path / "s.db"),
                                       "--profiler", "lexical", "--workers", "0"])
    assert result.exit_code == 1
    assert "http://127.0.0.1:9/feed.xml: refused" in result.output and "1 added" in result.output


def test_export_and_import_parquet_from_the_command_line(tmp_path):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from storyline.cli import main
    from storyline.types import Article

    store = open_store(tmp_path / "a.db")
    try:
        Pipeline(store, profiler="lexical").ingest(
            Article.from_text(f"Bridge {i} reopens", f"The old bridge number {i} reopened on Friday after repairs.", source=f"t:{i}")
            for i in range(6)
        )
        before = store.counts()
    finally:
        store.close()
    runner = CliRunner()
    out = runner.invoke(main, ["export", str(tmp_path / "a.parquet"), "--db", str(tmp_path / "a.db")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "a.parquet").read_bytes()[:4] == b"PAR1"
    assert runner.invoke(main, ["export", str(tmp_path / "a.data"), "--format", "parquet", "--db", str(tmp_path / "a.db")]).exit_code == 0
    assert (tmp_path / "a.data").read_bytes()[:4] == b"PAR1"
    result = runner.invoke(main, ["import", str(tmp_path / "a.data"), "--db", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    other = open_store(tmp_path / "b.db")
    try:
        assert other.counts() == before
    finally:
        other.close()
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 but nothing else")
    bad = runner.invoke(main, ["import", str(tmp_path / "bad.parquet"), "--db", str(tmp_path / "b.db")])
    assert bad.exit_code != 0 and "Parquet" in bad.output
