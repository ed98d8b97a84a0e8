"""Text normalisation for knowledge-base content.

* :func:`html_to_text` – HTML (e.g. a Freshservice solution article) to clean plain text.
  The HTML is sanitised with ``nh3`` first, then tags are stripped while headings are kept
  as markdown-style ``#`` lines and block elements become paragraph breaks, so that the
  chunker can still see the document structure.
* :func:`markdown_to_text` – markdown to the same plain-text shape.
* :func:`sanitize_html` – safe HTML for rendering in the portal (small allow-list, links get
  ``rel="noopener noreferrer"``).
"""

from __future__ import annotations

import html as _html
import re
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

__all__ = ["html_to_text", "markdown_to_text", "sanitize_html", "normalize_whitespace"]

# Tags kept when sanitising for *rendering*.
SAFE_TAGS = {
    "a", "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
    "span", "div", "img",
}
SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
SAFE_URL_SCHEMES = {"http", "https", "mailto"}

# Tags kept when sanitising *before text extraction* (structure only, no attributes).
_STRUCT_TAGS = SAFE_TAGS - {"img"}

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK = {"p", "div", "ul", "ol", "table", "thead", "tbody", "blockquote", "pre", "hr"}
_LINE = {"br", "tr", "li"}


def sanitize_html(html: str) -> str:
    """Return HTML that is safe to render: scripts, event handlers, ``javascript:`` URLs,
    styles and unknown tags are removed; links get ``rel="noopener noreferrer"``."""
    return nh3.clean(
        html or "",
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        url_schemes=SAFE_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._heading: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HEADINGS:
            self._heading = _HEADINGS[tag]
            self.parts.append("\n\n" + "#" * self._heading + " ")
        elif tag in _BLOCK:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _LINE:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS:
            self._heading = None
            self.parts.append("\n\n")
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            data = data.replace("\n", " ")
        self.parts.append(data)


def normalize_whitespace(text: str) -> str:
    """Collapse runs of spaces, trim lines, keep at most one blank line between paragraphs."""
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.replace("\r", "").split("\n")]
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()


def html_to_text(html: str) -> str:
    """Sanitise ``html`` with nh3, then strip tags keeping headings (``# ...``) and paragraph breaks."""
    cleaned = nh3.clean(html or "", tags=_STRUCT_TAGS, attributes={}, strip_comments=True)
    parser = _TextExtractor()
    parser.feed(cleaned)
    parser.close()
    text = _html.unescape("".join(parser.parts))
    return normalize_whitespace(text)


_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def markdown_to_text(markdown: str) -> str:
    """Markdown → plain text (headings kept as ``#`` lines, paragraphs separated by blank lines).

    Raw HTML embedded in the markdown is sanitised as well (markdown → HTML → :func:`html_to_text`).
    """
    return html_to_text(_MD.render(markdown or ""))
