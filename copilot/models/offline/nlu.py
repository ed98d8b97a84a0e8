"""The offline model's language understanding: a small, deterministic intent classifier + entities.

Intent = two experts combined as a geometric mean of their probabilities: TF-IDF (word 1-2-grams and
character 3-5-grams) + logistic regression, trained at start-up on the example utterances in
``intents.json`` (fixed random state) and scored per message by a plain numpy path over the fitted
vocabularies, idf weights and coefficients (the same arithmetic as the sklearn pipeline, without its
per-call validation overhead); and a MiniLM model (``semantic.py``: embedding + nearest training phrases,
cached on disk) that recognises paraphrases with none of the training words. A few high-precision rules
sit on top where classifiers are weak: ticket numbers mean a status question, one-word yes/no are
confirmations, text with no known words is nonsense, and the message's form — question, report of
something happening now, request — corrects the topic (``speech_acts.py``). Replies for small talk come
from ``responses.py``, picked deterministically per conversation turn.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from copilot.models.dialogue_state import DialogueState
from copilot.models.offline import entities, speech_acts
from copilot.models.offline.responses import respond as _respond
from copilot.models.offline.semantic import SemanticModel, load_encoder
from tools.patterns import AFFIRM, DENY

DATA = Path(__file__).with_name("intents.json")
MAX_CHARS = 2000  # longer messages are classified on their start; the engine caps input anyway
MIN_CONFIDENCE = 0.30
# General words of IT requests; the tenant's own item and application words come with each message's
# context (``TenantVocabulary.words``).
LEXICON = {"i", "my", "me", "the", "a", "an", "is", "it", "to", "for", "of", "and", "can", "you", "how", "what", "why",
            "when", "where", "please", "need", "want", "not", "work", "working", "broken", "error", "help", "computer",
            "account", "email", "password", "printer", "wifi", "internet", "screen", "keyboard", "mouse", "file", "files",
            "access", "login", "log", "sign", "in", "on", "with", "this", "that", "do", "does", "get", "have", "has"}


@dataclass
class Understanding:
    intent: str
    confidence: float
    entities: dict[str, Any] = field(default_factory=dict)
    alternatives: list[tuple[str, float]] = field(default_factory=list)


class IntentScorer:
    """``pipeline.predict_proba([text])[0]`` for the fitted TF-IDF union + multinomial logistic regression,
    computed directly: count the analyser's terms, sublinear tf × idf, L2-normalise each block, then
    the linear scores and a softmax. About 20× faster per message than going through the pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        features: FeatureUnion = pipeline.named_steps["features"]
        classifier: LogisticRegression = pipeline.named_steps["classifier"]
        assert features.transformer_weights is None and len(classifier.classes_) > 2
        self.blocks: list[tuple[Any, dict[str, int], np.ndarray, int]] = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            assert vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2" and not vectorizer.binary
            self.blocks.append((vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)
        self.coef = np.asarray(classifier.coef_, dtype=np.float64)
        self.intercept = np.asarray(classifier.intercept_, dtype=np.float64)

    def probabilities(self, text: str) -> np.ndarray:
        scores = self.intercept.copy()
        for analyze, vocabulary, idf, offset in self.blocks:
            counts = Counter(index for term in analyze(text) if (index := vocabulary.get(term)) is not None)
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            values = (np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1.0) * idf[columns]
            values /= np.sqrt(np.dot(values, values))
            scores += self.coef[:, offset + columns] @ values
        scores -= scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()  # type: ignore[no-any-return]


class OfflineNLU:
    """Deterministic intent + entity understanding for the offline model."""

    def __init__(self, examples: dict[str, list[str]] | None = None, *, semantic: bool = True) -> None:
        self.examples = examples or json.loads(DATA.read_text(encoding="utf-8"))
        texts = [t for utterances in self.examples.values() for t in utterances]
        labels = [intent for intent, utterances in self.examples.items() for _ in utterances]
        self.pipeline = Pipeline([
            ("features", FeatureUnion([
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)),
            ])),
            ("classifier", LogisticRegression(C=12.0, max_iter=2000, random_state=0)),
        ])
        self.pipeline.fit(texts, labels)
        words = self.pipeline.named_steps["features"].transformer_list[0][1]
        self.vocabulary = set(words.vocabulary_) | LEXICON
        self.scorer = IntentScorer(self.pipeline)
        self.classes = [str(c) for c in self.pipeline.classes_]
        encoder = load_encoder() if semantic else None
        self.semantic = SemanticModel(encoder, texts, labels, self.classes) if encoder is not None else None

    def probabilities(self, text: str) -> np.ndarray:
        """The lexical and the MiniLM model's probabilities, combined as a geometric mean (renormalised):
        an intent must be likely for both, so neither a shared word nor a vague resemblance decides alone,
        and the result is no more confident than either model (thresholds below keep their meaning)."""
        lexical = self.scorer.probabilities(text)
        if self.semantic is None:
            return lexical
        semantic = self.semantic.probabilities(text)
        combined = 0.5 * (np.log(np.maximum(lexical, 1e-12)) + np.log(np.maximum(semantic, 1e-12)))
        combined -= combined.max()
        exp = np.exp(combined)
        return exp / exp.sum()  # type: ignore[no-any-return]

    def known_share(self, text: str, tenant: frozenset[str] = frozenset()) -> float:
        tokens = re.findall(r"[a-z]+", text.lower())
        if not tokens:
            return 0.0
        return sum(1 for t in tokens if t in self.vocabulary or t in tenant) / len(tokens)

    def context_for(self, state: DialogueState) -> dict[str, Any]:
        """What entity extraction needs to read a short answer to the field the copilot asked."""
        prompt = state.field
        return {"awaiting": state.awaiting, "field_type": prompt.field_type if prompt else None,
                "choices": list(prompt.choices) if prompt else []}

    def understand(self, text: str, context: dict[str, Any] | None = None) -> Understanding:
        text = (text or "")[:MAX_CHARS]
        found = entities.extract(text, context)
        vocabulary = (context or {}).get("vocabulary")
        tenant: frozenset[str] = vocabulary.words if vocabulary is not None else frozenset()
        if not text.strip():
            return Understanding("nonsense", 1.0, found)
        if AFFIRM.match(text):
            return Understanding("affirm", 0.99, found)
        if DENY.match(text):
            return Understanding("deny", 0.99, found)
        probabilities = self.probabilities(text)
        order = np.argsort(-probabilities)
        ranked = [(self.classes[i], float(probabilities[i])) for i in order[:3]]
        intent, confidence = ranked[0]
        if self.known_share(text, tenant) < 0.2 and not found.get("ticket") and not found.get("software"):
            return Understanding("nonsense", max(confidence, 0.9), found, ranked)
        if "ticket" in found and intent in ("kb_question", "my_tickets", "create_incident", "nonsense", "capabilities"):
            return Understanding("ticket_status", max(confidence, 0.9), found, ranked)
        if confidence < MIN_CONFIDENCE and intent in ("urgent_security", "outage"):
            # an urgent reading the model is unsure of opens no urgent ticket: the best other reading, or a person
            # asked for ("can someone actually look at it today? it's been days")
            others = [name for name, _ in ranked if name not in ("urgent_security", "outage")]
            intent = "human" if speech_acts.ASKS_FOR_PERSON.search(text) else others[0] if others else "kb_question"
        if confidence < MIN_CONFIDENCE and intent not in ("urgent_security", "outage", "human"):
            intent = "kb_question" if self.known_share(text, tenant) >= 0.5 and len(text.split()) >= 3 else "nonsense"
        return Understanding(speech_acts.refine(intent, text, ranked), confidence, found, ranked)

    def respond(self, intent: str, *, conversation_id: str = "", turn: int = 0, first_name: str = "") -> str | None:
        return _respond(intent, conversation_id=conversation_id, turn=turn, first_name=first_name)


_shared: OfflineNLU | None = None
_lock = threading.Lock()


def shared() -> OfflineNLU:
    """The one fitted model of this process (fitting is deterministic, so sharing changes nothing); the
    lock keeps two threads that start at once from fitting it twice."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = OfflineNLU()
    return _shared
