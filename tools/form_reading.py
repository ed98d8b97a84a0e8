"""Reading an open request form's values out of what the employee wrote, deterministically.

Two uses, one set of rules: *prefill* — details given up front ("an encrypted USB stick for next
week's audit, two of them", "figma, windows, full editor") fill the fields they fit, so they are not
asked again; *corrections* — "make that all apps", "actually for 3 days", "change the location to
home", "no wait — the other model" name the field and the new value. A value is only ever proposed
here; the draft (``RequestDraft.set``) validates it against the field before it is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from tools.catalog import SYNONYMS
from tools.patterns import PATH, confirmation, find_dates, hesitates
from tools.request_draft import (
    EMAIL,
    PEOPLE_LABEL,
    PURPOSE_LABEL,
    Choice,
    DraftField,
    FieldType,
    InvalidAnswer,
    RequestDraft,
    parse_value,
)

_TOKEN = re.compile(r"[a-z0-9]+")
NEGATION = {"no", "not", "without", "dont", "don", "never", "nope", "doesnt", "isnt", "nor", "nobody", "noone", "none"}
GENERIC = {"the", "and", "for", "all", "new", "with", "address", "type", "level", "mode", "one", "other"}
FILLER = set("""a an the my me our us i i'm im it its this that these those please pls plz thanks thank you one some
any just also so really very it's is are be was need needs needed want like would get getting got can could will
for to of on in at by and or but with from as up out a about""".split())
WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "a pair of": 2, "a couple of": 2, "couple of": 2, "pair of": 2}
_NUMBER = r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)"
QUANTITY = re.compile(rf"\b{_NUMBER}\s+of\s+(?:them|those|these|it)\b|\b(?:x\s?)(\d{{1,2}})\b|\b(\d{{1,2}})\s?x\b"
                      r"|\b(a pair of|a couple of)\b"
                      rf"|\b{_NUMBER}\s+(?!(?:days|weeks|hours|months|years|minutes|users|people|persons|seats|"
                      r"colleagues|times)\b)(?P<noun>[a-z]{3,})s\b", re.I)
QUANTITY_CHANGE = re.compile(rf"\b(?:make\s+it|make\s+that|actually|change\s+(?:the\s+)?quantity\s+to|need|want)\s+"
                             rf"{_NUMBER}\b(?!\s*(?:day|days|week|weeks|hour|hours|month|months))", re.I)
UNIT_WORDS = {"unit", "piec", "item"}  # first four letters, as compared
USERS = re.compile(rf"\b{_NUMBER}\s+(?:users|people|persons|colleagues|seats|of us)\b", re.I)
# A name given up front: "a shared mailbox called sales-apac", "a list named 'Design team'", "a tool called Pigment".
CALLED = re.compile(r"\b(?i:called|named|name\s+(?:is|:)|titled|(?:re)?name\s+(?:it|that|the\s+\w+)(?:\s+to)?|call\s+(?:it|that))\s+[\"'“‘]?(?!(?i:it|that|this|me|him|her|them)\b)(?P<name>[\w.@&+-]+(?:\s+[A-Z][\w.&+-]*)*)")
# A person's name given in passing ("new starter: Priya Sethi, starting Monday") for a field that asks for one.
PERSON_LABEL = re.compile(r"\b(?:starter|person|employee|hire|joiner|contractor|colleague|user|leaver|guest|visitor)\b", re.I)
_UP, _LOW = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
PERSON_NAME = re.compile(rf"(?<![\w.@])(?:[{_UP}][{_LOW}]+(?:[-'][{_UP}]?[{_LOW}]+)?)(?:\s+(?:van|de|da|von|del|di|le|la)?\s*"
                         rf"[{_UP}][{_LOW}]+(?:[-'][{_UP}]?[{_LOW}]+)?)+(?![\w@])")
# The tool to evaluate, named after the verb ("please evaluate Sentry", "we'd like to trial Loom") for a field
# that asks for a software or product name; a capitalised name only, so "evaluate something" names nothing.
TOOL_LABEL = re.compile(r"\b(?:software|tool|product|application|app|vendor)\s+name\b", re.I)
NAMED_TOOL = re.compile(r"\b(?i:evaluat(?:e|ing|ion\s+(?:of|for))|trial(?:l?ing)?|try(?:ing)?(?:\s+out)?|pilot(?:ing)?|test(?:ing)?|"
                        r"look(?:ing)?\s+at|assess(?:ing)?)\s+(?P<name>[A-Z][\w.+-]*(?:\s+[A-Z][\w.+-]*)?)")
WEBSITE_LABEL = re.compile(r"\b(?:website|web\s*site|url|site|link|homepage)\b", re.I)
WEBSITE = re.compile(r"(?<![@\w.-])(?:https?://)?(?:www\.)?[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|io|net|org|ai|app|dev|co|"
                     r"de|eu|uk|fr|es|it|nl|so|tech|cloud)\b(?:/[^\s,;]*)?", re.I)
PURPOSE = re.compile(
    r"\b(?:for|because|since|so\s+(?:that\s+)?(?:i|we)\s+can|i'?m\s+(?:doing|working\s+on|using\s+it\s+for)|"
    r"i\s+am\s+(?:doing|working\s+on)|(?:i\s+|we\s+)?need(?:ed)?\s+(?:it\s+|them\s+|this\s+|one\s+)?(?:for|to)|"
    r"in\s+order\s+to|to(?!\s+(?:the|my|a|an|your|our|his|her|their|that|this|it|me|us|them)\b))\s+"
    r"(?P<rest>(?:(?!\bfor\b|\s[-–—]\s)[^,;.!?()\n])+)", re.I)
# "need admin rights, setting up a local kubernetes cluster": what the employee is doing, after the request.
DOING = re.compile(r"(?:[,;:]|\s[-–—])\s*(?P<rest>(?:setting\s+up|building|working\s+on|migrating|testing|debugging|"
                   r"running|preparing|creating|developing|analy[sz]ing|designing|editing|presenting|upgrading|"
                   r"rolling\s+out|automating|reviewing|auditing)\b[^,;.!?()\n]{5,})", re.I)
# A message that says it changes something already given ("actually", "sorry, …", "make that …").
CORRECTION_CUE = re.compile(
    r"^\s*(?:no|nope|oops|sorry|wait|hmm|ah|oh)\b|\b(?:actually|instead|rather|change|changed|switch|swap|make\s+(?:it|that)|"
    r"i\s+meant|meant\s+to\s+say|wrong|mistake|correction|not\s+the|the\s+other|no\s+wait|update\s+the|set\s+the|"
    r"should\s+be|go\s+with|i\s+said|typo|prefer|better)\b",
    re.I)
EXPLICIT = re.compile(
    r"\b(?:change|set|make|update|switch|put)\s+(?:the\s+|my\s+)?(?P<field>[a-z][\w -]{1,40}?)\s+(?:to|=|as|into)\s+"
    r"(?P<value>.+?)\s*[.!]?$|\b(?:the\s+)?(?P<field2>[a-z][\w -]{1,40}?)\s+(?:should\s+be|is\s+actually|must\s+be)\s+"
    r"(?P<value2>.+?)\s*[.!]?$", re.I)
OTHER = re.compile(r"\bthe\s+other\s+(?P<what>[a-z]+)?", re.I)
# "what I (do / really) need is …", "all I want is …": the thing wanted, put first — a request, not a question
_CLEFT = r"(?:what|all)\s+(?:i|we)\s+(?:do\s+|really\s+|actually\s+)?(?:need|want)\s+is\b"
WANTED_IS = re.compile(r"^\W*(?:(?:ok(?:ay)?|so|but|and|well|actually)\W+)*" + _CLEFT, re.I)
QUESTION = re.compile(
    r"\?\s*$|^\s*(?:(?:btw|by\s+the\s+way|oh|also|hey|hmm+|quick\s+(?:question|one)|sorry|one\s+thing|wait|hang\s+on|"
    r"actually|um+|uh+)(?:\s+and)?"
    r"\b[\s,:;.!-]*)*(?!" + _CLEFT + r")(?:how|what|when|where|why|who|"
    r"which|is|are|can|could|do|does|did|will|would|should|shall|may|"
    r"(?:what|how|where|who|when)'?s|wat|wats)\b"
    r"|\bwhat\s+(?:do|should|can|shall)\s+(?:i|we)\s+do\b"
    # asked on someone's behalf or wondered aloud: "a colleague asks how he installs postman", "i wonder if …"
    r"|\b(?:asks?|asking|asked|wonder(?:s|ing)?|wants?\s+to\s+know|wanted\s+to\s+know)\s+(?:me\s+)?"
    r"(?:how|what|where|when|why|who|whether|if)\b", re.I)


def looks_like_question(text: str) -> bool:
    """A question to the copilot, not a value for a field ("where do I collect it?", "before I write this - who
    would approve it? it's quite pricey")."""
    return bool(QUESTION.search(text.strip())) or bool(re.search(r"\w\s*\?+\s+\S", text))


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("'", ""))


