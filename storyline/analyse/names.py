"""Names across scripts: romanisation, a phonetic key, and a name similarity.

Machine-translated news spells one person many ways: "Milley", "Millie",
"Millay", 米利, 米莉, Милли. This module turns every surface form into a
lowercase ASCII form (:func:`romanize`), then into a short phonetic
*name key* (:func:`name_key`) that is equal or very close for such variants,
and scores two names (:func:`name_similarity`).

The name key, step by step (per token; tokens are joined by one space):

1. Romanise. Chinese goes through pypinyin syllable by syllable; in
   transliterated names the "filler" syllables that stand for a lone
   consonant are reduced (克 ke → k, 特 te → t, 德 de → d, 斯 si → s,
   尔 er → r, 勒 → l, or "ler" at the end of a name, as in 米勒 Miller).
   Everything else goes through anyascii.
2. Spelling rewrites: kh→h, ph→f, th→t, sh/zh/ch→s/z/c, ck/q/c→k (c→s
   before e/i), w→v, x→ks, z→s, j→j; doubled letters collapse.
3. An r between a vowel and a consonant is dropped (non-rhotic: Mark, 马克
   "mak").
4. Every vowel run (y counts as a vowel except at the start of a token)
   collapses to one class letter: "i" when the run ends in e, i or y
   (ie, ey, ay, ee → i), otherwise "a" (o, u, ou, ao → a). Final "-er"
   thus reads "ir".

So Milley, Millie, Millay, Milli, Милли, 米利 and 米莉 all give ``"mili"``;
Mill gives ``"mil"`` and Miller / 米勒 give ``"milir"``: close (edit distance
1) but not equal, which is why surname-only matches need context (given
names, titles) — see :func:`name_similarity` and
:func:`storyline.analyse.entities.align_entities`.

Scripts written without short vowels (Arabic, Persian, Urdu, Hebrew) are
compared on a consonant *skeleton* (the key without vowels).

>>> [name_key(s, lang) for s, lang in [("Milley", "en"), ("Millie", "en"), ("米莉", "zh"), ("Милли", "ru")]]
['mili', 'mili', 'mili', 'mili']
>>> name_key("Miller", "en"), name_key("米勒", "zh")
('milir', 'milir')
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

from anyascii import anyascii

__all__ = [
    "romanize",
    "name_key",
    "name_similarity",
    "strip_titles",
    "skeleton",
    "jaro_winkler",
    "script_of",
    "ABJAD_LANGUAGES",
]

ABJAD_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "yi"})

# ---------------------------------------------------------------------------
# Titles and honorifics. Matched case-insensitively as whole leading tokens
# (or, for CJK, as a leading/trailing substring).

_TITLES_LATIN = {
    # English
    "general", "gen", "gen.", "lieutenant", "lt", "lt.", "col", "col.", "colonel", "admiral", "adm", "adm.",
    "dr", "dr.", "doctor", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "sir", "dame", "lord", "lady",
    "president", "pres", "pres.", "vice", "secretary", "sec", "sec.", "minister", "prime", "premier", "envoy",
    "ambassador", "senator", "sen", "sen.", "rep", "rep.", "representative", "governor", "gov", "gov.",
    "mayor", "chairman", "chairwoman", "chair", "chief", "king", "queen", "prince", "princess", "sheikh",
    "shaykh", "sheik", "mullah", "mulla", "mollah", "mawlawi", "mowlavi", "maulvi", "mawlavi", "imam",
    "ayatollah", "pope", "chancellor", "commander", "cmdr", "cmdr.", "sgt", "sgt.", "sergeant", "captain",
    "capt", "capt.", "major", "maj", "maj.", "judge", "justice", "professor", "prof", "prof.", "rev", "rev.",
    "reverend", "special", "state", "foreign", "defence", "defense", "deputy", "acting", "former", "us",
    "u.s.", "then", "top", "army", "marine", "air", "force",
    # German, Dutch
    "herr", "frau", "präsident", "praesident", "präsidentin", "kanzler", "kanzlerin", "außenminister",
    "ministerin", "botschafter", "sondergesandter", "sondergesandten", "sondergesandte", "gesandte", "gesandten",
    "us-gesandte", "us-gesandten", "generalstabschef", "us-generalstabschef", "bundeskanzler", "bundeskanzlerin",
    "verteidigungsminister", "präsidenten", "generals", "heer", "mevrouw", "meneer", "president-elect",
    # French
    "m", "m.", "mme", "mme.", "mlle", "monsieur", "madame", "général", "président", "présidente", "ministre",
    "secrétaire", "ambassadeur", "émissaire", "envoyé", "cheikh", "mollah",
    # Spanish, Portuguese, Italian
    "sr", "sr.", "sra", "sra.", "señor", "señora", "presidente", "presidenta", "secretario", "secretaria",
    "ministro", "ministra", "enviado", "embajador", "jeque", "senhor", "senhora", "generale", "signor",
    "signora", "dott", "dott.", "gral", "gral.",
    # Polish, Turkish
    "pan", "pani", "generał", "prezydent", "sayın", "bay", "bayan", "cumhurbaşkanı", "bakan", "bakanı",
    "büyükelçi", "orgeneral",
    # Cyrillic (lowercase)
    "генерал", "президент", "министр", "госсекретарь", "господин", "госпожа", "г-н", "г-жа", "посол",
    "премьер-министр", "премьер", "спецпредставитель", "спецпосланник", "председатель", "доктор", "мулла",
    "шейх", "канцлер", "глава", "генсек", "генеральный", "секретарь", "командующий",
    # Greek
    "στρατηγός", "πρόεδρος", "υπουργός", "κ.",
    # Arabic (with and without the article)
    "الجنرال", "جنرال", "الرئيس", "رئيس", "السيد", "سيد", "الدكتور", "د.", "وزير", "الوزير", "المبعوث",
    "مبعوث", "الشيخ", "شيخ", "الملا", "ملا", "السفير", "الأمير", "الملك", "القائد", "رئيسة", "السيدة",
    "الخارجية", "الأمريكي", "الأميركي", "الخاص",
    # Persian
    "ژنرال", "آقای", "خانم", "دکتر", "رئیس", "جمهور",
}

_TITLES_CJK = (
    # Chinese (simplified and traditional), Japanese
    "美国国务卿", "国务卿", "國務卿", "参谋长联席会议主席", "特别代表", "特別代表", "特使", "将军", "將軍", "上将",
    "上將", "中将", "中將", "少将", "少將", "总统", "總統", "副总统", "副總統", "先生", "女士", "博士", "部长", "部長",
    "外长", "外長", "主席", "总理", "總理", "首相", "大使", "司令", "国王", "國王", "王子", "教授", "议员", "議員",
    "发言人", "發言人", "谢赫", "毛拉", "大将", "大統領", "長官", "氏", "さん", "将軍",
)
_CJK_TITLE_PATTERN = re.compile("^(?:" + "|".join(sorted(map(re.escape, _TITLES_CJK), key=len, reverse=True)) + ")+|"
                                "(?:" + "|".join(sorted(map(re.escape, _TITLES_CJK), key=len, reverse=True)) + ")+$")

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_NAME_DOTS = "·•‧・･∙⋅‐-"
_TOKEN_SPLIT = re.compile(r"[\s" + re.escape(_NAME_DOTS) + r"_/]+")


@functools.lru_cache(maxsize=65536)
def script_of(text: str) -> str:
    """The main script of ``text``: "han", "cyrillic", "arabic", "greek", "latin" or "other".

    >>> script_of("米利"), script_of("Милли"), script_of("ميلي"), script_of("Milley")
    ('han', 'cyrillic', 'arabic', 'latin')
    """
    counts: dict[str, int] = {}
    for ch, n in Counter(text).items():  # distinct characters, in order of first appearance (as the tie-break needs)
        if ch.isalpha():
            s = _char_script(ch)
            counts[s] = counts.get(s, 0) + n
    if not counts:
        return "other"
    return max(counts, key=lambda k: counts[k])


@functools.lru_cache(maxsize=4096)
def _char_script(ch: str) -> str:
    if _CJK_RE.match(ch):
        return "han"
    name = unicodedata.name(ch, "")
    s = name.split(" ", 1)[0].lower() if name else "other"
    return s if s in ("latin", "cyrillic", "arabic", "greek", "hebrew") else "other"


@functools.lru_cache(maxsize=65536)
def strip_titles(surface: str, language: str = "") -> tuple[str, tuple[str, ...]]:
    """Split leading (and, in CJK, trailing) titles off a name.

    Returns ``(name, titles)``; the name is returned unchanged when it is
    nothing but titles.

    >>> strip_titles("Gen. Mark Milley", "en")
    ('Mark Milley', ('Gen.',))
    >>> strip_titles("马克·米利将军", "zh")
    ('马克·米利', ('将军',))
    >>> strip_titles("الجنرال مارك ميلي", "ar")
    ('مارك ميلي', ('الجنرال',))
    """
    text = surface.strip()
    titles: list[str] = []
    if _CJK_RE.search(text):
        while True:
            m = _CJK_TITLE_PATTERN.search(text)
            if not m or m.end() - m.start() == len(text):
                break
            titles.append(m.group(0))
            text = (text[: m.start()] + text[m.end():]).strip()
        return text, tuple(titles)
    tokens = text.split()
    while len(tokens) > 1 and tokens[0].lower().strip(",") in _TITLES_LATIN:
        titles.append(tokens.pop(0))
    return " ".join(tokens), tuple(titles)


# ---------------------------------------------------------------------------
# Romanisation

# Characters whose pypinyin reading is not the one used in transliterated names.
_ZH_NAME_READINGS = {"勒": "le", "什": "shi", "茨": "ci", "朗": "lang", "莉": "li", "蒂": "di", "娅": "ya", "伊": "yi"}


@functools.lru_cache(maxsize=1)
def _pinyin():  # type: ignore[no-untyped-def]
    """One character → ``[its pinyin without tones]``: pypinyin's ``lazy_pinyin(ch, style=Style.NORMAL)``
    (the first reading in its character table, ``ü`` written ``v``; a character it has no reading for
    stays as it is).

    The table is read from pypinyin's own file (0.8 MB, ~0.02 s) without importing pypinyin, whose
    import also reads its 47k-phrase dictionary (0.17–0.25 s of CPU), which single characters never
    use (``tests/test_names.py`` compares every character of the table). Where the file is not
    found, pypinyin itself.

    >>> _pinyin()("米"), _pinyin()("绿"), _pinyin()("x")
    (['mi'], ['lv'], ['x'])
    """
    table = _pinyin_table()
    if table is None:
        from pypinyin import Style, lazy_pinyin

        return lambda s: lazy_pinyin(s, style=Style.NORMAL, errors=lambda chars: list(chars))
    return lambda s: [_toneless(table[ord(ch)]) if ord(ch) in table else ch for ch in s]


def _pinyin_table() -> dict[int, str] | None:
    """pypinyin's character table (code point → readings, comma-separated), or None."""
    import importlib.util
    import json
    import os

    try:
        spec = importlib.util.find_spec("pypinyin")  # finds the package without importing it
        if spec is None or not spec.submodule_search_locations:
            return None
        path = os.path.join(list(spec.submodule_search_locations)[0], "pinyin_dict.json")
        with open(path, encoding="utf-8") as fh:
            return {int(k): v for k, v in json.load(fh).items()}
    except (OSError, ValueError):
        return None


