"""Split one section into the messages each channel can carry.

Telegram counts its 4096-character limit on the text *after* entity parsing,
in practice safest in UTF-16 code units (an emoji counts two), so chunks are
measured on their visible text, never on the HTML. Zalo takes 2000 characters
of plain text. Splits fall between paragraphs, then sentences, then words; a
word is cut only when it alone cannot fit. Formatting that crosses a split is
closed in one chunk and reopened in the next, so every chunk is valid HTML.

The last chunk keeps ``last_reserve`` units free: the product appends a footer
there later (a command hint, "✅ Đã xác nhận lúc …").
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

from bot.domain.document import PATH_SEPARATOR, BlockKind, parse_light
from bot.domain.render import Span, html_from_spans, parse_inline, to_plain
from bot.domain.texts import t

TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000

Style = tuple[bool, bool, bool]  # (bold, italic, strikethrough)
_PLAIN: Style = (False, False, False)
_STRIKE_OVERLAY = "\u0336"  # combining long stroke: how plain text (Zalo) shows struck-out words
_MIN_BODY_ROOM = 2  # one astral character in UTF-16


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def _utf16_weight(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _char_weight(char: str) -> int:
    return 1


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def telegram_visible_text(markup: str) -> str:
    """The text Telegram shows for an HTML-mode message: tags gone, entities decoded."""
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


# --------------------------------------------------------------------------
# Rendering the body once, as characters with styles
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RichText:
    """The rendered body: plain text plus the style of every character."""

    text: str
    styles: tuple[Style, ...]


def render_rich(body: str) -> RichText:
    """Render light Markdown the way every channel shows it: list items as ``- ``, blocks a blank line apart."""
    chars: list[str] = []
    styles: list[Style] = []

    def add(text: str, style: Style) -> None:
        chars.append(text)
        styles.extend([style] * len(text))

    for index, block in enumerate(parse_light(body)):
        if index:
            add("\n\n", _PLAIN)
        if block.kind is BlockKind.LIST_ITEM:
            add("- ", _PLAIN)
        for span in block.spans:
            add(span.text, span.style)
    return RichText("".join(chars), tuple(styles))


def plain_text(rich: RichText) -> str:
    """The rendered body for a plain-text channel: struck-out characters carry an overlay stroke."""
    if not any(style[2] for style in rich.styles):
        return rich.text
    return "".join(
        char + _STRIKE_OVERLAY if style[2] and not char.isspace() else char
        for char, style in zip(rich.text, rich.styles, strict=True)
    )


def _html(rich: RichText, start: int, end: int) -> str:
    """HTML for one slice; every tag opened here is closed here."""
    spans: list[Span] = []
    index = start
    while index < end:
        style = rich.styles[index]
        stop = index
        while stop < end and rich.styles[stop] == style:
            stop += 1
        spans.append(Span(rich.text[index:stop], *style))
        index = stop
    return html_from_spans(spans)


def _rich(spans: list[Span]) -> RichText:
    return RichText("".join(s.text for s in spans), tuple(style for s in spans for style in [(s.bold, s.italic, s.strike)] * len(s.text)))


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def telegram_chunks(
    path: str, heading: str, body: str, *, limit: int = TELEGRAM_LIMIT, last_reserve: int = 0
) -> list[str]:
    """HTML-mode messages for one section, each within ``limit`` UTF-16 units of visible text."""
    rich = render_rich(body)
    headers = _headers(path, heading, limit, _utf16_weight)
    path_html = f"<i>{_esc(headers.path_line)}</i>\n" if headers.path_line else ""
    first_html = f"{path_html}<b>{_esc(headers.heading)}</b>"
    ranges = split_ranges(
        rich.text,
        first_budget=limit - utf16_len(headers.first + "\n\n"),
        next_budget=limit - utf16_len(headers.continued + "\n\n"),
        last_reserve=last_reserve,
        weight=_utf16_weight,
    )
    chunks: list[str] = []
    for number, (start, end) in enumerate(ranges):
        header = first_html if number == 0 else f"<i>{_esc(headers.continued)}</i>"
        chunks.append(header + ("\n\n" + _html(rich, start, end) if end > start else ""))
    return chunks


def zalo_chunks(path: str, heading: str, body: str, *, limit: int = ZALO_LIMIT, last_reserve: int = 0) -> list[str]:
    """Plain-text messages for one section, each within ``limit`` characters."""
    text = plain_text(render_rich(body))
    headers = _headers(path, heading, limit, _char_weight)
    ranges = split_ranges(
        text,
        first_budget=limit - len(headers.first) - 2,
        next_budget=limit - len(headers.continued) - 2,
        last_reserve=last_reserve,
        weight=_char_weight,
    )
    return [
        (headers.first if number == 0 else headers.continued) + ("\n\n" + text[start:end] if end > start else "")
        for number, (start, end) in enumerate(ranges)
    ]


def telegram_messages(text: str, *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """A chat text in the light-markup dialect as HTML-mode messages, each within ``limit``
    UTF-16 units of visible text: a long comment quoted in an answer is split, never refused."""
    rich = _rich(parse_inline(text))
    ranges = split_ranges(rich.text, first_budget=limit, next_budget=limit, last_reserve=0, weight=_utf16_weight)
    return [_html(rich, start, end) for start, end in ranges]


def zalo_messages(text: str, *, limit: int = ZALO_LIMIT) -> list[str]:
    """The same chat text as plain-text messages of at most ``limit`` characters."""
    plain = to_plain(text)
    ranges = split_ranges(plain, first_budget=limit, next_budget=limit, last_reserve=0, weight=_char_weight)
    return [plain[start:end] for start, end in ranges]


@dataclass(frozen=True)
class _Headers:
    """Visible header texts: the first chunk's (path line, heading) and the continuation line."""

    path_line: str
    heading: str
    continued: str

    @property
    def first(self) -> str:
        return f"{self.path_line}\n{self.heading}" if self.path_line else self.heading


