"""The one light-markup dialect of the project, and its renderers.

Every text a person reads in a chat (catalogue texts, announcements, section bodies)
is written in this dialect:

- ``**bold**``, ``*italic*``, and ``***both***``; they nest (``**a *b* c**``);
  ``~~struck out~~`` (a document's strikethrough) pairs the same way; a lone ``~`` is a tilde;
- a marker opens only before a non-space character and closes only after one;
- markers pair like brackets: a closing marker takes the nearest open marker of its
  kind, and a marker opened inside that pair and not yet closed turns back into the
  characters it was (``*a **b* c**`` is an italic "a **b" followed by " c**");
  a marker never closed is a literal character too, and so is an empty pair;
- a backslash before an ASCII punctuation character makes that character literal
  (``\\*``, ``\\\\``); anywhere else a backslash is itself;
- everything else, ``_``, backticks, ``<``, ``>``, ``&`` included, is shown as typed.

Whatever the input, the result is a list of styled runs, so the Telegram HTML made
from it is always balanced and uses only ``<b>`` and ``<i>``, and the plain text for
Zalo has no markers left that were meant as formatting.

A person's own words are put into a catalogue text escaped (:func:`escape`), so their
``*`` shows as a star; text already in the dialect and meant as written (a catalogue
text, the bold of an announcement) is marked as :class:`Markup` and goes in as is.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

_PUNCTUATION = frozenset(string.punctuation)
_NEEDS_ESCAPE = re.compile(r"([\\*~])")
_PLAIN_RUN = re.compile(r"[^\\*~]+")  # characters that are neither a marker nor an escape
_MARKER_TEXT = {"b": "**", "i": "*", "s": "~~"}


class Markup(str):
    """Text in the light-markup dialect, meant as written: its markers format."""

    __slots__ = ()


def escape(value: str) -> Markup:
    """A person's text as light markup that shows exactly that text, stars and backslashes included."""
    if isinstance(value, Markup):
        return value
    return Markup(_NEEDS_ESCAPE.sub(r"\\\1", value))


@dataclass(frozen=True)
class Span:
    """A run of text with one formatting; ``\\n`` inside means a hard line break."""

    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False  # struck out in a document (Word's strikethrough, ``~~…~~``)

    @property
    def style(self) -> tuple[bool, bool, bool]:
        return (self.bold, self.italic, self.strike)


# --------------------------------------------------------------------------
# Reading the dialect
# --------------------------------------------------------------------------


@dataclass
class _Marker:
    kind: str  # "b", "i" or "s"
    text: str  # the characters it stands for when it turns out to be literal
    position: int  # index of its run of stars in the source: a "***" opens both kinds at one position
    texts_before: int  # how many text pieces preceded it: an empty pair is no pair
    opens: bool = True
    paired: bool = False


_UNIT_KINDS = {1: ("i",), 2: ("b",), 3: ("b", "i")}


def parse_inline(source: str) -> list[Span]:
    """The styled runs of one text in the dialect (see the module docstring)."""
    pieces: list[str | _Marker] = []
    stack: list[_Marker] = []
    buffer: list[str] = []
    texts = 0

    def flush() -> None:
        nonlocal texts
        if buffer:
            pieces.append("".join(buffer))
            buffer.clear()
            texts += 1

    index, length = 0, len(source)
    while index < length:
        char = source[index]
        if char == "\\" and index + 1 < length and source[index + 1] in _PUNCTUATION:
            buffer.append(source[index + 1])
            index += 2
            continue
        if char == "~":
            if not source.startswith("~~", index):
                buffer.append(char)  # a lone tilde is a tilde
                index += 1
                continue
            flush()
            before = source[index - 1] if index else ""
            after = source[index + 2] if index + 2 < length else ""
            can_open = bool(after) and not after.isspace()
            can_close = bool(before) and not before.isspace()
            _place(("s",), index, texts, can_open, can_close, stack, pieces)
            index += 2
            continue
        if char != "*":
            plain = _PLAIN_RUN.match(source, index + 1)
            stop = plain.end() if plain else index + 1
            buffer.append(source[index:stop])
            index = stop
            continue
        end = index
        while end < length and source[end] == "*":
            end += 1
        flush()
        before = source[index - 1] if index else ""
        after = source[end] if end < length else ""
        can_open = bool(after) and not after.isspace()
        can_close = bool(before) and not before.isspace()
        run = end - index
        while run:
            size = min(run, 3)
            run -= size
            _place(_UNIT_KINDS[size], index, texts, can_open, can_close, stack, pieces)
        index = end
    flush()
    return _spans(pieces)


