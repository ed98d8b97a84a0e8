"""What kind of utterance a message is — a question, a request, a report of something happening now — read
from its form, not its topic.

The intent classifier knows topics ("laptop stolen", "headset", "payslip"); it is weak at form. A careful
agent answers "what should I do if I ever lose my laptop?" from the knowledge base and treats "my laptop
was stolen this morning" as an emergency; "does a headset need approval?" is a question about headsets,
"can I get a headset?" a request for one; "the review form won't load in Chrome" is an IT fault even though
it mentions a review. These rules correct the classifier's intent where the form settles it (``refine``).
They are generic (question words, tense, hypotheticals, IT vocabulary), never phrases from test cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from copilot.policy import is_report
from tools.form_reading import WANTED_IS, looks_like_question

CLAUSES = re.compile(r"[.!?;\n]+|,\s*|\s[-–—]\s|\b(?:but|so)\s+", re.I)
# A clause that asks for information (not "can I get …", which asks for a thing).
INFO_QUESTION = re.compile(
    r"^\s*(?:(?:hi|hey|hello|ok|okay|so|quick\s+q(?:uestion)?|sorry)\W+)*"
    r"(?:how|what|what's|whats|where|where's|when|why|who|who's|which|does|do|is|are|was|were|should|shall|"
    r"am\s+i|will\s+(?:it|i|my|the)|would\s+(?:it|i|my|the)|how's|(?:ok|okay|safe|fine|alright|allowed)\s+to)\b"
    r"(?!\s+about\b)", re.I)
HYPOTHETICAL = re.compile(r"\b(?:if|in\s+case|suppose|supposing|hypothetically|ever|someday|one\s+day|"
                          r"what\s+happens|what\s+would|should\s+i\s+ever)\b", re.I)
# Asking for a thing: "I need …", "can I get …", "could you order …", "please set me up with …".
REQUEST_CUE = re.compile(
    r"\b(?:i|we)\s+(?:really\s+|also\s+|urgently\s+)?(?:need|want|would\s+like|'d\s+like|require)\b|\bi'?d\s+like\b|"
    r"\b(?:can|could|may)\s+(?:i|we)\s+(?:please\s+|just\s+|also\s+|still\s+)*(?:get|have|order|request|borrow)\b|"
    r"\b(?:can|could|would)\s+you\s+(?:please\s+)?(?:get|order|set\s+up|add|give|send|create|provide|request)\b|"
    r"\b(?:please|pls|plz)\s+(?:order|get|set\s+up|add|give|send|request)\b|\bget\s+me\b|^\s*request\b", re.I)
# Asking whether one may do something ("can I share …", "can I install …"): a policy or how-to question.
PERMISSION = re.compile(r"^\s*(?:(?:hi|hey|so|quick\s+q(?:uestion)?)\W+)*(?:can|could|may|am\s+i\s+allowed\s+to)\s+"
                        r"(?:i|we)\s+(?!(?:please\s+|just\s+|still\s+|also\s+)*(?:get|have|order|request|borrow)\b)"
                        r"(?:just\s+|still\s+|also\s+)?[a-z]+", re.I)
# Asking for a replacement of something broken ("it died, i need another one", "can I get a new one?"): the
# report explains the request, it is not a fault for IT to fix.
REPLACEMENT = re.compile(r"\b(?:another|a\s+new|a\s+replacement|a\s+spare)\s+(?:one|charger|pair)\b|"
                         r"\breplace\s+(?:it|them|mine)\b|\breplacement\b", re.I)
# A question asked *about* a request ("does it need approval?", "who can add me?"), not asking for one.
ABOUT_REQUEST = re.compile(r"\b(?:need|needs|require|requires)\s+(?:\w+\s+)?approv|\bwho\s+(?:can|do|should|to)\b|"
                           r"\bwhat\s+does\s+\w+\s+need\b|\bam\s+i\s+allowed\b|\bis\s+it\s+allowed\b", re.I)
# A question about how things are in general, in the present tense: "does a dock need approval?", "do
# monitors require sign-off?" (one's own tickets are asked about in the past: "did my manager approve it?").
GENERAL_RULE = re.compile(r"^\s*(?:does|do|is|are)\s+(?:a|an|the|every|each|all|any)?\s*[\w\s'-]{1,40}?\b"
                          r"(?:need|needs|require|requires|have\s+to\s+be|get)\s+(?:[\w']+\s+){0,2}(?:approv|sign)", re.I)
# Words that make a message about IT whatever else it mentions (payroll workbook, review form, HR mailbox).
# Everyday words that are IT only sometimes ("office", "word", "account", "drive", "phone") are left out.
IT_WORDS = re.compile(
    r"\b(?:laptop|computer|pc|macbook|desktop|monitor|keyboard|mouse|printer|scanner|headset|webcam|"
    r"docking|usb|charger|iphone|android|ipad|wifi|wi-fi|vpn|internet|browser|chrome|firefox|safari|outlook|excel|"
    r"powerpoint|teams|onedrive|sharepoint|windows|software|login|log\s+in|logon|sign\s+in|password|mfa|"
    r"authenticator|mailbox|inbox|email|e-mail|pdf|spreadsheet|workbook|server|error|crash\w*|freez\w*|spinner|"
    r"won'?t\s+load|won'?t\s+open|doesn'?t\s+open|corrupt\w*|licen[cs]e|workday|concur|salesforce|jira|slack|"
    r"zoom|greenhouse|service\s+desk|help\s*desk|it\s+(?:support|team|desk|department|helpdesk|people|staff))\b", re.I)
IT_ACRONYM = re.compile(r"\bIT\b")  # the department, written in capitals (never the pronoun "it")
IT_INTENTS = ("kb_question", "create_incident", "request_item", "license_check", "my_tickets", "ticket_status")
URGENT_INTENTS = ("urgent_security", "outage")
# Asking what the copilot is ("are you a bot or a person?", "am I chatting with a real human?"): answered,
# not taken as a wish to be handed over; "can I talk to a real person?" still is one.
ABOUT_ME = re.compile(r"^\W*(?:\w+\W+){0,2}?(?:are\s+you|r\s+u|am\s+i\s+(?:talking|speaking|chatting|writing)\s+(?:to|with)|"
                      r"is\s+(?:this|that|it)|who\s+am\s+i\s+(?:talking|speaking|chatting)\s+(?:to|with))\b"
                      r"[^?]*\b(?:bot|robot|ai|a\.i\.|human|person|real|machine|computer|automated|chatbot|program)\b", re.I)
WANTS_PERSON = re.compile(r"\b(?:talk|speak|chat)\s+to\b(?!\s+(?:a\s+)?(?:bot|machine))|\b(?:put|get|connect|transfer)\s+me\b|"
                          r"\b(?:i\s+(?:want|need)|give\s+me)\s+(?:a|an|to)\b", re.I)

# "can i talk to someone on the network team?": a person asked for by name of what they are, said outright
ASKS_FOR_PERSON = re.compile(r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+)?(?:someone|somebody|"
                             r"person|human|agent|technician|engineer|real\s+\w+|(?:\w+\s+)?(?:team|desk))\b|"
                             r"\b(?:get|put|connect|transfer|pass)\s+me\s+(?:to\s+|through\s+to\s+|with\s+)?"
                             r"(?:someone|somebody|a\s+(?:person|human|technician|real\s+\w+))\b|"
                             r"\b(?:need|want|prefer|rather\s+have)\s+(?:a\s+|an\s+)?(?:real\s+|actual\s+)?"
                             r"(?:person|human|technician|agent)\b", re.I)


def clauses(text: str) -> list[str]:
    return [c.strip() for c in CLAUSES.split(text) if c and c.strip()]


def asks_for_information(text: str) -> bool:
    """A clause asks how/what/who/whether — before any clause asks for a thing."""
    for clause in clauses(text):
        if REQUEST_CUE.search(clause) and not ABOUT_REQUEST.search(clause):
            return False
        if INFO_QUESTION.search(clause) or ABOUT_REQUEST.search(clause) or PERMISSION.search(clause):
            return True
    return False


def wants_replacement(text: str) -> bool:
    """A clause asks for a thing, and for a new one of it: a replacement, not a repair."""
    return any(REQUEST_CUE.search(c) and REPLACEMENT.search(c) for c in clauses(text))


def is_hypothetical_question(text: str) -> bool:
    """A question or "what if" about something that is not (known to be) happening: no report of it now."""
    if is_report(text):
        return False
    return bool(HYPOTHETICAL.search(text)) or asks_for_information(text) or text.strip().endswith("?")


FILLER = set("""a an the new another one some please pls plz thx thanks need want get i me for x2 2 two
               asap quick quickly company work corporate business office spare extra replacement my""".split())


def names_only(text: str, thing: str) -> bool:
    """The message is the name of a catalog thing and filler words ("dock", "usb stick pls", "a new monitor"):
    a request, whatever a classifier makes of so few words."""
    if "?" in text:
        return False
    words = re.findall(r"[a-z0-9+#]+", text.lower())
    name = set(re.findall(r"[a-z0-9+#]+", thing.lower()))
    rest = [w for w in words if w not in FILLER and w not in name
            and not any(n.startswith(w) or w.startswith(n) for n in name if len(w) >= 3)]
    return bool(words) and len(words) <= 4 and not rest


def about_it(text: str) -> bool:
    return bool(IT_WORDS.search(text) or IT_ACRONYM.search(text))


# What makes a report an outage rather than a place or a thing named: something down, broken or many affected.
OUTAGE_CUE = re.compile(r"\b(?:down|outage|offline|no\s+(?:wi-?fi|internet|network|connection|signal|access|email)|"
                        r"(?:not|isn'?t|aren'?t|stopped)\s+working|(?:nobody|no\s*one)\s+(?:can|is\s+able)|"
                        r"can'?t|cannot|won'?t|dead|broken|dropp\w*|keeps?\s+\w+ing|fail\w*|disconnect\w*|"
                        r"unreachable|not\s+(?:loading|responding|connecting)|gone|(?:is|are)\s+out|"
                        r"lost\s+(?:the\s+)?(?:wi-?fi|internet|network|connection))\b", re.I)
COMPARES = re.compile(r"\bdifference\s+between\b|\bcompared?\s+(?:to|with)\b|\bwhich\s+(?:is|one\s+is)\s+better\b",
                      re.I)


def refine(intent: str, text: str, ranked: Sequence[tuple[str, float]]) -> str:
    """The intent once the message's form is taken into account (see the module docstring)."""
    if intent in URGENT_INTENTS and is_hypothetical_question(text):
        return "kb_question"  # "if my laptop gets stolen, are my files safe?"
    if intent == "outage" and not OUTAGE_CUE.search(text):
        return "kb_question"  # "the wifi on the 2nd floor in london": a place named, nothing said to be down yet
    if intent in ("affirm", "deny") and looks_like_question(text) and len(text.split()) > 3:
        return "kb_question"  # "is it live straight away once I submit?" asks; it agrees to nothing
    if intent in ("license_check", "request_item") and COMPARES.search(text):
        return "kb_question"  # "what's the actual difference between acrobat reader and pro?"
    if intent in ("request_item", "kb_question", "nonsense", "capabilities") and WANTED_IS.match(text):
        return "request_item"  # "what I do need is a distribution list called …": a request, said as a cleft
    if intent == "request_item" and asks_for_information(text):
        return "kb_question"  # "does a headset need manager approval?"
    if intent == "my_tickets" and GENERAL_RULE.search(text):
        return "kb_question"  # a rule in the present ("does X need approval?"), not one's own tickets ("did …")
    if intent == "license_check" and not asks_for_information(text) and not text.rstrip().endswith("?") \
            and not REQUEST_CUE.search(text) and is_report(text):
        return "create_incident"  # "Acrobat says my trial expired" reports a fault, it asks for no seat
    if intent in ("human", "capabilities") and ABOUT_ME.search(text) and not WANTS_PERSON.search(text):
        return "about_me"
    if intent == "create_incident" and wants_replacement(text):
        return "request_item"  # "my charger died on the train, i need another one"
    if intent == "out_of_scope_hr" and about_it(text):
        # "the review form won't load in Chrome": the best IT reading among the classifier's alternatives
        best = next((name for name, _ in ranked if name in IT_INTENTS), None)
        if best is not None:
            return best
        return "kb_question" if asks_for_information(text) else "create_incident"
    return intent