def _toneless(readings: str) -> str:
    """The first of pypinyin's readings without its tone mark (Style.NORMAL): "lǜ,lù" → "lv"."""
    first = unicodedata.normalize("NFD", readings.split(",", 1)[0])
    kept = "".join(ch for ch in first if not unicodedata.combining(ch) or ch == "\u0308")  # keep ü's diaeresis
    return unicodedata.normalize("NFC", kept).replace("ü", "v")


def _zh_syllables(token: str) -> list[str]:
    """Pinyin syllables of one Chinese token (name readings preferred); kana read with anyascii."""
    out: list[str] = []
    for ch in token:
        if ch in _ZH_NAME_READINGS:
            out.append(_ZH_NAME_READINGS[ch])
        elif _KANA_RE.match(ch):
            if ch == "ー":  # long vowel mark: repeat the previous vowel
                vowel = re.search(r"[aeiou]$", out[-1]) if out else None
                out.append(vowel.group(0) if vowel else "")
            else:
                out.append(anyascii(ch).lower())
        elif _CJK_RE.match(ch):
            out.extend(_pinyin()(ch))
        else:
            out.append(anyascii(ch))
    return out


def _split_tokens(text: str) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(text) if t]


@functools.lru_cache(maxsize=65536)
def romanize(surface: str, language: str = "", *, keep_titles: bool = False) -> str:
    """A lowercase ASCII form of a name: pinyin without tones for Chinese, anyascii otherwise.

    Titles and honorifics are removed unless ``keep_titles``; Chinese name
    parts joined by a middle dot become separate words.

    >>> romanize("马克·米利将军", "zh")
    'make mili'
    >>> romanize("Генерал Марк Милли", "ru")
    'mark milli'
    >>> romanize("Dr. Zalmay Khalilzad", "en")
    'zalmay khalilzad'
    >>> romanize("طالبان", "ar")
    'tlbn'
    """
    text = unicodedata.normalize("NFC", surface)
    if not keep_titles:
        text, _ = strip_titles(text, language)
    words: list[str] = []
    for token in _split_tokens(text):
        if _CJK_RE.search(token):
            word = "".join(_zh_syllables(token))
        else:
            word = anyascii(token)
        word = re.sub(r"[^a-z0-9]+", "", word.lower())
        if word:
            words.append(word)
    return " ".join(words)


