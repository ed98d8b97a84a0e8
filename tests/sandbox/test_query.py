"""The filter grammar, evaluated against plain objects."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.limits import TokenBucket
from sandbox.query import compile_query

FIELDS = {"status", "priority", "agent_id", "created_at", "tag", "email", "first_name", "last_name"}
TICKET = {"status": 3, "priority": 4, "agent_id": None, "created_at": "2026-03-04T10:00:00Z", "tag": ["vpn", "wifi"],
          "email": "Alice.Nguyen@acme.example", "first_name": "Alice", "last_name": "Nguyen"}


@pytest.mark.parametrize("query, expected", [
    ('"status:3"', True),
    ('"status:2"', False),
    ('"priority:>3"', True),
    ('"priority:<3"', False),
    ('"status:2 OR status:3"', True),
    ('"status:2 OR (priority:4 AND agent_id:null)"', True),
    ('"(status:2 OR priority:1) AND agent_id:null"', False),
    ("\"created_at:>'2026-03-04' AND created_at:<'2026-03-04'\"", True),
    ("\"created_at:>'2026-03-05'\"", False),
    ("\"tag:'wifi'\"", True),
    ("\"email:'alice.nguyen@acme.example'\"", True),
    ("\"~[first_name|last_name]:'ngu'\"", True),
    ("\"~[first_name]:'bob'\"", False),
])
def test_grammar(query: str, expected: bool) -> None:
    assert compile_query(query, FIELDS)(TICKET.get) is expected


@pytest.mark.parametrize("query", ["status:3", '"status:"', '"status:3 AND"', '"(status:3"', '"status:3)"',
                                   '"colour:3"', '""', '"' + "a" * 600 + '"', "\"status:'3\""])
def test_bad_queries_are_400(query: str) -> None:
    with pytest.raises(ApiError) as caught:
        compile_query(query, FIELDS)
    assert caught.value.status == 400 and caught.value.errors


def test_token_bucket_refuses_beyond_budget_and_says_when() -> None:
    bucket = TokenBucket(per_minute=3)
    assert [bucket.spend(1)[0] for _ in range(3)] == [True, True, True]
    allowed, wait = bucket.spend(1)
    assert not allowed and wait >= 1
    assert TokenBucket(per_minute=None).spend(100) == (True, 0)
