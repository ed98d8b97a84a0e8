"""Reading form values out of free text: details given up front prefill, corrections name the field they change.

Unit tests of ``tools.form_reading`` with phrasings written for these tests (not the measured conversation cases).
"""

from __future__ import annotations

import re

import pytest

from tools.form_reading import (
    corrections,
    drops_the_item,
    looks_like_question,
    not_an_answer,
    one_choice,
    prefill,
    prefill_reason,
    read_answer,
    reason_instead,
    statement,
    switched_off,
)
from tools.patterns import find_dates
from tools.request_draft import Choice, DraftField, RequestDraft, Stage


def field(label: str, kind: str = "custom_dropdown", choices: list[str] | None = None, required: bool = True) -> DraftField:
    return DraftField(name=re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_"), label=label, field_type=kind,
                      required=required, choices=[Choice(label=c, value=c) for c in choices or []])


WHY = field("Business justification", "custom_paragraph")
OS = field("Operating system", choices=["Windows", "macOS"])
FORMS = {
    "Monitor": [field("Delivery location", choices=["Office desk", "Home address"]),
                field("Notes for delivery", "custom_text", required=False)],
    "New laptop": [field("Laptop model", choices=["Dell Latitude 7450", "MacBook Air 13", "MacBook Pro 14"]), WHY,
                   field("Keyboard layout", choices=["UK", "US", "German"], required=False)],
    "Mobile phone": [field("Model", choices=["iPhone 16", "Samsung Galaxy S25"]),
                     field("Port my existing number", "custom_checkbox", required=False), WHY],
    "Shared drive": [field("Folder path", "custom_text"), field("Access level", choices=["Read", "Read and write"]), WHY],
    "Meeting room": [field("Room", choices=["Paris - Seine", "Paris - Louvre", "Oslo - Fjord"]),
                     field("Date", "custom_date"), field("Needs recording", "custom_checkbox", required=False)],
    "Contractor VPN": [field("Contractor email", "custom_text"), field("End date", "custom_date")],
    "Admin rights": [field("Duration", choices=["1 day", "3 days", "7 days"]), WHY],
    "Design tool": [OS, WHY, field("Seat type", choices=["Full editor", "Viewer"])],
    "Shared mailbox": [field("Mailbox name", "custom_text"), field("Owners", "custom_text")],
    "Laptop for a new starter": [field("New starter name", "custom_text"), field("Start date", "custom_date")],
    "Tool evaluation": [field("Software name", "custom_text"), field("Vendor website", "custom_text", required=False),
                        field("Number of users", "custom_number")],
    "New software evaluation": [field("Software name", "custom_text"), WHY],
    "Form without fields": [],
}


def draft(item: str, allow_quantity: bool = True) -> RequestDraft:
    return RequestDraft(item_display_id=1, item_name=item, fields=FORMS[item], allow_quantity=allow_quantity)


def test_details_given_up_front_fill_the_form_and_skip_the_questions() -> None:
    d = draft("Mobile phone")
    filled = prefill(d, "could I get a samsung? keep my current number pls, I'm on call for the EMEA rollout")
    # the whole clause about themselves, not only what follows "for"
    assert d.answers == {"model": "Samsung Galaxy S25", "port_my_existing_number": True,
                         "business_justification": "I'm on call for the EMEA rollout"}
    assert filled == ["Model", "Port my existing number", "Business justification"]
    assert d.stage is Stage.REVIEW


def test_the_words_that_said_a_yes_no_field_are_not_also_the_reason() -> None:
    d = draft("Mobile phone")
    prefill(d, "I need a work phone and I'd like to hold on to my current number")
    assert d.answers == {"port_my_existing_number": True}  # the reason is asked, not made of the number's words


@pytest.mark.parametrize(("text", "port"), [
    ("can i get a work phone? a new number is fine, don't need to port anything", False),
    ("a phone please, I want a fresh number", False),
    ("phone pls, keep my existing number", True),
    ("no problem with the samsung, port my number", True),  # a "no" in another clause does not reach it
    ("I don't really need to port my number", False),
])
def test_a_yes_no_field_is_read_clause_by_clause(text: str, port: bool) -> None:
    d = draft("Mobile phone")
    prefill(d, text)
    assert d.answers.get("port_my_existing_number") is port
    assert "business_justification" not in d.answers  # "port anything" is no reason


@pytest.mark.parametrize("text", ["i want IT to evaluate a new tool", "can you evaluate some software for us?"])
def test_asking_for_the_item_in_general_words_is_no_reason(text: str) -> None:
    d = draft("New software evaluation")
    prefill(d, text)
    assert "business_justification" not in d.answers


