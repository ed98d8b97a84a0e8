"""Embedding backends: the ONNX export made locally from the bundled weights agrees with torch, is
cached, and ``auto`` falls back to torch when ONNX cannot be used."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from copilot.knowledge.embedder import MODEL_NAME, Embedder, OnnxEmbedder, load_embedder
from tests.knowledge.conftest import TINY_DOCS

pytestmark = pytest.mark.slow

TEXTS = [d.title + "\n" + d.text for d in TINY_DOCS] + ["forgot my password", "vpn keeps dropping"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_onnx_vectors_match_torch(embedder: Embedder, models: Path) -> None:
    reference = Embedder().encode(TEXTS) if embedder.backend != "torch" else embedder.encode(TEXTS)
    fp32 = OnnxEmbedder(models, quantize=False)
    int8 = OnnxEmbedder(models, quantize=True)
    assert fp32.name == MODEL_NAME and int8.name != MODEL_NAME  # int8 vectors get their own cache keys
    cos32 = (fp32.encode(TEXTS) * reference).sum(1)
    cos8 = (int8.encode(TEXTS) * reference).sum(1)
    assert cos32.min() > 0.9999 and cos8.min() > 0.97
    vecs = int8.encode(TEXTS)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert int8.computed == 2 * len(TEXTS)
    # ranking agrees: every question finds the same best document with both
    docs8, docs_ref = vecs[:len(TINY_DOCS)], reference[:len(TINY_DOCS)]
    for q in range(len(TINY_DOCS), len(TEXTS)):
        assert int(np.argmax(docs8 @ vecs[q])) == int(np.argmax(docs_ref @ reference[q]))


def test_onnx_word_pieces_match_torch(embedder: Embedder, models: Path) -> None:
    """The word-piece vectors late interaction reads (:mod:`copilot.knowledge.index`): same pieces, same vectors."""
    reference = Embedder() if embedder.backend != "torch" else embedder
    texts = ["forgot my password", "how do guests get on the wifi?", ""]
    for onnx in (OnnxEmbedder(models, quantize=False), OnnxEmbedder(models, quantize=True)):
        for (pieces, vecs), (ref_pieces, ref_vecs) in zip(onnx.encode_tokens(texts), reference.encode_tokens(texts),
                                                          strict=True):
            assert pieces == ref_pieces and vecs.shape == (len(pieces), 384)
            assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
            assert ((vecs * ref_vecs).sum(1) > 0.97).all()
    pieces, _ = reference.encode_tokens(["how do guests get on the wifi?"])[0]
    assert pieces == ["how", "do", "guests", "get", "on", "the", "wi", "##fi", "?"]


def test_export_is_made_once_and_reused(models: Path) -> None:
    first = OnnxEmbedder(models, quantize=True).file
    stamp = first.stat().st_mtime_ns
    again = OnnxEmbedder(models, quantize=True).file
    assert again == first and again.stat().st_mtime_ns == stamp
    assert not list(models.rglob("*.tmp*"))


def test_auto_falls_back_to_torch_when_onnx_cannot_be_made(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the model cache should be")
    fallback = load_embedder("auto", blocked)
    assert fallback.backend == "torch" and fallback.name == MODEL_NAME
    with pytest.raises(OSError):
        load_embedder("onnx-int8", blocked)


def test_the_first_export_does_not_flood_the_log(models: Path, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """``make run``'s first start printed 60+ INFO lines of the optimiser and quantiser."""
    fp32 = next(models.rglob("model.onnx"))  # reuse the torch export; optimise and quantise again
    again = tmp_path / fp32.parent.name
    again.mkdir()
    (again / "model.onnx").write_bytes(fp32.read_bytes())
    with caplog.at_level(logging.INFO):
        assert OnnxEmbedder(tmp_path, quantize=True).file.parent == again
    noisy = [r for r in caplog.records if "onnxruntime" in r.pathname and r.levelno < logging.ERROR]
    assert noisy == []
