"""Dialogue commands: what the offline model proposes for one message, CALM-style.

The model (here: the offline NLU plus these rules; with a hosted LLM: its tool calls) only *proposes* a
command — start a flow, set or correct a field, cancel, resume, answer a question, hand over, clarify,
chit-chat. The flows in ``tools/`` execute it and validate every value (``tools.requests``,
``tools.request_draft``), so a wrong proposal is refused there, never stored.

``read`` turns (message, dialogue state) into one typed command; ``policy.decide`` maps it to a tool
call. Keeping the two apart lets tests check what was understood separately from what it does.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from copilot.models.dialogue_state import DialogueState, FormSlot
from copilot.models.offline.speech_acts import ASKS_FOR_PERSON
from tools.form_reading import (
    CORRECTION_CUE,
    EMAIL,
    MALFUNCTION,
    OWN_THING,
    PURPOSE,
    REASON_LINK,
    SOFTWARE_FIELD,
    about_the_item,
    corrections,
    drops_the_item,
    looks_like_question,
    not_an_answer,
    one_choice,
    read_values,
    switched_off,
)
from tools.patterns import CANCEL, FIRST_NO, confirmation, find_dates, hesitates
from tools.request_draft import (
    PURPOSE_LABEL,
    Choice,
    DraftField,
    FieldType,
    InvalidAnswer,
    RequestDraft,
    parse_value,
)


class StartFlow(BaseModel):
    command: Literal["start_flow"] = "start_flow"
    item: str
    details: str = ""  # the employee's words: values in them pre-fill the form


class SetSlot(BaseModel):
    command: Literal["set_slot"] = "set_slot"
    value: str
    ask_first: bool = False  # unsure it is meant as the value: the flow asks "should I put that as …?"


class CorrectSlot(BaseModel):
    command: Literal["correct_slot"] = "correct_slot"
    field: str  # a label, "quantity", or "" (the field whose choices the value fits)
    value: str


class CancelFlow(BaseModel):
    command: Literal["cancel_flow"] = "cancel_flow"


class ResumeFlow(BaseModel):
    command: Literal["resume_flow"] = "resume_flow"
    item: str = ""
    details: str = ""  # the employee's words: a value in them ("yes, office desk") fills the resumed form


class AnswerQuestion(BaseModel):
    """A question answered by a read-only tool; inside a form the flow asks its field again afterwards."""

    command: Literal["answer_question"] = "answer_question"
    tool: Literal["search_kb", "check_license", "find_catalog_item", "ticket_status", "my_tickets"]
    arguments: dict[str, Any] = Field(default_factory=dict)


class Route(BaseModel):
    """Anything else the intent classifier settles (incident, handover, small talk, clarify)."""

    command: Literal["route"] = "route"
    intent: str


Command = Annotated[StartFlow | SetSlot | CorrectSlot | CancelFlow | ResumeFlow | AnswerQuestion | Route,
                    Field(discriminator="command")]

RESUME = re.compile(
    r"\b(?:where\s+were\s+we|what\s+was\s+i\s+doing|what\s+were\s+we\s+doing|back\s+to|go\s+back|continue|carry\s+on|"
    r"resume|let'?s\s+finish|finish\s+(?:the|my)|pick\s+(?:it\s+)?up\s+where|now\s+the|ok\s+now|where\s+was\s+i)\b", re.I)
# "right, back to the phone" / "ok where were we": a short message that only returns to the open form (never its
# answer, even where any text would do, as for a reason).
RETURNS = re.compile(r"^\W*(?:(?:ok(?:ay)?|right|alright|so|anyway|cool|thanks|thx|got\s+it|great|fine)\b[\s,.!]*)*"
                     r"(?:(?:let'?s\s+)?(?:get\s+|go\s+)?back\s+to|where\s+were\s+we|let'?s\s+(?:continue|finish)|"
                     r"carry\s+on|continue\s+with|returning\s+to)\b", re.I)
FOLLOW_ON = re.compile(r"^\s*(?:(?:ok(?:ay)?|so|right|cool|great|thanks)[\s,.!]+)?"
                       r"(?:and|what\s+about|how\s+about|ok(?:ay)?\s+and|also|same\s+for|and\s+what\s+about)\s+"
                       r"(?P<what>.+?)\s*\??\s*$", re.I)
TAKE_IT = re.compile(
    r"\b(?:get\s+me\s+(?:one|that|it)|i'?d\s+like\s+(?:that|this|one|it)|i\s+want\s+(?:that|this|one|it)|"
    r"request\s+(?:it|that|one|this)|order\s+(?:me\s+|us\s+)?(?:it|that|one)|i'?ll\s+take\s+(?:it|that|one)|sign\s+me\s+up|"
    r"can\s+i\s+(?:have|get)\s+(?:one|it|that)|let'?s\s+(?:do\s+it|request\s+it|go)|give\s+me\s+(?:one|that|it)|"
    r"put\s+in\s+a\s+request|raise\s+a\s+request|grab\s+(?:me\s+)?(?:it|that|one|a\s+seat)|"
    r"(?:reserve|claim|book)\s+(?:me\s+)?(?:it|that|one|a\s+seat)|get\s+(?:it|that|one)\s+for\s+me)\b", re.I)
APPROVER = re.compile(r"\bwho\b.*\b(?:approves?|approval|signs?\s+(?:it\s+|this\s+|that\s+|them\s+)?off|"
                      r"has\s+to\s+(?:approve|ok))\b|"
                      r"\bneeds?\s+(?:an\s+)?approv|\bapproval\s+(?:chain|needed|required)\b|"
                      r"\bneeds?\s+(?:\w+\s+){0,2}to\s+(?:approve|sign\s+(?:it\s+|that\s+|this\s+)?off|ok)\b", re.I)
ITEM_FACTS = re.compile(r"\bhow\s+long\b|\bhow\s+soon\b|\bwhen\s+(?:will|would|do|does|can)\s+(?:i|it|they|that)\s+"
                        r"(?:get|receive|have|arrive|come|ship|be\s+(?:delivered|here|ready))\b|"
                        r"\bdelivery\s+time\b|\bhow\s+much\b|\bcomes?\s+with\b|\binclud(?:e|es|ed|ing)\b|\bwhat\s+(?:does|do|would|will)\s+(?:it|they|these|those|this|that|one)\s+"
                        r"cost\b|\bhow\s+many\s+days\b|\b(?:price|cost)\s+of\s+(?:it|them|these|those|one)\b|"
                        r"\bhow\s+(?:big|large|heavy)\b|\bwhat\s+size\b|\bcapacity\b|\bspecs?\b", re.I)
TICKET_FOLLOW = re.compile(
    r"\b(?:who|when|why|next|approv\w*|status|still|stuck|done|fixed|progress|long|chase|remind|update|working|"
    r"assigned|eta|priority|closed|resolved|open|happening|moving|moved|news|heard|sign(?:ed)?\s+off|waiting|"
    r"holding|approver)\b", re.I)
PRONOUN = re.compile(r"\b(it|this|that|one|them|they|these|those)\b", re.I)
OTHER_ONE = re.compile(r"\b(?:the\s+other(?:\s+one)?|another\s+one|the\s+rest|the\s+remaining\s+one)\b", re.I)
ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5}
PICK = re.compile(r"\b(?:the\s+)?(?P<ord>first|1st|second|2nd|third|3rd|fourth|4th|fifth|last)\b(?:\s+one)?|"
                  r"\b(?:number|no\.?|option|#)\s*(?P<num>[1-5])\b|^\s*(?P<that>that\s+one|this\s+one|that|this)\s*[.!]?$",
                  re.I)
# "can I get two of them?", "could I have it sent home?": a change to the open request, asked as a question.
ASKS_FOR_CHANGE = re.compile(r"^\s*(?:(?:can|could|may)\s+i\s+(?:get|have|order|make\s+it)|(?:can|could)\s+(?:you|we)\s+"
                             r"(?:make\s+it|change\s+it|send\s+it|deliver\s+it))\b", re.I)
AGREE = re.compile(r"^\s*(?:yes|yep|yeah|yup|sure|ok(?:ay)?|alright|go\s+on)\b", re.I)  # "yes, let's finish the dock"
WHERE_WERE_WE = re.compile(r"where\s+were\s+we|what\s+was\s+i\s+doing|what\s+were\s+we\s+doing|where\s+was\s+i", re.I)
TEXT_TYPES = {FieldType.TEXT, FieldType.PARAGRAPH, FieldType.URL}
ADDS = re.compile(r"\b(?:also|add|plus|too|as\s+well|on\s+top|in\s+addition)\b", re.I)
REQUEST_CUE = re.compile(r"\b(?:need|want|order|get\s+me|add|i'?d\s+like|can\s+i\s+(?:get|have)|also\s+get|"
                         r"let'?s\s+do|(?:do|start|sort)\s+(?:the|a|an|my)\s+.+\s+first|first\s*[.!?]*$|before\s+that)\b", re.I)
NEED_QUESTION = re.compile(r"\b(?:do|does|will|would|should|shall|won'?t|don'?t)\s+(?:i|we|you|they|he|she)\s+"
                           r"(?:still\s+|also\s+|even\s+|then\s+)?(?:need|have\s+to)\b", re.I)
STATUS_WORDS = re.compile(r"\b(?:approved|status|news|update|progress|yet|arrived|shipped|stuck|sign(?:ed)?\s+off|"
                          r"moved|heard|happening|waiting)\b",
                          re.I)


def form_of(state: DialogueState) -> RequestDraft | None:
    """The open draft as the state shows it (labels as values), for reading values against its fields."""
    if not state.draft_item or not (state.form or state.field):
        return None
    slots = state.form or [FormSlot(name=state.field.name, label=state.field.label, field_type=state.field.field_type,
                                    required=True, choices=state.field.choices)] if state.field else state.form
    fields = [DraftField(name=s.name, label=s.label, field_type=s.field_type, required=s.required,
                         choices=[Choice(label=c, value=c) for c in s.choices]) for s in slots]
    draft = RequestDraft(item_display_id=0, item_name=state.draft_item, fields=fields)
    for slot, field in zip(slots, fields, strict=True):
        if slot.value is None:
            continue
        value: Any = slot.value
        if field.field_type == FieldType.CHECKBOX:
            value = slot.value.lower() == "yes"
        draft.answers[field.name] = value
    return draft


def _fits_current(draft: RequestDraft, text: str) -> str | None:
    """The value ``text`` gives for the question being asked, if it fits that field (never for a question)."""
    field = draft.current_field
    if field is None or looks_like_question(text):
        return None
    if field.choices:
        choice = one_choice(field, text, last=True)
        if choice is not None:
            return choice.label
        ordinal = _ordinal(text, len(field.choices))
        return field.choices[ordinal - 1].label if ordinal else None
    if field.field_type in TEXT_TYPES:
        email = EMAIL.search(text) if "email" in field.label.lower() else None
        return email.group(0) if email else text
    value = read_values(draft, text).get(field.name)
    if value is not None:
        return str(value)
    try:
        parse_value(field, text)
    except InvalidAnswer:
        return None
    return text


EXTREME = re.compile(r"\bthe\s+(?:(?P<most>max(?:imum)?|longest|most|biggest|largest|highest)|min(?:imum)?|shortest|"
                     r"least|smallest|lowest)\b", re.I)


def _ordinal(text: str, count: int) -> int | None:
    """ "the second one", "option 2", "the last" — a short pick, not "first I need a dock" in a sentence."""
    if len(text.split()) > 5:
        return None
    if extreme := EXTREME.search(text):  # "ugh fine, the max then": the last (largest) option, "the shortest": the first
        return count if extreme.group("most") else 1
    match = PICK.search(text)
    if match is None or match.group("that"):
        return None
    if match.group("num"):
        number = int(match.group("num"))
    elif match.group("ord").lower() == "last":
        number = count
    else:
        number = ORDINAL[match.group("ord").lower()]
    return number if 1 <= number <= count else None


def _ticket_reference(text: str, labels: list[str], entities: dict[str, Any]) -> Command | None:
    """After a ticket list or one ticket's status: "the second one" (that ticket), "and the other one?",
    "who is it stuck with?", "any news on it?", "has it moved at all?" — the ticket tool resolves "it" and
    "the other one" against the ticket it described last."""
    words = len(text.split())
    pick = _ordinal(text, len(labels)) if words <= 8 else None
    if pick is not None:
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": labels[pick - 1].split()[0]})
    if entities.get("ticket"):
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": str(entities["ticket"])})
    if (FOLLOW_ON.match(text) and words <= 8 and not REQUEST_CUE.search(text)) or (OTHER_ONE.search(text) and words <= 8) or (
            TICKET_FOLLOW.search(text) and (PRONOUN.search(text) or words <= 6)):
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": text})
    return None


def shown_request_item(state: DialogueState) -> str:
    """The item of the request whose status was just shown ("Request for Alice Nguyen : Headset"), or ""."""
    shown = state.last_shown
    subject = shown.subject if shown is not None and shown.kind == "ticket" else ""
    return subject.rsplit(" : ", 1)[1].strip() if " : " in subject else ""


def reference(text: str, state: DialogueState, entities: dict[str, Any]) -> Command | None:
    """A message that points at what was just shown: "the second one", "that one", "and Postman?",
    "who approves it?", "how long will it take?", "ok get me one"."""
    shown = state.last_shown
    item = state.draft_item or (shown.subject if shown and shown.kind == "item" else None) or shown_request_item(state)
    licence_item = shown.labels[0] if shown and shown.kind == "licence" and shown.labels else None
    about = item or licence_item
    draft = form_of(state)
    names_choice = draft is not None and any(one_choice(f, text) is not None for f in draft.fields if f.choices)
    if about and ITEM_FACTS.search(text) and not APPROVER.search(text) and beyond_delivery(text, about):
        return AnswerQuestion(tool="search_kb", arguments={"question": text})  # "how long until it shows in outlook?"
    if about and (APPROVER.search(text) or ITEM_FACTS.search(text)) and (
            PRONOUN.search(text) or len(text.split()) <= 6 or names_choice):  # "does the samsung come with data?"
        return AnswerQuestion(tool="find_catalog_item", arguments={"need": about})
    if shown is None:
        return None
    follow = FOLLOW_ON.match(text)
    if shown.kind == "licence":
        if follow and len(text.split()) <= 7:
            return AnswerQuestion(tool="check_license",
                                  arguments={"software": str(entities.get("software") or follow.group("what"))})
        if TAKE_IT.search(text) and licence_item:
            return StartFlow(item=licence_item, details=text)
    if shown.kind == "item" and TAKE_IT.search(text) and item and not state.draft_item:
        return StartFlow(item=item, details=text)  # "ok request that for 1 day" after the item or an answer offering it
    if shown.kind == "item" and item and not state.draft_item and names_a_shown_choice(text, shown.choices):
        return StartFlow(item=item, details=text)  # "the samsung then", "the bigger mac, uk keyboard" after its card
    if shown.kind == "items" and not state.draft_item and (priced := by_price(text, shown.labels, shown.costs)):
        if looks_like_question(text):  # "which one is cheaper?": that item's card, with its price
            return AnswerQuestion(tool="find_catalog_item", arguments={"need": priced})
        return StartFlow(item=priced, details=text)  # "the cheaper one pls"
    if shown.kind in ("ticket", "tickets") and not state.draft_item:
        found = _ticket_reference(text, shown.labels, entities)
        if found is not None:
            return found
    if shown.kind == "item" and follow and len(text.split()) <= 7 and not state.draft_item:
        return AnswerQuestion(tool="find_catalog_item", arguments={"need": follow.group("what")})
    named = entities.get("software") or entities.get("item")
    if shown.kind == "items" and named in shown.labels and len(text.split()) <= 6 and not state.draft_item \
            and not looks_like_question(text):
        return StartFlow(item=str(named), details=text)  # "the pdf one" after Acrobat Pro and Creative Cloud
    pick = _ordinal(text, len(shown.labels)) if len(text.split()) <= 8 else None
    if pick is None and PICK.search(text) and PICK.search(text).group("that") and len(shown.labels) == 1:  # type: ignore[union-attr]
        pick = 1
    if pick is None:
        return None
    label = shown.labels[pick - 1]
    if shown.kind in ("items", "item", "licence"):
        return StartFlow(item=label, details=text)
    if shown.kind in ("tickets", "ticket"):
        number = label.split()[0]
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": number})
    if shown.kind == "articles":
        return AnswerQuestion(tool="search_kb", arguments={"question": label})
    return None


# Words of a question about getting the item itself (delivery, cost, time): the catalog card answers those.
DELIVERY_WORDS = frozenset("""how long soon when will would do does it they them those these that this one get receive have
arrive arrives come comes ship shipped be delivered delivery deliver here ready take takes usually normally typically
much cost costs price many days hours weeks what whats is are the a an to for me my i we us long until till after
approved approval once so roughly about around generally big large heavy size capacity spec specs include includes
included including with come comes it's its show up home office desk address house flat sent send delivered approve
approves sign signs off manager boss once""".split())


def beyond_delivery(text: str, item: str) -> bool:
    """A "how long …" question about something other than getting the item ("how long until people see it in
    Outlook?"): it has words besides delivery, time and the item's own name — the knowledge base answers that."""
    if not re.search(r"\bhow\s+(?:long|soon)\b|\bwhen\s+(?:will|would|do|does|can)\b", text, re.I):
        return False
    name = set(re.findall(r"[a-z0-9]+", item.lower()))
    rest = [w for w in re.findall(r"[a-z']+", text.lower()) if w not in DELIVERY_WORDS and w not in name and len(w) > 2]
    return len(rest) >= 2


def names_a_shown_choice(text: str, choices: dict[str, list[str]]) -> bool:
    """Whether a short statement picks a choice of the item just shown ("the android then", "windows pls"), as an
    answer to the card, not a question or a no ("no thanks, the office one is fine")."""
    if not choices or len(text.split()) > 10 or looks_like_question(text) or FIRST_NO.match(text) \
            or CANCEL.search(text) or confirmation(text) is False:
        return False
    return any(one_choice(DraftField(name=label, label=label, field_type=FieldType.DROPDOWN, required=True,
                                     choices=[Choice(label=c, value=c) for c in labels]), text) is not None
               for label, labels in choices.items())


CHEAPER = re.compile(r"\b(?:cheap(?:er|est)?|less\s+expensive|least\s+expensive|lower\s+(?:price|cost)|budget)\b", re.I)
DEARER = re.compile(r"\b(?:pricier|priciest|more\s+expensive|most\s+expensive|dearer|premium\s+one)\b", re.I)


def by_price(text: str, labels: list[str], costs: list[float | None]) -> str | None:
    """ "the cheaper one", "the more expensive one" among the items just listed: the one with the lowest or highest
    price (None when the prices are unknown or tie)."""
    cheap, dear = bool(CHEAPER.search(text)), bool(DEARER.search(text))
    priced = [(cost, label) for label, cost in zip(labels, costs, strict=False) if cost is not None]
    if cheap == dear or len(text.split()) > 10 or len(priced) < 2 or len(priced) != len(labels):
        return None
    ordered = sorted(priced)
    low, high = ordered[0], ordered[-1]
    if (cheap and low[0] == ordered[1][0]) or (dear and high[0] == ordered[-2][0]):
        return None
    return low[1] if cheap else high[1]


def read(text: str, state: DialogueState, intent: str, confidence: float, entities: dict[str, Any]) -> Command | None:
    """The dialogue command for this message when a flow or a reference decides it; None: route by intent."""
    draft = form_of(state)
    asked = draft.current_field if draft is not None and state.stage != "review" else None
    cue = bool(CORRECTION_CUE.search(text))
    if draft is not None:
        if state.field is not None and state.field.tentative is not None and (
                confirmation(text) is not None or FIRST_NO.match(text)):
            return SetSlot(value=text)  # yes/no to "should I put that as the reason?"
        if asked is not None and hesitates(text) and confirmation(text) is None:
            return SetSlot(value=text)  # "hmm", "not sure yet": the flow stores nothing and asks again
        if (off := switched_off(draft, text)) is not None and not looks_like_question(text) and (
                asked is None or asked.field_type in TEXT_TYPES or _fits_current(draft, text) is None):
            if asked is not None and asked.field_type in TEXT_TYPES and asked.field_type != FieldType.PARAGRAPH \
                    and read_values(draft, text).get(asked.name):  # "call it emea-sales, no external addresses"
                return ResumeFlow(details=text)  # both fields, read from the words as the form picks up
            return CorrectSlot(field=off, value="no")  # "cancel the recording part": that field, not the request
        software_slot = next((s.label for s in state.form if s.field_type in TEXT_TYPES
                              and SOFTWARE_FIELD.search(s.label)), None)
        if software_slot and entities.get("software") and ADDS.search(text) and not looks_like_question(text) \
                and str(entities["software"]).lower() != draft.item_name.lower():
            return CorrectSlot(field=software_slot, value=text)  # "she'll also need jira" for an onboarding's software
        changes = corrections(draft, text)
        if changes and (cue or ASKS_FOR_CHANGE.search(text) or (not looks_like_question(text) and (
                state.stage == "review" or asked is None or _fits_current(draft, text) is None))):
            if len(changes) > 1:  # several fields at once: the flow reads them all from the words
                return CorrectSlot(field="", value=text)
            label, value = changes[-1]
            return CorrectSlot(field=label, value=str(value))
        declined = _declines(text, intent, confidence) and (
            asked is None or asked.field_type in TEXT_TYPES or _fits_current(draft, text) is None)
        if cue and state.stage == "review" and not looks_like_question(text) and intent != "cancel" \
                and confirmation(text) is not False and not declined:
            bare = re.sub(r"^\s*(?:no|sorry|actually|wait|hmm|oops)\b[\s,.!—-]*|(?:make|change|switch)\s+(?:it|that)\s+"
                          r"(?:to\s+)?(?:the\s+)?", "", text, flags=re.I).strip(" .!")
            if bare and len(bare.split()) <= 6:
                return CorrectSlot(field="", value=bare)
        if state.stage == "review" and not changes and len(text.split()) <= 4 and not looks_like_question(text) \
                and (same := _same_value(draft, text)) is not None:
            return CorrectSlot(field=same[0], value=same[1])  # "home" when it is already Home address: said so
        if state.stage == "review" and not cue and not changes and not looks_like_question(text) \
                and confirmation(text) is None and (reason := _reason_field(draft)) is not None \
                and (PURPOSE_START.match(text) or _restates(draft, reason, text) or OWN_THING.search(text)) \
                and len(text.split()) >= 3 and _new_item(text, intent, entities, state) is None \
                and not (intent in ANOTHER_ACT and confidence >= CLEARLY_ELSEWHERE):
            return CorrectSlot(field=reason, value=text)  # "Analysing sales calls to coach the team" at the review
        checkbox = asked is not None and asked.field_type == FieldType.CHECKBOX
        if ASKS_FOR_PERSON.search(text) and (intent == "cancel" or confirmation(text) is False or not asked):
            return Route(intent="human")  # "forget the form, just get me someone from security"
        about_a_field = off is not None or (
            asked is not None and asked.field_type not in TEXT_TYPES and _fits_current(draft, text) is not None)
        if (intent == "cancel" and confidence >= 0.5) or CANCEL.match(text) or drops_the_item(draft, text) or (
                (confirmation(text) is False or declined) and not checkbox and not about_a_field):
            return CancelFlow()  # not "the samsung, and no need to port my number": that "no need" is a field's
        if asked is not None and (RETURNS.match(text) or _names_the_form(text, draft.item_name)) and len(text.split()) <= 7 and (
                asked.field_type in TEXT_TYPES or _fits_current(draft, text) is None):  # "back to the dock - office desk" answers
            return ResumeFlow()
        if asked is not None:
            why = not_an_answer(draft, asked, text)
            if why == "problem":  # "wifi keeps dropping in the office" is neither a reason nor the office desk
                return Route(intent="create_incident")
            if why == "other field":  # "dev mode" while the reason is asked: the flow sets Seat type, asks again
                return SetSlot(value=text)
            value = _fits_current(draft, text)
            if value is not None and asked.field_type not in TEXT_TYPES:
                # the whole message when it names the choice itself: the flow reads the other values in it too
                # ("MacBook Air 13, keyboard UK", "2027-01-20, no recording"); the label for "the second one"
                more = bool(re.search(r",|;|\band\b", text)) and (
                    one_choice(asked, text, last=True) is not None if asked.choices
                    else asked.field_type == FieldType.DATE and len(find_dates(text)) == 1)  # "18 march 2027, and record it"
                return SetSlot(value=text if more else value)
            if value is not None:
                purposeful = bool(PURPOSE_START.match(text) or PURPOSE.search(text) or REASON_LINK.search(text)) \
                    or about_the_item(draft, text)
                if why is None and (purposeful or not _other_topic(intent, confidence, entities, state)):
                    unsure = intent in ANOTHER_ACT and (
                        (not purposeful and confidence >= UNSURE_CONFIDENCE)
                        # "I want to check my payslip" has a "to", yet it is plainly another topic
                        or (intent != "create_incident" and confidence >= CLEARLY_ELSEWHERE
                            and not PURPOSE_START.match(text) and not about_the_item(draft, text)))
                    return SetSlot(value=value, ask_first=unsure)
        if RESUME.search(text) and (not looks_like_question(text) or WHERE_WERE_WE.search(text)):
            return ResumeFlow(item=str(entities.get("software") or entities.get("item") or ""))
        if asked is not None and intent == "affirm":
            return ResumeFlow()
        switch = _new_item(text, intent, entities, state)
        if switch is not None:
            return StartFlow(item=switch, details=text)
    elif state.parked_items:
        said = set(re.findall(r"[a-z0-9]+", text.lower()))
        named = next((p for p in reversed(state.parked_items) if p.lower() in text.lower() or any(
            w in said or (len(s) >= 4 and w.startswith(s)) for w in p.lower().split() if len(w) >= 4 for s in said)),
            None)  # "the dock" names the parked Docking station
        if named and (RESUME.search(text) or len(text.split()) <= 4):
            return ResumeFlow(item=named, details=text)
        if (RESUME.search(text) and (not looks_like_question(text) or WHERE_WERE_WE.search(text))) or intent == "affirm" \
                or (AGREE.match(text) and not looks_like_question(text)):
            return ResumeFlow(item=named or "", details=text)  # "yes, office desk": resumed, the value noted
    found = reference(text, state, entities)
    if found is not None:
        return found
    if draft is None and (order := _order_like(text, intent, entities)) is not None:
        return StartFlow(item=order, details=text)
    if draft is not None and asked is not None and asked.choices and not looks_like_question(text) \
            and not _other_topic(intent, confidence, entities, state):
        return SetSlot(value=text)  # the flow says it isn't an option and lists the choices
    if draft is not None and asked is not None and asked.field_type in (FieldType.NUMBER, FieldType.DECIMAL,
                                                                        FieldType.DATE) \
            and not looks_like_question(text) and len(text.split()) <= 4 and not _other_topic(intent, confidence,
                                                                                              entities, state):
        return SetSlot(value=text)  # "a few people", "tomorrow-ish": the flow says what it needs and asks again
    return None


# A "no" that changes nothing: only words of declining ("no, we're good", "no don't", "on second thought, no").
DECLINE_WORDS = frozenset("""no nope nah not don't dont stop we're were good fine ok okay thanks thank you on second thought
wait hmm actually never mind it that this please i i'm all then just leave forget now later maybe sorry so right oh
we are really""".split())
DECLINE_CONFIDENCE = 0.75


def _declines(text: str, intent: str, confidence: float) -> bool:
    """The message says no to the request in progress and nothing else (the classifier's "deny", every word
    one of declining): with an open form that calls it off — "no, the 16-inch" is a correction, not this."""
    words = re.findall(r"[a-z']+", text.lower())
    return intent == "deny" and confidence >= DECLINE_CONFIDENCE and bool(words) and all(w in DECLINE_WORDS for w in words)


PROBLEM = re.compile(r"\b(?:crash|error|broke|broken|not\s+working|doesn'?t|won'?t|can'?t|cannot|slow|issue|problem|"
                     r"fail|stuck|freez|keeps|help|how|lost|stolen|expired|missing)\w*", re.I)


def _order_like(text: str, intent: str, entities: dict[str, Any]) -> str | None:
    """A message that starts with the thing wanted and goes on with its details ("figma, windows, full editor,
    for the finance slides"; "Tableau for Windows for the dashboards"; "a monitor delivered to my desk") is a request, whatever the classifier
    made of the list of values."""
    thing = requested_thing(entities)
    # "MacBook Pro 14, UK keyboard, reason: mine can't run the new tools": the problem is why, not what is asked
    said, because = (REASON_CLAUSE.split(text, maxsplit=1) + [""])[:2]
    # "new laptop, uk keyboard": the classifier hears a hardware problem in a list of specs; "new" first is an order
    fresh = intent == "create_incident" and (re.match(r"\W*(?:a\s+)?(?:brand\s+)?new\b", text.lower()) is not None
                                             or (bool(because) and not PROBLEM.search(said))
                                             # "the monitor then, to my flat please": nothing in it is a fault
                                             or not (PROBLEM.search(text) or MALFUNCTION.search(text)))
    if not thing or (intent in ("request_item", "create_incident", "urgent_security", "outage", "human") and not fresh):
        return None
    if looks_like_question(text) or PROBLEM.search(said) or ALREADY_ORDERED.search(text) or STATUS_WORDS.search(text):
        return None  # "my request for the intellij approved yet": asks how it stands
    head = re.split(r",|\bfor\b|\s[-–—]\s|\b(?:delivered|sent|shipped|brought)\s+to\b|\bto\s+my\b", text, maxsplit=1)
    if len(head) < 2:
        return None
    said = [w for w in re.findall(r"[a-z0-9]+", head[0].lower()) if len(w) >= 3 and w not in ORDER_FILLER]
    name = {w for w in re.findall(r"[a-z0-9]+", str(thing).lower()) if len(w) >= 3}
    if not said or (intent == "license_check" and SEAT_QUESTION.search(head[0])):
        return None  # "any free lisences for jira": how many seats are free, not an order
    # it starts with the thing ("tableau for windows"), or is a short name of it ("samsung galaxy s25 please, …");
    # never a sentence that mentions it on the way ("I'll lose my laptop charger someday, …")
    starts = said[0] in name or any(n.startswith(said[0]) for n in name)
    return str(thing) if starts or len(said) <= 3 else None


SEAT_QUESTION = re.compile(r"\b(?:free|spare|available|left|unused|any)\b", re.I)
REASON_CLAUSE = re.compile(r"\b(?:reason\s*(?::|is|-)|because|since|cos|as\s+(?:my|mine)\b)", re.I)
# "headset i ordered a while back, is that done": the thing named first was asked for before: a status question
ALREADY_ORDERED = re.compile(r"\b(?:i|we|i've|ive|we've)\s+(?:already\s+|just\s+)?(?:ordered|requested|asked\s+for|"
                             r"raised|reported|submitted|put\s+in|logged)\b", re.I)
ORDER_FILLER = frozenset({"please", "pls", "plz", "need", "want", "the", "new", "and", "thanks", "hey", "hello", "hiya",
                          "can", "get", "could", "would", "like", "some", "another", "our", "for", "just", "let",
                          "lets", "let's", "redo", "again", "instead", "then", "actually", "okay"})


OTHER_TOPICS = frozenset({"kb_question", "license_check", "my_tickets", "ticket_status", "create_incident", "request_item",
                          "out_of_scope_hr", "greeting", "goodbye", "thanks", "capabilities", "human", "urgent_security",
                          "outage"})
# Intents that, said with some confidence at a free-text field, make its value doubtful enough to ask first
# (a request or a how-to question is often how a reason is worded: "flowcharts for the audit").
ANOTHER_ACT = frozenset({"create_incident", "my_tickets", "ticket_status", "license_check", "human", "out_of_scope_hr",
                         "greeting", "goodbye", "thanks", "urgent_security", "outage"})
CLEARLY_ELSEWHERE = 0.85  # another topic this sure is asked about first even when worded like a reason
UNSURE_CONFIDENCE = 0.55  # below the "clearly another topic" bar, above it: ask before storing free text
# A free-text answer that starts like a reason ("for the audit", "because…", "I'm on the road…") is one.
PURPOSE_START = re.compile(r"^\s*(?:(?!(?:noth|someth|anyth|everyth|th|br|k|s|r|w|morn|even)ing\b)[a-z]{2,}ing\s+\w+|"
                           r"for|because|since|so\s+(?:that|i|we)|to|as|i'?m|i\s+am|i\s+(?:work|travel|need|have|do|"
                           r"run|lead|manage|present|visit|support)|we\s+(?:need|have|are|work)|my\s+(?:team|job|role|manager|"
                           r"clients?|customers?)|our|it'?s\s+for|needed\s+for)\b", re.I)


def _same_value(draft: RequestDraft, text: str) -> tuple[str, str] | None:
    """(label, choice) when the message names the choice a field already has ("home" at a review that says
    Home address): nothing to change, and no reason to say "I didn't understand"."""
    for field in draft.fields:
        if field.choices and field.name in draft.answers and (choice := one_choice(field, text)) is not None \
                and str(draft.answers[field.name]).lower() in (choice.label.lower(), str(choice.value).lower()):
            return field.label, choice.label
    return None


def _restates(draft: RequestDraft, label: str, text: str) -> bool:
    """The message repeats the stored reason and says more ("error tracking for the mobile app releases" where
    "error tracking" was read from the first message): the reason, told in full."""
    field = next(f for f in draft.fields if f.label == label)
    stored = [w for w in re.findall(r"[a-z0-9]+", str(draft.answers.get(field.name) or "").lower()) if len(w) >= 3]
    said = set(re.findall(r"[a-z0-9]+", text.lower()))
    return bool(stored) and all(w in said for w in stored) and len(said) > len(set(stored)) + 1


BACK_FILLER = frozenset("""ok okay thanks thank you thx great cool right so and now then the my that this our
please pls let's lets do back again request form order one""".split())


def _names_the_form(text: str, item_name: str) -> bool:
    """ "great. now the list", "thanks. ok the laptop": the message only names the open request again, to go back
    to it (never its answer)."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    named = [w for w in words if w not in BACK_FILLER]
    item = set(re.findall(r"[a-z0-9]+", item_name.lower())) - {"new", "a", "an", "the", "for", "to", "of"}
    return bool(named) and len(named) < len(words) and all(w in item for w in named)


def _reason_field(draft: RequestDraft) -> str | None:
    """The label of the form's free-text field that says why (Business justification), if it has one."""
    return next((f.label for f in draft.fields if f.field_type in TEXT_TYPES and PURPOSE_LABEL.search(f.label)), None)


def requested_thing(entities: dict[str, Any]) -> str | None:
    """What a request names: the application, or the catalog item when that is something else than the
    application ("please evaluate Notion": New software evaluation, not the unrequestable Notion)."""
    software, item = entities.get("software"), entities.get("item")
    if software and item and str(software).lower() not in str(item).lower() and str(item).lower() not in str(software).lower():
        return str(item)
    return str(software or item) if software or item else None


def _other_topic(intent: str, confidence: float, entities: dict[str, Any], state: DialogueState) -> bool:
    """The message is clearly about something else than the open form's question."""
    if intent in ("human", "urgent_security", "outage"):
        return confidence >= 0.6
    return intent in OTHER_TOPICS and confidence >= 0.85


def _new_item(text: str, intent: str, entities: dict[str, Any], state: DialogueState) -> str | None:
    """Another catalog thing asked for while a form is open ("hang on, I also need Visio first")."""
    name = entities.get("software") or entities.get("item")
    if not name or not state.draft_item:
        return None
    wanted = str(name).lower()
    if wanted in state.draft_item.lower() or state.draft_item.lower() in wanted:
        return None
    if any(wanted in c.lower() or c.lower() in wanted for slot in state.form for c in slot.choices):
        return None  # "Photoshop" is a choice of this form, not another request
    if STATUS_WORDS.search(text) and (intent in ("my_tickets", "ticket_status") or not REQUEST_CUE.search(text)):
        return None  # "is my monitor request approved yet?" asks about one, it does not ask for one
    if NEED_QUESTION.search(text):
        return None  # "will I still need the VPN to open it from home?" asks what it takes, not for the VPN
    if NEED_TO_DO.search(text) and not REQUEST_CUE.search(NEED_TO_DO.sub(" ", text)):
        return None  # "I need to redact customer contracts before sending them out": why, not another thing
    if REQUEST_CUE.search(text) or (intent == "request_item" and not looks_like_question(text)):
        return str(name)
    return None


# "I need to redact contracts", "we have to present at …": something to do (a reason), not a thing to order.
NEED_TO_DO = re.compile(r"\b(?:i|we|i'?ll|we'?ll)\s+(?:really\s+)?(?:need|have|want|got)\s+to\s+"
                        r"(?!(?:get|order|request|have|buy|add|install|set\s+up)\b)\w+", re.I)
