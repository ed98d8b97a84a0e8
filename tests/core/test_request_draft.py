"""The request-draft state machine: questions, validation, corrections, cancel, review, submit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tools.request_draft import (
    Choice,
    DraftClosed,
    DraftField,
    InvalidAnswer,
    RequestDraft,
    Stage,
)

MODEL = DraftField(name="laptop_model", label="Laptop model", field_type="custom_dropdown", required=True,
                  choices=[Choice(label="MacBook Pro 14 inch", value="mbp14"),
                           Choice(label="MacBook Pro 16 inch", value="mbp16"),
                           Choice(label="Dell Latitude 7450", value="dell7450")])
REASON = DraftField(name="business_justification", label="Business justification",
                   field_type="custom_paragraph", required=True)
BAG = DraftField(name="carry_bag", label="Carry bag", field_type="custom_checkbox")
MONITORS = DraftField(name="monitors", label="Extra monitors", field_type="custom_number")


def draft() -> RequestDraft:
    return RequestDraft(item_display_id=7, item_name="New laptop", cost=Decimal("1450.00"),
                        delivery_time_hours=72, fields=[MODEL, REASON, BAG, MONITORS])


def test_asks_required_fields_in_order_then_reviews() -> None:
    d = draft()
    assert d.current_field == MODEL
    d.answer("dell")
    assert d.answers["laptop_model"] == "dell7450"
    assert d.current_field == REASON
    d.answer("my laptop is 5 years old")
    assert d.stage is Stage.REVIEW and d.current_field is None
    assert d.summary_lines() == ["Laptop model: Dell Latitude 7450", "Business justification: my laptop is 5 years old"]


def test_dropdown_rejects_unknown_and_ambiguous_answers() -> None:
    d = draft()
    with pytest.raises(InvalidAnswer, match="not an option"):
        d.answer("thinkpad")
    with pytest.raises(InvalidAnswer, match="several options"):
        d.answer("macbook")
    d.answer("MacBook Pro 16 inch")
    assert d.answers["laptop_model"] == "mbp16"


def test_typed_fields_are_validated() -> None:
    d = draft()
    with pytest.raises(InvalidAnswer, match="yes or no"):
        d.set("carry bag", "perhaps")
    d.set("carry_bag", "yes")
    with pytest.raises(InvalidAnswer, match="whole number"):
        d.set("Extra monitors", "two-ish")
    d.set("Extra monitors", "2")
    assert d.payload() == {"carry_bag": True, "monitors": 2}
    with pytest.raises(InvalidAnswer, match="no single field"):
        d.set("colour", "red")


def test_correction_in_review_keeps_review_and_payload_is_exact() -> None:
    d = draft()
    d.answer("mbp14")
    d.answer("new hire")
    d.set("laptop model", "16 inch")
    assert d.stage is Stage.REVIEW
    assert d.payload() == {"laptop_model": "mbp16", "business_justification": "new hire"}


def test_cancel_and_submit_close_the_draft() -> None:
    d = draft()
    with pytest.raises(InvalidAnswer, match="not complete"):
        d.mark_submitted(1)
    d.cancel()
    with pytest.raises(DraftClosed):
        d.answer("dell")
    e = draft()
    e.answer("dell")
    e.answer("x")
    e.mark_submitted(42)
    e.mark_submitted(42)  # a repeated confirmation is harmless
    assert e.stage is Stage.SUBMITTED and e.ticket_id == 42
    with pytest.raises(DraftClosed):
        e.set("carry bag", "yes")


def test_round_trips_through_json_with_one_idempotency_key() -> None:
    d = draft()
    d.answer("dell")
    d.set_quantity(2)
    restored = RequestDraft.model_validate_json(d.model_dump_json())
    assert restored == d
    assert restored.idempotency_key == d.idempotency_key
    assert restored.total_cost == Decimal("2900.00")
    assert restored.current_field == REASON


def test_fields_are_found_by_what_people_call_them() -> None:
    os_field = DraftField(name="operating_system", label="Operating system", field_type="custom_dropdown",
                          choices=[Choice(label="Windows", value="Windows"), Choice(label="macOS", value="macOS")])
    d = RequestDraft(item_display_id=1, item_name="Figma", fields=[os_field, REASON])
    assert d.field("OS").label == "Operating system"
    assert d.field("the reason").label == d.field("why").label == "Business justification"
    with pytest.raises(InvalidAnswer):
        d.field("room")


def test_an_email_field_holds_an_address_only() -> None:
    email = DraftField(name="contractor_email", label="Contractor email", field_type="custom_text", required=True)
    d = RequestDraft(item_display_id=1, item_name="VPN access for a contractor", fields=[email])
    with pytest.raises(InvalidAnswer, match="email address"):
        d.answer("Jo from Deloitte")
    assert d.answers == {}
    d.answer("it's jo.smith@deloitte.example")
    assert d.answers == {"contractor_email": "jo.smith@deloitte.example"}


@pytest.mark.parametrize(("text", "expected"), [("about 12", 12), ("8 of us", 8), ("1,200", 1200)])
def test_a_number_said_with_a_few_words_is_that_number(text: str, expected: int) -> None:
    d = draft()
    d.set("Extra monitors", text)
    assert d.answers["monitors"] == expected


@pytest.mark.parametrize("text", ["10-15", "a handful", "2.5", "we have 12 people in 3 teams"])
def test_a_number_field_refuses_what_is_not_one_clear_number(text: str) -> None:
    d = draft()
    with pytest.raises(InvalidAnswer):
        d.set("Extra monitors", text)
    assert "monitors" not in d.answers
