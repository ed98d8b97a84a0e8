"""How ``search_kb`` reads a question: its readings (hedges dropped, the question clause alone) and which
questions are about reaching the IT service desk itself (``tools/kb_question.py``)."""

from __future__ import annotations

import pytest

from tools.kb_question import asks_how_to_reach_it, variants


def test_the_message_as_written_comes_first_and_hedges_are_dropped() -> None:
    readings = variants("what should I do if I ever lose my laptop?")
    assert readings == ["what should I do if I ever lose my laptop?", "what should I do if I lose my laptop?"]


def test_the_question_clause_is_read_without_the_situation_around_it() -> None:
    readings = variants("Going on holiday tomorrow - how do I set an out of office reply in Outlook?")
    assert readings[-1] == "how do I set an out of office reply in Outlook?"


def test_a_plain_question_has_one_reading_and_a_short_clause_is_not_read_alone() -> None:
    assert variants("how do I map a network drive") == ["how do I map a network drive"]
    assert variants("my laptop fell off the desk. is it ok?") == ["my laptop fell off the desk. is it ok?"]


@pytest.mark.parametrize("question", [
    "how do I contact IT?",
    "what's the phone number for the service desk",
    "is the helpdesk open on saturdays",
    "when does the IT service desk close today?",
    "how can I get hold of someone in IT",
    "where is the IT desk?",
    "best way to reach tech support after hours?",
])
def test_questions_about_reaching_it(question: str) -> None:
    assert asks_how_to_reach_it(question)


@pytest.mark.parametrize("question", [
    "how do I contact HR?",
    "how do I connect it to the Wi-Fi?",
    "can I call it from home?",
    "has IT looked at my ticket yet",
    "I want to talk to IT about my laptop order",
    "how do I reset my password",
])
def test_other_questions_are_not(question: str) -> None:
    assert not asks_how_to_reach_it(question)
