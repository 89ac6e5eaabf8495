"""clean_text: boilerplate lines, tweet signatures, glued words, idempotence."""

from __future__ import annotations

import pytest

from storyline.ingest import clean_text


@pytest.mark.parametrize(
    "line",
    [
        "Share on Facebook",
        "Share this article",
        "Related Articles",
        "Read more",
        "Read more: Storm cuts power on Kessa",
        "Back to top",
        "Back to top button",
        "Advertisement",
        "Subscribe to our newsletter",
        "Follow us on Twitter",
        "We use cookies to improve your experience on our site.",
        "Click here to read the full report",
        "© 2021 Harbour News. All rights reserved.",
        "Copyright 2021 Harbour News",
        "https://harbour.example/ferry",
        "www.harbour.example",
        "Auf Facebook teilen",
        "Lesen Sie auch: Sturm auf Kessa",
        "Anzeige",
        "Partager sur Facebook",
        "Lire aussi : La tempête prive l'île d'électricité",
        "Publicité",
        "Compartir en Facebook",
        "Noticias relacionadas",
        "Publicidad",
        "分享到：",
        "相关阅读",
        "责任编辑：李明",
        "【责任编辑】",
        "اقرأ أيضا: العاصفة تقطع الكهرباء",
        "تابعونا على تويتر",
        "Читайте также: Шторм оставил остров без света",
        "Поделиться",
    ],
)
def test_boilerplate_lines_are_dropped(line: str) -> None:
    text = f"The ferry resumed on Tuesday.\n{line}\nPassengers queued early."
    assert clean_text(text) == "The ferry resumed on Tuesday.\nPassengers queued early."


@pytest.mark.parametrize(
    "line",
    [
        "Copyright law was debated in parliament on Tuesday.",
        "Share prices rose after the ferry company reported profits.",
        "分享经济在港口城市发展迅速。",
        "编辑部发表声明，感谢读者支持。",
        "Related talks will continue next week, the mayor said.",
        "Follow-up inspections are planned for March.",
        "The advertisement campaign cost 2 million euros.",
        "Read the statement in full on the council's website, she said.",
    ],
)
def test_real_sentences_are_kept(line: str) -> None:
    assert clean_text(line) == line


