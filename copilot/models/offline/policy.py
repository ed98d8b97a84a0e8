"""How the offline model turns an understood message into a tool call or a direct reply.

Kept apart from the AutoGen plumbing so it can be read (and tested) as a plain decision table:
what the employee meant × what the copilot is waiting for → which tool, with which arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from copilot.models.dialogue_state import DialogueState
from copilot.models.offline import commands, speech_acts, ticket_questions, topic_followups
from copilot.models.offline.commands import (
    AnswerQuestion,
    CancelFlow,
    Command,
    CorrectSlot,
    ResumeFlow,
    Route,
    SetSlot,
    StartFlow,
    shown_request_item,
)
from tools.form_reading import MALFUNCTION, looks_like_question
from tools.patterns import AFFIRM, THANKS, hesitates
from tools.ticket_match import hit, read_query
from tools.vocabulary import TenantVocabulary

CORRECTION = re.compile(
    r"^\s*(?:no[,.]?\s*)?(?:please\s+)?(?:change|set|make|update|switch|put)\s+(?:the\s+|my\s+)?(?P<field>.+?)(?:\s+(?:to|as)\s*:?|\s*[=:])\s*(?P<value>.+?)\s*[.!]?$",
    re.I,
)
# A question about something the employee already asked IT for ("any news on my phone order?", "did my
# manager sign off the USB drive?", "who is it stuck with?"): the ticket tool finds it by content.
STATUS_QUESTION = re.compile(
    r"\b(any|an|the|latest|what'?s the)\s+(news|updates?|progress|word)\s+(on|about|with|re)\b"
    r"|\bwhat'?s\s+the\s+latest\b|\bstatus\s+(of|on)\s+(my|the|our)\b"
    r"|\bwhere(?:'s|\s+is|\s+are)\s+my\b.*\b(order|request|ticket|delivery)\b"
    r"|\b(is|are)\s+(my|the)\b.*\bon\s+(its|their|the)\s+way\b"
    r"|\b(did|has|have)\s+(my\s+\w+|\w+)\s+(approved?|sign(?:ed)?\s+off|sign(?:ed)?\s+it\s+off|ok'?d|okayed)\b"
    r"|\b(approved|signed off)\s+(it|my|the)\b.*\byet\b|\bwho(?:'s|\s+is)\s+holding\s+up\b|\bholding\s+up\s+my\b"
    r"|\bstuck\s+with\b|\bwho\s+(still\s+)?(has|needs)\s+to\s+approve\b|\btaking\s+so\s+long\b"
    r"|\b(get|got|been)\s+(fixed|sorted|resolved)\b|\bwhat\s+happened\b.*\b(reported|raised|logged|ticket|request)\b"
    r"|\b(reported|raised|logged)\b.*\bwhat\s+happened\b|\bworking\s+on\s+my\b"
    r"|\b(still|is\s+it)\s+open\b.*\?|\bone\s+still\s+open\b"
    r"|\b(get|got|gotten|been)\s+(approved|signed\s+off|rejected|declined|ok'?d|okayed)\b"
    r"|\b(approved|signed\s+off|rejected)\s+yet\b",
    re.I,
)
# "<thing> request status?", "the monitor order - any update": a status word right after a ticket noun.
NAMED_STATUS = re.compile(r"\b(?:request|order|ticket|incident|case)\s*[-–—:,]?\s*(?:status|update|progress|any\s+news|"
                          r"any\s+updates?)\b", re.I)
TOPIC_SWITCH = {"kb_question", "license_check", "my_tickets", "ticket_status", "create_incident", "request_item"}
ALWAYS_ROUTE = {"human", "urgent_security", "outage"}
# A licence question that names no software is about availability ("is there a free seat for Blender?") or
# about how licences work ("will my licences be taken away while I'm on leave?"), which the articles answer.
ASKS_AVAILABILITY = re.compile(r"\b(?:free|available|availability|left|spare|open|unused\s+seats?|any\s+(?:seats?|licen[cs]es?)|"
                               r"seats?\s+(?:for|of|on|in)|licen[cs]es?\s+(?:for|of|to)|(?:get|have|need|want|request)\s+"
                               r"(?:a|an|one)\s+(?:seat|licen[cs]e)|how\s+many|in\s+use|what\s+\w+\s+(?:products|apps|tools))\b", re.I)
# Asked to write something for the employee (an assistant's job, not IT's); "how do I write …" is a how-to.
WRITING_TASK = re.compile(r"\b(?:write|draft|compose|proofread|rewrite|reword|translate|summari[sz]e)\s+(?:me\s+|up\s+)?"
                          r"(?:an?\s+|the\s+|my\s+|this\s+|our\s+|some\s+)?(?:(?:quick|short|nice|polite|formal)\s+)?"
                          r"(?:[\w-]+\s+){0,2}?"
                          r"(?:e-?mail|letter|message|post|essay|reply|response|text|report|speech|poem|tweet|cover\s+letter|"
                          r"proposal|bio|blog|newsletter|summary|note)\b", re.I)
HOW_TO = re.compile(r"\bhow\s+(?:do|can|to|should|would)\b|\b(?:outlook|signature|template|spell\s*check|font)\b", re.I)
# Words that name nothing ("the thing with the stuff"): with only these, there is nothing to search for.
VAGUE_WORDS = frozenset("""the a an thing things stuff it this that with and of about some something whatever
like you know kind sort bit my your our one ones those these there here what whats""".split())


def says_nothing_specific(text: str) -> bool:
    """The message names nothing at all: every word is a vague one."""
    words = re.findall(r"[a-z']+", text.lower())
    return len(words) >= 2 and all(w in VAGUE_WORDS for w in words)


# Seats said to be gone ("Figma is maxed out", "have we run out of Miro licences?"): a question of availability.
# "do we have room for 5 more people?", "enough seats for the new starters?": a seat count asked another way
ROOM_FOR = re.compile(r"\b(?:room|space|capacity)\s+for\b|\benough\s+(?:seats?|licen[cs]es?|room)\b", re.I)
TWO_THINGS = re.compile(r"\b\w{3,}\s+(?:or|and|&)\s+\w{3,}", re.I)
SEAT_WORD = re.compile(r"\b(?:seats?|licen[cs]es?|licen[cs]ing)\b", re.I)
SEATS_GONE = re.compile(r"\b(?:maxed\s+out|max(?:ed)?\s+out|r[au]n\s+out|used\s+up|all\s+(?:taken|gone|used|assigned)|"
                        r"sold\s+out|fully\s+(?:used|allocated|booked)|no\s+(?:more\s+)?(?:seats?|licen[cs]es?)\s+left|"
                        r"out\s+of\s+(?:seats?|licen[cs]es?))\b", re.I)
# "any update on my tickets?": all of them, asked as a list with their states, not "which one do you mean?"
ALL_MINE = re.compile(r"\b(?:my|all\s+(?:of\s+)?my|our)\s+(?:open\s+|current\s+|other\s+)?(?:tickets|requests|orders|"
                      r"incidents|cases|stuff|things)\b|\b(?:things|stuff|everything|anything|all)\s+(?:that\s+)?"
                      r"(?:i(?:'ve|\s+have)?|we(?:'ve)?)\s+(?:asked\s+for|requested|ordered|reported|raised|logged)\b", re.I)
# A suspicious email or text received and not acted on is answered with how to report it (Acme's KB), not handed
# over as urgent; "I clicked it", "I entered my password" is a security incident.
SUSPICIOUS_MESSAGE = re.compile(r"\b(?:e-?mails?|mail|messages?|texts?|sms|teams\s+message)\b.*\b(?:dodgy|suspicious|"
                                r"phish\w*|scam\w*|fake|sketchy|shady|fishy|looks?\s+(?:off|weird|odd|wrong))\b|"
                                r"\b(?:dodgy|suspicious|phish\w*|scam\w*|fake|sketchy|shady|fishy)\b.*"
                                r"\b(?:e-?mails?|mail|messages?|texts?|sms)\b", re.I | re.S)
ACTED_ON = re.compile(r"\b(?:i|we)\s+(?:already\s+|just\s+|accidentally\s+|may\s+have\s+|might\s+have\s+|think\s+i\s+)?"
                      r"(?:clicked|opened|entered|typed|gave|logged|signed|downloaded|replied|filled|put|sent|ran|"
                      r"installed|approved|shared)\b|\b(?:i'?ve|we'?ve)\s+(?:clicked|opened|entered|typed|given|"
                      r"logged|downloaded|replied|filled)\b", re.I)
# what a question about something already reported or requested asks: its progress, not how to do a thing
ABOUT_PROGRESS = re.compile(r"\b(?:happening|happened|news|update|status|progress|approved|signed|done|fixed|sorted|"
                            r"resolved|closed|arriv\w*|deliver\w*|ship\w*|where\s+is|where's|any\s+word|heard|"
                            r"looked\s+at|stuck|waiting|come\s+of)\b", re.I)
PLEASE_AT_END = re.compile(r"\b(?:pls|please|plz|plse|thx|thanks|asap)\s*[.!]*\s*$", re.I)
# Problems the employee fixes faster themselves (the article says how; it still offers a person).
SELF_SERVICE = re.compile(r"\bpassword\s+(?:has\s+|is\s+|had\s+)?expired\b|\bexpired\s+password\b|\bforgot(?:ten)?\s+(?:my\s+)?"
                          r"password\b|\breset\s+(?:my\s+)?password\b|\bpassword\s+reset\b", re.I)
ASK_OPENING = re.compile(r"^\s*(?:please|pls|plz|kindly)?\s*(?:could|can|would)?\s*(?:you\s+)?(?:please\s+)?(?:evaluate|trial|"
                         r"pilot|order|get\s+me|set\s+up|book|give\s+me|send\s+me|add\s+me)\b", re.I)
ROUTE_CONFIDENCE = 0.6  # while a form field is being answered, only a clear request leaves the form


class Understood(Protocol):
    intent: str
    confidence: float
    entities: dict[str, Any]


class NLU(Protocol):
    """What the decision table needs from the language understanding (``nlu.OfflineNLU``)."""

    def context_for(self, state: DialogueState) -> dict[str, Any]: ...

    def understand(self, text: str, context: dict[str, Any] | None = None) -> Understood: ...

    def respond(self, intent: str, *, conversation_id: str = "", turn: int = 0, first_name: str = "") -> str | None: ...


@dataclass
class Decision:
    tool: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    reply: str | None = None


def correction(text: str) -> tuple[str, str] | None:
    match = CORRECTION.match(text)
    return (match.group("field"), match.group("value")) if match else None


def decide(nlu: NLU, text: str, state: DialogueState, tools: set[str],
           vocabulary: TenantVocabulary | None = None) -> Decision:
    """Understand the message, read the dialogue command it proposes, and turn that into a tool call.
    ``vocabulary``: the tenant's catalog items and applications, which the entities are linked to."""
    context = nlu.context_for(state)
    if vocabulary is not None:
        context["vocabulary"] = vocabulary
    understanding = nlu.understand(text, context=context)
    intent: str = understanding.intent
    entities: dict[str, Any] = dict(understanding.entities or {})
    command = propose(text, state, intent, understanding.confidence, entities)
    return execute(command, text, entities, state, tools, nlu)


