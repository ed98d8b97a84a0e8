"""Questions about the employee's own tickets asked without a number, and follow-ups on the ticket just shown.

"my vpn ticket", "is Bob still sitting on my request?", "any movement on the IntelliJ thing?", "is the headset
thing done?" name a ticket by what it is about: the ticket tool finds it among the employee's own tickets
(``tools.ticket_match``). After one ticket's status, "can you chase him?", "since when is it waiting?" or
"and what's next?" are about *that* ticket; after a list, "the monitor one" is the listed ticket whose words
it names. The rules read the message's form (a status cue, a pronoun, a ticket word), never test phrases.
"""

from __future__ import annotations

import re
from typing import Any

from copilot.models.dialogue_state import DialogueState
from copilot.models.offline.commands import (
    FOLLOW_ON,
    REQUEST_CUE,
    AnswerQuestion,
    StartFlow,
    shown_request_item,
)
from copilot.models.offline.speech_acts import IT_WORDS
from tools.ticket_match import hit, read_query, words_of

# A question about how one's own ticket is getting on, whatever the classifier made of its topic.
STATUS_CUE = re.compile(
    r"\bany\s+(?:movement|news|word|progress|updates?|luck)\b|\bwhat'?s\s+(?:up|happening|going\s+on)\s+with\s+(?:my|the)\b"
    r"|\bwhat\s+(?:is|'s)\s+happening\s+with\s+(?:my|the)\b|\b(?:sitting|sat)\s+on\s+(?:my|it|the)\b"
    r"|\b(?:look(?:ed)?|looking)\s+(?:at|into)\s+my\b|\btell\s+me\s+(?:more\s+)?about\s+my\b"
    r"|\bwhen\s+(?:will|is|does|do)\s+my\b.*\b(?:arrive|come|ship|get\s+here|be\s+(?:ready|delivered|done|fixed|approved))\b"
    r"|\b(?:is|are|was|has)\s+(?:my\s+[\w\s-]{1,40}?|the\s+[\w\s-]{0,30}?\b(?:ticket|request|order|incident|thing|"
    r"one|issue|problem|case|fault)s?\b[\w\s-]{0,20}?)\b(?:done|finished|sorted|fixed|approved|closed|resolved|"
    r"through|complete|completed|been\s+\w+)\b"
    # "the intellij thing - still stuck?", "my monitor order still pending?": a ticket named, then "still <state>"
    r"|\b(?:the|my|that)\s+(?:[\w-]+\s+){1,3}?(?:thing|one|ticket|request|order|incident|case)\b.{0,25}?"
    r"\bstill\s+(?:stuck|pending|open|waiting|outstanding|in\s+progress|with\s+\w+|not\s+(?:done|approved|sorted|fixed))\b",
    re.I)
# The employee asks for their own list ("ok what else do I have open?", "show me mine then", "my other
# tickets?"), often right after one ticket's status or after a number that was not theirs.
OWN_LIST = re.compile(
    r"\bwhat\s+else\s+(?:do\s+i\s+have|have\s+i\s+got|is\s+(?:there\s+)?(?:open|pending|outstanding)|"
    r"did\s+i\s+(?:raise|log|open|report|ask\s+for|request))\b"
    r"|\b(?:anything|something)\s+else\s+(?:open|pending|outstanding)\b"
    r"|\b(?:show|list|give|tell)\s+(?:me\s+)?(?:about\s+)?(?:mine|my\s+own(?:\s+ones)?|all\s+(?:of\s+)?mine|my\s+others|"
    r"my\s+other\s+(?:ones|tickets|requests))\b"
    r"|^\W*(?:(?:ok(?:ay)?|so|and|then|right|fine|what\s+about|how\s+about)\W+)*(?:mine|my\s+own(?:\s+ones)?|my\s+others)"
    r"(?:\s+(?:then|instead|please|pls))*\W*$"
    r"|\b(?:any|what|which)\s+other\s+(?:tickets|requests|ones)\b"
    r"|\bwhat\s+(?:do\s+i|have\s+i)\s+(?:have|got)\s+(?:open|pending|outstanding|going\s+on)\b", re.I)