# ---------------------------------------------------------------------------
# Name key

_ZH_REDUCE = {"ke": "k", "te": "t", "de": "d", "si": "s", "ge": "g", "fu": "f", "er": "r", "zi": "z", "ci": "ts",
              "shi": "sh", "mu": "m", "bu": "b", "pu": "p", "le": "l"}

_REWRITES = [
    ("tch", "c"), ("sch", "s"), ("kh", "h"), ("gh", "g"), ("ph", "f"), ("th", "t"), ("dh", "d"), ("sh", "s"),
    ("zh", "z"), ("ch", "c"), ("ck", "k"), ("q", "k"), ("x", "ks"), ("w", "v"), ("z", "s"), ("dj", "j"),
]
_VOWELS = set("aeiouy")


def _zh_token_key(token: str) -> str:
    syl = [s.lower() for s in _zh_syllables(token) if s.strip()]
    # pinyin e in -en/-eng is a schwa, closer to Latin a/o than to e/i
    syl = [re.sub(r"(?<=[^aeiouy])eng?$", "an", s) for s in syl]
    out: list[str] = []
    for i, s in enumerate(syl):
        last = i == len(syl) - 1
        # a filler syllable stands for a lone consonant when it is not the
        # first one, or when it opens a consonant cluster (斯科特 Scott, 特朗普 Trump)
        opens_cluster = i == 0 and not last and s in ("si", "te", "ke", "bu", "fu", "ge", "de", "pu")
        if (i > 0 or opens_cluster) and s in _ZH_REDUCE:
            if s == "le" and last:
                out.append("ler")
            elif s == "er" and not last and out and out[-1][-1:] in _VOWELS:
                out.append("l")  # 扎尔梅 Zalmay, 阿尔 Al-
            else:
                out.append(_ZH_REDUCE[s])
        else:
            out.append(s)
    return "".join(out)