CLAUSE_BREAK = re.compile(r"[,;.!?()]|\s[-–—]\s|\b(?:but|instead|rather|so)\b", re.I)
# "no, sorry, usb-c" / "no wait the pro": a "no" that takes back what was said, not one that refuses the next words.
LEADING_NO = re.compile(r"^\s*(?:no+|nope|nah)\b(?=\s*[,.!;:—–-]|\s+(?:sorry|wait|actually|i\s+meant|my\s+bad|oops|"
                        r"make\s+it|it'?s|its|i\s+said|that'?s\s+wrong|wrong)\b)", re.I)
INSTEAD_OF = re.compile(r"\b(?:instead\s+of|rather\s+than|in\s+place\s+of|other\s+than)\b", re.I)


def _negated_spots(text: str) -> set[int]:
    """Token positions (as in ``tokens``) a negation governs: up to two words after "no"/"not"/"without"/
    "instead of", never across a clause break — in "not iPhone, Samsung" only the iPhone is refused."""
    marked = LEADING_NO.sub("oh", INSTEAD_OF.sub(" not ", text)).lower().replace("'", "")
    breaks = [m.start() for m in CLAUSE_BREAK.finditer(marked)]
    spans = [(m.group(0), sum(1 for b in breaks if b < m.start())) for m in _TOKEN.finditer(marked)]
    return {index for index, (_, clause) in enumerate(spans)
            if any(word in NEGATION and where == clause for word, where in spans[max(0, index - 2):index])}


# Words people use for a choice that the choice's label does not contain (applied only when no choice of the
# field has the word itself: a laptop form's "MacBook Pro 14" keeps its own "macbook").
CHOICE_ALIASES = {"macbook": "macos", "imac": "macos", "apple": "macos", "osx": "macos", "win": "windows",
                  "win11": "windows", "win10": "windows", "ubuntu": "linux", "wfh": "home", "house": "home",
                  "flat": "home", "apartment": "home"}
# A platform said for a phone model: "the android" is whichever of these words a choice has (Samsung Galaxy S25).
PLATFORM_MAKERS = {"android": ("samsung", "galaxy", "pixel", "motorola", "oneplus", "xiaomi"), "ios": ("iphone",),
                   "apple": ("iphone",)}


@dataclass(frozen=True)
class Mention:
    choice: Choice
    position: int  # token index where the mention ends, to prefer the one said last
    exact: bool  # the whole label was written, not only a distinctive word of it


