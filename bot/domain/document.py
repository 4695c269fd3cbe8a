"""Parse a Vietnamese administrative or legal document into metadata and sections.

Agencies write these documents in Word and convert them in all sorts of ways, so
the structure cannot be read off the formatting alone: a converter may make
``2.2.`` a level-2 heading and ``2.4.`` a level-4 one, print a heading as a bold
line, or cut a sentence in two at a page break. The hierarchy therefore comes
from the *numbering kind* (Phần > Chương > Mục > Điều > I. > 1. > 1.1. > a)),
and the formatting only says whether a line is meant as a heading at all.

Every input path (Markdown, plain text, .docx) produces the same ``Block`` list;
``parse_blocks`` is the one place that understands the document.

Section bodies are kept in a small "light Markdown" that every channel can
render: blocks separated by a blank line, a block starting with ``- `` is a list
item, and inside a block the light-markup dialect of :mod:`bot.domain.render`
(``**bold**``, ``*italic*``, ``~~struck out~~``, a backslash before a punctuation mark); a single
``\\n`` inside a block is a hard line break.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from bot.domain.render import Span, light_from_spans, parse_inline
from bot.domain.text import fold, nfc
from bot.domain.texts import t

PATH_SEPARATOR = " › "

# --------------------------------------------------------------------------
# Block model: what every reader produces
# --------------------------------------------------------------------------


class BlockKind(enum.Enum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE_ROW = "table_row"  # a table row read as one paragraph: never a heading, never joined


@dataclass(frozen=True)
class Block:
    """One paragraph-like unit of the source: heading, paragraph or list item.

    ``level`` is the heading level as the source wrote it (Markdown ``#`` count,
    Word "Heading n"); it is only a fallback for unnumbered headings.
    """

    kind: BlockKind
    spans: tuple[Span, ...]
    level: int = 0
    # Footnotes referenced in this block, each already rendered as light Markdown ("[1] …").
    notes: tuple[str, ...] = ()

    @property
    def plain(self) -> str:
        return "".join(span.text for span in self.spans).strip()

    @property
    def all_bold(self) -> bool:
        inked = [span for span in self.spans if span.text.strip()]
        return bool(inked) and all(span.bold for span in inked)

    @property
    def any_bold(self) -> bool:
        return any(span.bold and span.text.strip() for span in self.spans)


def paragraph(text: str, *, bold: bool = False, italic: bool = False) -> Block:
    """Shorthand for a one-span paragraph (tests and simple readers)."""
    return Block(BlockKind.PARAGRAPH, (Span(text, bold, italic),))


# --------------------------------------------------------------------------
# Public result model
# --------------------------------------------------------------------------


class DocumentError(ValueError):
    """A document that cannot be used; ``str(error)`` is a Vietnamese message for the clerk."""


@dataclass(frozen=True)
class ParsedSection:
    ordinal: int
    path: str
    heading: str
    body: str

    @property
    def text(self) -> str:
        """The body as plain text, without formatting markers."""
        return light_to_plain(self.body)


@dataclass(frozen=True)
class OutlineEntry:
    """A heading that holds others (``Chương I``), with its title and the first section inside it."""

    path: str
    heading: str
    first: int

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "heading": self.heading, "first": self.first}


@dataclass(frozen=True)
class DecisionArticle:
    heading: str
    text: str


@dataclass(frozen=True)
class Decision:
    """The QUYẾT ĐỊNH that enacts the regulation, when both are in one file.

    Staff see it once as context; its articles are not sections to confirm.
    """

    title: str | None = None
    subtitle: str | None = None
    number: str | None = None
    issuer: str | None = None
    place: str | None = None
    issued_on: datetime.date | None = None
    signer: str | None = None
    signer_title: str | None = None
    recipients: list[str] = field(default_factory=list)
    articles: list[DecisionArticle] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "number": self.number,
            "issuer": self.issuer,
            "place": self.place,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "signer": self.signer,
            "signer_title": self.signer_title,
            "recipients": list(self.recipients),
            "articles": [{"heading": a.heading, "text": a.text} for a in self.articles],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Decision:
        issued = data.get("issued_on")
        return cls(
            title=data.get("title"),
            subtitle=data.get("subtitle"),
            number=data.get("number"),
            issuer=data.get("issuer"),
            place=data.get("place"),
            issued_on=datetime.date.fromisoformat(issued) if issued else None,
            signer=data.get("signer"),
            signer_title=data.get("signer_title"),
            recipients=list(data.get("recipients") or []),
            articles=[DecisionArticle(a["heading"], a["text"]) for a in data.get("articles") or []],
        )


@dataclass(frozen=True)
class ParseIssue:
    """Something the parser had to decide that the clerk should look at (not part of the content)."""

    code: str
    detail: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    title: str | None = None
    subtitle: str | None = None
    number: str | None = None
    issuer: str | None = None
    place: str | None = None
    issued_on: datetime.date | None = None
    signer: str | None = None
    signer_title: str | None = None
    recipients: list[str] = field(default_factory=list)
    closing: str | None = None
    sections: list[ParsedSection] = field(default_factory=list)
    # "Ban hành kèm theo Quyết định số …": the line that ties a regulation to its decision.
    adopted_by: str | None = None
    outline: list[OutlineEntry] = field(default_factory=list)
    decision: Decision | None = None
    issues: list[ParseIssue] = field(default_factory=list, compare=False)

    def content_hash(self) -> str:
        """SHA-256 of the normalised content, so a re-import of the same text is recognised."""
        payload = {
            "title": self.title,
            "subtitle": self.subtitle,
            "number": self.number,
            "issuer": self.issuer,
            "place": self.place,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "signer": self.signer,
            "signer_title": self.signer_title,
            "recipients": list(self.recipients),
            "closing": self.closing,
            "sections": [[s.ordinal, s.path, s.heading, s.body] for s in self.sections],
        }
        # Only present when there is something, so documents without them keep their earlier hash.
        if self.adopted_by:
            payload["adopted_by"] = self.adopted_by
        if self.outline:
            payload["outline"] = [entry.as_json() for entry in self.outline]
        if self.decision is not None:
            payload["decision"] = self.decision.as_json()
        canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------
# Light Markdown: render spans, read them back
# --------------------------------------------------------------------------

def render_light(spans: Iterable[Span]) -> str:
    """Render spans as light markup (the dialect of :mod:`bot.domain.render`)."""
    return light_from_spans(spans)


def render_block(block: Block) -> str:
    prefix = "- " if block.kind is BlockKind.LIST_ITEM else ""
    return prefix + render_light(block.spans)


def parse_light(body: str) -> list[Block]:
    """Read light Markdown back into paragraph and list-item blocks."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", body.strip()):
        if not chunk.strip():
            continue
        kind = BlockKind.PARAGRAPH
        if chunk.startswith("- "):
            kind, chunk = BlockKind.LIST_ITEM, chunk[2:]
        blocks.append(Block(kind, _light_spans(chunk)))
    return blocks


def _light_spans(text: str) -> tuple[Span, ...]:
    return tuple(parse_inline(text))


def light_to_plain(body: str) -> str:
    """Light Markdown as plain text: list items keep their ``- ``, markers go."""
    return "\n\n".join(
        ("- " if block.kind is BlockKind.LIST_ITEM else "") + "".join(s.text for s in block.spans)
        for block in parse_light(body)
    )


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).use(footnote_plugin)


