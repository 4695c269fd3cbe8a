"""Read a document file from disk into a ``ParsedDocument``.

The clerk hands the bot whatever the office has: a Word file, a Markdown
conversion, a plain-text export, and sometimes a scan, a PDF, or a file still
typed in a pre-Unicode Vietnamese encoding. Anything unusable is refused with a
message that names the file and says what to do, before the parser sees it;
legacy encodings are never guessed at, because a wrong guess silently corrupts
every diacritic of a legal text.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from bot.domain.document import (
    Block,
    BlockKind,
    DocumentError,
    ParsedDocument,
    Span,
    looks_like_layout,
    parse_blocks,
    parse_markdown,
    parse_plain_text,
    plain_text_blocks,
    render_light,
    table_blocks,
)
from bot.domain.texts import t
from bot.services.docx_numbering import WordNumbering

MAX_BYTES = 10 * 1024 * 1024
MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown"})
TEXT_EXTENSIONS = frozenset({".txt"})
DOCX_EXTENSIONS = frozenset({".docx"})
PDF_EXTENSIONS = frozenset({".pdf"})
SUPPORTED_EXTENSIONS = MARKDOWN_EXTENSIONS | TEXT_EXTENSIONS | DOCX_EXTENSIONS | PDF_EXTENSIONS
# Office formats Word or LibreOffice can open and save as .docx.
CONVERTIBLE_EXTENSIONS = frozenset({".odt", ".rtf", ".wpd", ".pages", ".docm", ".dotx", ".dot", ".htm", ".html"})

# Leading bytes of formats that are sometimes renamed to .md/.txt by mistake.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "doc.error.binary.image"),
    (b"\xff\xd8\xff", "doc.error.binary.image"),
    (b"GIF8", "doc.error.binary.image"),
    (b"%PDF", "doc.error.binary.pdf"),
    (b"PK\x03\x04", "doc.error.binary.zip"),
    (b"\xd0\xcf\x11\xe0", "doc.error.binary.word"),
    (b"\x1f\x8b", "doc.error.binary.unknown"),
    (b"Rar!", "doc.error.binary.unknown"),
    (b"7z\xbc\xaf", "doc.error.binary.unknown"),
)
_CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BINARY_RATIO = 0.01


class DocumentFileError(DocumentError):
    """A file that cannot be imported; the message names the file and the reason."""

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message)
        self.filename = filename


def read_document(path: Path) -> ParsedDocument:
    """Read and parse ``path``; refuse bad input with a ``DocumentFileError``."""
    name = path.name
    _check_extension(name)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _too_large(name, size)
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise DocumentFileError(t("doc.error.not_found", name=name), filename=name) from None
    except OSError:
        raise DocumentFileError(t("doc.error.unreadable", name=name), filename=name) from None
    return parse_document_bytes(data, name)


def parse_document_bytes(data: bytes, filename: str) -> ParsedDocument:
    """Parse the bytes of a file called ``filename`` (the extension decides the reader)."""
    extension = _check_extension(filename)
    if len(data) > MAX_BYTES:
        raise _too_large(filename, len(data))
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise DocumentFileError(t("doc.error.empty", name=filename), filename=filename)
    try:
        if extension in DOCX_EXTENSIONS:
            return parse_blocks(docx_blocks(data, filename))
        if extension in PDF_EXTENSIONS:
            return parse_blocks(pdf_blocks(data, filename))
        text = decode_text(data, filename)
        if extension in MARKDOWN_EXTENSIONS:
            return parse_markdown(text)
        return parse_plain_text(text)
    except DocumentFileError:
        raise
    except DocumentError as error:
        raise DocumentFileError(t("doc.error.in_file", name=filename, reason=str(error)), filename=filename) from None


def _check_extension(filename: str) -> str:
    extension = Path(filename).suffix.lower()
    if extension in SUPPORTED_EXTENSIONS:
        return extension
    if extension == ".doc":
        raise DocumentFileError(t("doc.error.legacy_doc", name=filename), filename=filename)
    if extension in CONVERTIBLE_EXTENSIONS:
        raise DocumentFileError(t("doc.error.convert_to_docx", name=filename, extension=extension), filename=filename)
    if not extension:
        raise DocumentFileError(t("doc.error.no_extension", name=filename), filename=filename)
    raise DocumentFileError(t("doc.error.unknown_extension", name=filename, extension=extension), filename=filename)


def _too_large(name: str, size: int) -> DocumentFileError:
    megabytes = f"{size / (1024 * 1024):.1f}".replace(".", ",")
    return DocumentFileError(
        t("doc.error.too_large", name=name, size=megabytes, limit=MAX_BYTES // (1024 * 1024)), filename=name
    )


# --------------------------------------------------------------------------
# Text files
# --------------------------------------------------------------------------


def decode_text(data: bytes, filename: str) -> str:
    """Decode a text file: UTF-8 (with or without BOM), or UTF-16 when a BOM says so.

    Anything else is either binary or an old Vietnamese encoding; both are refused.
    """
    _refuse_known_binary(data, filename)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _refuse_control_text(data.decode("utf-16"), filename)
        except UnicodeDecodeError:
            raise _binary(filename, "doc.error.binary.unknown") from None
    if b"\x00" in data:
        raise _binary(filename, "doc.error.binary.unknown")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if _control_ratio(data) > _BINARY_RATIO:
            raise _binary(filename, "doc.error.binary.unknown") from None
        raise DocumentFileError(t("doc.error.legacy_encoding", name=filename), filename=filename) from None
    return _refuse_control_text(text, filename)


def _refuse_known_binary(data: bytes, filename: str) -> None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise _binary(filename, what)


def _refuse_control_text(text: str, filename: str) -> str:
    if len(_CONTROL_CHARS.findall(text)) > max(1, len(text) * _BINARY_RATIO):
        raise _binary(filename, "doc.error.binary.unknown")
    return text


def _control_ratio(data: bytes) -> float:
    return sum(1 for byte in data if byte in _CONTROL_BYTES) / len(data)


def _binary(filename: str, what: str) -> DocumentFileError:
    return DocumentFileError(t("doc.error.binary", name=filename, what=t(what)), filename=filename)


# --------------------------------------------------------------------------
# Word files
# --------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:heading|tiêu đề|đề mục)\s*(\d)$", re.I)
_TOC_STYLE = re.compile(r"^(?:toc|mục lục)\s*\d", re.I)
_SKIPPED_RUN_ANCESTORS = frozenset({qn("w:del"), qn("w:moveFrom"), qn("w:txbxContent")})
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIPPED_FOOTNOTES = frozenset({"separator", "continuationSeparator", "continuationNotice"})


class _WordReader:
    """State of one pass over a Word body: numbering counters and footnotes in order of reference."""

    def __init__(self, document: Any) -> None:
        part = document.part
        self.styles = _StyleCache(document)
        self.numbering = WordNumbering(_related_xml(part, RT.NUMBERING), _styles_xml(document))
        self.footnotes = _footnotes(part)
        self.footnote_count = 0

    def blocks(self, element: Any, parent: Any) -> Iterator[Block]:
        for child in element.iterchildren():
            if child.tag == qn("w:p"):
                block = self.paragraph_block(Paragraph(child, parent))
                if block is not None:
                    yield block
            elif child.tag == qn("w:tbl"):
                yield from self.table_blocks(Table(child, parent))
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    yield from self.blocks(content, parent)

    def table_blocks(self, table: Table) -> Iterator[Block]:
        """A layout table (issuer beside the motto, recipients beside the signature) is read
        cell by cell; a data table is read row by row, as people read it."""
        rows = [_unique_cells(row.cells) for row in table.rows]
        texts = [cell.text for row in rows for cell in row]
        if looks_like_layout(texts) or max((len(row) for row in rows), default=0) < 2:
            for row in rows:
                for cell in row:
                    yield from self.blocks(cell._tc, cell)
            return
        cells: list[list[tuple[Span, ...]]] = []
        notes: list[str] = []
        for row in rows:
            line: list[tuple[Span, ...]] = []
            for cell in row:
                spans: list[Span] = []
                for block in self.blocks(cell._tc, cell):
                    if spans:
                        spans.append(Span("\n"))
                    spans.extend(block.spans)
                    notes.extend(block.notes)
                line.append(tuple(spans))
            cells.append(line)
        result = table_blocks(cells, header=_has_header_row(table, rows))
        if result and notes:
            result[-1] = replace(result[-1], notes=tuple(notes))
        yield from result

    def paragraph_block(self, paragraph: Paragraph) -> Block | None:
        """One Word paragraph as a block, with its automatic number and run formatting as spans."""
        style = self.styles.paragraph_style(paragraph._p)
        style_name, style_id = (style.name or "", style.style_id) if style is not None else ("", None)
        if _TOC_STYLE.match(style_name):
            return None  # Word's own table of contents repeats the headings with page numbers
        label = self.numbering.label(paragraph._p, style_id)
        notes: list[str] = []
        spans = list(self._run_spans(paragraph, notes))
        if not "".join(span.text for span in spans).strip() and (label is None or not label.text):
            return None
        level = _heading_level(style_name)
        kind = BlockKind.HEADING if level else BlockKind.PARAGRAPH
        if label is not None and label.bullet:
            kind = BlockKind.LIST_ITEM if not level else kind
        elif label is not None and label.text:
            # Word draws the number in the level's font, else in the paragraph mark's, not the first word's.
            bold = label.bold if label.bold is not None else self._mark_bold(paragraph, style)
            spans.insert(0, Span(label.text + (label.suffix or ""), bold=bold))
        elif label is None and not level and style_name.lower().startswith("list"):
            kind = BlockKind.LIST_ITEM
        return Block(kind, tuple(spans), level, tuple(notes))

    def _run_spans(self, paragraph: Paragraph, notes: list[str]) -> Iterator[Span]:
        """Every visible run, including those inside hyperlinks, fields and tracked insertions;
        a footnote reference becomes its number, and the note is kept for the end of the section."""
        paragraph_style = self.styles.paragraph_style(paragraph._p)
        link: tuple[Any, str, str] | None = None  # (w:hyperlink, its address, its text so far)
        for element in paragraph._p.iter(qn("w:r"), qn("w:hyperlink")):
            if link is not None and (element.tag == qn("w:hyperlink") or not _inside(element, link[0])):
                yield from _link_address_span(link)
                link = None
            if element.tag == qn("w:hyperlink"):
                link = (element, _link_address(paragraph, element), "")
                continue
            if _skipped(element, paragraph._p):
                continue
            if link is not None:
                link = (link[0], link[1], link[2] + "".join(node.text or "" for node in element.iter(qn("w:t"))))
            reference = element.find(qn("w:footnoteReference"))
            if reference is not None:
                note = self.footnotes.get(reference.get(qn("w:id")) or "")
                if note is not None:
                    self.footnote_count += 1
                    notes.append(f"[{self.footnote_count}] {_escape_light(note)}")
                    yield Span(f"[{self.footnote_count}]")
                continue
            run = Run(element, paragraph)
            text = run.text.replace("\t", " ")
            if text:
                run_style = self.styles.run_style(element)
                yield Span(
                    text,
                    self._effective(run, "bold", run_style, paragraph_style),
                    self._effective(run, "italic", run_style, paragraph_style),
                    self._effective(run, "strike", run_style, paragraph_style),
                )
        if link is not None:
            yield from _link_address_span(link)

    def _effective(self, run: Run, attribute: str, run_style: Any, paragraph_style: Any) -> bool:
        """A run's bold/italic/strike as Word shows it: the run, then its character style, then the paragraph style."""
        value = getattr(run.font, attribute)
        if value is not None:
            return bool(value)
        for style in (run_style, paragraph_style):
            value = self.styles.value(style, attribute)
            if value is not None:
                return value
        return False

    def _mark_bold(self, paragraph: Paragraph, style: Any) -> bool:
        """Bold of the paragraph mark (what an empty numbered paragraph's number is drawn in), or of its style."""
        properties = paragraph._p.pPr
        mark = properties.find(f"{qn('w:rPr')}/{qn('w:b')}") if properties is not None else None
        if mark is not None:
            return (mark.get(qn("w:val")) or "true").lower() not in ("0", "false", "off")
        return bool(self.styles.value(style, "bold"))