def mentioned_choices(field: DraftField, text: str, *, loose: bool = False) -> list[Mention]:
    """The field's choices named in ``text``: the whole label ("usb-c", "London - Thames") or a word only
    that choice has ("home" → Home address, "mac" → macOS, "samsung"); a negated mention ("no recording",
    "not the office", "instead of the Air") does not count. ``loose`` (a correction: "make it the pro") lets a
    short distinctive word ("pro", "air") count on its own."""
    # "one day" names "1 day", "three days" "3 days" (one word for one word: positions stay those of ``tokens``)
    labels = {c.label: tokens(c.label) for c in field.choices}
    known = {w for label in labels.values() for w in label}
    words = [str(WORD_NUMBERS.get(w, w)) for w in tokens(INSTEAD_OF.sub(" not ", text))]
    words = [w if w in known else _maker(w, known) or CHOICE_ALIASES.get(w, w) for w in words]  # "macbook" → macOS,
    # unless a choice says MacBook
    negated = _negated_spots(text)
    found: list[Mention] = []
    for choice in field.choices:
        label = labels[choice.label]
        if not label:
            continue
        compact = "".join(label)
        spots = [i for i in range(len(words) - len(label) + 1) if words[i:i + len(label)] == label]
        spots += [i for i, w in enumerate(words) if len(label) > 1 and w == compact]
        if len(compact) <= 3 and choice.label not in text:  # "US", "UK": the word "us" is not the layout …
            named = {w for w in tokens(field.label) if len(w) >= 4}  # … unless beside the field's name: "keyboard uk"
            spots = [i for i in spots if any(0 <= j < len(words) and words[j] in named for j in (i - 1, i + 1))]
        exact = bool(spots)
        if not spots:
            others = {w for c, other in labels.items() if c != choice.label for w in other}
            distinctive = [w for w in label if w not in others and w not in GENERIC and len(w) >= 3 and not w.isdigit()]
            spots = [i for i, w in enumerate(words) for d in distinctive
                     if (w == d and (len(d) >= 4 or loose or _beside(words, i, label)))
                     or (w != d and len(w) >= 3 and d.startswith(w) and len(w) * 2 >= len(d))]
        spots = [i for i in spots if i not in negated]
        if spots:
            found.append(Mention(choice, max(spots) + (len(label) - 1 if exact else 0), exact))
    return found


def _maker(word: str, known: set[str]) -> str | None:
    """The word a choice uses for the platform said ("android" → "samsung" when a choice is a Samsung)."""
    return next((maker for maker in PLATFORM_MAKERS.get(word, ()) if maker in known), None)


BIGGER = re.compile(r"\b(?:bigger|larger|biggest|largest|more\s+powerful|beefier|the\s+big\s+one)\b", re.I)
SMALLER = re.compile(r"\b(?:smaller|smallest|lighter|lightest|more\s+compact|the\s+small\s+one)\b", re.I)
SIZE = re.compile(r"\b(\d{1,2}(?:\.\d)?)\b")  # a size in a label ("MacBook Pro 14"), not a model number ("7450")


def compared_choice(field: DraftField, text: str) -> Choice | None:
    """ "the bigger mac", "the smaller one": among the choices sharing a word with the text (all of them when none
    does), the one with the largest or smallest size in its label — only when every such choice has a size."""
    wants_big = bool(BIGGER.search(text))
    if wants_big == bool(SMALLER.search(text)):
        return None
    said = [w for w in tokens(text) if len(w) >= 3 and w not in GENERIC]
    family = [c for c in field.choices if any(word.startswith(w) for word in tokens(c.label) for w in said)] or field.choices
    sized = [(float(m.group(1)), c) for c in family if (m := SIZE.search(c.label))]
    if len(sized) < 2 or len(sized) != len(family) or len({size for size, _ in sized}) < len(sized):
        return None
    return (max if wants_big else min)(sized, key=lambda pair: pair[0])[1]


def _beside(words: list[str], index: int, label: list[str]) -> bool:
    """A short distinctive word ("air", "pro") counts only next to another word of its label ("macbook air")."""
    return any(0 <= j < len(words) and words[j] in label for j in (index - 1, index + 1))


def one_choice(field: DraftField, text: str, *, last: bool = False, loose: bool = False) -> Choice | None:
    """The single choice ``text`` names (whole labels win over single words), or the one said last."""
    found = mentioned_choices(field, text, loose=loose)
    exact = [m for m in found if m.exact]
    pool = exact or found
    if not pool:
        return compared_choice(field, text)
    if exact:  # "London - Soho" also contains the word "London": the longest whole label wins
        longest = max(len(m.choice.label) for m in exact)
        pool = [m for m in exact if len(m.choice.label) == longest] if len(exact) > 1 and not last else exact
    if len({m.choice.label for m in pool}) == 1:
        return pool[0].choice
    return max(pool, key=lambda m: (m.position, len(m.choice.label))).choice if last else None


def _mention(field: DraftField, words: list[str]) -> int | None:
    """Where in ``words`` a yes/no field is named (a word of its label: "recording", "port", "number")."""
    stems = [w[:5] for w in tokens(field.label) if len(w) >= 4 and w not in FILLER | {"will", "include", "needs",
                                                                                      "existing", "process", "address",
                                                                                      "addresses"}]
    words = [CHECKBOX_SYNONYMS.get(word, word) for word in words]  # "no outside people": the external addresses
    return next((i for i, word in enumerate(words) if any(word.startswith(stem) for stem in stems)), None)


# Everyday words for a yes/no field's own word ("outside" people are external addresses).
CHECKBOX_SYNONYMS = {"outside": "external", "outsiders": "external", "non-acme": "external",
                     "internal": "external"}  # "internal addresses only": the field named by its opposite (a no)


SWITCH_OFF = NEGATION | {"cancel", "skip", "drop", "remove", "scrap", "forget", "exclude", "leave", "ditch"}


# "a new number is fine": a field about keeping something existing is turned off by asking for a new one.
KEEPING = {"existing", "current", "old"}
NOT_KEEPING = {"new", "fresh", "different", "another"}


# "internal addresses only" for "Include external addresses": the opposite word says no.
OPPOSITES = {"external": "internal", "internal": "external", "public": "private", "private": "public",
             "remote": "onsite", "onsite": "remote"}


def _checkbox_in(field: DraftField, words: list[str]) -> bool | None:
    index = _mention(field, words)
    if index is None:
        return None
    before = set(words[max(0, index - 4):index])
    said = not (SWITCH_OFF & before)
    label = set(tokens(field.label))
    if any(OPPOSITES.get(w) in words and w not in words for w in label):
        said = not said  # "internal addresses only": the external ones are not included
    return not said if KEEPING & label and NOT_KEEPING & before else said