def propose(text: str, state: DialogueState, intent: str, confidence: float, entities: dict[str, Any]) -> Command:
    """The one command this message proposes (the flows in tools/ validate and execute it)."""
    if entities.get("ticket") and commands.FOLLOW_ON.match(text) and state.last_shown is not None:
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": str(entities["ticket"])})  # "and #7?"
    if intent == "urgent_security" and SUSPICIOUS_MESSAGE.search(text) and not ACTED_ON.search(text):
        # received, not clicked: what the employee needs is how to report it (the KB's answer, whatever its words)
        return AnswerQuestion(tool="search_kb", arguments={"question": "how do I report a suspicious phishing email?"})
    if intent in ALWAYS_ROUTE and confidence >= ROUTE_CONFIDENCE:
        return Route(intent=intent)
    if not state.draft_item and speech_acts.ASKS_FOR_PERSON.search(text) and intent not in ("urgent_security", "outage"):
        return Route(intent="human")  # "still not working. can i talk to someone on the network team?"
    if (own := ticket_questions.own_list(text, state, intent)) is not None:
        return own  # "ok what else do I have open?" after a ticket's status, "show me mine then"
    if (more := ticket_questions.another_of_shown(text, state, entities)) is not None:
        return more  # "and can I get a second one for home?" after the headset request's status
    if (self_help := ticket_questions.self_help_for_shown(text, state, entities)) is not None:
        return self_help  # "anything i can try in the meantime?" after the slow laptop's status: the KB on that
    if (about_ticket := ticket_questions.about_shown_ticket(text, state, entities)) is not None:
        return about_ticket  # "can you chase him?" after a ticket's status; "the monitor one" after a list
    command = commands.read(text, state, intent, confidence, entities)
    if command is not None:
        return command
    if not state.draft_item and WRITING_TASK.search(text) and not HOW_TO.search(text):
        return Route(intent="out_of_scope_task")  # "can you help me write an email to a customer …"
    if not state.draft_item and intent in ("kb_question", "nonsense") and says_nothing_specific(text):
        return Route(intent="nonsense")  # "the thing with the stuff": nothing to search for, ask for a sentence
    if hesitates(text) and not AFFIRM.match(text):
        return Route(intent="hesitation")  # "hmm", "ok so", "it": nothing to act on yet, and not a failed turn
    if (not state.draft_item or (looks_like_question(text) and ticket_questions.TICKET_NOUN.search(text))) \
            and (asked := ticket_questions.ticket_question(text, intent, entities)) is not None:
        # mid-form only when it plainly asks about a ticket ("btw whats going on with my vpn ticket")
        return asked  # "my vpn ticket", "is Bob still sitting on my request?"
    if (followup := topic_followups.after_licence(text, state, entities)) is not None:
        return followup  # "Camtasia too?", "request it" after a licence answer
    if (followup := topic_followups.after_offer(text, state, entities)) is not None:
        return followup  # "ok so how do I order one then?" once a request for the item was offered
    if (failed := topic_followups.fix_failed(text, state, intent, entities)) is not None:
        return failed  # "tried that, still happening" after a knowledge answer: the incident, about that problem
    if (followup := topic_followups.after_article(text, state, intent, entities)) is not None:
        return followup  # "and what if it keeps dropping?" after a knowledge answer
    thing = commands.requested_thing(entities)
    if thing and not state.draft_item and (intent not in ALWAYS_ROUTE or confidence < ROUTE_CONFIDENCE) and (
            (intent == "nonsense" and len(text.split()) <= 3) or speech_acts.names_only(text, str(thing))):
        return StartFlow(item=str(thing), details=text)  # "dock", "usb stick pls"
    if intent == "create_incident" and SELF_SERVICE.search(text) and not state.draft_item:
        return AnswerQuestion(tool="search_kb", arguments={"question": text})  # an expired password: reset it yourself
    if entities.get("item") and not state.draft_item and intent in ("license_check", "create_incident") \
            and not looks_like_question(text) and not MALFUNCTION.search(text) \
            and (PLEASE_AT_END.search(text) or ASK_OPENING.match(text)):
        # "zoom pro license pls", "please evaluate Sentry for error tracking": asked for, not asked about or reported
        return StartFlow(item=str(entities["item"]), details=text)
    if entities.get("item") and not state.draft_item and intent not in ALWAYS_ROUTE and commands.APPROVER.search(text) \
            and not read_query(text).pronoun and not OWN_OR_STATUS.search(text):
        return AnswerQuestion(tool="find_catalog_item", arguments={"need": str(entities["item"])})  # "who approves a CC licence?"
    if entities.get("software") and not state.draft_item and (SEATS_GONE.search(text) or ROOM_FOR.search(text)) \
            and intent not in ALWAYS_ROUTE:
        return AnswerQuestion(tool="check_license", arguments={"software": str(entities["software"])})  # "maxed out?"
    if state.draft_item and intent == "out_of_scope_hr" and looks_like_question(text) and ITEM_PRONOUN.search(text):
        return AnswerQuestion(tool="search_kb", arguments={"question": text})  # "where do people pick these up?"
    if state.draft_item and (fix := correction(text)):
        return CorrectSlot(field=fix[0], value=fix[1])
    if entities.get("item") and not state.draft_item and intent not in ALWAYS_ROUTE \
            and names_only_the_item(text, str(entities["item"])):
        return AnswerQuestion(tool="find_catalog_item", arguments={"need": str(entities["item"])})  # "tell me about figma"
    if entities.get("item") and not state.draft_item and intent in ("kb_question", "request_item") \
            and WHICH_ON_OFFER.search(text):
        several = TWO_THINGS.search(text) is not None  # "what monitors or docks can I order?": every item that matches
        return AnswerQuestion(tool="find_catalog_item", arguments={"need": text if several else str(entities["item"])})
    if intent not in ALWAYS_ROUTE and STATUS_QUESTION.search(text):
        ticket = entities.get("ticket")
        if not ticket and ALL_MINE.search(text) and not read_query(text).content:
            return Route(intent="my_tickets")
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": str(ticket) if ticket else text})
    if intent not in ALWAYS_ROUTE and not state.draft_item and commands.ALREADY_ORDERED.search(text) \
            and ABOUT_PROGRESS.search(text) and read_query(text).content:
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": text})  # "i reported my wifi ..., any news?"
    if intent not in ALWAYS_ROUTE and NAMED_STATUS.search(text) and read_query(text).content:
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": text})  # "intellij request status?"
    if intent == "my_tickets" and commands.STATUS_WORDS.search(text) and read_query(text).content:
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": text})  # "my intellij request - any news?"
    if state.awaiting == "confirmation" and intent == "cancel":
        return CancelFlow()
    return Route(intent=intent)


