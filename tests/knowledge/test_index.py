import json

import numpy as np
import pytest

import copilot.knowledge.index as index_module
from copilot.knowledge.chunking import Chunk, sentence_units
from copilot.knowledge.index import KbDocument, KnowledgeIndex

from .conftest import TINY_DOCS

pytestmark = pytest.mark.slow


def test_paraphrase_finds_right_doc(tiny_index):
    hits = tiny_index.search("I forgot my login password, how do I change it?", k=3)
    assert hits[0].doc_id == "pwd"
    assert hits[0].passages and hits[0].title == "Reset your network password"
    assert tiny_index.search("my vpn connection keeps dropping", method="hybrid")[0].doc_id == "vpn"
    assert tiny_index.search("automatic reply while on holiday", method="dense")[0].doc_id == "outlook"
    assert tiny_index.search("add printer windows", method="bm25")[0].doc_id == "printer"


def test_nonsense_query_not_answerable(tiny_index):
    resp = tiny_index.query("what's the best recipe for banana bread with walnuts")
    assert 0.0 <= resp.confidence <= 1.0
    assert resp.answerable is False
    good = tiny_index.query("How do I reset my network password?")
    assert good.confidence > resp.confidence


def test_upsert_and_remove(tiny_index):
    tiny_index.upsert([KbDocument(id="wifi", title="Join the guest Wi-Fi", text="Pick the Guest network and "
                                  "accept the terms in the browser.")])
    assert tiny_index.search("connect visitor laptop to wireless", k=1)[0].doc_id == "wifi"
    tiny_index.remove(["wifi"])
    assert "wifi" not in {h.doc_id for h in tiny_index.search("guest wifi", k=10)}


def test_persistence_reuses_embeddings(tmp_path, embedder):
    idx = KnowledgeIndex(embedder).build(TINY_DOCS)
    assert idx.embeddings_computed > 0
    vdir = idx.save(tmp_path)
    assert vdir.parent == tmp_path and idx.version in vdir.name

    loaded = KnowledgeIndex.load(tmp_path, embedder)
    assert loaded.embeddings_computed == 0
    assert loaded.search("vpn disconnects")[0].doc_id == "vpn"

    # rebuild with unchanged docs → nothing re-embedded
    loaded.build(TINY_DOCS)
    assert loaded.embeddings_computed == 0
    fresh = KnowledgeIndex(embedder)
    fresh.load_cache(tmp_path)
    fresh.build(TINY_DOCS)
    assert fresh.embeddings_computed == 0

    # only the changed document's chunks are embedded
    changed = [*TINY_DOCS[:-1], TINY_DOCS[-1].model_copy(update={"text": TINY_DOCS[-1].text + " Extra line."})]
    before = fresh.embedded_texts()
    fresh.build(changed)
    new_texts = fresh.embedded_texts() - before
    assert len(new_texts) == 2  # its one chunk and the sentence unit that changed (a small KB indexes sentences)
    assert fresh.embeddings_computed == len(new_texts)


def test_sentence_units_keep_title_heading_and_split_steps():
    chunk = Chunk("d", 0, "Printing", "Add the printer", "To add it:\n- Open Settings and pick Printers.\n- Choose Add.\n"
                  "\nDrivers install automatically on Windows and Mac.")
    units = sentence_units(chunk)
    assert units == ["Printing — Add the printer: To add it:", "Printing — Add the printer: Open Settings and pick Printers.",
                     "Printing — Add the printer: Drivers install automatically on Windows and Mac."]  # "Choose Add." is too short


