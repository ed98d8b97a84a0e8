"""A trained triage bundle on disk: the field model, the similar-tickets index and their evaluation.

Layout under ``<COPILOT_DATA_DIR>/triage/``::

    models/<version>/model/          TriageModel.save()
    models/<version>/similar/        SimilarTickets.save()
    models/<version>/evaluation.json held-out figures (newest 20 % of resolved tickets)
    models/<version>/manifest.json   version, created_at, ticket count, fields
    current -> models/<version>      symlink, swapped atomically after a bundle is complete

A bundle directory is written under a temporary name and renamed when complete, and ``current`` is
replaced with ``os.replace``, so a worker loading ``current`` never sees a half-written bundle.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from copilot.triage.classifier import TriageModel
from copilot.triage.similar import SimilarTickets

MANIFEST, EVALUATION = "manifest.json", "evaluation.json"
KEEP_BUNDLES = 5  # older bundles are pruned after a new one becomes current


class BundleManifest(BaseModel):
    version: str
    created_at: datetime
    tickets: int
    fields: list[str]
    base_url: str = ""


def triage_dir(data_dir: Path) -> Path:
    return data_dir / "triage"


def current_link(data_dir: Path) -> Path:
    return triage_dir(data_dir) / "current"


class TriageBundle:
    """What the worker needs to propose: ``model``, ``similar``, ``version`` and the evaluation."""

    def __init__(self, model: TriageModel, similar: SimilarTickets, manifest: BundleManifest,
                 evaluation: dict[str, Any], directory: Path) -> None:
        self.model = model
        self.similar = similar
        self.manifest = manifest
        self.evaluation = evaluation
        self.directory = directory

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def created_at(self) -> datetime:
        return self.manifest.created_at

    @classmethod
    def load(cls, directory: Path) -> TriageBundle:
        manifest = BundleManifest.model_validate_json((directory / MANIFEST).read_text(encoding="utf-8"))
        evaluation = json.loads((directory / EVALUATION).read_text(encoding="utf-8"))
        return cls(TriageModel.load(directory / "model"), SimilarTickets.load(directory / "similar"), manifest,
                   evaluation, directory)

    @classmethod
    def load_current(cls, data_dir: Path) -> TriageBundle | None:
        """The bundle ``current`` points at, or None when nothing was trained yet."""
        target = current_directory(data_dir)
        return cls.load(target) if target is not None else None

    def write(self, data_dir: Path) -> Path:
        """Save under ``models/<version>`` (atomically) and point ``current`` at it."""
        models = triage_dir(data_dir) / "models"
        models.mkdir(parents=True, exist_ok=True)
        final = models / self.version
        tmp = models / f".{self.version}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        self.model.save(tmp / "model")
        self.similar.save(tmp / "similar")
        (tmp / EVALUATION).write_text(json.dumps(self.evaluation, indent=2, default=str), encoding="utf-8")
        (tmp / MANIFEST).write_text(self.manifest.model_dump_json(indent=2), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
        point_current(data_dir, final)
        prune(data_dir, keep=KEEP_BUNDLES)
        self.directory = final
        return final


def current_directory(data_dir: Path) -> Path | None:
    link = current_link(data_dir)
    if not link.exists():
        return None
    target = link.resolve()
    return target if (target / MANIFEST).exists() else None


def current_manifest(data_dir: Path) -> BundleManifest | None:
    """The current bundle's manifest (cheap: no model is loaded), e.g. to see whether it changed."""
    target = current_directory(data_dir)
    if target is None:
        return None
    return BundleManifest.model_validate_json((target / MANIFEST).read_text(encoding="utf-8"))


def point_current(data_dir: Path, target: Path) -> None:
    """Swap the ``current`` symlink atomically (a relative link, so the data dir can move)."""
    link = current_link(data_dir)
    tmp = link.with_name(f".current.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(target, link.parent))
    os.replace(tmp, link)


def prune(data_dir: Path, keep: int) -> None:
    """Remove all but the ``keep`` newest bundles (never the current one)."""
    models = triage_dir(data_dir) / "models"
    current = current_directory(data_dir)
    bundles = sorted((p for p in models.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in bundles[keep:]:
        if current is None or old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)


def new_version(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}"


__all__ = ["BundleManifest", "TriageBundle", "current_directory", "current_manifest", "new_version"]