def parse_markdown(text: str) -> ParsedDocument:
    """Parse Markdown as produced by Word converters (see the module docstring)."""
    return parse_blocks(markdown_blocks(text))


def parse_plain_text(text: str) -> ParsedDocument:
    """Parse a plain-text file: Word's "plain text" export writes one paragraph per line."""
    return parse_blocks(plain_text_blocks(text))


def parse_blocks(blocks: Sequence[Block]) -> ParsedDocument:
    """The common core: header, sections, trailer, from any reader's blocks.

    A file holding a decision followed by the regulation it enacts is read as
    the regulation, with the decision as its metadata.
    """
    cleaned = join_broken_paragraphs(split_glued_headings(normalise_blocks(blocks)))
    if not cleaned:
        raise DocumentError(t("doc.error.no_text"))
    split = find_enacted_text(cleaned)
    if split is None:
        return _parse_part(cleaned)
    decision_part = _parse_part(cleaned[:split], allow_empty=True)
    regulation = _parse_part(cleaned[split:])
    decision = Decision(
        title=decision_part.title,
        subtitle=decision_part.subtitle,
        number=decision_part.number,
        issuer=decision_part.issuer,
        place=decision_part.place,
        issued_on=decision_part.issued_on,
        signer=decision_part.signer,
        signer_title=decision_part.signer_title,
        recipients=list(decision_part.recipients),
        articles=[
            DecisionArticle(s.heading, s.text)
            for s in decision_part.sections
            if (numbering := parse_numbering(s.heading)) is not None and numbering.kind is NumberingKind.ARTICLE
        ],
    )
    return replace(
        regulation,
        number=regulation.number or decision.number,
        issuer=regulation.issuer or decision.issuer,
        place=regulation.place or decision.place,
        issued_on=regulation.issued_on or decision.issued_on,
        signer=regulation.signer or decision.signer,
        signer_title=regulation.signer_title or decision.signer_title,
        recipients=regulation.recipients or list(decision.recipients),
        decision=decision,
        issues=[*decision_part.issues, *regulation.issues],
    )


def _parse_part(cleaned: Sequence[Block], *, allow_empty: bool = False) -> ParsedDocument:
    header, start = _read_header(cleaned)
    body = join_continued_lines(cleaned[start:])
    headings = [_classify(block) for block in body]
    end, trailer = _read_trailer(body, headings)
    built = _build_sections(body[:end], headings[:end], header.title)
    if not built.sections and not allow_empty:
        raise DocumentError(t("doc.error.no_content"))
    return ParsedDocument(
        title=header.title,
        subtitle=header.subtitle,
        number=header.number,
        issuer=header.issuer,
        place=header.place,
        issued_on=header.issued_on,
        signer=trailer.signer,
        signer_title=trailer.signer_title,
        recipients=trailer.recipients,
        closing=trailer.closing,
        sections=built.sections,
        adopted_by=header.adopted_by,
        outline=built.outline,
        issues=built.issues,
    )


# --------------------------------------------------------------------------
# A decision and the regulation it enacts, in one file
# --------------------------------------------------------------------------

_ENACTED_KINDS = ("quy che", "quy dinh", "noi quy", "dieu le", "quy trinh", "huong dan", "ke hoach", "chuong trinh")


def is_adoption_line(block: Block) -> bool:
    """``(Ban hành kèm theo Quyết định số … ngày … của …)``."""
    text = fold(block.plain).lstrip("(* ")
    return block.kind is not BlockKind.LIST_ITEM and text.startswith("ban hanh kem theo") and len(text) < 400


def find_enacted_text(blocks: Sequence[Block]) -> int | None:
    """Where the enacted regulation starts, when the file opens with its decision.

    The decision is titled QUYẾT ĐỊNH and has articles; the regulation starts
    with its own title (QUY CHẾ, QUY ĐỊNH, …) right before a "Ban hành kèm
    theo" line, possibly after its own copy of the header (issuer, motto).
    """
    opening = next((i for i, b in enumerate(blocks[:12]) if _is_decision_title(b)), None)
    if opening is None:
        return None
    title_at = _enacted_title(blocks, opening)
    if title_at is None:
        return None
    if not any(_opens_article(block) for block in blocks[opening:title_at]):
        return None
    start = title_at
    meta = 0
    while start > 0 and _is_meta_only(blocks[start - 1]):
        start -= 1
        meta += 1
    while meta and start > 0 and _is_upper(blocks[start - 1].plain) and not _is_signature_note(blocks[start - 1]):
        if _looks_like_signer_title(blocks[start - 1]):
            break
        start -= 1
    return start


def _is_decision_title(block: Block) -> bool:
    line = _first_line(block)
    return _is_upper(line) and fold(line) == "quyet dinh"


def _opens_article(block: Block) -> bool:
    numbering = parse_numbering(block.plain)
    return numbering is not None and numbering.kind is NumberingKind.ARTICLE


def _first_line(block: Block) -> str:
    return block.plain.split("\n")[0].strip()


def _is_enacted_title(block: Block) -> bool:
    line = _first_line(block)
    return _is_upper(line) and fold(line).startswith(_ENACTED_KINDS) and len(line) < 200


def _enacted_title(blocks: Sequence[Block], opening: int) -> int | None:
    """The regulation's title: just before its "Ban hành kèm theo" line, or else the first
    title after the decision's recipients and signature."""
    adoption = next((i for i in range(opening, len(blocks)) if is_adoption_line(blocks[i])), None)
    if adoption is not None:
        for index in range(adoption - 1, max(adoption - 4, opening), -1):
            if _is_enacted_title(blocks[index]):
                return index
        return None
    recipients = next((i for i in range(opening, len(blocks)) if _is_recipients_marker(blocks[i])), None)
    if recipients is None:
        return None
    return next((i for i in range(recipients + 1, len(blocks)) if _is_enacted_title(blocks[i])), None)


def _is_meta_only(block: Block) -> bool:
    lines = [line.strip() for line in block.plain.split("\n") if line.strip()]
    return bool(lines) and all(_header_line_kind(line) in ("motto", "separator", "number", "date") for line in lines)


def _is_signature_note(block: Block) -> bool:
    return all(_signature_line_kind(line.strip()) == "note" for line in block.plain.split("\n") if line.strip())


_SIGNER_TITLES = ("giam doc", "chu tich", "pho", "truong", "chanh", "tm.", "kt.", "q.", "thu truong", "hieu truong")


def _looks_like_signer_title(block: Block) -> bool:
    return fold(block.plain).startswith(_SIGNER_TITLES) and len(block.plain) < 60


# --------------------------------------------------------------------------
# Headings glued to the previous sentence
# --------------------------------------------------------------------------

_GLUED_HEADING = re.compile(r"(?:(?<=[.;:!?…”)])|(?<=\n))[ \t]*(?=(?:Điều|ĐIỀU|Chương|CHƯƠNG)\s+\d)")


def split_glued_headings(blocks: Sequence[Block]) -> list[Block]:
    """``…lãng phí.Điều 44.13.TT.7.4. Nguyên tắc…``: text copied from the web or a PDF
    loses the paragraph break before a heading; put it back."""
    result: list[Block] = []
    for block in blocks:
        if block.kind not in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM):
            result.append(block)
            continue
        result.extend(_split_block(block))
    return result