def test_a_number_said_in_passing_is_no_quantity() -> None:
    d = draft("Monitor")
    prefill(d, "a second screen please, I work from two docs at once")
    assert d.quantity == 1
    assert corrections(d, "I work across three offices") == []
    assert corrections(d, "actually make it two screens") == [("quantity", 2)]


def test_quantity_from_the_sentence_and_an_ambiguous_place_is_asked() -> None:
    d = draft("Monitor")
    prefill(d, "two screens for my home office please")  # "home office": home address or office desk? ask
    assert d.quantity == 2 and d.answers == {} and d.current_field is not None
    d = draft("Monitor")
    prefill(d, "a pair of monitors delivered to my house... I mean home")
    assert d.quantity == 2 and d.answers == {"delivery_location": "Home address"}


def test_quantity_is_not_set_for_an_item_requested_one_at_a_time() -> None:
    d = draft("Admin rights", allow_quantity=False)
    prefill(d, "admin rights x3 for 1 day")
    assert d.quantity == 1 and d.answers["duration"] == "1 day"


def test_nothing_is_invented_from_a_bare_request() -> None:
    for text in ("hi, I'd like a new laptop please", "laptop", "can you sort me out with a laptop for me"):
        d = draft("New laptop")
        assert prefill(d, text) == [] and d.answers == {}, text


def test_a_value_said_with_a_negation_is_not_taken() -> None:
    d = draft("Meeting room")
    prefill(d, "room setup on 14 June 2027 in Oslo, not Paris, and we don't need a recording")
    assert d.answers == {"room": "Oslo - Fjord", "date": "2027-06-14", "needs_recording": False}


def test_email_and_end_date_for_a_contractor() -> None:
    d = draft("Contractor VPN")
    prefill(d, "VPN for our freelancer Sam (sam.k@freelance.example) till December 5 2027")
    assert d.answers == {"contractor_email": "sam.k@freelance.example", "end_date": "2027-12-05"}


@pytest.mark.parametrize(("text", "change"), [
    ("hmm, make that the Viewer seat", ("Seat type", "Viewer")),
    ("sorry I meant mac", ("Operating system", "macOS")),
    ("switch the os to windows", ("Operating system", "Windows")),
])
def test_a_correction_names_the_field_it_changes(text: str, change: tuple[str, str]) -> None:
    d = draft("Design tool")
    d.set("Operating system", "Windows" if "mac" in text else "macOS")
    d.set("Seat type", "Full editor")
    assert corrections(d, text) == [change]


def test_the_other_one_switches_a_two_choice_field() -> None:
    d = draft("Mobile phone")
    d.set("Model", "iPhone 16")
    assert corrections(d, "ugh no, the other phone model") == [("Model", "Samsung Galaxy S25")]


def test_a_longer_label_wins_over_a_shared_word() -> None:
    d = draft("Shared drive")
    d.set("Access level", "Read")
    assert corrections(d, "actually I need read and write") == [("Access level", "Read and write")]
    assert one_choice(d.fields[1], "read only is fine") is not None


def test_a_choice_that_does_not_exist_is_no_correction() -> None:
    d = draft("New laptop")
    d.set("Laptop model", "MacBook Pro 14")
    assert corrections(d, "make it the 16-inch") == []
    assert corrections(d, "for 2 days actually") == []


def test_dates_are_read_in_the_usual_ways() -> None:
    assert find_dates("from 3rd of March 2027 to 2027-03-09") == ["2027-03-03", "2027-03-09"]
    assert find_dates("31/02 or February 30 2027") == []


@pytest.mark.parametrize("text", ["where do I pick it up?", "does the Louvre room have a projector",
                                  "How long does delivery take", "btw whats going on with my vpn ticket",
                                  "oh and how long does it take", "hey, is the hudson room free"])
def test_questions_are_not_values(text: str) -> None:
    assert looks_like_question(text)


def test_statements_are_values() -> None:
    assert not looks_like_question("for onboarding the new analysts")
    assert not looks_like_question("ok will try that. usb-c for the headset")  # moves on, answers the field


def test_short_words_do_not_pick_an_option_by_accident() -> None:
    d = draft("New laptop")
    prefill(d, "can you get us a laptop for a pro photographer who travels by air")
    assert "keyboard_layout" not in d.answers and "laptop_model" not in d.answers
    d = draft("New laptop")
    prefill(d, "a macbook air with a US keyboard")
    assert d.answers["laptop_model"] == "MacBook Air 13" and d.answers["keyboard_layout"] == "US"


