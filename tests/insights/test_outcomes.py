"""Outcome classes of scripted conversations: each class, and the edges between them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from copilot.insights.events import parse
from copilot.insights.outcomes import Facts, classify, summarise
from tests.insights.script import T0, Script


def facts_of(script: Script) -> Facts:
    rows = [parse(f"{1_700_000_000_000 + n}-0", e.model_dump(mode="json")) for n, e in enumerate(script.events)]
    found = summarise(rows)
    assert found is not None
    return found


def outcome(script: Script, hours_later: float = 100) -> tuple[str, str]:
    facts = facts_of(script)
    return classify(facts, facts.last_at + timedelta(hours=hours_later))


def test_confident_answer_with_thumbs_up_is_resolved() -> None:
    assert outcome(Script("c").kb("confident").thumbs(True)) == ("resolved", "KB answer with thumbs-up")


def test_request_submitted_is_resolved() -> None:
    script = Script("c").start_request().answer_field(review=True).submit()
    assert outcome(script) == ("resolved", "request submitted")
    assert facts_of(script).dropoff_field is None


def test_licence_and_status_answers_are_resolved() -> None:
    assert outcome(Script("c").licence()) == ("resolved", "licence answer")
    assert outcome(Script("c").status()) == ("resolved", "ticket status answer")


def test_answer_without_rating_is_only_likely_resolved_and_only_after_the_window() -> None:
    script = Script("c").kb("confident")
    assert outcome(script, hours_later=1) == ("pending", "answer shown, waiting out the window")
    assert outcome(script, hours_later=71.9)[0] == "pending"
    assert outcome(script, hours_later=72.1) == ("likely_resolved", "answer shown, no further question or ticket")


def test_plausible_suggestions_then_thanks_is_likely_resolved() -> None:
    script = Script("c").kb("plausible").chat()  # "thanks!": small talk is no further question
    assert outcome(script)[0] == "likely_resolved"


def test_a_followup_ticket_on_the_topic_is_not_resolved() -> None:
    facts = facts_of(Script("c").kb("confident"))
    facts.followup_ticket = 4242
    assert classify(facts, facts.last_at + timedelta(days=5)) == ("not_resolved", "ticket on the topic within 72 h")


def test_handover_is_escalated_with_its_reason_even_after_a_thumbs_up() -> None:
    assert outcome(Script("c").kb("confident").thumbs(True).handover("button")) == (
        "escalated", "employee asked for a person")
    assert outcome(Script("c").unclear().unclear().handover("auto:failed_turns"))[1] == "repeated failed turns"
    assert outcome(Script("c").handover("urgent_word")) == ("escalated", "urgent report")


def test_incident_created_is_escalated() -> None:
    assert outcome(Script("c").incident()) == ("escalated", "incident created")


def test_thumbs_down_is_not_resolved_even_with_an_answer() -> None:
    assert outcome(Script("c").kb("confident").thumbs(False)) == ("not_resolved", "thumbs-down")
    assert outcome(Script("c").kb("confident").not_helpful(offered="article")) == ("not_resolved", "thumbs-down")


def test_thumbs_up_after_thumbs_down_counts_the_last_one() -> None:
    script = Script("c").kb("confident").thumbs(False).not_helpful(offered="article").thumbs(True)
    assert outcome(script) == ("resolved", "KB answer with thumbs-up")


def test_thumbs_up_on_a_plausible_suggestion_is_not_called_resolved() -> None:
    # only a confident answer with a thumbs-up is "resolved"; suggestions wait out the window
    assert outcome(Script("c").kb("plausible").thumbs(True))[0] == "likely_resolved"


def test_abandoned_after_a_decline_is_not_resolved() -> None:
    assert outcome(Script("c").kb("none")) == ("not_resolved", "abandoned after a decline")
    assert outcome(Script("c").licence(known=False)) == ("not_resolved", "abandoned after a decline")
    assert outcome(Script("c").unclear()) == ("not_resolved", "abandoned after a decline")


def test_an_answer_after_a_decline_clears_it() -> None:
    assert outcome(Script("c").kb("none").kb("confident").thumbs(True))[0] == "resolved"


def test_a_decline_after_an_answer_is_not_resolved() -> None:
    assert outcome(Script("c").kb("confident").kb("none")) == ("not_resolved", "abandoned after a decline")


def test_request_abandoned_names_the_field_it_stopped_at() -> None:
    script = Script("c").start_request(field_name="location").answer_field(next_field="delivery_date")
    assert outcome(script) == ("not_resolved", "request abandoned (delivery_date)")
    assert outcome(Script("c").start_request().answer_field(review=True)) == (
        "not_resolved", "request abandoned (review (not confirmed))")


def test_employee_cancelling_a_write_is_not_resolved() -> None:
    assert outcome(Script("c").cancel_write()) == ("not_resolved", "employee cancelled")


def test_greetings_only_have_nothing_to_measure() -> None:
    assert outcome(Script("c").chat().chat()) == ("no_outcome", "no question answered or declined")


def test_a_conversation_without_a_turn_has_no_facts() -> None:
    script = Script("c").thumbs(True)
    rows = [parse("1-0", e.model_dump(mode="json")) for e in script.events]
    assert summarise(rows) is None


@pytest.mark.parametrize(("script", "intent"), [
    (Script("c").kb("confident"), "knowledge question"),
    (Script("c").licence(), "software licence"),
    (Script("c").start_request(), "catalog request"),
    (Script("c").chat().status(), "ticket status"),
    (Script("c").chat(), "small talk"),
])
def test_intent_is_the_first_tool_used(script: Script, intent: str) -> None:
    assert facts_of(script).intent == intent


def test_no_message_text_reaches_the_analytics() -> None:
    script = Script("c").kb("confident")
    rows = [parse("1-0", e.model_dump(mode="json")) for e in script.events]
    assert all("reset my password" not in r.model_dump_json() for r in rows)
    assert T0 < rows[0].at
