"""The built-in offline model, all of it: an AutoGen chat client (``client``) that asks a deterministic
decision table (``policy``) what to do, which reads the employee through a small intent classifier
(``nlu``) and entity extractors (``entities``), and says fixed things in ``responses``.

Deterministic and offline: no network, no tokenizer downloads. One fitted NLU per process (``shared``).
"""

from copilot.models.offline.client import OfflineChatCompletionClient
from copilot.models.offline.nlu import DATA, OfflineNLU, Understanding, shared

__all__ = ["DATA", "OfflineChatCompletionClient", "OfflineNLU", "Understanding", "shared"]