CLOSED_TOO = re.compile(r"\b(?:all|closed|resolved|old|past|ever)\b", re.I)
TICKET_NOUN = re.compile(r"\b(?:tickets?|requests?|incidents?|orders?)\b", re.I)
# "the request one", "the incident": which listed ticket, by its type (``read_query`` reads which type)
TYPE_PICK = re.compile(r"\bthe\s+(?:service\s+)?(?:request|incident|order|problem|fault)(?:\s+one)?\b", re.I)
# Words that ask about the ticket just described ("who", "chase", "since when", "what's next").
FOLLOW_CUE = re.compile(
    r"\b(?:who|when|why|what'?s\s+next|next\s+step|next|since|approv\w*|status|still|stuck|done|fixed|progress|long|"
    r"chase|remind|nudge|ping|update|assigned|eta|priority|closed|resolved|open|happening|moving|moved|news|heard|"
    r"speed|faster|quicker|hurry|expedite|escalate|pending|"
    r"sign(?:ed)?\s+off|waiting|holding|sitting|deadline|due|mean|means|meaning)\b"
    # "is it on me?", "do I have to do anything?": what the status means for the employee
    r"|\b(?:on|up\s+to)\s+me\b|\bmy\s+(?:side|end|turn|move)\b|\bdo\s+i\s+(?:need|have)\s+to\b", re.I)
# A short status question with a plain number: "is 4 done", "status 12?", "what about 7" (not "2 monitors").
BARE_NUMBER = re.compile(r"^\W*(?:(?:is|was|has|and|what\s+about|how\s+about|status(?:\s+of)?|ticket|number|no\.?)\s+){1,3}"
                         r"(?P<number>\d{1,6})(?:\s+\w+){0,3}\s*\??\s*$", re.I)
CATALOG = re.compile(r"\bcatalog(?:ue)?\b", re.I)
POINTER = re.compile(r"\b(?:it|this|that|him|her|them|they|he|she)\b", re.I)
LISTED_GENERIC = {"request", "for", "cannot", "can", "not", "very", "after", "from", "keeps", "asking", "my", "the",
                  "inc", "sr", "on", "to", "of", "and", "a", "an"}


def own_list(text: str, state: DialogueState, intent: str) -> AnswerQuestion | None:
    """ "ok what else do I have open?", "show me mine then": the employee's own list, not the ticket just shown."""
    if state.draft_item or intent in ("human", "urgent_security", "outage") or not OWN_LIST.search(text):
        return None
    shown = state.last_shown
    if shown is not None and shown.kind not in ("ticket", "tickets") and not TICKET_NOUN.search(text) \
            and intent not in ("my_tickets", "ticket_status"):
        return None  # "show me mine" after a licence answer is not about tickets
    return AnswerQuestion(tool="my_tickets", arguments={"include_closed": bool(CLOSED_TOO.search(text))})


def ticket_question(text: str, intent: str, entities: dict[str, Any]) -> AnswerQuestion | None:
    """A question about one of the employee's own tickets by what it is about (no number needed)."""
    if intent in ("human", "urgent_security", "outage"):
        return None
    query = read_query(text)
    if CATALOG.search(text):
        return None  # "tell me about the monitor in the catalog" asks about the item, not a ticket
    if entities.get("ticket"):
        return None  # a number: the intent rules already ask for that ticket
    bare = BARE_NUMBER.match(text)
    if bare and FOLLOW_CUE.search(text) and not (entities.get("software") or entities.get("item")):
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": bare.group("number")})  # "is 4 done"
    if intent in ("my_tickets", "ticket_status") and query.content:
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": text})  # "my vpn ticket", "is the headset one done?"
    if STATUS_CUE.search(text) and (query.content or query.pronoun):
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": text})  # "any movement on the IntelliJ thing?"
    if TICKET_NOUN.search(text) and STATE_ASKED.search(text) and query.content:
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": text})  # "the printer ticket - is that closed?"
    return None


# a ticket named as one ("the jammed printer ticket", "my laptop request") and asked about its state
TICKET_NOUN = re.compile(r"\b(?:ticket|incident|request|order|case)\b", re.I)
STATE_ASKED = re.compile(r"\b(?:is|was|has|did|are)\b[^.!]*\b(?:closed|resolved|done|fixed|sorted|finished|open|"
                         r"approved|completed|cancell?ed)\b|\bstatus\b", re.I)


# "once it's approved, where do I get it from?" after a request's status: how the item is handed over (the KB)
WHERE_TO_GET = re.compile(r"\bwhere\s+(?:do|can|will|would|should|shall)\s+(?:i|we)\s+(?:get|pick|collect|find|fetch)\b|"
                          r"\bwhere\s+(?:is|will)\s+it\s+(?:be\s+)?(?:delivered|sent|shipped)\b", re.I)
