"""The few message patterns that several parts must read the same way: yes/no and ticket numbers.

The engine (a "yes" at a confirmation), the offline model (intent rules and entities), the request
draft (a checkbox answer) and the ticket tools all use these definitions, so "go ahead" cannot be a
confirmation in one place and an unknown word in another.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_POLITE = r"(?:[\s,]+(?:please|thanks|thank you))?[\s.!]*$"

# The whole message says yes (to a confirmation question).
AFFIRM = re.compile(
    r"^\s*(?:yes|y|yep|yeah|yup|sure|ok(?:ay)?|confirm(?:ed)?|correct|go ahead|do it|please do|sounds good|"
    r"absolutely|submit(?: it)?|create it)" + _POLITE, re.I)
# The whole message says no.
DENY = re.compile(r"^\s*(?:no|n|nope|nah|no thanks|not now)[\s.!]*$", re.I)
# The message opens with a no ("no don't log anything, …", "nope, …"): a refusal of what was just asked, whatever
# follows; not "no need to …", "no idea", "no problem".
FIRST_NO = re.compile(r"^\W*(?:no+|nope|nah)\b(?!\s+(?:need|idea|problem|worries|rush)\b)", re.I)
# A thanks anywhere in the message ("ok thanks", "cheers"): the copilot's reply is being acknowledged.
THANKS = re.compile(r"\b(?:thanks?|thank\s+you|thx|ty|cheers|ta)\b", re.I)
# The whole message calls something off.
CANCEL = re.compile(r"^\s*(?:cancel(?: it)?|stop|don'?t|abort|never ?mind)[\s.!]*$", re.I)

PATH = re.compile(r"(?<![\w/])(?:[A-Za-z]:\\[^\s,;]*|\\\\[^\s,;]+)")  # S:\Sales\Forecasts, \\server\share

# One-word answers to a yes/no form field (a checkbox).
YES_WORDS = frozenset({"yes", "y", "yep", "yeah", "sure", "true", "on", "tick", "ticked", "checked", "ok", "1",
                       "correct"})
NO_WORDS = frozenset({"no", "n", "nope", "nah", "false", "off", "unchecked", "0", "none", "don't", "dont"})

# A ticket reference: "INC-12", "SR 7", "#45", "ticket 45", "request no. 45", "status on 7", "and 6?" (a number
# alone after "and", as the next question about tickets).
TICKET_REF = re.compile(
    r"\b(?P<prefix>INC|SR|CHN|PRB|TKT)[-\s#]?(?P<num>\d{1,9})\b|#(?P<hash>\d{1,9})\b|"
    r"\b(?:ticket|request|incident|case)\s*(?:number|no\.?|#)?\s*(?P<plain>\d{1,9})\b|"
    r"\b(?:status|update|news)\s+(?:on|of|for)\s+(?:number\s+|no\.?\s*)?(?P<status>\d{1,9})\b|"
    r"^\W*(?:and|what\s+about|how\s+about)\s+(?:number\s+|no\.?\s*)?(?P<next>\d{1,9})\W*$", re.I)
_BARE_NUMBER = re.compile(r"^\s*(\d{1,9})\s*$")


# Words a confirmation may consist of ("looks right, please submit", "yep do it", "ok go ahead"); at least
# one of the strong ones must be there, and none of the words that turn it into a change or a refusal.
# Yes, confirm and send in Spanish, Italian, German, French and Portuguese (the languages the copilot notices).
_FOREIGN_YES = frozenset("""si sí sì ja oui sim claro vale genau conferma confermo confirma confirmo confirmar confirme
bestätigen bestätige envía envia envoie envoyer invia manda schick abschicken d'accord perfecto perfetto perfeito
parfait procedi procede procède procéder proceda prosegui avanti adelante dale listo vas allez weiter passt stimmt
richtig korrekt correcto correto certo esatto exacto exactement isso bon bene gut enviar envoyez inviala""".split())
# Words that only carry a foreign yes ("oui, c'est bon", "sì, va bene", "ja, passt so", "sí, está bien").
_FOREIGN_FILLER = frozenset("""c'est ça va y est está esta es tutto tudo bem è ist das alles so la le el o a di de
pode por favor s'il te plaît vous""".split())
_CONFIRM_WORDS = frozenset("""yes y yep yeah yup sure ok okay k kk confirm confirmed correct right perfect great fine
good absolutely please pls plz thanks thank you cheers go ahead do it for submit send create place order proceed lgtm
alright cool that's thats this that is all looks look sounds now away just then exactly and the it's to me works ship
fire brilliant lovely right off along through on in with everything ready accurate spot request definitely certainly
agreed awesome excellent nice sweet yea ya yah you we us i one by of course thing happy let's lets book approved
sorted set log raise file thx ty tx thnx thanx tnx tyvm cheers gerne bitte merci danke gracias grazie obrigado obrigada bien
bueno""".split()) | _FOREIGN_YES | _FOREIGN_FILLER
_CONFIRM_STRONG = frozenset("""yes y yep yeah yup sure ok okay k kk confirm confirmed correct perfect fine absolutely
go submit send create place proceed lgtm alright do good works ship fire brilliant lovely great right definitely
certainly agreed awesome excellent nice sweet yea ya yah order book course happy approved""".split()) | _FOREIGN_YES
_NOT_CONFIRM = frozenset("""no not don't dont cancel wait stop never change but instead actually hold nope nah
without except non nein não nao pas nicht aspetta attends espera warte""".split())
_CALL_OFF = re.compile(
    r"\b(?:cancel|abort|nvm|scrap (?:it|that|this)|forget (?:about )?(?:it|that|this|the (?:\w+ )?(?:request|order|draft|form))|never ?mind|nevermind|no thanks|"
    r"not now|don'?t (?:send|submit|order|place|create)|do not (?:send|submit)|changed? my mind|scratch (?:that|it|this)|"
    r"don'?t bother|no need|let'?s not|hold off|forget (?:about )?(?:the whole thing|everything)|drop (?:it|that|this)|"
    r"(?:don'?t|do not) (?:need|want) (?:it|this|that|one|them)|not yet|(?:not|no longer) (?:needed|necessary|required) "
    r"(?:any ?more|after all)|no longer (?:need|want)\w*|(?:don'?t|do not) need (?:it |this |that |one |them )?any ?more|"
    r"(?:let'?s |we can )?(?:leave|skip) it(?: for now)?[\s.!]*$|call (?:it|that) off|kill (?:it|that)|bin (?:it|that)|"
    r"on second thoughts?,? (?:leave|skip|forget|drop|scrap|cancel) (?:it|that|this)|leave it(?=\s*[,;.!]))\b|"
    r"\bactually,? don'?t[\s.!]*$|^\W*(?:(?:no|nah|ok|okay)\b[\s,.!-]*)?(?:just\s+)?(?:leave|skip)\s+it\b(?!\s+(?:at|as|on|with|to|in)\b)|"
    # putting it off or dropping it in other words ("maybe later", "not right now", "I won't need it after all")
    r"\b(?:maybe\s+later|not\s+(?:right\s+)?now|not\s+today|not\s+any\s?more|i'?ll\s+pass|withdraw\s+(?:it|that|this|the\s+request)|"
    r"(?:discard|abandon|delete|remove)\s+(?:it|that|this|the\s+(?:request|order|draft))|let\s+me\s+think\s+about\s+it|"
    r"(?:won'?t|will\s+not|wouldn'?t)\s+need\s+(?:it|this|that|one|them)|not\s+needed|"
    r"(?:don'?t|do\s+not)\s+want\s+(?:to\s+)?(?:order|request|submit|send|get)\s+(?:it|this|that|one|them))\b", re.I)
