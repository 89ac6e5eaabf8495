"""Numbers an article gives, with what they count, comparable across languages.

:func:`extract_numbers` reads "2,500 troops", "4,500 US troops", "2.5 million
people", "$40 billion", "the 17-year war", "2.500 Soldaten", "4 500 soldats",
"2 500 военных", "2500名美军", "2.5万", "两千五百", "40亿美元" and "٢٥٠٠ جندي".
It skips years ("in 2018"), dates, clock times, phone numbers and ordinals.

Units
-----
``unit`` is the noun the number counts, lowercased with a light plural strip
("tanks" → "tank"). Common news quantities are mapped to one canonical unit
whatever the language, so numbers align across languages:

==========  ==================================================================
troops      troops, soldiers, Soldaten, soldats, soldados, военных, żołnierzy, asker, 士兵, 美军, جندي
people      people, Menschen, personnes, personas, человек, osób, kişi, 人, 名, شخص
dead        dead, killed, Tote, morts, muertos, погибших, ölü, 死亡, قتيل
injured     injured, wounded, Verletzte, blessés, heridos, раненых, 受伤, جريح
prisoners   prisoners, detainees, Gefangene, prisonniers, пленных, 囚犯, أسير
usd eur gbp $, dollars, Dollar, dólares, долларов, 美元, دولار; €, euros, 欧元; £
percent     %, per cent, Prozent, pour cent, por ciento, процентов, yüzde, 百分之, بالمئة
year        years, Jahre, ans, años, лет, yıl, 年, عام ("17-year war" → 17 year)
km          km, kilometres, Kilometer, километров, 公里, كيلومتر
==========  ==================================================================

>>> [(n.value, n.unit) for n in extract_numbers("Some 4,500 US troops and $40 billion; the 17-year war began in 2001.", "en")]
[(4500.0, 'troops'), (40000000000.0, 'usd'), (17.0, 'year')]
>>> [(n.value, n.unit) for n in extract_numbers("美国将把驻军从4500名减至2500名美军，耗资40亿美元。", "zh")]
[(4500.0, 'people'), (2500.0, 'troops'), (4000000000.0, 'usd')]
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from storyline.analyse.dates import _EXPLICIT_KINDS, _candidates, normalise_digits
from storyline.types import NumberMention

__all__ = ["extract_numbers", "compare_numbers", "canonical_unit", "parse_chinese_number"]

# --------------------------------------------------------------------------- language data

_DOT_DECIMAL = {"en", "zh", "ja", "ar", "ko", "he", "fa", "xx"}  # "2.5" is two and a half; "2,500" is 2500
_SPACE_GROUPS = {"fr", "pl", "ru", "uk", "cs", "sk", "sv", "no", "fi", "et", "lt", "lv", "bg", "hu", "pt"}

_SCALES: dict[str, dict[str, float]] = {
    "en": {"thousand": 1e3, "thousands": 1e3, "million": 1e6, "millions": 1e6, "mln": 1e6, "mn": 1e6,
           "billion": 1e9, "billions": 1e9, "bn": 1e9, "trillion": 1e12, "tn": 1e12, "crore": 1e7, "lakh": 1e5},
    "de": {"tausend": 1e3, "million": 1e6, "millionen": 1e6, "mio": 1e6, "mio.": 1e6, "milliarde": 1e9,
           "milliarden": 1e9, "mrd": 1e9, "mrd.": 1e9, "billion": 1e12, "billionen": 1e12},
    "fr": {"mille": 1e3, "million": 1e6, "millions": 1e6, "milliard": 1e9, "milliards": 1e9, "md": 1e9, "mds": 1e9},
    "es": {"mil": 1e3, "millón": 1e6, "millon": 1e6, "millones": 1e6, "billón": 1e12, "billones": 1e12},
    "it": {"mila": 1e3, "mille": 1e3, "milione": 1e6, "milioni": 1e6, "mln": 1e6, "miliardo": 1e9, "miliardi": 1e9, "mld": 1e9},
    "pl": {"tys.": 1e3, "tys": 1e3, "tysiąc": 1e3, "tysiące": 1e3, "tysięcy": 1e3, "mln": 1e6, "milion": 1e6,
           "miliony": 1e6, "milionów": 1e6, "mld": 1e9, "miliard": 1e9, "miliardy": 1e9, "miliardów": 1e9},
    "tr": {"bin": 1e3, "milyon": 1e6, "milyar": 1e9, "trilyon": 1e12},
    "ru": {"тыс.": 1e3, "тыс": 1e3, "тысяча": 1e3, "тысячи": 1e3, "тысяч": 1e3, "млн": 1e6, "миллион": 1e6,
           "миллиона": 1e6, "миллионов": 1e6, "млрд": 1e9, "миллиард": 1e9, "миллиарда": 1e9, "миллиардов": 1e9,
           "трлн": 1e12},
    "ar": {"ألف": 1e3, "آلاف": 1e3, "الف": 1e3, "مليون": 1e6, "ملايين": 1e6, "مليار": 1e9, "مليارات": 1e9, "بليون": 1e9},
}
_ATTACHED_SCALES = {"bn": 1e9, "mn": 1e6, "m": 1e6, "k": 1e3, "tn": 1e12}  # "$40bn", "$10m" (with a currency)
_ZH_SCALES = {"百万": 1e6, "千万": 1e7, "万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "億": 1e8}

# Canonical units: forms are lowercase; a trailing "*" matches any word starting with that stem.
_CANON: dict[str, str] = {
    "troops": "troops troop soldiers soldier servicemen servicemembers marines strong troopers "
    "soldaten soldat soldatinnen truppen bundeswehrsoldaten us-soldaten "
    "soldats soldat militaires soldados soldado tropas efectivos militares soldati soldato militari truppe "
    "żołnierzy żołnierze żołnierz wojskowych asker askeri askerin askerimiz "
    "военных военнослужащих военнослужащие военные солдат солдаты военнослужащий бойцов "
    "جندي جنود جنديا عسكري عسكريين عسكريا "
    "士兵 美军 军人 部队 官兵 驻军 兵力 名美军 美国士兵 兵士 米兵",
    "people": "people persons person residents civilians menschen personen leute zivilisten einwohner "
    "personnes civils habitants personas civiles habitantes persone civili abitanti "
    "osób osoby ludzi cywilów mieszkańców kişi insan sivil человек людей жителей мирных "
    "شخص أشخاص اشخاص شخصا مدني مدنيين مدنيا "
    "人 名 位 民众 平民 居民",
    "dead": "dead killed deaths fatalities died tote toten todesopfer getötete getöteten morts mort tués décès "
    "muertos muertes fallecidos morti vittime zabitych ofiar zmarłych ölü öldü погибших погибли убитых жертв погибло "
    "قتيل قتلى قتيلا وفاة "
    "死亡 遇难 丧生 人死亡 死者",
    "injured": "injured wounded verletzte verletzten verwundete blessés blessé heridos feriti rannych yaralı "
    "раненых ранены пострадавших جريح جرحى مصاب مصابين 受伤 伤者 人受伤 負傷",
    "prisoners": "prisoners prisoner detainees captives hostages gefangene gefangenen häftlinge geiseln "
    "prisonniers détenus otages prisioneros presos rehenes prigionieri detenuti ostaggi więźniów jeńców "
    "esir mahkum tutuklu rehin пленных заключенных заключённых заложников "
    "أسير أسرى أسيرا سجين سجناء معتقل معتقلين رهينة رهائن 囚犯 战俘 被关押者 俘虏 人质 在押人员",
    "usd": "$ us$ usd dollars dollar us-dollar us-dollars dólares dólar dollari dollaro dolarów dolary dolar doları "
    "долларов доллара доллар دولار دولارا دولارات 美元 美金 ドル",
    "eur": "€ eur euro euros avro евро يورو 欧元 ユーロ",
    "gbp": "£ gbp pounds sterling pfund livres libras 英镑",
    "percent": "% ٪ percent per-cent prozent procent proc proc. procentów procenta yüzde процентов процента процент "
    "بالمئة بالمائة 百分之 pourcent",
    "year": "year years yr yrs jahre jahren jahr jährig* jährige* ans an années année años año anni anno "
    "lat lata latach roku rok yıl yıllık лет года год летн* عام أعوام سنة سنوات 年",
    "day": "day days tage tagen tägig* tägige* jours jour días día giorni giorno dni dzień gün günlük дней дня день "
    "يوما أيام يوم 天",
    "km": "km kilometres kilometers kilometre kilometer kilometern kilomètres kilómetros chilometri kilometrów "
    "kilometre километров километра км كيلومتر كيلومترات كلم 公里 千米",
}
_CANON_PHRASES: dict[str, str] = {
    "per cent": "percent", "pour cent": "percent", "por ciento": "percent", "per cento": "percent",
    "في المئة": "percent", "في المائة": "percent", "service members": "troops", "us troops": "troops",
}
_CANON_MAP: dict[str, str] = {}
_CANON_STEMS: list[tuple[str, str]] = []
for _canon, _forms in _CANON.items():
    for _f in _forms.split():
        if _f.endswith("*"):
            _CANON_STEMS.append((_f[:-1], _canon))
        else:
            _CANON_MAP.setdefault(_f, _canon)
_CANON_PREFIX_STEMS: tuple[tuple[str, str], ...] = (
    # inflected stems (ru/pl/tr/ar) checked with startswith
    ("военнослужащ", "troops"), ("военн", "troops"), ("солдат", "troops"), ("żołnierz", "troops"), ("asker", "troops"),
    ("погибш", "dead"), ("убит", "dead"), ("ранен", "injured"), ("пленн", "prisoners"), ("заключ", "prisoners"),
    ("доллар", "usd"), ("dolar", "usd"), ("avro", "eur"), ("дневн", "day"), ("суточн", "day"), ("процент", "percent"), ("километр", "km"), ("kilomet", "km"),
)
_ZH_UNITS = sorted(
    (f for forms in _CANON.values() for f in forms.split() if re.match(r"^[\u3040-\u30ff\u4e00-\u9fff]+$", f)),
    key=len,
    reverse=True,
)
_ZH_MEASURES = "名位架辆艘枚座次项户家所起个人頭头台件"

_SKIP: dict[str, set[str]] = {
    "en": {"of", "more", "additional", "extra", "new", "other", "some", "about", "around", "nearly", "us", "u.s.",
           "american", "foreign", "international", "more", "fresh", "armed", "active-duty", "active", "military",
           "nato", "allied", "government", "rebel", "afghan", "british", "french", "russian", "german", "chinese",
           "elite", "regular", "reserve", "combat", "local", "innocent", "unarmed", "further", "newly"},
    "de": {"weitere", "weiteren", "neue", "neuen", "zusätzliche", "zusätzlichen", "rund", "etwa", "us", "amerikanische",
           "amerikanischen", "ausländische", "ausländischen", "deutsche", "deutschen", "internationale", "mehr"},
    "fr": {"de", "d'", "d’", "nouveaux", "autres", "environ", "plus", "des", "supplémentaires"},
    "es": {"de", "nuevos", "otros", "unos", "más", "del"},
    "it": {"di", "nuovi", "altri", "circa", "più", "dei", "degli"},
    "pl": {"nowych", "kolejnych", "ponad", "około", "amerykańskich", "dodatkowych", "innych"},
    "tr": {"yeni", "daha", "abd", "amerikan", "ek"},
    "ru": {"новых", "других", "американских", "иностранных", "дополнительных", "около", "более", "из"},
    "ar": {"من", "ألف", "أمريكي", "امريكي", "أميركي", "آخرين", "إضافي", "إضافيين"},
}
_STOP: dict[str, set[str]] = {
    "en": {"the", "a", "an", "in", "on", "at", "to", "and", "or", "were", "was", "are", "is", "have", "has", "had",
           "from", "with", "for", "by", "who", "that", "which", "per", "as", "after", "before", "into", "than", "be",
           "will", "would", "could", "said", "says", "but", "over", "under", "out", "up", "this", "it", "its",
           "they", "he", "she", "we", "not", "also", "between", "against", "while", "during", "since", "until",
           "times", "so", "there", "here", "all", "each", "when", "if", "then", "am", "pm", "last", "next", "ago",
           "earlier", "later", "more", "less", "fewer", "because", "now", "had", "been", "being", "where", "what"},
    "de": {"der", "die", "das", "den", "dem", "des", "und", "oder", "in", "im", "am", "an", "auf", "zu", "mit", "von",
           "vom", "für", "bei", "aus", "nach", "ist", "sind", "war", "waren", "hat", "haben", "wird", "werden", "sei",
           "seien", "als", "wie", "bis", "um", "ein", "eine", "einen", "sich", "es", "sie", "er", "auch", "uhr"},
    "fr": {"le", "la", "les", "l", "et", "ou", "en", "à", "au", "aux", "dans", "sur", "pour", "par", "avec", "sont",
           "est", "ont", "a", "qui", "que", "se", "ne", "il", "elle", "ils", "un", "une", "heures"},
    "es": {"el", "la", "los", "las", "y", "o", "en", "a", "al", "con", "por", "para", "son", "es", "han", "ha", "que",
           "se", "un", "una", "fueron", "horas"},
    "it": {"il", "lo", "la", "i", "gli", "le", "e", "o", "in", "a", "al", "con", "per", "su", "sono", "è", "hanno",
           "ha", "che", "si", "un", "una", "ore"},
    "pl": {"i", "w", "we", "na", "z", "do", "od", "o", "po", "się", "jest", "są", "to", "że", "a", "oraz", "lub"},
    "tr": {"ve", "ile", "bir", "bu", "de", "da", "için", "olarak", "gibi", "kadar", "ise"},
    "ru": {"и", "в", "во", "на", "с", "со", "к", "по", "из", "до", "за", "от", "что", "это", "а", "но", "как", "не", "для",
           "был", "была", "было", "были", "будет", "будут", "стал", "стали", "уже", "ещё", "еще"},
    "ar": {"في", "على", "إلى", "الى", "عن", "و", "أو", "مع", "التي", "الذي", "قد", "كان", "كانت"},
}

# --------------------------------------------------------------------------- patterns

_LB = r"(?<![0-9A-Za-z\u00C0-\u024F\u0370-\u04FF.,_])(?<![A-Za-z\u00C0-\u024F\u0400-\u04FF][-‐])(?<!\d[:/])"


def _number_pattern(language: str) -> re.Pattern[str]:
    seps = r",.\u00a0\u202f\u2009'’" + (" " if language in _SPACE_GROUPS else "")
    return re.compile(
        rf"{_LB}(?P<num>\d{{1,3}}(?P<g>[{seps}])\d{{3}}(?:(?P=g)\d{{3}})*(?:[.,]\d+)?(?![\d])|\d+(?:[.,]\d+)?)"
    )


_NUM_PATTERNS: dict[str, re.Pattern[str]] = {}
_PHONE = re.compile(
    r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}|\(\d{2,5}\)\s?\d{3,4}[\s.-]?\d{3,4}|\b\d{3}-\d{3}-\d{4}\b"
)
_TIME_AFTER = re.compile(
    r"(?::[0-5]\d)|\s*(?:a\.m\.|p\.m\.|am\b|pm\b|Uhr\b|h[0-5]\d|h\b|GMT\b|UTC\b|时|時|点|ч\.)", re.IGNORECASE
)
_ORDINAL_AFTER = re.compile(r"(?:st|nd|rd|th|er|ère|e|ème|eme|º|ª|°(?![CF])|-?[йяеогму]{1,2}|inci|ıncı|üncü|uncu)\b")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’.][^\W\d_]+)*\.?|[%٪$€£]")
_ZH_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}


def parse_chinese_number(s: str) -> float | None:
    """Value of a simple Chinese numeral; ``None`` when it is not one.

    >>> parse_chinese_number("两千五百"), parse_chinese_number("四十"), parse_chinese_number("三万五千"), parse_chinese_number("十二亿")
    (2500.0, 40.0, 35000.0, 1200000000.0)
    """
    if not s or any(ch not in _ZH_DIGIT and ch not in _ZH_UNIT and ch not in "万亿" for ch in s):
        return None
    total = 0.0
    for big, mult in (("亿", 1e8), ("万", 1e4)):
        if big in s:
            head, _, s = s.partition(big)
            v = _small_zh(head) if head else 1.0
            if v is None:
                return None
            total += v * mult
    rest = _small_zh(s) if s else 0.0
    if rest is None:
        return None
    return total + rest


def _small_zh(s: str) -> float | None:
    if all(ch in _ZH_DIGIT for ch in s) and len(s) > 1:  # 二〇二〇 digit by digit
        return float("".join(str(_ZH_DIGIT[ch]) for ch in s))
    total, digit = 0, None
    for ch in s:
        if ch in _ZH_DIGIT:
            digit = _ZH_DIGIT[ch]
        elif ch in _ZH_UNIT:
            total += (digit if digit is not None else 1) * _ZH_UNIT[ch]
            digit = None
        else:
            return None
    return float(total + (digit or 0))


def canonical_unit(word: str, language: str = "en") -> str:
    """The unit ``word`` names: canonical when it is a common news quantity, else lowercased with a light plural strip.

    >>> [canonical_unit(w, l) for w, l in [("Soldaten", "de"), ("военных", "ru"), ("美军", "zh"), ("tanks", "en"), ("casualties", "en")]]
    ['troops', 'troops', 'troops', 'tank', 'casualty']
    """
    w = word.lower().strip(".")
    if not w:
        return ""
    c = _lookup(w, language)
    if c:
        return c
    return _plural_strip(w, language)


def _lookup(w: str, language: str) -> str:
    c = _CANON_MAP.get(w)
    if c:
        return c
    if "-" in w:  # US-Soldaten, 17-year-old
        for part in w.split("-"):
            c = _CANON_MAP.get(part)
            if c:
                return c
    if language == "ar":
        for prefix in ("وبال", "وال", "بال", "لل", "ال", "و", "ب"):
            if w.startswith(prefix) and len(w) - len(prefix) >= 3:
                c = _CANON_MAP.get(w[len(prefix) :]) or _CANON_MAP.get(w[len(prefix) :].rstrip("اً"))
                if c:
                    return c
        c = _CANON_MAP.get(w.rstrip("اً"))
        if c:
            return c
    for stem, canon in _CANON_STEMS:
        if w.startswith(stem):
            return canon
    if language in ("ru", "pl", "tr", "uk"):
        for stem, canon in _CANON_PREFIX_STEMS:
            if w.startswith(stem):
                return canon
    return ""


def _plural_strip(w: str, language: str) -> str:
    if language == "en" and len(w) > 3:
        if w.endswith("ies"):
            return w[:-3] + "y"
        if w.endswith(("ches", "shes", "sses", "xes")):
            return w[:-2]
        if w.endswith("s") and not w.endswith(("ss", "us", "is")):
            return w[:-1]
    if language in ("fr", "es", "pt") and len(w) > 3 and w.endswith(("s", "x")):
        return w[:-1]
    return w


# --------------------------------------------------------------------------- extraction


def extract_numbers(text: str, language: str) -> list[NumberMention]:
    """Numbers in ``text`` with what they count, in text order.

    >>> [(n.text, n.value, n.unit) for n in extract_numbers("Am 3. März kamen 2.500 Soldaten, 2,5 Millionen Menschen flohen.", "de")]
    [('2.500 Soldaten', 2500.0, 'troops'), ('2,5 Millionen Menschen', 2500000.0, 'people')]
    >>> [(n.value, n.unit) for n in extract_numbers("Call +1 202 555 0143 at 10:30; 4 500 soldats et 12 % des voix.", "fr")]
    [(4500.0, 'troops'), (12.0, 'percent')]
    >>> [(n.value, n.unit) for n in extract_numbers("وصل ٢٥٠٠ جندي و١٢ قتيلا", "ar")]
    [(2500.0, 'troops'), (12.0, 'dead')]
    """
    if not text:
        return []
    norm = normalise_digits(text)
    lang = language if language in _SCALES or language in ("zh", "ja") else ("en" if language == "xx" else language)
    masked = bytearray(len(norm) + 1)
    for s, e in _date_and_phone_spans(norm, lang):
        masked[s:e] = b"\x01" * (e - s)
    out: list[NumberMention] = []
    if lang in ("zh", "ja"):
        out.extend(_extract_zh(text, norm, masked, lang))
    pat = _NUM_PATTERNS.get(lang)
    if pat is None:
        pat = _NUM_PATTERNS[lang] = _number_pattern(lang)
    for m in pat.finditer(norm):
        s, e = m.start("num"), m.end("num")
        if masked[s] or masked[e - 1]:
            continue
        mention = _read_number(text, norm, m, lang)
        if mention is not None and not masked[mention.start]:
            out.append(mention)
    out.sort(key=lambda n: n.start)
    return out


def _date_and_phone_spans(norm: str, lang: str) -> list[tuple[int, int]]:
    spans = [(c.start, c.end) for c in _candidates(norm, lang, _EXPLICIT_KINDS)]
    if "+" in norm or "(" in norm or "-" in norm:
        spans.extend((m.start(), m.end()) for m in _PHONE.finditer(norm))
    return spans


def _parse_value(raw: str, lang: str) -> float | None:
    token = raw
    for sp in ("\u00a0", "\u202f", "\u2009", " ", "'", "’"):
        token = token.replace(sp, "")
    n_comma, n_dot = token.count(","), token.count(".")
    if n_comma and n_dot:
        dec = "," if token.rfind(",") > token.rfind(".") else "."
        token = token.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif n_comma > 1 or n_dot > 1:
        token = token.replace(",", "").replace(".", "")
    elif n_comma == 1 or n_dot == 1:
        sep = "," if n_comma else "."
        head, _, tail = token.partition(sep)
        thousands = len(tail) == 3 and not (sep == "." and lang in _DOT_DECIMAL) and head != "0"
        token = head + tail if thousands else head + "." + tail
    try:
        return float(token)
    except ValueError:
        return None


def _read_number(text: str, norm: str, m: re.Match[str], lang: str) -> NumberMention | None:
    raw = m.group("num")
    s, e = m.start("num"), m.end("num")
    if s >= 1 and norm[s - 1] == "第":
        return None
    after = norm[e : e + 12]
    if _TIME_AFTER.match(after):
        return None
    if s >= 1 and norm[s - 1] == ":":
        return None
    if _ORDINAL_AFTER.match(after) and lang != "zh":
        return None
    if lang in ("de", "pl", "tr", "cs", "sk", "da", "no", "fi") and after[:1] == "." and re.match(r"\.\s+[^\W\d_]", after):
        if "," not in raw and "." not in raw and len(raw) <= 2:
            return None  # "die 3. Runde": ordinal
    if raw.isdigit() and len(raw) >= 9:
        return None  # ids and timestamps ("1710187200000"), not counts
    value = _parse_value(raw, lang)
    if value is None:
        return None
    start, end = s, e
    unit = ""
    # currency or percent before the number
    before = norm[max(0, s - 7) : s]
    pre = re.search(r"(US\$|\$|€|£|USD\s?|EUR\s?|GBP\s?|%|yüzde\s)$", before, re.IGNORECASE)
    if pre:
        sym = pre.group(1).strip().lower()
        unit = {"us$": "usd", "$": "usd", "€": "eur", "£": "gbp", "usd": "usd", "eur": "eur", "gbp": "gbp", "%": "percent", "yüzde": "percent"}[sym]
        start = s - len(pre.group(1))
    pos = e
    # attached suffix: %, bn, m, km, or a letter that makes it a code ("5G", "F16")
    if pos < len(norm) and norm[pos] in "%٪":
        return NumberMention(text[start : pos + 1], value, "percent", start)
    att = re.match(r"(bn|mn|tn|m|k|km|kg)\b", norm[pos : pos + 3])
    if att:
        suf = att.group(1)
        if suf in ("km", "kg"):
            return NumberMention(text[start : pos + len(suf)], value, suf, start)
        if suf == "m" and not unit:
            return None  # "10m": metres or millions, unclear
        value *= _ATTACHED_SCALES[suf]
        pos += len(suf)
    elif pos < len(norm) and (norm[pos].isalpha() and norm[pos].isascii()):
        return None
    # scale words ("2.5 million", "40 mil millones")
    scales = _SCALES.get(lang, {})
    for _ in range(2):
        w = _WORD.match(norm, _skip_space(norm, pos))
        if not w:
            break
        word = w.group(0).lower()
        mult = scales.get(word)
        end = w.end()
        if mult is None and word.endswith("."):
            mult = scales.get(word[:-1])
            end -= 1
        if mult is None and lang != "en":
            mult = _SCALES["en"].get(word) if word in ("million", "billion", "bn", "mln") else None
        if mult is None:
            break
        value *= mult
        pos = end
    # hyphenated unit: "17-year", "2,500-strong"
    if pos < len(norm) and norm[pos] in "-‐" and not unit:
        w = _WORD.match(norm, pos + 1)
        if w:
            hy = w.group(0).split("-")[0].lower()
            u = canonical_unit(hy, lang)
            return _finish(text, norm, start, w.start() + len(hy), value, u, raw)
    # unit words after the number
    found_unit, unit_end = _unit_after(norm, pos, lang)
    if found_unit and (not unit or found_unit in ("usd", "eur", "gbp", "percent")):
        if unit in ("usd", "eur", "gbp") and found_unit not in ("usd", "eur", "gbp", "percent"):
            pass  # "$40 billion aid": the currency is the unit
        else:
            unit, pos = found_unit, unit_end
    return _finish(text, norm, start, pos, value, unit, raw)


def _finish(text: str, norm: str, start: int, end: int, value: float, unit: str, raw: str) -> NumberMention | None:
    if _is_year(raw, value) and unit not in _COUNT_UNITS:
        return None
    return NumberMention(text[start:end].strip(), value, unit, start)


_COUNT_UNITS = {"troops", "people", "dead", "injured", "prisoners", "usd", "eur", "gbp", "percent", "km"}


def _is_year(raw: str, value: float) -> bool:
    return raw.isdigit() and len(raw) == 4 and 1900 <= value <= 2100


def _skip_space(norm: str, pos: int) -> int:
    while pos < len(norm) and norm[pos] in " \u00a0\u202f\u2009\t":
        pos += 1
    return pos


def _unit_after(norm: str, pos: int, lang: str) -> tuple[str, int]:
    """(unit, end position) of the noun after the number, looking past a few adjectives."""
    skip = _SKIP.get(lang, set())
    stop = _STOP.get(lang, set())
    words: list[re.Match[str]] = []
    p = pos
    for _ in range(4):
        q = _skip_space(norm, p)
        if q >= len(norm) or (q == p and p != pos and norm[p : p + 1] not in "%٪$€£"):
            break
        if norm[q] in "\n\r":
            break
        w = _WORD.match(norm, q)
        if not w:
            break
        words.append(w)
        p = w.end()
    if not words:
        return "", pos
    # two-word phrases first ("per cent", "في المئة")
    if len(words) >= 2:
        phrase = (words[0].group(0) + " " + words[1].group(0)).lower().rstrip(".")
        if phrase in _CANON_PHRASES:
            return _CANON_PHRASES[phrase], _word_end(words[1], phrase)
    first_free: re.Match[str] | None = None
    for i, w in enumerate(words[:3]):
        low = w.group(0).lower().rstrip(".")
        if low in stop:
            break
        c = _lookup(low, lang)
        if c:
            return c, _word_end(w, low)
        is_skippable = low in skip or (lang in ("en", "fr", "es", "it", "pl", "ru", "tr") and w.group(0)[:1].isupper() and i + 1 < len(words))
        if first_free is None and not is_skippable:
            first_free = w
            break
    if first_free is not None:
        low = first_free.group(0).lower().rstrip(".")
        if low in stop or low in skip or len(low) < 2:
            return "", pos
        if lang == "de" and not first_free.group(0)[:1].isupper():
            return "", pos  # German nouns are capitalised; "2,5 Millionen wurden" counts no "wurden"
        return _plural_strip(low, lang), _word_end(first_free, low)
    return "", pos


def _word_end(w: re.Match[str], low: str) -> int:
    """End of a unit word, leaving out a sentence-final full stop (but not an abbreviation's: "proc.", "Mio.")."""
    if w.group(0).endswith(".") and w.group(0).lower() not in _CANON_MAP and not any(w.group(0).lower() in sc for sc in _SCALES.values()):
        return w.end() - 1
    return w.end()


def _extract_zh(text: str, norm: str, masked: bytearray, lang: str) -> list[NumberMention]:
    out: list[NumberMention] = []
    # Arabic-digit numbers followed by Chinese scale/unit, and Chinese numerals
    for m in re.finditer(r"(?<![0-9.,])(?P<num>\d+(?:[.,]\d+)*)|(?P<pct>百分之)?(?P<zh>[零〇一二两三四五六七八九十百千万亿]+)", norm):
        s = m.start()
        if masked[s]:
            continue
        if m.group("num") is not None:
            raw = m.group("num")
            e = m.end()
            after = norm[e : e + 2]
            if s >= 1 and norm[s - 1] == "第":
                continue
            if not re.match(r"(?:\s*(?:万亿|亿|万|千万|百万|千|名|位|人|个|架|辆|艘|枚|座|次|项|户|家|所|起|年|岁|多|余|%|％|美元|欧元|元|公里|吨|天|周|月|倍))", after):
                continue  # ASCII digits with nothing Chinese after: left to the general pass
            value = _parse_value(raw, lang)
            if value is None:
                continue
        else:
            zh = m.group("zh")
            pct = bool(m.group("pct"))
            if s >= 1 and norm[s - 1] in "第周星期礼拜":
                continue
            value = parse_chinese_number(zh)
            e = m.end()
            nxt = norm[e : e + 1]
            if value is None:
                continue
            if not pct:
                if len(zh) == 1 and nxt not in "名位架艘辆枚":
                    continue
                if len(zh) > 1 and not any(ch in zh for ch in "十百千万亿") and nxt not in _ZH_MEASURES:
                    continue
                if zh in ("万一", "一一", "千万", "万万", "一万") and nxt not in _ZH_MEASURES:
                    continue
            if pct:
                out.append(NumberMention(text[s:e], value, "percent", s))
                continue
            raw = zh
        # scale after digits: 2.5万, 40亿
        pos = e
        for key in sorted(_ZH_SCALES, key=len, reverse=True):
            if norm.startswith(key, pos) and m.group("num") is not None:
                value *= _ZH_SCALES[key]
                pos += len(key)
                break
        pos2 = pos
        while pos2 < len(norm) and norm[pos2] in "多余":  # 2500多名: "more than"
            pos2 += 1
        unit = ""
        if norm[pos2 : pos2 + 1] in ("%", "％"):
            out.append(NumberMention(text[s : pos2 + 1], value, "percent", s))
            continue
        measure = norm[pos2 : pos2 + 1] if norm[pos2 : pos2 + 1] and norm[pos2] in _ZH_MEASURES else ""
        p3 = pos2 + len(measure)
        for u in _ZH_UNITS:
            if norm.startswith(u, p3):
                unit = _CANON_MAP[u]
                p3 += len(u)
                break
        else:
            if norm.startswith(("美国", "名美"), p3) and norm.startswith("军", p3 + 2):
                unit, p3 = "troops", p3 + 3
            elif measure in ("名", "位", "人"):
                unit = "people"
            elif measure:
                unit = measure
            elif norm.startswith("年", pos2):
                unit, p3 = "year", pos2 + 1
        if unit in ("people", "") and norm.startswith(("死亡", "遇难", "丧生"), p3):
            unit, p3 = "dead", p3 + 2
        elif unit in ("people", "") and norm.startswith("受伤", p3):
            unit, p3 = "injured", p3 + 2
        if m.group("num") is not None and _is_year(raw, value) and unit not in _COUNT_UNITS:
            continue
        out.append(NumberMention(text[s:p3], value, unit, s))
        masked[s:p3] = b"\x01" * (p3 - s)
    return out


# --------------------------------------------------------------------------- comparison


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.01 * max(abs(a), abs(b)) or a == b


_PEOPLE_FAMILY = {"people", "troops", "dead", "injured", "prisoners"}
_NO_CONFLICT = {"", "year"}


def _compatible(ua: str, ub: str, value: float) -> bool:
    if ua == ub:
        return True
    if "people" in (ua, ub) and ua in _PEOPLE_FAMILY and ub in _PEOPLE_FAMILY:
        return True
    return ("" in (ua, ub)) and value >= 100


def compare_numbers(a: Sequence[NumberMention], b: Sequence[NumberMention]) -> dict[str, Any]:
    """Numbers both articles give, and numbers they disagree on.

    * **shared**: a value in both (within 1%) with the same unit, or compatible
      units: "people" matches any people count (troops, dead, injured, prisoners),
      and a unitless number of 100 or more matches any unit.
    * **conflicting**: after removing shared values, the same canonical unit
      (not "" and not "year") still has a value on each side, and the two are
      within a factor of 3 of each other (2,500 vs 3,000 troops conflict; 2,500
      vs 13,000 troops are probably different facts). Each value conflicts once,
      closest pairs first.
    * **overlap_score** = shared / min(informative numbers in A, in B) ×
      (1 − ½ × conflicting / (shared + conflicting)); informative = distinct
      (value, unit) with a unit or a value of 10 or more. 0 when either side has none.

    >>> from storyline.types import NumberMention as N
    >>> r = compare_numbers([N("2,500 troops", 2500, "troops"), N("$40 billion", 4e10, "usd")],
    ...                     [N("3.000 soldados", 3000, "troops"), N("40.000 millones de dólares", 4e10, "usd")])
    >>> r["shared"], r["conflicting"], r["overlap_score"]
    ([{'unit': 'usd', 'value': 40000000000.0, 'a': '$40 billion', 'b': '40.000 millones de dólares'}], [{'unit': 'troops', 'a': 2500.0, 'b': 3000.0, 'a_text': '2,500 troops', 'b_text': '3.000 soldados'}], 0.375)
    """
    ia = _informative(a)
    ib = _informative(b)
    shared: list[dict[str, Any]] = []
    used_b: set[int] = set()
    used_a: set[int] = set()
    for i, x in enumerate(ia):
        for j, y in enumerate(ib):
            if j in used_b:
                continue
            if _close(x.value, y.value) and _compatible(x.unit, y.unit, x.value):
                unit = x.unit if x.unit not in ("", "people") else (y.unit or x.unit)
                shared.append({"unit": unit, "value": float(x.value), "a": x.text, "b": y.text})
                used_a.add(i)
                used_b.add(j)
                break
    # conflicts: same unit, unmatched on both sides
    pairs = []
    for i, x in enumerate(ia):
        if i in used_a or x.unit in _NO_CONFLICT:
            continue
        for j, y in enumerate(ib):
            if j in used_b or y.unit != x.unit:
                continue
            lo, hi = sorted((abs(x.value), abs(y.value)))
            if lo > 0 and hi / lo <= 3:
                pairs.append((hi / lo, i, j))
    conflicting: list[dict[str, Any]] = []
    for _, i, j in sorted(pairs):
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        x, y = ia[i], ib[j]
        conflicting.append({"unit": x.unit, "a": float(x.value), "b": float(y.value), "a_text": x.text, "b_text": y.text})
    if not ia or not ib:
        score = 0.0
    else:
        n_s, n_c = len(shared), len(conflicting)
        base = n_s / min(len(ia), len(ib))
        score = base * (1 - 0.5 * n_c / (n_s + n_c)) if (n_s + n_c) else 0.0
    return {"shared": shared, "conflicting": conflicting, "overlap_score": round(min(1.0, max(0.0, score)), 4)}


def _informative(ms: Sequence[NumberMention]) -> list[NumberMention]:
    seen: set[tuple[float, str]] = set()
    out = []
    for m in ms:
        if not (m.unit or abs(m.value) >= 10):
            continue
        key = (round(m.value, 6), m.unit)
        if key in seen:
            continue
        seen.add(key)
        out.append(m)
    return out