# --- a free-text answer that is really another dialogue act (issue 13) -------------------------------------

def at_the_reason(item: str = "New laptop", **answers: str) -> tuple[RequestDraft, DraftField]:
    form = draft(item)
    form.answers.update(answers)
    asked = form.current_field
    assert asked is not None and asked.label == "Business justification"
    return form, asked


@pytest.mark.parametrize(("text", "act"), [
    ("wifi keeps dropping in the office", "problem"), ("my outlook keeps crashing", "problem"),
    ("printer on the third floor is jammed again", "problem"), ("hang on, my vpn just died", "problem"),
    ("the shared calendar isn't working since lunch", "problem"),
    ("nvm", "cancel"), ("scrap that", "cancel"), ("not needed anymore thx", "cancel"), ("call it off", "cancel"),
    ("ok", "confirmation"), ("yep", "confirmation"),
    ("where would I pick it up", "question"), ("do I need my manager's ok for this?", "question"),
    ("sorry, the macbook pro instead", "correction"),
])
def test_another_act_at_a_free_text_field_is_not_its_value(text: str, act: str) -> None:
    form, asked = at_the_reason(laptop_model="MacBook Air 13")
    assert not_an_answer(form, asked, text) == act


@pytest.mark.parametrize("text", [
    "my current laptop keeps crashing when I compile", "because mine broke last week", "client demos on the road",
    "the audit team keeps asking for encrypted copies", "I keep travelling between the two sites",
])
def test_a_reason_is_a_value_even_when_it_mentions_a_problem(text: str) -> None:
    form, asked = at_the_reason(laptop_model="MacBook Air 13")
    assert not_an_answer(form, asked, text) is None


def test_a_problem_report_does_not_pick_a_choice_that_it_mentions() -> None:
    form = draft("Monitor")
    asked = form.current_field
    assert asked is not None and asked.label == "Delivery location"
    assert not_an_answer(form, asked, "the wifi keeps dropping in the office") == "problem"
    assert not_an_answer(form, asked, "office desk please") is None


@pytest.mark.parametrize(("text", "model"), [
    ("not iPhone, Samsung", "Samsung Galaxy S25"), ("instead of the iphone, the samsung", "Samsung Galaxy S25"),
    ("the samsung, not the iphone", "Samsung Galaxy S25"), ("no samsung - iphone", "iPhone 16"),
])
def test_a_negation_stops_at_the_clause(text: str, model: str) -> None:
    form = draft("Mobile phone")
    form.answers["model"] = "iPhone 16" if model != "iPhone 16" else "Samsung Galaxy S25"
    assert corrections(form, text) == [("Model", model)]


@pytest.mark.parametrize("text", ["not the Air, the Pro", "make it the pro please", "instead of the Air give me the Pro",
                                  "hmm, rather the pro"])
def test_a_short_word_names_a_choice_in_a_correction(text: str) -> None:
    form = draft("New laptop")
    form.answers.update(laptop_model="MacBook Air 13", business_justification="travel")
    assert corrections(form, text) == [("Laptop model", "MacBook Pro 14")]
    assert one_choice(form.fields[0], "we flew on the air shuttle") is None  # outside a correction it does not count


@pytest.mark.parametrize(("text", "said"), [
    ("I travel a lot for work and my phone is dying. can I get a company phone?",
     "I travel a lot for work and my phone is dying"),
    ("we're onboarding three contractors next week", "we're onboarding three contractors next week"),
    ("I need a phone please", None), ("how do I get a phone?", None), ("samsung, no porting", None),
])
def test_what_employees_say_about_themselves_is_read_as_a_reason(text: str, said: str | None) -> None:
    assert statement(text) == said


def test_a_reason_said_before_the_request_fills_the_justification() -> None:
    form = draft("Mobile phone")
    assert prefill_reason(form, "I'm on the road most weeks seeing customers") == ["Business justification"]
    assert form.answers["business_justification"] == "I'm on the road most weeks seeing customers"
    assert prefill_reason(draft("Mobile phone"), "how do I set up voicemail?") == []



def test_a_two_letter_option_counts_lower_case_beside_its_field_name() -> None:
    layout = FORMS["New laptop"][2]
    assert one_choice(layout, "macbook air 13, keyboard uk") == layout.choices[0]  # a read-in-English reply
    assert one_choice(layout, "let us know when it ships") is None


def test_a_reason_after_the_values_is_read_from_its_own_clause() -> None:
    d = draft("New laptop")
    prefill(d, "I need a new laptop, a MacBook Pro 14 with a UK keyboard, my current one is 5 years old and keeps freezing")
    assert d.answers == {"laptop_model": "MacBook Pro 14", "keyboard_layout": "UK",
                         "business_justification": "my current one is 5 years old and keeps freezing"}