def execute(command: Command, text: str, entities: dict[str, Any], state: DialogueState, tools: set[str],
            nlu: NLU) -> Decision:
    def call(tool: str, **arguments: Any) -> Decision:
        return Decision(tool, arguments) if tool in tools else Decision(reply=reply_for("unavailable", state, nlu))

    if isinstance(command, StartFlow):
        return call("start_request", item=command.item, details=command.details)
    if isinstance(command, SetSlot):
        return call("answer_request_field", answer=command.value, **({"ask_first": True} if command.ask_first else {}))
    if isinstance(command, CorrectSlot):
        return call("change_request_field", field=command.field, value=command.value)
    if isinstance(command, CancelFlow):
        return call("cancel_request")
    if isinstance(command, ResumeFlow):
        return call("resume_request", item=command.item, **({"details": command.details} if command.details else {}))
    if isinstance(command, AnswerQuestion):
        arguments = dict(command.arguments)
        if command.tool == "search_kb":
            arguments["question"] = about_item(str(arguments.get("question", text)), state)
        return call(command.tool, **arguments)
    return route(command.intent, text, entities, state, tools, nlu)


def about_item(question: str, state: DialogueState) -> str:
    """A question about "it" while a request is open is about the requested item ("where do I collect it?",
    "how early do I have to raise this?")."""
    thing = state.draft_item or shown_request_item(state)
    if thing and re.search(r"\b(?:it|these|those|them)\b", question, re.I):
        return re.sub(r"\b(?:it|these|those|them)\b", f"the {thing}", question, count=1, flags=re.I)
    if state.draft_item and (this := ENDS_ON_THIS.search(question)):
        return question[:this.start()] + f"the {state.draft_item} request" + question[this.end():]
    return question


