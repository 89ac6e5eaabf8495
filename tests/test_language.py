from __future__ import annotations

import pytest

from storyline.analyse.language import detect_language, script_of, split_segments, split_sentences

SENTENCES = {
    "en": "The finance ministers agreed on Friday to extend the emergency credit line for another year.",
    "de": "Die Finanzminister einigten sich am Freitag darauf, die Notkreditlinie um ein weiteres Jahr zu verlängern.",
    "fr": "Les ministres des finances ont convenu vendredi de prolonger la ligne de crédit d'urgence d'un an.",
    "es": "Los ministros de finanzas acordaron el viernes prorrogar la línea de crédito de emergencia un año más.",
    "it": "I ministri delle finanze hanno concordato venerdì di prorogare di un anno la linea di credito d'emergenza.",
    "pl": "Ministrowie finansów uzgodnili w piątek przedłużenie awaryjnej linii kredytowej o kolejny rok.",
    "tr": "Maliye bakanları cuma günü acil kredi hattını bir yıl daha uzatma konusunda anlaştı.",
    "ru": "Министры финансов в пятницу договорились продлить экстренную кредитную линию еще на год.",
    "ar": "اتفق وزراء المالية يوم الجمعة على تمديد خط الائتمان الطارئ لمدة عام آخر.",
    "zh": "各国财政部长周五同意将紧急信贷额度再延长一年。",
    "ja": "財務相たちは金曜日、緊急融資枠をさらに1年延長することで合意した。",
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_detect_language_on_one_sentence(language: str) -> None:
    assert detect_language(SENTENCES[language]) == language


def test_scripts() -> None:
    assert [script_of(w) for w in ("Milley", "米利", "Милли", "ميلي", "")] == ["latin", "han", "cyrillic", "arabic", "none"]


def test_glued_translation_splits_into_two_segments() -> None:
    zh = "美国高级军官周二在多哈会见了谈判代表。双方讨论了减少暴力的必要性。会议持续了三个小时。"
    en = "A senior US officer met the negotiators in Doha on Tuesday. Both sides discussed the need to reduce violence. The meeting lasted three hours."
    text = zh + "\n" + en
    segments = split_segments(text)
    assert [s.language for s in segments] == ["zh", "en"]
    assert segments[0].text == zh and segments[1].text == en
    assert text[segments[1].start : segments[1].end] == en


def test_a_short_foreign_quote_stays_inside_its_segment() -> None:
    text = (
        "The minister thanked the hosts and repeated the motto of the conference in French.\n"
        "Merci beaucoup.\n"
        "Delegates then returned to the question of the border crossings and the refugees waiting there."
    )
    assert [s.language for s in split_segments(text)] == ["en"]


def test_sentences_respect_abbreviations_and_cjk_marks() -> None:
    text = "Gen. Mark Milley met U.S. officials in Doha. Talks went on.\n谈判继续。双方同意!"
    assert split_sentences(text) == ["Gen. Mark Milley met U.S. officials in Doha.", "Talks went on.", "谈判继续。", "双方同意!"]


def test_empty_text_has_no_segments() -> None:
    assert split_segments("") == ()
    assert split_segments("   \n  ") == ()
