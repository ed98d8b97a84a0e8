"""Make reply Markdown safe to render: no remote images, no look-alike links.

Reply text carries content the copilot does not control (KB articles, ticket subjects, an approver's
remark). Chainlit renders it as Markdown (raw HTML is off), so ``![x](https://tracker/p.png)`` would
make the browser fetch a remote image and ``[Reset your password](https://evil.example)`` would show
a trustworthy label over a hostile target. :func:`safe_markdown` rewrites, outside code:

* an image into text naming it, followed by its target as a plain link: ``\\[image: x\\] <https://…>``;
* a link whose label is not its target into ``label (<https://real.host/…>)``; a link whose label is
  its target into ``<https://…>``. Only ``http(s)`` and ``mailto`` targets stay clickable, others are
  shown as code;
* any ``]`` that would still start a link, image or reference definition (``](``, ``][``, ``]:``) is
  escaped, so nothing it did not understand renders as a link or an image.

Everything else (paragraphs, lists, emphasis, code, bare URLs) is left as it is. The Content-Security-
Policy (``img-src 'self' data: blob:``, copilot/web/portal.py) is the second line of defence.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Code is shown literally by Markdown, so it is copied through untouched.
_FENCE = r"(?ms:^[ ]{0,3}(?P<fence>`{3,}|~{3,})[^\n]*\n.*?(?:^[ ]{0,3}(?P=fence)[ \t]*$|\Z))"
_CODE_SPAN = r"(?P<ticks>`+)(?:.|\n)+?(?<!`)(?P=ticks)(?!`)"
_CODE = re.compile(f"{_FENCE}|{_CODE_SPAN}")

_LABEL = r"(?:[^\[\]\\\n]|\\.|\[(?:[^\[\]\\\n]|\\.)*\])*"  # one level of nested brackets
_DEST = r"<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*"  # <...> or balanced parentheses
_TITLE = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\)"
_INLINE = re.compile(rf"(?P<bang>!?)\[(?P<label>{_LABEL})\]\(\s*(?P<dest>{_DEST})(?:\s+(?:{_TITLE}))?\s*\)")
_LEFTOVER = re.compile(r"(?<!\\)\](?=[(\[:])")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_CLICKABLE = re.compile(r"(?:https?://|mailto:)[^\s<>`]+", re.I)


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def shown_target(url: str) -> str:
    """The target as Markdown that displays it in full: an autolink (label = target) or code."""
    if _CLICKABLE.fullmatch(url):
        return f"<{url}>"
    longest = max((len(run) for run in re.findall(r"`+", url)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {url} {fence}" if url else "`(no target)`"


def _same_target(label: str, url: str) -> bool:
    def norm(value: str) -> str:
        value = value.strip().strip("<>").lower()
        return re.sub(r"^(?:https?://|mailto:)", "", value).rstrip("/")

    return bool(url) and norm(_unescape(label)) == norm(url)


def _rewrite(match: re.Match[str]) -> str:
    raw_label = match["label"].strip()
    label = _INLINE.sub(_rewrite, raw_label)  # e.g. an image inside a link's label
    url = _unescape(match["dest"].strip().removeprefix("<").removesuffix(">").strip())
    target = shown_target(url)
    if match["bang"]:
        return f"\\[image: {label}\\] {target}" if label else f"\\[image\\] {target}"
    if not label or _same_target(raw_label, url):
        return target
    return f"{label} ({target})"


def _safe_prose(text: str) -> str:
    return _LEFTOVER.sub(r"\\]", _INLINE.sub(_rewrite, text))


def safe_markdown(text: str) -> str:
    """``text`` with images turned into links showing their target and every link showing its target."""
    out: list[str] = []
    position = 0
    for code in _CODE.finditer(text):
        out.append(_safe_prose(text[position:code.start()]))
        out.append(code.group(0))
        position = code.end()
    out.append(_safe_prose(text[position:]))
    return "".join(out)


def host_of(url: str) -> str:
    """The host a link goes to, for showing next to a trusted title (e.g. the copilot's sources)."""
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url
