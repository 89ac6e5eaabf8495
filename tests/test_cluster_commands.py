"""The clustering click commands, run through click's test runner on a tiny hand-written file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from storyline.cluster.commands import cluster_command, eval_clusters_command

ROWS = [
    ("1", "en", "Floods cut off villages in Kerala", "Heavy monsoon rain flooded 40 villages in Kerala on 12 August 2025, officials said. Rescue boats reached Alappuzha.", "2025-08-12", "flood", "weather"),
    ("2", "en", "Kerala floods: rescue boats reach Alappuzha", "Rescue teams used boats to reach Alappuzha after floods cut off 40 villages in Kerala on 12 August 2025.", "2025-08-12", "flood", "weather"),
    ("3", "fr", "Inondations au Kerala", "De fortes pluies de mousson ont inondé 40 villages au Kerala le 12 août 2025, selon les autorités. Des bateaux de secours ont atteint Alappuzha.", "2025-08-12", "flood", "weather"),
    ("4", "en", "Chess champion defends title in Oslo", "Magnus Carlsen won the final game in Oslo on 3 May 2025 to keep his rapid chess title after 12 rounds.", "2025-05-03", "chess", "sport"),
]


@pytest.fixture(scope="module")
def gold_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "docs.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for id_, lang, title, text, date, event, topic in ROWS:
            fh.write(json.dumps({"id": id_, "lang": lang, "title": title, "text": text, "date": date, "event": event, "topic": topic}) + "\n")
    return path


def test_eval_clusters_json_contract(gold_file):
    result = CliRunner().invoke(eval_clusters_command, [str(gold_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= {"n", "bcubed", "clusters", "gold_clusters", "docs_per_second"}
    assert report["n"] == 4 and report["gold_clusters"] == 2
    assert report["bcubed"]["f1"] == 1.0


def test_eval_clusters_story_level_text(gold_file):
    result = CliRunner().invoke(eval_clusters_command, [str(gold_file), "--level", "story"])
    assert result.exit_code == 0, result.output
    assert "B-cubed" in result.output and "F1=" in result.output


def test_cluster_writes_one_row_per_article(gold_file, tmp_path):
    out = tmp_path / "clusters.jsonl"
    result = CliRunner().invoke(cluster_command, [str(gold_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[0]["event"] == rows[1]["event"] == rows[2]["event"] != rows[3]["event"]
    assert all(r["story"] for r in rows)