class _StyleCache:
    """Styles by id, looked up once: python-docx scans every style on each lookup."""

    def __init__(self, document: Any) -> None:
        self._by_id: dict[str, Any] = {}
        self._default: dict[Any, Any] = {}
        self._values: dict[tuple[str, str], bool | None] = {}
        try:
            styles = list(document.styles)
        except (KeyError, ValueError):
            styles = []
        for style in styles:
            self._by_id[style.style_id] = style
            if style.element.default:
                self._default.setdefault(style.type, style)

    def paragraph_style(self, p: Any) -> Any | None:
        return self._by_id.get(p.style or "") or self._default.get(WD_STYLE_TYPE.PARAGRAPH)

    def run_style(self, r: Any) -> Any | None:
        return self._by_id.get(r.style or "") or self._default.get(WD_STYLE_TYPE.CHARACTER)

    def value(self, style: Any | None, attribute: str) -> bool | None:
        """``attribute`` as the style sets it, or as the style it is based on does."""
        if style is None:
            return None
        key = (style.style_id, attribute)
        if key not in self._values:
            value = getattr(style.font, attribute)
            if value is None:
                base = style.base_style
                self._values[key] = self.value(base, attribute) if base is not None else None
            else:
                self._values[key] = bool(value)
        return self._values[key]


