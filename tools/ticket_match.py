"""Finding the employee's own ticket from what they say about it ("my monitor request", "the vpn problem").

Deterministic: the question's content words are matched (exact, prefix or a close spelling, via
rapidfuzz) against each of the employee's tickets — subject, type, status, requested item names and
approver names; words that say *which kind* of ticket ("order", "request", "open", "resolved") only
narrow the candidates. Only the employee's own tickets are ever searched, so nothing here can reveal
anyone else's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

WORD = re.compile(r"[a-z0-9]+")
# words that carry no topic: function words, status-question words, vague nouns
STOP = set("""
a an the my me i i'm im we our your you it its it's is are was were be been being am do does did done doing have has
had having get got gets getting go going to of on in at for from by with about as and or but so if then than that this
these those there here what whats what's which who whos who's whom when where wheres why how any anything some someone
anyone anybody somebody just still yet already ever again now today also too very really actually please pls plz thanks
thank ok okay great hi hello hey news update updates latest status progress happen happened happening going on way
ages ago reported raised logged opened submitted sent asked made put one thing stuff issue problem question case
tell know let check see find look show can could would should will shall may might must need want like new old
working work holding hold up stuck long taking take takes waiting wait sign signed off approve approved approval
approvals approve approving manager boss lead come coming arrive arrived arriving ship shipped delivered delivery
sorted fixed fix resolved closed open opened pending finished done end in the end at least least far whole
request requests requested order orders ordered ticket tickets incident incidents sr inc no not anything else
other another rest remaining first second third fourth fifth last about moved move moving heard news all
list show give service desk helpdesk support team moment currently right under name outstanding going anyone
anybody someone look looked looking tix tkts mine everything something more details detail info information
joined week weeks month months day days recently lately since morning yesterday him her them they their
sitting sit movement chase chasing remind reminder next assigned assign whos whose hear thats
many much count number total currently
needs wants needed wanted things ones approves signs waits holds looks moves mean means meaning
ive weve youve theyve dont didnt doesnt cant cannot wont isnt hasnt havent wasnt arent
even exactly actually really here there lol btw anyway though meantime meanwhile side
""".split())
OTHER = re.compile(r"\b(?:other|another|rest|remaining)\b", re.I)
REQUEST_WORDS = {"order", "orders", "ordered", "request", "requests", "requested", "arrive", "arrived", "arriving",
                 "ship", "shipped", "delivered", "delivery", "approve", "approved", "approval", "approvals",
                 "sign", "signed", "manager", "boss", "licence", "license"}
INCIDENT_WORDS = {"incident", "incidents", "fixed", "fix", "broken", "problem"}
ON_ITS_WAY = re.compile(r"\bon (its|the) way\b", re.I)
OPEN_WORDS = {"open", "still"}
DONE_WORDS = {"resolved", "closed", "fixed", "sorted", "finished"}
PRONOUN = re.compile(r"\b(it|that|this|that one|this one|the same|him|her|them|they)\b", re.I)
# "the resolved one", "the closed ticket", "the one that's still open": which of several tickets, by its state
# (not "is it resolved?", which asks *whether* it is)
STATE_PICK = re.compile(
    r"\bthe\s+(?P<state>resolved|solved|fixed|closed|finished|done|completed|sorted|open|pending|waiting|on\s+hold)"
    r"\s+(?:one|ones|ticket|tickets|request|requests|incident|incidents|order|orders|issue|problem)\b"
    r"|\bthe\s+one\s+(?:that'?s|that\s+is|that\s+was|which\s+is|which\s+was|that\s+got|that\s+has\s+been)\s+(?:still\s+)?"
    r"(?P<state2>resolved|solved|fixed|closed|finished|done|completed|sorted|open|pending|waiting|on\s+hold)\b", re.I)
STATE_STATUSES: dict[str, tuple[set[int], set[int]]] = {  # the state word → (exactly that status, or else these)
    "resolved": ({4}, {4, 5}), "solved": ({4}, {4, 5}), "fixed": ({4}, {4, 5}), "closed": ({5}, {4, 5}),
    "finished": ({4, 5}, {4, 5}), "done": ({4, 5}, {4, 5}), "completed": ({4, 5}, {4, 5}), "sorted": ({4, 5}, {4, 5}),
    "open": ({2, 3}, {2, 3}), "pending": ({3}, {3}), "waiting": ({3}, {3}), "on hold": ({3}, {3}),
}


@dataclass
class Candidate:
    """One of the employee's tickets, with the words it can be found by."""

    ticket_id: int
    words: set[str]
    is_request: bool
    is_open: bool
    score: int = 0
    status: int = 0
    awaiting_approval: bool = False  # a service request someone still has to approve


