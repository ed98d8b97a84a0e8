"""IT-side triage: webhook intake, learned field models, proposals an IT reviewer approves, and their dispatch.

Shared contract (``proposal``): every part — the worker that builds proposals, the reviewer queue
that decides them, the dispatcher that writes them to Freshservice — speaks ``Proposal``.
"""