def _latin_token_key(word: str, rhotic: bool = False) -> str:
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return ""
    # c → s before front vowels, k otherwise
    w = re.sub(r"c(?=[eiy])", "s", w)
    for old, new in _REWRITES:
        w = w.replace(old, new)
    w = w.replace("c", "k").replace("ts", "s").replace("v", "f")  # v/f: one letter in Arabic, Chinese (夫)
    w = re.sub(r"(.)\1+", r"\1", w)
    w = re.sub(r"ng(?![aeiouy])", "n", w)  # pinyin -ang/-ong: 朗 lang ~ "ram"
    w = re.sub(r"n(?=[pb])", "m", w)
    # non-rhotic r: drop between a vowel and a consonant
    if not rhotic:  # scripts that write no short vowels keep every r
        w = re.sub(r"(?<=[aeiouy])r(?=[^aeiouy])", "", w)
    # vowel runs → class letters (token-initial y before a vowel is a consonant)
    head = ""
    if len(w) > 1 and w[0] == "y" and w[1] in "aeiou":
        head, w = "y", w[1:]

    def vowel_class(m: re.Match[str]) -> str:
        return "i" if m.group(0)[-1] in "eiy" else "a"

    w = re.sub(r"[aeiouy]+", vowel_class, w)
    return re.sub(r"(.)\1+", r"\1", head + w)


_RU_CASE_ENDINGS = ("ами", "ями", "ому", "ему", "ого", "его", "ом", "ем", "ём", "ой", "ей", "ым", "им", "ою", "ею",
                    "ую", "а", "у", "е", "ы", "я", "ю")
_RU_CONSONANT_END = re.compile(r"[бвгджзклмнпрстфхцчшщ]$")


def _ru_base(token: str) -> str:
    """Undo the commonest Russian case endings on a capitalised name (Халилзадом → Халилзад).

    Only when what is left ends in a consonant and has at least four letters,
    so indeclinable names (Милли, Помпео) stay as they are.
    """
    low = token.lower()
    for end in _RU_CASE_ENDINGS:
        if low.endswith(end) and len(low) - len(end) >= 4:
            stem = token[: -len(end)]
            if _RU_CONSONANT_END.search(stem.lower()):
                return stem
    return token


# Name particles dropped before keying (when other tokens remain): al-Assad ~ Assad ~ الأسد.
_PARTICLES_ANYWHERE = frozenset({"al", "el", "ul", "аль", "эль", "ал", "آل", "ال"})
_PARTICLES_INNER = frozenset({"bin", "ibn", "ben", "bint", "бен", "ибн", "бин", "بن", "ابن", "بنت", "本", "伊本"})

_GREEK_DIGRAPHS = [("τζ", "j"), ("γκ", "g"), ("γγ", "ng"), ("μπ", "b"), ("ντ", "d")]
_ARABIC_VOWELS = str.maketrans({"و": "u", "ي": "i", "ى": "a", "ی": "i", "ة": "a", "ء": "", "ئ": "", "ؤ": "", "ع": "",
                                "أ": "", "إ": "", "آ": "", "ا": ""})
_HEBREW_PRE = [("ג'", "j"), ("צ'", "ch"), ("ז'", "zh"), ("וו", "v"), ("יי", "y")]
_HEBREW_VOWELS = str.maketrans({"ו": "u", "י": "i", "א": "", "ע": ""})


def _script_word(token: str, script: str, language: str) -> str:
    """The ASCII reading of one name token, with the script's own fixes applied."""
    if script == "han" or _CJK_RE.search(token):
        if _is_native_zh_name(token):  # 李克强 → "li keqiang": plain pinyin, no transliteration fillers
            return " ".join(["".join(_zh_syllables(token[0])), "".join(_zh_syllables(token[1:]))])
        word = _zh_token_key(token)
        if _KANA_RE.search(token):
            # katakana: l and r are one sound; u/o added to close a consonant are not in the source name
            word = word.replace("r", "l")
            word = re.sub(r"(?<=[bcdfghjklmnpstvz])u(?=[bcdfghjklmnpstvz]|$)", "", word)
            word = re.sub(r"(?<=[td])o(?=[bcdfghjklmnpstvz]|$)", "", word)
        else:
            word = re.sub(r"x(?=[aeiouy])", "s", word)  # pinyin x is closer to s than to ks
        return word
    if script == "arabic":
        if token.startswith("ال") and len(token) >= 5 and token != "الله":
            token = token[2:]
        token = token.replace("ض", "ز")
        token = token[:1] + token[1:].translate(_ARABIC_VOWELS)
        return anyascii(token)
    if script == "hebrew":
        for old, new in _HEBREW_PRE:
            token = token.replace(old, new)
        if token[:1] in ("ב", "פ", "כ"):  # no dagesh written: word-initial b, p, k
            token = {"ב": "b", "פ": "p", "כ": "k"}[token[0]] + token[1:]
        if token.endswith("ה") and len(token) > 2:
            token = token[:-1]
        token = token[:1] + token[1:].translate(_HEBREW_VOWELS)
        return anyascii(token)
    if script == "greek":
        low = token.lower()
        for old, new in _GREEK_DIGRAPHS:
            if low.startswith(old):
                low = new + low[len(old):]
        low = low.replace("ντ", "nd").replace("μπ", "mb")
        return anyascii(low)
    if script == "cyrillic":
        token = token.replace("дж", "ј").replace("Дж", "Ј").replace("цз", "ј").replace("Цз", "Ј")
        return anyascii(token)
    word = anyascii(token)
    if _HANGUL_RE.search(token):
        word = re.sub(r"eu(?=[^aeiou]|$)", "", word.lower())  # the filler vowel ㅡ after a lone consonant
    elif script == "latin" and word[:1] in "xX" and word[1:2].lower() in "aeiou":
        word = "s" + word[1:]  # Xi, Xinhua: pinyin x
    return word


