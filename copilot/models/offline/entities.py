"""Entity extraction for the offline model: ticket references, software/items, quantities, urgency,
and the answer to the form field the copilot is waiting for.

Software and catalog items are the tenant's own: they are linked against the ``TenantVocabulary`` the
engine hands over in the context (built from the live catalog and applications, ``tools/vocabulary.py``),
never against a list written into the code. Without one (the catalog could not be read) none is found."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from tools.patterns import ticket_reference, yes_no_word
from tools.vocabulary import TenantVocabulary

QUANTITY = re.compile(r"\b(?P<n>\d{1,3}|two|three|four|five)\s+(?P<what>[a-z][a-z -]{2,30}?)s?\b", re.I)
WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5}
URGENT = re.compile(r"\b(urgent|asap|immediately|right now|critical|emergency|blocked|can'?t work)\b", re.I)
LOW = re.compile(r"\b(no rush|whenever|not urgent|low priority|when you can)\b", re.I)



@dataclass(frozen=True)
class TicketRef:
    number: str  # "INC-12", "SR-3" or "#45"

    def __str__(self) -> str:
        return self.number


def ticket_ref(text: str) -> TicketRef | None:
    found = ticket_reference(text)
    if found is None:
        return None
    prefix, number = found
    return TicketRef(f"{prefix}-{number}" if prefix else f"#{number}")


def software(text: str, vocabulary: TenantVocabulary | None) -> str | None:
    """A software name of the tenant in the text, tolerant of aliases and typos ("photoshp", "acrobat")."""
    return vocabulary.software_in(text) if vocabulary is not None else None


def item(text: str, vocabulary: TenantVocabulary | None) -> str | None:
    """The tenant's catalog item the text asks for (its exact name), by name, typo or description."""
    return vocabulary.item_in(text) if vocabulary is not None else None


def quantity(text: str) -> int | None:
    match = QUANTITY.search(text)
    if not match:
        return None
    raw = match.group("n").lower()
    value = WORD_NUMBERS.get(raw) or (int(raw) if raw.isdigit() else None)
    return value if value and 1 <= value <= 100 else None


def urgency(text: str) -> str | None:
    if URGENT.search(text):
        return "high"
    if LOW.search(text):
        return "low"
    return None


def field_value(text: str, context: dict[str, Any] | None) -> Any:
    """Resolve a short reply against the field the copilot asked for ("the second one", "mac", "yes")."""
    if not context or context.get("awaiting") != "field":
        return None
    kind = context.get("field_type") or ""
    choices: list[str] = list(context.get("choices") or [])
    lowered = text.strip().lower()
    if choices:
        for word, position in ORDINALS.items():
            if re.search(rf"\b{word}\b", lowered) and position <= len(choices):
                return choices[position - 1]
        if re.search(r"\blast\b", lowered):
            return choices[-1]
        option = re.search(r"\b(?:option|number|no\.?)\s*(\d+)\b|^\s*(\d+)\s*$", lowered)
        if option:
            index = int(option.group(1) or option.group(2))
            if 1 <= index <= len(choices):
                return choices[index - 1]
        exact = next((c for c in choices if c.lower() == lowered), None)
        if exact:
            return exact
        compact = re.sub(r"[^a-z0-9]", "", lowered)
        contained = [c for c in choices if len(re.sub(r"[^a-z0-9]", "", c.lower())) >= 3
                     and re.sub(r"[^a-z0-9]", "", c.lower()) in compact]
        if contained:
            return max(contained, key=len)
        found = process.extractOne(lowered, choices, scorer=fuzz.WRatio, score_cutoff=80)
        return found[0] if found else None
    if kind == "custom_checkbox":
        answer = yes_no_word(text)
        if answer is not None:
            return "yes" if answer else "no"
    if kind in ("custom_number", "custom_decimal"):
        number = re.search(r"-?\d+(?:\.\d+)?", text)
        if number:
            return number.group(0)
        words = [WORD_NUMBERS[w] for w in re.findall(r"[a-z]+", lowered) if w in WORD_NUMBERS]
        return str(words[0]) if words else None
    return None


def extract(text: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    vocabulary = (context or {}).get("vocabulary")
    if (ref := ticket_ref(text)) is not None:
        found["ticket"] = ref
    if (name := software(text, vocabulary)) is not None:
        found["software"] = name
    if (thing := item(text, vocabulary)) is not None:
        found["item"] = thing
    if (count := quantity(text)) is not None:
        found["quantity"] = count
    if (level := urgency(text)) is not None:
        found["urgency"] = level
    value = field_value(text, context)
    if value is not None:
        found["field_value"] = value
    return found
