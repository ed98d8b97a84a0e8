"""The offline model's dialogue commands inside a flow: what a message proposes given what is open.

Phrasings written for these tests (not the measured conversation cases). The flows that execute the
commands are tested end to end in ``tests/conversation/test_dialogue_flows.py``.
"""

from __future__ import annotations

import pytest

from copilot.models.dialogue_state import DialogueState, FieldPrompt, FormSlot, Shown
from copilot.models.offline import shared
from copilot.models.offline.commands import (
    AnswerQuestion,
    CancelFlow,
    CorrectSlot,
    ResumeFlow,
    Route,
    SetSlot,
    StartFlow,
)
from copilot.models.offline.policy import decide, propose
from tests.models.acme import ACME

TOOLS = {"search_kb", "check_license", "find_catalog_item", "start_request", "answer_request_field",
         "change_request_field", "cancel_request", "resume_request", "my_tickets", "ticket_status", "create_incident",
         "escalate_to_human", "ask_to_rephrase"}
PHONE = [FormSlot(name="model", label="Model", field_type="custom_dropdown", required=True,
                  choices=["iPhone 16", "Samsung Galaxy S25"]),
         FormSlot(name="business_justification", label="Business justification", field_type="custom_paragraph",
                  required=True)]


def phone(model: str | None = None, stage: str = "collecting") -> DialogueState:
    why = "on call for customers" if stage == "review" else None
    form = [slot.model_copy(update={"value": model if slot.name == "model" else why}) for slot in PHONE]
    asked = next((s for s in form if s.required and s.value is None), None) if stage == "collecting" else None
    return DialogueState(draft_item="Mobile phone", stage=stage, form=form, draft_fields=[s.label for s in form],
                         awaiting="field" if asked else "confirmation" if stage == "review" else "none",
                         field=FieldPrompt(name=asked.name, label=asked.label, field_type=asked.field_type,
                                           choices=asked.choices) if asked else None)


def command(text: str, state: DialogueState) -> object:
    understood = shared().understand(text, context=shared().context_for(state) | {"vocabulary": ACME})
    return propose(text, state, understood.intent, understood.confidence, dict(understood.entities))


def test_a_value_that_fits_the_asked_choice_field_is_set() -> None:
    assert command("the samsung one pls", phone()) == SetSlot(value="Samsung Galaxy S25")


def test_a_question_inside_the_form_is_answered_not_stored() -> None:
    asked_choice = phone()
    for text in ("when would it arrive?", "how much does it cost?"):
        assert command(text, asked_choice) == AnswerQuestion(tool="find_catalog_item",
                                                             arguments={"need": "Mobile phone"}), text
    asked_text = phone(model="iPhone 16")
    decision = decide(shared(), "which one has the better camera?", asked_text, TOOLS, ACME)
    assert decision.tool == "search_kb"


def test_a_correction_while_the_justification_is_asked_changes_the_model_not_the_justification() -> None:
    state = phone(model="iPhone 16")
    assert command("oh wait, the other model", state) == CorrectSlot(field="Model", value="Samsung Galaxy S25")
    assert command("sorry — make it the Samsung", state) == CorrectSlot(field="Model", value="Samsung Galaxy S25")
    assert command("travelling to client sites every week", state) == SetSlot(
        value="travelling to client sites every week")


def test_at_review_a_bare_new_value_is_a_correction() -> None:
    state = phone(model="Samsung Galaxy S25", stage="review")
    assert command("iphone 16 instead", state) == CorrectSlot(field="Model", value="iPhone 16")
    unknown = command("no, make it the pixel", state)
    assert unknown == CorrectSlot(field="", value="pixel")  # the flow answers with the real options


def test_cancel_works_at_a_field_step() -> None:
    assert decide(shared(), "forget it, I don't need it anymore", phone(), TOOLS, ACME).tool == "cancel_request"


def test_another_request_while_a_form_is_open_starts_it_and_the_flow_parks_the_first() -> None:
    found = command("oh and I need a docking station too, can we do that first?", phone())
    assert isinstance(found, StartFlow) and found.item.lower() == "docking station"


def test_where_were_we_resumes() -> None:
    assert isinstance(command("sorry, where were we?", phone()), ResumeFlow)
    parked = DialogueState(parked_items=["Headset"])
    assert command("ok, the headset now", parked) == ResumeFlow(item="Headset", details="ok, the headset now")
    assert command("yep, the head set", parked).item == "Headset"  # type: ignore[attr-defined]