def docx_blocks(data: bytes, filename: str) -> list[Block]:
    """Read a .docx into blocks: body paragraphs and tables, in document order."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentFileError(t("doc.error.legacy_doc", name=filename), filename=filename)
    try:
        document = docx.Document(io.BytesIO(data))
        return list(_WordReader(document).blocks(document.element.body, document))
    except Exception:  # python-docx and lxml raise many types on damaged packages
        raise DocumentFileError(t("doc.error.corrupt_docx", name=filename), filename=filename) from None


def _related_xml(part: Any, reltype: str) -> Any | None:
    try:
        related = part.part_related_by(reltype)
    except KeyError:
        return None
    element = getattr(related, "element", None)
    return element if element is not None else parse_xml(related.blob)


def _styles_xml(document: Any) -> Any | None:
    try:
        return document.styles.element
    except (KeyError, ValueError):
        return None


def _footnotes(part: Any) -> dict[str, str]:
    """Footnote id → its text, as one line."""
    root = _related_xml(part, RT.FOOTNOTES)
    if root is None:
        return {}
    notes: dict[str, str] = {}
    for note in root.findall(qn("w:footnote")):
        if note.get(qn("w:type")) in _SKIPPED_FOOTNOTES:
            continue
        paragraphs = ["".join(node.text or "" for node in p.iter(qn("w:t"))) for p in note.findall(qn("w:p"))]
        text = " ".join(" ".join(paragraphs).split())
        if text:
            notes[note.get(qn("w:id")) or ""] = text
    return notes


def _link_address_span(link: tuple[Any, str, str]) -> Iterator[Span]:
    """The address after a link's text, unless the text already shows it."""
    _, address, shown = link
    if address and _address(address) not in _address(shown):
        yield Span(f" ({address})")