_ARABIC_SUFFIX_TOKENS = frozenset({"الله", "زاد", "الدين", "الرحمن"})


def _join_arabic_compounds(tokens: list[str]) -> list[str]:
    """ذبيح الله → ذبيح‌الله, خليل زاد → خليل‌زاد: one name in Latin (Zabihullah, Khalilzad)."""
    out: list[str] = []
    for t in tokens:
        if out and t in _ARABIC_SUFFIX_TOKENS and out[-1] not in ("عبد",):
            out[-1] = out[-1] + t
        else:
            out.append(t)
    return out


_ZH_SURNAMES = frozenset("李王张刘陈杨黄赵吴周徐孙朱胡郭何高林郑梁宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
                         "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段侯龙陶黎贺顾毛郝龚邵"
                         "万钱严覃武戴孔向汤习温胡朴文")


def _is_native_zh_name(token: str) -> bool:
    """A two- or three-character Chinese (or Korean, in hanja) personal name: a common surname
    followed by given-name characters that are not all transliteration characters (李克强, 金正恩;
    not 莫迪 Modi)."""
    if not 2 <= len(token) <= 3 or token[0] not in _ZH_SURNAMES or _KANA_RE.search(token):
        return False
    from storyline.analyse.entities import _ZH_TRANSLIT

    return not all(ch in _ZH_TRANSLIT for ch in token[1:])


def _drop_particles(tokens: list[str]) -> list[str]:
    out = [t for i, t in enumerate(tokens)
           if not ((t.casefold() in _PARTICLES_ANYWHERE and i < len(tokens) - 1)
                   or (t.casefold() in _PARTICLES_INNER and 0 < i < len(tokens) - 1))]
    return out or tokens


@functools.lru_cache(maxsize=65536)
def _token_keys(surface: str, language: str, keep_r: bool = False) -> tuple[str, ...]:
    text = unicodedata.normalize("NFC", surface)
    text, _ = strip_titles(text, language)
    keys: list[str] = []
    for token in _drop_particles(_join_arabic_compounds(_split_tokens(text))):
        script = script_of(token)
        if language in ("ru", "uk", "be") and script == "cyrillic" and token[:1].isupper():
            token = _ru_base(token)
        word = _script_word(token, script, language)
        for part in word.split():
            k = _latin_token_key(part, rhotic=keep_r or script in ("arabic", "hebrew", "other"))
            if k:
                keys.append(k)
    return tuple(keys)


@functools.lru_cache(maxsize=65536)
def name_key(surface: str, language: str = "") -> str:
    """The phonetic key of a name (tokens joined by a space). See the module docstring.

    >>> name_key("Dr. Zalmay Khalilzad", "en"), name_key("哈利勒扎德", "zh")
    ('salmi halilsad', 'halilsad')
    >>> name_key("Taliban", "en") == name_key("塔利班", "zh") == name_key("Талибан", "ru")
    True
    """
    return " ".join(_token_keys(surface, language))


def skeleton(key: str) -> str:
    """The consonant skeleton of a key (vowel classes removed), for abjad scripts.

    >>> skeleton("taliban"), skeleton(name_key("طالبان", "ar"))
    ('tlbn', 'tlbn')
    """
    return " ".join(t for t in (re.sub(r"[aiy]", "", tok) for tok in key.split()) if t)


# ---------------------------------------------------------------------------
# Similarity

def jaro_winkler(a: str, b: str, prefix_weight: float = 0.1) -> float:
    """Jaro-Winkler similarity in [0, 1].

    >>> round(jaro_winkler("martha", "marhta"), 3)
    0.961
    >>> jaro_winkler("", "abc")
    0.0
    """
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    ma = [False] * la
    mb = [False] * lb
    matches = 0
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not mb[j] and b[j] == ch:
                ma[i] = mb[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    t = 0
    j = 0
    for i in range(la):
        if ma[i]:
            while not mb[j]:
                j += 1
            if a[i] != b[j]:
                t += 1
            j += 1
    jaro = (matches / la + matches / lb + (matches - t / 2) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4]):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_weight * (1 - jaro)


_CHEAP = {frozenset(p) for p in ("ai", "lr", "bp", "dt", "gk", "fv", "fp", "sc", "jg", "mn")}


