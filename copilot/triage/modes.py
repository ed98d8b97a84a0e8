"""Rollout modes per ticket type and category: shadow → assist → autonomous, from a config file.

``COPILOT_TRIAGE_MODES_FILE`` (YAML or JSON) lists rules; the first rule whose ``type`` and
``category`` match (case-insensitive; an absent key matches anything) decides, else ``default``
(shadow unless set). Example::

    default: shadow
    rules:
      - {type: Incident, category: Network, mode: autonomous, send_kb_reply: true}
      - {category: Hardware, mode: assist}

The category matched is the ticket's own, or — when the requester left it empty — the proposed one
only if the model is sure enough to apply it (``FieldGuess.auto``); an unsure guess never lifts a
ticket into a more autonomous rule. ``send_kb_reply`` lets an autonomous rule send the requester the
KB answer when the knowledge base is confident (``kb_reply_min_confidence`` can ask for more).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from copilot.triage.proposal import FieldGuess, RolloutMode


class ModesFileError(ValueError):
    """The modes file cannot be used; the message says why in plain words."""


class ModeRule(BaseModel):
    type: str | None = None
    category: str | None = None
    mode: RolloutMode
    send_kb_reply: bool = False  # autonomous only: a confident KB answer may go to the requester

    def matches(self, ticket_type: str | None, category: str | None) -> bool:
        def same(wanted: str | None, actual: str | None) -> bool:
            return wanted is None or wanted == "*" or (actual or "").strip().lower() == wanted.strip().lower()

        return same(self.type, ticket_type) and same(self.category, category)


class ModesConfig(BaseModel):
    default: RolloutMode = RolloutMode.SHADOW
    rules: list[ModeRule] = Field(default_factory=list)
    kb_reply_min_confidence: float | None = Field(None, ge=0, le=1)  # None: the KB's own "confident" tier

    def rule_for(self, ticket_type: str | None, category: str | None) -> ModeRule:
        for rule in self.rules:
            if rule.matches(ticket_type, category):
                return rule
        return ModeRule(mode=self.default)

    def choose(self, ticket_type: str | None, ticket_category: str | None,
               proposed: dict[str, FieldGuess]) -> ModeRule:
        """The rule for a ticket, using a proposed type/category only where the ticket has none and
        the guess is sure enough to be applied on its own."""
        def value(field: str, current: str | None) -> str | None:
            if current:
                return current
            guess = proposed.get(field)
            return str(guess.value) if guess is not None and guess.auto else None

        return self.rule_for(value("type", ticket_type), value("category", ticket_category))


def load_modes(path: Path | None) -> ModesConfig:
    """The rollout modes from ``path`` (YAML or JSON); all shadow when unset."""
    if path is None:
        return ModesConfig()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ModesFileError(f"Cannot read the triage modes file {path}: {error.strerror or error}.") from None
    try:
        raw: Any = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ModesFileError(f"The triage modes file {path} is not valid {'JSON' if str(path).endswith('.json') else 'YAML'}: "
                             f"{str(error).splitlines()[0]}") from None
    try:
        return ModesConfig.model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise ModesFileError(f"The triage modes file {path} has a problem at '{where}': {first['msg']} "
                             f"(modes are shadow, assist or autonomous).") from None