def test_small_kb_scores_articles_by_their_sentences(embedder, monkeypatch):
    idx = KnowledgeIndex(embedder).build(TINY_DOCS)
    units = [u for c in idx.chunks for u in sentence_units(c)]
    assert idx.sentence_level and idx.unit_emb.shape[0] == len(units) and set(units) <= idx.embedded_texts()
    # a fact stated in one sentence of an article (the password expiry), asked loosely
    resp = idx.query("how often do passwords expire")
    assert resp.hits[0].doc_id == "pwd"
    dense = idx._raw_scores("how often do passwords expire")[2]
    assert dense[idx._doc_ids.index("pwd")] == max(dense)

    monkeypatch.setattr(index_module, "SENTENCE_MAX_CHUNKS", 2)  # a KB bigger than that: chunks and titles only
    big = KnowledgeIndex(embedder).build(TINY_DOCS)
    assert not big.sentence_level and big.unit_emb.shape[0] == 0
    assert big.embedded_texts() == {c.index_text for c in big.chunks} | {d.title for d in TINY_DOCS}
    assert big.search("my vpn connection keeps dropping")[0].doc_id == "vpn"


class _CountingTokens:
    """The real embedder, counting the texts whose word pieces it encodes."""

    def __init__(self, real):
        self.real, self.name, self.dim, self.computed, self.token_texts = real, real.name, real.dim, 0, 0

    def encode(self, texts, batch_size=32):
        return self.real.encode(texts, batch_size)

    def encode_tokens(self, texts):
        self.token_texts += len(texts)
        return self.real.encode_tokens(texts)


def test_late_interaction_weighs_every_word_of_the_question(embedder, tmp_path):
    idx = KnowledgeIndex(embedder).build(TINY_DOCS)
    printer = idx._doc_ids.index("printer")
    assert idx.unit_tok.shape[0] > idx.unit_emb.shape[0] and idx._tok_starts is not None
    assert int(np.argmax(idx._late_scores("which printer do I pick from the list"))) == printer
    # a question asking for more than the article says scores lower on it than one it covers
    covered = idx._late_scores("add the floor printer from the list")[printer]
    beyond = idx._late_scores("add the floor printer with duplex stapling and colour toner")[printer]
    assert beyond < covered
    # the units' pieces (and the calibration questions') are saved: loading them encodes nothing again
    idx.save(tmp_path)
    counting = _CountingTokens(embedder)
    loaded = KnowledgeIndex.load(tmp_path, counting)
    assert counting.token_texts == 0 and np.allclose(loaded.unit_tok, idx.unit_tok)
    assert loaded.query("which printer do I pick from the list").hits[0].doc_id == "printer"
    assert counting.token_texts == 1  # the live question, which is not kept


def test_spelling_fixes_typos_but_leaves_real_words_alone(embedder):
    docs = [*TINY_DOCS, KbDocument(id="dock", title="Check whether your docking station charges",
                                   text="Plug the dock into power and check whether the light turns white.")]
    idx = KnowledgeIndex(embedder).build(docs)
    assert idx.correct_spelling("my pasword expired") == "my password expired"  # not a word: a KB word one edit away
    # real English words one edit away from a KB word ("weather"/"whether", "printed"/"printer") are not typos
    assert idx.correct_spelling("will the weather be fine") == "will the weather be fine"
    assert idx.correct_spelling("I printed it twice") == "I printed it twice"


# a shipped model that answers everything: it misses the targets on any KB's off-topic pseudo-queries
ANSWERS_EVERYTHING = {"methods": {"dense": {"features": ["d1"], "mean": [0.0], "scale": [1.0], "coef": [0.0],
                                            "intercept": 5.0, "threshold": 0.5}}}


def test_self_calibration_replaces_a_shipped_model_that_misses_the_targets(embedder, tmp_path):
    idx = KnowledgeIndex(embedder, calibration=ANSWERS_EVERYTHING).build(TINY_DOCS)
    cal = idx.self_calibration
    assert cal is not None and cal["shipped"]["rejection"] == 0.0 and cal["use"] == "self"
    # the decision it fitted meets the targets on this KB's pseudo-queries and answers most of them
    assert all(cal["self"][k] >= v for k, v in index_module.CONFIDENT_TARGETS.items())
    assert cal["self"]["answered"] >= 0.5
    # and it decides real questions: paraphrases answered, off-topic ones (not in the shipped list) declined
    for question, doc_id in [("my vpn keeps disconnecting", "vpn"), ("forgot my password", "pwd")]:
        resp = idx.query(question)
        assert resp.decision == "self" and resp.answerable and resp.hits[0].doc_id == doc_id
    for question in ["who won the cricket yesterday", "best pizza in Naples?"]:
        assert not idx.query(question).answerable
    saved = idx.save(tmp_path)
    assert json.loads((saved / "self_calibration.json").read_text())["use"] == "self"


