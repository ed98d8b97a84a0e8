"""Knowledge-base retrieval: text cleaning, chunking and hybrid (BM25 + MiniLM) search."""

from .chunking import CHUNKER_VERSION, Chunk, chunk_document
from .embedder import MODEL_NAME, Embedder, get_embedder, model_path
from .index import KbDocument, KnowledgeIndex, SearchHit, SearchResponse
from .text import html_to_text, markdown_to_text, sanitize_html

__all__ = [
    "CHUNKER_VERSION", "Chunk", "chunk_document", "MODEL_NAME", "Embedder", "get_embedder", "model_path",
    "KbDocument", "KnowledgeIndex", "SearchHit", "SearchResponse", "html_to_text", "markdown_to_text",
    "sanitize_html",
]
