"""Keep the local knowledge index in step with Freshservice, and answer from it with no API calls.

A sync lists the portal-visible folders and their published articles, fetches the full body only
of articles whose ``updated_at`` changed since the last sync, drops articles that were deleted,
unpublished or moved to a hidden folder, and saves the index (its embedding cache means unchanged
chunks are never embedded twice, also across restarts). Searching runs on the local index in a
worker thread, so answering a question makes zero Freshservice calls.

Several replicas sharing one Redis and one data directory build the index once: a sync first takes
the Redis lock ``copilot:kb:build-lock`` (``SET NX EX``, renewed while it builds). A replica that
finds the lock taken waits and meanwhile loads what the builder has saved so far, batch by batch,
without embedding anything; when the lock is free it takes it, finds the saved index up to date and
has nothing left to embed (docs/knowledge.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel
from redis.exceptions import RedisError

from copilot import language, logs
from copilot.knowledge.embedder import AnyEmbedder, model_words
from copilot.knowledge.index import KbDocument, KnowledgeIndex, SearchResponse
from copilot.knowledge.text import html_to_text
from copilot.knowledge.threads import in_daemon_thread
from tools.context import KbAnswer, KbArticle
from tools.freshservice import FreshserviceClient, FreshserviceError, SolutionArticle

log = logs.get_logger(__name__)
MANIFEST = "manifest.json"
BATCH = 150  # articles embedded (and made searchable) per step
LOCK_KEY = "copilot:kb:build-lock"
LOCK_TTL = 30  # seconds; the builder renews it every LOCK_TTL / 3
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) "
          "else return 0 end")


class BuildLock:
    """One builder at a time across replicas: ``SET key token NX EX ttl``, renewed, released by its owner."""

    def __init__(self, redis: Callable[[], Awaitable[Any]], key: str = LOCK_KEY, ttl: int = LOCK_TTL,
                 poll_seconds: float = 0.5) -> None:
        self._redis = redis
        self.key, self.ttl, self.poll_seconds = key, ttl, poll_seconds
        self.token = ""

    async def acquire(self) -> bool:
        token = uuid.uuid4().hex
        if await (await self._redis()).set(self.key, token, nx=True, ex=self.ttl):
            self.token = token
            return True
        return False

    async def keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            if not await (await self._redis()).eval(_RENEW, 1, self.key, self.token, self.ttl):
                log.warning("knowledge_build_lock_lost")
                return

    async def release(self) -> None:
        await (await self._redis()).eval(_RELEASE, 1, self.key, self.token)


class _NotCached(Exception):
    pass


class _CacheOnly:
    """Stands in for the embedder while loading another replica's artefacts: never embeds."""

    def __init__(self, real: AnyEmbedder) -> None:
        self.name, self.dim, self.computed = real.name, real.dim, 0

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        raise _NotCached(len(texts))

    def encode_tokens(self, texts: list[str]) -> list[tuple[list[str], np.ndarray]]:
        raise _NotCached(len(texts))


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
                 index: KnowledgeIndex | None = None, redis: Callable[[], Awaitable[Any]] | None = None,
                 lock_key: str = LOCK_KEY, libraries: frozenset[str] = frozenset()) -> None:
        self.directory = directory
        self.libraries = libraries  # category names searched after the company's own articles
        self.portal_url = portal_url.rstrip("/")
        self.threshold = threshold
        self.index = index or KnowledgeIndex(libraries=libraries)
        self.versions: dict[str, str] = {}  # article id -> updated_at seen at the last sync
        self.last_report: SyncReport | None = None
        self.last_error: str | None = None
        self.progress: tuple[int, int] | None = None  # (articles embedded, to embed) while a sync runs
        self._lock = asyncio.Lock()
        self._loaded = False
        self._generation: str | None = None  # manifest generation this replica's index matches
        self.build_lock = BuildLock(redis, lock_key) if redis is not None else None

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
            self.index = await in_daemon_thread(partial(KnowledgeIndex.load, self.directory, self.index._embedder,
                                                        libraries=self.libraries))
            saved = json.loads(manifest.read_text())
            self.versions = {k: v for k, v in saved.get("versions", {}).items() if k in self.index.docs}
            self._generation = saved.get("generation")
        self._loaded = True

    def _read_manifest(self) -> dict[str, Any]:
        try:
            loaded: dict[str, Any] = json.loads((self.directory / MANIFEST).read_text())
            return loaded
        except (OSError, ValueError):
            return {}

    def _follow(self) -> bool:
        """Load the artefacts another replica saved, if newer, without embedding (True if loaded).

        The builder writes the embedding cache before the documents and the manifest last; a load that
        meets a half-written file or a document whose vectors are not cached yet is skipped and retried."""
        saved = self._read_manifest()
        generation = saved.get("generation")
        if not generation or generation == self._generation:
            return False
        real = self.index.embedder
        try:
            index = KnowledgeIndex.load(self.directory, _CacheOnly(real), libraries=self.libraries)  # type: ignore[arg-type]
        except (_NotCached, OSError, ValueError):
            return False
        if len(index.docs) != saved.get("docs") or self._read_manifest().get("generation") != generation:
            return False  # the builder moved on while we read: next time
        index._embedder = real
        self.index, self._generation = index, generation
        self.versions = {k: v for k, v in saved.get("versions", {}).items() if k in index.docs}
        self._loaded = True
        return True

    async def _visible_articles(self, client: FreshserviceClient) -> list[tuple[SolutionArticle, str]]:
        """The published articles employees can see, each with the name of its category."""
        found: list[tuple[SolutionArticle, str]] = []
        async for category in client.iter_solution_categories():
            async for folder in client.iter_solution_folders(category.id):
                if not folder.portal_visible:
                    continue
                async for article in client.iter_solution_articles(folder.id):
                    if article.published:
                        found.append((article, category.name))
        return found

    async def sync(self, client: FreshserviceClient) -> SyncReport:
        """Bring the index up to date; only changed articles are fetched and embedded.

        With Redis, under the build lock: while another replica builds, this one follows its saved
        batches; then it syncs itself and, the artefacts being current, embeds nothing."""
        async with self._lock:
            lock = self.build_lock
            if lock is None:
                return await self._sync(client)
            try:
                while not await lock.acquire():
                    await in_daemon_thread(self._follow)
                    await asyncio.sleep(lock.poll_seconds)
            except RedisError as error:  # no lock without Redis: build alone rather than not at all
                log.warning("knowledge_build_lock_unavailable", error=type(error).__name__)
                return await self._sync(client)
            keep_alive = asyncio.create_task(lock.keep_alive())
            try:
                await in_daemon_thread(self._follow)  # another replica may have synced since we loaded
                return await self._sync(client)
            finally:
                keep_alive.cancel()
                with contextlib.suppress(asyncio.CancelledError, RedisError):
                    await keep_alive
                with contextlib.suppress(RedisError):
                    await lock.release()

    async def _sync(self, client: FreshserviceClient) -> SyncReport:
        await self.load()
        started = datetime.now(UTC)
        report = SyncReport()
        listed = await self._visible_articles(client)
        report.articles = len(listed)
        changed: list[KbDocument] = []
        for article, category in listed:
            key = str(article.id)
            stamp = (article.updated_at or started).isoformat()
            known = self.index.docs.get(key)
            if self.versions.get(key) == stamp and known is not None:
                if known.collection != category:  # moved, or indexed before categories were kept: no refetch
                    changed.append(known.model_copy(update={"collection": category}))
                    report.updated += 1
                continue
            full = article if article.description else await client.get_solution_article(article.id)
            report.fetched += 0 if full is article else 1
            changed.append(KbDocument(id=key, title=full.title, text=html_to_text(full.description or ""),
                                      url=self.article_url(article.id), updated_at=stamp, collection=category))
            if key in self.index.docs:
                report.updated += 1
            else:
                report.added += 1
        gone = set(self.index.docs) - {str(a.id) for a, _ in listed}
        report.removed = len(gone)
        before = self.index.embeddings_computed
        if gone:
            await in_daemon_thread(self._apply, [], gone)
        for start in range(0, len(changed), BATCH):  # searchable batch by batch on a first start
            self.progress = (start, len(changed))
            await in_daemon_thread(self._apply, changed[start:start + BATCH], set())
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
        generation = uuid.uuid4().hex
        tmp = self.directory / f"{MANIFEST}.{generation}.tmp"
        tmp.write_text(json.dumps({"generation": generation, "docs": len(index.docs), "versions": versions}, indent=0))
        tmp.replace(self.directory / MANIFEST)  # written last and atomically: followers trust what it names
        self.index, self.versions, self._generation = index, versions, generation

    async def sync_forever(self, client: FreshserviceClient, interval_seconds: float) -> None:
        """Sync now and then every ``interval_seconds``; failures are logged and retried next time."""
        while True:
            try:
                await self.sync(client)
            except FreshserviceError as error:
                self.last_error = str(error)
                log.warning("knowledge_sync_failed", error=type(error).__name__, status=error.status)
            await asyncio.sleep(interval_seconds)

    def embedding_text(self, question: str) -> str:
        """The text the index embeds for ``question`` (spelling corrected against the KB's words); a caller
        that embeds it itself passes the vector to :meth:`search`."""
        return self.index.correct_spelling(question)

    def _query(self, question: str, k: int, vector: Any) -> SearchResponse:
        """The index's answer to ``question`` or to its English gloss, whichever is more confident (in a worker
        thread: the first language identification loads its model)."""
        index = self.index  # one index for both readings, even if a sync swaps in another meanwhile
        response = index.query(question, k, qvec=vector)
        english = self.english_reading(question)
        if english:  # the MiniLM model is English-only
            glossed = index.query(english, k)
            if glossed.confidence > response.confidence:
                return glossed
        return response

    def english_reading(self, question: str) -> str | None:
        """The English gloss of a question written in one of :data:`copilot.language.SUPPORTED` (None for an
        English or unclear one): the glossary's words, plus the words the embedding model or this KB knows
        (product names, "VPN", "OneDrive"); the language's everyday words are dropped."""
        found = language.identify(question)
        if not (found.foreign and found.code):
            return None
        english = language.gloss(question, found.code, self._knows)
        return english if english and english != question else None

    def _knows(self, word: str) -> bool:
        return word.lower() in model_words() or self.index.knows_word(word)

    @property
    def embedder(self) -> Any:
        """The model that embeds this index's questions (a caller's vector must come from it)."""
        return self.index.embedder

    async def search(self, question: str, k: int = 3, *, vector: Any = None) -> KbAnswer:
        """Answer from the local index only (no Freshservice call). ``vector``: the :attr:`embedder`'s
        vector of :meth:`embedding_text` of ``question``, when the caller already has it. A question in one of
        the supported foreign languages is also asked as its English gloss (:meth:`english_reading`); the more
        confident answer is kept."""
        response: SearchResponse = await in_daemon_thread(partial(self._query, question, k, vector))
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
