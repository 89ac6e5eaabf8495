"""Text clean-up shared by every reader: boilerplate lines, tweet signatures, glued words.

Everything here is conservative: a line is dropped only when the whole line is
boilerplate ("Share on Facebook", "Read more", "相关阅读", "Читайте также …"),
and words are only re-spaced where the glue is unambiguous ("country.It" →
"country. It", never "U.S." or "4.5" or "example.com").

>>> clean_text("Share on Facebook\\nThe talks resumed in Doha , amid hope.It was the first round.\\nRead more")
'The talks resumed in Doha, amid hope. It was the first round.'
"""

from __future__ import annotations

import re

__all__ = ["clean_text", "normalise_whitespace"]

# ------------------------------------------------------------------ whitespace

_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\x00]")
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalise_whitespace(text: str) -> str:
    """One ``\\n`` per line break, single spaces, no blank-line runs, stripped.

    >>> normalise_whitespace("  a\\r\\n\\r\\n\\r\\n b\\t\\tc  ")
    'a\\n\\nb c'
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


# ------------------------------------------------------------------ tweets

# "… https://t.co/wwR3kh91tL", "pic.twitter.com/AbC123"
_TCO = re.compile(r"\s*(?:https?://t\.co/[A-Za-z0-9]+|(?:https?://)?pic\.twitter\.com/[A-Za-z0-9]+)")
# "– Secretary Pompeo (@SecPompeo) 1605987607000", "— Jane Doe (@jdoe) November 21, 2020"
_TWEET_SIGNATURE = re.compile(
    r"\s*[—–-]{1,2}\s*[^\n()—–]{0,80}?\(@[A-Za-z0-9_]{1,15}\)"
    r"(?:\s+(?:\d{10,13}|[^\n]{0,30}?\b(?:19|20)\d{2}))?\s*$"
)


def _strip_tweet(line: str) -> str:
    if "t.co/" not in line and "pic.twitter.com/" not in line and "(@" not in line:
        return line
    line = _TCO.sub("", line)
    line = _TWEET_SIGNATURE.sub("", line)
    return line.strip()


# ------------------------------------------------------------------ boilerplate lines

_SOCIAL = r"(?:facebook|twitter|x|whatsapp|telegram|linkedin|instagram|youtube|tiktok|e-?mail|reddit|pinterest|vk|weibo|wechat|微信|微博)"
_BOILERPLATE_PATTERNS = [
    # English
    rf"share(?: this)?(?: article| story| post| page)?(?: (?:on|via|with) {_SOCIAL})?",
    rf"(?:share|tweet|email|print|comment|comments|save)(?: (?:on|via) {_SOCIAL})?",
    r"(?:related|recommended|more|similar|latest|top|most read|trending)(?: (?:articles?|stories|news|content|posts|coverage|reading|videos?|on this topic))?",
    r"(?:read (?:more|also|next|the full (?:story|article))|also read|see also|you may also like|you might also like|more on this story)(?:[ :>›»].{0,100})?",
    r"back to top(?: button)?",
    r"(?:skip to (?:main )?content|leave a (?:comment|reply)|loading(?:\.\.\.|…)?|listen to (?:this )?article)",
    r"(?:advertisement|advertising|sponsored(?: content)?|ad|scroll to continue(?: with content)?)",
    r"(?:subscribe|sign up)(?: (?:now|today|here))?(?: (?:to|for) (?:our|the|a) (?:free )?(?:daily |weekly )?newsletters?.{0,60})?",
    r"get (?:our|the) (?:free )?(?:daily |weekly )?newsletter.{0,60}",
    r"follow us on .{1,60}",
    r"click here\b.{0,120}",
    r"(?:we|this (?:web)?site|our (?:web)?site) uses? cookies\b.{0,300}",
    r"(?:accept|manage) (?:all )?cookies.{0,80}",
    r"(?:©|\(c\)|copyright\s*(?:©|\(c\))?\s*(?:19|20)\d{2}).{0,160}",
    r".{0,160}\ball rights reserved\b.{0,80}",
    # German
    r"(?:teilen|artikel teilen|auf (?:facebook|twitter|whatsapp) teilen|drucken|kommentare?)",
    r"(?:mehr zum thema|lesen sie auch|auch interessant|das könnte sie auch interessieren)(?:[ :].{0,100})?",
    r"(?:weiterlesen|zum seitenanfang|nach oben)",
    r"(?:anzeige|werbung)",
    r"(?:newsletter abonnieren|jetzt abonnieren|folgen sie uns auf .{1,60})",
    # French
    r"(?:partager|partagez)(?: (?:sur|via) {_SOCIAL})?(?: cet article)?".replace("{_SOCIAL}", _SOCIAL),
    r"(?:à lire aussi|a lire aussi|lire aussi|voir aussi|articles? similaires|sur le même sujet)(?:[ :].{0,100})?",
    r"(?:lire la suite|retour en haut(?: de (?:la )?page)?)",
    r"(?:publicité|abonnez-vous(?: à (?:notre|la) newsletter)?.{0,60}|suivez-nous sur .{1,60})",
    # Spanish
    rf"compartir(?: (?:en|por) {_SOCIAL})?",
    r"(?:lea también|lee también|ver también|noticias relacionadas|te puede interesar)(?:[ :].{0,100})?",
    r"(?:leer más|volver arriba)",
    r"(?:publicidad|suscríbete.{0,80}|síguenos en .{1,60})",
    # Italian, Polish, Turkish
    r"(?:leggi anche|czytaj (?:także|też)|zobacz (?:też|także)|ilgili haberler)(?:[ :].{0,100})?",
    r"(?:condividi|pubblicità|udostępnij|czytaj więcej|reklama|paylaş|reklam)",
    # Russian
    r"(?:читайте также|читать также|материалы по теме|новости по теме|похожие новости)(?:[ :].{0,120})?",
    r"(?:поделиться|реклама|наверх)",
    r"подписывайтесь на .{1,80}",
    # Arabic
    r"(?:اقرأ أيضا|اقرأ أيضاً|إقرأ أيضا|إقرأ أيضاً|مواضيع ذات صلة|أخبار ذات صلة)(?:[ :].{0,120})?",
    r"(?:اقرأ المزيد|إعلان|العودة للأعلى)",
    r"(?:شارك|مشاركة)(?: (?:على|عبر) .{1,40})?",
    r"تابعونا (?:على|عبر) .{1,60}",
    # Chinese
    r"(?:分享到|分享至)[:：]?.{0,60}|分享",
    r"(?:相关阅读|相关新闻|相关文章|相关报道|延伸阅读|推荐阅读)(?:[:：].{0,80})?",
    r"返回顶部|打印本页|关闭窗口|点击查看.{0,40}|扫一扫.{0,40}|广告",
    r"(?:[\[【(（](?:责任编辑|编辑|校对|纠错)[\]】)）]|(?:责任编辑|编辑|校对)[:：])\s*\S{0,20}",
]
_BOILERPLATE = re.compile(r"^(?:" + "|".join(f"(?:{p})" for p in _BOILERPLATE_PATTERNS) + r")$", re.IGNORECASE)
_TRAILING_NOISE = re.compile(r"[\s.:：!|>›»→▶►…]+$")
_LEADING_NOISE = re.compile(r"^[\s|•·>›»→▶►]+")
_BARE_URL = re.compile(r"^(?:<)?(?:https?://|www\.)\S+?(?:>)?$", re.IGNORECASE)
_ONLY_MARKERS = re.compile(r"^[|•·>›»→▶►\s]+$")
_MAX_BOILERPLATE_LINE = 320


def _is_boilerplate(line: str) -> bool:
    if len(line) > _MAX_BOILERPLATE_LINE:
        return False
    if _BARE_URL.match(line):
        return True
    core = _TRAILING_NOISE.sub("", _LEADING_NOISE.sub("", line))
    if not core:
        return _ONLY_MARKERS.match(line) is not None
    return _BOILERPLATE.match(core) is not None


# "Asia PacificPeacePolitics": navigation words glued together above the title.
_SECTION_NAMES = {
    "world", "news", "politics", "business", "economy", "sport", "sports", "opinion", "europe", "asia", "africa",
    "americas", "middle east", "asia pacific", "us", "uk", "tech", "technology", "science", "health", "culture",
    "peace", "security", "conflict", "video", "analysis", "features", "entertainment", "environment", "climate",
}
_GLUE_POINT = re.compile(r"[a-z]{2}[A-Z][a-z]")
_SECTION_LINE = re.compile(r"^[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*$")


def _is_section_line(line: str) -> bool:
    if len(line) > 60 or not _SECTION_LINE.match(line):
        return False
    glue = len(_GLUE_POINT.findall(line))
    if glue >= 2:
        return True
    if glue == 1:
        parts = re.sub(r"([a-z])([A-Z])", r"\1\n\2", line).split("\n")
        return all(p.lower() in _SECTION_NAMES for p in parts)
    return False


# ------------------------------------------------------------------ glued words

_SPACE_BEFORE_COMMA = re.compile(r"(?<=\w) +,(?=\s|$)")
_SPACED_CLOSING_QUOTE = re.compile(r"(?<=\w)([,.]) ”(?=\w)")
_GLUED_SENTENCE = re.compile(r"(?<![\w.@/\\:-])([^\W\d_]{2,})\.([^\W\d_][^\W\d_]+)")


def _unglue_sentence(match: re.Match[str]) -> str:
    left, right = match.group(1), match.group(2)
    # "country.It", "Tuesday.The"; never "U.S.", "McDonald.Com"-like all-caps or mixed tokens
    left_ok = left.islower() or (len(left) >= 3 and left[0].isupper() and left[1:].islower())
    if left_ok and right[0].isupper() and right[1:2].islower():
        start = match.string.rfind(" ", 0, match.start()) + 1
        end = match.string.find(" ", match.end())
        token = match.string[start : end if end >= 0 else len(match.string)]
        if "/" in token or "@" in token or "www." in token.lower():
            return match.group(0)
        return f"{left}. {right}"
    return match.group(0)


# Function words that a stripped link glues to the linked name: "met withTaliban", "inAfghanistan".
# Only these are split off, so brand names (iPhone, eBay, YouTube, McDonald) stay whole.
_GLUE_WORDS = frozenset(
    "a an the in on at of to for from with by and or as into over near after before about against between "
    "during since under than that said says told met visited called "
    "der die das den dem des und mit von für auf aus bei nach zum zur "
    "le la les des du de et en au aux avec pour par sur dans "
    "el la los las del y en con por para sobre".split()
)
_GLUED_WORD = re.compile(r"(?<![\w.@/\\:-])([a-zà-ÿ]{1,8})([A-ZÀ-Þ][a-zà-ÿ]{2,})")


def _unglue_word(match: re.Match[str]) -> str:
    left, right = match.group(1), match.group(2)
    return f"{left} {right}" if left in _GLUE_WORDS else match.group(0)


def _repair_glue(line: str) -> str:
    line = _SPACE_BEFORE_COMMA.sub(",", line)
    line = _SPACED_CLOSING_QUOTE.sub(r"\1” ", line)
    line = _GLUED_WORD.sub(_unglue_word, line)
    return _GLUED_SENTENCE.sub(_unglue_sentence, line)


# ------------------------------------------------------------------ public


def _clean_once(text: str) -> str:
    lines: list[str] = []
    for line in normalise_whitespace(text).split("\n"):
        if line:
            line = _strip_tweet(line)
            if not line or _is_boilerplate(line):
                continue
            line = _repair_glue(line)
        lines.append(line)
    nonempty = [i for i, line in enumerate(lines) if line]
    while len(nonempty) >= 2 and _is_section_line(lines[nonempty[0]]):
        lines[nonempty.pop(0)] = ""
    return normalise_whitespace("\n".join(lines))


def clean_text(text: str) -> str:
    """Drop boilerplate lines and tweet signatures, repair glued words, normalise whitespace.

    Idempotent: ``clean_text(clean_text(t)) == clean_text(t)``.

    >>> clean_text("Asia PacificPeacePolitics\\n\\nTaliban and US hold talks\\n\\nThey met in Qatar.\\n\\nRelated Articles")
    'Taliban and US hold talks\\n\\nThey met in Qatar.'
    >>> clean_text("Talks in Doha. https://t.co/AbC123 – Jane Doe (@jdoe) 1605987607000")
    'Talks in Doha.'
    >>> clean_text("U.S. troops fell to 4.5 thousand.Officials said so. 分享到：微信\\n责任编辑：王明")
    'U.S. troops fell to 4.5 thousand. Officials said so. 分享到：微信'
    """
    for _ in range(6):
        cleaned = _clean_once(text)
        if cleaned == text:
            break
        text = cleaned
    return text
