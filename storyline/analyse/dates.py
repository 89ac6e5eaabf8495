"""Dates an article talks about, normalised against its publication date.

:func:`extract_dates` finds explicit dates ("19 November 2020", "November 19",
"2020-11-19", "2020年11月22日"), months ("in June", "mid-January", "ноябрь 2020"),
years with a date context ("in 2018", "seit 2001", "2018年") and relative
expressions ("on Monday", "last week", "l'année dernière", "去年") in en, de,
fr, es, it, pl, tr, ru, ar and zh (ja partly). It uses compiled regular
expressions per language, not ``dateparser`` (which is ~100× slower), and is a
pure function of its inputs (plus today's date for undated articles, see below).

Resolution rules
----------------
* **Anchor.** Relative and yearless dates are resolved against ``published_at``.
  When the article is undated, the anchor is the latest day-precision date the
  text itself gives in full (a date with a year, or a weekday-checked date, see
  next point); with no anchor at all, relative dates and yearless dates are skipped.
* **Weekday + month + day without a year** ("Monday, November 19"): with an anchor
  it takes the year nearest the anchor; in an undated article it takes the most
  recent year, up to the current year, in which November 19 is a Monday. This is
  how undated articles get dated (it reads ``today``, which a test can pass).
* **Yearless month-day / month** ("November 19", "in June") take the year that
  puts them nearest the anchor (ties go to the past).
* **Weekday alone** ("on Monday") is the most recent such day on or before the
  publication date (in an undated article: the first such day on or after the
  inferred anchor, since publication follows the latest date it gives); "last Monday" is strictly before it; "next Monday", or a future-tense
  verb just before it ("will meet on Friday", "将于周五"), the next one after it.
* **Weeks** ("last week") resolve to the anchor ± 7 days with day precision (a
  ±3-day estimate); months and years to their first day with month/year precision.
* ``value`` of a month-precision mention is the 1st of the month, of a
  year-precision mention 1 January.
* A number is a year only with a date context: "in 2018" is a date, "the 17-year
  war" and "2000 troops" are not.

>>> from datetime import datetime, timezone
>>> pub = datetime(2020, 11, 22, tzinfo=timezone.utc)
>>> [(d.text, d.value.isoformat(), d.precision) for d in extract_dates(
...     "On Monday, November 16, talks resumed; the 17-year war began in 2001. Talks continue next week.", "en", pub)]
[('Monday, November 16', '2020-11-16', 'day'), ('in 2001', '2001-01-01', 'year'), ('next week', '2020-11-29', 'day')]
>>> [(d.text, d.value.isoformat()) for d in extract_dates("美军将于2021年1月15日前撤出2500人。本周四双方会面。", "zh", pub)]
[('2021年1月15日', '2021-01-15'), ('本周四', '2020-11-19')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Iterable, Sequence

from storyline.types import DateMention

__all__ = [
    "extract_dates",
    "date_of_event",
    "date_gap_days",
    "date_overlap_score",
    "compare_dates",
    "date_spans",
    "normalise_digits",
]

_DIGIT_TABLE = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９٫٬،",
    "0123456789" * 3 + ".,،",
)


def normalise_digits(text: str) -> str:
    """Arabic-Indic, Persian and full-width digits to ASCII, one character for one (offsets stay valid).

    >>> normalise_digits("٢٥٠٠ جندي و１２人")
    '2500 جندي و12人'
    """
    return text.translate(_DIGIT_TABLE)


# --------------------------------------------------------------------------- language data
# Months: 12 space-separated lists of forms (all cases a month name takes in the language).

_MONTHS: dict[str, list[str]] = {
    "en": [
        "january jan jan.", "february feb feb.", "march mar.", "april apr apr.", "may",
        "june jun jun.", "july jul jul.", "august aug aug.", "september sep sep. sept sept.",
        "october oct oct.", "november nov nov.", "december dec dec.",
    ],
    "de": [
        "januar jänner jan.", "februar feb.", "märz", "april apr.", "mai", "juni", "juli",
        "august aug.", "september sept. sep.", "oktober okt.", "november nov.", "dezember dez.",
    ],
    "fr": [
        "janvier janv.", "février fevrier févr.", "mars", "avril", "mai", "juin", "juillet juil.",
        "août aout", "septembre sept.", "octobre oct.", "novembre nov.", "décembre decembre déc.",
    ],
    "es": [
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
        "septiembre setiembre", "octubre", "noviembre", "diciembre",
    ],
    "it": [
        "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
        "settembre", "ottobre", "novembre", "dicembre",
    ],
    "pl": [
        "styczeń stycznia styczniu", "luty lutego lutym", "marzec marca marcu",
        "kwiecień kwietnia kwietniu", "maj maja maju", "czerwiec czerwca czerwcu",
        "lipiec lipca lipcu", "sierpień sierpnia sierpniu", "wrzesień września wrześniu",
        "październik października październiku", "listopad listopada listopadzie",
        "grudzień grudnia grudniu",
    ],
    "tr": [
        "ocak", "şubat subat", "mart", "nisan", "mayıs mayis", "haziran", "temmuz",
        "ağustos agustos", "eylül eylul", "ekim", "kasım kasim", "aralık aralik",
    ],
    "ru": [
        "январь января январе", "февраль февраля феврале", "март марта марте",
        "апрель апреля апреле", "май мая мае", "июнь июня июне", "июль июля июле",
        "август августа августе", "сентябрь сентября сентябре", "октябрь октября октябре",
        "ноябрь ноября ноябре", "декабрь декабря декабре",
    ],
    "ar": [
        "يناير كانون_الثاني", "فبراير شباط", "مارس آذار اذار", "أبريل ابريل إبريل نيسان",
        "مايو أيار ايار", "يونيو يونيه حزيران", "يوليو يوليه تموز", "أغسطس اغسطس آب",
        "سبتمبر أيلول ايلول", "أكتوبر اكتوبر تشرين_الأول تشرين_الاول",
        "نوفمبر تشرين_الثاني", "ديسمبر كانون_الأول كانون_الاول",
    ],
}

_WEEKDAYS: dict[str, list[str]] = {
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "de": [
        "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag sonnabend", "sonntag",
    ],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "es": ["lunes", "martes", "miércoles miercoles", "jueves", "viernes", "sábado sabado", "domingo"],
    "it": [
        "lunedì lunedi", "martedì martedi", "mercoledì mercoledi", "giovedì giovedi",
        "venerdì venerdi", "sabato", "domenica",
    ],
    "pl": [
        "poniedziałek", "wtorek", "środa środę", "czwartek", "piątek", "sobota sobotę",
        "niedziela niedzielę",
    ],
    "tr": ["pazartesi", "salı sali", "çarşamba carsamba", "perşembe persembe", "cuma", "cumartesi", "pazar"],
    "ru": [
        "понедельник", "вторник", "среда среду", "четверг", "пятница пятницу", "суббота субботу",
        "воскресенье",
    ],
    "ar": ["الاثنين الإثنين", "الثلاثاء", "الأربعاء الاربعاء", "الخميس", "الجمعة", "السبت", "الأحد الاحد"],
}

# Languages whose month and weekday names are always capitalised (so "may", "march" are not months).
_CASED = {"en", "de"}
_UNCASED_SCRIPTS = {"ar"}

# Words before a bare month name that make it a date ("in June", "Mitte Januar").
_MONTH_PREP: dict[str, str] = {
    "en": r"(?:[Ii]n|[Ss]ince|[Uu]ntil|[Tt]ill|[Bb]y|[Ff]rom|[Dd]uring|[Bb]efore|[Aa]fter|[Ee]arly|[Ll]ate|[Ee]nd of|[Ss]tart of|[Ll]ast|[Nn]ext|[Tt]his|[Ee]arly in|[Ll]ate in)\s+(?:(?:early|late|mid)[-\s]+)?|\b[Mm]id-",
    "de": r"(?:[Ii]m|[Ss]eit|[Bb]is|[Aa]b|Anfang|Mitte|Ende|[Vv]om|[Zz]um|[Nn]ach|[Vv]or|[Bb]is zum|[Ss]eit dem|[Ii]m vergangenen|[Ii]m kommenden|[Ff]ür|[Ii]n)\s+",
    "fr": r"(?:[Ee]n|[Dd]epuis|[Jj]usqu'en|[Jj]usqu’en|[Dd]ès|[Aa]vant|[Aa]près|[Dd]ébut|[Ff]in|[Cc]ourant|(?:au )?mois de|[Dd]'ici|[Dd]’ici)\s+|\b[Mm]i-",
    "es": r"(?:[Ee]n|[Dd]esde|[Hh]asta|(?:a )?mediados de|(?:a )?principios de|(?:a )?finales de|(?:el )?mes de|[Pp]ara)\s+",
    "it": r"(?:[Aa]|[Ii]n|[Dd]a|[Ff]ino a|[Ee]ntro|(?:a )?metà|(?:a |all')?inizio|(?:a |alla )?fine|(?:nel )?mese di)\s+",
    "pl": r"(?:[Ww]e?|[Oo]d|[Dd]o|na początku|pod koniec|w połowie|od początku)\s+",
    "tr": r"(?!)",
    "ru": r"(?:[Вв]о?|[Сс]о?|[Дд]о|[Кк]|в начале|в конце|в середине|с начала|к концу|начале|конце|середине)\s+",
    "ar": r"(?:في|منذ|حتى|خلال|أواخر|أوائل|منتصف|مطلع|نهاية|بداية|قبل|بعد)\s+(?:شهر\s+)?|شهر\s+",
}

# Words before a 4-digit number that make it a year.
_YEAR_PREP: dict[str, str] = {
    "en": r"(?:[Ii]n|[Ss]ince|[Uu]ntil|[Tt]ill|[Bb]y|[Ff]rom|[Dd]uring|[Bb]efore|[Aa]fter|[Ee]arly|[Ll]ate|[Oo]f|[Tt]hrough|[Tt]he year|[Ii]n early|[Ii]n late|[Ii]n mid|[Ee]nd of|[Ss]tart of|[Bb]eginning of)\s+|\b[Mm]id-",
    "de": r"(?:[Ii]m Jahre?|[Ss]eit|[Bb]is|[Aa]b|[Vv]on|Anfang|Mitte|Ende|[Vv]or|[Nn]ach|[Bb]is zum Jahr|[Ii]m Jahr)\s+",
    "fr": r"(?:[Ee]n|[Dd]epuis|[Jj]usqu'en|[Jj]usqu’en|[Dd]ès|[Aa]vant|[Aa]près|l'année|l’année|[Dd]ébut|[Ff]in|[Dd]'ici|[Dd]’ici|[Dd]e)\s+|\b[Mm]i-",
    "es": r"(?:[Ee]n|[Dd]esde|[Hh]asta|(?:el )?año|(?:a )?mediados de|(?:a )?principios de|(?:a )?finales de|[Pp]ara|[Dd]e)\s+(?:el\s+)?",
    "it": r"(?:[Nn]el|[Dd]al|[Ff]ino al|[Ee]ntro il|[Dd]el|[Aa]l|(?:nell')?anno|[Ii]n)\s+",
    "pl": r"(?:[Ww]e?|[Oo]d|[Dd]o|[Pp]o|[Pp]rzed)\s+",
    "tr": r"(?!)",
    "ru": r"(?:[Вв]|[Сс]|[Дд]о|[Кк]|[Пп]осле|с начала|в начале|в конце|в середине)\s+",
    "ar": r"(?:عام|العام|سنة|في|منذ|حتى|خلال|أواخر|أوائل|منتصف|مطلع|نهاية|بداية)\s+",
}

# Year suffixes that make a 4-digit number a year on their own ("2018 года", "2018 r.", "2018'de").
_YEAR_POST: dict[str, str] = {
    "ru": r"\s*(?:год[ауе]?|г\.)",
    "pl": r"\s*(?:r\.|roku|rok)",
    "tr": r"(?:['’](?:de|da|te|ta|den|dan|ten|tan|e|a|ye|ya|in|ın|un|ün|nin|nın|nun|nün)\b|\s+yılı(?:nda|ndan)?\b)",
}

# Optional words between weekday and day ("Monday, the 19th", "Montag, den 19.", "الاثنين الموافق").
_ARTICLE = {
    "en": r"(?:the\s+)?", "de": r"(?:(?:den|dem)\s+)?", "fr": r"(?:le\s+)?", "es": r"(?:el\s+)?",
    "it": r"(?:il\s+)?", "ar": r"(?:الموافق\s+)?",
}

_DAY_SUFFIX = {
    "en": r"(?:st|nd|rd|th)?", "de": r"\.", "fr": r"(?:er)?", "es": r"(?:º|°)?", "it": r"(?:º|°)?",
    "pl": r"\.?", "ru": r"(?:-?го)?", "tr": r"", "ar": r"",
}
_DAY_MONTH_LINK = {"en": r"(?:of\s+)?", "es": r"(?:de\s+)?", "pt": r"(?:de\s+)?"}
_MONTH_YEAR_LINK = {"es": r"\s*(?:de(?:l)?\s+)?", "en": r",?\s*", "ar": r"(?:\s+من\s+(?:عام|العام|سنة)\s+|[,،]?\s*)"}

# Weekday qualifiers before/after the weekday: (past words, future words, neutral words).
_WD_PRE: dict[str, tuple[str, str, str]] = {
    "en": (r"[Ll]ast|[Pp]ast|[Pp]revious", r"[Nn]ext|[Cc]oming", r"[Oo]n|[Tt]his|[Ss]ince|[Uu]ntil|[Bb]y|[Ff]rom|[Ll]ate on|[Ee]arly on"),
    "de": (r"[Ll]etzten|[Vv]ergangenen|[Vv]origen|[Aa]m vergangenen|[Aa]m letzten", r"[Nn]ächsten|[Kk]ommenden|[Aa]m kommenden|[Aa]m nächsten", r"[Aa]m|[Ss]eit|[Bb]is|[Ss]eit dem|[Bb]is zum|[Dd]iesen"),
    "fr": (r"(?!)", r"(?!)", r"(?:[Dd]epuis|[Jj]usqu'à|[Ll]e|[Cc]e)"),
    "es": (r"(?!)", r"[Ee]l próximo|[Pp]róximo", r"[Ee]l|[Ee]ste|[Dd]esde el|[Hh]asta el"),
    "it": (r"(?!)", r"[Ii]l prossimo|[Pp]rossimo", r"[Ii]l|[Qq]uesto|[Dd]a|[Ff]ino a"),
    "pl": (r"[Ww] ubiegły|[Ww] zeszły|[Ww] ostatni|[Ww] ostatnią", r"[Ww] przyszły|[Ww] przyszłą|[Ww] najbliższy|[Ww] najbliższą", r"[Ww]e?|[Oo]d|[Dd]o"),
    "tr": (r"[Gg]eçen|[Gg]eçtiğimiz", r"[Gg]elecek|[Öö]nümüzdeki", r"(?!)"),
    "ru": (r"[Вв] прошл(?:ый|ую|ое)|[Вв] минувш(?:ий|ую|ее)", r"[Вв]о? следующ(?:ий|ую|ее)|[Вв] будущ(?:ий|ую|ее)|[Вв] ближайш(?:ий|ую|ее)", r"[Вв]о?|[Сс]о?|[Дд]о|[Кк]о?"),
    "ar": (r"(?!)", r"(?!)", r"يوم"),
}
_WD_POST: dict[str, tuple[str, str]] = {
    "en": (r"(?!)", r"(?!)"),
    "fr": (r"dernier|passé", r"prochain"),
    "es": (r"pasado", r"próximo|que viene"),
    "it": (r"scorso", r"prossimo"),
    "ar": (r"الماضي|المنصرم|الفائت", r"المقبل|القادم"),
}

# Words shortly before a bare weekday that put it in the future.
_FUTURE: dict[str, str] = {
    "en": r"\b(?:will|shall|'ll|is to|are to|is due|are due|due to|scheduled|expected to|plans? to|set to)\b",
    "de": r"\b(?:wird|werden|soll|sollen|will|wollen|geplant)\b",
    "fr": r"\b(?:va|vont|devra|devront|doit|doivent|aura|auront|sera|seront|prévu|prévue|\w{2,}(?:eront|iront|dront))\b",
    "es": r"\b(?:va a|van a|prevé|previsto|prevista|\w{2,}(?:rá|rán))\b",
    "it": r"\b(?:previsto|prevista|\w{2,}(?:rà|ranno))\b",
    "pl": r"\b(?:będzie|będą|ma się|mają się|planuje)\b",
    "tr": r"(?:acak|ecek|acağı|eceği)\b",
    "ru": r"\b(?:будет|будут|состоится|планирует|планируется|намерен|вступит|вступят|начнётся|начнется)\b",
    "ar": r"(?:سوف|المقرر|(?<!\w)و?س[تي]\w{2,})",
    "zh": r"(?:将|将会|将于|计划|预计|拟于)",
    "ja": r"(?:予定|する見通し)",
}

# Relative expressions: (pattern, unit, offset). unit: d = day, w = week, m = month, y = year.
_REL: dict[str, list[tuple[str, str, int]]] = {
    "en": [
        (r"yesterday", "d", -1), (r"today", "d", 0), (r"tomorrow", "d", 1), (r"tonight", "d", 0),
        (r"(?:last|past|previous) week", "w", -1), (r"(?:earlier )?this week", "w", 0), (r"next week", "w", 1),
        (r"last month", "m", -1), (r"(?:earlier )?this month", "m", 0), (r"next month", "m", 1),
        (r"last year", "y", -1), (r"(?:earlier )?this year", "y", 0), (r"next year", "y", 1),
    ],
    "de": [
        (r"vorgestern", "d", -2), (r"gestern", "d", -1), (r"heute", "d", 0), (r"übermorgen", "d", 2),
        (r"(?<!heute )(?<!gestern )(?-i:morgen)", "d", 1),
        (r"(?:in der |die )?(?:vergangenen?|letzten?|vorigen?) Woche", "w", -1), (r"(?:in )?diese[rn]? Woche", "w", 0),
        (r"(?:in der |die )?(?:nächsten?|kommenden?) Woche", "w", 1),
        (r"(?:im )?(?:vergangenen|letzten|vorigen) Monat", "m", -1), (r"(?:in )?diesem Monat", "m", 0),
        (r"(?:im )?(?:nächsten|kommenden) Monat", "m", 1),
        (r"(?:im )?(?:vergangenen|letzten|vorigen) Jahr|(?:vergangenes|letztes|voriges) Jahr|Vorjahr", "y", -1),
        (r"(?:in )?diesem Jahr|dieses Jahr", "y", 0),
        (r"(?:im )?(?:nächsten|kommenden) Jahr|(?:nächstes|kommendes) Jahr", "y", 1),
    ],
    "fr": [
        (r"avant-hier", "d", -2), (r"(?<!avant-)hier", "d", -1), (r"aujourd['’]hui", "d", 0),
        (r"après-demain", "d", 2), (r"(?<!après-)demain", "d", 1),
        (r"la semaine (?:dernière|passée)", "w", -1), (r"cette semaine", "w", 0), (r"la semaine prochaine", "w", 1),
        (r"le mois (?:dernier|passé)", "m", -1), (r"ce mois-ci", "m", 0), (r"le mois prochain", "m", 1),
        (r"l['’]an (?:dernier|passé)|l['’]année (?:dernière|passée)", "y", -1), (r"cette année", "y", 0),
        (r"l['’]an prochain|l['’]année prochaine", "y", 1),
    ],
    "es": [
        (r"anteayer", "d", -2), (r"ayer", "d", -1), (r"hoy", "d", 0), (r"pasado mañana", "d", 2),
        (r"(?<!la )(?<!esta )(?<!pasado )mañana", "d", 1),
        (r"la semana (?:pasada|anterior)", "w", -1), (r"esta semana", "w", 0),
        (r"la (?:próxima semana|semana próxima|semana que viene)", "w", 1),
        (r"el mes pasado", "m", -1), (r"este mes", "m", 0), (r"el (?:próximo mes|mes que viene)", "m", 1),
        (r"el año pasado", "y", -1), (r"este año", "y", 0), (r"el (?:próximo año|año próximo|año que viene)", "y", 1),
    ],
    "it": [
        (r"l['’]altro ieri", "d", -2), (r"ieri", "d", -1), (r"oggi", "d", 0), (r"dopodomani", "d", 2), (r"domani", "d", 1),
        (r"la settimana scorsa|la scorsa settimana", "w", -1), (r"questa settimana", "w", 0),
        (r"la prossima settimana|la settimana prossima", "w", 1),
        (r"il mese scorso|lo scorso mese", "m", -1), (r"questo mese", "m", 0), (r"il prossimo mese|il mese prossimo", "m", 1),
        (r"l['’]anno scorso|lo scorso anno", "y", -1), (r"quest['’]anno", "y", 0), (r"l['’]anno prossimo|il prossimo anno", "y", 1),
    ],
    "pl": [
        (r"przedwczoraj", "d", -2), (r"wczoraj", "d", -1), (r"dzisiaj|dziś", "d", 0), (r"pojutrze", "d", 2), (r"jutro", "d", 1),
        (r"w (?:zeszłym|ubiegłym|poprzednim) tygodniu", "w", -1), (r"w tym tygodniu", "w", 0), (r"w przyszłym tygodniu", "w", 1),
        (r"w (?:zeszłym|ubiegłym|poprzednim) miesiącu", "m", -1), (r"w tym miesiącu", "m", 0), (r"w przyszłym miesiącu", "m", 1),
        (r"w (?:zeszłym|ubiegłym|poprzednim) roku|(?:zeszłego|ubiegłego) roku", "y", -1), (r"w tym roku|tego roku", "y", 0),
        (r"w przyszłym roku|przyszłego roku", "y", 1),
    ],
    "tr": [
        (r"dün(?:kü)?", "d", -1), (r"bugün(?:kü)?", "d", 0), (r"yarın(?:ki)?", "d", 1),
        (r"geçen hafta|geçtiğimiz hafta", "w", -1), (r"bu hafta", "w", 0), (r"gelecek hafta|önümüzdeki hafta|haftaya", "w", 1),
        (r"geçen ay|geçtiğimiz ay", "m", -1), (r"bu ay", "m", 0), (r"gelecek ay|önümüzdeki ay", "m", 1),
        (r"geçen (?:yıl|sene)|geçtiğimiz (?:yıl|sene)", "y", -1), (r"bu (?:yıl|sene)", "y", 0),
        (r"gelecek (?:yıl|sene)|önümüzdeki (?:yıl|sene)|seneye", "y", 1),
    ],
    "ru": [
        (r"позавчера", "d", -2), (r"вчера", "d", -1), (r"сегодня", "d", 0), (r"послезавтра", "d", 2), (r"завтра", "d", 1),
        (r"на прошлой неделе|на минувшей неделе", "w", -1), (r"на этой неделе", "w", 0),
        (r"на следующей неделе|на будущей неделе", "w", 1),
        (r"в прошлом месяце", "m", -1), (r"в этом месяце", "m", 0), (r"в следующем месяце", "m", 1),
        (r"в прошлом году|в минувшем году|прошлого года", "y", -1), (r"в этом году|этого года|текущего года", "y", 0),
        (r"в следующем году|в будущем году|следующего года", "y", 1),
    ],
    "ar": [
        (r"(?:ال)?أمس", "d", -1), (r"غدا|غداً", "d", 1),
        (r"الأسبوع الماضي|الاسبوع الماضي", "w", -1), (r"هذا الأسبوع|هذا الاسبوع", "w", 0),
        (r"الأسبوع (?:المقبل|القادم)|الاسبوع (?:المقبل|القادم)", "w", 1),
        (r"الشهر الماضي", "m", -1), (r"هذا الشهر", "m", 0), (r"الشهر (?:المقبل|القادم)", "m", 1),
        (r"العام (?:الماضي|المنصرم)|السنة الماضية", "y", -1), (r"هذا العام|العام (?:الجاري|الحالي)|هذه السنة", "y", 0),
        (r"العام (?:المقبل|القادم)|السنة (?:المقبلة|القادمة)", "y", 1),
    ],
    "zh": [
        (r"前天", "d", -2), (r"昨天|昨日", "d", -1), (r"今天|今日", "d", 0), (r"后天", "d", 2), (r"明天|明日", "d", 1),
        (r"上周|上星期|上个星期", "w", -1), (r"本周|这周|本星期|这个星期", "w", 0), (r"下周|下星期|下个星期", "w", 1),
        (r"上个?月", "m", -1), (r"本月|这个月", "m", 0), (r"下个?月", "m", 1),
        (r"前年", "y", -2), (r"去年", "y", -1), (r"今年", "y", 0), (r"明年", "y", 1),
    ],
    "ja": [
        (r"一昨日|おととい", "d", -2), (r"昨日", "d", -1), (r"今日", "d", 0), (r"明日", "d", 1),
        (r"先週", "w", -1), (r"今週", "w", 0), (r"来週", "w", 1),
        (r"先月", "m", -1), (r"今月", "m", 0), (r"来月", "m", 1),
        (r"昨年|去年", "y", -1), (r"今年", "y", 0), (r"来年", "y", 1),
    ],
}

# "two weeks ago": (pattern with groups n and u, number words, unit words → d/w/m/y)
_AGO: dict[str, tuple[str, dict[str, int], list[tuple[str, str]]]] = {
    "en": (
        r"\b(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?P<u>days?|weeks?|months?|years?)\s+ago\b",
        {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10},
        [("day", "d"), ("week", "w"), ("month", "m"), ("year", "y")],
    ),
    "de": (
        r"\bvor\s+(?P<n>\d{1,2}|einem|einer|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn)\s+(?P<u>Tag(?:en)?|Wochen?|Monat(?:en)?|Jahr(?:en)?)\b",
        {"einem": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10},
        [("tag", "d"), ("woche", "w"), ("monat", "m"), ("jahr", "y")],
    ),
    "fr": (
        r"\bil y a\s+(?P<n>\d{1,2}|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix)\s+(?P<u>jours?|semaines?|mois|ans?|années?)\b",
        {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10},
        [("jour", "d"), ("semaine", "w"), ("mois", "m"), ("an", "y")],
    ),
    "es": (
        r"\bhace\s+(?P<n>\d{1,2}|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez)\s+(?P<u>días?|semanas?|mes(?:es)?|años?)\b",
        {"un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10},
        [("día", "d"), ("semana", "w"), ("mes", "m"), ("año", "y")],
    ),
    "ru": (
        r"(?P<n>\d{1,2}|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять)\s+(?P<u>дн(?:я|ей)|недел[ьи]|месяц(?:а|ев)|год(?:а)?|лет)\s+назад",
        {"два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10},
        [("дн", "d"), ("недел", "w"), ("месяц", "m"), ("год", "y"), ("лет", "y")],
    ),
}

_ZH_NUM = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_WD = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_JA_WD = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}


# --------------------------------------------------------------------------- compiled per language


@dataclass(frozen=True)
class _Rules:
    language: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]  # (kind, pattern)
    months: dict[str, int]
    weekdays: dict[str, int]
    future_words: re.Pattern[str] | None
    rel_units: tuple[tuple[str, int], ...]  # per relative alternative index
    ago_numbers: dict[str, int]
    ago_units: tuple[tuple[str, str], ...]


def _forms(spec: str) -> list[str]:
    return [w.replace("_", " ") for w in spec.split()]


def _variants(word: str, cased: bool) -> set[str]:
    out = {word[:1].upper() + word[1:], word.upper()}
    if not cased:
        out.add(word)
    return out


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=lambda w: (-len(w), w)))


_Y = r"(?P<y>(?:1[89]|20)\d\d)(?![\d.,]\d)(?!\d)"
_UNIVERSAL: tuple[tuple[str, str], ...] = (
    ("ymd", r"(?<![\d.,/-])(?P<y>(?:19|20)\d\d)(?P<s>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=s)(?P<d>0?[1-9]|[12]\d|3[01])(?![\d])"),
    ("dmy", r"(?<![\d.,/-])(?P<a>\d{1,2})(?P<s>[./-])(?P<b>\d{1,2})(?P=s)(?P<y>(?:19|20)\d\d)(?![\d])"),
)


@lru_cache(maxsize=32)
def _rules(language: str) -> _Rules:
    lang = language if (language in _MONTHS or language in ("zh", "ja")) else "xx"
    cased = lang in _CASED
    month_map: dict[str, int] = {}
    wd_map: dict[str, int] = {}
    pats: list[tuple[str, str]] = list(_UNIVERSAL)
    flags = 0
    if lang in _MONTHS:
        month_words: list[str] = []
        for i, spec in enumerate(_MONTHS[lang], start=1):
            for form in _forms(spec):
                vs = {form} if lang in _UNCASED_SCRIPTS else _variants(form, cased)
                month_words.extend(vs)
                for v in vs | {form}:
                    month_map[_key(v)] = i
        wd_words: list[str] = []
        for i, spec in enumerate(_WEEKDAYS[lang]):
            for form in _forms(spec):
                vs = {form} if lang in _UNCASED_SCRIPTS else _variants(form, cased)
                wd_words.extend(vs)
                for v in vs | {form}:
                    wd_map[_key(v)] = i
        M = f"(?:{_alternation(month_words)})"
        W = f"(?:{_alternation(wd_words)})"
        L = r"(?<![^\W_وبلف])" if lang == "ar" else r"\b"
        if lang == "de":
            W = W + r"(?:abend|morgen|nachmittag|vormittag|mittag)?"
        R = r"(?!\w)" if lang != "tr" else r"(?![^\W'’])"
        if lang == "tr":
            R = r"(?=['’]|\b)"
        D = r"(?P<d>[0-3]?\d)" + _DAY_SUFFIX.get(lang, "")
        art = _ARTICLE.get(lang, "")
        sep = r"[,،]?\s+"
        wd_pre = rf"(?:{L}(?P<wd>{W}){sep}{art})?"
        ylink = _MONTH_YEAR_LINK.get(lang, r"\s*")
        year_tail = rf"(?:{ylink}(?P<y>(?:1[89]|20)\d\d)(?![\d.,]\d)(?!\d))?"
        alt_month = rf"(?:\s*/\s*{M})?"
        tr_wd = rf"(?:\s+(?P<wd2>{W}){R})?" if lang == "tr" else ""
        dm_link = _DAY_MONTH_LINK.get(lang, "")
        pats.append(("dm", rf"{wd_pre}(?<![\d.,])\b{D}\s*{dm_link}(?P<m>{M}){alt_month}{R}{year_tail}{tr_wd}"))
        if lang == "en":
            pats.append(("md", rf"{wd_pre}\b(?P<m>{M})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?(?![\d])(?!,\d{{3}})(?:,?\s+(?P<y>(?:1[89]|20)\d\d)(?![\d.,]\d)(?!\d))?"))
        pats.append(("my", rf"{L}(?P<m>{M}){alt_month}{R}{ylink}(?P<y>(?:1[89]|20)\d\d)(?![\d.,]\d)(?!\d)"))
        if lang == "tr":
            pats.append(("m", rf"\b(?P<m>{M})(?:['’](?:da|de|ta|te|dan|den|tan|ten|a|e|ya|ye)|\s+ay[ıi](?:nda|ndan)?)\b"))
        else:
            # a bare month ("Ende Dezember") is not one when a year follows: "Ende Dezember 2019" is month + year
            no_year = rf"(?!{ylink}(?:1[89]|20)\d\d(?!\d))"
            pats.append(("m", rf"(?:{L}(?:{_MONTH_PREP[lang]}))(?P<m>{M}){R}(?!\s*[0-3]?\d\b){no_year}"))
        past, fut, neutral = _WD_PRE.get(lang, (r"(?!)", r"(?!)", r"(?!)"))
        post_past, post_fut = _WD_POST.get(lang, (r"(?!)", r"(?!)"))
        pats.append(
            (
                "wd",
                rf"(?:{L}(?:(?P<past>{past})|(?P<fut>{fut})|(?:{neutral}))\s+)?{L}(?P<wd>{W}){R}(?:\s+(?:(?P<ppast>{post_past})|(?P<pfut>{post_fut})){R})?",
            )
        )
        pats.append(("y", rf"{L}(?:{_YEAR_PREP[lang]}){_Y}(?!\s*[-–]\s*(?:year|jährig|летн))"))
        if lang in _YEAR_POST:
            pats.append(("y", rf"(?<![\d.,]){_Y}{_YEAR_POST[lang]}"))
    elif lang in ("zh", "ja"):
        zd = r"(?:\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
        zy = r"(?:(?:19|20)\d\d|[一二][〇零一二三四五六七八九]{3})"
        wd_zh = r"(?:[（(]?(?:星期|周|礼拜)(?P<wd>[一二三四五六日天])[)）]?)?"
        if lang == "ja":
            wd_zh = r"(?:[（(]?(?P<wd>[月火水木金土日])(?:曜日?)?[)）]?)?"
        nb = r"(?<![\d〇零一二三四五六七八九十])"
        pats.append(("zymd", rf"{nb}(?P<y>{zy})\s*年\s*(?P<m>{zd})\s*月\s*(?:(?P<d>{zd})\s*[日号]{wd_zh}|(?P<part>上旬|中旬|下旬|初|底|末))?"))
        pats.append(("zmd", rf"{nb}(?P<m>{zd})\s*月\s*(?:(?P<d>{zd})\s*[日号]{wd_zh}|(?P<part>上旬|中旬|下旬|初|底|末))?"))
        pats.append(("zy", rf"(?<![\d])(?P<y>(?:19|20)\d\d)\s*年(?![代度\d])(?!\s*\d)"))
        if lang == "zh":
            pats.append(("zwd", r"(?P<rel>上个?|下个?|本|这个?)?(?:星期|周|礼拜)(?P<wd>[一二三四五六日天])"))
        else:
            pats.append(("zwd", r"(?P<rel>先週の?|来週の?|今週の?)?(?P<wd>[月火水木金土日])曜日?"))
        flags = 0
    # relative expressions: one alternation with numbered groups
    rel = _REL.get(lang, [])
    rel_units: list[tuple[str, int]] = []
    if rel:
        parts = []
        for i, (p, unit, off) in enumerate(rel):
            parts.append(f"(?P<r{i}>{p})")
            rel_units.append((unit, off))
        if lang in ("zh", "ja"):
            body = "|".join(parts)
        elif lang == "ar":
            body = r"(?<![^\W_وبلف])(?:" + "|".join(parts) + r")(?!\w)"
        else:
            body = r"\b(?:" + "|".join(parts) + r")\b"
        pats.append(("rel", f"(?i:{body})" if lang not in ("zh", "ja", "ar") else body))
    ago = _AGO.get(lang)
    if ago:
        pats.append(("ago", f"(?i:{ago[0]})"))
    compiled = tuple((kind, re.compile(_with_prefilter(p), flags)) for kind, p in pats)
    fut = _FUTURE.get(lang)
    return _Rules(
        language=lang,
        patterns=compiled,
        months=month_map,
        weekdays=wd_map,
        future_words=re.compile(fut) if fut else None,
        rel_units=tuple(rel_units),
        ago_numbers=ago[1] if ago else {},
        ago_units=tuple(ago[2]) if ago else (),
    )


def _with_prefilter(pattern: str) -> str:
    """Prefix ``pattern`` with a lookahead on the characters a match can start with.

    The stdlib engine tries a pattern at every position; a one-class lookahead rejects
    most positions at once and makes the scan 2-5× faster.
    """
    try:
        import re._parser as _sre_parse  # CPython ≥ 3.11; elsewhere the pattern runs unfiltered

        chars, nullable = _first_chars(list(_sre_parse.parse(pattern)))
    except (_Unknown, ImportError):
        return pattern
    if nullable or not chars or len(chars) > 300:
        return pattern
    cls = "".join(sorted(re.escape(c) if c not in "-]\\^" else "\\" + c for c in chars))
    return f"(?=[{cls}])(?:{pattern})"


class _Unknown(Exception):
    pass


def _first_chars(seq: list, ignorecase: bool = False) -> tuple[set[str], bool]:  # type: ignore[type-arg]
    out: set[str] = set()
    for op, arg in seq:
        chars, nullable = _first_of(op, arg, ignorecase)
        out |= chars
        if not nullable:
            return out, False
    return out, True


def _first_of(op, arg, ignorecase: bool) -> tuple[set[str], bool]:  # type: ignore[no-untyped-def]
    import re._constants as c
    if op is c.LITERAL:
        ch = chr(arg)
        return ({ch, ch.lower(), ch.upper()} if ignorecase else {ch}), False
    if op is c.IN:
        out: set[str] = set()
        for iop, iarg in arg:
            if iop is c.LITERAL:
                out.add(chr(iarg))
            elif iop is c.CATEGORY and iarg is c.CATEGORY_DIGIT:
                out.update("0123456789")
            elif iop is c.RANGE and iarg[1] - iarg[0] < 200:
                out.update(chr(x) for x in range(iarg[0], iarg[1] + 1))
            else:
                raise _Unknown
        if ignorecase:
            out |= {x.lower() for x in out} | {x.upper() for x in out}
        return out, False
    if op is c.BRANCH:
        out, nullable = set(), False
        for alt in arg[1]:
            chars, n = _first_chars(list(alt), ignorecase)
            out |= chars
            nullable = nullable or n
        return out, nullable
    if op is c.SUBPATTERN:
        add_flags = arg[1]
        return _first_chars(list(arg[3]), ignorecase or bool(add_flags & c.SRE_FLAG_IGNORECASE))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        chars, nullable = _first_chars(list(arg[2]), ignorecase)
        return chars, nullable or arg[0] == 0
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _first_chars(list(arg), ignorecase)
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return set(), True
    raise _Unknown


def _key(word: str) -> str:
    return re.sub(r"\s+", " ", word.lower().rstrip("."))


# --------------------------------------------------------------------------- extraction


@dataclass
class _Cand:
    kind: str
    start: int
    end: int
    groups: dict[str, str | None]
    match: re.Match[str]


_EXPLICIT_KINDS = frozenset({"ymd", "dmy", "dm", "md", "my", "y", "zymd", "zmd", "zy"})


def _candidates(text: str, language: str, kinds: frozenset[str] | None = None) -> list[_Cand]:
    rules = _rules(language)
    found: list[_Cand] = []
    for kind, pat in rules.patterns:
        if kinds is not None and kind not in kinds:
            continue
        for m in pat.finditer(text):
            if m.end() > m.start():
                found.append(_Cand(kind, m.start(), m.end(), m.groupdict(), m))
    # longest first, then earliest; keep non-overlapping
    return _non_overlapping(found, len(text))


def _non_overlapping(found: list[_Cand], n: int) -> list[_Cand]:
    """Longest first, then earliest; drop whatever overlaps a kept span."""
    found.sort(key=lambda c: (-(c.end - c.start), c.start))
    taken = bytearray(n + 1)
    kept: list[_Cand] = []
    for c in found:
        if not any(taken[c.start : c.end]):
            taken[c.start : c.end] = b"\x01" * (c.end - c.start)
            kept.append(c)
    kept.sort(key=lambda c: c.start)
    return kept


@lru_cache(maxsize=1)
def _weekday_names() -> tuple[re.Pattern[str], dict[str, int]]:
    names = {w: i for days in _WEEKDAYS.values() for i, spec in enumerate(days) for w in spec.split()}
    words = "|".join(re.escape(w) for w in sorted(names, key=len, reverse=True))
    first = "".join(sorted({re.escape(w[0]) for w in names} | {"星", "周", "礼"}))
    # on lower-cased text, a lookahead on the first letters first (the scan is ~5x faster); a few letters of
    # inflection ("montags", "środę", "cuma'ya" is cut at the apostrophe); Chinese 星期一 / 周五 / 礼拜天
    pattern = re.compile(rf"(?=[{first}])(?:(?<!\w)({words})\w{{0,3}}(?!\w)|(?:星期|周|礼拜)([一二三四五六日天]))")
    names.update({c: i for i, c in enumerate("一二三四五六日")})
    names["天"] = 6
    return pattern, names


def weekdays_named(text: str) -> dict[int, int]:
    """Weekdays named in ``text`` in any language of the date rules (0 = Monday), with how often.
    Two reports of one event name the same days ("on Tuesday", "am Dienstag"); reports written
    weeks apart rarely do. No publication date is needed.

    >>> weekdays_named("On Tuesday police said; am Dienstag und Freitag; 周五晚上")
    {1: 2, 4: 2}
    """
    pattern, names = _weekday_names()
    out: dict[int, int] = {}
    for m in pattern.finditer(text.lower()):
        day = names.get(m.group(1) or m.group(2))
        if day is not None:
            out[day] = out.get(day, 0) + 1
    return out


def date_spans(text: str, language: str) -> list[tuple[int, int]]:
    """Character spans of the explicit dates and years in ``text`` (not relative ones); keeps dates out of numbers.

    >>> date_spans("Am 19. November 2020 kamen 2.500 Soldaten.", "de")
    [(3, 20)]
    """
    return [(c.start, c.end) for c in _candidates(normalise_digits(text), language, _EXPLICIT_KINDS)]


def extract_dates(
    text: str,
    language: str,
    published_at: datetime | date | None,
    *,
    today: date | None = None,
) -> list[DateMention]:
    """Dates mentioned in ``text``, in text order, resolved against ``published_at``.

    ``today`` (default: the current date) only matters for undated articles: a
    yearless date with a weekday takes, of the years up to ``today.year`` that fit, the
    one nearest to the year the text's full dates name most (:func:`text_year`), else the latest.

    >>> [(d.text, d.value.isoformat(), d.precision) for d in extract_dates("Am Montag, 16. November, und Mitte Januar", "de", date(2020, 11, 22))]
    [('Montag, 16. November', '2020-11-16', 'day'), ('Mitte Januar', '2021-01-01', 'month')]
    >>> [d.value.isoformat() for d in extract_dates("Talks opened on Monday, November 16. On Friday they ended.", "en", None, today=date(2024, 5, 1))]
    ['2020-11-16', '2020-11-20']
    >>> [d.value.isoformat() for d in extract_dates("Cierre en 2020: el domingo 26 de julio.", "es", None, today=date(2026, 11, 1))]
    ['2020-01-01', '2020-07-26']
    >>> extract_dates("the 17-year war", "en", None)
    []
    """
    if not text:
        return []
    norm = normalise_digits(text)
    rules = _rules(language)
    cands = _candidates(norm, language)
    if isinstance(published_at, datetime):
        pub: date | None = published_at.date()
    else:
        pub = published_at
    today = today or date.today()
    resolved: dict[int, tuple[date, str]] = {}
    # pass 1: what needs no anchor (and, with no publication date, what sets one): dates with
    # their year first; the years they name then choose among the years a weekday fits
    hint: int | None = None
    for step in ("year", "rest"):
        if step == "rest":
            hint = text_year([v.year for v, _ in resolved.values()], today)
        for i, c in enumerate(cands):
            if bool(c.groups.get("y")) != (step == "year"):
                continue
            try:
                r = _resolve_absolute(c, rules, pub, today, hint)
            except (ValueError, OverflowError):  # a date outside year 1..9999
                r = None
            if r is not None:
                resolved[i] = r
    anchor = pub
    if anchor is None:
        days = [v for v, p in resolved.values() if p == "day" and v <= today]
        anchor = max(days) if days else None
    if anchor is not None:
        for i, c in enumerate(cands):
            if i not in resolved:
                try:
                    r = _resolve_relative(c, rules, anchor, norm, inferred=pub is None)
                except (ValueError, OverflowError):  # anchor at the ends of the calendar
                    r = None
                if r is not None:
                    resolved[i] = r
    out = []
    for i, c in enumerate(cands):
        if i in resolved:
            value, precision = resolved[i]
            out.append(DateMention(text[c.start : c.end], value, c.start, precision))  # type: ignore[arg-type]
    return out


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _zh_int(s: str) -> int:
    if s.isdigit():
        return int(s)
    if len(s) == 4 and "十" not in s:  # 二〇二〇
        return int("".join(str(_ZH_NUM.get(ch, 0)) for ch in s))
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_ZH_NUM.get(tens, 1) if tens else 1) * 10 + (_ZH_NUM.get(ones, 0) if ones else 0)
    return _ZH_NUM.get(s, 0)


def _nearest_year(m: int, d: int, anchor: date) -> date | None:
    best: date | None = None
    for y in (anchor.year - 1, anchor.year, anchor.year + 1):
        cand = _safe_date(y, m, d)
        if cand is None:
            continue
        if best is None or abs((cand - anchor).days) < abs((best - anchor).days):
            best = cand
    return best


def _nearest_month(m: int, anchor: date) -> date:
    best = None
    best_dist = 10**9
    for y in (anchor.year - 1, anchor.year, anchor.year + 1):
        first = date(y, m, 1)
        last = (date(y + (m == 12), m % 12 + 1, 1)) - timedelta(days=1)
        dist = 0 if first <= anchor <= last else min(abs((first - anchor).days), abs((last - anchor).days))
        if dist < best_dist or (dist == best_dist and best is not None and first < best):
            best, best_dist = first, dist
    assert best is not None
    return best


def text_year(years: Sequence[int], today: date) -> int | None:
    """The year a text is about: the one its full dates name most often (the newest on a tie), up to ``today``.

    >>> text_year([2019, 2020, 2020, 2031], date(2026, 1, 1))
    2020
    >>> text_year([2018, 2019], date(2026, 1, 1)), text_year([], date(2026, 1, 1))
    (2019, None)
    """
    counts: dict[int, int] = {}
    for y in years:
        if y <= today.year:
            counts[y] = counts.get(y, 0) + 1
    return max(counts, key=lambda y: (counts[y], y)) if counts else None


def _weekday_year(m: int, d: int, wd: int, today: date, near: int | None = None) -> date | None:
    """The date ``d.m.`` on weekday ``wd`` in the 29 years up to ``today``: the latest, or the nearest to year ``near``.

    >>> _weekday_year(7, 26, 6, date(2026, 11, 1)), _weekday_year(7, 26, 6, date(2026, 11, 1), near=2019)
    (datetime.date(2026, 7, 26), datetime.date(2020, 7, 26))
    """
    fits = [c for y in range(today.year, today.year - 29, -1) if (c := _safe_date(y, m, d)) is not None and c.weekday() == wd]
    if not fits or near is None:
        return fits[0] if fits else None
    return min(fits, key=lambda c: (abs(c.year - near), -c.year))


def _month_of(c: _Cand, rules: _Rules) -> int | None:
    raw = c.groups.get("m")
    if raw is None:
        return None
    if c.kind in ("zymd", "zmd"):
        v = _zh_int(raw)
        return v if 1 <= v <= 12 else None
    return rules.months.get(_key(raw))


def _weekday_of(c: _Cand, rules: _Rules) -> int | None:
    raw = c.groups.get("wd") or c.groups.get("wd2")
    if not raw:
        return None
    if c.kind in ("zymd", "zmd", "zwd"):
        return _ZH_WD.get(raw, _JA_WD.get(raw))
    key = _key(raw)
    for suffix in ("abend", "morgen", "nachmittag", "vormittag", "mittag"):
        if key.endswith(suffix) and key[: -len(suffix)] in rules.weekdays:
            key = key[: -len(suffix)]
    return rules.weekdays.get(key)


def _resolve_absolute(c: _Cand, rules: _Rules, pub: date | None, today: date, year_hint: int | None = None) -> tuple[date, str] | None:
    g = c.groups
    k = c.kind
    if k == "ymd":
        v = _safe_date(int(g["y"] or 0), int(g["m"] or 0), int(g["d"] or 0))
        return (v, "day") if v else None
    if k == "dmy":
        a, b, y = int(g["a"] or 0), int(g["b"] or 0), int(g["y"] or 0)
        if rules.language == "en" and g.get("s") == "/":
            a, b = b, a  # US order m/d/y
        v = _safe_date(y, b, a) or _safe_date(y, a, b)
        return (v, "day") if v else None
    if k in ("dm", "md", "zymd", "zmd"):
        m = _month_of(c, rules)
        if m is None:
            return None
        d_raw = g.get("d")
        y_raw = g.get("y")
        y = (_zh_int(y_raw) if k == "zymd" else int(y_raw)) if y_raw else None
        if d_raw is None:  # zh month (+ part of month)
            if y is not None:
                return (date(y, m, 1), "month")
            return None
        d = _zh_int(d_raw) if k in ("zymd", "zmd") else int(d_raw)
        if y is not None:
            v = _safe_date(y, m, d)
            return (v, "day") if v else None
        wd = _weekday_of(c, rules)
        if pub is None and wd is not None:
            v = _weekday_year(m, d, wd, today, year_hint)
            return (v, "day") if v else None
        return None
    if k == "my":
        m = _month_of(c, rules)
        return (date(int(g["y"] or 0), m, 1), "month") if m else None
    if k in ("y", "zy"):
        return (date(int(g["y"] or 0), 1, 1), "year")
    return None


_VERB_SECOND = {"de"}  # "Am Freitag soll …": the future verb follows the weekday


def _is_future(text: str, start: int, rules: _Rules) -> bool:
    if rules.future_words is None:
        return False
    before = text[max(0, start - 60) : start]
    after = text[start : start + 30] if rules.language in _VERB_SECOND else ""
    for stop in (". ", "。", "! ", "? ", "\n"):
        cut = before.rfind(stop)
        if cut >= 0:
            before = before[cut + len(stop) :]
        cut = after.find(stop)
        if cut >= 0:
            after = after[:cut]
    return rules.future_words.search(before) is not None or rules.future_words.search(after) is not None


def _shift_weekday(anchor: date, wd: int, direction: str) -> date:
    back = (anchor.weekday() - wd) % 7
    if direction == "past":
        return anchor - timedelta(days=back or 7)
    if direction == "future":
        ahead = (wd - anchor.weekday()) % 7
        return anchor + timedelta(days=ahead or 7)
    if direction == "onafter":
        return anchor + timedelta(days=(wd - anchor.weekday()) % 7)
    return anchor - timedelta(days=back)


def _add_months(d: date, n: int) -> date:
    idx = d.year * 12 + d.month - 1 + n
    return date(idx // 12, idx % 12 + 1, 1)


def _resolve_relative(c: _Cand, rules: _Rules, anchor: date, text: str, *, inferred: bool) -> tuple[date, str] | None:
    g = c.groups
    k = c.kind
    if k in ("dm", "md", "zmd", "zymd"):
        m = _month_of(c, rules)
        if m is None:
            return None
        if g.get("d") is None:
            return (_nearest_month(m, anchor), "month")
        d = _zh_int(g["d"] or "0") if k in ("zmd", "zymd") else int(g["d"] or 0)
        v = _nearest_year(m, d, anchor)
        return (v, "day") if v else None
    if k == "m":
        m = _month_of(c, rules)
        return (_nearest_month(m, anchor), "month") if m else None
    if k == "wd":
        wd = _weekday_of(c, rules)
        if wd is None:
            return None
        if g.get("past") or g.get("ppast"):
            direction = "past"
        elif g.get("fut") or g.get("pfut") or _is_future(text, c.start, rules):
            direction = "future"
        else:
            direction = "onafter" if inferred else "default"
        return (_shift_weekday(anchor, wd, direction), "day")
    if k == "zwd":
        wd = _weekday_of(c, rules)
        if wd is None:
            return None
        rel = g.get("rel") or ""
        if rel.startswith(("上", "先")):
            monday = anchor - timedelta(days=anchor.weekday() + 7)
            return (monday + timedelta(days=wd), "day")
        if rel.startswith(("下", "来")):
            monday = anchor - timedelta(days=anchor.weekday() - 7)
            return (monday + timedelta(days=wd), "day")
        if rel:  # 本周四: the Thursday of this week
            return (anchor - timedelta(days=anchor.weekday()) + timedelta(days=wd), "day")
        direction = "future" if _is_future(text, c.start, rules) else ("onafter" if inferred else "default")
        return (_shift_weekday(anchor, wd, direction), "day")
    if k == "rel":
        for i, (unit, off) in enumerate(rules.rel_units):
            if g.get(f"r{i}"):
                return _offset(anchor, unit, off)
        return None
    if k == "ago":
        n_raw = (g.get("n") or "").lower()
        n = int(n_raw) if n_raw.isdigit() else rules.ago_numbers.get(n_raw, 1)
        u_raw = (g.get("u") or "").lower()
        for prefix, unit in rules.ago_units:
            if u_raw.startswith(prefix):
                return _offset(anchor, unit, -n)
        return None
    return None


def _offset(anchor: date, unit: str, n: int) -> tuple[date, str]:
    if unit == "d":
        return (anchor + timedelta(days=n), "day")
    if unit == "w":
        return (anchor + timedelta(days=7 * n), "day")
    if unit == "m":
        return (_add_months(anchor, n), "month")
    return (date(anchor.year + n, 1, 1), "year")


# --------------------------------------------------------------------------- comparison helpers


_WEEK_WORDS = re.compile(
    "|".join(p for rels in _REL.values() for p, unit, _ in rels if unit == "w"), re.IGNORECASE
)


def _pub_date(published_at: datetime | date | None) -> date | None:
    if isinstance(published_at, datetime):
        return published_at.date()
    return published_at


def date_of_event(dates: Sequence[DateMention], published_at: datetime | date | None) -> date | None:
    """Best estimate of when the reported event happened.

    The most mentioned day-precision date near publication (from 31 days before
    to 7 days after it; ties go to the date nearest publication); dates outside
    that window are background. Week expressions ("last week", "本周") count a
    quarter, since they only say the week. With no such date, the publication
    date; in an undated article, the most mentioned day (ties: the first
    mentioned, as leads state the event first). ``None`` when nothing dates the article.

    >>> from datetime import date
    >>> ds = [DateMention("Monday", date(2020, 11, 16)), DateMention("in 2001", date(2001, 1, 1), precision="year"),
    ...       DateMention("November 16", date(2020, 11, 16)), DateMention("today", date(2020, 11, 18))]
    >>> date_of_event(ds, date(2020, 11, 18))
    datetime.date(2020, 11, 16)
    >>> date_of_event([], date(2020, 11, 18)), date_of_event([], None)
    (datetime.date(2020, 11, 18), None)
    """
    pub = _pub_date(published_at)
    days = [d for d in dates if d.precision == "day"]
    if pub is not None:
        days = [d for d in days if -31 <= (d.value - pub).days <= 7]
        if not days:
            return pub
    if not days:
        return None
    weight: dict[date, float] = {}
    first: dict[date, int] = {}
    for i, d in enumerate(days):
        weight[d.value] = weight.get(d.value, 0.0) + (0.25 if _WEEK_WORDS.search(d.text) else 1.0)
        first.setdefault(d.value, i)
    if pub is not None:
        return max(weight, key=lambda v: (weight[v], -abs((v - pub).days), v <= pub))
    return max(weight, key=lambda v: (weight[v], -first[v]))


def date_gap_days(
    a_dates: Sequence[DateMention],
    a_pub: datetime | date | None,
    b_dates: Sequence[DateMention],
    b_pub: datetime | date | None,
) -> float | None:
    """Days between the two articles' event dates (:func:`date_of_event`); ``None`` if either is unknown.

    >>> from datetime import date
    >>> date_gap_days([], date(2024, 3, 12), [DateMention("11 March 2024", date(2024, 3, 11))], None)
    1.0
    """
    a = date_of_event(a_dates, a_pub)
    b = date_of_event(b_dates, b_pub)
    if a is None or b is None:
        return None
    return float(abs((a - b).days))


def date_overlap_score(a_dates: Sequence[DateMention], b_dates: Sequence[DateMention]) -> float:
    """How much the two articles mention the same dates, in [0, 1] (0 when either mentions none).

    ``0.7 ×`` the share of the smaller side's day-precision dates that the other side
    also mentions (±1 day, for time zones) ``+ 0.3 ×`` the Jaccard overlap of the
    years mentioned. With no day-precision dates on one side, the year overlap alone.

    >>> from datetime import date
    >>> a = [DateMention("11 March 2024", date(2024, 3, 11)), DateMention("in 2013", date(2013, 1, 1), precision="year")]
    >>> b = [DateMention("Monday", date(2024, 3, 11))]
    >>> round(date_overlap_score(a, b), 2), date_overlap_score(a, [])
    (0.85, 0.0)
    """
    if not a_dates or not b_dates:
        return 0.0
    ya = {d.value.year for d in a_dates}
    yb = {d.value.year for d in b_dates}
    year_score = len(ya & yb) / len(ya | yb)
    da = {d.value for d in a_dates if d.precision == "day"}
    db = {d.value for d in b_dates if d.precision == "day"}
    if not da or not db:
        return year_score
    small, big = (da, db) if len(da) <= len(db) else (db, da)
    hits = sum(1 for v in small if any(abs((v - w).days) <= 1 for w in big))
    return 0.7 * hits / len(small) + 0.3 * year_score


def compare_dates(
    a_dates: Sequence[DateMention],
    a_pub: datetime | date | None,
    b_dates: Sequence[DateMention],
    b_pub: datetime | date | None,
) -> dict[str, object]:
    """Evidence about dates for a pair: event dates, gap, shared dates and the overlap score.

    >>> from datetime import date
    >>> compare_dates([DateMention("Monday", date(2024, 3, 11))], None, [], date(2024, 3, 12))
    {'a': '2024-03-11', 'b': '2024-03-12', 'gap_days': 1.0, 'shared': [], 'overlap_score': 0.0}
    """
    a = date_of_event(a_dates, a_pub)
    b = date_of_event(b_dates, b_pub)
    da = {d.value: d.text for d in a_dates if d.precision == "day"}
    shared = sorted({d.value.isoformat() for d in b_dates if d.precision == "day" and d.value in da})
    return {
        "a": a.isoformat() if a else None,
        "b": b.isoformat() if b else None,
        "gap_days": float(abs((a - b).days)) if a and b else None,
        "shared": shared,
        "overlap_score": round(date_overlap_score(a_dates, b_dates), 3),
    }
