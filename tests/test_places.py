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


# Polish case endings: invented sentences, one inflected place name each (locative, genitive, plural).
POLISH = [
    ("Wybory odbyły się w Polsce w niedzielę.", "Poland"),
    ("Delegacja przyleciała do Warszawy wieczorem.", "Warsaw"),
    ("Koncert zagrano w Krakowie po raz drugi.", "Kraków"),
    ("Żołnierze wrócili z Iraku w piątek.", "Iraq"),
    ("Turyści utknęli we Włoszech na tydzień.", "Italy"),
    ("Fabryki w Chinach wstrzymały pracę.", "China"),
    ("Ambasador spotkał się w Bagdadzie z ministrem.", "Baghdad"),
    ("Eksport do Stanów Zjednoczonych wzrósł.", "United States"),
]


@pytest.mark.parametrize("text,name", POLISH)
def test_polish_inflected_places_resolve(text, name):
    assert [p.name for p in find_places(text, "pl")] == [name]


def test_polish_endings_only_for_polish_and_not_sentence_initial():
    # a capitalised common word opening a sentence, an all-caps heading, and the Marian genitive stay no place
    assert find_places("Ludzie wyszli na ulice. Druga grupa czekała.", "pl") == []
    assert find_places("KALENDARZ: LUTY JULIE", "pl") == []
    assert find_places("Modlitwa do Najświętszej Maryi Panny.", "pl") == []
    # the same inflected form in an English text is not lemmatised the Polish way
    assert find_places("He said Polsce twice.", "en") == []
    assert lookup_place("Warszawie", "pl").name == "Warsaw"


def test_place_index_is_kept_in_the_cache_folder_and_read_back(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from storyline.analyse import places

    monkeypatch.setenv("STORYLINE_CACHE_DIR", str(tmp_path / "cache"))
    path = places._index_cache_path()
    assert path is not None and path.parent == tmp_path / "cache" and places._read_index(path) is None
    built = places.build_place_index()
    places._write_index(path, built)
    again = places._read_index(path)
    assert again is not None and again == built
    assert [p.name for p in again.names[places._norm("Kabul")]] == [p.name for p in built.names[places._norm("Kabul")]]
    # equal candidates are one object (a city under each of its names), in the built and in the read index
    for index in (built, again):
        cands = [c for table in (index.names, index.stems, index.cjk) for cs in table.values() for c in cs]
        cands += [c for _, c in index.ru_adjectives]
        assert len({id(c) for c in cands}) == len(set(cands)) < len(cands) / 2
    path.write_bytes(b"not a pickle")  # a damaged file is rebuilt, not trusted
    assert places._read_index(path) is None
    blocked = tmp_path / "file"
    blocked.write_text("x")
    places._write_index(blocked / "sub" / "places.pickle", built)  # cannot be written: no error, nothing kept
    assert not (blocked / "sub").exists()


REGIONS = [
    ("Пожары в Калифорнии уничтожили сотни домов.", "ru", "iso:US-CA", "US"),
    ("Wildfires in California destroyed hundreds of homes.", "en", "iso:US-CA", "US"),
    ("Pożary w Kalifornii zniszczyły setki domów.", "pl", "iso:US-CA", "US"),
    ("Die Polizei in Bayern nahm zwei Männer fest.", "de", "iso:DE-BY", "DE"),
    ("Наводнение в Уэльсе затопило дороги.", "ru", "iso:GB-WLS", "GB"),
    ("Проливные дожди прошли в штате Кентукки.", "ru", "iso:US-KY", "US"),
    ("北方邦的选举结果周四公布。", "zh", "iso:IN-UP", "IN"),
    ("肯塔基州发生龙卷风。", "zh", "iso:US-KY", "US"),
]


@pytest.mark.parametrize("text,lang,place_id,country", REGIONS)
def test_first_level_regions_resolve_with_their_country(text, lang, place_id, country):
    assert [(p.place_id, p.country, p.kind) for p in find_places(text, lang)] == [(place_id, country, "region")]


def test_regions_never_shadow_a_country_or_city_and_skip_generic_names():
    assert lookup_place("Georgia", "en").kind == "country"  # the state only adds names: the country keeps its own
    assert lookup_place("Washington", "en").kind == "city"
    assert lookup_place("华盛顿", "zh").kind == "city"
    # translations of generic region names ("Central", "Northern") and stop-listed ones are no place
    assert find_places("Merkezi Bankası faizi sabit tuttu. Kuzey kesimlerde kar var.", "tr") == []
    assert find_places("Кампания по вакцинации началась в понедельник.", "ru") == []
    # a multi-word region wins over the shorter name inside it
    assert [p.name for p in find_places("Storms hit New South Wales and North Carolina.", "en")] == ["New South Wales", "North Carolina"]


def test_ascii_words_normalise_as_the_full_rules_do():
    import random
    import unicodedata

    from storyline.analyse.places import _ARABIC_DIACRITICS, _is_latin, _norm

    def full(s: str) -> str:  # every step of _norm, none skipped
        s = unicodedata.normalize("NFC", s).casefold().replace("’", "'").replace("ё", "е")
        s = _ARABIC_DIACRITICS.sub("", s)
        s = s.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ى", "ي")
        if not s.isascii() and _is_latin(s):
            s = unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)))
        return " ".join(s.split())

    rng = random.Random(7)
    words = ["".join(chr(rng.randrange(128)) for _ in range(rng.randrange(12))) for _ in range(3000)]
    words += ["New  York", " St.\tLouis\x1f", "ÉCOLE", "Ärzte’s", "Кёльн", "İstanbul", "ﬁrenze"]
    assert [_norm(w) for w in words] == [full(w) for w in words]


def test_a_word_decides_the_same_place_wherever_it_stands():
    # the scan decides each word once per spelling (cached): the same words at other offsets, twice
    text = "Doha hosted talks. Later, in Doha, Qatar said talks in DOHA went on; doha is small."
    first = [(p.text, p.start) for p in find_places(text, "en")]
    assert first == [("Doha", 0), ("Doha", 29), ("Qatar", 35), ("DOHA", 55)]
    assert [(p.text, p.start) for p in find_places(text, "en")] == first