def test_where_a_message_points_is_no_reason() -> None:
    d = draft("Shared drive")
    prefill(d, "I need access to the S: drive folder S:\\Sales\\Forecasts")
    assert d.answers == {"folder_path": "S:\\Sales\\Forecasts"}  # the access level and the reason are still asked


def test_a_choice_of_another_field_is_not_an_answer_to_the_reason() -> None:
    d = draft("New laptop")
    d.answer("MacBook Air 13")
    field = d.current_field
    assert field is not None and field.label == "Business justification"
    assert not_an_answer(d, field, "UK keyboard please") == "other field"
    assert not_an_answer(d, field, "my UK colleagues need the same model") is None
    why, other = read_answer(d, field, "UK keyboard please")  # the tool's one reading: the reason and the choice
    assert why == "other field" and other is not None and (other[0].label, other[1].label) == ("Keyboard layout", "UK")
    assert read_answer(d, field, "ok")[1] is None


def test_a_reason_said_where_a_choice_is_asked_is_the_empty_reason_field() -> None:
    d = draft("Design tool")
    found = reason_instead(d, OS, "I work in the marketing studio making campaign visuals")
    assert found is not None and found[0].name == WHY.name and "marketing studio" in found[1]
    assert reason_instead(d, OS, "mac please") is None  # names a choice: the answer to the question asked
    assert reason_instead(d, OS, "which one is better?") is None  # a question, not a reason
    d.set(WHY.name, "campaign visuals")
    assert reason_instead(d, OS, "I work in the marketing studio making campaign visuals") is None  # already given


@pytest.mark.parametrize(("text", "name"), [("can we get a shared mailbox called sales-apac, me as owner", "sales-apac"),
                                            ("a mailbox named Design Team please", "Design Team"),
                                            ("a shared mailbox, name is hr-intake.", "hr-intake")])
def test_a_name_given_up_front_fills_the_name_field(text: str, name: str) -> None:
    d = draft("Shared mailbox")
    assert prefill(d, text) == ["Mailbox name"] and d.answers == {"mailbox_name": name}


@pytest.mark.parametrize("text", ["a shared mailbox please", "I called it yesterday, I need a shared mailbox"])
def test_no_name_is_invented(text: str) -> None:
    d = draft("Shared mailbox")
    prefill(d, text)
    assert "mailbox_name" not in d.answers


def test_a_form_without_fields_is_ready_for_review_at_once() -> None:
    assert draft("Form without fields").stage is Stage.REVIEW
    assert draft("Shared mailbox").stage is Stage.COLLECTING


def test_a_word_people_use_for_an_option_names_it_unless_an_option_has_the_word() -> None:
    d = draft("Design tool")
    d.set("operating_system", "Windows")
    assert corrections(d, "hmm, it's for my imac, not windows") == [("Operating system", "macOS")]
    laptop = draft("New laptop")
    laptop.set("laptop_model", "Dell Latitude 7450")
    assert corrections(laptop, "no wait, a macbook pro 14") == [("Laptop model", "MacBook Pro 14")]  # its own word


def test_a_leading_no_takes_back_what_was_said_but_no_before_an_option_refuses_it() -> None:
    d = draft("Admin rights")
    d.set("duration", "7 days")
    assert corrections(d, "no sorry, 3 days is plenty") == [("Duration", "3 days")]
    assert corrections(d, "no 3 days") == []  # "no 3 days" refuses the three days


def test_renaming_and_naming_people_and_tools_up_front() -> None:
    mailbox = draft("Shared mailbox")
    mailbox.set("mailbox_name", "ops-team")
    assert corrections(mailbox, "better call it ops-emea") == [("Mailbox name", "ops-emea")]
    starter = draft("Laptop for a new starter")
    prefill(starter, "onboarding for a new hire: Tomás Berg, first day 2027-03-01")
    assert starter.answers == {"new_starter_name": "Tomás Berg", "start_date": "2027-03-01"}
    tool = draft("Tool evaluation")
    prefill(tool, "we'd like to trial Linear for sprint planning, their site is linear.app")
    assert tool.answers["software_name"] == "Linear" and tool.answers["vendor_website"] == "linear.app"
    nothing = draft("Tool evaluation")
    prefill(nothing, "can you evaluate something for mail merges?")
    assert "software_name" not in nothing.answers


