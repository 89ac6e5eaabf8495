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
