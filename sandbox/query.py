"""The filter-query grammar of ``/tickets/filter`` and ``/requesters?query=`` (reference §6.6, §8.1).

``"priority:>2 AND (status:2 OR status:3) AND agent_id:null AND created_at:>'2026-01-01'"``:
``field:value`` equality, ``:>`` (>=) and ``:<`` (<=), ``AND``/``OR``/parentheses, strings in single
quotes, bare numbers, ``null``; requesters also take ``~[first_name|last_name]:'jo'`` prefix search.
Parsed by a small recursive-descent parser into a predicate over a field-resolver function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sandbox.errors import ApiError, field_error, invalid

MAX_QUERY_LENGTH = 512
_TOKEN = re.compile(r"""
    \s*(?:
      (?P<lparen>\()|(?P<rparen>\))
     |(?P<and>AND\b)|(?P<or>OR\b)
     |(?P<prefix>~\[(?P<pfields>[a-z_|]+)\])\s*:\s*'(?P<pvalue>(?:\\.|[^'\\])*)'
     |(?P<field>[a-z_][a-z0-9_]*)\s*:\s*(?P<op>[<>])?\s*(?:'(?P<str>(?:\\.|[^'\\])*)'|(?P<num>-?\d+(?:\.\d+)?)\b|(?P<null>null)\b|(?P<bool>true|false)\b)
    )""", re.X | re.I)

Resolver = Callable[[str], Any]
Predicate = Callable[[Resolver], bool]


@dataclass
class Comparison:
    field: str
    op: str  # ":", ">", "<", "~"
    value: Any
    fields: tuple[str, ...] = ()


def unquote(raw: str | None, *, param: str = "query") -> str:
    """Queries must be wrapped in double quotes (URL-encoded) and be at most 512 characters."""
    if raw is None or not raw.strip():
        raise invalid(field_error(param, "It should not be blank", "missing_field"))
    text = raw.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise invalid(field_error(param, "Query should be enclosed in double quotes", "invalid_value"))
    if len(text) > MAX_QUERY_LENGTH:
        raise invalid(field_error(param, f"Query length should be at most {MAX_QUERY_LENGTH} characters", "invalid_value"))
    return text[1:-1]


def tokenize(text: str, param: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise invalid(field_error(param, f"Invalid query near '{text[position:position + 20].strip()}'", "invalid_value"))
        position = match.end()
        if match.group("lparen"):
            tokens.append(("(", None))
        elif match.group("rparen"):
            tokens.append((")", None))
        elif match.group("and"):
            tokens.append(("AND", None))
        elif match.group("or"):
            tokens.append(("OR", None))
        elif match.group("prefix"):
            fields = tuple(f for f in match.group("pfields").lower().split("|") if f)
            tokens.append(("CMP", Comparison(fields[0], "~", _unescape(match.group("pvalue")), fields)))
        else:
            tokens.append(("CMP", Comparison(match.group("field").lower(), match.group("op") or ":", _literal(match))))
    return tokens


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _literal(match: re.Match[str]) -> Any:
    if match.group("str") is not None:
        return _unescape(match.group("str"))
    if match.group("num") is not None:
        number = match.group("num")
        return float(number) if "." in number else int(number)
    if match.group("bool") is not None:
        return match.group("bool").lower() == "true"
    return None


def parse(text: str, allowed: set[str], *, param: str = "query") -> Predicate:
    """Parse into a predicate; unknown fields are rejected with ``invalid_value`` (QUIRK, §4)."""
    tokens = tokenize(text, param)
    if not tokens:
        raise invalid(field_error(param, "It should not be blank", "missing_field"))
    for kind, comparison in tokens:
        if kind == "CMP":
            for name in comparison.fields or (comparison.field,):
                if name not in allowed:
                    raise invalid(field_error(name, f"Unsupported query field: {name}", "invalid_value"))
    position = 0

    def peek() -> str | None:
        return tokens[position][0] if position < len(tokens) else None

    def take() -> tuple[str, Any]:
        nonlocal position
        if position >= len(tokens):
            raise invalid(field_error(param, "Unexpected end of query", "invalid_value"))
        position += 1
        return tokens[position - 1]

    def expression() -> Predicate:
        parts = [term()]
        while peek() == "OR":
            take()
            parts.append(term())
        return parts[0] if len(parts) == 1 else (lambda get, ps=parts: any(p(get) for p in ps))

    def term() -> Predicate:
        parts = [factor()]
        while peek() == "AND":
            take()
            parts.append(factor())
        return parts[0] if len(parts) == 1 else (lambda get, ps=parts: all(p(get) for p in ps))

    def factor() -> Predicate:
        kind, value = take()
        if kind == "(":
            inner = expression()
            if take()[0] != ")":
                raise invalid(field_error(param, "Missing closing parenthesis", "invalid_value"))
            return inner
        if kind == "CMP":
            return lambda get, c=value: matches(c, get)
        raise invalid(field_error(param, f"Unexpected '{kind}' in query", "invalid_value"))

    predicate = expression()
    if position != len(tokens):
        raise invalid(field_error(param, "Unexpected text at the end of the query", "invalid_value"))
    return predicate


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value[:10])
    return None


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if expected is None:
        return actual in (None, "", []) if op == ":" else False
    if isinstance(actual, list):
        return op == ":" and any(_compare(a, ":", expected) for a in actual)
    if actual is None:
        return False
    if isinstance(expected, str) and (wanted := _as_date(expected)) is not None and (got := _as_date(actual)) is not None:
        return {":": got == wanted, ">": got >= wanted, "<": got <= wanted}[op]
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        try:
            number = float(actual)
        except (TypeError, ValueError):
            return False
        return {":": number == expected, ">": number >= expected, "<": number <= expected}[op]
    if isinstance(expected, bool):
        return bool(actual) == expected
    return op == ":" and str(actual).lower() == str(expected).lower()


def matches(comparison: Comparison, get: Resolver) -> bool:
    if comparison.op == "~":
        prefix = str(comparison.value).lower()
        return any(str(get(f) or "").lower().startswith(prefix) for f in comparison.fields)
    return _compare(get(comparison.field), comparison.op, comparison.value)


def compile_query(raw: str | None, allowed: set[str], *, param: str = "query") -> Predicate:
    try:
        return parse(unquote(raw, param=param), allowed, param=param)
    except ApiError:
        raise
    except Exception as exc:  # a parser bug must still answer with a Freshservice-shaped 400
        raise invalid(field_error(param, f"Invalid query: {exc}", "invalid_value")) from exc
