"""The tenant's own vocabulary: its catalog items and applications, for recognising them in a message.

Built from what ``CatalogDirectory`` already fetched from Freshservice (no extra API call) and rebuilt
only when the directory refreshes, so a turn pays for a dictionary look-up and a few fuzzy matches, never
for a fetch. Everything here is derived from the tenant's data: an application is recognised by its
name, by any run of its name's words that no other application shares ("acrobat", "power bi",
"intellij"), by the initials-plus-last-word and vendor short forms people type ("vs code", "ms project"),
and through small typos; a catalog item by the words of its name — the thing it *is* (its head noun:
"charger" in "USB-C laptop charger") counting more than what it is for — and, failing that, by the
distinctive words of its description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from tools.freshservice import Application, ServiceItem
from tools.patterns import PATH

# Words of a product name that name no product alone ("Pro", "Business", "Desktop", "Code").
GENERIC = set("""pro business enterprise desktop basic creator software cloud hub suite premium standard plus
workplace sales marketing code project studio visual office team teams mobile new access app apps web online free
home drive data pay chat mail docs power lt e3 e5 one go lite express edition for and the of a an to with all
idea creative full mode dev""".split())
# A field whose choices are parts of the item itself ("Apps needed": Photoshop, Illustrator), not options of it.
COMPONENT_FIELD = re.compile(r"\b(?:apps?|applications?|products?|software|modules?|tools?|programs?)\b", re.I)
VENDOR_SHORT = {"microsoft": "ms"}  # "ms project", "ms visio"
# Words a request wraps its object in; never the object itself.
FILLER = set("""i i'm im need want would like get have has can could please pls plz a an the my me our some new another
spare extra second one two order request requesting requested buy give got is are be to do does how where what
which when why who there it this that these those just also too really kindly hi hello hey thanks thank you we us
any apply asking ask for access""".split())
# Edition words of an item's name, which never say which item ("I have no idea" is not IntelliJ IDEA).
EDITION = {"pro", "business", "enterprise", "cloud", "creator", "idea", "basic", "premium", "standard", "plus", "edition",
           "lt", "new"}
TWO_LETTER_WORDS = frozenset("in or on at of to by as is it be we us an if so up no do go me my he am hi ok vs via".split())
PATH_FIELD = re.compile(r"\b(?:path|folder)\b", re.I)
# Where the requested thing ends and what it is for begins ("a charger | for my laptop").
MODIFIER = re.compile(r"\b(?:for|with|from|on|in|at|because|since|so|as|after|before|when|while|by|like)\b", re.I)
ITEM_SYNONYMS = {"stick": "drive", "screen": "monitor", "display": "monitor", "dock": "docking", "inbox": "mailbox",
                 "administrator": "admin", "joiner": "starter", "hire": "starter", "headphones": "headset",
                 "headphone": "headset", "mailing": "distribution", "folder": "drive", "evaluate": "evaluation",
                 "evaluating": "evaluation", "trial": "evaluation", "trialling": "evaluation", "pilot": "evaluation",
                 "pdf": "acrobat", "pdfs": "acrobat"}  # "the pdf one" among Adobe's items: the PDF editor
# What well-known products are for, as people ask for them ("software to draw flowcharts" is Visio): added to the
# description of the tenant's item whose name has the product's word, so only products the tenant offers are found.
KNOWN_USES = {
    "visio": "diagram diagrams flowchart flowcharts draw drawing org chart floor plan process map",
    "acrobat": "pdf pdfs edit editing fillable sign combine",
    "figma": "design prototype prototyping mockup mockups wireframe wireframes",
    "tableau": "dashboard dashboards visualisation visualization charts analytics",
    "miro": "whiteboard brainstorm brainstorming sticky workshop",
    "postman": "api apis endpoint endpoints",
    "intellij": "java kotlin ide",
    "pycharm": "python ide",
    "camtasia": "screen recording record tutorial tutorials",
    "zoom": "webinar webinars minute limit",
    "jira": "sprint sprints backlog bug bugs",
    "confluence": "wiki documentation",
    "sentry": "error errors crash tracking monitoring",
}
# Everyday words for a catalog category ("an app" is software).
KIND_SYNONYMS = {"app": "software", "application": "software", "program": "software", "tool": "software",
                 "programme": "software", "device": "hardware", "equipment": "hardware", "kit": "hardware",
                 "gear": "hardware"}
# Words around a kind of thing that do not narrow it ("I'd like some new software installed").
KIND_FILLER = frozenset({"installed", "install", "installing", "like", "more", "another", "something", "bit", "piece",
                         "pls", "plz", "thanks", "hi", "hey", "hello", "id", "d", "gimme", "wanna", "needed", "needs",
                         "please", "some", "new", "need", "want", "get", "a", "an", "i", "me", "my", "for", "the"})
# "no extra software", "without recording", "not the laptop": what is said not to be wanted names nothing.
NEGATED = re.compile(r"\b(?:no|without|not|don'?t\s+need)\s+(?:(?:any|extra|more|the|a)\s+)?[\w-]+", re.I)
# "something to plug my laptop into a projector", "anything for editing pdfs": the thing is named by its use.
USE_PHRASE = re.compile(r"\b(?:something|anything|a\s+thing|some\s+kind\s+of\s+thing|a\s+gadget|software|an?\s+app|"
                        r"a\s+tool|a\s+program)\s+(?:to|for|that|which|so)\b", re.I)
# Someone new joining the team, said without the item's name: "a new SDR starting on 1 March", "we hired two people",
# "Jordan joins us on the 3rd" — not "I'm new here" or "my laptop keeps starting slowly".
NEW_PERSON = re.compile(r"\bnew\s+(?:[\w-]+\s+){0,2}?(?:starting|joining|who\s+(?:starts|joins))\b|"
                        r"\b(?:we(?:'ve|\s+have)?|i(?:'ve|\s+have)?)\s+(?:just\s+)?hired\b|"
                        r"\b(?:he|she|they)\s+(?:starts|joins|is\s+starting|is\s+joining)\s+(?:on|next|in|monday|tuesday|"
                        r"wednesday|thursday|friday|\d)", re.I)
SELF_DESCRIBED = re.compile(r"\b(?:i'?m|i\s+am|as)\s+(?:a|the)\s+new\b", re.I)  # "I'm a new starter": not an onboarding
_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#\-]*[a-z0-9+#]|[a-z0-9]", re.I)


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def _same(a: str, b: str) -> bool:
    """The same word, allowing a plural, an -ing ("dock"/"docking") or a small typo in a long word."""
    a, b = _stem(a), _stem(b)
    if a == b:
        return True
    if min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)) and abs(len(a) - len(b)) <= 3:
        # "dock"/"docking", "print"/"printer"; not "project"/"projector" or "edit"/"editor" (an -or makes another word)
        return not max(a, b, key=len).endswith("or")
    return min(len(a), len(b)) >= 6 and fuzz.ratio(a, b) >= 85 and not (a.startswith(b) or b.startswith(a))
    return min(len(a), len(b)) >= 6 and fuzz.ratio(a, b) >= 85


@dataclass(frozen=True)
class ItemEntry:
    name: str
    words: tuple[str, ...]  # content words of the name
    head: str  # the thing the item is ("charger"), or "" when the name has no content word
    described: frozenset[str]  # content words of the description
    form: frozenset[str] = frozenset()  # words of its form's labels and choices ("keyboard" of Keyboard layout)
    values: tuple[str, ...] = ()  # a choice said with its field's word: "uk keyboard" (Keyboard layout: UK)


@dataclass
class TenantVocabulary:
    """What the tenant calls its things; see the module docstring."""

    applications: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # lowercased alias -> application (or component) name
    items: list[ItemEntry] = field(default_factory=list)
    words: frozenset[str] = frozenset()  # every word of every name and description: "known words"
    models: dict[str, str] = field(default_factory=dict)  # "dell precision 5690" -> the one item offering it
    _fuzzy: dict[str, str] = field(default_factory=dict)
    _frequency: dict[str, int] = field(default_factory=dict)
    _name_frequency: dict[str, int] = field(default_factory=dict)  # how many items' names have the word
    path_items: list[str] = field(default_factory=list)  # items whose form asks for a folder path
    kinds: frozenset[str] = frozenset()  # one-word catalog category names ("software", "hardware")

    @classmethod
    def build(cls, items: list[ServiceItem], applications: list[Application],
              categories: list[str] | None = None) -> TenantVocabulary:
        app_names = sorted({a.name.strip() for a in applications if a.name and a.name.strip()})
        item_names = {i.name.strip().lower() for i in items if i.name}
        # components requested through an item that is itself an application ("Photoshop" of Creative Cloud)
        components = sorted({label for i in items if i.name.strip() in app_names
                             for f in i.custom_fields or [] if COMPONENT_FIELD.search(f.label or f.name or "")
                             for label in choice_labels(f) if label.strip() and not set(tokens(label)) & GENERIC})
        names = app_names + [c for c in components if c not in app_names]
        candidates: dict[str, set[str]] = {}
        for name in names:
            for alias in _aliases(name):
                candidates.setdefault(alias, set()).add(name)
        aliases: dict[str, str] = {}
        for alias, owners in candidates.items():
            if len(owners) == 1:
                aliases[alias] = next(iter(owners))
            else:  # "zoom": Zoom Pro (which the catalog sells) over Zoom Workplace Basic
                requestable = [o for o in owners if o.lower() in item_names]
                if len(requestable) == 1:
                    aliases[alias] = requestable[0]
        for name in names:
            aliases[name.lower()] = name
        entries = [_entry(i) for i in items if i.name]
        frequency: dict[str, int] = {}
        name_frequency: dict[str, int] = {}
        for entry in entries:
            for word in set(entry.words) | entry.described:
                frequency[word] = frequency.get(word, 0) + 1
            for word in set(entry.words):
                name_frequency[word] = name_frequency.get(word, 0) + 1
        known = {w for n in names for w in tokens(n)} | {w for e in entries for w in (*e.words, *e.described)}
        known |= {w for i in items for w in tokens(i.name)}
        fuzzy = {alias: name for alias, name in aliases.items() if len(alias) >= 5}
        # a model several forms offer ("MacBook Pro 14": New laptop, and New hire onboarding's laptop) names
        # the item whose form asks for it first: the laptop order itself, not the onboarding it is part of
        offered: dict[str, dict[str, int]] = {}
        for i in items:
            for position, f in enumerate(i.custom_fields or []):
                for label in choice_labels(f):
                    if _model_like(label):
                        owners_at = offered.setdefault(" ".join(tokens(label)), {})
                        owners_at.setdefault(i.name.strip(), position)
        models: dict[str, str] = {}
        for label, owners_at in offered.items():
            first = min(owners_at.values())
            at_first = [name for name, position in owners_at.items() if position == first]
            if len(at_first) == 1:
                models[label] = at_first[0]
        known |= {w for label in models for w in label.split()}
        path_items = [i.name.strip() for i in items if i.name and any(
            PATH_FIELD.search(f.label or f.name or "") for f in i.custom_fields or [])]
        kinds = frozenset(words[0] for words in (tokens(c) for c in categories or []) if len(words) == 1)
        return cls(applications=names, aliases=aliases, items=entries, words=frozenset(known), models=models,
                   _fuzzy=fuzzy, _frequency=frequency, _name_frequency=name_frequency, path_items=path_items,
                   kinds=kinds)

    # --- applications ------------------------------------------------------------------------------

    def software_in(self, text: str) -> str | None:
        """The application (or component) the text names, by name, alias or a small typo ("photoshp")."""
        words = tokens(text)
        grams = [" ".join(words[i:i + n]) for n in range(4, 0, -1) for i in range(len(words) - n + 1)]
        for gram in grams:  # longest first
            if gram in self.aliases:
                return self.aliases[gram]
            if gram.replace(" ", "") in self.aliases and " " in gram:  # "adobe acrobat" typed "adobeacrobat"
                return self.aliases[gram.replace(" ", "")]
        for word in words:  # "jria", "mrio": two neighbouring letters swapped in a short name
            if len(word) >= 4 and word not in FILLER and word not in GENERIC:
                swapped = [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)]
                named = {self.aliases[w] for w in swapped if w != word and w in self.aliases}
                if len(named) == 1:
                    return next(iter(named))
        best: tuple[str, float] | None = None
        choices = list(self._fuzzy)
        for gram in grams:
            if len(gram) < 5 or all(w in FILLER or w in GENERIC for w in gram.split()):
                continue
            found = process.extractOne(gram, choices, scorer=fuzz.ratio, score_cutoff=86)
            if found and found[0] != gram and found[0].endswith(gram) and not found[0][0].isalpha():
                continue  # "password" is a word, not a typo of "1password"
            if found and (best is None or found[1] > best[1]):
                best = (self._fuzzy[found[0]], found[1])
        return best[0] if best else None

    def every_software_in(self, text: str) -> list[str]:
        """Every application the text names by name or alias, in the order said ("tableau + slack on top")."""
        words = tokens(text)
        found: list[str] = []
        i = 0
        while i < len(words):
            for n in range(4, 0, -1):  # longest first at each position
                gram = " ".join(words[i:i + n])
                if len(words[i:i + n]) == n and gram in self.aliases:
                    if self.aliases[gram] not in found:
                        found.append(self.aliases[gram])
                    i += n - 1
                    break
            i += 1
        return found

    # --- catalog items -----------------------------------------------------------------------------

    def item_in(self, text: str) -> str | None:
        """The catalog item the text asks for: by its name's words, weighing the requested thing (the head
        of the request, "charger" in "a spare charger for my laptop") over what it is for, then by the
        distinctive words of one item's description."""
        text = re.sub(r"\bset\s+up\b", "setup", NEGATED.sub(" ", text), flags=re.I)
        text = self.without_field_values(text)
        head_part, rest = _split_request(text)
        wanted_head = _request_head(head_part)
        head_words = [ITEM_SYNONYMS.get(w, w) for w in _content(head_part)]
        rest_words = [ITEM_SYNONYMS.get(w, w) for w in _content(rest)]
        if self.names_a_kind(head_words + rest_words):
            return None  # "I need software": a kind of thing, not the one item whose name has the word
        if NEW_PERSON.search(text) and (welcome := self._onboarding()) is not None:
            return welcome  # "I've got a new SDR starting on 1 March", "we hired two people": the onboarding item
        if (phrase := self._by_name_phrase(text)) is not None:
            return phrase  # "we have a new starter, …; she needs tableau": the onboarding, not the app it includes
        if USE_PHRASE.search(text) and (by_use := self._by_description(head_words + rest_words)) is not None:
            return by_use  # "something to plug my laptop into a projector": what it does, not the laptop it is for
        if [w for w in head_words if self.kind_of(w) is None and w not in KIND_FILLER]:
            head_words = [w for w in head_words if self.kind_of(w) is None]  # "adobe software": Adobe's, any kind
        if wanted_head:
            wanted_head = ITEM_SYNONYMS.get(wanted_head, wanted_head)
        scored: list[tuple[float, str]] = []
        for entry in self.items:
            if not entry.words:
                continue
            score, head_matched, wanted_matched = 0.0, False, False
            for word in entry.words:
                weight = 2.0 if word == entry.head else 1.0
                if any(_same(word, w) for w in head_words):
                    score += weight * (1.5 if wanted_head and _same(word, wanted_head) else 1.0)
                    head_matched |= word == entry.head
                    wanted_matched |= bool(wanted_head) and _same(word, wanted_head)
                elif any(_same(word, w) for w in rest_words):
                    score += weight * 0.3
                    head_matched |= word == entry.head and not head_words
            if score and (head_matched or wanted_matched):
                scored.append((score, entry.name))
        said_models = f" {' '.join(tokens(text))} "
        offering_now = {name for label, name in self.models.items() if f" {label} " in said_models}
        model_form = next((e.form for e in self.items if e.name in offering_now), frozenset())
        others = [e for e in self.items if e.name not in offering_now]
        if len(offering_now) == 1 and not (wanted_head and any(_same(w, wanted_head) for e in others for w in e.words)) \
                and not any(_same(w, h) for e in others for w in e.words if w not in model_form for h in head_words):
            # "MacBook Pro 14, UK keyboard, reason: …": the item offering that model, not the keyboard item; but "a
            # keyboard for my MacBook Pro 14" asks for the keyboard (the thing the request names is another item)
            return next(iter(offering_now))
        if scored:
            scored.sort(key=lambda pair: (-pair[0], pair[1]))
            if len(scored) == 1 or scored[0][0] > scored[1][0]:
                return scored[0][1]
            return self._by_whole_name([name for score, name in scored if score == scored[0][0]], text)
        if (only := self._by_distinctive_word(head_words)) is not None:
            return only  # "dock to my office desk": "docking" is in one item's name only
        said = f" {' '.join(tokens(text))} "
        offering = {name for label, name in self.models.items() if f" {label} " in said}
        if len(offering) == 1:  # "a Dell Precision 5690": a model only one item offers
            return next(iter(offering))
        if len(self.path_items) == 1 and PATH.search(text):  # "access to S:\\Eng\\Builds": the form that asks for a path
            return self.path_items[0]
        return self._by_description(head_words + rest_words)

    def _onboarding(self) -> str | None:
        """The one item for a new starter (its name or description says starter, hire, joiner or onboarding)."""
        found = [e.name for e in self.items if {"starter", "onboarding"} & (set(e.words) | e.described)]
        return found[0] if len(found) == 1 else None

    def _by_name_phrase(self, text: str) -> str | None:
        """The one item two adjacent words of whose name (as said: "new hire" = "new starter") the text says, when
        no other item's name has two adjacent words in it either; not about the employee ("I'm a new starter")."""
        if SELF_DESCRIBED.search(text):
            return None
        said = [ITEM_SYNONYMS.get(_stem(w), _stem(w)) for w in tokens(text)]
        pairs = set(zip(said, said[1:], strict=False))
        owners = set()
        for entry in self.items:
            name = [ITEM_SYNONYMS.get(_stem(w), _stem(w)) for w in tokens(entry.name)]
            if any(pair in pairs and not set(pair) & (FILLER - {"new"}) for pair in zip(name, name[1:], strict=False)):
                owners.add(entry.name)
        return next(iter(owners)) if len(owners) == 1 else None

    def without_field_values(self, text: str) -> str:
        """The text without a form value said with its field's word ("the bigger Mac, UK keyboard": the laptop's
        Keyboard layout, not the keyboard item), when something else is left to name the thing."""
        lowered = text.lower()
        for entry in self.items:
            for value in entry.values:
                lowered = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", " ", lowered)
        return lowered if lowered != text.lower() and _content(lowered) else text

    def kind_of(self, word: str) -> str | None:
        """The catalog category a word names ("apps" -> "software"), if any."""
        word = _stem(word)
        kind = KIND_SYNONYMS.get(word, word)
        return kind if kind in self.kinds else None

    def names_a_kind(self, words: list[str]) -> bool:
        """The words name one catalog category and nothing else ("software", "some hardware installed", "an
        app"), not one item whose name has the word."""
        said = [w for w in words if w not in KIND_FILLER]
        return bool(said) and len({self.kind_of(w) for w in said}) == 1 and self.kind_of(said[0]) is not None

    @staticmethod
    def _by_whole_name(tied: list[str], text: str) -> str | None:
        """Between items that tie on their main words, the one more of whose whole name was said ("s drive
        access": Access to a shared drive, not Encrypted USB drive)."""
        said = [w for w in tokens(text) if len(w) >= 3]
        overlap = sorted(((sum(any(_same(n, w) for w in said) for n in set(tokens(name)) if len(n) >= 3), name)
                          for name in tied), reverse=True)
        return overlap[0][1] if overlap[0][0] > overlap[1][0] else None

    def _by_distinctive_word(self, head_words: list[str]) -> str | None:
        """The one item with a long name word that no other item's name has, said in the part of the
        message that names the thing (when no item's main word was said)."""
        owners = {e.name for e in self.items for word in e.words
                  if self._name_frequency[word] == 1 and len(word) >= 5 and any(_same(word, w) for w in head_words)
                  and not self._elsewhere(word, e.name)}
        return next(iter(owners)) if len(owners) == 1 else None

    def _elsewhere(self, word: str, name: str) -> bool:
        """Whether another item's description or form has the word: "those wireless Jabra things" (the headset is
        wireless too) and "the bigger Mac, UK keyboard" (the laptop's Keyboard layout) do not name the wireless
        keyboard by its name's word alone."""
        stem = _stem(word)
        return any(stem in e.described or stem in e.form for e in self.items if e.name != name)

    def _by_description(self, wanted: list[str]) -> str | None:
        """One item whose description shares clearly more distinctive words with the need than any other."""
        wanted_set = {_stem(w) for w in wanted if len(w) >= 3 or (len(w) == 2 and w not in TWO_LETTER_WORDS)} - EDITION
        shared = {e.name: wanted_set & (set(e.words) | e.described) for e in self.items}
        # read on every message, so two shared words at least ("a sit-stand desk converter"), never one
        weights = sorted(((sum(1.0 / self._frequency[w] for w in words), name) for name, words in shared.items()
                          if len(words) >= 2), reverse=True)
        if not weights or weights[0][0] < 1.0 or (len(weights) > 1 and weights[0][0] < 1.5 * weights[1][0] + 0.25):
            return None
        return weights[0][1]


