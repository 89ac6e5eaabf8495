"""JSON, JSONL and CSV records, field maps, and the SemEval-2022 Task 8 pair formats."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline.ingest import FieldMap, iter_articles, iter_csv, iter_json, iter_jsonl, iter_pairs, parse_record
from storyline.types import DIMENSIONS, Article, ArticlePair, RecordError

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
ARTICLES = FIXTURES / "articles"


def test_jsonl_bad_line_in_the_middle_does_not_stop_the_batch() -> None:
    path = ARTICLES / "records.jsonl"
    items = list(iter_articles([path]))
    assert [type(x).__name__ for x in items] == ["Article", "RecordError", "RecordError", "Article"]
    first, broken, no_text, last = items
    assert first.source == f"jsonl:{path}:1"
    assert first.title == "Ferry resumes" and first.url == "https://harbour.example/ferry"
    assert first.published_at == datetime(2021, 2, 9, 9, 0, tzinfo=timezone.utc)  # naive → UTC
    assert first.language_hint == "en" and first.meta["record_id"] == "r1"
    assert broken.source == f"jsonl:{path}:2" and f"{path}:2" in broken.source
    assert broken.error_type == "JSONDecodeError" and "invalid JSON" in broken.reason
    assert broken.raw is not None and broken.raw.startswith(b'{"id": "r2"')
    assert no_text.source == f"jsonl:{path}:4"  # blank line 3 is skipped, numbering kept
    assert "no text field" in no_text.reason and "'summary'" in no_text.reason and "'text'" in no_text.reason
    assert last.language_hint == "zh" and last.text == "渡轮周二恢复运营。"


def test_json_object_and_list() -> None:
    [one] = list(iter_articles([ARTICLES / "one.json"]))
    assert isinstance(one, Article) and one.source == f"file:{ARTICLES / 'one.json'}"
    assert one.published_at == datetime(2021, 2, 9, tzinfo=timezone.utc)
    items = list(iter_json((ARTICLES / "list.json").read_bytes(), "list.json"))
    assert [type(x).__name__ for x in items] == ["Article", "RecordError", "RecordError"]
    assert items[0].text == "El ferri volvió a zarpar."
    assert items[2].source == "json:list.json#2" and "not an object" in items[2].reason


def test_json_that_does_not_parse() -> None:
    [err] = list(iter_json(b'{"text": "unterminated', "bad.json"))
    assert isinstance(err, RecordError) and err.error_type == "JSONDecodeError" and err.source == "file:bad.json"


def test_csv_rows_with_multiline_cells_and_bad_rows() -> None:
    path = ARTICLES / "table.csv"
    items = list(iter_articles([path]))
    assert [type(x).__name__ for x in items] == ["Article", "RecordError", "Article"]
    assert items[0].source == f"csv:{path}:2" and items[0].text == "The ferry resumed on Tuesday.\nPassengers queued early."
    assert items[1].source == f"csv:{path}:4" and "field 'body' is empty" in items[1].reason
    assert items[2].source == f"csv:{path}:5" and items[2].published_at is None


def test_csv_missing_text_column_is_one_error_naming_the_columns() -> None:
    [err] = list(iter_articles([ARTICLES / "notext.csv"]))
    assert isinstance(err, RecordError)
    assert "no text column" in err.reason and "'headline', 'summary'" in err.reason
    assert err.raw is not None


def test_csv_semicolon_and_tab() -> None:
    [a] = list(iter_csv("titre;texte\nFerry;Le ferry repart.\n".encode(), "a.csv", fields=FieldMap(title="titre", text="texte")))
    assert isinstance(a, Article) and a.title == "Ferry" and a.text == "Le ferry repart."
    [b] = list(iter_csv(b"title\ttext\nFerry\tThe ferry is back.\n", "b.tsv", delimiter="\t"))
    assert isinstance(b, Article) and b.text == "The ferry is back."


def test_field_map_custom_names_and_aliases() -> None:
    fields = FieldMap(text=("story", "text"), title="head", date="when")
    a = parse_record({"head": "Ferry", "story": "The ferry is back.", "when": 1612872000}, "r:1", fields)
    assert a.title == "Ferry" and a.published_at == datetime(2021, 2, 9, 12, 0, tzinfo=timezone.utc)
    b = parse_record({"Headline": "Ferry", "Body": ["Para one.", "Para two."], "pubDate": "Tue, 09 Feb 2021 10:00:00 GMT"}, "r:2")
    assert b.title == "Ferry" and b.text == "Para one.\n\nPara two."
    assert b.published_at == datetime(2021, 2, 9, 10, 0, tzinfo=timezone.utc)


def test_record_text_field_of_the_wrong_type() -> None:
    [err] = list(iter_jsonl(b'{"text": {"nested": true}}', "x.jsonl"))
    assert isinstance(err, RecordError) and "is a dict, not text" in err.reason and err.source == "jsonl:x.jsonl:1"


def test_record_mojibake_in_json_escapes_is_repaired() -> None:
    [a] = list(iter_jsonl(json.dumps({"text": "CafÃ© reopened."}).encode(), "m.jsonl"))
    assert isinstance(a, Article) and a.text == "Café reopened."


def test_unparseable_record_date_is_kept_raw() -> None:
    a = parse_record({"text": "Ferry back.", "date": "the day after the storm"}, "r")
    assert a.published_at is None and a.meta["date_raw"] == "the day after the storm"


# ------------------------------------------------------------------ SemEval pairs


def test_semeval_jsonl_pairs() -> None:
    path = FIXTURES / "semeval_pairs.jsonl"
    items = list(iter_pairs(path))
    assert [type(x).__name__ for x in items] == ["ArticlePair", "ArticlePair", "ArticlePair", "RecordError"]
    first, mt, zh, bad = items
    assert first.pair_id == "1000000001_1000000002"
    assert first.language_pair == "en-de"
    assert first.gold == {"geography": 1.0, "entities": 1.0, "time": 1.0, "narrative": 1.0, "overall": 1.0, "style": 2.0, "tone": 1.5}
    assert set(first.gold) == set(DIMENSIONS)
    assert first.a.title == "Ferry resumes after storm" and first.b.title == "Fähre fährt wieder"
    assert not first.machine_translated
    assert mt.machine_translated and mt.a.title == "" and mt.b.title == ""  # rows without title1/title2
    assert mt.gold["tone"] == pytest.approx(2.6666666666666665)
    assert zh.language_pair == "zh-en" and zh.a.text == "受风暴影响停航三天的渡轮于周二恢复运营。"
    assert bad.source == f"jsonl:{path}:4" and "1000000007_1000000008" in bad.reason and "'text2'" in bad.reason


def test_semeval_official_csv_with_article_folder() -> None:
    items = list(iter_pairs(FIXTURES / "semeval_official.csv", articles_dir=FIXTURES / "semeval_articles"))
    pair, missing = items
    assert isinstance(pair, ArticlePair)
    assert pair.pair_id == "1484084337_1484110212"
    assert pair.a.title == "Council approves new bridge"  # <dir>/37/<id>.json
    assert pair.b.title == "Bridge vote passes"  # flat <dir>/<id>.json
    assert pair.a.published_at == datetime(2020, 1, 6, tzinfo=timezone.utc) and pair.b.published_at is None
    assert pair.gold == {"geography": 1.0, "entities": 1.5, "time": 1.0, "narrative": 2.0, "overall": 1.5, "style": 2.0, "tone": 1.0}
    assert pair.language_pair == "en-en"
    assert isinstance(missing, RecordError)
    assert "1484084399_1484110299" in missing.reason and "1484084399.json" in missing.reason and "/99/" in missing.reason


def test_semeval_test_csv_without_gold_columns() -> None:
    [pair] = list(iter_pairs(FIXTURES / "semeval_test.csv", articles_dir=FIXTURES / "semeval_articles"))
    assert isinstance(pair, ArticlePair) and pair.gold == {}


def test_iter_pairs_never_raises_on_missing_or_bad_files(tmp_path: Path) -> None:
    [err] = list(iter_pairs(tmp_path / "nope.jsonl"))
    assert isinstance(err, RecordError) and "no such file" in err.reason
    (tmp_path / "bad.jsonl").write_text('{"pair_id": "1_2", "text1": "a", "text2": "b", "overall": "high"}\n[1]\n', encoding="utf-8")
    errs = list(iter_pairs(tmp_path / "bad.jsonl"))
    assert [type(x).__name__ for x in errs] == ["RecordError", "RecordError"]
    assert "'overall'" in errs[0].reason and "not a number" in errs[0].reason
    assert "not an object" in errs[1].reason
    (tmp_path / "nocol.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    [err] = list(iter_pairs(tmp_path / "nocol.csv"))
    assert isinstance(err, RecordError) and "pair_id" in err.reason


@pytest.mark.parametrize(
    "written, expected",
    [
        ("March 01, 2008", "2008-03-01"),
        ("Monday, March 3, 2014 8:01 AM EST", "2014-03-03"),
        ("13/02/2020", "2020-02-13"),
        ("21 novembre 2020", "2020-11-21"),  # not English: the search over every language still finds it
        ("2 de marzo de 2019", "2019-03-02"),
        ("21 listopada 2020", "2020-11-21"),
        ("5 мая 2020", "2020-05-05"),
        ("2020年5月3日", "2020-05-03"),
        ("21 نوفمبر 2020", "2020-11-21"),
        ("21 Kasım 2020", "2020-11-21"),
    ],
)
def test_written_record_dates_in_many_languages(written: str, expected: str) -> None:
    from storyline.ingest.dates import parse_date

    found = parse_date(written)
    assert found is not None and found.date().isoformat() == expected
    assert parse_date(written) == found  # the cached answer is the same