# "which phones do we offer?", "what laptop models are there?", "what monitors can I choose from?": the item's card
WHICH_ON_OFFER = re.compile(r"\b(?:which|what)\b[\w\s-]{1,30}?\b(?:do\s+(?:we|you)\s+(?:offer|have|provide|stock)|"
                            r"are\s+(?:there|available|on\s+offer|offered)|can\s+(?:i|we)\s+(?:get|choose|pick|order)\b(?!\s+(?:it|one)\b))",
                            re.I)
TELL_ABOUT = re.compile(r"^\s*(?:(?:can\s+you\s+|pls\s+|please\s+)?tell\s+me\s+(?:a\s+bit\s+|more\s+)?about|what\s+(?:is|about)|"
                        r"what'?s|info(?:rmation)?\s+(?:on|about)|details\s+(?:of|on|about))\s+(?:the\s+|a\s+|an\s+)?", re.I)
# "who still needs to approve my jetbrains request": the employee's own ticket, not the item's approval chain
OWN_OR_STATUS = re.compile(r"\b(?:my|mine|still|yet|already)\b", re.I)


def names_only_the_item(text: str, item: str) -> bool:
    """ "tell me about figma", "what's the docking station?": the item's card is asked for — every word after the
    opening is a word of the item's name (not "what's the vpn address?" or "the difference between …")."""
    opening = TELL_ABOUT.match(text)
    if opening is None:
        return False
    rest = [w for w in re.findall(r"[a-z0-9]+", text[opening.end():].lower()) if w not in {"the", "a", "an", "pls", "please"}]
    name = {n for n in re.findall(r"[a-z0-9]+", item.lower()) if len(n) >= 3}
    return bool(rest) and all(hit(w, name) for w in rest)