# Consonants an abjad (or kana, hangul) cannot tell apart: nearly free when comparing skeletons.
_ABJAD_SAME = {frozenset(p) for p in ("bp", "fv", "fp", "gk", "jg", "jk", "lr", "ds")}


def _weighted_edit(a: str, b: str, soft: str = "aiy", cap: float = float("inf")) -> float:
    """Levenshtein distance where vowel insertions, vowel-class swaps and near
    consonants (l/r, b/p, d/t …) cost 0.5: MT and transliteration change vowels
    far more often than consonants. Letters in ``soft`` cost 0.5 to insert or delete
    (vowel classes; for consonant skeletons also v, h and r, which abjads write as
    vowels or Latin keys drop). In skeleton mode (``soft`` is not the default)
    the consonants an abjad writes with one letter (b/p, f/v, g/k …) cost 0.25
    and the other near pairs 0.75. The result is exact when it is at most ``cap``; above
    that, any value above ``cap`` may come back (the rows are abandoned once every cell
    exceeds it)."""
    if a == b:
        return 0.0
    cost = _SUB_SKELETON if soft != "aiy" else _SUB_PLAIN  # (same results as a sub() per cell, ~2× faster)
    get = cost.get
    insert_b = [0.5 if cb in soft else 1.0 for cb in b]
    prev = [0.0]
    for c in insert_b:
        prev.append(prev[-1] + c)
    n = len(b)
    for ca in a:
        ia = 0.5 if ca in soft else 1.0
        subs = [0.0 if ca == cb else get(ca + cb, 1.0) for cb in b]
        left = prev[0] + ia
        cur = [left]
        for j in range(n):
            left += insert_b[j]
            up = prev[j + 1] + ia
            if up < left:
                left = up
            diag = prev[j] + subs[j]
            if diag < left:
                left = diag
            cur.append(left)
        prev = cur
        if cap < prev[-1] and cap < min(prev):  # costs are not negative: no later row goes lower
            return min(prev)
    return prev[-1]


def _sub_costs(skeleton_mode: bool) -> dict[str, float]:
    """Substitution costs of the near pairs, keyed by both orders ("lr", "rl"); other pairs cost 1."""
    out: dict[str, float] = {}
    for pair in _CHEAP | _ABJAD_SAME:
        x, y = sorted(pair)
        if skeleton_mode:
            c = 0.25 if pair in _ABJAD_SAME else (0.75 if pair in _CHEAP else 1.0)
        else:
            c = 0.5 if pair in _CHEAP else 1.0
        out[x + y] = out[y + x] = c
    return out


_SUB_PLAIN = _sub_costs(False)
_SUB_SKELETON = _sub_costs(True)


@functools.lru_cache(maxsize=262144)
def _token_similarity(a: str, b: str, soft: str = "aiy") -> float:
    """Similarity of two token keys in [0, 1]: edit-based, lifted a little by Jaro-Winkler."""
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # an initial: "Austin S. Miller"
        return 0.9 if a[:1] == b[:1] else 0.0
    if frozenset((a, b)) in _nickname_keys():
        return 0.95
    d = _weighted_edit(a, b, soft)
    edit = max(0.0, 1.0 - d / max(len(a), len(b), 1))
    return 0.9 * edit + 0.1 * jaro_winkler(a, b)


# Given names and their usual short forms (compared on keys, so Джо ~ Joe ~ Joseph).
_NICKNAMES = {
    "joe": "joseph", "mike": "michael", "bill": "william", "bob": "robert", "tony": "anthony", "jim": "james",
    "jimmy": "james", "tom": "thomas", "alex": "alexander", "dick": "richard", "rick": "richard", "dave": "david",
    "steve": "stephen", "ben": "benjamin", "bibi": "benjamin", "nick": "nicholas", "chris": "christopher",
    "ted": "edward", "liz": "elizabeth", "kate": "catherine", "sasha": "alexander", "pete": "peter",
    "andy": "andrew", "dan": "daniel", "sam": "samuel", "matt": "matthew", "jeff": "jeffrey", "ed": "edward",
    "isaac": "yitzhak", "abe": "abraham", "jack": "john", "hank": "henry", "larry": "lawrence",
}


@functools.lru_cache(maxsize=1)
def _nickname_keys() -> frozenset[frozenset[str]]:
    return frozenset(frozenset((_latin_token_key(a), _latin_token_key(b))) for a, b in _NICKNAMES.items())


def _is_abjad(language: str, surface: str) -> bool:
    return language in ABJAD_LANGUAGES or script_of(surface) in ("arabic", "hebrew")


