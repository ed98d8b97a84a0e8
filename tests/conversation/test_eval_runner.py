"""The conversation-case runner (python -m copilot.eval conversations) scores real turns correctly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from copilot.eval import over_rest
from copilot.eval.conversations import run_all, summarize
from tests.conftest import SandboxHandle
from tests.conversation.conftest import TOKEN, Copilot

CASES = [
    {"id": "kb", "behaviour": "kb-question", "employee": "alice.nguyen@acme.example",
     "turns": [{"say": "how do I connect to the VPN from home?",
                "expect": [{"reply_kind": "kb_answer"}, {"reply_contains": "GlobalProtect"}]}],
     "final": [{"requests_created": 0}, {"incidents_created": 0}, {"handover": False}]},
    {"id": "request", "behaviour": "dialogue-request-happy", "employee": "alice.nguyen@acme.example",
     "turns": [{"say": "order a headset please", "expect": [{"asks_field": "Connection"}]},
               {"say": "USB-C", "expect": [{"reply_kind": "review"}, {"review_shows": {"Connection": "USB-C"}}]},
               {"say": "yes", "expect": [{"reply_kind": "submitted"}]}],
     "final": [{"requests_created": 1}, {"request_fields": {"item": "Headset", "Connection": "USB-C"}}]},
    {"id": "fix-first", "behaviour": "incident-report", "employee": "alice.nguyen@acme.example",
     "turns": [{"say": "Acrobat says my trial expired", "expect": [
         {"reply_kind": "incident_offer"}, {"reply_kind": "kb_answer"}, {"reply_contains": "sign in again"}]}],
     "final": [{"incidents_created": 0}]},
    {"id": "wrong-on-purpose", "behaviour": "licence", "employee": "alice.nguyen@acme.example",
     "turns": [{"say": "is there a free figma licence?", "expect": [{"reply_kind": "ticket_list"}]}],
     "final": [{"requests_created": 1}]},
]


async def test_the_runner_passes_real_successes_and_catches_wrong_expectations(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    handle = sandbox_factory(knowledge="org")
    results = {r.id: r for r in await run_all(CASES, handle.base_url, handle.api_key, tmp_path, reset=True)}
    assert results["kb"].passed, results["kb"].failures
    assert results["request"].passed, results["request"].failures
    assert results["fix-first"].passed, results["fix-first"].failures  # the article's fix, then the offer: both
    wrong = results["wrong-on-purpose"]
    assert not wrong.passed and len(wrong.failures) == 2
    assert "licence_answer" in wrong.failures[0] and "requests_created" in wrong.failures[1]
    table = summarize(list(results.values()))
    assert "| **overall** | 4 | 0.75 |" in table


async def test_the_runner_scores_a_running_app_over_rest_the_same_way(copilot: Copilot) -> None:
    """``--app-url``: the same cases through ``POST /api/v1/conversations/{id}/messages`` of a running app."""
    results = {r.id: r for r in await over_rest.run_all(CASES, copilot.base_url, TOKEN, copilot.sandbox.base_url,
                                                         copilot.sandbox.api_key)}
    assert results["kb"].passed, results["kb"].failures
    assert results["request"].passed, results["request"].failures
    assert results["fix-first"].passed, results["fix-first"].failures  # the article's fix, then the offer: both
    wrong = results["wrong-on-purpose"]
    assert not wrong.passed and len(wrong.failures) == 2
    assert "licence_answer" in wrong.failures[0] and "requests_created" in wrong.failures[1]