def _place(
    kinds: tuple[str, ...], position: int, texts: int, can_open: bool, can_close: bool,
    stack: list[_Marker], pieces: list[str | _Marker],
) -> None:
    """One unit of a run of stars: close what it can, open the rest, or stay literal."""
    closing = [kind for kind in kinds if can_close and _open_index(stack, kind, texts) is not None]
    # Close the innermost first: "***" after "**x *y" closes the italic, then the bold.
    closing.sort(key=lambda kind: -(_open_index(stack, kind, texts) or 0))
    for kind in closing:
        found = _open_index(stack, kind, texts)
        assert found is not None
        opener = stack[found]
        # Markers opened inside this pair and still open overlap it: they become literal.
        inside = [m for m in stack[found + 1 :] if m.position != opener.position]
        for marker in inside:
            stack.remove(marker)
        stack.remove(opener)
        opener.paired = True
        pieces.append(_Marker(kind, _MARKER_TEXT[kind], position, texts, opens=False, paired=True))
    for kind in kinds:
        if kind in closing:
            continue
        marker = _Marker(kind, _MARKER_TEXT[kind], position, texts)
        pieces.append(marker)
        if can_open:
            stack.append(marker)


def _open_index(stack: list[_Marker], kind: str, texts: int) -> int | None:
    """The nearest open marker of ``kind`` with some text after it."""
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].kind == kind:
            return index if stack[index].texts_before < texts else None
    return None


def _spans(pieces: list[str | _Marker]) -> list[Span]:
    spans: list[Span] = []
    depth = {"b": 0, "i": 0, "s": 0}
    for piece in pieces:
        if isinstance(piece, _Marker) and piece.paired:
            depth[piece.kind] += 1 if piece.opens else -1
            continue
        text = piece.text if isinstance(piece, _Marker) else piece
        style = (depth["b"] > 0, depth["i"] > 0, depth["s"] > 0)
        if spans and spans[-1].style == style:
            spans[-1] = Span(spans[-1].text + text, *style)
        else:
            spans.append(Span(text, *style))
    return spans


# --------------------------------------------------------------------------
# Writing the dialect
# --------------------------------------------------------------------------

_ESCAPED = re.compile(r"([\\*_~])")


def light_from_spans(spans: Iterable[Span]) -> Markup:
    """Styled runs as light markup that reads back to the same runs.

    Markers never enclose spaces or line breaks: each line of a run is wrapped on its own.
    """
    out: list[str] = []
    for span in _merge(spans):
        for index, line in enumerate(span.text.split("\n")):
            if index:
                out.append("\n")
            out.append(_wrap(line, span.bold, span.italic, span.strike))
    return Markup("".join(out))


def _wrap(text: str, bold: bool, italic: bool, strike: bool = False) -> str:
    core = text.strip()
    if not core or not (bold or italic or strike):
        return _ESCAPED.sub(r"\\\1", text)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    marker = ("~~" if strike else "") + ("**" if bold else "") + ("*" if italic else "")
    escaped = _ESCAPED.sub(r"\\\1", core)
    return f"{lead}{marker}{escaped}{marker[::-1]}{trail}"


class _TelegramFormatting(HTMLParser):
    """Telegram's ``text_html`` of a message: bold and italic, the text of everything else."""

    _STYLE = {"b": "b", "strong": "b", "i": "i", "em": "i"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = {"b": 0, "i": 0}
        self.spans: list[Span] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._STYLE:
            self.depth[self._STYLE[tag]] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._STYLE and self.depth[self._STYLE[tag]]:
            self.depth[self._STYLE[tag]] -= 1

    def handle_data(self, data: str) -> None:
        self.spans.append(Span(data, self.depth["b"] > 0, self.depth["i"] > 0))


def light_from_telegram_html(source: str) -> Markup:
    """A message as Telegram formatted it (its ``text_html``) in the dialect: bold and
    italic survive, other formatting keeps only its text, and the person's own stars
    stay stars."""
    parser = _TelegramFormatting()
    parser.feed(source)
    parser.close()
    return light_from_spans(_merge(parser.spans))


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in spans:
        if merged and merged[-1].style == span.style:
            merged[-1] = Span(merged[-1].text + span.text, *span.style)
        elif span.text:
            merged.append(span)
    return merged


# --------------------------------------------------------------------------
# Rendering for the messengers
# --------------------------------------------------------------------------


def html_from_spans(spans: Iterable[Span]) -> str:
    """Telegram HTML for styled runs: only ``<b>``, ``<i>`` and ``<s>``, always properly nested."""
    out: list[str] = []
    opened: list[str] = []
    for span in spans:
        if not span.text:
            continue
        wanted = [tag for tag, on in (("b", span.bold), ("i", span.italic), ("s", span.strike)) if on]
        while opened and not set(opened) <= set(wanted):
            out.append(f"</{opened.pop()}>")
        for tag in wanted:
            if tag not in opened:
                out.append(f"<{tag}>")
                opened.append(tag)
        out.append(html.escape(span.text, quote=False))
    out.extend(f"</{tag}>" for tag in reversed(opened))
    return "".join(out)


def to_html(text: str) -> str:
    """A chat text in the dialect as Telegram HTML (``parse_mode=HTML``)."""
    return html_from_spans(parse_inline(text))


def to_plain(text: str) -> str:
    """The same text as Zalo shows it: no markers, no escapes, no HTML."""
    return "".join(span.text for span in parse_inline(text))


def markdown_from_html(source: str) -> str:
    """A message as the messenger formatted it (Telegram's ``text_html``) → light markup:
    bold and italic survive, other markup keeps only its text, typed stars stay stars."""
    return light_from_telegram_html(source)
