"""The bundled sample articles: well-formed, in the promised languages, and as expected.json says."""

from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from storyline.analyse.dates import date_of_event, extract_dates
from storyline.analyse.language import detect_language, split_segments
from storyline.analyse.numbers import compare_numbers, extract_numbers
from storyline.types import VERDICTS, DateMention, NumberMention

SAMPLES = Path(str(resources.files("storyline") / "samples"))
EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in SAMPLES.glob("*.txt"))
DATE_LINE = re.compile(r"^date: (\d{4}-\d{2}-\d{2})$")


def parse(name: str) -> tuple[str, date | None, str]:
    """(title, date, body) of a sample file: title line, optional ``date:`` line, paragraphs."""
    lines = (SAMPLES / name).read_text(encoding="utf-8").split("\n")
    title, rest = lines[0].strip(), lines[1:]
    published = None
    if rest and DATE_LINE.match(rest[0]):
        published = date.fromisoformat(DATE_LINE.match(rest[0]).group(1))  # type: ignore[union-attr]
        rest = rest[1:]
    return title, published, "\n".join(rest).strip()


def _size(text: str) -> int:
    """Length in characters, a Han character counted twice (a faithful zh translation is ~⅓ of the en length)."""
    return len(text) + sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def analyse(name: str) -> tuple[list[DateMention], list[NumberMention], date | None]:
    _, published, body = parse(name)
    dates: list[DateMention] = []
    numbers: list[NumberMention] = []
    for seg in split_segments(body):
        dates += extract_dates(seg.text, seg.language, published)
        numbers += extract_numbers(seg.text, seg.language)
    return dates, numbers, published


def test_there_are_about_twelve_samples_and_all_are_described() -> None:
    assert 10 <= len(FILES) <= 16
    assert set(FILES) == set(EXPECTED["articles"])
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for name in FILES:
        assert f"`{name}`" in readme


@pytest.mark.parametrize("name", FILES)
def test_sample_is_well_formed(name: str) -> None:
    raw = (SAMPLES / name).read_text(encoding="utf-8")
    assert "\r" not in raw and "\ufeff" not in raw and raw.endswith("\n")
    title, published, body = parse(name)
    assert title and len(title) < 200 and not title.endswith((".", "!", "?", "。"))
    assert 600 <= _size(body) <= 1500, _size(body)
    assert body.count("\n\n") >= 2  # paragraphs
    meta = EXPECTED["articles"][name]
    assert (published.isoformat() if published else None) == meta["published"]


@pytest.mark.parametrize("name", FILES)
def test_sample_languages_are_what_expected_json_says(name: str) -> None:
    title, _, body = parse(name)
    want = EXPECTED["articles"][name]["languages"]
    got = [s.language for s in split_segments(body)]
    assert list(dict.fromkeys(got)) == want
    assert detect_language(title) == want[0]


def test_languages_cover_at_least_seven_including_chinese_and_arabic() -> None:
    langs = {lang for meta in EXPECTED["articles"].values() for lang in meta["languages"]}
    assert {"en", "zh", "ar"} <= langs and len(langs) >= 7
    _, _, ar = parse("05_ar_doha_round2.txt")
    assert any("\u0660" <= ch <= "\u0669" for ch in ar)  # Arabic-Indic digits


def test_expected_json_refers_to_existing_files_and_is_consistent() -> None:
    def names(obj: object) -> list[str]:
        if isinstance(obj, str):
            return [obj] if obj.endswith(".txt") else []
        if isinstance(obj, dict):
            return [n for v in obj.values() for n in names(v)]
        if isinstance(obj, list):
            return [n for v in obj for n in names(v)]
        return []

    referenced = set(names({k: v for k, v in EXPECTED.items() if k != "articles"}))
    assert referenced and referenced <= set(FILES)
    for key in ("same_event", "same_story"):
        groups = EXPECTED[key]
        flat = [n for g in groups for n in g]
        assert sorted(flat) == FILES, key  # a partition of the files
    events = {m["event"] for m in EXPECTED["articles"].values()}
    assert len(events) == len(EXPECTED["same_event"])
    for group in EXPECTED["same_event"]:  # same event ⊂ same story
        assert len({EXPECTED["articles"][n]["story"] for n in group}) == 1
        assert len({EXPECTED["articles"][n]["event"] for n in group}) == 1
    for pair in EXPECTED["pairs"]:
        assert pair["verdict"] in VERDICTS
    for name in EXPECTED["unrelated"]:
        story = EXPECTED["articles"][name]["story"]
        assert [n for n, m in EXPECTED["articles"].items() if m["story"] == story] == [name]


def test_the_boilerplate_sample_keeps_its_traps() -> None:
    raw = (SAMPLES / "09_en_boilerplate_tweet.txt").read_text(encoding="utf-8")
    for line in EXPECTED["boilerplate"][0]["lines"]:
        assert f"\n{line}\n" in raw
    assert EXPECTED["boilerplate"][0]["tweet_signature"] in raw and "https://t.co/" in raw
    assert not DATE_LINE.match(raw.split("\n")[1])


def test_the_noisy_sample_spells_one_name_three_ways() -> None:
    _, _, body = parse("12_en_mt_noisy_hadley.txt")
    for form in EXPECTED["name_variants"][0]["forms"]:
        assert re.search(rf"\b{form}\b", body)


@pytest.mark.parametrize("name", [n for n, m in EXPECTED["articles"].items() if m["event_date"]])
def test_event_dates(name: str) -> None:
    dates, _, published = analyse(name)
    got = date_of_event(dates, published)
    want = date.fromisoformat(EXPECTED["articles"][name]["event_date"])
    assert got is not None and abs((got - want).days) <= 1


def test_the_undated_sample_is_dated_by_its_weekday() -> None:
    for case in EXPECTED["undated"]:
        dates, _, published = analyse(case["file"])
        assert published is None
        assert date_of_event(dates, None) == date.fromisoformat(case["inferred_date"])


def test_the_conflicting_troop_figure_is_found() -> None:
    for c in EXPECTED["conflicts"]:
        _, a, _ = analyse(c["a"])
        _, b, _ = analyse(c["b"])
        result = compare_numbers(a, b)
        assert {(x["unit"], x["a"], x["b"]) for x in result["conflicting"]} == {(c["unit"], c["a_value"], c["b_value"])}


def test_shared_numbers_align_across_languages() -> None:
    for fact in EXPECTED["shared_numbers"]:
        for name in fact["files"]:
            _, numbers, _ = analyse(name)
            assert any(n.unit == fact["unit"] and n.value == fact["value"] for n in numbers), name


def test_round_two_reports_share_more_numbers_than_unrelated_articles() -> None:
    _, ref, _ = analyse("01_en_doha_round2.txt")
    same = [compare_numbers(ref, analyse(n)[1])["overlap_score"] for n in ("02_zh_doha_round2_translation.txt", "03_de_doha_round2.txt", "06_ru_doha_round2.txt")]
    other = [compare_numbers(ref, analyse(n)[1])["overlap_score"] for n in EXPECTED["unrelated"]]
    assert min(same) > max(other)