@dataclass
class Query:
    content: list[str]
    wants_request: bool = False
    wants_incident: bool = False
    wants_open: bool = False
    wants_done: bool = False
    pronoun: bool = False
    other: bool = False  # "and the other one?": not the ticket talked about last
    topic: str = ""
    state: str = ""  # "the resolved one": which ticket by its state (a STATE_STATUSES key)
    unmatched: list[str] = field(default_factory=list)


def words_of(text: str) -> list[str]:
    return WORD.findall((text or "").lower().replace("'", ""))


def carries_no_topic(word: str) -> bool:
    """A function, status or question word ("needs", "who", "approved"), never what a ticket is about."""
    return word in STOP or word in REQUEST_WORDS


def read_query(text: str) -> Query:
    """What the question says about the ticket it means."""
    tokens = words_of(text)
    content = [t for t in tokens if not carries_no_topic(t) and not t.isdigit() and len(t) > 1]
    query = Query(content=content, topic=" ".join(content))
    token_set = set(tokens)
    query.wants_request = bool(token_set & REQUEST_WORDS) or bool(ON_ITS_WAY.search(text))
    query.wants_incident = bool(token_set & INCIDENT_WORDS) and not query.wants_request
    query.wants_open = bool(token_set & OPEN_WORDS) and not (token_set & DONE_WORDS)
    query.wants_done = False  # "did it get fixed?" asks *whether* it is done; it does not exclude open ones
    query.pronoun = bool(PRONOUN.search(text))
    query.other = bool(OTHER.search(text))
    if picked := STATE_PICK.search(text):
        query.state = re.sub(r"\s+", " ", (picked.group("state") or picked.group("state2")).lower())
        query.wants_open = False
    return query


# Everyday words for the same thing as a ticket's subject or item says it ("the screen one" is the monitor request).
SAME_THING = [{"screen", "monitor", "display"}, {"laptop", "notebook", "macbook"}, {"phone", "mobile", "smartphone"},
              {"headset", "headphones"}, {"dock", "docking"}, {"wifi", "wireless", "wi-fi"}]


def hit(word: str, words: set[str]) -> bool:
    """The word names one of ``words``: exactly, as a prefix (jam / jammed), as a close spelling or as another
    everyday word for the same thing (screen / monitor)."""
    if word in words or any(word in group and group & words for group in SAME_THING):
        return True
    for other in words:
        short, long_ = sorted((word, other), key=len)
        if len(short) >= 3 and long_.startswith(short) and len(long_) - len(short) <= 3:
            return True  # jam / jammed, monitor / monitors
        if len(word) >= 5 and len(other) >= 5 and fuzz.ratio(word, other) >= 85:
            return True  # intelij / intellij
    return False


def rank(query: Query, candidates: list[Candidate]) -> list[Candidate]:
    """The best-matching candidates (all tied at the top score), most recent first as given.

    With content words, a ticket must match at least one of them; without, every ticket of the right
    kind is a candidate (the caller then prefers the one already being discussed, or open ones).
    """
    pool = [c for c in candidates if c.is_request] if query.wants_request else candidates
    if query.wants_incident:
        pool = [c for c in pool if not c.is_request]
    if query.wants_open:
        pool = [c for c in pool if c.is_open] or pool
    if query.state:
        exact, wider = STATE_STATUSES[query.state]
        waiting = query.state in ("pending", "waiting", "on hold")
        pool = ([c for c in pool if c.status in exact or (waiting and c.awaiting_approval)]
                or [c for c in pool if c.status in wider])
    if not query.content:
        return pool
    matched_any: set[str] = set()
    for candidate in pool:
        hits = [w for w in query.content if hit(w, candidate.words)]
        candidate.score = len(hits)
        matched_any.update(hits)
    query.unmatched = [w for w in query.content if w not in matched_any]
    best = max((c.score for c in pool), default=0)
    return [c for c in pool if best > 0 and c.score == best]