# A vendor library filed next to the company's own how-tos (TINY_DOCS): generic articles that answer the generic
# part of an employee's question ("password", "printer", "VPN") but not the company's way of doing it.
VENDOR = [
    KbDocument(id="ms-pwd", title="Reset a forgotten Microsoft account password",
               text="Go to account.live.com/password/reset, enter the email of your personal Microsoft account and "
                    "follow the recovery steps. A security code is sent to your recovery email or phone."),
    KbDocument(id="ms-printer", title="Fix printer connection and printing problems in Windows",
               text="Run the printing troubleshooter from Settings, System, Troubleshoot. Make sure the printer is "
                    "on, connected and has paper, then remove and re-add it."),
    KbDocument(id="ms-vpn", title="Connect to a VPN in Windows",
               text="Select Network, then VPN, Add VPN. Choose Windows (built-in) as the provider, enter the server "
                    "name and the sign-in info your VPN provider gave you."),
    KbDocument(id="ms-ooo", title="Send automatic out of office replies from Outlook for Windows",
               text="Select File, Automatic Replies. Select Send automatic replies, set a date range and write the "
                    "message. Rules can also forward messages while you are away."),
    KbDocument(id="ms-recovery", title="Recover a hacked or compromised Outlook.com account",
               text="If you think someone else is using your Outlook.com account, reset your password, fill in the "
                    "account recovery form and review your recent sign-in activity."),
]


def _filed(docs: list[KbDocument], collection: str) -> list[KbDocument]:
    return [d.model_copy(update={"collection": collection}) for d in docs]


def test_a_library_category_is_scored_apart_and_the_own_articles_answer_first(embedder, tmp_path):
    docs = _filed(TINY_DOCS, "IT how-to") + _filed(VENDOR, "Vendor manuals")
    mixed = KnowledgeIndex(embedder).build(docs)
    assert mixed.parts == []  # no library named and no category big enough: one collection, as before
    idx = KnowledgeIndex(embedder, libraries=frozenset({"Vendor manuals"})).build(docs)
    own, library = idx.parts
    assert set(own.docs) == {d.id for d in TINY_DOCS} and set(library.docs) == {d.id for d in VENDOR}
    assert idx.self_calibration is None and own.self_calibration and library.self_calibration
    answer = idx.query("I forgot my network password, how do I change it?")
    assert answer.collection == "own" and answer.hits[0].doc_id == "pwd" and answer.answerable
    assert all(h.doc_id in own.docs for h in answer.hits)
    vendor = idx.query("someone hacked my personal outlook.com account, how do I recover it?")
    assert vendor.collection == "library" and vendor.hits[0].doc_id == "ms-recovery"
    saved = json.loads((idx.save(tmp_path) / "self_calibration.json").read_text())
    assert [c["articles"] for c in saved["collections"]] == [len(TINY_DOCS), len(VENDOR)]
    # reloaded with the same library names, the split comes back (the category is kept with each document)
    again = KnowledgeIndex.load(tmp_path, embedder, libraries=frozenset({"Vendor manuals"}))
    assert again.embeddings_computed == 0 and [set(p.docs) for p in again.parts] == [set(own.docs), set(library.docs)]


def test_a_category_bigger_than_the_library_size_is_a_library_without_being_named(embedder, monkeypatch):
    monkeypatch.setattr(index_module, "LIBRARY_MIN_ARTICLES", len(VENDOR) - 1)
    idx = KnowledgeIndex(embedder).build(_filed(TINY_DOCS, "IT how-to") + _filed(VENDOR, "Vendor manuals"))
    assert [set(p.docs) for p in idx.parts] == [{d.id for d in TINY_DOCS}, {d.id for d in VENDOR}]
    only_library = KnowledgeIndex(embedder).build(_filed(VENDOR, "Vendor manuals"))
    assert only_library.parts == []  # nothing of the company's own to put first
