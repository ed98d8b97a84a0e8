"""Follow-ups that lean on what the copilot answered last: another application after a licence answer
("Camtasia too?", "and for confluence?", "¿y de Miro?" once glossed), "request it" after a licence answer,
and a question about "it" after a knowledge answer ("and what if it keeps disconnecting?"), which is
searched together with the question that answer was about.

Only the message's form is read (short, names one application, points back with "it"/"and"), never
phrases from test cases; ``commands.reference`` handles picks from lists ("the second one").
"""

from __future__ import annotations

import re
from typing import Any

from copilot.models.dialogue_state import DialogueState
from copilot.models.offline.commands import TAKE_IT, AnswerQuestion, Command, Route, StartFlow
from copilot.models.offline.speech_acts import IT_WORDS, REQUEST_CUE
from tools.form_reading import looks_like_question

ALSO = re.compile(r"\b(?:too|as\s+well|also|either|then)\s*\??\s*$|^\s*(?:and|what\s+about|how\s+about|same\s+for)\b",
                  re.I)
POINTER = re.compile(r"\b(?:it|that|this|those|these|there|them)\b", re.I)
NOT_KB = ("license_check", "my_tickets", "ticket_status", "request_item", "human", "urgent_security", "outage")
# "and …", "thanks — and …", "ok, what about …": the message goes on from the last answer.
GOES_ON = re.compile(r"^\W*(?:(?:ok(?:ay)?|thanks|thank\s+you|thx|great|cool|right|perfect|got\s+it)\W+)*"
                     r"(?:and|also|what\s+about|how\s+about|plus)\b", re.I)


def after_licence(text: str, state: DialogueState, entities: dict[str, Any]) -> Command | None:
    """After a licence answer: a short message naming another application asks the same about it; "request it"
    starts the request for the application just answered about."""
    shown = state.last_shown
    if shown is None or shown.kind != "licence" or state.draft_item:
        return None
    words = len(text.split())
    software = entities.get("software")
    if software and str(software).lower() != shown.subject.lower() and words <= 6 and (
            ALSO.search(text) or words <= 3) and not REQUEST_CUE.search(text) and not TAKE_IT.search(text):
        return AnswerQuestion(tool="check_license", arguments={"software": str(software)})
    if TAKE_IT.search(text) and not software and shown.subject:
        return StartFlow(item=shown.labels[0] if shown.labels else shown.subject, details=text)
    return None


# "how do I order one then?", "can I request it?": how to get the thing just offered
HOW_TO_GET = re.compile(r"\bhow\s+(?:do|can|would|should)\s+(?:i|we)\s+(?:order|request|get|ask\s+for|apply\s+for)\s+"
                        r"(?:one|it|that|this|them)\b|\b(?:can|could)\s+i\s+(?:order|request)\s+(?:one|it|that)\b", re.I)


def after_offer(text: str, state: DialogueState, entities: dict[str, Any]) -> Command | None:
    """After one catalog item was offered (no ticket of yours about it, "I can start a “Monitor” request"):
    "ok so how do I order one then?", "get me one" start that request."""
    shown = state.last_shown
    if shown is None or shown.kind != "item" or not shown.subject or state.draft_item:
        return None
    named = entities.get("software") or entities.get("item")
    if named and str(named).lower() not in shown.subject.lower() and shown.subject.lower() not in str(named).lower():
        return None  # "how do I order a dock then?" names another thing
    if HOW_TO_GET.search(text) or TAKE_IT.search(text):
        return StartFlow(item=shown.subject, details=text)
    return None


# "tried that, still happening", "didn't help", "no luck": the fix just shown did not work
FIX_FAILED = re.compile(r"\b(?:already\s+(?:restarted|rebooted|tried|did\s+that)|tried\s+(?:that|it|this|those|these|everything|all\s+(?:of\s+)?(?:that|it|those))|"
                        r"(?:did|does|do)n'?t\s+(?:work|help|fix\s+it|change\s+anything)|(?:did|does)\s+not\s+(?:work|help)|"
                        r"still\s+(?:happening|not\s+working|broken|the\s+same|doing\s+it|failing|there)|no\s+luck|"
                        r"same\s+(?:problem|issue|thing)\s+(?:still|again)|not\s+fixed)\b", re.I)


def fix_failed(text: str, state: DialogueState, intent: str, entities: dict[str, Any]) -> Route | None:
    """After a knowledge answer: "tried that, still happening" — the fix did not work, so the incident is offered
    (its subject is the problem asked about, read from the conversation), not another search for these words."""
    shown = state.last_shown
    if shown is None or shown.kind != "articles" or state.draft_item or intent in ("human", "urgent_security", "outage"):
        return None
    asks_for_ticket = OPEN_A_TICKET.search(text) is not None  # "I already restarted twice. can you open a ticket?"
    if not (FIX_FAILED.search(text) or asks_for_ticket) or len(text.split()) > 16 \
            or ("?" in text and not asks_for_ticket) \
            or entities.get("software") or entities.get("item") or entities.get("ticket"):
        return None
    return Route(intent="create_incident")


OPEN_A_TICKET = re.compile(r"\b(?:open|raise|log|create|file|make)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:ticket|incident)\b", re.I)


def after_article(text: str, state: DialogueState, intent: str, entities: dict[str, Any]) -> AnswerQuestion | None:
    """After a knowledge answer: a question that points back ("and what if it keeps dropping?", "and the
    address again?") and names no topic of its own is searched together with the question just answered."""
    shown = state.last_shown
    if shown is None or shown.kind != "articles" or not shown.subject or state.draft_item or intent in NOT_KB:
        return None
    if entities.get("software") or entities.get("item") or entities.get("ticket") or IT_WORDS.search(text):
        return None
    if not (GOES_ON.match(text) or (POINTER.search(text) and looks_like_question(text))) or len(text.split()) > 14:
        return None
    return AnswerQuestion(tool="search_kb", arguments={"question": f"{text.strip()} ({shown.subject})"})