def checkbox_mention(field: DraftField, text: str) -> bool | None:
    """A yes/no field said in passing: "no recording" / "skip the recording" → False, "port my number" → True,
    "a new number is fine, don't need to port anything" → False. Each clause is read on its own (a "no" in one
    does not reach the next); the last clause that names the field decides."""
    said = [value for clause in CLAUSE_BREAK.split(text) if (value := _checkbox_in(field, tokens(clause))) is not None]
    return said[-1] if said else None


def switched_off(draft: RequestDraft, text: str) -> str | None:
    """ "cancel the recording part, we don't need it": the label of the yes/no field the message turns off
    (the request itself goes on), else None."""
    words = tokens(text)
    for field in draft.fields:
        if field.field_type == FieldType.CHECKBOX and (index := _mention(field, words)) is not None \
                and SWITCH_OFF & set(words[max(0, index - 3):index]) and draft.answers.get(field.name) is not False:
            return field.label
    return None


def checkbox_words(field: DraftField, text: str) -> set[str]:
    """The words of the clauses that said a yes/no field ("I'd like to hold on to my current number", "don't need
    to port anything"): they gave a value, not a reason (a reason in the same clause is then asked for rather
    than half read)."""
    said: set[str] = set()
    keeping = bool(KEEPING & set(tokens(field.label)))
    for clause in re.split(r"[,;.!?]|\b(?:and|but|so)\b", text):
        words = tokens(clause)
        if _mention(field, words) is not None or (keeping and {"keep", "keeping", "kept"} & set(words)):
            said |= set(words)  # "I'm keeping my private one" explains the number, it is no reason for the phone
    return said


# Words that ask for the thing, not why ("I would like to request Visio" gives no reason).
ASKING_WORDS = {"request", "requesting", "order", "ordering", "buy", "purchase", "install", "ask", "apply", "obtain",
                "have", "licence", "license", "seat", "copy", "hello", "hey", "thanks"}
# "for my windows box", "for my work laptop": what it goes on, not why it is needed.
DEVICE_WORDS = {"box", "machine", "computer", "pc", "laptop", "desktop", "device", "workstation", "notebook", "rig",
                "work", "mac", "macbook", "new", "old", "current", "own", "personal"}


# "evaluate a new tool" for a New software evaluation: the item again, in general words, not why it is needed.
THING_WORDS = {"tool", "tools", "app", "apps", "software", "program", "product", "thing", "something", "one"}


def _same_stem(a: str, b: str) -> bool:
    """"evaluation" and "evaluate", "installing" and "install": one word in two forms."""
    return min(len(a), len(b)) >= 6 and a[:6] == b[:6]


def _self_as(label: str) -> re.Pattern[str]:
    """ "me as owner", "I'll be the owner", "owner: me" for the field labelled ``label`` ("Owners")."""
    role = re.escape(tokens(label)[0].rstrip("s")) + r"s?"
    return re.compile(rf"\b(?:me|myself)\s+(?:as|is|will\s+be)\s+(?:the\s+|an?\s+)?(?:only\s+)?{role}\b|"
                      rf"\bi(?:'?ll|\s+will)?\s+(?:be|am)\s+(?:the\s+|an?\s+)?{role}\b|"
                      rf"\b{role}\s*(?:is|are|:|=|will\s+be)?\s*(?:just\s+|only\s+)?(?:me|myself)\b", re.I)


def _role(label: str) -> str:
    return re.escape(tokens(label)[0].rstrip("s")) + r"s?" if tokens(label) else r"\b\B"


def people_listed(draft: RequestDraft, field: DraftField, text: str) -> str | None:
    """ "owners me and bob.martin@acme.example, members Alice Nguyen": the people listed after the field's word —
    addresses, names as written, "me" for the employee — up to the next people field's word or the end of the
    sentence; None when nothing after the word is a person."""
    others = [_role(f.label) for f in draft.fields if f.name != field.name and PEOPLE_LABEL.search(f.label)]
    listed = re.search(rf"\b{_role(field.label)}\b\s*(?:should\s+be|will\s+be|would\s+be|are|is|:|=)?\s*(?P<rest>.*)",
                       text, re.I | re.S)
    if listed is None:
        return None
    rest = listed.group("rest")
    end = re.search(r"[;.!?(](?:\s|$)|[(]|\b(?:reason|because|since|for\s+now|please|pls)\b"
                    + "".join(rf"|\b{o}\b" for o in others), rest, re.I)
    part = rest[:end.start()] if end else rest
    people: list[str] = []
    for piece in re.split(r",|&|\+|/|\band\b", part):
        piece = piece.strip(" .:-")
        if not piece:
            continue
        if (address := EMAIL.search(piece)) is not None:
            people.append(address.group(0))
        elif re.fullmatch(r"(?:me|myself|i|me\s+too)", piece, re.I):
            if draft.requester_email:
                people.append(draft.requester_email)
        elif PERSON_WORDS.fullmatch(piece) and not set(tokens(piece)) & (FILLER | GENERIC):
            people.append(" ".join(w.capitalize() for w in piece.split()))  # "Bob Martin", "carol diaz"
        else:
            return None  # words that are no person ("a list that forwards to all of us"): not read as people
    people = list(dict.fromkeys(people))
    return ", ".join(people) if people and (len(people) > 1 or people[0] != draft.requester_email) else None


def name_given(field: DraftField, text: str) -> str | None:
    """ "call it sales-emea-team", "name it ops-rota" for a name field: the name alone."""
    if not re.search(r"\bname\b", field.label, re.I) or PERSON_LABEL.search(field.label):
        return None
    called = CALLED.search(text)
    return called.group("name").rstrip(".") if called is not None else None