def _inside(element: Any, ancestor: Any) -> bool:
    node = element.getparent()
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def _link_address(paragraph: Paragraph, hyperlink: Any) -> str:
    """The web address a Word hyperlink points to (an internal bookmark has none)."""
    relationship = hyperlink.get(qn("r:id"))
    if not relationship:
        return ""
    try:
        rel = paragraph.part.rels[relationship]
    except KeyError:
        return ""
    return str(rel.target_ref) if rel.is_external else ""


def _address(text: str) -> str:
    return re.sub(r"^(?:https?://|mailto:)|/$", "", text.strip().lower())


def _escape_light(text: str) -> str:
    return render_light((Span(text),))


def _has_header_row(table: Table, rows: list[list[_Cell]]) -> bool:
    """Word marks a repeated header row; otherwise a first row of short labels is one."""
    if len(rows) < 2:
        return False
    properties = table.rows[0]._tr.trPr
    if properties is not None and properties.find(qn("w:tblHeader")) is not None:
        return True
    first = [" ".join(cell.text.split()) for cell in rows[0]]
    return all(text and len(text) <= 40 and not text.rstrip(".").isdigit() for text in first)


def _unique_cells(cells: list[_Cell]) -> list[_Cell]:
    """A merged cell is returned once per grid column it spans; keep it once."""
    seen: set[int] = set()
    unique: list[_Cell] = []
    for cell in cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            unique.append(cell)
    return unique