def _headers(path: str, heading: str, limit: int, weight: Callable[[str], int]) -> _Headers:
    """Build the headers; an absurdly long heading or path is shortened so the body keeps room."""
    path_line = _fit(path, limit // 4, weight) if path_adds_information(path, heading) else ""
    continued = f"{_fit(path, limit // 4, weight)} {t('doc.chunk.continued')}"
    return _Headers(path_line, _fit(heading, limit // 2, weight), continued)


def path_adds_information(path: str, heading: str) -> bool:
    """Show the path above the heading only when it says more than the heading's own number.

    ``I`` above ``I. Mục đích`` says nothing; ``II › 1`` above ``1. Nội dung`` does.
    """
    return bool(path) and (PATH_SEPARATOR.strip() in path or not heading.startswith(path))


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _fit(text: str, room: int, weight: Callable[[str], int]) -> str:
    if sum(weight(char) for char in text) <= room:
        return text
    kept: list[str] = []
    used = 1
    for char in text:
        if used + weight(char) > room:
            break
        kept.append(char)
        used += weight(char)
    return "".join(kept).rstrip() + "…"


# --------------------------------------------------------------------------
# Splitting
# --------------------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…;:])[\"”’»)\]]*(\s)|(\n)")
_WORD_BREAK = re.compile(r"\s")
_NUMBER_ONLY = re.compile(r"^\**(?:[\dIVX]+(?:\.\d+)*\.?|[a-zđ]\))\**$")  # "2." or "a)" ends no sentence


def split_ranges(
    text: str,
    *,
    first_budget: int,
    next_budget: int,
    last_reserve: int,
    weight: Callable[[str], int],
) -> list[tuple[int, int]]:
    """Cut ``text`` into ``[start, end)`` ranges that fit the budgets.

    The first range fits ``first_budget``, later ones ``next_budget``, and the last
    one also leaves ``last_reserve`` free. Whitespace at a cut is dropped.
    """
    if min(first_budget, next_budget) - last_reserve < _MIN_BODY_ROOM:
        raise ValueError("limit too small for the header and the reserved footer")
    cumulative = [0]
    for char in text:
        cumulative.append(cumulative[-1] + weight(char))
    content_end = len(text.rstrip())
    start = _skip_space(text, 0)
    if start >= content_end:
        return [(0, 0)]
    ranges: list[tuple[int, int]] = []
    budget = first_budget
    while True:
        rest = cumulative[content_end] - cumulative[start]
        if rest <= budget - last_reserve:
            ranges.append((start, content_end))
            return ranges
        reach = bisect.bisect_right(cumulative, cumulative[start] + budget) - 1
        reach = min(reach, content_end - 1)
        cut = _choose_cut(text, start, reach)
        ranges.append((start, len(text[:cut].rstrip())))
        start = _skip_space(text, cut)
        budget = next_budget


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _choose_cut(text: str, start: int, reach: int) -> int:
    """Where to cut ``text[start:]`` so the piece ends at or before ``reach``.

    Prefer the latest paragraph, sentence or word break in the second half of
    the window (fewer, fuller messages); then any break; a word is cut only when
    there is no break at all.
    """
    middle = start + (reach - start) // 2
    finders = (_paragraph_breaks, _sentence_breaks, _word_breaks)
    for lowest in (middle, start):
        for finder in finders:
            cut = _last_break(finder(text, start, reach), lowest)
            if cut is not None:
                return cut
    return _hard_cut(text, start, reach)


def _last_break(breaks: list[int], lowest: int) -> int | None:
    candidates = [cut for cut in breaks if cut > lowest]
    return candidates[-1] if candidates else None


def _paragraph_breaks(text: str, start: int, reach: int) -> list[int]:
    return [m.start() for m in _PARAGRAPH_BREAK.finditer(text, start, reach + 1) if m.start() <= reach]


def _sentence_breaks(text: str, start: int, reach: int) -> list[int]:
    breaks = []
    for match in _SENTENCE_BREAK.finditer(text, start, reach + 1):
        cut = match.start(match.lastindex or 0)
        last_word = text[max(start, cut - 16) : cut].split()[-1:]
        if not (last_word and _NUMBER_ONLY.match(last_word[0])):
            breaks.append(cut)
    return breaks


def _word_breaks(text: str, start: int, reach: int) -> list[int]:
    return [m.start() for m in _WORD_BREAK.finditer(text, start, reach + 1)]


def _hard_cut(text: str, start: int, reach: int) -> int:
    """Cut inside an over-long word, but not between a letter and its combining mark or inside an emoji sequence."""
    cut = max(reach, start + 1)
    while cut - 1 > start and _joined(text, cut):
        cut -= 1
    return cut


def _joined(text: str, cut: int) -> bool:
    if cut >= len(text):
        return False
    after, before = text[cut], text[cut - 1]
    return bool(unicodedata.combining(after)) or after in "\u200d\ufe0f" or before == "\u200d" or (
        "\U0001f3fb" <= after <= "\U0001f3ff"
    )