def describes_instead_of_naming(field: DraftField, text: str) -> bool:
    """A name field ("List name", "Mailbox name") answered with a description ("just a list that forwards to all
    of us, no outside people on it"), not a name: many words, none of them a name given ("called …")."""
    if not re.search(r"\bname\b", field.label, re.I) or PERSON_LABEL.search(field.label) or TOOL_LABEL.search(field.label):
        return False
    return len(text.split()) > 5 and CALLED.search(text) is None and EMAIL.search(text) is None


PERSON_WORDS = re.compile(r"[A-Za-z][a-z'-]+(?:\s+[A-Za-z][a-z'-]+){0,2}")


NAMES_THE_THING = re.compile(r"(?:a|an|the|some|this|that|our)?\s*(?:[\w-]+\s+){0,2}(?:called|named)\b", re.I)


def purpose(text: str, ignore: set[str], restated: set[str] | None = None) -> str | None:
    """Why the employee needs it, from "for the client audit", "I'm doing the finance slides", "need it to
    debug a driver" — the first such phrase that says more than a value already read (a choice, a date) and more
    than the item's own description (``restated``: "try a tool that's not in the catalog" is the evaluation item)."""
    plain = PATH.sub(" ", EMAIL.sub(" ", text))
    for match in [*PURPOSE.finditer(plain), *DOING.finditer(plain)]:  # "access to S:\\Sales" says where, not why
        rest = match.group("rest").strip(" -–—:")
        if NAMES_THE_THING.match(rest):
            continue  # "evaluation request for a tool called Warp": what it is, not why
        content = [w for w in tokens(rest) if w not in FILLER | ASKING_WORDS | DEVICE_WORDS | THING_WORDS
                   and not w.isdigit() and len(w) >= 3 and not any(u.startswith(w) or _same_stem(u, w) for u in ignore)]
        if content and not (restated and all(w in restated or any(_same_stem(r, w) for r in restated)
                                             for w in content if w not in NEGATION | {"thats", "whats", "its"})):
            return rest
    return None


SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|,\s*(?=(?:can|could|would|may|pls|please|so)\b)|"
                      r"(?:,|\s[-–—])\s*(?=(?:my|our|i|i'?m|im|i'?d|we|we'?re|we'?d|as)\s)", re.I)
FIRST_PERSON = re.compile(r"^\s*(?:i|i'?m|im|i'?ve|i'?ll|we|we'?re|we'?ve|my|our|as\s+(?:a|an|the)|being)\b", re.I)
ASKING = re.compile(r"\b(?:need|want|wanna|like|get|order|request|give|send|can(?!'?t\b|not\b)|could(?!n'?t\b)|please|"
                    r"pls|plz)\b", re.I)  # "can't handle our builds" says why; "can I get" asks


def statement(text: str) -> str | None:
    """A sentence in which the employee says something about themselves or their work ("I travel a lot",
    "we're onboarding three contractors next week") — not the request itself and not a question: the
    business reason as people give it, before or around what they ask for."""
    for sentence in SENTENCE.split(text.strip()):
        sentence = sentence.strip(" .!;,-–—")
        if (FIRST_PERSON.match(sentence) and len(sentence.split()) >= 3 and not ASKING.search(sentence)
                and not looks_like_question(sentence)):
            return sentence
    return None


def _number(raw: str) -> int | None:
    raw = raw.lower().strip()
    return int(raw) if raw.isdigit() else WORD_NUMBERS.get(raw)


def quantity_in(text: str, item: str | None = None) -> int | None:
    """How many the employee asks for: "3 of them", "x2", "a pair of", "two monitors". With ``item``, a number
    before a plural noun counts only when the noun names the item ("two monitors", "2 screens" for a Monitor),
    never in passing ("I work from two docs at once", "across three offices")."""
    match = QUANTITY.search(text)
    if match is None:
        return None
    if item is not None and (noun := match.group("noun")) is not None:
        said = noun.lower()
        names = {w[:4] for w in tokens(item) if len(w) >= 3} | UNIT_WORDS
        if not {said[:4], SYNONYMS.get(said, said)[:4]} & names:
            return None
    return next((_number(g) for g in match.groups() if g), None)


def _fits(field: DraftField, raw: Any) -> Any:
    try:
        return parse_value(field, raw)
    except InvalidAnswer:
        return None


