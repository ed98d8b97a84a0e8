"""Keep the local knowledge index in step with Freshservice, and answer from it with no API calls.

A sync lists the portal-visible folders and their published articles, fetches the full body only
of articles whose ``updated_at`` changed since the last sync, drops articles that were deleted,
unpublished or moved to a hidden folder, and saves the index (its embedding cache means unchanged
chunks are never embedded twice, also across restarts). Searching runs on the local index in a
worker thread, so answering a question makes zero Freshservice calls.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from copilot import logs
from copilot.knowledge.index import KbDocument, KnowledgeIndex, SearchResponse
from copilot.knowledge.text import html_to_text
from tools.context import KbAnswer, KbArticle
from tools.freshservice import FreshserviceClient, FreshserviceError, SolutionArticle

log = logs.get_logger(__name__)
MANIFEST = "manifest.json"
BATCH = 150  # articles embedded (and made searchable) per step


class SyncReport(BaseModel):
    articles: int = 0
    fetched: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    embedded: int = 0
    seconds: float = 0.0
    finished_at: datetime | None = None


class KnowledgeBase:
    """The synced index the KB tool searches (implements ``tools.context.KnowledgeSearch``)."""

    def __init__(self, directory: Path, portal_url: str, *, threshold: float | None = None,
                 index: KnowledgeIndex | None = None) -> None:
        self.directory = directory
        self.portal_url = portal_url.rstrip("/")
        self.threshold = threshold
        self.index = index or KnowledgeIndex()
        self.versions: dict[str, str] = {}  # article id -> updated_at seen at the last sync
        self.last_report: SyncReport | None = None
        self.last_error: str | None = None
        self.progress: tuple[int, int] | None = None  # (articles embedded, to embed) while a sync runs
        self._lock = asyncio.Lock()
        self._loaded = False

    def article_url(self, article_id: int | str) -> str:
        return f"{self.portal_url}/support/solutions/articles/{article_id}"

    @property
    def ready(self) -> bool:
        return len(self.index) > 0

    async def load(self) -> None:
        """Restore the saved index and manifest (no embedding unless the model or chunker changed)."""
        if self._loaded:
            return
        manifest = self.directory / MANIFEST
        if manifest.exists():
            self.index = await asyncio.to_thread(KnowledgeIndex.load, self.directory, self.index._embedder)
            self.versions = json.loads(manifest.read_text()).get("versions", {})
            self.versions = {k: v for k, v in self.versions.items() if k in self.index.docs}
        self._loaded = True

    async def _visible_articles(self, client: FreshserviceClient) -> list[SolutionArticle]:
        found: list[SolutionArticle] = []
        async for category in client.iter_solution_categories():
            async for folder in client.iter_solution_folders(category.id):
                if not folder.portal_visible:
                    continue
                async for article in client.iter_solution_articles(folder.id):
                    if article.published:
                        found.append(article)
        return found

    async def sync(self, client: FreshserviceClient) -> SyncReport:
        """Bring the index up to date; only changed articles are fetched and embedded."""
        async with self._lock:
            await self.load()
            started = datetime.now(UTC)
            report = SyncReport()
            listed = await self._visible_articles(client)
            report.articles = len(listed)
            changed: list[KbDocument] = []
            for article in listed:
                key = str(article.id)
                stamp = (article.updated_at or started).isoformat()
                if self.versions.get(key) == stamp and key in self.index.docs:
                    continue
                full = article if article.description else await client.get_solution_article(article.id)
                report.fetched += 0 if full is article else 1
                changed.append(KbDocument(id=key, title=full.title, text=html_to_text(full.description or ""),
                                          url=self.article_url(article.id), updated_at=stamp))
                if key in self.index.docs:
                    report.updated += 1
                else:
                    report.added += 1
            gone = set(self.index.docs) - {str(a.id) for a in listed}
            report.removed = len(gone)
            before = self.index.embeddings_computed
            if gone:
                await asyncio.to_thread(self._apply, [], gone)
            for start in range(0, len(changed), BATCH):  # searchable batch by batch on a first start
                self.progress = (start, len(changed))
                await asyncio.to_thread(self._apply, changed[start:start + BATCH], set())
            self.progress = None
            report.embedded = self.index.embeddings_computed - before
            report.finished_at = datetime.now(UTC)
            report.seconds = round((report.finished_at - started).total_seconds(), 2)
            self.last_report, self.last_error = report, None
            log.info("knowledge_sync", **report.model_dump(mode="json"))
            return report

    def _apply(self, changed: list[KbDocument], gone: set[str]) -> None:
        """Update a copy of the index and swap it in, so searches never see a half-built index."""
        index = copy.copy(self.index)
        index.docs = dict(self.index.docs)  # the live index keeps its own documents until the swap
        if gone:
            index.remove(gone)
        if changed:
            index.upsert(changed)
        self.directory.mkdir(parents=True, exist_ok=True)
        index.save(self.directory)
        versions = {k: v for k, v in self.versions.items() if k not in gone} | {d.id: d.updated_at or "" for d in changed}
        (self.directory / MANIFEST).write_text(json.dumps({"versions": versions}, indent=0))
        self.index, self.versions = index, versions

    async def sync_forever(self, client: FreshserviceClient, interval_seconds: float) -> None:
        """Sync now and then every ``interval_seconds``; failures are logged and retried next time."""
        while True:
            try:
                await self.sync(client)
            except FreshserviceError as error:
                self.last_error = str(error)
                log.warning("knowledge_sync_failed", error=type(error).__name__, status=error.status)
            await asyncio.sleep(interval_seconds)

    async def search(self, question: str, k: int = 3) -> KbAnswer:
        """Answer from the local index only (no Freshservice call)."""
        response: SearchResponse = await asyncio.to_thread(self.index.query, question, k)
        threshold = self.threshold if self.threshold is not None else response.threshold
        answer = bool(response.hits) and response.confidence >= threshold
        plausible = bool(response.hits) and response.confidence >= min(threshold, response.plausible_threshold)
        return KbAnswer(
            articles=[KbArticle(id=h.doc_id, title=h.title, url=h.url or self.article_url(h.doc_id),
                                passages=h.passages, score=h.score)
                      for h in response.hits],
            confidence=response.confidence, answer=answer, threshold=threshold,
            tier="confident" if answer else "plausible" if plausible else "none",
        )
