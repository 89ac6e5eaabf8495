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

__all__ = ["clean_text", "normalise_whitespace", "strip_consent"]

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
    r"(?:ok|x|tamam|accept|i agree|akzeptieren|zaakceptuj(?: i zamknij)?|daha fazla bilgi|more info(?:rmation)?|mehr erfahren|en savoir plus|zur datenschutzerklärung)",
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


# ------------------------------------------------------------------ consent and sign-up notices

# Sentences a site speaks to its reader about data, cookies and sign-ups, first or second person
# ("we use cookies", "your personal data", "by clicking Accept"), in the languages storyline reads.
# News reports on such subjects speak in the third person, so one cue alone removes nothing: a
# notice is a run of at least two cue sentences (a cue-free sentence between two of them goes too).
_CONSENT_CUES = [
    # English
    r"\b(?:we|our|us)\b[^.!?]{0,60}\b(?:cookies?|personal (?:data|information))\b",
    r"\byour (?:personal )?(?:data|information|consent|privacy)\b|\bwithdraw (?:your )?consent\b",
    r"\b(?:privacy (?:policy|notice|settings|statement)|cookies? (?:policy|settings|notice))\b",
    r"\bby (?:clicking|continuing to (?:use|browse)|using this (?:web)?site)\b|\bclick(?:ing)? (?:on )?[\"“']?(?:accept|agree|i agree|ok)\b",
    r"\b(?:sign up (?:to|for)|subscribe to) [^.!?]{0,50}\b(?:newsletters?|email alerts?|e-mail alerts?)\b",
    r"\b(?:thank you for subscribing|we have more newsletters|could not subscribe)\b",
    # Polish
    r"polityk\w* prywatności|polityk\w* (?:wykorzystywania )?(?:plików )?cookies?\b",
    r"\b(?:twoich|twoje|twoimi|twoim|państwa|swoje|swoich) dan\w* osobow|\bdan\w* osobow\w* (?:dostarczon|przekazan)",
    r"przetwarzani\w* (?:twoich |państwa )?danych|\bRODO\b|\badministrator\w* (?:twoich |państwa )?danych",
    r"plik\w* cookies?\b|ciasteczk|zaakceptuj|klikając (?:na |w )?(?:przycisk|„|\")|zgod\w* na przetwarzanie|wycofać zgodę",
    r"zbieramy (?:anonimowe )?(?:informacje|dane)|zapisz się na newsletter|zakładając konto",
    r"\b(?:twoj\w*|państwa) (?:prywatnoś|zgod)|\b(?:mogą|może|znajdą|znajdzie) państwo\b",
    # German
    r"datenschutz(?:erklärung|hinweis|einstellung|bestimmung|richtlinie)|personenbezogene\w* daten|\bihre? (?:daten|einwilligung)\b",
    r"\b(?:wir|seite|website|webseite) (?:verwendet|verwenden|setzt|setzen|nutzt|nutzen)\b[^.!?]{0,60}\bcookies\b|\bcookies?\b[^.!?]{0,80}\b(?:zustimm|einverstanden|akzeptier)",
    r"\b(?:mit (?:dem )?klick auf|newsletter abonnieren)\b",
    # French
    r"politique (?:de confidentialité|relative aux cookies|de cookies)|\bvos données\b|\bvotre consentement\b",
    r"\bnous (?:utilisons|collectons|déposons)\b[^.!?]{0,60}\b(?:cookies|informations|données)\b|\ben cliquant sur\b",
    r"\b(?:inscrivez-vous|abonnez-vous)\b[^.!?]{0,50}\bnewsletter\b|\bvotre adresse (?:e-?mail|mail)\b",
    # Spanish
    r"política de (?:privacidad|cookies)|\b(?:sus|tus) datos(?: personales)?\b|\b(?:tu|su) consentimiento\b",
    r"\b(?:utilizamos|usamos) (?:las |nuestras )?cookies\b|\bal hacer clic\b|\bsuscríbete\b[^.!?]{0,50}\bnewsletter\b",
    # Italian
    r"informativa (?:sulla |sui )?(?:privacy|cookie)|\b(?:tuoi|suoi) dati(?: personali)?\b|\b(?:tuo|suo) consenso\b",
    r"\b(?:utilizziamo|usiamo) (?:i )?cookie\b|\bcliccando su\b|\biscriviti\b[^.!?]{0,50}\bnewsletter\b",
    # Russian
    r"политик\w* конфиденциальности|\b(?:ваших|ваши|вашими|своих) (?:персональных |личных )?данн|файл\w* cookie|\bкуки\b",
    r"\b(?:нажимая|нажав) (?:на )?(?:кнопку|«)|\bвы соглашаетесь\b|\bподпишитесь на\b[^.!?]{0,50}\b(?:рассылк|оповещени|новост)",
    # Turkish
    r"gizlilik politika|kişisel veriler\w*|\bçerez\w*|\bKVKK\b|\bbültenimize\b",
    # Arabic
    r"سياسة الخصوصية|ملفات تعريف الارتباط|بياناتك الشخصية|اشترك في النشرة",
    # Chinese
    r"隐私政策|隐私条款|个人信息保护|使用\s*cookies?|订阅我们的",
]
_CONSENT = re.compile("|".join(f"(?:{p})" for p in _CONSENT_CUES), re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
# A title glued to the notice that follows it: "… odwołane Chcemy poznać …" (a lower-case word, then a capital).
_GLUED_START = re.compile(r"(?<=[^\W_A-ZÀ-ÞĄĆĘŁŃÓŚŹŻА-ЯЁ]) (?=[A-ZÀ-ÞĄĆĘŁŃÓŚŹŻА-ЯЁ][^\W\d_A-ZÀ-ÞĄĆĘŁŃÓŚŹŻА-ЯЁ])")


def _consent_sentences(sentences: list[str]) -> set[int]:
    cues = [i for i, s in enumerate(sentences) if _CONSENT.search(s)]
    drop: set[int] = set()
    for k, i in enumerate(cues):
        near = (k > 0 and i - cues[k - 1] <= 3) or (k + 1 < len(cues) and cues[k + 1] - i <= 3)
        if near:
            drop.add(i)
            if k + 1 < len(cues) and cues[k + 1] - i <= 3:
                drop.update(range(i + 1, cues[k + 1]))
    return drop


def strip_consent(text: str) -> str:
    """Drop the cookie, consent and sign-up notices a page shows inside its article text.

    A notice is two or more nearby sentences that speak to the reader about
    their data, cookies or a newsletter; a lone sentence on the subject stays. A
    title glued in front of the first notice sentence is kept.

    >>> strip_consent("Ferry talks resume We use cookies to improve our site. "
    ...               "By clicking Accept you agree to our privacy policy.\\nThe ferry sailed at dawn.")
    'Ferry talks resume\\nThe ferry sailed at dawn.'
    >>> strip_consent("The court ruled on the privacy policy of the app on Monday.")
    'The court ruled on the privacy policy of the app on Monday.'
    """
    if not _CONSENT.search(text):
        return text
    lines = text.split("\n")
    spans = [(li, s) for li, line in enumerate(lines) for s in _SENTENCE_END.split(line) if s]
    drop = _consent_sentences([s for _, s in spans])
    if not drop:
        return text
    kept: list[list[str]] = [[] for _ in lines]
    for k, (li, sentence) in enumerate(spans):
        if k not in drop:
            kept[li].append(sentence)
        elif k == 0:
            cue = _CONSENT.search(sentence)
            end = cue.start() if cue else 0
            starts = [m.start() for m in _GLUED_START.finditer(sentence) if m.start() < end]
            if starts and starts[-1] >= 12:
                kept[li].append(sentence[: starts[-1]])
    out = "\n".join(" ".join(parts) for li, parts in enumerate(kept) if parts or not lines[li])
    return out if out.strip() else text  # a page that is only a notice: analyse.pagekind's call


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
    return normalise_whitespace(strip_consent("\n".join(lines)))


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
