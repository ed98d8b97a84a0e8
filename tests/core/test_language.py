"""Language identification and the keyword gloss the offline model reads (copilot/language.py).

The messages are short, the way employees type, with English IT words inside ("mi VPN no funciona"): the
hard case for n-gram models. English ones must never be taken for another language (a notice in Dutch on
"hi" or "Berlin - Spree" would be absurd), and a message that says too little is ``None``, not a guess.
"""

from __future__ import annotations

import pytest

from copilot import language


@pytest.mark.parametrize(("text", "code"), [
    ("mi VPN no funciona", "es"), ("olvidé mi contraseña", "es"), ("hay licencias libres de Jira?", "es"),
    ("Drucker druckt nicht", "de"), ("Ich habe mein Passwort vergessen", "de"), ("Zeig mir bitte meine Tickets", "de"),
    ("mon VPN ne marche pas", "fr"), ("j'ai oublié mon mot de passe", "fr"), ("merci", "fr"),
    ("minha VPN não conecta", "pt"), ("esqueci minha senha", "pt"), ("Olá, tudo bem?", "pt"),
    ("la VPN non funziona", "it"), ("ho dimenticato la password", "it"), ("Ciao!", "it"),
    ("mijn VPN werkt niet", "nl"), ("ik ben mijn wachtwoord vergeten", "nl"), ("Goedemorgen!", "nl"),
    ("VPN mi nie działa", "pl"), ("drukarka nie drukuje", "pl"), ("Dzień dobry", "pl"),
])
def test_short_messages_in_other_languages(text: str, code: str) -> None:
    found = language.identify(text)
    assert found.code == code and found.foreign


@pytest.mark.parametrize("text", [
    "my vpn doesnt wrk", "shw me my tickts", "hi", "thx", "cheers mate", "any free lisences for jira",
    "did lena sign off my intellij request yet?", "docking station, office desk", "zoom pro licence request please",
    "thanks — and the portal address again, in English please?", "who's holding up my IntelliJ licence?",
])
def test_english_with_typos_and_product_names_is_never_taken_for_another_language(text: str) -> None:
    found = language.identify(text)
    assert not found.foreign and found.code in ("en", None)  # None: too little to tell, which is not foreign


@pytest.mark.parametrize("text", ["VPN", "Windows", "Berlin - Spree", "#7 status?", "macOS", "🍕🍕🍕", "", "7", "usb-a"])
def test_messages_that_say_too_little_are_not_guessed(text: str) -> None:
    assert language.identify(text).code is None


def test_gloss_gives_the_offline_model_english_keywords_and_keeps_names() -> None:
    assert language.gloss("mi VPN no funciona desde casa", "es") == "my vpn is not working from home"
    assert language.gloss("Drucker druckt nicht", "de") == "printer is not printing"
    assert "free licences" in language.gloss("czy są wolne licencje na Postmana?", "pl",
                                             known=lambda word: word == "postman")
    assert "postman" in language.gloss("czy są wolne licencje na Postmana?", "pl", known=lambda word: word == "postman")
    assert language.gloss("oui, envoie", "fr").replace(",", "") == "yes submit"


def test_a_vague_message_glosses_to_nothing_so_it_is_not_understood() -> None:
    for text, code in [("ça ne va pas du tout", "fr"), ("coś jest nie tak", "pl"), ("het doet weer raar", "nl"),
                       ("no sé qué pasa con esto", "es")]:
        assert language.gloss(text, code, known=lambda word: False) == ""


def test_english_text_reaches_the_offline_model_unchanged() -> None:
    text = "My VPN keeps dropping since the update"
    assert language.for_offline_model(text) == text


def test_every_language_has_a_notice_that_names_english_in_that_language() -> None:
    word_for_english = {"es": "inglés", "de": "Englisch", "fr": "anglais", "pt": "inglês", "it": "inglese",
                        "nl": "Engels", "pl": "angielsku"}
    assert set(language.NOTICE) == set(language.SUPPORTED) == set(language.OFFER_PERSON)
    for code, word in word_for_english.items():
        assert word in language.notice(code) and "\n" not in language.notice(code)
        assert "Talk to the IT team" in language.offer_person(code)
