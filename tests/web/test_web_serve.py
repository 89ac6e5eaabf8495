"""``storyline serve`` as a user runs it: a real process on a free port (the lexical profiler keeps it quick)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from webtools import API_KEY

KEY = {"X-API-Key": API_KEY}


class Served:
    def __init__(self, args: list[str]) -> None:
        env = {**os.environ, "STORYLINE_API_KEY": API_KEY}
        cmd = [sys.executable, "-c", "from storyline.cli import main; main()", "serve", "--port", "0", "--profiler", "lexical", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        deadline = time.monotonic() + 120
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"serve exited: {self.proc.wait()} {self.proc.stderr.read() if self.proc.stderr else ''}")
            self.lines.append(line)
            m = re.search(r"serving on (http://\S+?)/ ", line)
            if m:
                self.url = m.group(1)
                return
        raise AssertionError("serve printed no URL in time")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(30)

    def stop_cleanly(self) -> None:
        """SIGTERM: uvicorn shuts down, then re-raises the signal (exit -15); no traceback either way."""
        code = self.stop(signal.SIGTERM)
        err = self.proc.stderr.read() if self.proc.stderr else ""
        assert code in (0, -signal.SIGTERM) and "Traceback" not in err, (code, err)


@pytest.fixture()
def served() -> Iterator[list[Served]]:
    running: list[Served] = []
    yield running
    for s in running:
        if s.proc.poll() is None:
            s.stop(signal.SIGKILL)
        for pipe in (s.proc.stdout, s.proc.stderr):
            if pipe is not None:
                pipe.close()


def test_serve_demo_prints_the_url_and_shows_the_sample_stories(served: list[Served]) -> None:
    s = Served(["--demo"])
    served.append(s)
    assert any("12 articles" in line for line in s.lines) and any(line.startswith("writes: on") for line in s.lines)
    front = httpx.get(s.url + "/", timeout=30)
    assert front.status_code == 200 and "Doha" in front.text and 'class="story-card"' in front.text
    assert httpx.get(s.url + "/api", timeout=30).json()["counts"]["articles"] == 12
    s.stop_cleanly()


def _article(i: int) -> dict[str, Any]:
    towns = ["Arlen", "Brisk", "Corvo", "Dunmere", "Eskar", "Folkton", "Garrow", "Hessel"]
    town = towns[i % len(towns)]
    return {
        "title": f"{town} council report {i}",
        "text": f"The council of {town} met on Monday for session {i}. It approved a budget of {i * 7 + 3} million for roads and schools in {town}.",
        "source": f"paper-{i % 3}",
        "url": f"https://example.test/{town.lower()}/{i}",
    }


def test_kill_9_during_batch_ingest_loses_nothing_acknowledged_and_doubles_nothing(tmp_path: Path, served: list[Served]) -> None:
    db = tmp_path / "k.db"
    first = Served(["--db", str(db)])
    served.append(first)
    acknowledged: set[str] = set()
    sent: list[dict[str, Any]] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=first.url, timeout=30, headers=KEY) as http:
            i = 0
            while not stop.is_set():
                batch = [_article(i + k) for k in range(10)]
                i += 10
                sent.extend(batch)
                try:
                    r = http.post("/api/articles/batch", json={"articles": batch})
                except httpx.HTTPError:
                    return  # the server died mid-request: this batch was never acknowledged
                assert r.status_code == 200, r.text
                acknowledged.update(o["article_id"] for o in r.json()["results"] if o["status"] in ("added", "duplicate"))

    worker = threading.Thread(target=client)
    worker.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.stop(signal.SIGKILL)  # mid-stream: the client is sending the next batch
    stop.set()
    worker.join(30)
    assert len(acknowledged) >= 50

    second = Served(["--db", str(db)])
    served.append(second)
    with httpx.Client(base_url=second.url, timeout=60, headers=KEY) as http:
        for article_id in acknowledged:
            assert http.get(f"/api/articles/{article_id}").status_code == 200, article_id
        stored_before = http.get("/api").json()["counts"]["articles"]
        assert stored_before >= len(acknowledged)
        # the client retries everything it sent (what a real client does after a crash): nothing doubles
        for k in range(0, len(sent), 50):
            r = http.post("/api/articles/batch", json={"articles": sent[k : k + 50]})
            assert r.status_code == 200 and r.json()["failed"] == 0
        unique = {(a["title"], a["text"]) for a in sent}
        counts = http.get("/api").json()["counts"]
        assert counts["articles"] == len(unique)
        events = http.get("/api/events", params={"limit": 200}).json()
        total_in_events = sum(e["n_articles"] for e in events["items"])
        assert events["next_offset"] is None and total_in_events == len(unique)  # every article in exactly one event
    second.stop_cleanly()