def test_turning_a_yes_no_part_off_is_not_calling_the_request_off() -> None:
    d = draft("Meeting room")
    assert switched_off(d, "drop the recording bit, nobody will watch it") == "Needs recording"
    assert switched_off(d, "with recording please") is None
    assert not drops_the_item(d, "cancel the recording part")


@pytest.mark.parametrize(("item", "text", "dropped"), [
    ("Monitor", "scrap the monitor, I'll borrow one", True),
    ("Laptop for a new starter", "the candidate said no, forget the new starter laptop", True),
    ("Monitor", "how do I cancel the monitor order later?", False),
    ("Meeting room", "cancel the recording part", False),
    ("Monitor", "forget the notes, office desk is fine", False),
])
def test_forgetting_the_item_by_name(item: str, text: str, dropped: bool) -> None:
    assert drops_the_item(draft(item), text) is dropped


@pytest.mark.parametrize("text", ["a shared mailbox called sales-apac, me as owner", "sales-apac mailbox, I'll be the owner",
                                  "mailbox sales-apac, owner: me"])
def test_me_as_owner_is_the_requesters_address(text: str) -> None:
    d = draft("Shared mailbox").model_copy(update={"requester_email": "carol.diaz@acme.example"})
    prefill(d, text)
    assert d.answers["owners"] == "carol.diaz@acme.example"


def test_just_me_answered_for_owners_is_the_requester_and_other_people_stay_as_said() -> None:
    d = draft("Shared mailbox").model_copy(update={"requester_email": "carol.diaz@acme.example"})
    d.answer("sales-apac")
    d.answer("just me")
    assert d.answers["owners"] == "carol.diaz@acme.example"
    d.set("Owners", "me and Priya")
    assert d.answers["owners"] == "me and Priya"
    anonymous = draft("Shared mailbox")  # no requester known: nothing is invented
    anonymous.answer("sales-apac")
    anonymous.answer("me")
    assert anonymous.answers["owners"] == "me"


# --- from conversations-dev9/dev10 (session 25): written for these tests ---------------------------------------------

def test_a_platform_or_a_size_comparison_names_a_model() -> None:
    phone, laptop = FORMS["Mobile phone"][0], FORMS["New laptop"][0]
    assert one_choice(phone, "the android one").label == "Samsung Galaxy S25"  # type: ignore[union-attr]
    assert one_choice(phone, "an apple one is fine").label == "iPhone 16"  # type: ignore[union-attr]
    assert one_choice(laptop, "the bigger mac").label == "MacBook Pro 14"  # type: ignore[union-attr]
    assert one_choice(laptop, "the smaller macbook please").label == "MacBook Air 13"  # type: ignore[union-attr]
    assert one_choice(laptop, "the bigger one") is None  # "7450" is a model number, not a size: no guess


def test_people_listed_after_their_fields_word_are_kept_whole() -> None:
    d = RequestDraft(item_display_id=1, item_name="Shared mailbox", requester_email="me@acme.example", fields=[
        *FORMS["Shared mailbox"], field("Members", "custom_paragraph", required=False)])
    prefill(d, "mailbox called ops-rota, owners me and lee.park@acme.example, members kim@acme.example and "
               "sam@acme.example")
    assert d.answers["owners"] == "me@acme.example, lee.park@acme.example"
    assert d.answers["members"] == "kim@acme.example, sam@acme.example"


def test_a_fault_of_the_device_being_replaced_is_a_reason_not_a_problem_report() -> None:
    laptop, phone = draft("New laptop"), draft("Mobile phone")
    assert not_an_answer(laptop, WHY, "the hinge cracked and half the keys stick") is None
    assert not_an_answer(phone, WHY, "battery on my current one dies by lunchtime") is None
    assert not_an_answer(laptop, WHY, "the printer on floor 2 is jammed again") == "problem"


def test_a_question_asked_on_someones_behalf_or_after_wait_is_a_question() -> None:
    assert looks_like_question("wait how long does delivery take")
    assert looks_like_question("also my colleague asks how she gets visio")
    assert not looks_like_question("my team asked for this for the audit")


def test_a_sentence_explaining_a_yes_no_answer_is_not_the_reason() -> None:
    d = draft("Mobile phone")
    prefill(d, "new work phone please. no need to port my number, I'm keeping my personal one")
    assert d.answers == {"port_my_existing_number": False}  # the reason is still asked


def test_a_free_text_field_is_read_by_its_words_in_another_order() -> None:
    d = draft("Monitor")
    prefill(d, "the monitor, to my flat please. delivery note: ring flat 2")
    assert d.answers == {"delivery_location": "Home address", "notes_for_delivery": "ring flat 2"}
