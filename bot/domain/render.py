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
