from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from copilot.knowledge.index import KbDocument  # noqa: E402

TINY_DOCS = [
    KbDocument(id="vpn", title="Connect to the corporate VPN",
               text="# Connect to the corporate VPN\n\nInstall the GlobalProtect client from the software centre. "
                    "Sign in with your company account and approve the MFA prompt.\n\n## Troubleshooting\n\n"
                    "If the VPN keeps disconnecting, switch networks or restart the client."),
    KbDocument(id="pwd", title="Reset your network password",
               text="Go to the self-service password portal, verify your identity with your phone and choose a "
                    "new password. Passwords expire every 90 days."),
    KbDocument(id="printer", title="Add a printer on Windows",
               text="Open Settings, Devices, Printers & scanners, then Add a printer. Pick the floor printer "
                    "from the list; drivers install automatically."),
    KbDocument(id="outlook", title="Set an out-of-office reply in Outlook",
               text="In Outlook choose File, Automatic Replies, turn them on and write the message your "
                    "colleagues will receive while you are away."),
]


@pytest.fixture(scope="session")
def embedder():
    from copilot.knowledge.embedder import get_embedder

    return get_embedder()


@pytest.fixture()
def tiny_index(embedder):
    from copilot.knowledge.index import KnowledgeIndex

    return KnowledgeIndex(embedder).build(TINY_DOCS)
