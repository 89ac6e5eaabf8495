"""The command line, run for real: click's runner in-process, and one run of the installed entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import EXIT_RECORD_FAILURES, EXIT_USAGE, main

SAMPLES = Path(__file__).resolve().parents[1] / "storyline" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_compare_json_follows_the_contract() -> None:
    code, out, _ = run("compare", str(SAMPLES / "01_en_doha_round2.txt"), str(SAMPLES / "02_zh_doha_round2_translation.txt"), "--json")
    assert code == 0
    body = json.loads(out)
    assert set(body["scores"]) == {"geography", "entities", "time", "narrative", "overall", "style", "tone"}
    assert all(1.0 <= v <= 4.0 for v in body["scores"].values())
    assert body["verdict"] == "translation"
    assert body["languages"] == {"a": ["en"], "b": ["zh"]}
    assert {"entities", "places", "dates", "numbers"} <= set(body["evidence"])
    assert any(p["country"] == "QA" for p in body["evidence"]["places"])


def test_compare_unrelated_articles() -> None:
    code, out, _ = run("compare", str(SAMPLES / "01_en_doha_round2.txt"), str(SAMPLES / "10_fr_football_unrelated.txt"), "--json")
    body = json.loads(out)
    assert code == 0
    assert body["verdict"] in ("unrelated", "related")
    assert body["scores"]["overall"] > 3.0


def test_compare_segments_of_a_glued_translation() -> None:
    glued = SAMPLES / "08_zh_en_glued_prisoner_release.txt"
    code, out, _ = run("compare", f"{glued}#zh", f"{glued}#en", "--json")
    assert code == 0
    body = json.loads(out)
    assert body["verdict"] == "translation"
    assert body["languages"] == {"a": ["zh"], "b": ["en"]}


def test_compare_human_output_shows_bars_and_verdict() -> None:
    code, out, _ = run("compare", str(SAMPLES / "01_en_doha_round2.txt"), str(SAMPLES / "03_de_doha_round2.txt"))
    assert code == 0
    assert "verdict:" in out and "overall" in out and "█" in out


def test_missing_segment_is_a_clear_error() -> None:
    code, _, err = run("compare", f"{SAMPLES / '01_en_doha_round2.txt'}#zh", str(SAMPLES / "03_de_doha_round2.txt"))
    assert code == EXIT_USAGE
    assert "01_en_doha_round2.txt#zh" in err and "no 'zh' segment" in err


def test_empty_file_is_named_in_the_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, _, err = run("compare", str(empty), str(SAMPLES / "03_de_doha_round2.txt"))
    assert code == EXIT_USAGE
    assert "empty.txt" in err and "empty" in err.split("empty.txt", 1)[1]


def test_analyse_a_folder_goes_on_past_a_bad_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text((SAMPLES / "06_ru_doha_round2.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    code, out, err = run("analyse", str(tmp_path), "--json")
    assert code == EXIT_RECORD_FAILURES
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["language"] for r in rows] == ["ru"]
    assert any(p["country"] == "QA" for p in rows[0]["places"])
    assert "b.bin" in err and "1 ok, 1 failed" in err


def test_group_puts_the_translation_with_its_original_and_leaves_football_alone() -> None:
    files = [SAMPLES / n for n in ("01_en_doha_round2.txt", "02_zh_doha_round2_translation.txt", "10_fr_football_unrelated.txt")]
    code, out, _ = run("group", *map(str, files), "--json")
    assert code == 0
    groups = [[Path(a["source"].removeprefix("file:")).name for a in g] for g in json.loads(out)["groups"]]
    assert sorted(map(sorted, groups)) == [["01_en_doha_round2.txt", "02_zh_doha_round2_translation.txt"], ["10_fr_football_unrelated.txt"]]


def test_eval_pairs_json_contract_and_the_bad_row_is_reported() -> None:
    code, out, _ = run("eval", "pairs", str(FIXTURES / "semeval_pairs.jsonl"), "--json", "--workers", "1")
    assert code == EXIT_RECORD_FAILURES  # the fixture's fourth row has no text2
    body = json.loads(out)
    assert {"n", "pearson", "by_language_pair", "pairs_per_second"} <= set(body)
    assert body["n"] == 3
    assert [f["source"] for f in body["failures"]] == [f"jsonl:{FIXTURES / 'semeval_pairs.jsonl'}:4"]
    assert "text2" in body["failures"][0]["reason"]
    assert set(body["pearson"]) == {"geography", "entities", "time", "narrative", "overall", "style", "tone"}


def test_help_on_every_command() -> None:
    for args in (["--help"], ["compare", "--help"], ["analyse", "--help"], ["group", "--help"], ["demo", "--help"], ["eval", "pairs", "--help"], ["train", "pairs", "--help"]):
        code, out, _ = run(*args)
        assert code == 0 and "Usage:" in out and len(out.splitlines()) > 4, args


def test_installed_entry_point_runs() -> None:
    exe = Path(sys.executable).with_name("storyline")
    if not exe.exists():
        pytest.skip("storyline is not installed as a script in this environment")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "version" in result.stdout


def test_entities_build_list_show_merge_and_undo(tmp_path: Path) -> None:
    registry = str(tmp_path / "entities.json")
    files = [str(SAMPLES / n) for n in ("01_en_doha_round2.txt", "02_zh_doha_round2_translation.txt", "06_ru_doha_round2.txt", "12_en_mt_noisy_hadley.txt")]
    code, out, _ = run("entities", "build", *files, "--registry", registry)
    assert code == 0 and "entities from 4 articles" in out
    code, out, _ = run("entities", "--registry", registry, "--json")
    listed = json.loads(out)
    hadley = [e for e in listed if e["name"].endswith("Hadley")]
    assert len(hadley) == 1 and len(hadley[0]["articles"]) == 4
    forms = {f for scripts in hadley[0]["variants"].values() for group in scripts.values() for f in group}
    assert {"Hadly", "Hedley"} & {f.split()[-1] for f in forms} and any("哈德利" in f for f in forms)
    code, out, _ = run("entity", "Хэдли", "--registry", registry, "--json")
    assert code == 0 and json.loads(out)["entity_id"] == hadley[0]["entity_id"]
    doha = next(e for e in listed if e["name"] == "Doha")
    code, out, _ = run("entities", "merge", doha["entity_id"], hadley[0]["entity_id"], "--registry", registry)
    assert code == 0 and "decision" in out
    code, out, _ = run("entity", "Хэдли", "--registry", registry, "--json")
    assert json.loads(out)["entity_id"] == doha["entity_id"]
    decision = out and int(run("entities", "undo", "1", "--registry", registry)[1].split()[2])
    assert decision == 1
    code, out, _ = run("entity", "Хэдли", "--registry", registry, "--json")
    assert json.loads(out)["entity_id"] == hadley[0]["entity_id"]


def test_entity_commands_without_a_registry_say_how_to_make_one(tmp_path: Path) -> None:
    code, _, err = run("entities", "--registry", str(tmp_path / "none.json"))
    assert code == EXIT_USAGE and "storyline entities build" in err
