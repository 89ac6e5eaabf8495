"""Numbers with what they count, across languages and number conventions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.analyse.numbers import canonical_unit, compare_numbers, extract_numbers, parse_chinese_number
from storyline.types import NumberMention


def found(text: str, language: str) -> list[tuple[float, str]]:
    return [(n.value, n.unit) for n in extract_numbers(text, language)]


# the same facts in each language: 2,500 troops, 2.5 million people, $40 billion, 12 percent
CASES = {
    "en": "The mission keeps 2,500 troops; 2.5 million people fled; donors gave $40 billion; turnout fell 12 percent.",
    "de": "Die Mission behält 2.500 Soldaten; 2,5 Millionen Menschen flohen; Geber gaben 40 Milliarden Dollar; die Beteiligung sank um 12 Prozent.",
    "fr": "La mission garde 4 500 soldats… non, 2 500 soldats ; 2,5 millions de personnes ont fui ; 40 milliards de dollars ; 12 %.",
    "es": "La misión mantiene 2.500 soldados; 2,5 millones de personas huyeron; 40.000 millones de dólares; 12 por ciento.",
    "it": "La missione mantiene 2.500 soldati; 2,5 milioni di persone; 40 miliardi di dollari; 12 per cento.",
    "pl": "Misja utrzyma 2500 żołnierzy; 2,5 mln osób uciekło; 40 mld dolarów; 12 procent.",
    "tr": "Misyon 2.500 asker tutacak; 2,5 milyon kişi kaçtı; 40 milyar dolar; yüzde 12.",
    "ru": "Миссия сохранит 2 500 военных; 2,5 млн человек бежали; 40 млрд долларов; 12 процентов.",
    "ar": "ستبقي البعثة ٢٥٠٠ جندي، وفر ٢٫٥ مليون شخص، و٤٠ مليار دولار، و١٢ بالمئة.",
    "zh": "特派团将保留2500名士兵，250万人逃离，400亿美元，百分之十二。",
}
EXPECTED = [(2500.0, "troops"), (2500000.0, "people"), (4e10, "usd"), (12.0, "percent")]


@pytest.mark.parametrize("language", sorted(CASES))
def test_same_facts_align_across_languages(language: str) -> None:
    got = found(CASES[language], language)
    if language == "fr":
        assert got[0] == (4500.0, "troops")
        got = got[1:]
    assert got == EXPECTED


def test_adjectives_between_number_and_noun_are_skipped() -> None:
    assert found("Some 4,500 US troops and 300 additional American soldiers.", "en") == [(4500.0, "troops"), (300.0, "troops")]
    assert found("4.500 amerikanische Soldaten und 2.500 US-Soldaten", "de") == [(4500.0, "troops"), (2500.0, "troops")]
    assert found("4500 американских военнослужащих", "ru") == [(4500.0, "troops")]
    assert found("٤٥٠٠ جندي أمريكي", "ar") == [(4500.0, "troops")]


def test_hyphenated_units() -> None:
    assert found("the 17-year war and a 30-day truce", "en") == [(17.0, "year"), (30.0, "day")]
    assert found("a 2,500-strong force", "en") == [(2500.0, "troops")]
    assert found("der 17-jährige Krieg", "de") == [(17.0, "year")]


def test_chinese_forms() -> None:
    assert found("2500名美军、4500名、2.5万人、两千五百名士兵、40亿美元、3人死亡、12人受伤", "zh") == [
        (2500.0, "troops"), (4500.0, "people"), (25000.0, "people"), (2500.0, "troops"),
        (4e9, "usd"), (3.0, "dead"), (12.0, "injured"),
    ]
    assert found("第2轮谈判于下午3点开始，一些人说统一是目标。", "zh") == []
    assert parse_chinese_number("两千五百") == 2500.0
    assert parse_chinese_number("十二") == 12.0
    assert parse_chinese_number("四万") == 40000.0
    assert parse_chinese_number("abc") is None


def test_arabic_indic_digits() -> None:
    got = extract_numbers("وصل ٢٥٠٠ جندي و٣ قتلى", "ar")
    assert [(n.text, n.value, n.unit) for n in got] == [("٢٥٠٠ جندي", 2500.0, "troops"), ("٣ قتلى", 3.0, "dead")]


def test_what_is_skipped() -> None:
    # years, dates, clock times, phone numbers, ordinals, codes, ids
    assert found("In 2018, on 19 November 2020 at 10:30 a.m., call +1 202 555 0143 or (202) 555-0143.", "en") == []
    assert found("The 1st round, the 2nd day, COVID-19, F-16 jets, 5G masts, the 1990s, id 1710187200000.", "en") == []
    assert found("Die 3. Runde begann um 15 Uhr, am 3. März.", "de") == []
    assert found("Le 1er tour, la 2e fois, à 15h30.", "fr") == []
    # a year-like number that counts something is kept
    assert found("2000 troops arrived.", "en") == [(2000.0, "troops")]


def test_decimal_and_thousands_conventions() -> None:
    assert found("2.5 million and 2,500 and 1,234,567.5 people", "en")[:2] == [(2500000.0, ""), (2500.0, "")]
    assert found("1,234,567.5 people", "en") == [(1234567.5, "people")]
    assert found("1.234.567,5 Menschen", "de") == [(1234567.5, "people")]
    assert found("12 500 000 personnes", "fr") == [(12500000.0, "people")]
    assert found("40 mil millones de dólares", "es") == [(4e10, "usd")]
    assert found("£3bn and $10m and 20 km", "en") == [(3e9, "gbp"), (1e7, "usd"), (20.0, "km")]


def test_canonical_units() -> None:
    assert canonical_unit("Soldaten", "de") == canonical_unit("военных", "ru") == canonical_unit("士兵", "zh") == "troops"
    assert canonical_unit("personnes", "fr") == canonical_unit("человек", "ru") == "people"
    assert canonical_unit("Tote", "de") == canonical_unit("погибших", "ru") == canonical_unit("死亡", "zh") == "dead"
    assert canonical_unit("dólares", "es") == canonical_unit("美元", "zh") == canonical_unit("$", "en") == "usd"
    assert canonical_unit("Prozent", "de") == canonical_unit("%", "fr") == "percent"
    assert canonical_unit("tanks", "en") == "tank"
    assert canonical_unit("", "en") == ""


def test_compare_numbers_shared_and_conflicting() -> None:
    en = extract_numbers("The mission keeps 2,500 troops, down from 13,000; 400 prisoners will be freed; $1.2 billion pledged.", "en")
    es = extract_numbers("La misión mantiene 3.000 soldados, frente a 13.000; 400 prisioneros; 1.200 millones de dólares.", "es")
    zh = extract_numbers("特派团将保留2500名士兵，此前为1.3万名；400名囚犯；12亿美元。", "zh")
    r = compare_numbers(en, es)
    assert {(s["unit"], s["value"]) for s in r["shared"]} == {("", 13000.0), ("prisoners", 400.0), ("usd", 1.2e9)}
    assert [(c["unit"], c["a"], c["b"]) for c in r["conflicting"]] == [("troops", 2500.0, 3000.0)]
    r2 = compare_numbers(en, zh)
    assert r2["conflicting"] == []
    assert r2["overlap_score"] == 1.0
    assert 0 < r["overlap_score"] < r2["overlap_score"]
    assert compare_numbers([], en) == {"shared": [], "conflicting": [], "overlap_score": 0.0}


def test_compare_numbers_far_apart_values_do_not_conflict() -> None:
    a = [NumberMention("2,500 troops", 2500.0, "troops")]
    b = [NumberMention("13,000 troops", 13000.0, "troops")]
    assert compare_numbers(a, b)["conflicting"] == []


def test_offsets_point_into_the_text() -> None:
    text = "Officials said 2,500 troops, $40 billion and 12% were agreed."
    for n in extract_numbers(text, "en"):
        assert text[n.start : n.start + len(n.text)] == n.text


LANGS = ["en", "de", "fr", "es", "it", "pl", "tr", "ru", "ar", "zh", "ja", "xx", "nl"]
PIECES = st.sampled_from(
    list("0123456789 ,.-%$€'’:/+()") + ["万", "亿", "名", "两千", "٢٥", "٫", "million ", "Millionen ", "млн ", "troops ", "soldats ",
                                       "الف ", "yüzde ", "第", "th ", "1er ", "2.500 ", "4 500 ", "百分之"]
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=40).map("".join)), st.sampled_from(LANGS))
def test_extract_numbers_never_raises_and_returns_well_typed_mentions(text: str, language: str) -> None:
    got = extract_numbers(text, language)
    assert isinstance(got, list)
    for n in got:
        assert isinstance(n, NumberMention)
        assert isinstance(n.value, float) and n.value == n.value  # not NaN
        assert isinstance(n.unit, str) and n.unit == n.unit.lower()
        assert 0 <= n.start and text[n.start : n.start + len(n.text)] == n.text
    r = compare_numbers(got, got)
    assert 0.0 <= r["overlap_score"] <= 1.0
    assert r["conflicting"] == []