def read_values(draft: RequestDraft, text: str, *, only_unanswered: bool = True, last: bool = False,
                loose: bool = False) -> dict[str, Any]:
    """Field name → raw value for every field of the form that ``text`` gives a value for (not validated)."""
    values: dict[str, Any] = {}
    used: set[str] = set(tokens(draft.item_name))
    dates = find_dates(text)
    date_fields = [f for f in draft.fields if f.field_type == FieldType.DATE]
    name_given = False
    for field in draft.fields:
        if only_unanswered and field.name in draft.answers:
            continue
        if field.choices and field.field_type in (FieldType.DROPDOWN, FieldType.MULTI_SELECT):
            choice = one_choice(field, text, last=last, loose=loose)
            if choice is not None:
                values[field.name] = choice.label
                used |= set(tokens(choice.label))
        elif field.field_type == FieldType.CHECKBOX:
            said = checkbox_mention(field, text)
            if said is not None:
                values[field.name] = said
                used |= set(tokens(field.label)) | checkbox_words(field, text)
        elif field.field_type == FieldType.DATE and dates:
            values[field.name] = dates[min(date_fields.index(field), len(dates) - 1)] if len(date_fields) > 1 else dates[0]
        elif field.field_type == FieldType.NUMBER and (users := USERS.search(text)):
            values[field.name] = str(_number(users.group(1)))
            used |= set(tokens(users.group(0)))  # "for 6 users" says how many, not why
        elif field.field_type in (FieldType.TEXT, FieldType.PARAGRAPH) and PEOPLE_LABEL.search(field.label) \
                and (listed := people_listed(draft, field, text)) is not None:
            values[field.name] = listed  # "owners me and bob@…, members alice@…"
        elif field.field_type in (FieldType.TEXT, FieldType.PARAGRAPH) and PEOPLE_LABEL.search(field.label) \
                and draft.requester_email and _self_as(field.label).search(text):
            values[field.name] = draft.requester_email  # "me as owner"
        elif field.field_type in (FieldType.TEXT, FieldType.PARAGRAPH) and "email" in field.label.lower():
            if (email := EMAIL.search(text)) is not None:
                values[field.name] = email.group(0)
        elif field.field_type in (FieldType.TEXT, FieldType.URL) and WEBSITE_LABEL.search(field.label):
            if (site := WEBSITE.search(EMAIL.sub(" ", text))) is not None:
                values[field.name] = site.group(0).rstrip(".")
        elif field.field_type in (FieldType.TEXT, FieldType.PARAGRAPH) and re.search(r"path|folder", field.label, re.I):
            if (path := PATH.search(text)) is not None:
                values[field.name] = path.group(0).rstrip(".")
        elif field.field_type == FieldType.TEXT and re.search(r"\bname\b", field.label, re.I) and not name_given:
            called = CALLED.search(text)
            person = PERSON_NAME.search(text) if PERSON_LABEL.search(field.label) and called is None else None
            tool = NAMED_TOOL.search(text) if TOOL_LABEL.search(field.label) and called is None else None
            given = called.group("name") if called else person.group(0) if person else tool.group("name") if tool else None
            if given is not None:
                name_given = True  # the first name field only
                values[field.name] = given.rstrip(".")
                used |= set(tokens(given))
        elif field.field_type in (FieldType.TEXT, FieldType.PARAGRAPH) and not PURPOSE_LABEL.search(field.label) \
                and (given_text := labelled(field.label, text)) is not None:
            values[field.name] = given_text  # "extra software: Salesforce"
            used |= set(tokens(field.label)) | set(tokens(given_text))
    for field in draft.fields:  # a choice said for an answered field ("windows" again) is no reason either
        if field.choices and field.name not in values and (named := one_choice(field, text, last=True)) is not None:
            used |= set(tokens(named.label))
    months = {"january", "february", "march", "april", "june", "july", "august", "september", "october",
              "november", "december", "today", "tomorrow", "days", "day", "week", "weeks"}
    for field in draft.fields:
        if (field.field_type in (FieldType.TEXT, FieldType.PARAGRAPH) and PURPOSE_LABEL.search(field.label)
                and not (only_unanswered and field.name in draft.answers) and field.name not in values):
            stated = STATED_REASON.search(text)  # "reason: mine can't run the new forecasting tools"
            why = stated.group("why").strip() if stated else purpose(text, used | months, _restating(draft))
            about_self = statement(text)
            if about_self and len(about_self.split()) >= len(text.split()) - 1:
                about_self = None  # the whole message ("I start Monday and the team uses Figma") is the request
            if about_self and len([w for w in tokens(about_self) if w not in FILLER and not any(
                    u.startswith(w) for u in used)]) < 2:
                about_self = None  # "…, my home address": a value of the form, not something about their work
            if about_self and why and why.lower() not in about_self.lower():
                why = f"{about_self}; {why}"
            elif about_self:
                why = about_self
            if why:
                values[field.name] = why
    return values


def _restating(draft: RequestDraft) -> set[str]:
    """Words that restate the item ("to try a tool that's not in the catalog" is the evaluation item): its
    catalog description and the everyday words for them."""
    about = set(tokens(draft.item_about))
    return about | {said for said, meant in SYNONYMS.items() if any(_same_stem(meant, w) or meant == w for w in about)}


STATED_REASON = re.compile(r"\b(?:reason|justification|business\s+(?:reason|justification|case)|why)\s*(?::|-|–|=|\bis\b)"
                           r"\s*(?P<why>[^.;\n]{3,})", re.I)


def labelled(label: str, text: str) -> str | None:
    """The value said right after a free-text field's own label ("extra software: Salesforce", "notes for
    delivery - leave it at reception"), up to the end of that clause."""
    found = re.search(rf"\b{re.escape(label)}\s*(?::|=|-|–|\bis\b|\bare\b)?\s*(?P<value>[^,.;\n]+)", text, re.I)
    if found is None:  # "delivery note: buzz flat 4B" for "Notes for delivery": the label's words in any order, then ":"
        words = [w.rstrip("s") for w in tokens(label) if len(w) >= 4]
        said = r"(?:\s+|\s+for\s+|\s+on\s+)".join(rf"{w}s?" for w in words)
        either = [said, r"(?:\s+|\s+for\s+)".join(rf"{w}s?" for w in reversed(words))] if len(words) == 2 else [said]
        found = next((m for pattern in either if (m := re.search(rf"\b(?:{pattern})\s*:\s*(?P<value>[^,;\n]+)",
                                                                   text, re.I))), None)
    value = found.group("value").strip(" '\"“”.") if found else ""
    return value if value and not NEGATION & set(tokens(value)[:1]) else None


def prefill(draft: RequestDraft, text: str, *, reasons: bool = True) -> list[str]:
    """Fill the unanswered fields ``text`` gives a valid value for (and the quantity); the labels filled.
    ``reasons=False``: typed values only ("yes, office desk" when resuming), no reason read out of the words."""
    filled: list[str] = []
    for name, raw in read_values(draft, text).items():
        if not reasons and PURPOSE_LABEL.search(draft.field(name).label):
            continue
        try:
            filled.append(draft.set(name, raw).label)
        except InvalidAnswer:
            continue
    count = quantity_in(text, draft.item_name)
    if count is not None and count != draft.quantity and draft.allow_quantity:
        try:
            draft.set_quantity(count)
            filled.append("Quantity")
        except InvalidAnswer:
            pass
    return filled


def prefill_reason(draft: RequestDraft, earlier: str) -> list[str]:
    """Fill an unanswered reason field from what the employee said about themselves just before asking
    ("I travel a lot" — then "can I get a company phone?"); the labels filled (shown, then reviewed)."""
    said = statement(earlier)
    filled: list[str] = []
    for field in draft.fields:
        if (said and field.field_type in (FieldType.TEXT, FieldType.PARAGRAPH) and PURPOSE_LABEL.search(field.label)
                and field.name not in draft.answers):
            filled.append(draft.set(field.name, said).label)
            break
    return filled