def _split_block(block: Block) -> list[Block]:
    text = "".join(span.text for span in block.spans)
    cuts = []
    for match in _GLUED_HEADING.finditer(text):
        cut = match.end()
        if cut == 0 or not text[:match.start()].strip():
            continue
        numbering = parse_numbering(text[cut:].split("\n", 1)[0])
        if numbering is not None and numbering.kind in KEYWORD_KINDS and numbering.separated:
            cuts.append(cut)
    if not cuts:
        return [block]
    pieces: list[Block] = []
    previous = 0
    for cut in [*cuts, len(text)]:
        spans = clean_spans(_slice_spans(block.spans, previous, cut))
        if spans:
            kind = block.kind if not pieces else BlockKind.PARAGRAPH
            pieces.append(Block(kind, spans, block.level, block.notes if cut == len(text) else ()))
        previous = cut
    return pieces


def _slice_spans(spans: Sequence[Span], start: int, end: int) -> list[Span]:
    result: list[Span] = []
    offset = 0
    for span in spans:
        low, high = max(start, offset), min(end, offset + len(span.text))
        if low < high:
            result.append(replace(span, text=span.text[low - offset : high - offset]))
        offset += len(span.text)
    return result


# --------------------------------------------------------------------------
# Readers: Markdown and plain text to blocks
# --------------------------------------------------------------------------


def markdown_blocks(text: str) -> list[Block]:
    """Tokenise Markdown with markdown-it and keep only what a reader of the text sees."""
    reader = _MarkdownReader()
    for token in _MARKDOWN.parse(nfc(text)):
        reader.feed(token)
    return reader.finish()


class _MarkdownReader:
    """Turns the markdown-it token stream into blocks.

    An ordered-list item is given back its number as text (``1. …``): converters
    turn numbered headings and numbered paragraphs into lists, and the number is
    part of the document's structure, not a list.
    """

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._lists: list[str] = []
        self._item_prefix: str | None = None
        self._item_first = False
        self._pending: tuple[BlockKind, int] = (BlockKind.PARAGRAPH, 0)
        self._row: list[tuple[Span, ...]] | None = None
        self._rows: list[list[tuple[Span, ...]]] = []
        self._head_rows = 0
        self._in_head = False
        # Footnotes: which notes each block refers to, and the notes' text once read at the end.
        self._refs: dict[int, list[int]] = {}
        self._note: int | None = None
        self._notes: dict[int, list[str]] = {}

    def feed(self, token: Token) -> None:
        handler = getattr(self, "_on_" + token.type, None)
        if handler is not None:
            handler(token)

    def finish(self) -> list[Block]:
        """The blocks, each carrying the footnotes it refers to (numbered as the text shows them)."""
        for index, ids in self._refs.items():
            notes = tuple(
                f"[{note + 1}] " + " ".join(self._notes.get(note, [])) for note in dict.fromkeys(ids)
            )
            self.blocks[index] = replace(self.blocks[index], notes=notes)
        return self.blocks

    def _on_footnote_open(self, token: Token) -> None:
        self._note = int(token.meta["id"])

    def _on_footnote_close(self, token: Token) -> None:
        self._note = None

    def _on_heading_open(self, token: Token) -> None:
        self._pending = (BlockKind.HEADING, int(token.tag[1:]))

    def _on_paragraph_open(self, token: Token) -> None:
        kind = BlockKind.PARAGRAPH
        if self._item_first and self._lists and self._lists[-1] == "bullet":
            kind = BlockKind.LIST_ITEM
        self._pending = (kind, 0)

    def _on_bullet_list_open(self, token: Token) -> None:
        self._lists.append("bullet")

    def _on_ordered_list_open(self, token: Token) -> None:
        self._lists.append("ordered")

    def _on_bullet_list_close(self, token: Token) -> None:
        self._lists.pop()

    _on_ordered_list_close = _on_bullet_list_close

    def _on_list_item_open(self, token: Token) -> None:
        self._item_first = True
        ordered = self._lists and self._lists[-1] == "ordered"
        self._item_prefix = f"{token.info}{token.markup} " if ordered else None

    def _on_table_open(self, token: Token) -> None:
        self._rows, self._head_rows = [], 0

    def _on_thead_open(self, token: Token) -> None:
        self._in_head = True

    def _on_thead_close(self, token: Token) -> None:
        self._in_head = False

    def _on_tr_open(self, token: Token) -> None:
        self._row = []

    def _on_tr_close(self, token: Token) -> None:
        self._rows.append(self._row or [])
        self._head_rows += self._in_head
        self._row = None

    def _on_table_close(self, token: Token) -> None:
        self.blocks.extend(table_blocks(self._rows, header=self._head_rows > 0))
        self._rows = []

    def _on_inline(self, token: Token) -> None:
        refs: list[int] = []
        spans = inline_spans(token.children or [], refs)
        if self._note is not None:
            self._notes.setdefault(self._note, []).append(render_light(clean_spans(spans)))
            return
        if refs:
            self._refs.setdefault(len(self.blocks), []).extend(refs)
        if self._row is not None:
            self._row.append(spans)
            return
        kind, level = self._pending
        if self._item_first and self._item_prefix:
            spans = (Span(self._item_prefix), *spans)
        if kind is not BlockKind.HEADING:
            self._item_first = False
        self.blocks.append(Block(kind, spans, level))
        self._pending = (BlockKind.PARAGRAPH, 0)

    def _on_code_block(self, token: Token) -> None:
        self.blocks.extend(plain_text_blocks(token.content))

    _on_fence = _on_code_block


_BR_TAG = re.compile(r"<br\s*/?>", re.I)