def test_references_to_what_was_just_shown() -> None:
    licence = DialogueState(last_shown=Shown(kind="licence", labels=["Adobe Acrobat Pro"], subject="Adobe Acrobat Pro"))
    assert command("what about Postman?", licence) == AnswerQuestion(tool="check_license",
                                                                   arguments={"software": "Postman"})
    assert command("great, sign me up", licence) == StartFlow(item="Adobe Acrobat Pro", details="great, sign me up")
    assert command("who would approve that?", licence) == AnswerQuestion(tool="find_catalog_item",
                                                                       arguments={"need": "Adobe Acrobat Pro"})
    items = DialogueState(last_shown=Shown(kind="items", labels=["Monitor", "Docking station", "Headset"]))
    assert command("the second one please", items) == StartFlow(item="Docking station",
                                                               details="the second one please")
    tickets = DialogueState(last_shown=Shown(kind="tickets", labels=["INC-1 VPN down", "SR-2 Monitor"]))
    assert command("the last one", tickets) == AnswerQuestion(tool="ticket_status", arguments={"ticket": "SR-2"})
    articles = DialogueState(last_shown=Shown(kind="articles", labels=["Reset your password", "Set up MFA"]))
    assert command("open the 2nd", articles) == AnswerQuestion(tool="search_kb", arguments={"question": "Set up MFA"})


def test_asking_about_another_request_does_not_start_one() -> None:
    found = command("before that — is my monitor request approved yet?", phone())
    assert not isinstance(found, StartFlow | SetSlot)


def test_an_ordinal_inside_a_sentence_is_not_a_choice() -> None:
    found = command("wait, first I need a docking station", phone())
    assert isinstance(found, StartFlow) and found.item.lower() == "docking station"


# --- acts while a free-text field is open, at review, and after tickets were shown (issue 13) ----------------

@pytest.mark.parametrize("text", ["wifi keeps dropping in the office", "my outlook keeps crashing",
                                  "printer on 3rd floor is jammed again", "hang on, my VPN just died"])
def test_a_problem_report_at_the_justification_is_an_incident_not_the_reason(text: str) -> None:
    assert command(text, phone(model="iPhone 16")) == Route(intent="create_incident")


@pytest.mark.parametrize("text", ["cancel that", "forget it", "never mind", "nvm", "scrap that", "drop it",
                                  "I don't need it anymore", "changed my mind, don't order it", "pls cancel",
                                  "nah forget about it", "hold off on that", "call it off", "not needed anymore thx"])
def test_cancel_in_many_forms_at_a_free_text_field(text: str) -> None:
    assert command(text, phone(model="iPhone 16")) == CancelFlow(), text


def test_a_reason_is_stored_and_a_doubtful_one_is_asked_first() -> None:
    asked = phone(model="iPhone 16")
    assert command("on call for customers most evenings", asked) == SetSlot(value="on call for customers most evenings")
    unsure = propose("hi there", asked, "greeting", 0.7, {})
    assert unsure == SetSlot(value="hi there", ask_first=True)
    held = asked.model_copy(update={"field": asked.field.model_copy(update={"tentative": "hi there"})})  # type: ignore[union-attr]
    assert command("no", held) == SetSlot(value="no")  # the flow drops it and asks again, it does not cancel


@pytest.mark.parametrize(("text", "value"), [("not iPhone, Samsung", "Samsung Galaxy S25"),
                                             ("actually I'd rather have the Galaxy", "Samsung Galaxy S25"),
                                             ("instead of the samsung give me the iphone", "iPhone 16")])
def test_a_correction_at_review_names_the_new_choice(text: str, value: str) -> None:
    current = "iPhone 16" if value != "iPhone 16" else "Samsung Galaxy S25"
    assert command(text, phone(model=current, stage="review")) == CorrectSlot(field="Model", value=value)


@pytest.mark.parametrize(("text", "ticket"), [
    ("what about the second one?", "SR-2"), ("the first one?", "INC-1"), ("and the other one?", "and the other one?"),
    ("who is it stuck with?", "who is it stuck with?"), ("any news on it?", "any news on it?"),
    ("has it moved at all?", "has it moved at all?"), ("is that one done yet", "is that one done yet")])
def test_follow_ups_after_tickets_were_shown_ask_the_ticket_tool(text: str, ticket: str) -> None:
    listed = DialogueState(last_shown=Shown(kind="tickets", labels=["INC-1 VPN down", "SR-2 Monitor"]))
    assert command(text, listed) == AnswerQuestion(tool="ticket_status", arguments={"ticket": ticket})


