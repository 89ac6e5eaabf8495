"""Names across scripts: keys and similarity on invented examples."""

import pytest

from storyline.analyse.names import name_key, name_similarity, romanize, strip_titles

SAME = [
    ("Milley", "en", "Millie", "en"),
    ("Milley", "en", "Millay", "en"),
    ("Milley", "en", "米利", "zh"),
    ("Milley", "en", "米莉", "zh"),
    ("Milley", "en", "Милли", "ru"),
    ("Milley", "en", "ميلي", "ar"),
    ("Mark Milley", "en", "马克·米利", "zh"),
    ("Gen. Mark Milley", "en", "Генерал Марк Милли", "ru"),
    ("Mark Mill", "en", "Mark Milley", "en"),
    ("Khalilzad", "en", "Zalmai Khalilzad", "en"),
    ("Dr. Zalmay Khalilzad", "en", "Zalmai Khalilzad", "en"),
    ("Khalilzad", "en", "哈利勒扎德", "zh"),
    ("Zalmay Khalilzad", "en", "扎尔梅·哈利勒扎德", "zh"),
    ("Khalilzad", "en", "Халилзад", "ru"),
    ("Khalilzad", "en", "خليل زاد", "ar"),
    ("Taliban", "en", "塔利班", "zh"),
    ("Taliban", "en", "Талибан", "ru"),
    ("Taliban", "en", "طالبان", "ar"),
    ("Pompeo", "en", "蓬佩奥", "zh"),
    ("Trump", "en", "特朗普", "zh"),
    ("Scott Miller", "en", "斯科特·米勒", "zh"),
    ("Miller", "en", "米勒", "zh"),
]

DIFFERENT = [
    ("Scott Miller", "en", "Mark Milley", "en"),
    ("Mike Pompeo", "en", "Mark Milley", "en"),
    ("Taliban", "en", "Tabriz", "en"),
    ("Mark", "en", "Milley", "en"),
    ("Ashraf Ghani", "en", "Abdullah Abdullah", "en"),
    ("斯科特·米勒", "zh", "马克·米利", "zh"),
]


@pytest.mark.parametrize("a,la,b,lb", SAME)
def test_variants_match(a, la, b, lb):
    score, reason = name_similarity(a, la, b, lb)
    assert score >= 0.85, (score, reason)


@pytest.mark.parametrize("a,la,b,lb", DIFFERENT)
def test_different_names_do_not_match(a, la, b, lb):
    score, reason = name_similarity(a, la, b, lb)
    assert score < 0.6, (score, reason)


def test_miller_is_close_to_milley_but_below_a_match():
    close, _ = name_similarity("Miller", "en", "Milley", "en")
    same, _ = name_similarity("Millie", "en", "Milley", "en")
    assert 0.6 < close < 0.85 <= same


def test_milley_keys_are_equal_across_scripts():
    keys = {name_key(s, lang) for s, lang in [("Milley", "en"), ("Millie", "en"), ("Millay", "en"), ("米利", "zh"),
                                                ("米莉", "zh"), ("Милли", "ru")]}
    assert keys == {"mili"}
    assert name_key("Miller", "en") != "mili"


def test_romanize_strips_titles_and_middle_dots():
    assert romanize("马克·米利将军", "zh") == "make mili"
    assert romanize("马克•米利", "zh") == "make mili"
    assert romanize("General Mark Milley", "en") == "mark milley"
    assert strip_titles("Генерал Марк Милли", "ru") == ("Марк Милли", ("Генерал",))


def test_russian_case_endings_do_not_change_the_key():
    assert name_key("Халилзадом", "ru") == name_key("Khalilzad", "en")
    assert name_key("Трампа", "ru") == name_key("Трамп", "ru")
    assert name_key("Милли", "ru") == "mili"


def test_reasons():
    assert name_similarity("Milley", "en", "米利", "zh")[1] == "transliteration"
    assert name_similarity("Khalilzad", "en", "Zalmai Khalilzad", "en")[1] == "token subset"
    assert name_similarity("Scott Miller", "en", "Mark Milley", "en")[1] == "given names differ"


# ---------------------------------------------------------------------------
# The name test set (tests/fixtures/names/names.jsonl): pairwise precision and recall

def _bench():  # type: ignore[no-untyped-def]
    import importlib.util
    import sys
    from pathlib import Path

    if "bench_names" in sys.modules:
        return sys.modules["bench_names"]

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_names.py"
    spec = importlib.util.spec_from_file_location("bench_names", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules.setdefault("bench_names", module)
    spec.loader.exec_module(module)
    return sys.modules["bench_names"]


def test_name_test_set_is_large_and_multiscript():
    from storyline.analyse.names import script_of

    entities = _bench().load_test_set()
    assert len(entities) >= 60
    scripts = {script_of(text) for e in entities for text, _ in e["variants"]}
    scripts |= {"kana" for e in entities for text, lang in e["variants"] if lang == "ja"}
    scripts |= {"hangul" for e in entities for text, lang in e["variants"] if lang == "ko"}
    assert {"latin", "han", "cyrillic", "arabic", "greek", "hebrew", "kana", "hangul"} <= scripts
    assert sum("confusable_with" in e for e in entities) >= 20


def test_name_test_set_precision_and_recall():
    bench = _bench()
    results = bench.evaluate(bench.load_test_set(), bench.decision_function("registry"))
    overall = results["all"]
    assert overall.precision >= 0.95, overall.as_dict()
    assert overall.recall >= 0.90, overall.as_dict()
    # confusable people (Miller/Milley, Li Qiang/Li Keqiang, the Sinwar brothers …) are mostly kept apart
    assert results["confusable"].fp <= 0.03 * (results["confusable"].fp + results["confusable"].tn)


def test_pinyin_of_every_character_is_pypinyins_own():
    # names._pinyin reads pypinyin's character table without importing pypinyin (whose import reads its
    # phrase dictionary too): each character of the table, and characters it has no reading for, as lazy_pinyin gives them
    from pypinyin import Style, lazy_pinyin

    from storyline.analyse.names import _pinyin, _pinyin_table

    table = _pinyin_table()
    assert table is not None and len(table) > 20_000
    read = _pinyin()
    others = [chr(cp) for cp in (*range(0x3000, 0x3040), 0x20000, 0x2A6DF, 0x10FFFD) if cp not in table] + list("aZ9·")
    for ch in [chr(cp) for cp in table] + others:
        assert read(ch) == lazy_pinyin(ch, style=Style.NORMAL, errors=lambda chars: list(chars)), ch
    assert read("绿") == ["lv"] and read("女") == ["nv"] and read("米") == ["mi"]
