"""How ``search_kb`` reads an employee's question before it searches: the question inside a rambling message,
and questions about reaching IT itself, which the IT team's own configuration answers.

Employees wrap the question in their situation ("I'm off sick from tomorrow — can someone reset my MFA?")
or make it hypothetical ("what should I do if I *ever* lose my laptop?"). The situation and the hedge words
carry no topic, but they dilute the question's embedding and the index then only suggests the right
article. :func:`variants` gives the index the message as written plus the question without them; the most
confident reading wins (each is judged by the same calibrated decision, so a vague message stays vague).

"How do I contact IT?", "what are the service desk's hours?" are about the service desk itself. The phone
line is the ``COPILOT_URGENT_CONTACT`` setting and the hours are Freshservice's business hours, so
:func:`contact_answer` states those (with the knowledge article that describes the channels, when the index
finds it) instead of hoping an article scores high enough.
"""

from __future__ import annotations

import re

from tools.context import KbArticle, ToolContext

# Words that make a question hypothetical without saying what it is about.
HEDGES = re.compile(r"\b(?:ever|hypothetically|just\s+in\s+case|in\s+theory|someday|one\s+day|"
                    r"(?:quick|dumb|silly|random)\s+question|asking\s+for\s+a\s+friend)\b[,:]?\s*", re.I)
SPLIT = re.compile(r"(?<=[.!?;])\s+|\s+[-–—]+\s+|\n+")
QUESTION_CLAUSE = re.compile(
    r"\?\s*$|^\s*(?:how|what|what's|whats|where|when|why|who|which|can|could|may|do|does|is|are|should|will|"
    r"would|any)\b", re.I)
MIN_WORDS = 4  # a shorter clause ("is it safe?") needs the rest of the message to mean anything

# Asking how to reach IT / the service desk, or when it is open.
DESK = r"(?:it(?:\s+(?:team|support|department|desk|people|guys|folks|help\s*desk|helpdesk))?|service\s*desk|" \
       r"help\s*desk|tech\s+support|it\s+service\s+desk)"
CONTACT_IT = re.compile(
    rf"\b(?:contact|reach|call|ring|phone|email|e-mail|get\s+(?:hold\s+of|in\s+touch\s+with)|talk\s+to|speak\s+to)\s+"
    rf"(?:the\s+|an?\s+|someone\s+(?:in|from|at)\s+(?:the\s+)?)?{DESK}\b"
    rf"|\b(?:phone|telephone|contact)?\s*(?:number|line|details|extension|ext\.?)\s+(?:for|of|to)\s+(?:the\s+)?{DESK}\b"
    rf"|\bwhere\s+(?:is|are|do\s+i\s+find)\s+(?:the\s+)?{DESK}\b"
    rf"|\b{DESK}(?:'s)?\s+(?:phone(?:\s+number)?|number|extension|hotline|opening\s+(?:hours|times)|hours|"
    rf"contact(?:\s+details)?|phone\s+line)\b"
    rf"|\b(?:when|what\s+time)\s+(?:is|are|does|do)\s+(?:the\s+)?{DESK}\s+(?:open|close|closed|staffed|available|"
    rf"around|in)\b"
    rf"|\b(?:is|are)\s+(?:the\s+)?{DESK}\s+(?:open|closed|staffed|available)\b", re.I)
ABOUT_A_TICKET = re.compile(r"\b(?:ticket|request|order|incident)s?\b|\b(?:INC|SR)-?\d", re.I)
# Bare "it" counts as the department only in capitals ("how do I reach it?" may be about anything).
IT_ACRONYM = re.compile(r"\bIT\b")
DESK_WORDS = re.compile(r"desk|support|department|team|people|guys|folks", re.I)
ABOUT_DESK = re.compile(r"service\s*desk|help\s*desk|\bIT\b", re.I)


def variants(question: str) -> list[str]:
    """The message as written, then (when different) the message without hedge words, and for a message
    that also describes the situation around its one question: from the question on, and the question alone."""
    found = [question]

    def add(text: str) -> None:
        text = re.sub(r"\s+", " ", text).strip(" ,;:-–—")
        if len(text.split()) >= MIN_WORDS and text.lower() not in (f.lower() for f in found):
            found.append(text)

    add(HEDGES.sub("", question))
    clauses = [c for c in SPLIT.split(question) if c and c.strip()]
    asking = [c for c in clauses if QUESTION_CLAUSE.search(c.strip())]
    if len(clauses) > 1 and len(asking) == 1:
        start = clauses.index(asking[0])
        add(HEDGES.sub("", " ".join(clauses[start:])))  # the situation said before the question dropped
        add(HEDGES.sub("", asking[0]))
    return found


def asks_how_to_reach_it(question: str) -> bool:
    """The question is how to reach the IT service desk (phone, hours, where), not about a ticket."""
    match = CONTACT_IT.search(question)
    if match is None or ABOUT_A_TICKET.search(question):
        return False
    said = match.group(0)
    return bool(IT_ACRONYM.search(said) or DESK_WORDS.search(said))


def about_the_desk(article: KbArticle) -> bool:
    """The article talks about the service desk (so it is worth linking from a contact answer)."""
    return bool(ABOUT_DESK.search(" ".join([article.title, *article.passages])))


def contact_answer(ctx: ToolContext, article: KbArticle | None, passage: str = "") -> str:
    """How to reach the service desk, from the IT team's configuration, then what the knowledge article
    about it says (``passage``) with its link, when the index found one."""
    lines = []
    if ctx.office_hours is not None:
        hours = ctx.office_hours
        now = ctx.clock()
        state = "open now" if hours.is_open(now) else f"closed now; it opens {hours.describe_next_open(now)}"
        lines.append(f"The IT service desk is staffed {hours.describe_week()} — it is {state}.")
    lines.append(f"If something can't wait (a security incident, or nobody can work), {ctx.urgent_contact}.")
    if article is not None:
        lines.append(f"From “{article.title}”:\n\n{passage}\n\nFull article: {article.url}" if passage else
                     f"More in “{article.title}”: {article.url}")
    lines.append("You can also tell me here: I can answer from the knowledge base, open a ticket, or hand you over "
                 "to a person on the IT team.")
    return "\n\n".join(lines)
