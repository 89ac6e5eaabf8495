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


def test_langid_model_is_kept_deflated_in_the_cache_folder_and_read_back_the_same(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from storyline.analyse import language

    monkeypatch.setenv("STORYLINE_CACHE_DIR", str(tmp_path / "cache"))
    source = MODEL_DIR / MODEL_FILE
    path = language._langid_cache_path(source)
    assert path is not None and path.parent == tmp_path / "cache" and not path.exists()
    first = language._langid_arrays(source)  # decompressed from py3langid's file, and written
    assert path.exists() and 0 < path.stat().st_size < source.stat().st_size * 3
    again = language._langid_arrays(source)  # read back
    ref = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def same(x, y) -> bool:  # type: ignore[no-untyped-def]
        if isinstance(x, np.ndarray):
            return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        if isinstance(x, tuple):
            return all(same(u, v) for u, v in zip(x, y, strict=True))
        return type(x) is type(y) and getattr(x, "typecode", None) == getattr(y, "typecode", None) and x == y

    assert same(first, again)
    ptc, pc, classes, nextmove, row, output = again
    built = LanguageIdentifier(np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=True, tk_row=row)
    for attr in LanguageIdentifier.__slots__:  # the identifier py3langid builds from its own file
        assert same(getattr(built, attr), getattr(ref, attr)), attr
    text = "Der Bundestag hat am Donnerstag das Gesetz verabschiedet."
    assert built.classify(text) == ref.classify(text)
    path.write_bytes(b"not a zip")  # a damaged file is not trusted: rewritten from py3langid's
    assert language._read_langid_cache(path) is None and same(language._langid_arrays(source), first)
    blocked = tmp_path / "file"
    blocked.write_text("x")
    monkeypatch.setenv("STORYLINE_CACHE_DIR", str(blocked / "sub"))  # cannot be written: read from py3langid's file
    assert same(language._langid_arrays(source), first) and not (blocked / "sub").exists()
