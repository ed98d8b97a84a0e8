"""A service-catalog request draft as an explicit state machine.

collecting ──(all required fields valid)──► review ──(employee confirms)──► submitted
     │  ▲                                     │
     │  └──────────── correct(field) ◄────────┘
     └──────────────► cancelled ◄─────────────┘

The draft validates every answer against the item's form (type, choices, required) and keeps one
idempotency key for its whole life, so a double-clicked confirmation places one request. It is a
pydantic model: it serialises to Redis as-is and can be resumed after a restart or the next day.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from tools.patterns import find_dates, yes_no_word

MAX_TEXT_LENGTH = 2000
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PURPOSE_LABEL = re.compile(r"justification|reason|purpose|why|business need", re.I)  # the field that says why
REASON_WORDS = re.compile(r"(?:the\s+)?(?:business\s+)?(?:reason|justification|purpose|why|case|need|rationale)", re.I)
EMAIL_LABEL = re.compile(r"\be-?mail\b", re.I)  # a text field that holds an address ("Contractor email")


class FieldType(StrEnum):
    TEXT = "custom_text"
    PARAGRAPH = "custom_paragraph"
    DROPDOWN = "custom_dropdown"
    MULTI_SELECT = "custom_multi_select_dropdown"
    CHECKBOX = "custom_checkbox"
    NUMBER = "custom_number"
    DECIMAL = "custom_decimal"
    DATE = "custom_date"
    URL = "custom_url"


class Choice(BaseModel):
    label: str
    value: str


class DraftField(BaseModel):
    """One question of the draft's form, as the employee answers it (built from the item's form schema)."""

    name: str
    label: str
    field_type: str
    required: bool = False
    choices: list[Choice] = Field(default_factory=list)
    description: str | None = None

    @property
    def supported(self) -> bool:
        return self.field_type in set(FieldType)


class Stage(StrEnum):
    COLLECTING = "collecting"
    REVIEW = "review"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


class InvalidAnswer(ValueError):
    """The answer does not fit the field; the message says what would."""


class DraftClosed(RuntimeError):
    """The draft was already submitted or cancelled."""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def parse_value(field: DraftField, raw: Any) -> Any:
    """Validate ``raw`` for ``field`` and return the value Freshservice expects."""
    text = str(raw).strip() if raw is not None else ""
    kind = field.field_type
    if kind in (FieldType.DROPDOWN, FieldType.MULTI_SELECT):
        return _parse_choices(field, text) if kind == FieldType.MULTI_SELECT else _parse_choice(field, text)
    if kind == FieldType.CHECKBOX:
        if isinstance(raw, bool):
            return raw
        answer = yes_no_word(text) if len(text.split()) <= 3 else None
        if answer is not None:
            return answer
        raise InvalidAnswer(f"{field.label}: please answer yes or no.")
    if not text:
        raise InvalidAnswer(f"{field.label} cannot be empty.")
    if kind == FieldType.NUMBER:
        if re.fullmatch(r"[+-]?\d+", text.replace(",", "")):
            return int(text.replace(",", ""))
        numbers = re.findall(r"(?<![\d.-])\d+(?![\d.-])", text.replace(",", ""))
        if len(numbers) == 1 and len(text.split()) <= 5:  # "about 12", "8 of us" — not "10-15" or a sentence
            return int(numbers[0])
        raise InvalidAnswer(f"{field.label} must be a whole number.")
    if kind == FieldType.DECIMAL:
        try:
            return float(Decimal(text.replace(",", "")))
        except InvalidOperation:
            raise InvalidAnswer(f"{field.label} must be a number.") from None
    if kind == FieldType.DATE:
        found = find_dates(text)
        if not found:
            raise InvalidAnswer(f"{field.label} must be a date like 2026-12-01.")
        return found[0]
    if kind == FieldType.URL and not re.match(r"https?://\S+$", text):
        raise InvalidAnswer(f"{field.label} must be a web address starting with http:// or https://.")
    if kind in (FieldType.TEXT, FieldType.PARAGRAPH) and EMAIL_LABEL.search(field.label):
        address = EMAIL.search(text)
        if address is None:  # "Jo from Deloitte" is not where the access is sent
            raise InvalidAnswer(f"{field.label} must be an email address, like name@company.com.")
        return address.group(0)
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidAnswer(f"{field.label} is too long (at most {MAX_TEXT_LENGTH} characters).")
    return text


def _parse_choice(field: DraftField, text: str) -> str:
    wanted = _norm(text)
    if not wanted:
        raise InvalidAnswer(f"{field.label}: please pick one of {choice_list(field)}.")
    exact = [c for c in field.choices if wanted in (_norm(c.label), _norm(c.value))]
    if len(exact) == 1:
        return exact[0].value
    partial = [c for c in field.choices if wanted in _norm(c.label) or _norm(c.label) in wanted]
    if len(partial) == 1:
        return partial[0].value
    if len(partial) > 1:
        raise InvalidAnswer(f"{field.label}: that matches several options ({choice_list(field, partial)}); which one?")
    said = {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3}
    shared = [c for c in field.choices if said & set(re.findall(r"[a-z0-9]+", c.label.lower()))]
    if len(shared) > 1:  # "the dell": Dell Latitude 7450 or Dell Precision 5690
        raise InvalidAnswer(f"{field.label}: that fits {choice_list(field, shared)}; which one?")
    raise InvalidAnswer(f"{field.label}: '{text}' is not an option. Choose one of {choice_list(field)}.")


def _parse_choices(field: DraftField, text: str) -> list[str]:
    parts = [p for p in re.split(r",|;|\band\b", text) if p.strip()]
    return [_parse_choice(field, p) for p in parts] or [_parse_choice(field, text)]


def choice_list(field: DraftField, choices: list[Choice] | None = None) -> str:
    return ", ".join(c.label for c in (choices if choices is not None else field.choices))


# A field that names people (owners, members, approvers): "me" / "just me" / "myself" there is the requester.
PEOPLE_LABEL = re.compile(r"\b(?:owners?|members?|approvers?|delegates?|managers?|recipients?)\b", re.I)
SELF_ONLY = re.compile(r"^\W*(?:(?:just|only)\s+)?(?:me|myself|i|me\s+only|my\s+self)\W*$", re.I)


class RequestDraft(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    idempotency_key: str = Field(default_factory=lambda: f"draft-{uuid.uuid4().hex}")
    item_display_id: int
    item_name: str
    cost: Decimal | None = None  # per unit
    delivery_time_hours: int | None = None
    fields: list[DraftField]
    answers: dict[str, Any] = Field(default_factory=dict)
    quantity: int = 1
    allow_quantity: bool = True  # the catalog item's allow_quantity (set when the draft is opened)
    last_set: str | None = None  # the field changed last ("no wait — the other model")
    tentative: str | None = None  # an answer to the current free-text field the employee is asked to confirm first
    requester_email: str = ""  # the employee's own address: "me" in a field of people ("Owners: me") is them
    item_about: str = ""  # the item's catalog description: its words restate the item, they give no reason
    stage: Stage = Stage.COLLECTING
    ticket_id: int | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def model_post_init(self, __context: Any) -> None:
        """A form with nothing required left to ask (items without form fields exist) is ready for review."""
        if self.stage is Stage.COLLECTING and self.current_field is None:
            self.stage = Stage.REVIEW

    @property
    def open(self) -> bool:
        return self.stage in (Stage.COLLECTING, Stage.REVIEW)

    @property
    def total_cost(self) -> Decimal | None:
        return None if self.cost is None else self.cost * self.quantity

    @property
    def current_field(self) -> DraftField | None:
        """The next required field still unanswered (the question to ask now)."""
        if self.stage is not Stage.COLLECTING:
            return None
        return next((f for f in self.fields if f.required and f.name not in self.answers), None)

    def field(self, name_or_label: str) -> DraftField:
        wanted = _norm(name_or_label)
        matches = [f for f in self.fields if wanted in (_norm(f.name), _norm(f.label))]
        matches = matches or [f for f in self.fields if wanted and wanted in _norm(f.label)]
        # what people call a field: its initials ("OS"), "reason"/"why" for the justification, "the model"
        matches = matches or [f for f in self.fields if len(wanted) >= 2 and wanted.replace(" ", "") == "".join(
            w[0] for w in _norm(f.label).split())]
        matches = matches or [f for f in self.fields if REASON_WORDS.fullmatch(wanted) and PURPOSE_LABEL.search(f.label)]
        matches = matches or [f for f in self.fields if wanted and any(
            len(w) >= 4 and (w.startswith(wanted) or wanted.startswith(w)) for w in _norm(f.label).split())]
        if len(matches) != 1:
            names = ", ".join(f.label for f in self.fields)
            raise InvalidAnswer(f"This form has no single field called '{name_or_label}'. Its fields are: {names}.")
        return matches[0]

    def _people(self, field: DraftField, raw: Any) -> Any:
        """ "me" / "just me" in a field of people (Owners, Members) is the requester's address."""
        if self.requester_email and isinstance(raw, str) and PEOPLE_LABEL.search(field.label) and SELF_ONLY.match(raw):
            return self.requester_email
        return raw

    def _require_open(self) -> None:
        if not self.open:
            raise DraftClosed(f"This request was already {self.stage.value}.")

    def _touch(self) -> None:
        self.updated_at = datetime.now(UTC)
        if self.stage is Stage.COLLECTING and self.current_field is None:
            self.stage = Stage.REVIEW

    def answer(self, raw: Any) -> None:
        """Answer the current question."""
        self._require_open()
        field = self.current_field
        if field is None:
            raise InvalidAnswer("All required details are filled in; say which field to change, or confirm.")
        self.answers[field.name] = parse_value(field, self._people(field, raw))
        self.last_set = field.name
        self.tentative = None
        self._touch()

    def set(self, name_or_label: str, raw: Any) -> DraftField:
        """Set or correct any field by name or label (allowed until submission)."""
        self._require_open()
        field = self.field(name_or_label)
        self.answers[field.name] = parse_value(field, self._people(field, raw))
        self.last_set = field.name
        self._touch()
        return field

    def set_quantity(self, quantity: int) -> None:
        self._require_open()
        if not self.allow_quantity and quantity != 1:
            raise InvalidAnswer(f"{self.item_name} is requested one at a time.")
        if not 1 <= quantity <= 100:
            raise InvalidAnswer("Quantity must be between 1 and 100.")
        self.quantity = quantity
        self._touch()

    def cancel(self) -> None:
        self._require_open()
        self.stage = Stage.CANCELLED
        self.updated_at = datetime.now(UTC)

    def mark_submitted(self, ticket_id: int) -> None:
        if self.stage is Stage.SUBMITTED:
            return
        if self.stage is not Stage.REVIEW:
            raise InvalidAnswer("The request is not complete yet.")
        self.stage = Stage.SUBMITTED
        self.ticket_id = ticket_id
        self.updated_at = datetime.now(UTC)

    def display_value(self, field: DraftField) -> str:
        value = self.answers.get(field.name)
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "Yes" if value else "No"
        labels = {c.value: c.label for c in field.choices}
        if isinstance(value, list):
            return ", ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))

    def summary_lines(self) -> list[str]:
        """The exact fields that will be submitted, in form order, as an employee reads them."""
        return [f"{f.label}: {self.display_value(f)}" for f in self.fields if f.name in self.answers]

    def payload(self) -> dict[str, Any]:
        """The ``custom_fields`` for place_request."""
        return {f.name: self.answers[f.name] for f in self.fields if f.name in self.answers}