def choice_labels(form_field: object) -> list[str]:
    """The labels of a catalog form field's choices, whatever shape the API gave them in."""
    labels: list[str] = []
    for choice in getattr(form_field, "choices", None) or []:
        if isinstance(choice, list | tuple) and choice:
            labels.append(str(choice[0]))
        elif isinstance(choice, str):
            labels.append(choice)
        elif hasattr(choice, "label"):
            labels.append(str(choice.label))
    return labels


UNITS = {"day", "days", "week", "weeks", "month", "months", "hour", "hours", "year", "years", "gb", "tb", "inch"}


def _model_like(label: str) -> bool:
    """A choice that names a product model ("Dell Precision 5690", "iPhone 16"): a number with a name, not
    a duration or a size ("7 days")."""
    words = tokens(label)
    return (len(words) >= 2 and any(re.search(r"\d", w) for w in words) and not set(words) & UNITS
            and any(len(w) >= 3 and w.isalpha() for w in words))


def _aliases(name: str) -> set[str]:
    """The short forms of an application's name that could name it alone (uniqueness is checked later)."""
    words = tokens(name)
    found: set[str] = set()
    for n in range(1, len(words) + 1):
        for i in range(len(words) - n + 1):
            run = words[i:i + n]
            if all(w in GENERIC for w in run) or (n == 1 and len(run[0]) < 4 and not re.search(r"\d", run[0])):
                continue
            if n == 1 and run[0] in GENERIC:
                continue
            found.add(" ".join(run))
    if len(words) >= 3:  # "vs code", "vscode"
        initials = "".join(w[0] for w in words[:-1])
        found |= {f"{initials} {words[-1]}", f"{initials}{words[-1]}"}
    if words and words[0] in VENDOR_SHORT and len(words) >= 2:  # "ms project"
        found.add(" ".join([VENDOR_SHORT[words[0]], *words[1:]]))
    return found


