"""A cached, searchable view of the service catalog and the software list.

Catalog items and applications change rarely; fetching them on every turn would spend the
account's rate limit for nothing. The directory refreshes in the background of a turn when stale
and answers fuzzy look-ups ("photoshop", "a new laptop") from memory.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from tools.freshservice import Application, FreshserviceClient, FreshserviceError, ServiceItem
from tools.vocabulary import EDITION, TenantVocabulary, choice_labels

REFRESH_SECONDS = 600
ITEM_MATCH_CUTOFF = 55
APP_MATCH_CUTOFF = 70
SOFTWARE_IN_GENERAL = {"software", "licence", "licences", "license", "licenses", "licensing", "seat", "seats", "app",
                       "apps", "application", "applications", "program", "programs", "tool", "tools", "product",
                       "products", "subscription", "subscriptions"}
STOPWORDS = {"i", "need", "a", "an", "the", "new", "please", "request", "want", "get", "can", "to", "for", "my",
             "me", "some", "would", "like", "access", "licence", "license", "seat", "of"}


# Words that name no particular thing: "an Adobe product", "some Microsoft app".
VAGUE_THINGS = {"product", "products", "app", "apps", "application", "applications", "tool", "tools", "thing",
                "things", "something", "anything", "one", "stuff", "program", "programs", "software", "from", "by",
                "their", "any", "kind", "sort", "pls", "plz", "thanks", "hi", "hey", "hello", "also"}
# "but not sure which one", "no idea which": the employee does not know the item, which is no part of it.
NOT_SURE = re.compile(r"\b(?:but\s+)?(?:i'?m\s+)?(?:not\s+(?:sure|certain)|unsure|no\s+idea|(?:i\s+)?(?:don'?t|do\s+not)\s+"
                      r"know)\b(?:\s+(?:which|what|exactly))?(?:\s+(?:one|kind|version|product))?")
# Words that say nothing about *which* item ("try", "team", "called" do; "the", "want" don't).
FUNCTION_WORDS = STOPWORDS | set("""and or but with without our we you your it its it's is are was be this that these those
there here just not no in on at by from into about also too very so our us they them one two any all who what which
when where why how do does did done ask asked want wants wanted""".split())
# How employees say what catalog texts say more formally (each word also keeps itself).
SYNONYMS = {"try": "evaluate", "trial": "evaluate", "pilot": "evaluate", "test": "evaluate", "evaluation": "evaluate",
            "tool": "software", "app": "software", "application": "software", "program": "software",
            "stick": "drive", "screen": "monitor", "display": "monitor", "dock": "docking", "mailing": "distribution",
            "inbox": "mailbox", "administrator": "admin", "joiner": "starter", "hire": "starter",
            "freelancer": "contractor"}
DESCRIPTION_SCORE = 72  # a need that shares distinctive words with one item's description, and no other's


def _content_words(text: str, synonyms: bool = False) -> set[str]:
    words = {w[:-1] if len(w) > 4 and w.endswith("s") else w
             for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3 and w not in FUNCTION_WORDS}
    return words | {SYNONYMS[w] for w in words if w in SYNONYMS} if synonyms else words


def by_description(need: str, items: list[ServiceItem]) -> ServiceItem | None:
    """The one item whose name and description share the most *distinctive* words with the need (a word
    in few items' texts counts more), when it clearly leads: "try a tool that's not in the catalog" ->
    "New software evaluation" ("…software that is not in the catalog"), "the S: drive folder" -> "Access to a
    shared drive" ("…a legacy S: drive folder")."""
    texts = {item.display_id: _content_words(f"{item.name} {item.short_description or ''}") for item in items}
    frequency: dict[str, int] = {}
    for words in texts.values():
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
    wanted = _content_words(need, synonyms=True)
    wanted = (wanted - SOFTWARE_IN_GENERAL) or wanted  # "jira software": Jira, which no description names
    wanted -= _content_words(" ".join(EDITION))  # "Loom Business": an edition word says which edition, not which item
    weights = sorted(((sum(1.0 / frequency[w] for w in wanted & words), display_id)
                      for display_id, words in texts.items()), reverse=True)
    if not weights or weights[0][0] < 1.0 or (len(weights) > 1 and weights[0][0] < 1.5 * weights[1][0] + 0.25):
        return None
    return next(item for item in items if item.display_id == weights[0][1])


def _names_enough(name: str, wanted: set[str]) -> bool:
    """The need says more than half of an item's name ("S: drive folder" says one word of "Encrypted USB drive"):
    only then may a fuzzy name match outrank the item whose description clearly fits the need."""
    words = _content_words(name)
    return not words or len(words & wanted) > len(words) / 2


def _shares_a_word(query: str, item_text: str) -> bool:
    """Whether a word of the need is a word of the item's name, description or choices, or a typo or the start of
    one ("moniter", "mac" of "MacBook"): fuzzy ratios over whole sentences also score strings that share none."""
    said = [w for w in utils.default_process(query).split() if len(w) >= 2 and w not in FUNCTION_WORDS]
    said = [w for w in said if w not in EDITION] or said  # "Loom Business" shares only an edition with Grammarly's
    own = set(utils.default_process(item_text).split()) - FUNCTION_WORDS
    return any(w in own or any((len(w) >= 3 and o.startswith(w)) or (min(len(w), len(o)) >= 4 and fuzz.ratio(w, o) >= 80)
                               for o in own) for w in said)


def _key_words(text: str) -> str:
    words = [w for w in re.findall(r"[a-z0-9+#.]+", text.lower()) if w not in STOPWORDS]
    return " ".join(words) or text.lower()


def _names_it(text: str, app_name: str) -> bool:
    """Does ``text`` say a word of the application's own name (or a typo of one, or "vscode" for Visual Studio
    Code), beyond the words that name any software?"""
    said = [w for w in utils.default_process(text).split() if w not in SOFTWARE_IN_GENERAL | FUNCTION_WORDS]
    own = [w for w in utils.default_process(app_name).split() if w not in SOFTWARE_IN_GENERAL]
    return any(fuzz.ratio(w, o) >= 75 or (min(len(w), len(o)) >= 3 and (w.startswith(o) or w.endswith(o) or
                                                                       o.startswith(w)))
               for w in said for o in own)


@dataclass
class CatalogDirectory:
    client: FreshserviceClient
    refresh_seconds: float = REFRESH_SECONDS
    _items: dict[int, ServiceItem] = field(default_factory=dict)
    _apps: dict[int, Application] = field(default_factory=dict)
    _categories: dict[int, str] = field(default_factory=dict)  # service category id -> name
    _loaded_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _vocabulary: TenantVocabulary | None = None
    _refreshing: asyncio.Task[None] | None = None

    async def refresh(self, *, force: bool = False) -> None:
        if not force and self._items and time.monotonic() - self._loaded_at < self.refresh_seconds:
            return
        async with self._lock:
            if not force and self._items and time.monotonic() - self._loaded_at < self.refresh_seconds:
                return
            items: dict[int, ServiceItem] = {}
            async for summary in self.client.iter_service_items():
                if getattr(summary, "visibility", 2) != 2 or getattr(summary, "deleted", False):
                    continue
                items[summary.display_id] = await self.client.get_service_item(summary.display_id)
            apps = {app.id: app async for app in self.client.iter_applications()}
            categories = {c.id: c.name async for c in self.client.iter_service_categories()}
            vocabulary = TenantVocabulary.build(list(items.values()), list(apps.values()), list(categories.values()))
            self._items, self._apps, self._vocabulary, self._loaded_at = items, apps, vocabulary, time.monotonic()
            self._categories = categories

    @property
    def vocabulary(self) -> TenantVocabulary | None:
        """The tenant's item and application names as last fetched (None before the first load); never waits."""
        return self._vocabulary

    async def keep_fresh(self) -> TenantVocabulary | None:
        """Before a turn: the first time, load the catalog (a turn needs it to understand item names); later,
        a stale catalog is refreshed in the background while this turn uses the one in memory. A failed fetch
        leaves the last vocabulary in place (or none) and is retried on a later turn."""
        if self._vocabulary is None:
            try:
                await self.refresh()
            except FreshserviceError:
                return None
        elif time.monotonic() - self._loaded_at >= self.refresh_seconds and (
                self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh_quietly())
        return self._vocabulary

    async def _refresh_quietly(self) -> None:
        try:
            await self.refresh()
        except FreshserviceError:
            pass  # the next stale turn tries again; tools that need the catalog report their own errors

    async def items(self) -> list[ServiceItem]:
        await self.refresh()
        return list(self._items.values())

    async def item(self, display_id: int) -> ServiceItem | None:
        await self.refresh()
        return self._items.get(display_id)

    async def find_items(self, need: str, limit: int = 3) -> list[tuple[ServiceItem, float]]:
        """Published items best matching a need, by name first, then description."""
        await self.refresh()
        if self._vocabulary is not None:
            need = self._vocabulary.without_field_values(need)  # "the bigger Mac, UK keyboard": no keyboard item
        query = _key_words(need)
        if specific := [w for w in query.split() if w not in SOFTWARE_IN_GENERAL]:
            query = " ".join(specific)  # "jira software" is Jira, not the one item whose name says "software"
        scored: list[tuple[ServiceItem, float]] = []
        for item in self._items.values():
            name = fuzz.WRatio(query, item.name, processor=utils.default_process)
            about = fuzz.token_set_ratio(query, f"{item.name} {item.short_description or ''}",
                                         processor=utils.default_process)
            choices = " ".join(label for f in item.custom_fields or [] for label in choice_labels(f))
            in_choices = fuzz.partial_token_set_ratio(query, choices, processor=utils.default_process) if choices else 0
            words = set(utils.default_process(query).split())
            name_words = utils.default_process(item.name).split()
            if words and words <= set(name_words):
                # every word of the need is in the item's name; more so when the need names the thing itself
                # (the name's last word): "laptop" -> "New laptop" well ahead of "USB-C laptop charger"
                name += 12 if name_words[-1] in words else 2
            score = max(name, 0.8 * about, 0.7 * in_choices)
            if not _shares_a_word(query, f"{item.name} {item.short_description or ''} {choices}"):
                continue  # a likeness of letters only: "on the road … need a work line" is no "Wireless keyboard"
            if score >= ITEM_MATCH_CUTOFF:
                scored.append((item, score))
        described = by_description(need, list(self._items.values()))
        if described is not None:
            wanted = _content_words(need, synonyms=True)
            scored = [(item, max(score, DESCRIPTION_SCORE + 10) if item is described else
                       score if _names_enough(item.name, wanted) else min(score, DESCRIPTION_SCORE - 8))
                      for item, score in scored]
            if all(item is not described for item, _ in scored):
                scored.append((described, DESCRIPTION_SCORE))
        scored.sort(key=lambda pair: (-pair[1], pair[0].name))
        return scored[:limit]

    async def find_application(self, name: str) -> tuple[Application, float] | None:
        """The application whose name best matches ``name`` (typos and partial names allowed). Words that name
        software in general ("my software licences") are no part of a name: "software" alone is not Jira Software."""
        await self.refresh()
        if not self._apps:
            return None
        names = {app_id: app.name for app_id, app in self._apps.items()}
        ranked = process.extract(_key_words(name), names, scorer=fuzz.WRatio, processor=utils.default_process, limit=5)
        best = next((hit for hit in ranked if hit[1] >= APP_MATCH_CUTOFF and _names_it(name, hit[0])), None)
        if best is None:
            return None
        return self._apps[best[2]], float(best[1])

    async def family(self, need: str) -> list[ServiceItem]:
        """Items whose names start with the one word the need names ("an Adobe product", "something from
        Microsoft"): a vendor with several items is a choice between them, in catalog order, not a guess."""
        words = set(re.findall(r"[a-z0-9]+", NOT_SURE.sub(" ", need.lower()))) - FUNCTION_WORDS - VAGUE_THINGS
        if len(words) != 1:
            return []
        word = next(iter(words))
        return sorted((item for item in await self.items()
                       if (item.name or "").lower().split()[:1] == [word] and item.name.lower() != word),
                      key=lambda item: item.display_id)

    async def kind(self, need: str) -> list[ServiceItem]:
        """The items of the catalog category the need names and nothing more ("I need software", "some new
        hardware pls"): a choice between them, in catalog order, not a guess at the one whose name has the word."""
        await self.refresh()
        words = [w for w in re.findall(r"[a-z0-9]+", need.lower()) if w not in FUNCTION_WORDS - {"access"}]
        if self._vocabulary is None or not self._vocabulary.names_a_kind(words):
            return []
        wanted = {self._vocabulary.kind_of(w) for w in words} - {None}
        ids = {cid for cid, name in self._categories.items() if name.strip().lower() in wanted}
        return sorted((item for item in self._items.values() if item.category_id in ids), key=lambda i: i.display_id)

    async def item_for_software(self, software: str) -> tuple[ServiceItem, str] | None:
        """The catalog item (and its field) through which this software is requested ("Photoshop", "adobe
        photoshop licence" -> Creative Cloud's app field). A name, not a sentence: the choice must be most of a short
        need — a choice merely *inside* a longer one ("a spare USB-C charger for home" holds the Headset's "USB-C",
        "a docking station for my home address" the Monitor's "Home address") names no software."""
        query = utils.default_process(_key_words(software))
        said = query.split()
        for item in await self.items():
            for form_field in item.custom_fields or []:
                for label in choice_labels(form_field):
                    words = utils.default_process(label).split()
                    if (0 < len(said) <= 3 and 2 * len(words) >= len(said)
                            and fuzz.token_set_ratio(query, label, processor=utils.default_process) >= 90):
                        return item, form_field.name
        return None