# The whole message only hesitates or thinks aloud ("hmm", "umm not sure", "ok so", "wait", "it"): no value, no
# request, nothing to act on; the question stays open.
HESITATION = re.compile(
    r"^\W*(?:(?:h+m+|u+m+|u+h+m*|e+r+m*|e+h+|a+h+|well|so|ok(?:ay)?|and|it|that|this|idk|i\s+dunno|dunno|"
    r"i\s+(?:don'?t|do\s+not)\s+know|(?:i'?m\s+)?not\s+sure(?:\s+yet)?|one\s+sec(?:ond)?|a\s+sec|hang\s+on|"
    r"hold\s+on|wait|good\s+question|let\s+me\s+see|lemme\s+(?:see|think))\b[\s,.!…-]*)+$", re.I)


def hesitates(text: str) -> bool:
    """The message says nothing yet: "hmm", "umm... not sure", "ok so", "wait"."""
    return bool(HESITATION.match(text))


_WHY_NOT = re.compile(r"\bwhy\s+not\b")  # "sure, why not" agrees: "not" does not turn it into a no
_THUMBS = frozenset({"👍", "✅", "👌", "👍🏻", "👍🏼", "👍🏽"})
_QUESTION = re.compile(r"\?\s*$|^\s*(?:can|could|will|would|how|what|when|why|where|is|are|do|does|should)\b", re.I)