ITEM_PRONOUN = re.compile(r"\b(?:it|these|those|them|they|this\s+one)\b", re.I)  # the requested item, mid-form
ENDS_ON_THIS = re.compile(r"\b(?:this|that)\b(?=\s*(?:one\s*)?[?.!]*\s*$)", re.I)  # "… raise this?", not "that one laptop"


def route(intent: str, text: str, entities: dict[str, Any], state: DialogueState, tools: set[str], nlu: NLU) -> Decision:
    def call(tool: str, **arguments: Any) -> Decision:
        return Decision(tool, arguments) if tool in tools else Decision(reply=reply_for("unavailable", state, nlu))

    if intent == "kb_question":
        return call("search_kb", question=about_item(text, state))
    shown = state.last_shown
    about = state.draft_item or (shown.subject if shown is not None and shown.kind in ("item", "licence") else None)
    if intent == "license_check" and not entities.get("software") and about and SEAT_WORD.search(text) \
            and ASKS_AVAILABILITY.search(text) and commands.PRONOUN.search(text):
        return call("check_license", software=about)  # "how many seats of it are free?" about the item in hand
    if intent == "license_check" and not entities.get("software") and state.draft_item:
        return call("search_kb", question=about_item(text, state))  # "does it matter that it has a free tier?"
    if intent == "license_check" and not entities.get("software") and not ASKS_AVAILABILITY.search(text) \
            and len(text.split()) > 4:
        return call("search_kb", question=text)  # "will my licences be taken away on parental leave?": how licences work
    if intent == "license_check":
        return call("check_license", software=str(entities.get("software") or text))
    if intent == "request_item":
        named = commands.requested_thing(entities)  # the item when it is something else than the app named in it
        if state.draft_item and not named:  # mid-form, nothing the catalog knows: look it up, keep the form
            return call("find_catalog_item", need=text)
        return call("start_request", item=str(named or text), details=text)
    if intent == "my_tickets":
        return call("my_tickets", include_closed=bool(re.search(r"\b(all|closed|resolved|old|past)\b", text, re.I)))
    if intent == "ticket_status":
        ticket = entities.get("ticket")
        ref = str(ticket) if ticket else text
        return call("ticket_status", ticket=ref)
    if intent == "create_incident":
        return call("create_incident", summary=_summary(text), details=text,
                    urgency=str(entities.get("urgency") or "medium"))
    if intent in ("human", "urgent_security", "outage"):
        urgent = intent != "human"
        return call("escalate_to_human", reason="employee asked for a person" if not urgent else text[:200],
                    urgent=urgent)
    if intent == "cancel" and state.draft_item:
        return call("cancel_request")
    if intent == "affirm" and THANKS.search(text):
        return Decision(reply=reply_for("thanks", state, nlu))  # "ok thanks" with nothing to confirm
    if intent == "nonsense" and "ask_to_rephrase" in tools:
        return Decision("ask_to_rephrase", {"what_was_unclear": text[:200]})
    return Decision(reply=reply_for(intent, state, nlu))


def _summary(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    first = re.sub(r"^(please\s+)?(open|create|raise|log|file)\s+(a\s+)?(ticket|incident)\s*(for|about|:)?\s*", "", first, flags=re.I)
    return (first[:1].upper() + first[1:])[:120] if first else "Problem reported via the copilot"


def reply_for(intent: str, state: DialogueState, nlu: NLU) -> str:
    text = nlu.respond(intent, conversation_id=state.conversation_id, turn=state.turn,
                       first_name=state.employee_first_name)
    if text:
        return text
    if intent == "unavailable":
        return "I can't do that here. I can pass it to the IT team if you like."
    return "Sorry, I didn't understand that. Could you rephrase it? For example: “is there a free Figma licence?”"
