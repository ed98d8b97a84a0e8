"""The shared readings of "yes", "no" and ticket numbers (tools/patterns.py)."""

from __future__ import annotations

from datetime import date

import pytest

from tools.patterns import confirmation, confirmation_naming, find_dates, ticket_reference, yes_no_word

YES = ["yes", "Yes please", "yep do it", "Looks right, please submit.", "yes submit it", "sounds good, submit it",
       "go for it", "submit", "ok go ahead", "OK!", "sure, send it", "confirm", "perfect, thanks", "lgtm",
       "yeah that's fine", "go ahead and submit it please", "alright, place the order"]
NO = ["no", "nope", "cancel", "please cancel this", "actually no, cancel it", "on second thought, no thanks",
      "No, don't send it.", "don't submit, I'll borrow one from Carol", "hmm never mind, I found the driver",
      "forget it", "scrap that", "abort"]
NEITHER = ["no wait — the other model", "yes but make it the 16-inch", "change the location to home",
           "can I cancel it later if I don't need it?", "how long will it take?", "thanks", "where do I collect it?",
           "actually make it 3 days", "what does it cost?", "hold on, I need to check with my manager first"]


@pytest.mark.parametrize("text", YES)
def test_the_usual_ways_of_saying_yes(text: str) -> None:
    assert confirmation(text) is True


@pytest.mark.parametrize("text", NO)
def test_the_usual_ways_of_calling_it_off(text: str) -> None:
    assert confirmation(text) is False


@pytest.mark.parametrize("text", NEITHER)
def test_corrections_and_questions_are_neither(text: str) -> None:
    assert confirmation(text) is None


@pytest.mark.parametrize(("text", "expected"), [("yes", True), ("Yes please", True), ("nope", False),
                                                 ("not needed", False), ("please do", True), ("maybe", None)])
def test_checkbox_words(text: str, expected: bool | None) -> None:
    assert yes_no_word(text) is expected


@pytest.mark.parametrize(("text", "bare", "expected"), [
    ("what's up with INC-42?", False, ("INC", 42)), ("SR 7 please", False, ("SR", 7)), ("#45", False, (None, 45)),
    ("ticket number 12", False, (None, 12)), ("I need 2 monitors", False, None), ("42", False, None),
    ("42", True, (None, 42)), ("my ticket from 2024", True, None)])
def test_ticket_references(text: str, bare: bool, expected: tuple[str | None, int] | None) -> None:
    assert ticket_reference(text, bare=bare) == expected


@pytest.mark.parametrize("text", ["all good", "looks good to me, submit", "fire away", "ship it", "👍",
                                  "that works", "brilliant, do it", "yeah looks fine"])
def test_more_natural_ways_to_say_yes_at_review(text: str) -> None:
    assert confirmation(text) is True


@pytest.mark.parametrize("text", ["I changed my mind", "scratch that", "don't bother", "no need anymore", "let's not",
                                  "hold off for now", "i don't need it anymore", "drop it", "hmm not yet"])
def test_changing_ones_mind_at_review_is_a_no(text: str) -> None:
    assert confirmation(text) is False


@pytest.mark.parametrize("text", ["no, change the room", "great, but change the date", "no wait, the other model"])
def test_a_change_at_review_is_neither_yes_nor_no(text: str) -> None:
    assert confirmation(text) is None


@pytest.mark.parametrize("text", ["fine by me", "sure thing", "of course", "sure, why not", "happy with that",
                                  "ok lets do it", "book it"])
def test_yes_in_a_few_more_words(text: str) -> None:
    assert confirmation(text) is True


@pytest.mark.parametrize("text", ["maybe later", "not right now", "not today", "let me think about it", "i'll pass",
                                  "I won't need it after all", "no, not needed", "hold on, I don't want to order it",
                                  "withdraw the request"])
def test_putting_it_off_is_a_no(text: str) -> None:
    assert confirmation(text) is False


@pytest.mark.parametrize(("text", "expected"), [("31/03/2027", ["2027-03-31"]), ("3/3/2027", ["2027-03-03"]),
                                                ("15.02.2027", ["2027-02-15"]), ("04/05/2027", []),
                                                ("version 1.2.2027", [])])
def test_numeric_dates_only_when_day_and_month_are_clear(text: str, expected: list[str]) -> None:
    assert find_dates(text) == expected


@pytest.mark.parametrize("text", ["thx, send it", "ty, submit", "sì, conferma", "sí, confirmo", "ja, bitte abschicken",
                                  "oui, envoie", "sim, confirmar"])
def test_thanks_and_other_languages_confirm(text: str) -> None:
    assert confirmation(text) is True


@pytest.mark.parametrize("text", ["oui, c'est bon", "sì, procedi", "ja, passt so", "sí, está bien", "sim, pode enviar",
                                  "va bene", "vas-y", "ok, tutto bene"])
def test_a_foreign_yes_in_a_few_words_confirms(text: str) -> None:
    assert confirmation(text) is True


@pytest.mark.parametrize("text", ["non, pas encore", "nein, warte", "oui mais change la date"])
def test_a_foreign_no_or_change_does_not_confirm(text: str) -> None:
    assert confirmation(text) is not True


@pytest.mark.parametrize(("text", "expected"), [
    ("end of january 2027", ["2027-01-31"]), ("end of feb", ["2027-02-28"]), ("start of march 2027", ["2027-03-01"]),
    ("end of december", ["2026-12-31"]), ("next friday", ["2026-12-04"]), ("on monday", ["2026-12-07"]),
    ("tuesday", ["2026-12-08"]),  # today is a Tuesday: the coming one
    ("starts monday 3 feb 2027", ["2027-02-03"]),  # a written-out date wins over the weekday beside it
])
def test_month_ends_and_weekdays(text: str, expected: list[str]) -> None:
    assert find_dates(text, today=date(2026, 12, 1)) == expected


@pytest.mark.parametrize("text", ["sí, pero cambia el modelo", "ja, aber ändere das Datum"])
def test_a_foreign_yes_with_a_change_is_not_a_confirmation(text: str) -> None:
    assert confirmation(text) is not True


@pytest.mark.parametrize("text", ["forget the request", "scrap that, forget the whole thing"])
def test_forgetting_the_request_calls_it_off(text: str) -> None:
    assert confirmation(text) is False


@pytest.mark.parametrize(("text", "said"), [
    ("yes, order the dock", True), ("ok great, submit the docking station one", True), ("yes log that ticket", True),
    ("yes but change the dock", None), ("the dock", None), ("no, not the dock", None),  # left to the model
])
def test_a_confirmation_may_name_what_it_confirms(text: str, said: bool | None) -> None:
    assert confirmation_naming(text, ["Docking station"]) is said


def test_a_polite_question_to_go_ahead_is_a_yes_and_leave_it_is_a_no() -> None:
    assert confirmation("ok, could you submit it please?") is True
    assert confirmation("can you log it") is True
    assert confirmation("can you submit it later?") is None  # a question about it, not a yes
    assert confirmation("on second thought leave it, we'll use teams") is False
    assert confirmation("leave it on my desk please") is None
