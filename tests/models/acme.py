"""The sandbox seed's catalog and applications as a ``TenantVocabulary``: what the engine hands the offline
model for Acme (read from the same seed the sandbox serves, not a copy of its names)."""

from __future__ import annotations

from sandbox.seed import build_seed
from tools.freshservice import Application, ServiceItem
from tools.vocabulary import TenantVocabulary


def acme_vocabulary() -> TenantVocabulary:
    seed = build_seed(imported_articles=False)
    return TenantVocabulary.build([ServiceItem.model_validate(i) for i in seed.service_items],
                                  [Application.model_validate(a) for a in seed.applications])


ACME = acme_vocabulary()