def _skipped(element: Any, stop: Any) -> bool:
    node = element.getparent()
    while node is not None and node is not stop:
        if node.tag in _SKIPPED_RUN_ANCESTORS or node.tag == _FALLBACK:
            return True
        node = node.getparent()
    return False


def _heading_level(style_name: str) -> int:
    if style_name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style_name.strip())
    return int(match.group(1)) if match else 0


# --------------------------------------------------------------------------
# PDF files (the signed copy agencies publish)
# --------------------------------------------------------------------------

# A PDF page with fewer visible characters than this has no usable text layer (a scan).
_MIN_PDF_TEXT = 20
_PAGE_NUMBER = re.compile(r"^\s*(?:trang\s*)?-?\s*\d{1,4}\s*-?\s*(?:/\s*\d{1,4})?\s*$", re.I)


def pdf_blocks(data: bytes, filename: str) -> list[Block]:
    """Read the text layer of a PDF, one block per printed line.

    A PDF keeps printed lines, not paragraphs; the parser's page-break joining
    puts the lines of a paragraph back together, and the page numbers printed
    at the top or bottom of each page are dropped. A scan has no text layer and
    is refused with what to do instead.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentFileError(t("doc.error.pdf_encrypted", name=filename), filename=filename)
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentFileError:
        raise
    except FileNotDecryptedError:
        raise DocumentFileError(t("doc.error.pdf_encrypted", name=filename), filename=filename) from None
    except Exception:  # pypdf raises many types on damaged files
        raise DocumentFileError(t("doc.error.corrupt_pdf", name=filename), filename=filename) from None
    if sum(len("".join(text.split())) for text in pages) < _MIN_PDF_TEXT:
        raise DocumentFileError(t("doc.error.pdf_scanned", name=filename), filename=filename)
    page_lines = []
    for text in pages:
        kept = [line for line in text.splitlines() if line.strip()]
        while kept and _PAGE_NUMBER.match(kept[0]):
            kept.pop(0)
        while kept and _PAGE_NUMBER.match(kept[-1]):
            kept.pop()
        page_lines.append(kept)
    _drop_running_lines(page_lines)
    return plain_text_blocks("\n".join(line for kept in page_lines for line in kept))


def _drop_running_lines(pages: list[list[str]]) -> None:
    """Drop a running header or footer: the same first (or last) line on most pages."""
    if len(pages) < 3:
        return
    for position in (0, -1):
        shape = Counter(_line_shape(lines[position]) for lines in pages if lines)
        repeated = {line for line, count in shape.items() if count * 2 >= len(pages) and count >= 3}
        for lines in pages:
            if lines and _line_shape(lines[position]) in repeated:
                lines.pop(position)


def _line_shape(line: str) -> str:
    """A line with its numbers blanked: "Trang 2/5" and "Trang 3/5" are the same running line."""
    return re.sub(r"\d+", "#", " ".join(line.split()))