def _content(text: str) -> list[str]:
    return [_stem(w) for w in tokens(text) if w not in FILLER and w not in CONJUNCTIONS and len(w) >= 2]


CONJUNCTIONS = {"and", "or", "nor", "but"}  # "thanks and the request for the monitor": no item is named by "and"


def _split_request(text: str) -> tuple[str, str]:
    """("I need a spare charger", "for my laptop"): the part naming the thing and the rest. A leading
    modifier ("for my laptop, a charger") is skipped until the thing is named."""
    lowered = text.lower()
    start = 0
    for match in MODIFIER.finditer(lowered):
        if _content(lowered[start:match.start()]):
            return lowered[:match.start()], lowered[match.start():]
    return lowered, ""


def _request_head(part: str) -> str:
    words = _content(part)
    return words[-1] if words else ""


def _entry(item: ServiceItem) -> ItemEntry:
    name = item.name.strip()
    # "Access to a shared drive", "VPN access for a contractor": the thing is before the modifier, unless the
    # part before it is only a generic word ("Access"), then it is the part after ("shared drive")
    before, after = _split_request(name)
    words = [ITEM_SYNONYMS.get(w, w) for w in _content(name) if w not in EDITION] or _content(name)
    head_words = [w for w in _content(before) if w not in EDITION] or [w for w in _content(after) if w not in EDITION]
    head = ITEM_SYNONYMS.get(head_words[-1], head_words[-1]) if head_words else ""
    uses = " ".join(KNOWN_USES.get(w, "") for w in tokens(name))
    described = frozenset(_stem(w) for w in tokens(f"{item.short_description or ''} {uses}") if w not in FILLER and (
        len(w) >= 3 or (len(w) == 2 and w not in TWO_LETTER_WORDS)))  # "AV", "HR" count; "in", "or" do not
    form = frozenset(_stem(w) for f in item.custom_fields or [] for text in [f.label or "", *choice_labels(f)]
                     for w in tokens(text))
    values = tuple(sorted({f"{choice.lower()} {word}" for f in item.custom_fields or [] for choice in choice_labels(f)
                           for word in _content(f.label or "") if len(word) >= 4}, key=len, reverse=True))
    return ItemEntry(name=name, words=tuple(dict.fromkeys(words)), head=head, described=described, form=form,
                     values=values)
