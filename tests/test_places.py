"""Places from invented sentences in several scripts."""

import pytest

from storyline.analyse.places import compare_places, find_places, lookup_place

DOHA = [
    ("The talks resumed in Doha on Monday.", "en"),
    ("会谈周一在多哈恢复。", "zh"),
    ("Переговоры возобновились в Дохе в понедельник.", "ru"),
    ("استؤنفت المحادثات في الدوحة يوم الاثنين.", "ar"),
    ("Die Gespräche wurden am Montag in Doha fortgesetzt.", "de"),
    ("Les discussions ont repris lundi à Doha.", "fr"),
]


@pytest.mark.parametrize("text,lang", DOHA)
def test_doha_in_every_script(text, lang):
    places = find_places(text, lang)
    assert [(p.place_id, p.country, p.kind) for p in places] == [("geonames:290030", "QA", "city")]
    assert text[places[0].start:places[0].start + len(places[0].text)] == places[0].text


@pytest.mark.parametrize("text,lang", [("Qatar hosted the meeting.", "en"), ("卡塔尔主办了会议。", "zh"),
                                       ("Катар принял встречу.", "ru"), ("استضافت قطر الاجتماع.", "ar"),
                                       ("Katar'da toplantı yapıldı.", "tr")])
def test_qatar_is_a_country(text, lang):
    assert [p.place_id for p in find_places(text, lang)] == ["iso:QA"]


@pytest.mark.parametrize("text,lang", [("A car bomb exploded in Kabul.", "en"), ("喀布尔发生汽车炸弹爆炸。", "zh"),
                                       ("В Кабуле взорвался автомобиль.", "ru"), ("انفجرت سيارة مفخخة في كابل.", "ar")])
def test_kabul(text, lang):
    places = find_places(text, lang)
    assert [(p.name, p.country) for p in places] == [("Kabul", "AF")]


def test_no_false_places_in_common_words():
    text = "It was a nice day, and the same mobile phone of mine kept reading the split orange list. Of course."
    assert find_places(text, "en") == []


def test_us_abbreviation_needs_capitals():
    assert [p.place_id for p in find_places("The U.S. and US officials told us.", "en")] == ["iso:US", "iso:US"]


def test_demonyms_resolve_to_countries():
    places = find_places("Afghan and Qatari officials met American diplomats.", "en")
    assert [p.place_id for p in places] == ["iso:AF", "iso:QA", "iso:US"]


def test_person_mentions_block_places():
    from storyline.types import Mention

    text = "Jackson Doha spoke to reporters."
    m = Mention("Jackson Doha", "PER", 0, 12, "en", "")
    assert find_places(text, "en", [m]) == []


def test_lookup_and_compare():
    assert lookup_place("Дохе", "ru").name == "Doha"
    a = find_places("Talks in Doha, Qatar, about Afghanistan.", "en")
    b = find_places("阿富汗问题会谈在卡塔尔多哈举行。", "zh")
    r = compare_places(a, b)
    assert r["overlap_score"] == 1.0 and r["shared_countries"] == ["AF", "QA"]
    assert compare_places(a, [])["overlap_score"] == 0.0