@functools.lru_cache(maxsize=262144)
def name_similarity(a: str, la: str, b: str, lb: str) -> tuple[float, str]:
    """How likely two names denote the same entity, in [0, 1], with a short reason.

    Rules, in order:

    * identical after romanisation: 1.0 "same name";
    * equal keys: 0.95 "transliteration" across scripts, else 0.9 "same key";
      equal once spaces are ignored (哈利勒扎德 ~ "Khalil Zad", 김정은 ~ "Kim Jong Un"):
      0.85, or 0.82 when only near-equal, "same key (spacing)";
    * both are full names (≥ 2 tokens) and the first given name of the shorter
      one matches no given name of the longer one: at most 0.3 "given names
      differ" — Scott Miller is not Mark Milley even though the surnames are
      close, Joe ~ Joseph and other usual short forms count as a match;
    * both are full names and the surnames (last tokens) differ: at most 0.5
      "surnames differ" — Abdullah Abdullah is not Abdul Ghani Baradar;
    * every token of the shorter name matches a token of the longer one
      (keys ≥ 0.8 similar): 0.85 × token score, "token subset" — Khalilzad ⊂
      Zalmay Khalilzad; for a one-token name the *last* token of the longer
      name must be the match (a surname, not a given name);
    * two one-token names of at most 7 letters whose keys differ by a whole
      consonant: at most 0.75 "consonants differ" — Miller is not Milley,
      Hama is not Hamas (a vowel change or a dropped final vowel still
      matches: Mill ~ Milley);
    * otherwise a key similarity (weighted edit distance + Jaro-Winkler) with
      reason "edit distance N" or "similar spelling".

    An abjad side (Arabic, Persian, Urdu, Hebrew) is compared on consonant
    skeletons, where v and h count as half letters (they are often vowels
    there) and a skeleton of fewer than three letters never matches on
    spelling alone (ООН is not إيران).

    >>> name_similarity("Milley", "en", "米利", "zh")
    (0.95, 'transliteration')
    >>> name_similarity("Zalmai Khalilzad", "en", "Khalilzad", "en")[1]
    'token subset'
    >>> name_similarity("Scott Miller", "en", "Mark Milley", "en")
    (0.3, 'given names differ')
    >>> name_similarity("Miller", "en", "Milley", "en")
    (0.75, 'consonants differ')
    >>> name_similarity("Joe Biden", "en", "Joseph R. Biden", "en")[0] >= 0.8
    True
    """
    ra, rb = romanize(a, la), romanize(b, lb)
    if ra and ra == rb:
        return 1.0, "same name"
    ka, kb = list(_token_keys(a, la)), list(_token_keys(b, lb))
    if not ka or not kb:
        return 0.0, "no name"
    cross = script_of(a) != script_of(b)
    abjad = _is_abjad(la, a) or _is_abjad(lb, b)
    soft = "aiy"
    if abjad:
        # compare consonant skeletons; the other side keeps every r (Mark: mrk, like مارك)
        ka, kb = list(_token_keys(a, la, True)), list(_token_keys(b, lb, True))
        ka = [skeleton(k) or k for k in ka]
        kb = [skeleton(k) or k for k in kb]
        soft = "aiyvhr"  # r: a Latin key drops a non-rhotic r (Mark: mak) that the abjad writes (مارك: mrk)
        if min(len("".join(ka)), len("".join(kb))) < 3:
            sa, sb = (ka, kb) if len("".join(ka)) <= len("".join(kb)) else (kb, ka)
            if len("".join(sa)) >= 2 and "".join(sa) == "".join(sb):
                return 0.85, "short skeleton"
            if len("".join(sa)) >= 2 and len(sa) == 1 and sa[0] == sb[-1]:
                return 0.8, "short skeleton"
            return 0.3, "short skeleton"
    if ka == kb:
        return (0.95, "transliteration") if cross else (0.9, "same key")
    ja, jb = "".join(ka), "".join(kb)
    if len(ka) != len(kb) and ja == jb:  # 哈利勒扎德 vs "Khalil Zad"
        return 0.85, "same key (spacing)"
    # across scripts, spelling differences are transliteration noise: they weigh a quarter less
    lift = 0.75 if cross else 1.0

    def sim(x: str, y: str, soft_: str = soft) -> float:
        return 1.0 - lift * (1.0 - _token_similarity(x, y, soft_))

    short, long_ = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    if len(short) == 1 and len(long_) > 1 and len(short[0]) >= 6 and sim(ja, jb, soft) >= 0.9:
        return 0.82, "same key (spacing)"  # 김정은 (gimjangan) vs Kim Jong Un
    if len(short) >= 2:
        given = max(sim(short[0], t, soft) for t in long_[:-1])
        initials = len(short[0]) == 1 or any(len(t) == 1 for t in long_[:1])
        if given < 0.6 and not initials:  # initials are not conflicts
            return 0.3, "given names differ"
        if sim(short[-1], long_[-1], soft) < 0.7:
            return 0.5, "surnames differ"
    if len(short) < len(long_):
        if len(short) == 1:
            scores = [sim(short[0], long_[-1], soft)]
        else:
            scores = [max(sim(x, t, soft) for t in long_) for x in short]
        tok = min(scores)
        if tok >= 0.8:
            if len(short) == 1 and tok < 1.0 and _consonants_differ(short[0], long_[-1], soft):
                return 0.7, "consonants differ"
            return round(0.95 * tok, 3), "token subset"
    if len(short) == len(long_):
        sims = [sim(x, y) for x, y in zip(short, long_)]
        score = min(sims) if len(sims) > 1 else sims[0]
        if len(sims) > 1:
            score = 0.7 * min(sims) + 0.3 * (sum(sims) / len(sims))
        elif _consonants_differ(short[0], long_[0], soft):
            return round(min(score, 0.75), 3), "consonants differ"
    else:
        score = sim(" ".join(ka), " ".join(kb)) * 0.8
    d = _weighted_edit(" ".join(ka), " ".join(kb), soft, cap=2.0)  # only "≤ 2, and how much" is used
    reason = f"edit distance {d:g}" if d <= 2 else "similar spelling"
    return round(min(score, 0.89), 3), reason