def test_tweet_signatures() -> None:
    text = (
        "Boats are running again to Kessa. Thanks to the crews… https://t.co/Xy12AbCdEf – Mayor Ilse Varga (@MayorVargaPL) 1612872000000\n"
        "Storm is over. pic.twitter.com/AbCdEf123 — Harbour Office (@HarbourOffice) February 9, 2021\n"
        "— Port Lindow (@PortLindow) 9 février 2021\n"
        "Contact the desk at news@harbour.example (@HarbourNews is our account)."
    )
    assert clean_text(text) == (
        "Boats are running again to Kessa. Thanks to the crews…\n"
        "Storm is over.\n"
        "Contact the desk at news@harbour.example (@HarbourNews is our account)."
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Negotiators met in Doha , amid signs of progress.", "Negotiators met in Doha, amid signs of progress."),
        ("in the war-torn country.It was the first meeting.", "in the war-torn country. It was the first meeting."),
        ("The mayor spoke on Tuesday.The crews worked all night.", "The mayor spoke on Tuesday. The crews worked all night."),
        ("a permanent ceasefire, ”Pompeo said.", "a permanent ceasefire,” Pompeo said."),
        ("в стране.Это было первое заседание.", "в стране. Это было первое заседание."),
        ("U.S. troops", "U.S. troops"),
        ("U.S.Army units", "U.S.Army units"),
        ("growth of 4.5 percent", "growth of 4.5 percent"),
        ("see www.harbour.example/News.Html now", "see www.harbour.example/News.Html now"),
        ("write to desk@harbour.Example", "write to desk@harbour.Example"),
        ("e.g.The list", "e.g.The list"),
        ("Mr.Smith arrived", "Mr.Smith arrived"),
        ("1 , 2 and 3", "1, 2 and 3"),
    ],
)
def test_glued_word_repair_is_conservative(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_section_names_above_the_title_are_dropped_only_at_the_top() -> None:
    assert clean_text("Asia PacificPeacePolitics\n\nTitle here\n\nBody.") == "Title here\n\nBody."
    assert clean_text("WorldEurope\nTitle here\nBody.") == "Title here\nBody."
    assert clean_text("Title here\nAsia PacificPeacePolitics\nBody.") == "Title here\nAsia PacificPeacePolitics\nBody."
    assert clean_text("MacDonald\nBody text.") == "MacDonald\nBody text."
    assert clean_text("Asia PacificPeacePolitics") == "Asia PacificPeacePolitics"


def test_whitespace_is_normalised() -> None:
    assert clean_text("  One\u00a0 two\t\tthree  \r\n\r\n\r\n\r\nFour\u2028Five\u200b ") == "One two three\n\nFour\nFive"


@pytest.mark.parametrize(
    "text",
    [
        "Read more\nRead more\nRead more",
        "Asia PacificPeacePolitics\nWorldEurope\nTitle\nBody.",
        "x.Yy.Zz a , b , c",
        "Share\n\n\nAdvertisement\n\nText.It goes on , and on.",
    ],
)
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


def test_function_words_glued_to_a_linked_name_are_split_but_brands_are_not() -> None:
    text = "The general met withTaliban envoys inDoha; iPhone, eBay and YouTube stayed whole, as did https://x.org/inFoo."
    cleaned = clean_text(text)
    assert "with Taliban" in cleaned and "in Doha" in cleaned
    assert "iPhone" in cleaned and "eBay" in cleaned and "YouTube" in cleaned and "https://x.org/inFoo" in cleaned


# ------------------------------------------------------------------ consent and sign-up notices (fixtures written here)


@pytest.mark.parametrize(
    ("notice", "title"),
    [
        (
            "We use cookies to measure traffic on our site. By clicking Accept you agree to our privacy policy.",
            "Ferry service resumes after storm",
        ),
        (
            "Dbamy o Twoje dane osobowe i zgodnie z RODO informujemy o ich przetwarzaniu. "
            "Administratorem Twoich danych jest wydawca serwisu. Klikając przycisk „Akceptuję” wyrażasz zgodę na przetwarzanie danych.",
            "Prom znów kursuje po sztormie",
        ),
        (
            "Wir nutzen auf dieser Webseite Cookies, damit das Angebot besser wird. "
            "Weitere Hinweise finden Sie in unserer Datenschutzerklärung.",
            "Fähre fährt wieder nach dem Sturm",
        ),
        (
            "Мы используем файлы cookie на нашем сайте. Продолжая чтение, вы соглашаетесь с нашей политикой конфиденциальности.",
            "Паром снова ходит после шторма",
        ),
        (
            "Nous utilisons des cookies pour mesurer l'audience. En cliquant sur Accepter, vous acceptez notre politique de confidentialité.",
            "Le ferry reprend après la tempête",
        ),
    ],
)
def test_consent_notices_are_dropped_and_the_article_kept(notice: str, title: str) -> None:
    body = "The crossing to Kessa reopened on Tuesday. Passengers queued from dawn."
    assert clean_text(f"{title}\n{notice}\n{body}") == f"{title}\n{body}"


def test_title_glued_to_a_notice_is_kept() -> None:
    text = "Ferry service resumes after storm We use cookies to measure traffic on our site. By clicking Accept you agree to our privacy policy."
    assert clean_text(text) == "Ferry service resumes after storm"


@pytest.mark.parametrize(
    "text",
    [
        # reports about data protection speak in the third person: nothing goes
        "The regulator fined the ferry operator over its privacy policy. The company said it would appeal.",
        "Urząd nałożył karę za naruszenie RODO. Spółka zapowiedziała odwołanie od decyzji w sprawie danych osobowych klientów.",
        "Суд рассмотрел жалобу на утечку персональных данных пассажиров. Компания отрицает нарушения.",
        # a single sentence that addresses the reader stays
        "Passengers queued from dawn. Sign up to our newsletter for daily ferry updates. The first boat left at six.",
    ],
)
def test_articles_about_privacy_keep_every_sentence(text: str) -> None:
    assert clean_text(text) == text


def test_a_page_that_is_only_a_notice_is_left_to_the_page_detector() -> None:
    notice = "Our partners store cookies to measure traffic. By clicking Accept you agree to our privacy policy."
    assert clean_text(notice) == notice