def test_a_status_question_about_a_named_thing_is_not_a_new_request() -> None:
    asked = phone(model="iPhone 16")
    for text in ("any news on my laptop order?", "any news on my laptop order"):
        assert command(text, asked) == AnswerQuestion(tool="ticket_status", arguments={"ticket": text}), text



@pytest.mark.parametrize("text", ["no, we're good", "no don't", "not right now", "maybe later"])
def test_a_no_that_changes_nothing_calls_the_request_off(text: str) -> None:
    assert command(text, phone(model="iPhone 16", stage="review")) == CancelFlow(), "at review"
    assert command(text, phone(model="iPhone 16")) == CancelFlow(), "at the reason question"


def test_a_no_with_a_new_value_is_a_correction_not_a_call_off() -> None:
    assert command("no, the samsung", phone(model="iPhone 16", stage="review")) == CorrectSlot(
        field="Model", value="Samsung Galaxy S25")


def test_an_optional_field_left_empty_can_be_added_at_review() -> None:
    form = [*PHONE[:1], FormSlot(name="port_my_existing_number", label="Port my existing number",
                                 field_type="custom_checkbox"), *PHONE[1:]]
    state = phone(model="iPhone 16", stage="review")
    state.form = [form[0].model_copy(update={"value": "iPhone 16"}), form[1],
                  form[2].model_copy(update={"value": "on call for customers"})]
    assert command("and please port my number", state) == CorrectSlot(field="Port my existing number", value="True")


def test_plainly_another_topic_at_the_reason_question_is_asked_about_first() -> None:
    said = "I want to check my payslip"  # worded with a "to", like a reason, but about something else
    assert command(said, phone(model="iPhone 16")) == SetSlot(value=said, ask_first=True)
    assert command("on the road with customers most weeks", phone(model="iPhone 16")) == SetSlot(
        value="on the road with customers most weeks")


@pytest.mark.parametrize("text", ["right, back to the phone", "ok where were we", "anyway, let's continue",
                                  "thanks. back to my request"])
def test_returning_to_the_form_is_not_the_reason(text: str) -> None:
    assert command(text, phone(model="iPhone 16")) == ResumeFlow()


def test_a_reason_that_says_continue_is_still_a_reason() -> None:
    assert isinstance(command("to continue the audit work from home", phone(model="iPhone 16")), SetSlot)


def test_a_ticket_question_in_the_middle_of_a_form_asks_the_ticket_tool() -> None:
    for text in ("btw whats going on with my vpn ticket", "oh and is my printer ticket closed?"):
        assert command(text, phone()) == AnswerQuestion(tool="ticket_status", arguments={"ticket": text}), text


def test_news_on_all_my_tickets_is_the_list() -> None:
    for text in ("any update on my tickets?", "any news on all my requests"):
        assert decide(shared(), text, DialogueState(), TOOLS, ACME).tool == "my_tickets", text


def test_a_licence_question_that_names_no_software_is_for_the_articles() -> None:
    assert decide(shared(), "i'm going on parental leave, will my software licences get taken away?", DialogueState(),
                  TOOLS, ACME).tool == "search_kb"
    assert decide(shared(), "is there a free seat for blender at the moment?", DialogueState(), TOOLS,
                  ACME).tool == "check_license"


def test_taking_the_seat_just_shown_starts_its_request() -> None:
    licence = DialogueState(last_shown=Shown(kind="licence", labels=["Grammarly Business"], subject="Grammarly Business"))
    for text in ("great, grab it for me", "reserve one for me please", "get it for me"):
        assert command(text, licence) == StartFlow(item="Grammarly Business", details=text), text


def test_returning_with_the_answer_gives_the_answer() -> None:
    assert command("back to the phone - the samsung", phone()) == SetSlot(value="Samsung Galaxy S25")


def test_the_pdf_one_among_adobes_items_is_acrobat() -> None:
    listed = DialogueState(last_shown=Shown(kind="items", labels=["Adobe Acrobat Pro", "Adobe Creative Cloud"]))
    assert command("the pdf one", listed) == StartFlow(item="Adobe Acrobat Pro", details="the pdf one")


def test_asking_what_it_takes_is_not_asking_for_it() -> None:
    found = command("will I still need the VPN to open it from home?", phone(model="iPhone 16"))
    assert not isinstance(found, StartFlow)