THANKS_FIRST = re.compile(r"^\W*(?:(?:thanks|thank\s+you|thx|ty|cheers|ok(?:ay)?|great|cool|perfect|got\s+it)\b[\s!,.]*)+",
                          re.I)


ONE_MORE = re.compile(r"\b(?:another|a\s+second|one\s+more|an\s+extra|a\s+spare)(?:\s+one)?\b", re.I)


def another_of_shown(text: str, state: DialogueState, entities: dict[str, Any]) -> StartFlow | None:
    """ "and can I get a second one for home?" right after a request's status (or an answer about its item): one
    more of that item (the subject "Request for Alice Nguyen : Headset"), not whatever "for home" matches."""
    shown = state.last_shown
    if shown is None or shown.kind not in ("ticket", "item") or state.draft_item or not ONE_MORE.search(text) \
            or not REQUEST_CUE.search(text) or entities.get("software"):
        return None
    item = shown_request_item(state) or (shown.subject if shown.kind == "item" else "")
    return StartFlow(item=item, details=text) if item else None


# "anything I can try in the meantime?", "anything i can do myself?" — asking for self-help, not for the status
SELF_HELP = re.compile(
    r"\b(?:anything|something|what(?:\s+else)?)\b[^.?!]{0,25}?\b(?:i|we)\s+(?:can|could|should|might)\s+(?:try|do|check)\b"
    r"|\bin\s+the\s+mean\s*time\b|\bwork\s*-?\s*arounds?\b|\b(?:fix|sort|solve)\s+it\s+(?:myself|on\s+my\s+own)\b", re.I)


def self_help_for_shown(text: str, state: DialogueState, entities: dict[str, Any]) -> AnswerQuestion | None:
    """After an incident's status, "anything I can try in the meantime?" asks what the knowledge base says about that
    problem: it is searched by the ticket's subject ("Laptop very slow after update"), not by the words of the
    question, which name no topic. A service request (its subject names an item) has nothing to try."""
    shown = state.last_shown
    if shown is None or shown.kind != "ticket" or not shown.subject or shown_request_item(state) or state.draft_item \
            or not SELF_HELP.search(text) or entities.get("software") or entities.get("item"):
        return None
    return AnswerQuestion(tool="search_kb", arguments={"question": shown.subject})


def about_shown_ticket(text: str, state: DialogueState, entities: dict[str, Any]) -> AnswerQuestion | None:
    """After one ticket was described: a follow-up about it that names nothing else ("can you chase him?",
    "since when is it waiting?", "and what's next?") is about that ticket. After a list: the listed ticket
    whose subject words the message names ("tell me more about the monitor one")."""
    shown = state.last_shown
    if shown is None or not shown.labels or state.draft_item or entities.get("ticket"):
        return None
    query = read_query(text)
    asked_on = FOLLOW_ON.match(THANKS_FIRST.sub("", text))
    if shown.kind in ("ticket", "tickets") and asked_on and query.content and len(text.split()) <= 10 \
            and not REQUEST_CUE.search(text):
        # "thanks! and the request for the monitor?" after a ticket's status: that other ticket's status
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": asked_on.group("what")})
    if shown.kind == "ticket" and WHERE_TO_GET.search(text) and shown_request_item(state):
        return AnswerQuestion(tool="search_kb", arguments={"question": text})  # "where do I pick it up?": about the item
    if shown.kind == "ticket":
        names_other = bool(entities.get("software") or entities.get("item") or IT_WORDS.search(text) or query.other)
        if not names_other and FOLLOW_CUE.search(text) and len(text.split()) <= 12 and (
                POINTER.search(text) or len(text.split()) <= 5 or not query.content):
            return AnswerQuestion(tool="ticket_status", arguments={"ticket": shown.labels[0].split()[0]})
        return None
    if shown.kind == "tickets" and not query.content and (query.state or TYPE_PICK.search(text)) \
            and len(text.split()) <= 12:
        return AnswerQuestion(tool="ticket_status", arguments={"ticket": text})  # "the resolved one - what was it?"
    if shown.kind == "tickets" and query.content:
        hits = [label for label in shown.labels
                if any(hit(w, set(words_of(label)) - LISTED_GENERIC) for w in query.content)]
        if len(hits) == 1:
            return AnswerQuestion(tool="ticket_status", arguments={"ticket": hits[0].split()[0]})
    return None
