"""Rendering the light Markdown of chat messages (catalogue texts, announcements)
for each channel: Telegram HTML, or plain text. Line breaks are kept as written;
sections of documents go through ``chunking`` instead."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])", re.DOTALL)


def to_html(text: str) -> str:
    """``**bold**`` and ``*italic*`` to Telegram HTML, everything else escaped."""
    escaped = html.escape(text, quote=False)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _ITALIC.sub(r"<i>\1</i>", escaped)


def to_plain(text: str) -> str:
    """The same text without the markers (Zalo shows no formatting)."""
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))


# --- formatting kept from the messenger -----------------------------------------------

_TAG = re.compile(r"<(/?)([a-zA-Z0-9-]+)[^>]*>")
_MARKERS = {"b": "**", "strong": "**", "i": "*", "em": "*"}


def markdown_from_html(source: str) -> str:
    """A message as the messenger formatted it (Telegram's ``text_html``) → light Markdown:
    bold and italic survive, other markup keeps only its text. Spaces at the edges of a
    run move outside its markers, where the renderer expects them."""
    out: list[str] = []
    opened = False  # the last thing written is an opening marker
    position = 0

    def add(text: str) -> None:
        nonlocal opened
        if opened:
            body = text.lstrip()
            out.insert(len(out) - 1, text[: len(text) - len(body)])
            text = body
        if text:
            out.append(text)
            opened = False

    for match in _TAG.finditer(source):
        add(html.unescape(source[position:match.start()]))
        position = match.end()
        marker = _MARKERS.get(match.group(2).lower())
        if marker is None:
            continue
        if match.group(1):  # closing: trailing spaces go after the marker
            if opened:  # an empty run: drop its opening marker
                out.pop()
                opened = False
                continue
            text = "".join(out)
            stripped = text.rstrip()
            out = [stripped, marker, text[len(stripped):]]
        else:
            out.append(marker)
            opened = True
    add(html.unescape(source[position:]))
    return "".join(out)