_ASKS_TO_GO_AHEAD = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|yes|yep|yeah|great|perfect|cool|right|fine|thanks)\W+)*(?:can|could|would|will)\s+you\s+"
    r"(?:please\s+|pls\s+|just\s+)?(?:submit|send|place|file|raise|log|create|book|open|put\s+in|go\s+ahead(?:\s+with)?)"
    r"(?:\s+(?:it|that|this|one|the\s+request|an?\s+(?:ticket|incident)|the\s+(?:ticket|incident)|it\s+off|it\s+through|"
    r"it\s+in))?(?:\s+(?:now|then))?"
    r"(?:\s+(?:please|pls|for\s+me))?\s*[?.!]*\s*$", re.I)


def confirmation(text: str) -> bool | None:
    """The employee's answer to "Shall I submit it?": True (yes, in any of the usual ways), False (no, or
    calling it off), None when the message is something else — a correction, a question — which the
    model then reads. A question that mentions cancelling ("can I cancel it later?") is not a no."""
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", _WHY_NOT.sub(" ", text.lower()))
    if text.strip() in _THUMBS:
        return True
    if _ASKS_TO_GO_AHEAD.match(text):
        return True  # "ok, can you submit it?", "could you send it please?": a yes asked politely
    if not words or _QUESTION.search(text):
        return None
    if DENY.match(text) or CANCEL.match(text) or _CALL_OFF.search(text):
        return False
    if set(words) & _NOT_CONFIRM:
        return None
    if all(w in _CONFIRM_WORDS for w in words) and set(words) & _CONFIRM_STRONG:
        return True
    return None


# Words that name what is being confirmed ("yes, submit the grammarly one", "yes log that ticket").
_SUBJECT_WORDS = frozenset({"one", "request", "requests", "ticket", "incident", "item", "thing", "form"})


def confirmation_naming(text: str, names: list[str]) -> bool | None:
    """``confirmation`` of a message that may also name what it confirms: "yes order the charger" at the
    charger's review is a yes, as is "ok cool, yes submit the grammarly one"."""
    said = confirmation(text)
    if said is not None:
        return said
    named = {w for name in names for w in re.findall(r"[a-z0-9]+", name.lower()) if len(w) >= 3}
    kept = [w for w in text.split() if not (core := re.sub(r"[^a-z0-9]", "", w.lower())) or not (
        core in _SUBJECT_WORDS or any(core == n or (len(core) >= 4 and n.startswith(core)) for n in named))]
    return confirmation(" ".join(kept)) if len(kept) < len(text.split()) and kept else None