def corrections(draft: RequestDraft, text: str) -> list[tuple[str, Any]]:
    """The changes ``text`` asks for, as (field label or "quantity", value), each one fitting its field.

    Read in this order: an explicit "change the location to home"; "the other model" (a two-choice field);
    a choice, date, checkbox or e-mail of an already answered field that differs from what is stored;
    a new quantity. Values of fields not answered yet are left to the normal questions."""
    explicit = EXPLICIT.search(text)
    if explicit is not None:
        name = (explicit.group("field") or explicit.group("field2") or "").strip()
        value = (explicit.group("value") or explicit.group("value2") or "").strip()
        if name.lower() in ("quantity", "qty", "number"):
            count = _number(value.split()[0]) if value else None
            return [("quantity", count)] if count else []
        try:
            field = draft.field(re.sub(r"^(?:it|that)\b\s*", "", name) or name)
        except InvalidAnswer:
            field = None
        if field is not None:
            choice = one_choice(field, value, last=True) if field.choices else None
            fitted = _fits(field, choice.label if choice else value)
            if fitted is not None:
                return [(field.label, choice.label if choice else value)]
    other = OTHER.search(text)
    if other is not None:
        wanted = (other.group("what") or "").lower()
        two = [f for f in draft.fields if len(f.choices) == 2 and f.name in draft.answers]
        named = [f for f in two if wanted and wanted[:4] in f.label.lower()]
        last = [f for f in two if f.name == draft.last_set]
        for field in named or last or two[:1]:
            current = draft.answers[field.name]
            switched = next((c for c in field.choices if c.value != current and c.label != current), None)
            if switched is not None:
                return [(field.label, switched.label)]
    changes: list[tuple[str, Any]] = []
    loose = bool(CORRECTION_CUE.search(text))  # "make it the pro", "not the Air, the Pro"
    for name, raw in read_values(draft, text, only_unanswered=False, last=True, loose=loose).items():
        field = next(f for f in draft.fields if f.name == name)
        # an optional field left empty may be added at the review ("and please port my number")
        if (name not in draft.answers and draft.current_field is not None) or PURPOSE_LABEL.search(field.label):
            continue
        fitted = _fits(field, raw)
        if fitted is not None and fitted != draft.answers.get(name):
            changes.append((field.label, raw))
    changed = {label for label, _ in changes}
    if not any(f.field_type == FieldType.DATE and f.label in changed for f in draft.fields) \
            and (day := DAY_ONLY.search(NOT_THE_DAY.sub(" ", text))) is not None and not find_dates(text):
        for field in draft.fields:  # "the date is the 16th not the 15th" (also after "I meant the Hudson room"): that day
            stored = draft.answers.get(field.name)
            if field.field_type == FieldType.DATE and stored:
                try:
                    moved = date.fromisoformat(str(stored)).replace(day=int(day.group(1)))
                except ValueError:
                    continue
                if moved.isoformat() != str(stored):
                    changes.append((field.label, moved.isoformat()))
                    break
    said = QUANTITY_CHANGE.search(text)
    number = _number(said.group(1)) if said else quantity_in(text, draft.item_name)
    if number is not None and number != draft.quantity and draft.allow_quantity:
        changes.append(("quantity", number))
    return changes


# A day of the month alone ("the 16th"), and the one it replaces ("not the 15th").
DAY_ONLY = re.compile(r"\bthe\s+([12]?\d|3[01])(?:st|nd|rd|th)\b", re.I)
NOT_THE_DAY = re.compile(r"\b(?:not|instead\s+of|rather\s+than)\s+the\s+(?:[12]?\d|3[01])(?:st|nd|rd|th)\b", re.I)


# --- what a free-text answer is, when it is not the answer ---------------------------------------------------

# Something not working, said as it happens ("wifi keeps dropping", "my outlook keeps crashing", "VPN just died").
MALFUNCTION = re.compile(
    r"\b(?:keeps?\s+(?:on\s+)?(?:crash|drop|freez|fail|disconnect|dy|restart|reboot|logg|hang|clos|los|cut|jamm|flicker|"
    r"glitch|lagg|buffer|turn|shut|beep|overheat)\w*|crash(?:es|ed|ing)?|dropp(?:ed|ing)|died|dead|broken|broke|not\s+working|"
    r"(?:is|are)n'?t\s+working|(?:does|do)n'?t\s+work|stopped\s+working|won'?t\s+(?:start|open|load|connect|turn|boot|print|"
    r"work|sync|charge)|can'?t\s+(?:connect|log\s*in|sign\s*in|open|print|access|get\s+into|reach)|cannot\s+(?:connect|log|"
    r"sign|open|print|access|reach)|jamm(?:ed|ing)|flicker\w*|froze|frozen|freez\w*|error\s+(?:message|code)|"
    r"(?:is|went|are)\s+down|locked\s+out|not\s+responding|unresponsive|(?:very|so|super|really|painfully)\s+slow|blue\s+screen|no\s+(?:sound|signal|internet))\b",
    re.I)
# Words that make a problem the *reason* for this request ("my old one keeps crashing, so…", "because mine broke").
REASON_LINK = re.compile(r"\b(?:because|cause|cos|so\s+(?:i|we)|that'?s\s+why|hence|therefore|replace|replacement|"
                         r"old|current|existing|mine|my\s+own|need\s+(?:a|one|it|this)|for\s+(?:the|my|our|a))\b", re.I)
TEXT_FIELD_TYPES = {FieldType.TEXT, FieldType.PARAGRAPH, FieldType.URL}


# "my current one", "my old one", "my 2021 air": the thing the employee has now, which the request replaces.
OWN_THING = re.compile(r"\b(?:my|our)\s+(?:current|old|existing|present|(?:19|20)\d\d)\b|"
                       r"\b(?:current|old|existing)\s+one\b", re.I)


