"""Entity extraction for the offline model: ticket references, software/items, quantities, urgency,
and the answer to the form field the copilot is waiting for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from tools.patterns import ticket_reference, yes_no_word

QUANTITY = re.compile(r"\b(?P<n>\d{1,3}|two|three|four|five)\s+(?P<what>[a-z][a-z -]{2,30}?)s?\b", re.I)
WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5}
URGENT = re.compile(r"\b(urgent|asap|immediately|right now|critical|emergency|blocked|can'?t work)\b", re.I)
LOW = re.compile(r"\b(no rush|whenever|not urgent|low priority|when you can)\b", re.I)

SOFTWARE = [
    "Adobe Acrobat Pro", "Adobe Creative Cloud", "Photoshop", "Illustrator", "InDesign", "Figma", "Slack", "Microsoft 365",
    "Microsoft Visio", "Microsoft Project", "JetBrains IntelliJ IDEA", "JetBrains PyCharm", "Visual Studio Code",
    "GitHub Enterprise", "Docker Desktop", "Postman", "Jira Software", "Confluence", "Miro", "Zoom Pro", "Salesforce",
    "HubSpot", "Tableau Creator", "Power BI Pro", "SAP Concur", "NetSuite", "DocuSign", "Workday", "Greenhouse",
    "1Password", "GlobalProtect", "Snagit", "Camtasia", "Sketch", "Loom", "Notion", "Grammarly", "AutoCAD", "Matlab",
]
ALIASES = {"acrobat": "Adobe Acrobat Pro", "adobe pro": "Adobe Acrobat Pro", "adobe acrobat": "Adobe Acrobat Pro",
           "creative cloud": "Adobe Creative Cloud", "visio": "Microsoft Visio", "ms project": "Microsoft Project",
           "intellij": "JetBrains IntelliJ IDEA", "pycharm": "JetBrains PyCharm", "vscode": "Visual Studio Code",
           "vs code": "Visual Studio Code", "tableau": "Tableau Creator", "power bi": "Power BI Pro", "zoom": "Zoom Pro",
           "jira": "Jira Software", "concur": "SAP Concur", "autocad": "AutoCAD"}
ITEMS = ["laptop", "monitor", "docking station", "headset", "mobile phone", "encrypted usb drive", "admin rights",
         "shared mailbox", "distribution list", "shared drive", "vpn access", "new hire onboarding", "conference room"]
ITEM_ALIASES = {"phone": "mobile phone", "dock": "docking station", "screen": "monitor", "usb": "encrypted usb drive",
                "administrator": "admin rights", "mailbox": "shared mailbox", "new starter": "new hire onboarding",
                "onboarding": "new hire onboarding", "headphones": "headset"}
_WORD = re.compile(r"[a-z0-9][a-z0-9+#.\-]*", re.I)


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


def _ngrams(text: str, longest: int = 4) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    return [" ".join(words[i:i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1)]


def software(text: str) -> str | None:
    """A known software name in the text, tolerant of typos ("photoshp", "acrobat")."""
    grams = _ngrams(text)
    for gram in sorted(grams, key=len, reverse=True):
        if gram in ALIASES:
            return ALIASES[gram]
    names = {name.lower(): name for name in SOFTWARE}
    best: tuple[str, float] | None = None
    for gram in grams:
        if len(gram) < 4:
            continue
        found = process.extractOne(gram, list(names), scorer=fuzz.ratio, score_cutoff=88)
        if found and (best is None or found[1] > best[1]):
            best = (names[found[0]], found[1])
    return best[0] if best else None


def item(text: str) -> str | None:
    lowered = text.lower()
    for name in sorted(ITEMS, key=len, reverse=True):
        if name in lowered:
            return name
    for alias, name in ITEM_ALIASES.items():
        if re.search(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", lowered):  # "usb", never the "usb" of "usb-c"
            return name
    grams = [g for g in _ngrams(text, 3) if len(g) >= 5]
    for gram in grams:
        found = process.extractOne(gram, ITEMS, scorer=fuzz.ratio, score_cutoff=85)
        if found:
            return str(found[0])
    return None


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
    if (ref := ticket_ref(text)) is not None:
        found["ticket"] = ref
    if (name := software(text)) is not None:
        found["software"] = name
    if (thing := item(text)) is not None:
        found["item"] = thing
    if (count := quantity(text)) is not None:
        found["quantity"] = count
    if (level := urgency(text)) is not None:
        found["urgency"] = level
    value = field_value(text, context)
    if value is not None:
        found["field_value"] = value
    return found
