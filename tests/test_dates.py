"""Dates: explicit, relative and yearless dates in eleven languages, resolved against publication."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.analyse.dates import (
    compare_dates,
    date_gap_days,
    date_of_event,
    date_overlap_score,
    date_spans,
    extract_dates,
)
from storyline.types import DateMention

PUB = datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)  # a Tuesday


def found(text: str, language: str, published_at=PUB, **kw) -> list[tuple[str, str, str]]:
    return [(d.text, d.value.isoformat(), d.precision) for d in extract_dates(text, language, published_at, **kw)]


def values(text: str, language: str, published_at=PUB, **kw) -> list[str]:
    return [v for _, v, _ in found(text, language, published_at, **kw)]


# one sentence per language: a weekday + day + month, a year with context, a relative expression
CASES = {
    "en": ("The harbour reopened on Monday, March 11, eleven years after the flood of 2013 closed it. Repairs start next week.",
           ["2024-03-11", "2013-01-01", "2024-03-19"]),
    "de": ("Der Hafen wurde am Montag, dem 11. März, wieder geöffnet, seit 2013 war er gesperrt. Vergangene Woche begannen die Arbeiten.",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "fr": ("Le port a rouvert lundi 11 mars, fermé depuis 2013. Les travaux ont commencé la semaine dernière.",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "es": ("El puerto reabrió el lunes 11 de marzo, cerrado desde 2013. Las obras empezaron la semana pasada.",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "it": ("Il porto ha riaperto lunedì 11 marzo, chiuso dal 2013. I lavori sono iniziati la settimana scorsa.",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "pl": ("Port otwarto ponownie w poniedziałek 11 marca, zamknięty od 2013 roku. Prace ruszyły w zeszłym tygodniu.",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "tr": ("Liman 11 Mart Pazartesi günü yeniden açıldı; 2013 yılında kapanmıştı. Çalışmalar geçen hafta başladı.",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "ru": ("Порт вновь открылся в понедельник, 11 марта, он был закрыт с 2013 года. Работы начались на прошлой неделе.",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "ar": ("أعيد فتح الميناء يوم الاثنين ١١ مارس بعد إغلاقه منذ عام ٢٠١٣، وبدأت الأعمال الأسبوع الماضي.",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "zh": ("港口于3月11日（星期一）重新开放，该港自2013年起关闭。修复工程上周开始。",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
    "ja": ("港は3月11日（月）に再開した。2013年から閉鎖されていた。工事は先週始まった。",
           ["2024-03-11", "2013-01-01", "2024-03-05"]),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_weekday_date_year_and_relative_in_each_language(language: str) -> None:
    text, expected = CASES[language]
    assert values(text, language) == expected


def test_precision_and_offsets() -> None:
    text = "In mid-January, and again in June 2023, the 2018 report was cited; by 19 November 2020 it was law."
    got = extract_dates(text, "en", PUB)
    assert [(d.text, d.precision) for d in got] == [
        ("In mid-January", "month"),
        ("June 2023", "month"),
        ("19 November 2020", "day"),
    ]
    for d in got:
        assert text[d.start : d.start + len(d.text)] == d.text


def test_numbers_that_are_not_dates() -> None:
    assert found("The 17-year war has cost 2000 lives and 2,500 troops stayed; it may end.", "en") == []
    assert found("Der 17-jährige Krieg; 2.500 Soldaten.", "de") == []
    assert found("他们在17年战争中失去了2500名士兵。", "zh") == []


def test_iso_and_numeric_dates() -> None:
    assert values("Filed 2020-11-19, amended 19.11.2020.", "de") == ["2020-11-19", "2020-11-19"]
    assert values("Signed 11/19/2020.", "en") == ["2020-11-19"]
    assert values("Signé le 19/11/2020.", "fr") == ["2020-11-19"]


def test_yearless_month_day_takes_the_nearest_year() -> None:
    # published in January: "December 28" is last December, "February 2" this coming February
    jan = date(2021, 1, 3)
    assert values("It began on December 28 and ends on February 2.", "en", jan) == ["2020-12-28", "2021-02-02"]
    assert values("The vote was in June.", "en", date(2021, 10, 15)) == ["2021-06-01"]
    assert values("The vote is in June.", "en", date(2021, 2, 15)) == ["2021-06-01"]
    assert values("Elections were held in November.", "en", date(2021, 2, 15)) == ["2020-11-01"]


def test_weekdays_point_back_unless_future() -> None:
    assert values("They met on Friday.", "en") == ["2024-03-08"]
    assert values("They will meet on Friday.", "en") == ["2024-03-15"]
    assert values("They met last Tuesday.", "en") == ["2024-03-05"]
    assert values("Ils se réuniront vendredi prochain.", "fr") == ["2024-03-15"]
    assert values("Am Freitag soll die Waffenruhe beginnen.", "de") == ["2024-03-15"]
    assert values("双方将于周五会面。", "zh") == ["2024-03-15"]
    assert values("上周四双方会面。", "zh") == ["2024-03-07"]


def test_relative_years_and_months() -> None:
    assert found("Last year the plan failed; next year it may work. Two years ago it was born.", "en") == [
        ("Last year", "2023-01-01", "year"),
        ("next year", "2025-01-01", "year"),
        ("Two years ago", "2022-01-01", "year"),
    ]
    assert values("去年和明年，今年", "zh") == ["2023-01-01", "2025-01-01", "2024-01-01"]
    assert values("В прошлом году и в следующем году", "ru") == ["2023-01-01", "2025-01-01"]


def test_undated_article_takes_the_year_that_fits_the_weekday() -> None:
    # 16 November was a Monday in 2020 (and not again until 2026)
    assert values("Talks opened on Monday, November 16.", "en", None, today=date(2025, 6, 1)) == ["2020-11-16"]
    assert values("Die Gespräche begannen am Montag, 16. November.", "de", None, today=date(2025, 6, 1)) == ["2020-11-16"]
    # relative dates resolve against that inferred date; weekdays alone follow it
    got = values("Talks opened on Monday, November 16, and ended on Friday. Yesterday was calm.", "en", None, today=date(2025, 6, 1))
    assert got == ["2020-11-16", "2020-11-20", "2020-11-15"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Sales rose in 2019 and in 2020. The fair closes on Sunday, July 26.", "en"),
        ("La feria de 2020 cierra el domingo 26 de julio.", "es"),
        ("Die Messe öffnete am 3. Mai 2020 und endet am Sonntag, 26. Juli.", "de"),
        ("La foire a ouvert le 3 mai 2020 et se termine le dimanche 26 juillet.", "fr"),
    ],
)
def test_undated_article_takes_the_weekday_year_nearest_the_years_it_names(text: str, language: str) -> None:
    # 26 July was a Sunday in 2020 and in 2026: a text about 2020 means 2020, not the latest fitting year
    got = values(text, language, None, today=date(2026, 11, 1))
    assert "2020-07-26" in got and "2026-07-26" not in got
    # without a named year, the latest fitting year up to today, as before
    assert values("It closes on Sunday, July 26.", "en", None, today=date(2026, 11, 1)) == ["2026-07-26"]


def test_named_years_choose_by_count_then_newest() -> None:
    # 16 November: a Monday in 2015 and in 2020; the text names 2014 twice and 2021 once -> the year nearest 2014
    got = values("In 2014 and again in 2014, then 2021: talks opened on Monday, November 16.", "en", None, today=date(2026, 1, 1))
    assert got[-1] == "2015-11-16"
    # a year after today does not count
    assert values("By 2040 it ends; talks opened on Monday, November 16.", "en", None, today=date(2025, 6, 1))[-1] == "2020-11-16"


def test_undated_article_without_anchor_skips_relative_dates() -> None:
    assert found("Talks opened on Monday and ended last week, on November 16.", "en", None) == []
    assert values("Talks began in 2019 and on 3 May 2021.", "en", None) == ["2019-01-01", "2021-05-03"]


def test_arabic_indic_digits_and_double_month_names() -> None:
    got = found("في ١٩ نوفمبر/تشرين الثاني ٢٠٢٠ وقعت الأطراف الاتفاق.", "ar")
    assert got == [("١٩ نوفمبر/تشرين الثاني ٢٠٢٠", "2020-11-19", "day")]


def test_chinese_numerals_and_month_parts() -> None:
    assert found("二〇二〇年十一月二十二日，1月中旬", "zh") == [
        ("二〇二〇年十一月二十二日", "2020-11-22", "day"),
        ("1月中旬", "2024-01-01", "month"),
    ]


def test_unknown_language_still_reads_iso_dates() -> None:
    assert values("Op 2020-11-19 om 10 uur.", "nl") == ["2020-11-19"]


def test_date_of_event_prefers_repeated_recent_days() -> None:
    pub = date(2024, 3, 12)
    ds = extract_dates("On Monday, March 11, talks ended. The war began in 2013. The truce starts on Friday. Talks held on Monday.", "en", pub)
    assert date_of_event(ds, pub) == date(2024, 3, 11)
    old = [DateMention("19 November 2020", date(2020, 11, 19))]
    assert date_of_event(old, pub) == pub  # background dates do not move the event
    assert date_of_event(old, None) == date(2020, 11, 19)
    assert date_of_event([], None) is None


def test_date_gap_overlap_and_compare() -> None:
    a = extract_dates("Talks ended on Monday, March 11, 2024; the war began in 2013.", "en", None)
    b = extract_dates("Die Gespräche endeten am 11. März.", "de", date(2024, 3, 12))
    c = extract_dates("Talks opened on Monday, March 13, 2023.", "en", date(2023, 3, 14))
    assert date_gap_days(a, None, b, date(2024, 3, 12)) == 0.0
    assert date_gap_days(a, None, c, date(2023, 3, 14)) == 364.0
    assert date_gap_days([], None, b, None) is None
    assert date_overlap_score(a, b) > 0.8 > date_overlap_score(a, c)
    assert date_overlap_score(a, []) == 0.0
    ev = compare_dates(a, None, b, date(2024, 3, 12))
    assert ev["a"] == ev["b"] == "2024-03-11" and ev["gap_days"] == 0.0 and ev["shared"] == ["2024-03-11"]


def test_date_spans_cover_explicit_dates_only() -> None:
    text = "On Monday, 11 March 2024, 2,500 troops left; last week 300 more."
    spans = date_spans(text, "en")
    assert [text[s:e] for s, e in spans] == ["Monday, 11 March 2024"]


LANGS = ["en", "de", "fr", "es", "it", "pl", "tr", "ru", "ar", "zh", "ja", "xx", "nl"]
ALPHABET = st.sampled_from(
    list("0123456789 ,.-/:年月日周星期一二三四五十٠١٢٣٤٥") + ["March ", "Monday ", "mars ", "marzo ", "марта ", "مارس ",
                                                        "in ", "last week ", "2020", "11", "上周", "am ", "Montag, ", "de "]
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(ALPHABET, max_size=40).map("".join)), st.sampled_from(LANGS),
       st.one_of(st.none(), st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31))))
def test_extract_dates_never_raises_and_returns_well_typed_mentions(text: str, language: str, pub: date | None) -> None:
    published = datetime(pub.year, pub.month, pub.day, tzinfo=timezone.utc) if pub else None
    got = extract_dates(text, language, published)
    assert isinstance(got, list)
    for d in got:
        assert isinstance(d, DateMention)
        assert isinstance(d.value, date) and not isinstance(d.value, datetime)
        assert d.precision in ("day", "month", "year")
        assert 0 <= d.start and text[d.start : d.start + len(d.text)] == d.text
    assert [d.start for d in got] == sorted(d.start for d in got)
    event = date_of_event(got, published)
    assert event is None or isinstance(event, date)


@pytest.mark.parametrize(
    "text,language,found",
    [
        ("Die Kämpfe begannen Ende Dezember 2019 im Norden.", "de", ("Dezember 2019", date(2019, 12, 1), "month")),
        ("Fighting began in early June 2020 in the north.", "en", ("June 2020", date(2020, 6, 1), "month")),
        ("Las obras terminaron a finales de marzo de 2020.", "es", ("marzo de 2020", date(2020, 3, 1), "month")),
        ("أعيد افتتاح المنفذ في نهاية سبتمبر 2019 بعد إغلاقه.", "ar", ("سبتمبر 2019", date(2019, 9, 1), "month")),
        ("وُلد الكاتب في الثامن عشر ثم في 8 أبريل من عام 1971 انتقل.", "ar", ("8 أبريل من عام 1971", date(1971, 4, 8), "day")),
    ],
)
def test_month_after_a_preposition_keeps_its_year(text: str, language: str, found: tuple[str, date, str]) -> None:
    # undated article: a yearless "Ende Dezember" would be dropped; with its year it is a month-precision date
    assert [(d.text, d.value, d.precision) for d in extract_dates(text, language, None)] == [found]


@pytest.mark.parametrize(
    "text,days",
    [
        ("Police said on Tuesday that the suspect fled on Friday.", {1: 1, 4: 1}),
        ("Am Dienstag sagte die Polizei; am Dienstagabend nicht.", {1: 1}),
        ("W środę premier spotkał się z ministrami.", {2: 1}),
        ("В пятницу в Москве прошли переговоры.", {4: 1}),
        ("Cumartesi günü Ankara'da toplandılar.", {5: 1}),
        ("双方周五晚上在北京会谈，星期日返回。", {4: 1, 6: 1}),
        ("Mondays are slow.", {0: 1}),
        ("The sundial of Montagnana is old.", {}),  # "montag" + four letters is no weekday
    ],
)
def test_weekdays_named_in_any_language(text: str, days: dict[int, int]) -> None:
    from storyline.analyse.dates import weekdays_named

    assert weekdays_named(text) == days