# A free-text field that lists applications ("Extra software" of an onboarding).
SOFTWARE_FIELD = re.compile(r"\b(?:software|apps?|applications?|tools?|programs?)\b", re.I)
# Parts of a device: "dead pixels on the screen and sticky keys" is about the laptop or phone being replaced.
DEVICE_PARTS = {"screen", "display", "pixels", "keys", "keyboard", "battery", "trackpad", "touchpad", "hinge", "fan",
                "speaker", "speakers", "camera", "webcam", "microphone", "mic", "port", "ports", "charging", "storage"}


def about_the_item(draft: RequestDraft, text: str, *, choices: bool = True) -> bool:
    """The message names the thing being requested (a word of its name or, with ``choices``, of one of its
    form's choices: "my current macbook keeps crashing" is about a laptop), the one the employee has now
    ("battery on my current one is dead by noon"), or a part of it when the item is a device (its form asks
    for a model)."""
    words = set(tokens(text))
    if OWN_THING.search(text) or (words & DEVICE_PARTS and any("model" in f.label.lower() for f in draft.fields)):
        return True
    names = {w for w in tokens(draft.item_name) if len(w) >= 3 and w not in GENERIC}
    if choices:
        names |= {w for f in draft.fields for c in f.choices for w in tokens(c.label) if len(w) >= 4 and w not in GENERIC}
    return bool(words & names) or any(w.rstrip("s") in names for w in words)


def other_field_choice(draft: RequestDraft, field: DraftField, text: str) -> tuple[DraftField, Choice] | None:
    """The message says nothing but one choice of *another* field of the form ("full editor", "dev mode then"
    while the reason is asked): that field's value, never the text of the one asked."""
    for other in draft.fields:
        if other.name == field.name or not other.choices:
            continue
        named = {m.choice.label: m.choice for m in mentioned_choices(other, text) if m.exact}
        if len(named) != 1:
            continue
        choice = next(iter(named.values()))
        rest = [w for w in tokens(text) if w not in FILLER | AFTERTHOUGHT and w not in tokens(choice.label) + tokens(other.label)]
        if not rest:
            return other, choice
    return None


AFTERTHOUGHT = {"then", "instead", "ok", "okay", "oh", "and", "too", "pls", "please", "thx", "yes", "yeah", "sure", "sorry"}


DROP_ITEM = re.compile(r"\b(?:forget|scrap|drop|skip|ditch|bin|kill|cancel|never\s*mind)\s+(?:about\s+)?(?:the|my|that|this)\s+"
                       r"(?P<what>[a-z0-9][a-z0-9 -]{1,40})", re.I)


def drops_the_item(draft: RequestDraft, text: str) -> bool:
    """ "forget the usb", "scrap the monitor, I'll borrow one": the thing being requested is called off (not
    "cancel the recording part", which is about a field, nor "how do I cancel a meeting?")."""
    match = DROP_ITEM.search(text)
    if match is None or looks_like_question(text):
        return False
    said = [w for w in tokens(match.group("what")) if w not in FILLER][:3]
    if said and said[0] in {"request", "order", "form", "whole"}:
        return True  # "kill the request, I'll keep using my own phone"
    names = {w for w in tokens(draft.item_name) if len(w) >= 3 and w not in GENERIC}
    return any(w[:4] == n[:4] for w in said for n in names if len(w) >= 3)


def not_an_answer(draft: RequestDraft, field: DraftField, text: str) -> str | None:
    """Why ``text`` is not a value for ``field`` (``read_answer`` without the other field's choice)."""
    return read_answer(draft, field, text)[0]


def read_answer(draft: RequestDraft, field: DraftField,
                text: str) -> tuple[str | None, tuple[DraftField, Choice] | None]:
    """Why ``text`` is not a value for the free-text ``field`` being asked, judged by its structure — it is
    another dialogue act: "question" (where do I collect it?), "cancel" (forget it), "confirmation" (a bare
    yes/ok says nothing), "correction" (no wait, the other model), "other field" (only a choice of another
    field: "dev mode" while the reason is asked), "problem" (wifi keeps dropping in the
    office — unless it is the reason for this very request: "my old phone keeps dying"), "hesitation" ("hmm",
    "not sure yet", "wait": any field). None: it may be
    the value. Both the offline model and the ``answer_request_field`` tool ask this, so an LLM cannot
    store such a message either. With it, for "other field", that field and its choice (read once)."""
    if hesitates(text) and confirmation(text) is None:  # "hmm", "umm not sure", "wait": nothing to store yet
        return "hesitation", None
    if field.field_type not in TEXT_FIELD_TYPES:  # a choice field: only a problem report is told apart here
        report = MALFUNCTION.search(text) and len(text.split()) > 3 and not about_the_item(draft, text, choices=False)
        return ("problem" if report and not REASON_LINK.search(text) else None), None
    if looks_like_question(text):
        return "question", None
    said = confirmation(text)
    if said is False or drops_the_item(draft, text):
        return "cancel", None
    if said is True:
        return "confirmation", None
    if CORRECTION_CUE.search(text) and corrections(draft, text):
        return "correction", None
    if (other := other_field_choice(draft, field, text)) is not None:
        return "other field", other
    if MALFUNCTION.search(text) and not about_the_item(draft, text) and not REASON_LINK.search(text):
        return "problem", None
    return None, None


def reason_instead(draft: RequestDraft, field: DraftField, text: str) -> tuple[DraftField, Any] | None:
    """At a choice field, a message that names none of its choices but says why the employee needs the item
    ("I'm a designer on the brand team" when the OS is asked) is the value of the form's reason field, if that
    is still empty: (that field, the reason read), else None."""
    if not field.choices or one_choice(field, text, last=True) is not None or looks_like_question(text):
        return None
    why = purpose(text, set()) or statement(text)  # mid-form, the whole message may be the statement
    if not why or len(why.split()) < 3:
        return None
    for target in draft.fields:
        if (target.name != field.name and target.name not in draft.answers and target.field_type in TEXT_FIELD_TYPES
                and PURPOSE_LABEL.search(target.label)):
            return target, why
    return None