def inline_spans(children: Sequence[Token], footnotes: list[int] | None = None) -> tuple[Span, ...]:
    """Inline tokens to spans.

    A link keeps its address after its text (a phone shows no hover); ``<br>``,
    which Markdown tables need for a line break inside a cell, is a line break;
    soft breaks become spaces.
    """
    spans: list[Span] = []
    bold = italic = strike = 0
    links: list[tuple[str, int]] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline", "image"):
            for index, piece in enumerate(_BR_TAG.split(child.content)):
                if index:
                    spans.append(Span("\n"))
                if piece:
                    spans.append(Span(piece, bold > 0, italic > 0, strike > 0))
        elif kind == "footnote_ref":
            number = int(child.meta["id"])
            spans.append(Span(f"[{number + 1}]"))
            if footnotes is not None:
                footnotes.append(number)
        elif kind == "link_open":
            links.append((str(child.attrs.get("href") or ""), len(spans)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            shown = "".join(span.text for span in spans[start:])
            if href and _link_target(href) not in _link_target(shown):
                spans.append(Span(f" ({href})"))
        elif kind == "s_open":
            strike += 1
        elif kind == "s_close":
            strike -= 1
        elif kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "softbreak":
            spans.append(Span(" "))
        elif kind == "hardbreak":
            spans.append(Span("\n"))
    return tuple(spans)


def _link_target(text: str) -> str:
    return re.sub(r"^(?:https?://|mailto:)|/$", "", text.strip().lower())


# --------------------------------------------------------------------------
# Tables: what a reader on a phone can follow
# --------------------------------------------------------------------------

TABLE_CELL_SEPARATOR = " | "


def table_blocks(rows: Sequence[Sequence[tuple[Span, ...]]], *, header: bool) -> list[Block]:
    """Read a data table as paragraphs, one per row.

    A row of two columns reads as one line (``Trưởng ban | Ông A``). A wider row
    does not fit a phone's width, so when the table has a header row each data
    row becomes a small block of ``Header: value`` lines; without a header the
    cells stay on one line.
    """
    cleaned = [[clean_spans(cell) for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(cell for cell in row)]
    if not cleaned:
        return []
    width = max(sum(1 for cell in row if cell) for row in cleaned)
    if width <= 2 or not header or len(cleaned) < 2:
        return [_row_as_line(row) for row in cleaned]
    names = [" ".join("".join(s.text for s in cell).split()).rstrip(":") for cell in cleaned[0]]
    blocks = []
    for row in cleaned[1:]:
        spans: list[Span] = []
        for index, cell in enumerate(row):
            if not cell:
                continue
            if spans:
                spans.append(Span("\n"))
            name = names[index] if index < len(names) else ""
            if name:
                spans.append(Span(f"{name}: "))
            spans.extend(cell)
        blocks.append(Block(BlockKind.TABLE_ROW, clean_spans(spans)))
    return blocks


def looks_like_layout(cell_texts: Iterable[str]) -> bool:
    """A table used to lay out the header (issuer | motto, number | date) or the
    trailer (recipients | signature) rather than to hold data."""
    for text in cell_texts:
        for line in text.split("\n"):
            line = " ".join(line.split())
            if not line:
                continue
            if _header_line_kind(line) in ("motto", "number", "date") or fold(line).startswith("noi nhan"):
                return True
            if _signature_line_kind(line) == "note" or fold(line).startswith(("tm.", "kt.", "tm ", "kt ")):
                return True
    return False


def looks_like_header_or_signature(line: str) -> bool:
    """A line of a document's header or signature block (motto, "Số: …", date line,
    "Nơi nhận:", "TM. …", "(Đã ký)"): out of place inside a section."""
    line = " ".join(line.split())
    if not line:
        return False
    if _header_line_kind(line) in ("motto", "number", "date") or fold(line).startswith("noi nhan"):
        return True
    return fold(line).strip(". ()") in _SIGNATURE_NOTES or fold(line).startswith(("tm. ", "kt. "))


def _row_as_line(row: Sequence[tuple[Span, ...]]) -> Block:
    spans: list[Span] = []
    for cell in (cell for cell in row if cell):
        if spans:
            spans.append(Span(TABLE_CELL_SEPARATOR))
        spans.extend(cell)
    return Block(BlockKind.TABLE_ROW, tuple(spans))


def plain_text_blocks(text: str) -> list[Block]:
    """One paragraph per non-empty line: how Word exports plain text."""
    return [paragraph(line) for line in nfc(text).splitlines() if line.strip()]


# --------------------------------------------------------------------------
# Normalisation and page-break joining
# --------------------------------------------------------------------------

_SPACE_LIKE = re.compile(r"[\t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile(r"[\u200b\ufeff\u00ad]")
_MULTISPACE = re.compile(r" {2,}")
_SPACE_AROUND_BREAK = re.compile(r" *\n *")
_BULLET = re.compile(r"^\s*(?:[-–•+]\s+|•)")
TERMINAL_PUNCTUATION = frozenset(".;:!?)”\"…")


def normalise_blocks(blocks: Iterable[Block]) -> list[Block]:
    """NFC, one space between words, no empty blocks; typed bullets become list items."""
    result: list[Block] = []
    for block in blocks:
        spans = clean_spans(block.spans)
        if not spans:
            continue
        kind = block.kind
        if kind is BlockKind.PARAGRAPH and _BULLET.match(spans[0].text):
            kind = BlockKind.LIST_ITEM
            spans = clean_spans((replace(spans[0], text=_BULLET.sub("", spans[0].text, count=1)), *spans[1:]))
            if not spans:
                continue
        result.append(Block(kind, spans, block.level, block.notes))
    return result


def clean_spans(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Normalise span text and merge neighbours that look the same."""
    merged: list[Span] = []
    for span in spans:
        text = _INVISIBLE.sub("", _SPACE_LIKE.sub(" ", nfc(span.text)))
        if not text:
            continue
        if not text.strip(" \n"):
            span = Span(text)
        if merged and merged[-1].style == span.style:
            merged[-1] = Span(merged[-1].text + text, *span.style)
        else:
            merged.append(Span(text, *span.style))
    text = "".join(span.text for span in merged)
    squeezed = _squeeze(text)
    if not squeezed:
        return ()
    return _restyle(merged, text, squeezed)


def _squeeze(text: str) -> str:
    text = _MULTISPACE.sub(" ", text)
    text = _SPACE_AROUND_BREAK.sub("\n", text)
    text = re.sub(r"\n{2,}", "\n", text)
    return text.strip(" \n")


def _restyle(spans: list[Span], original: str, squeezed: str) -> tuple[Span, ...]:
    """Map the squeezed text back onto the styles of the original characters."""
    if len(spans) == 1 and "\n" not in squeezed:
        return (Span(squeezed, *spans[0].style),)  # one style throughout: nothing to map
    styles: list[tuple[bool, bool, bool]] = []
    for span in spans:
        styles.extend([span.style] * len(span.text))
    result: list[Span] = []
    cursor = 0
    for char in squeezed:
        while original[cursor] != char:
            cursor += 1
        style = styles[cursor] if char not in " \n" else (False, False, False)
        cursor += 1
        if result and result[-1].style == style:
            result[-1] = Span(result[-1].text + char, *style)
        else:
            result.append(Span(char, *style))
    return _absorb_spaces(result)


def _absorb_spaces(spans: list[Span]) -> tuple[Span, ...]:
    """A lone space between two runs of the same style belongs to them."""
    result: list[Span] = []
    for span in spans:
        if len(result) >= 2 and result[-1].text == " " and result[-2].style == span.style:
            result.pop()
            result[-1] = Span(result[-1].text + " " + span.text, *span.style)
        elif result and result[-1].style == span.style:
            result[-1] = Span(result[-1].text + span.text, *span.style)
        else:
            result.append(span)
    return tuple(result)


def join_broken_paragraphs(blocks: Sequence[Block]) -> list[Block]:
    """Join a paragraph cut by a page break back together.

    A paragraph that does not end a sentence, followed by one that starts with a
    lowercase letter, is one paragraph that Word split across pages.
    """
    return _join(blocks, _continues)


def _join(blocks: Sequence[Block], continues: Callable[[Block, Block], bool]) -> list[Block]:
    """Blocks with each one that ``continues`` the one before joined onto it."""
    result: list[Block] = []
    for block in blocks:
        if result and continues(result[-1], block):
            previous = result[-1]
            result[-1] = Block(
                previous.kind,
                clean_spans((*previous.spans, Span(" "), *block.spans)),
                previous.level,
                previous.notes + block.notes,
            )
        else:
            result.append(block)
    return result


_CONNECTIVES = frozenset(
    "cua va theo tai ve cac nhung voi cho den tu la duoc so ngay thang nam trong hoac do bang tren duoi ma thi "
    "vao khi neu de co bi nhu gom sau truoc giua thuoc doi cung moi mot hai ba cac".split()
)
_FULL_LINE = 80


def join_continued_lines(blocks: Sequence[Block]) -> list[Block]:
    """Join a body paragraph cut by a page break before a capitalised word.

    ``…theo quy định của`` / ``Luật Thực hiện dân chủ…``: the first part does not
    end a sentence, so the second continues it whatever its case. A short line
    without a full stop may be a title or an item, so a capitalised continuation
    is joined only when the first part clearly stops mid-sentence: a comma, a
    word that cannot end a sentence, or a full line of text.
    """
    return _join(blocks, lambda previous, block: _continues(previous, block) or _continues_capitalised(previous, block))


def _continues_capitalised(previous: Block, block: Block) -> bool:
    if previous.kind not in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM) or block.kind is not BlockKind.PARAGRAPH:
        return False
    before, after = previous.plain, block.plain
    if not before or not after or before[-1] in TERMINAL_PUNCTUATION or after[0] in "(":
        return False
    if previous.all_bold != block.all_bold or _is_upper(before) or _is_upper(after):
        return False
    if parse_numbering(after) is not None or _classify(previous) is not None or _classify(block) is not None:
        return False
    if any(_header_line_kind(text) is not None for text in (before, after)) or _is_recipients_marker(block):
        return False
    if _is_signature_block(block) or fold(after).startswith(("can cu", "xet de nghi", "tren day la")):
        return False
    last_word = fold(before.split()[-1])
    return before[-1] == "," or last_word in _CONNECTIVES or len(before) >= _FULL_LINE


def _continues(previous: Block, block: Block) -> bool:
    if previous.kind in (BlockKind.HEADING, BlockKind.TABLE_ROW) or block.kind is not BlockKind.PARAGRAPH:
        return False
    before, after = previous.plain, block.plain
    if not before or not after or before[-1] in TERMINAL_PUNCTUATION:
        return False
    if not after[0].islower() or parse_numbering(after) is not None:
        return False
    return previous.all_bold == block.all_bold


# --------------------------------------------------------------------------
# Numbering: the labels that give a document its structure
# --------------------------------------------------------------------------


class NumberingKind(enum.Enum):
    PART = "part"
    CHAPTER = "chapter"
    SECTION = "section"
    ARTICLE = "article"
    ROMAN = "roman"
    NUMBER = "number"
    LETTER = "letter"


KEYWORD_KINDS = frozenset({NumberingKind.PART, NumberingKind.CHAPTER, NumberingKind.SECTION, NumberingKind.ARTICLE})

_KEYWORD_TAIL = r"(?=$|[\s.:–-])[ \t]*(?P<sep>[.:–-]?)\s*(?P<title>.*)$"
_KEYWORDS: tuple[tuple[NumberingKind, str, re.Pattern[str]], ...] = (
    (
        NumberingKind.PART,
        "Phần",
        re.compile(r"^phần\s+(?P<num>thứ\s+[^\s.:]+|[IVXLC]+|\d+)" + _KEYWORD_TAIL, re.I | re.S),
    ),
    (NumberingKind.CHAPTER, "Chương", re.compile(r"^chương\s+(?P<num>[IVXLC]+|\d+)" + _KEYWORD_TAIL, re.I | re.S)),
    (NumberingKind.SECTION, "Mục", re.compile(r"^mục\s+(?P<num>\d+|[IVX]+)" + _KEYWORD_TAIL, re.I | re.S)),
    (
        NumberingKind.ARTICLE,
        "Điều",
        # "Điều 44.13.LQ.1." is an article of a codified law (pháp điển): the whole label is its number.
        re.compile(r"^điều\s+(?P<num>\d+\.\d+\.(?-i:[A-ZĐ]{1,4})(?:\.\d+)+|\d+[a-z]?)" + _KEYWORD_TAIL, re.I | re.S),
    ),
)
_ROMAN_LABEL = re.compile(r"^(?P<num>[IVX]+)\s*(?P<sep>[.)])\s*(?P<title>.*)$", re.S)
_VALID_ROMAN = re.compile(r"^(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3})$")
_SUBNUMBER_LABEL = re.compile(r"^(?P<num>\d{1,3}(?:\.\d{1,2})+)(?P<sep>\.?)(?=\s|$)\s*(?P<title>.*)$", re.S)
_NUMBER_LABEL = re.compile(r"^(?P<num>\d{1,3})\s*(?P<sep>[.)])(?!\d)\s*(?P<title>.*)$", re.S)
_LETTER_LABEL = re.compile(r"^(?P<num>[a-zđ])(?P<sep>\)|\.(?=\s))\s*(?P<title>.*)$", re.S)


@dataclass(frozen=True)
class Numbering:
    """A heading's number as the document wrote it.

    ``label`` is what the path shows (``Chương II``, ``II``, ``2.1``, ``a)``);
    ``rank`` orders kinds from the outermost (0) inwards; ``title`` is the text
    after the number; ``separated`` says a ``.`` or ``:`` followed the number.
    """

    kind: NumberingKind
    label: str
    rank: float
    title: str
    separated: bool


def parse_numbering(text: str) -> Numbering | None:
    """Recognise the numbering at the start of ``text``, if any."""
    text = text.strip()
    for kind, word, pattern in _KEYWORDS:
        match = pattern.match(text)
        if match:
            number = " ".join(match["num"].split())
            number = number.upper() if _VALID_ROMAN.match(number.upper()) else number
            rank = {NumberingKind.PART: 0, NumberingKind.CHAPTER: 1, NumberingKind.SECTION: 2, NumberingKind.ARTICLE: 3}
            return Numbering(kind, f"{word} {number}", rank[kind], match["title"].strip(), bool(match["sep"]))
    match = _ROMAN_LABEL.match(text)
    if match and _VALID_ROMAN.match(match["num"]):
        return Numbering(NumberingKind.ROMAN, match["num"], 4, match["title"].strip(), True)
    match = _SUBNUMBER_LABEL.match(text)
    if match:
        depth = match["num"].count(".") + 1
        return Numbering(NumberingKind.NUMBER, match["num"], 4 + depth, match["title"].strip(), bool(match["sep"]))
    match = _NUMBER_LABEL.match(text)
    if match:
        return Numbering(NumberingKind.NUMBER, match["num"], 5, match["title"].strip(), True)
    match = _LETTER_LABEL.match(text)
    if match:
        return Numbering(NumberingKind.LETTER, match["num"] + match["sep"], 20, match["title"].strip(), True)
    return None


# --------------------------------------------------------------------------
# Header block: issuer, number, place and date, title, subtitle
# --------------------------------------------------------------------------

_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc", "doc lap tu do hanh phuc")
_NUMBER_LINE = re.compile(r"^số\s*[:.]?\s*(?P<value>.*)$", re.I)
_DATE_LINE = re.compile(
    r"^(?P<place>[^,\n]{2,80}),\s*ngày\s*(?P<d>[\d._…\s]*?)\s*tháng\s*(?P<m>[\d._…\s]*?)\s*năm\s*(?P<y>\d{4})\s*\.?$",
    re.I,
)
_SEPARATOR_LINE = re.compile(r"^[-_=*.·~—–\s]+$")
_HEADER_LOOKAHEAD = 6


@dataclass
class _Header:
    title: str | None = None
    subtitle: str | None = None
    number: str | None = None
    issuer: str | None = None
    place: str | None = None
    issued_on: datetime.date | None = None
    issuer_lines: list[str] = field(default_factory=list)
    adopted_by: str | None = None


def _read_header(blocks: Sequence[Block]) -> tuple[_Header, int]:
    """Consume the leading blocks that form the document's header; return where the text starts."""
    header = _Header()
    index = 0
    title_at: int | None = None
    while index < len(blocks):
        block = blocks[index]
        if _consume_meta_block(header, block, _anchor_ahead(blocks, index)):
            index += 1
            continue
        if header.title is None and _is_title(block):
            first, _, rest = block.plain.partition("\n")
            header.title = first.strip()
            header.subtitle = " ".join(rest.split()) or None
            title_at = index
            index += 1
            continue
        if title_at == index - 1 and header.subtitle is None and _is_subtitle(block) and not is_adoption_line(block):
            header.subtitle = " ".join(block.plain.split())
            index += 1
            continue
        if header.adopted_by is None and is_adoption_line(block):
            header.adopted_by = " ".join(block.plain.split()).strip("()* ")
            index += 1
            continue
        break
    header.issuer = _issuer_from_lines(header.issuer_lines)
    return header, index


def _consume_meta_block(header: _Header, block: Block, anchor_ahead: bool) -> bool:
    """Take a block made only of motto, number, date, issuer or separator lines."""
    if block.kind is BlockKind.LIST_ITEM:
        return False
    lines = [line.strip() for line in block.plain.split("\n") if line.strip()]
    seen_anchor = header.number is not None or header.place is not None
    kinds = [_header_line_kind(line) for line in lines]
    anchor_here = any(kind in ("number", "date") for kind in kinds)
    for kind in kinds:
        if kind is None or (kind == "upper" and (seen_anchor or not (anchor_ahead or anchor_here))):
            return False
        if kind in ("number", "date"):
            seen_anchor = True
    for line, kind in zip(lines, kinds, strict=True):
        if kind == "number":
            header.number = _clean_number(_NUMBER_LINE.match(line)["value"])  # type: ignore[index]
        elif kind == "date":
            header.place, header.issued_on = _read_date_line(line)
        elif kind == "upper":
            header.issuer_lines.append(line)
    return True


def _header_line_kind(line: str) -> str | None:
    folded = fold(line)
    if any(folded.startswith(motto) for motto in _MOTTO):
        return "motto"
    if _SEPARATOR_LINE.match(line):
        return "separator"
    if _NUMBER_LINE.match(line) and "/" in line and len(line) < 60:
        return "number"
    if _DATE_LINE.match(line):
        return "date"
    if _is_upper(line) and len(line) <= 120 and parse_numbering(line) is None:
        return "upper"
    return None


def _anchor_ahead(blocks: Sequence[Block], index: int) -> bool:
    for block in blocks[index + 1 : index + 1 + _HEADER_LOOKAHEAD]:
        for line in block.plain.split("\n"):
            if _header_line_kind(line.strip()) in ("number", "date", "motto"):
                return True
    return False


def _clean_number(value: str) -> str | None:
    compact = "".join(value.split()).lstrip("._…-")
    return compact or None


def _read_date_line(line: str) -> tuple[str, datetime.date | None]:
    match = _DATE_LINE.match(line)
    assert match is not None
    place = " ".join(match["place"].split())
    day, month, year = (match[name].strip() for name in ("d", "m", "y"))
    if not (day.isdigit() and month.isdigit()):
        return place, None
    try:
        return place, datetime.date(int(year), int(month), int(day))
    except ValueError:
        return place, None


def _is_title(block: Block) -> bool:
    first = block.plain.split("\n", 1)[0].strip()
    if not first or len(first) > 150 or parse_numbering(first) is not None:
        return False
    if fold(first).startswith("can cu") or first[-1] in ";,":
        return False
    return _is_upper(first) or block.kind is BlockKind.HEADING


def _is_subtitle(block: Block) -> bool:
    text = " ".join(block.plain.split())
    if block.kind is BlockKind.LIST_ITEM or not text or len(text) > 300:
        return False
    if parse_numbering(text) is not None or fold(text).startswith("can cu"):
        return False
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and letters[0].isupper() and text[-1] not in ".;:"


_LOCALITY_WORDS = ("xa ", "phuong ", "thi tran ", "huyen ", "quan ", "thi xa ", "thanh pho ", "tinh ")


def _issuer_from_lines(lines: list[str]) -> str | None:
    """The issuing body is the last line; a line naming only a locality continues the one above."""
    if not lines:
        return None
    if len(lines) >= 2 and fold(lines[-1]).startswith(_LOCALITY_WORDS):
        return f"{lines[-2]} {lines[-1]}"
    return lines[-1]


def _is_upper(text: str) -> bool:
    return any(char.isalpha() for char in text) and text == text.upper()


# --------------------------------------------------------------------------
# Headings: which blocks open a section
# --------------------------------------------------------------------------

_PLAIN_HEADING_MAX = 150


@dataclass(frozen=True)
class _Heading:
    text: str
    label: str
    rank: float | None
    level: int | None
    needs_title: bool = False
    body: tuple[Span, ...] = ()
    # Read off an unformatted line: inside an article such a "1." or "a)" is a khoản or điểm, not a heading.
    plain: bool = False


def _classify(block: Block) -> _Heading | None:
    """Decide whether a block is a heading, from its numbering and how it is marked."""
    if block.kind in (BlockKind.LIST_ITEM, BlockKind.TABLE_ROW):
        return None
    text = block.plain
    if block.kind is BlockKind.HEADING:
        numbering = _numbering_of(text)
        if numbering is not None:
            return _numbered(numbering, text, block.level)
        one_line = " ".join(text.split())
        return _Heading(one_line, one_line, None, block.level)
    if block.all_bold or _bold_after_label(block):
        numbering = _numbering_of(text)
        if numbering is not None and (numbering.title or numbering.kind in KEYWORD_KINDS):
            return _numbered(numbering, text, None)
        return None
    run_in = _run_in_heading(block)
    if run_in is not None:
        return run_in
    if not block.any_bold:
        return _plain_heading(block)
    return None


def _bold_after_label(block: Block) -> bool:
    """``Điều 1.`` drawn plain by Word's numbering, then a bold title: a bold heading all the same."""
    spans = [span for span in block.spans if span.text.strip()]
    if len(spans) < 2 or spans[0].bold or not all(span.bold for span in spans[1:]):
        return False
    numbering = parse_numbering(spans[0].text)
    return numbering is not None and numbering.kind in KEYWORD_KINDS and not numbering.title
def _numbering_of(text: str) -> Numbering | None:
    first, _, rest = text.partition("\n")
    numbering = parse_numbering(first)
    if numbering is not None and not numbering.title and rest.strip():
        numbering = replace(numbering, title=" ".join(rest.split()))
    return numbering


_SPACE_BEFORE_SEPARATOR = re.compile(r"^(\S+\s+\S+?)\s+([.:])(?=\s|$)")


def _numbered(numbering: Numbering, text: str, level: int | None, *, plain: bool = False) -> _Heading:
    first = text.partition("\n")[0]
    if parse_numbering(first) == numbering:
        display = " ".join(text.split())
        if numbering.kind in KEYWORD_KINDS and numbering.title and not numbering.separated:
            # "Chương I<tab>NHỮNG QUY ĐỊNH CHUNG" (Word numbering followed by a tab) reads "Chương I. …"
            display = compose_heading(display[: len(display) - len(numbering.title)], numbering.title)
    else:
        display = compose_heading(first, numbering.title)
    return _Heading(
        tidy_heading(display), numbering.label, numbering.rank, level, needs_title=not numbering.title, plain=plain
    )


def tidy_heading(text: str) -> str:
    """``Điều 3 . Nguyên tắc.`` as ``Điều 3. Nguyên tắc``: no space before the separator, no final full stop."""
    text = _SPACE_BEFORE_SEPARATOR.sub(r"\1\2", text.rstrip(" :"))
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text


def compose_heading(lead: str, title: str) -> str:
    """Join a label line (``Chương I``) and its title line (``QUY ĐỊNH CHUNG``) into one heading."""
    lead = " ".join(lead.split())
    separator = " " if lead.endswith((".", ":")) else ". "
    return f"{lead}{separator}{title}" if title else lead


def _run_in_heading(block: Block) -> _Heading | None:
    """``**2. Thời gian công khai:** 20 ngày…``: a bold numbered title, then body on the same line."""
    prefix: list[Span] = []
    spans = list(block.spans)
    while spans and (spans[0].bold or not spans[0].text.strip()) and "\n" not in spans[0].text:
        prefix.append(spans.pop(0))
    while prefix and not prefix[-1].text.strip():
        spans.insert(0, prefix.pop())
    lead = " ".join("".join(span.text for span in prefix).split())
    rest = "".join(span.text for span in spans).strip(" :\n")
    numbering = parse_numbering(lead) if lead else None
    if numbering is None or not rest:
        return None
    label_only = numbering.kind in KEYWORD_KINDS and numbering.separated and not numbering.title
    if not label_only and not numbering.title.rstrip(":").strip():
        return None
    body = list(spans)
    while body and not body[0].text.strip(" :\n"):
        body.pop(0)
    body[0] = replace(body[0], text=body[0].text.lstrip(" :\n"))
    return _Heading(tidy_heading(lead), numbering.label, numbering.rank, None, body=tuple(body))


_SENTENCE_INSIDE = re.compile(r"[.;!?]\s")


def _plain_heading(block: Block) -> _Heading | None:
    """An unformatted line is a heading only when it clearly reads as one."""
    text = block.plain
    numbering = parse_numbering(text)
    if numbering is None or numbering.kind is NumberingKind.LETTER:
        return None
    if "\n" in text:
        return _first_line_heading(block)
    if numbering.kind is NumberingKind.ARTICLE and numbering.separated and numbering.title:
        if len(text) > _PLAIN_HEADING_MAX or _SENTENCE_INSIDE.search(numbering.title) or _reads_as_sentence(text):
            return _run_in_article(block, numbering)
    if "\n" in text or len(text) > _PLAIN_HEADING_MAX or text[-1] == ",":
        return None
    if numbering.kind in KEYWORD_KINDS:
        title = numbering.title
        if title and not numbering.separated and not title[0].isupper():
            return None
        if title and text[-1] in TERMINAL_PUNCTUATION and (text[-1] != "." or not title[0].isupper()):
            return None
        return _numbered(numbering, text, None, plain=True)
    if not numbering.title or text[-1] in TERMINAL_PUNCTUATION:
        return None
    return _numbered(numbering, text, None, plain=True)


def _reads_as_sentence(text: str) -> bool:
    """``Điều 3. Chánh Văn phòng … thi hành Quyết định này./.``: a decision's article, not a title."""
    return text.endswith("./.") or (text[-1] in ".;" and re.search(r"\bnày\b", text) is not None)


def _first_line_heading(block: Block) -> _Heading | None:
    """A heading line followed, inside the same paragraph, by a line break and its text."""
    first, _, rest = block.plain.partition("\n")
    if not rest.strip():
        return None
    heading = _plain_heading(Block(BlockKind.PARAGRAPH, (Span(first.strip()),)))
    if heading is None or heading.body:
        return None
    title = Block(BlockKind.PARAGRAPH, (Span(rest.strip()),))
    if heading.needs_title and "\n" not in rest.strip() and _is_title_for(title, None):
        return replace(heading, text=compose_heading(heading.text, rest.strip()), needs_title=False)
    body = _drop_chars(block.spans, len(first) + 1)
    return replace(heading, needs_title=False, body=body) if body else None


def _run_in_article(block: Block, numbering: Numbering) -> _Heading | None:
    """``Điều 2. Quyết định này có hiệu lực kể từ ngày ký.``: an untitled article, its text on the same line.

    Decisions write their articles this way; the label opens the article and the
    sentence is its body.
    """
    text = block.plain
    start = len(text) - len(numbering.title)
    body = _drop_chars(block.spans, start)
    if not body:
        return None
    label = text[:start].strip()
    return _Heading(tidy_heading(label), numbering.label, numbering.rank, None, body=body)


def _drop_chars(spans: Sequence[Span], count: int) -> tuple[Span, ...]:
    """The spans after the first ``count`` characters of their stripped text."""
    joined = "".join(span.text for span in spans)
    skip = count + len(joined) - len(joined.lstrip())
    result: list[Span] = []
    for span in spans:
        if skip >= len(span.text):
            skip -= len(span.text)
            continue
        result.append(replace(span, text=span.text[skip:]))
        skip = 0
    return clean_spans(result)


def _is_title_for(block: Block, heading: _Heading | None) -> bool:
    """A line that can finish a label-only heading such as ``Chương I``.

    Converters often mark the title line as a heading of its own; an unnumbered
    one still only completes the label above it.
    """
    if heading is not None and (heading.rank is not None or heading.body):
        return False
    text = block.plain
    if block.kind in (BlockKind.LIST_ITEM, BlockKind.TABLE_ROW) or "\n" in text or len(text) > 200:
        return False
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and letters[0].isupper() and text[-1] not in TERMINAL_PUNCTUATION


# --------------------------------------------------------------------------
# Trailer: closing sentence, recipients, signature
# --------------------------------------------------------------------------


@dataclass
class _Trailer:
    closing: str | None = None
    recipients: list[str] = field(default_factory=list)
    signer: str | None = None
    signer_title: str | None = None


def _read_trailer(blocks: Sequence[Block], headings: Sequence[_Heading | None]) -> tuple[int, _Trailer]:
    """Find where the body ends and read what follows it into metadata."""
    last_heading = max((i for i, h in enumerate(headings) if h is not None), default=-1)
    candidates = [
        _first_index(blocks, last_heading + 1, _is_closing),
        _first_index(blocks, last_heading + 1, _is_recipients_marker),
        _signature_start(blocks, last_heading + 1),
    ]
    found = [index for index in candidates if index is not None]
    end = min(found) if found else len(blocks)
    return end, _parse_trailer(blocks[end:])


def _first_index(blocks: Sequence[Block], start: int, predicate: Callable[[Block], bool]) -> int | None:
    for index in range(max(start, 0), len(blocks)):
        if predicate(blocks[index]):
            return index
    return None


def _is_closing(block: Block) -> bool:
    return block.kind is BlockKind.PARAGRAPH and fold(block.plain).startswith("tren day la")


def _is_recipients_marker(block: Block) -> bool:
    return fold(block.plain).startswith("noi nhan")


def _signature_start(blocks: Sequence[Block], start: int) -> int | None:
    index = len(blocks)
    while index > max(start, 0) and _is_signature_block(blocks[index - 1]):
        index -= 1
    tail = blocks[index:]
    has_title = any(_is_upper(line) for block in tail for line in block.plain.split("\n"))
    return index if tail and has_title else None


def _parse_trailer(blocks: Sequence[Block]) -> _Trailer:
    trailer = _Trailer()
    closing: list[str] = []
    titles: list[str] = []
    state = "closing"
    for block in blocks:
        if _is_recipients_marker(block):
            state = "recipients"
            _recipients_in_marker(block, trailer.recipients)
            continue
        if state == "recipients":
            if block.kind is BlockKind.LIST_ITEM:
                trailer.recipients.append(_recipient(block.plain))
                continue
            if trailer.recipients and _continues_recipient(block):
                trailer.recipients[-1] = _recipient(f"{trailer.recipients[-1]} {block.plain}")
                continue
        if _is_signature_block(block):
            state = "signature"
            trailer.signer = _absorb_signature(block, titles) or trailer.signer
        elif state == "closing":
            closing.append(" ".join(block.plain.split()))
    trailer.closing = "\n\n".join(closing) or None
    trailer.signer_title = "\n".join(titles) or None
    return trailer


def _recipients_in_marker(block: Block, recipients: list[str]) -> None:
    """Recipients written as lines inside the ``Nơi nhận:`` paragraph itself."""
    for line in block.plain.split("\n")[1:]:
        line = line.strip()
        if _BULLET.match(line):
            recipients.append(_recipient(_BULLET.sub("", line, count=1)))
        elif recipients and line:
            recipients[-1] = _recipient(f"{recipients[-1]} {line}")


def _recipient(text: str) -> str:
    return " ".join(text.split()).rstrip(" ;,.")


def _continues_recipient(block: Block) -> bool:
    text = block.plain
    return block.kind is BlockKind.PARAGRAPH and bool(text) and (text[0] == "(" or text[0].islower())


def _is_signature_block(block: Block) -> bool:
    if block.kind is BlockKind.LIST_ITEM:
        return False
    lines = [line.strip() for line in block.plain.split("\n") if line.strip()]
    if not lines or any(len(line) > 80 for line in lines):
        return False
    return all(_signature_line_kind(line) is not None for line in lines)


_SIGNATURE_NOTES = ("da ky", "ky ten", "da ky va dong dau")


def _signature_line_kind(line: str) -> str | None:
    if (line.startswith("(") and line.endswith(")")) or fold(line).strip(". ") in _SIGNATURE_NOTES:
        return "note"
    if _is_upper(line) and line[-1] not in ";,:" and sum(char.isalpha() for char in line) >= 2:
        return "title"
    if _is_person_name(line):
        return "name"
    return None


def _absorb_signature(block: Block, titles: list[str]) -> str | None:
    signer = None
    for line in block.plain.split("\n"):
        line = " ".join(line.split())
        kind = _signature_line_kind(line) if line else None
        if kind == "title":
            titles.append(line)
        elif kind == "name":
            signer = line
    return signer


def _is_person_name(line: str) -> bool:
    words = line.split()
    if not 2 <= len(words) <= 6:
        return False
    return all(word[0].isupper() and (word[1:] == "" or (word[1:].isalpha() and word[1:].islower())) for word in words)


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    label: str
    rank: float
    level: int | None
    heading: str = ""


@dataclass
class _Pending:
    node: _Node | None
    path: str
    heading: str
    parts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Built:
    sections: list[ParsedSection]
    outline: list[OutlineEntry]
    issues: list[ParseIssue]


def _build_sections(blocks: Sequence[Block], headings: Sequence[_Heading | None], title: str | None) -> _Built:
    """Walk the body, keeping the open headings on a stack ranked by numbering kind."""
    built = _Built([], [], [])
    opening = t("doc.section.opening")
    if not any(headings):
        opening = title or t("doc.section.whole")
    stack: list[_Node] = []
    nodes: list[tuple[str, _Node]] = []
    pending = _Pending(None, opening, opening)
    index = 0
    while index < len(blocks):
        heading = headings[index]
        if heading is not None and heading.plain and (heading.rank or 0) > _ARTICLE_RANK:
            if any(node.rank == _ARTICLE_RANK for node in stack):
                heading = None  # a khoản or điểm of the open article
        if heading is None:
            pending.parts.append(render_block(blocks[index]))
            pending.notes.extend(blocks[index].notes)
            index += 1
            continue
        if heading.needs_title and index + 1 < len(blocks) and _is_title_for(blocks[index + 1], headings[index + 1]):
            index += 1
            heading = replace(heading, text=compose_heading(heading.text, blocks[index].plain))
        node = _push(stack, heading)
        has_child = pending.node is not None and any(open_node is pending.node for open_node in stack[:-1])
        _flush(pending, has_child, built)
        path = PATH_SEPARATOR.join(n.label for n in stack)
        nodes.append((path, node))
        pending = _Pending(node, path, heading.text)
        if heading.body:
            pending.parts.append(render_light(heading.body))
        pending.notes.extend(blocks[index].notes)
        index += 1
    _flush(pending, False, built)
    built.outline = _outline(nodes, built.sections)
    return built


_ARTICLE_RANK = 3


def _push(stack: list[_Node], heading: _Heading) -> _Node:
    """Close the headings the new one ends and open it.

    A numbered heading closes every open heading of the same or a deeper kind.
    An unnumbered one falls back on its source level: it nests under a heading
    the source marked at a shallower level, and closes everything else.
    """
    if heading.rank is not None:
        while stack and stack[-1].rank >= heading.rank:
            stack.pop()
        rank = heading.rank
    else:
        level = heading.level or 1
        while stack and not (stack[-1].level is not None and stack[-1].level < level):
            stack.pop()
        rank = stack[-1].rank + 0.5 if stack else -1.0
    node = _Node(heading.label, rank, heading.level, heading.text)
    stack.append(node)
    return node


def _flush(pending: _Pending, has_child: bool, built: _Built) -> None:
    """A heading with text becomes a section; one whose only content is its children does not.

    A heading with neither text nor children would reach staff as an empty
    message: its line is kept at the end of the section before it instead, and
    the clerk is told.
    """
    sections = built.sections
    if not pending.parts:
        if pending.node is None or has_child:
            return
        built.issues.append(ParseIssue("empty_heading", pending.heading))
        if sections:
            last = sections[-1]
            line = render_light((Span(pending.heading, bold=True),))
            sections[-1] = replace(last, body=f"{last.body}\n\n{line}" if last.body else line)
            return
        pending.parts.append(render_light((Span(pending.heading),)))
    parts = list(pending.parts)
    parts.extend(dict.fromkeys(pending.notes))  # a note referred to twice in a section is printed once
    sections.append(ParsedSection(len(sections) + 1, pending.path, pending.heading, "\n\n".join(parts)))


def _outline(nodes: Sequence[tuple[str, _Node]], sections: Sequence[ParsedSection]) -> list[OutlineEntry]:
    """The headings that hold other headings (Phần, Chương, Mục, I.), with their titles.

    Their titles are not in any section's path (a path stays short enough for
    every message), so they are kept here for the table of contents.
    """
    outline: list[OutlineEntry] = []
    seen: set[str] = set()
    for path, node in nodes:
        prefix = path + PATH_SEPARATOR
        inside = [s.ordinal for s in sections if s.path.startswith(prefix)]
        if not inside or path in seen:
            continue
        seen.add(path)
        own = [s.ordinal for s in sections if s.path == path]
        outline.append(OutlineEntry(path, node.heading, min(own + inside)))
    return outline