def yes_no_word(text: str) -> bool | None:
    """A checkbox answer from its first word ("yes please" → True, "nope" → False), else None."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    if not words:
        return None
    if words[0] in YES_WORDS or words[:2] == ["please", "do"]:
        return True
    if words[0] in NO_WORDS or words[:2] == ["not", "needed"]:
        return False
    return None


def ticket_reference(text: str, *, bare: bool = False) -> tuple[str | None, int] | None:
    """``(prefix, number)`` of the first ticket reference in ``text``; with ``bare``, a message that is
    only a number counts too (a tool argument), otherwise not (a form answer "2" is not a ticket)."""
    match = TICKET_REF.search(text)
    if match is not None:
        if match.group("prefix"):
            return match.group("prefix").upper(), int(match.group("num"))
        return None, int(match.group("hash") or match.group("plain") or match.group("status") or match.group("next"))
    number = _BARE_NUMBER.match(text) if bare else None
    return (None, int(number.group(1))) if number else None


MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATES = re.compile(
    r"\b(?P<iso>\d{4}-\d{1,2}-\d{1,2})\b"
    rf"|\b(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH})\.?(?:,?\s+(?P<y1>\d{{4}}))?\b"
    rf"|\b(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>\d{{4}}))?\b"
    r"|\b(?P<n1>\d{1,2})[/.](?P<n2>\d{1,2})[/.](?P<ny>\d{4})\b"
    r"|\b(?P<rel>today|tomorrow)\b"
    rf"|\b(?P<edge>end|start|beginning)\s+of\s+(?P<m3>{_MONTH})\.?(?:,?\s+(?P<y3>\d{{4}}))?\b"
    r"|\b(?:(?P<next>next)\s+|this\s+|on\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def find_dates(text: str, today: date | None = None) -> list[str]:
    """The dates written in ``text`` as ISO strings: 2027-03-31, "31 March 2027", "March 31", "31/03/2027",
    "tomorrow", "end of January 2027" (its last day), "start of March" (its first), "Friday" / "next Friday" (the
    coming one, never today).
    A day and month without a year is the next such day from ``today``; impossible dates are skipped."""
    today = today or date.today()
    found: list[str] = []
    named_days: list[str] = []  # "Friday": used only when no date is written out ("Monday 3 Feb" is 3 Feb)
    for match in _DATES.finditer(text):
        try:
            if match.group("iso"):
                year, month, day = (int(p) for p in match.group("iso").split("-"))
                value = date(year, month, day)
            elif match.group("n1"):  # 31/03/2027; 04/05/2027 could be April or May: not taken (asked again)
                first, second = int(match.group("n1")), int(match.group("n2"))
                if first != second and first <= 12 and second <= 12:
                    continue
                day, month = (first, second) if first == second or first > 12 else (second, first)
                value = date(int(match.group("ny")), month, day)
            elif match.group("rel"):
                value = today + timedelta(days=1 if match.group("rel").lower() == "tomorrow" else 0)
            elif match.group("edge"):
                month = MONTHS[match.group("m3").lower()]
                year = int(match.group("y3")) if match.group("y3") else today.year
                if not match.group("y3") and month < today.month:
                    year += 1
                last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
                value = date(year, month, last if match.group("edge").lower() == "end" else 1)
            elif match.group("weekday"):
                ahead = (WEEKDAYS.index(match.group("weekday").lower()) - today.weekday()) % 7
                named_days.append((today + timedelta(days=ahead or 7)).isoformat())
                continue
            else:
                day = int(match.group("d1") or match.group("d2"))
                month = MONTHS[(match.group("m1") or match.group("m2")).lower()]
                year_text = match.group("y1") or match.group("y2")
                value = date(int(year_text) if year_text else today.year, month, day)
                if not year_text and value < today:
                    value = date(today.year + 1, month, day)
        except ValueError:
            continue
        found.append(value.isoformat())
    return found or named_days