@functools.lru_cache(maxsize=262144)
def name_similarity_below(a: str, la: str, b: str, lb: str, threshold: float) -> bool:
    """True when :func:`name_similarity` of the two names is provably below ``threshold``
    (≥ 0.8), found without computing it: a cheap filter for grouping many names.

    False means "maybe not below": call :func:`name_similarity`. The proof follows the
    rules of :func:`name_similarity` for names outside abjad scripts (those are never
    filtered), rule by rule: names of as many tokens need every aligned token pair
    similar enough for the weighted mean; a shorter name needs its tokens (its surname,
    for one token) in the longer one, or the joined keys near-equal. Each token
    similarity is bounded above through a lower bound on the weighted edit distance
    (half the letters one key has in excess of the other, as a multiset: each costs
    at least 0.5 to delete or substitute).

    >>> name_similarity_below("Polizei", "de", "Werkstatt", "de", 0.8)
    True
    >>> name_similarity_below("Milley", "en", "Millie", "en", 0.8)
    False
    """
    if threshold < 0.8 or _is_abjad(la, a) or _is_abjad(lb, b):
        return False
    ra, rb = romanize(a, la), romanize(b, lb)
    if ra and ra == rb:
        return False
    ka, kb = _token_keys(a, la), _token_keys(b, lb)
    if not ka or not kb:
        return True  # 0.0 "no name"
    if ka == kb or "".join(ka) == "".join(kb):
        return False
    lift = 0.75 if script_of(a) != script_of(b) else 1.0
    t = threshold - 1e-3  # scores are rounded to three decimals

    def sim_upper(x: str, y: str) -> float:
        return 1.0 - lift * (1.0 - _token_similarity_upper(x, y))

    short, long_ = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    if len(short) == len(long_):
        # one token: the score is the token similarity; more: 0.7 · min + 0.3 · mean ≥ t needs every pair ≥ (t − 0.3) / 0.7
        need = t if len(short) == 1 else (t - 0.3) / 0.7
        return any(sim_upper(x, y) < need for x, y in zip(short, long_))
    if len(short) == 1:
        if t <= 0.82 and len(short[0]) >= 6 and sim_upper("".join(ka), "".join(kb)) >= 0.9 - 1e-3:
            return False  # "same key (spacing)", 0.82
        if sim_upper(short[0], long_[-1]) >= t / 0.95:  # "token subset" scores 0.95 · the surname's similarity
            return False
    elif sim_upper(short[-1], long_[-1]) >= 0.7 - 1e-3 and all(
        max(sim_upper(x, y) for y in long_) >= t / 0.95 for x in short
    ):
        return False  # surnames agree and every token of the shorter name is in the longer one
    return 0.8 * sim_upper(" ".join(ka), " ".join(kb)) < t  # the fallback scores 0.8 · the whole key's similarity


def _token_similarity_upper(a: str, b: str) -> float:
    """An upper bound on ``_token_similarity(a, b)`` (plain keys, not skeletons).

    A letter of the longer key that the other cannot pair with an equal letter costs
    at least 0.5 (insertion, deletion, near substitution), and Jaro-Winkler is at most 1.
    """
    if a == b or len(a) == 1 or len(b) == 1 or (a in _nickname_tokens() and b in _nickname_tokens()):
        return _token_similarity(a, b)
    ca, cb = _letter_counts(a), _letter_counts(b)
    if len(cb) < len(ca):
        ca, cb = cb, ca
    common = 0
    for ch, n in ca.items():
        m = cb.get(ch)
        if m:
            common += n if n < m else m
    longest = len(a) if len(a) > len(b) else len(b)
    return 0.9 * (1.0 - 0.5 * (longest - common) / longest) + 0.1


@functools.lru_cache(maxsize=1)
def _nickname_tokens() -> frozenset[str]:
    return frozenset(k for pair in _nickname_keys() for k in pair)


@functools.lru_cache(maxsize=65536)
def _letter_counts(key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for ch in key:
        out[ch] = out.get(ch, 0) + 1
    return out


_NEAR = str.maketrans("lptkvjnaiy", "rbdgfgm   ")
_NEAR_ABJAD = str.maketrans("lpkvjaiyhv", "rbgfg     ")


def _consonants_differ(a: str, b: str, soft: str) -> bool:
    """Short one-token keys whose consonants differ by more than near pairs
    (Miller/Milley, Hamas/Hama; not Guterres/古特雷斯, where only l/r differ)."""
    if max(len(a), len(b)) > 7:
        return False
    table = _NEAR if soft == "aiy" else _NEAR_ABJAD  # an abjad writes d and t apart: بوتين is not بايدن
    return a.translate(table).replace(" ", "") != b.translate(table).replace(" ", "")
