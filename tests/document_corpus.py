"""A corpus of agency documents in the shapes offices actually produce, built here.

Each builder returns the file's bytes and the outline the importer must find.
The Word files are made with python-docx, with real numbering definitions in
``numbering.xml`` (the number is not in the text), real footnotes in
``footnotes.xml`` and real tables, because those are what break an importer
that only reads the text of paragraphs.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph

Outline = list[tuple[str, str]]


@dataclass(frozen=True)
class Lvl:
    """One level of a Word numbering definition."""

    fmt: str
    text: str
    start: int = 1
    restart: int | None = None
    legal: bool = False
    bold: bool | None = None
    suffix: str | None = None


@dataclass
class Corpus:
    """A Word document under construction, with methods for what python-docx cannot make directly."""

    document: WordDocument = field(default_factory=docx.Document)
    _next_abstract: int = 100
    _next_num: int = 100
    _notes: list[tuple[int, str]] = field(default_factory=list)

    # -- numbering -------------------------------------------------------------

    def numbering(self, levels: Sequence[Lvl], *, style_link: str | None = None) -> int:
        """Add an abstract number with these levels and a num using it; return the numId."""
        abstract_id = self._next_abstract
        self._next_abstract += 1
        body = "".join(_lvl_xml(index, lvl) for index, lvl in enumerate(levels))
        link = f'<w:numStyleLink w:val="{style_link}"/>' if style_link else ""
        root = self.document.part.numbering_part.element
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
            f'<w:multiLevelType w:val="multilevel"/>{link}{body}</w:abstractNum>'
        )
        first_num = root.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            root.append(abstract)
        return self.num(abstract_id)

    def num(self, abstract_id: int, *, restart_at: dict[int, int] | None = None) -> int:
        """A num (list instance) over ``abstract_id``; ``restart_at`` gives startOverride per level."""
        num_id = self._next_num
        self._next_num += 1
        overrides = "".join(
            f'<w:lvlOverride w:ilvl="{level}"><w:startOverride w:val="{start}"/></w:lvlOverride>'
            for level, start in (restart_at or {}).items()
        )
        self.document.part.numbering_part.element.append(
            parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>')
        )
        return num_id

    def abstract_of(self, num_id: int) -> int:
        root = self.document.part.numbering_part.element
        for num in root.findall(qn("w:num")):
            if num.get(qn("w:numId")) == str(num_id):
                return int(num.find(qn("w:abstractNumId")).get(qn("w:val")))
        raise KeyError(num_id)

    def numbered_style(self, name: str, num_id: int, *, level: int = 0, bold: bool = False) -> str:
        """A paragraph style carrying numbering: paragraphs get their number from the style alone."""
        style = self.document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.font.bold = bold
        properties = style.element.get_or_add_pPr()
        properties.append(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>')
        )
        return name

    def numbering_style(self, style_id: str, num_id: int) -> None:
        """A numbering style (``w:type="numbering"``), the target of a ``numStyleLink``."""
        self.document.styles.element.append(
            parse_xml(
                f'<w:style {nsdecls("w")} w:type="numbering" w:styleId="{style_id}"><w:name w:val="{style_id}"/>'
                f'<w:pPr><w:numPr><w:numId w:val="{num_id}"/></w:numPr></w:pPr></w:style>'
            )
        )

    # -- paragraphs ------------------------------------------------------------

    def para(
        self,
        text: str = "",
        *,
        num: tuple[int, int] | None = None,
        bold: bool = False,
        italic: bool = False,
        style: str | None = None,
    ) -> Paragraph:
        paragraph = self.document.add_paragraph(style=style)
        if text:
            run = paragraph.add_run(text)
            run.bold = bold or None
            run.italic = italic or None
        if num is not None:
            num_id, level = num
            paragraph._p.get_or_add_pPr().append(
                parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>')
            )
        return paragraph

    def runs(self, *parts: tuple[str, bool]) -> Paragraph:
        """A paragraph of runs, each (text, bold)."""
        paragraph = self.document.add_paragraph()
        for text, bold in parts:
            paragraph.add_run(text).bold = bold or None
        return paragraph

    def footnote(self, paragraph: Paragraph, text: str) -> None:
        """A real footnote: a reference run here, its text in ``footnotes.xml``."""
        note_id = len(self._notes) + 1
        self._notes.append((note_id, text))
        paragraph._p.append(
            parse_xml(
                f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                f'<w:footnoteReference w:id="{note_id}"/></w:r>'
            )
        )

    def table(self, rows: Sequence[Sequence[str]], *, header_row: bool = False) -> None:
        table = self.document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                cell = table.cell(r, c)
                lines = text.split("\n")
                cell.text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)
        if header_row:
            table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))

    def header(self, issuer: Sequence[str], number: str, date_line: str) -> None:
        """The administrative header as agencies lay it out: a borderless two-column table."""
        table = self.document.add_table(rows=2, cols=2)
        table.cell(0, 0).text = issuer[0]
        for line in issuer[1:]:
            table.cell(0, 0).add_paragraph(line)
        table.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        table.cell(0, 1).add_paragraph("Độc lập - Tự do - Hạnh phúc")
        table.cell(1, 0).text = number
        table.cell(1, 1).text = date_line

    def signature(self, recipients: Sequence[str], titles: Sequence[str], name: str) -> None:
        table = self.document.add_table(rows=1, cols=2)
        left, right = table.cell(0, 0), table.cell(0, 1)
        left.text = "Nơi nhận:"
        for recipient in recipients:
            left.add_paragraph(f"- {recipient};")
        right.paragraphs[0].add_run(titles[0]).bold = True
        for title in titles[1:]:
            right.add_paragraph().add_run(title).bold = True
        right.add_paragraph().add_run("(Đã ký)").italic = True
        right.add_paragraph().add_run(name).bold = True

    # -- output ----------------------------------------------------------------

    def bytes(self) -> bytes:
        if self._notes:
            self._add_footnotes_part()
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()

    def _add_footnotes_part(self) -> None:
        notes = "".join(
            f'<w:footnote w:id="{note_id}"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote>'
            for note_id, text in self._notes
        )
        xml = (
            f'<w:footnotes {nsdecls("w")}>'
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
            f"{notes}</w:footnotes>"
        )
        part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, xml.encode("utf-8"), self.document.part.package)
        self.document.part.relate_to(part, RT.FOOTNOTES)


def _lvl_xml(index: int, lvl: Lvl) -> str:
    restart = f'<w:lvlRestart w:val="{lvl.restart}"/>' if lvl.restart is not None else ""
    legal = "<w:isLgl/>" if lvl.legal else ""
    suffix = f'<w:suff w:val="{lvl.suffix}"/>' if lvl.suffix else ""
    bold = "" if lvl.bold is None else f'<w:rPr><w:b w:val="{1 if lvl.bold else 0}"/></w:rPr>'
    return (
        f'<w:lvl w:ilvl="{index}"><w:start w:val="{lvl.start}"/><w:numFmt w:val="{lvl.fmt}"/>{restart}{legal}'
        f'{suffix}<w:lvlText w:val="{lvl.text}"/>{bold}</w:lvl>'
    )


# --------------------------------------------------------------------------
# The documents
# --------------------------------------------------------------------------

LAW_LEVELS = (
    Lvl("decimal", "Điều %1.", bold=True, suffix="space"),
    Lvl("decimal", "%2.", restart=1),
    Lvl("lowerLetter", "%3)"),
)


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes
    outline: Outline
    chapters: Outline = field(default_factory=list)


def decision_with_regulation() -> Sample:
    """QUYẾT ĐỊNH (three articles, recipients, signature) followed by the QUY CHẾ it enacts,
    whose chapters and articles are numbered by Word, with a footnote and two tables."""
    corpus = Corpus()
    corpus.header(["UBND TỈNH BÌNH AN", "SỞ KHOA HỌC VÀ CÔNG NGHỆ"], "Số: 125/QĐ-SKHCN", "Bình An, ngày 02 tháng 11 năm 2026")
    corpus.para("QUYẾT ĐỊNH", bold=True)
    corpus.para("Về việc ban hành Quy chế thực hiện dân chủ trong hoạt động của Sở", bold=True)
    corpus.para("GIÁM ĐỐC SỞ KHOA HỌC VÀ CÔNG NGHỆ", bold=True)
    corpus.para("Căn cứ Luật Thực hiện dân chủ ở cơ sở ngày 10 tháng 11 năm 2022;", italic=True)
    corpus.para("Theo đề nghị của Chánh Văn phòng Sở.", italic=True)
    corpus.para("QUYẾT ĐỊNH:", bold=True)
    corpus.runs(("Điều 1.", True), (" Ban hành kèm theo Quyết định này Quy chế thực hiện dân chủ trong hoạt động của Sở.", False))
    corpus.runs(("Điều 2.", True), (" Quyết định này có hiệu lực kể từ ngày ký.", False))
    corpus.runs(("Điều 3.", True), (" Chánh Văn phòng, Trưởng các phòng và cán bộ, công chức chịu trách nhiệm thi hành Quyết định này./.", False))
    corpus.signature(["Như Điều 3", "Sở Nội vụ", "Lưu: VT, VP"], ["GIÁM ĐỐC"], "Trần Minh Khôi")
    # The regulation, with its own copy of the header as offices print it.
    corpus.header(["UBND TỈNH BÌNH AN", "SỞ KHOA HỌC VÀ CÔNG NGHỆ"], "", "")
    corpus.para("QUY CHẾ", bold=True)
    corpus.para("Thực hiện dân chủ trong hoạt động của Sở Khoa học và Công nghệ", bold=True)
    corpus.para("(Ban hành kèm theo Quyết định số 125/QĐ-SKHCN ngày 02 tháng 11 năm 2026 của Giám đốc Sở)", italic=True)
    chapters = corpus.numbering([Lvl("upperRoman", "Chương %1", suffix="nothing", bold=True)])
    articles = corpus.numbering(LAW_LEVELS)
    corpus.para("", num=(chapters, 0), bold=True)
    corpus.para("NHỮNG QUY ĐỊNH CHUNG", bold=True)
    corpus.para("Phạm vi điều chỉnh", num=(articles, 0), bold=True)
    scope = corpus.para("Quy chế này quy định việc thực hiện dân chủ trong hoạt động của Sở.")
    corpus.footnote(scope, "Theo Luật số 10/2022/QH15.")
    corpus.para("Đối tượng áp dụng", num=(articles, 0), bold=True)
    corpus.para("Cán bộ, công chức làm việc tại Sở", num=(articles, 1))
    corpus.para("Người lao động hợp đồng", num=(articles, 1))
    corpus.para("", num=(chapters, 0), bold=True)
    corpus.para("NỘI DUNG CÔNG KHAI", bold=True)
    corpus.para("Những nội dung phải công khai", num=(articles, 0), bold=True)
    corpus.para("Kế hoạch công tác hằng năm;", num=(articles, 1))
    corpus.para("Tài chính, tài sản công:", num=(articles, 1))
    corpus.para("dự toán ngân sách;", num=(articles, 2))
    corpus.para("quyết toán ngân sách.", num=(articles, 2))
    corpus.para("Thời hạn công khai", num=(articles, 0), bold=True)
    corpus.table([["Hình thức", "Thời hạn"], ["Niêm yết", "20 ngày liên tục"], ["Kênh Công khai", "Suốt đợt công khai"]])
    corpus.para("Trách nhiệm thực hiện", num=(articles, 0), bold=True)
    corpus.table(
        [["STT", "Việc", "Đơn vị", "Hạn"], ["1", "Niêm yết", "Văn phòng", "05/11"], ["2", "Gửi tin", "Tổ CNTT", "06/11"]],
        header_row=True,
    )
    return Sample(
        "quyet-dinh-kem-quy-che.docx",
        corpus.bytes(),
        [
            ("Chương I › Điều 1", "Điều 1. Phạm vi điều chỉnh"),
            ("Chương I › Điều 2", "Điều 2. Đối tượng áp dụng"),
            ("Chương II › Điều 3", "Điều 3. Những nội dung phải công khai"),
            ("Chương II › Điều 4", "Điều 4. Thời hạn công khai"),
            ("Chương II › Điều 5", "Điều 5. Trách nhiệm thực hiện"),
        ],
        [("Chương I", "Chương I. NHỮNG QUY ĐỊNH CHUNG"), ("Chương II", "Chương II. NỘI DUNG CÔNG KHAI")],
    )


def numbering_variants() -> Sample:
    """Start values, a list restarted by an override, style-linked numbering and legal numbering."""
    corpus = Corpus()
    corpus.para("QUY ĐỊNH", bold=True)
    corpus.para("Về giờ làm việc và nghỉ ngơi", bold=True)
    # Articles numbered through a paragraph style (the clerk only picked the style "Điều khoản").
    articles = corpus.numbering([Lvl("decimal", "Điều %1.", start=5, bold=True)])
    style = corpus.numbered_style("Điều khoản", articles, bold=True)
    # Khoản through numStyleLink: the list points at a numbering style, which points at the real definition.
    real = corpus.numbering([Lvl("decimal", "%1.")])
    corpus.numbering_style("KhoanList", real)
    linked = corpus.numbering([Lvl("decimal", "%1.")], style_link="KhoanList")
    corpus.para("Giờ làm việc", style=style)
    corpus.para("Buổi sáng từ 7 giờ 30", num=(linked, 0))
    corpus.para("Buổi chiều từ 13 giờ 30", num=(linked, 0))
    corpus.para("Nghỉ ngơi", style=style)
    # "Restart numbering": a second num over the same definition, starting again at 1.
    restarted = corpus.num(corpus.abstract_of(real), restart_at={0: 1})
    corpus.para("Nghỉ giữa giờ 15 phút", num=(restarted, 0))
    corpus.para("Nghỉ trưa 90 phút", num=(restarted, 0))
    corpus.para("Mục đích áp dụng", style=style)
    # Legal numbering: a plan's "2.1." under a Roman level is shown all-decimal.
    legal = corpus.numbering(
        [Lvl("upperRoman", "%1."), Lvl("decimal", "%1.%2.", legal=True)]
    )
    corpus.para("Bảo đảm sức khỏe", num=(legal, 0))
    corpus.para("Sắp xếp ca trực", num=(legal, 1))
    return Sample(
        "quy-dinh-gio-lam-viec.docx",
        corpus.bytes(),
        [
            ("Điều 5", "Điều 5. Giờ làm việc"),
            ("Điều 6", "Điều 6. Nghỉ ngơi"),
            ("Điều 7", "Điều 7. Mục đích áp dụng"),
        ],
    )


def heading_variants() -> Sample:
    """Headings typed by hand, the way the issue found them in Word files."""
    corpus = Corpus()
    corpus.para("QUY CHẾ", bold=True)
    corpus.para("Chi tiêu nội bộ", bold=True)
    corpus.para("Điều 1. Phạm vi")
    corpus.para("Quy chế này quy định việc chi tiêu nội bộ.")
    corpus.para("Điều 3 . Nguyên tắc")
    corpus.para("Chi đúng mục đích, tiết kiệm.")
    corpus.para("Điều 8. Trách nhiệm của Hiệu trưởng.", bold=True)
    corpus.para("Hiệu trưởng chịu trách nhiệm chung.")
    corpus.para("Điều 11.", bold=True)
    corpus.para("Hiệu lực thi hành", bold=True)
    corpus.para("Quy chế có hiệu lực từ ngày ký.")
    corpus.para("Điều 12. Hình thức công khai")
    corpus.para("a. niêm yết tại bảng tin;")
    corpus.para("b. gửi qua thư điện tử.")
    corpus.para("Điều 13. Nơi công khai")
    corpus.para("1. Niêm yết tại bảng tin")
    corpus.para("2. Gửi qua thư điện tử")
    return Sample(
        "quy-che-chi-tieu.docx",
        corpus.bytes(),
        [
            ("Điều 1", "Điều 1. Phạm vi"),
            ("Điều 3", "Điều 3. Nguyên tắc"),
            ("Điều 8", "Điều 8. Trách nhiệm của Hiệu trưởng"),
            ("Điều 11", "Điều 11. Hiệu lực thi hành"),
            ("Điều 12", "Điều 12. Hình thức công khai"),
            ("Điều 13", "Điều 13. Nơi công khai"),
        ],
    )


def plan_with_roman_parts() -> Sample:
    """A kế hoạch: Roman parts and numbered items from Word numbering, bullets, a page break mid-sentence."""
    corpus = Corpus()
    corpus.header(["UBND XÃ TÂN TRUNG"], "Số: 15/KH-UBND", "Tân Trung, ngày 04 tháng 3 năm 2024")
    corpus.para("KẾ HOẠCH", bold=True)
    corpus.para("Công khai quy chế dân chủ năm 2024", bold=True)
    plan = corpus.numbering([Lvl("upperRoman", "%1.", bold=True), Lvl("decimal", "%2.", bold=True)])
    bullets = corpus.numbering([Lvl("bullet", "-")])
    corpus.para("MỤC ĐÍCH, YÊU CẦU", num=(plan, 0), bold=True)
    corpus.para("Bảo đảm quyền được biết của cán bộ, công chức;", num=(bullets, 0))
    corpus.para("Nâng cao trách nhiệm của người đứng đầu.", num=(bullets, 0))
    corpus.para("NỘI DUNG", num=(plan, 0), bold=True)
    corpus.para("Nội dung công khai", num=(plan, 1), bold=True)
    corpus.para("Công khai toàn văn Quy chế theo quy định của")
    corpus.para("Luật Thực hiện dân chủ ở cơ sở năm 2022.")
    corpus.para("Thời gian công khai", num=(plan, 1), bold=True)
    corpus.para("20 ngày liên tục.")
    corpus.para("Trên đây là kế hoạch công khai của Ủy ban nhân dân xã./.")
    corpus.signature(["BCĐ huyện", "Lưu: VT"], ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "Trương Tiến Dũng")
    return Sample(
        "ke-hoach-cong-khai.docx",
        corpus.bytes(),
        [
            ("I", "I. MỤC ĐÍCH, YÊU CẦU"),
            ("II › 1", "1. Nội dung công khai"),
            ("II › 2", "2. Thời gian công khai"),
        ],
        [("II", "II. NỘI DUNG")],
    )


WORD_SAMPLES = (decision_with_regulation, numbering_variants, heading_variants, plan_with_roman_parts)


# Text shapes: the same decision-with-regulation as a plain-text export and as Markdown.
DECISION_TEXT_LINES = [
    "ỦY BAN NHÂN DÂN",
    "XÃ TÂN TRUNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 12/QĐ-UBND",
    "Tân Trung, ngày 05 tháng 3 năm 2024",
    "QUYẾT ĐỊNH",
    "Về việc ban hành Quy chế thực hiện dân chủ",
    "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ TÂN TRUNG",
    "Căn cứ Luật Thực hiện dân chủ ở cơ sở;",
    "QUYẾT ĐỊNH:",
    "Điều 1. Ban hành kèm theo Quyết định này Quy chế thực hiện dân chủ của Ủy ban nhân dân xã.",
    "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
    "Điều 3. Văn phòng và cán bộ, công chức xã chịu trách nhiệm thi hành Quyết định này./.",
    "Nơi nhận:",
    "- Như Điều 3;",
    "- Lưu: VT.",
    "CHỦ TỊCH",
    "(Đã ký)",
    "Nguyễn Văn An",
    "ỦY BAN NHÂN DÂN",
    "XÃ TÂN TRUNG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "QUY CHẾ",
    "Thực hiện dân chủ trong hoạt động của Ủy ban nhân dân xã",
    "(Ban hành kèm theo Quyết định số 12/QĐ-UBND ngày 05 tháng 3 năm 2024 của Chủ tịch UBND xã)",
    "Chương I",
    "NHỮNG QUY ĐỊNH CHUNG",
    "Điều 1. Phạm vi điều chỉnh",
    "Quy chế này quy định việc thực hiện dân chủ.",
    "Điều 2. Đối tượng áp dụng",
    "Cán bộ, công chức xã.",
    "Chương II",
    "TỔ CHỨC THỰC HIỆN",
    "Điều 3. Trách nhiệm thi hành",
    "Văn phòng theo dõi việc thực hiện.",
]
DECISION_TEXT_OUTLINE = [
    ("Chương I › Điều 1", "Điều 1. Phạm vi điều chỉnh"),
    ("Chương I › Điều 2", "Điều 2. Đối tượng áp dụng"),
    ("Chương II › Điều 3", "Điều 3. Trách nhiệm thi hành"),
]


# --------------------------------------------------------------------------
# PDF with a text layer
# --------------------------------------------------------------------------


def text_pdf(pages: Sequence[Sequence[str]], *, password: str | None = None) -> bytes:
    """A PDF whose pages print these lines, with a real text layer.

    The text is shown with a Type0 font (Identity-H, two bytes a character) and a
    ToUnicode map, as PDF printers write Vietnamese; the font itself is not
    embedded, which changes nothing for the text layer.
    """
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter()
    used = sorted({char for lines in pages for line in lines for char in line})
    pairs = [f"<{ord(char):04X}> <{ord(char):04X}>" for char in used]
    blocks = "\n".join(
        f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar"
        for chunk in (pairs[i : i + 100] for i in range(0, len(pairs), 100))
    )
    cmap = DecodedStreamObject()
    cmap.set_data(
        (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            f"{blocks}\nendcmap CMapName currentdict /CMap defineresource pop end end"
        ).encode()
    )
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject("/TimesNewRoman"),
            NameObject("/Flags"): NumberObject(32),
            NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in (0, -200, 1000, 900)]),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): NumberObject(900),
            NameObject("/Descent"): NumberObject(-200),
            NameObject("/CapHeight"): NumberObject(700),
            NameObject("/StemV"): NumberObject(80),
        }
    )
    descendant = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType2"),
            NameObject("/BaseFont"): NameObject("/TimesNewRoman"),
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("Identity"),
                    NameObject("/Supplement"): NumberObject(0),
                }
            ),
            NameObject("/FontDescriptor"): writer._add_object(descriptor),
            NameObject("/DW"): NumberObject(500),
        }
    )
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject("/TimesNewRoman"),
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([writer._add_object(descendant)]),
            NameObject("/ToUnicode"): writer._add_object(cmap),
        }
    )
    font_ref = writer._add_object(font)
    for lines in pages:
        page = writer.add_blank_page(595, 842)
        shown = "\n".join(f"<{line.encode('utf-16-be').hex().upper()}> Tj T*" for line in lines)
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 12 Tf 16 TL 56 790 Td\n{shown}\nET".encode())
        page[NameObject("/Contents")] = writer._add_object(content)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# A signed regulation as agencies publish it: printed lines, a paragraph running over a page
# break, a page number on every page.
PDF_PAGES = [
    [
        "UBND XÃ TÂN TRUNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 20/QĐ-UBND",
        "Tân Trung, ngày 06 tháng 3 năm 2024",
        "QUY CHẾ",
        "Tiếp công dân của Ủy ban nhân dân xã",
        "Chương I",
        "QUY ĐỊNH CHUNG",
        "Điều 1. Phạm vi điều chỉnh",
        "Quy chế này quy định việc tiếp công dân tại trụ sở Ủy ban nhân dân xã, bao gồm thời gian,",
        "địa điểm, trách nhiệm của cán bộ tiếp công dân và quyền của công dân đến trụ sở theo quy định của",
        "1",
    ],
    [
        "2",
        "Luật Tiếp công dân năm 2013.",
        "Điều 2. Thời gian tiếp công dân",
        "1. Thứ Năm hằng tuần, buổi sáng.",
        "2. Ngày 15 hằng tháng, cả ngày.",
        "Chương II",
        "TỔ CHỨC THỰC HIỆN",
        "Điều 3. Trách nhiệm thi hành",
        "Văn phòng Ủy ban nhân dân xã theo dõi việc thực hiện Quy chế này./.",
        "CHỦ TỊCH",
        "(Đã ký)",
        "Lê Văn Bình",
    ],
]
PDF_OUTLINE = [
    ("Chương I › Điều 1", "Điều 1. Phạm vi điều chỉnh"),
    ("Chương I › Điều 2", "Điều 2. Thời gian tiếp công dân"),
    ("Chương II › Điều 3", "Điều 3. Trách nhiệm thi hành"),
]


def codified_law() -> Sample:
    """Codified law (pháp điển) copied into Word: long article labels, a heading glued to the
    previous sentence, a hyperlink and struck-out text."""
    corpus = Corpus()
    corpus.para("Điều 44.13.LQ.1. Phạm vi điều chỉnh", bold=True)
    corpus.para("Luật này quy định về quản lý, sử dụng tài sản công.")
    corpus.para("Điều 44.13.LQ.2. Nguyên tắc quản lý", bold=True)
    corpus.para(
        "Tài sản công phải được sử dụng đúng mục đích, tiết kiệm, chống lãng phí."
        "Điều 44.13.TT.7.4. Nguyên tắc sử dụng\nSử dụng đúng tiêu chuẩn, định mức."
    )
    source = corpus.para("Xem toàn văn tại ")
    hyperlink = parse_xml(
        f'<w:hyperlink {nsdecls("w", "r")} r:id="{source.part.relate_to("https://phapdien.moj.gov.vn", RT.HYPERLINK, is_external=True)}">'
        '<w:r><w:t>Bộ pháp điển</w:t></w:r></w:hyperlink>'
    )
    source._p.append(hyperlink)
    source.add_run(" (bản ")
    source.add_run("cũ").font.strike = True
    source.add_run(" mới).")
    return Sample(
        "phap-dien.docx",
        corpus.bytes(),
        [
            ("Điều 44.13.LQ.1", "Điều 44.13.LQ.1. Phạm vi điều chỉnh"),
            ("Điều 44.13.LQ.2", "Điều 44.13.LQ.2. Nguyên tắc quản lý"),
            ("Điều 44.13.TT.7.4", "Điều 44.13.TT.7.4. Nguyên tắc sử dụng"),
        ],
    )


WORD_SAMPLES = (*WORD_SAMPLES, codified_law)


def word_copy_of(parsed_sections: Sequence[object], outline: Sequence[object]) -> bytes:
    """The same regulation as Word would hold it when its numbers are automatic: chapters,
    articles, khoản and điểm numbered by ``numbering.xml``, lists as bullets, emphasis as runs.

    ``parsed_sections`` and ``outline`` come from parsing the Markdown original.
    """
    import re

    from bot.domain.document import BlockKind, parse_light

    corpus = Corpus()
    corpus.header(["UBND TỈNH BÌNH AN", "SỞ KHOA HỌC VÀ CÔNG NGHỆ"], "Số: 125/QĐ-SKHCN", "Bình An, ngày 02 tháng 11 năm 2026")
    corpus.para("QUY CHẾ", bold=True)
    chapters = corpus.numbering([Lvl("upperRoman", "Chương %1.", bold=True, suffix="space")])
    law = corpus.numbering(LAW_LEVELS)
    bullets = corpus.numbering([Lvl("bullet", "-")])
    openings = {e.first: e.heading for e in outline if " › " not in e.path}  # type: ignore[attr-defined]
    for section in parsed_sections:
        ordinal, heading, body = section.ordinal, section.heading, section.body  # type: ignore[attr-defined]
        if ordinal in openings:
            corpus.para(openings[ordinal].split(". ", 1)[1], num=(chapters, 0), bold=True)
        corpus.para(heading.split(". ", 1)[1], num=(law, 0), bold=True)
        for block in parse_light(body):
            text = "".join(span.text for span in block.spans)
            spans = list(block.spans)
            num = None
            if block.kind is BlockKind.LIST_ITEM:
                num = (bullets, 0)
            elif (match := re.match(r"^(\d+)\. ", text)) is not None:
                num = (law, 1)
            elif (match := re.match(r"^[a-d]\) ", text)) is not None:  # Word letters skip đ: type the rest
                num = (law, 2)
            if num is not None and block.kind is not BlockKind.LIST_ITEM:
                cut = match.end()  # type: ignore[union-attr]
                trimmed = []
                for span in spans:
                    take = min(cut, len(span.text))
                    cut -= take
                    if span.text[take:]:
                        trimmed.append(type(span)(span.text[take:], span.bold, span.italic, span.strike))
                spans = trimmed
            paragraph = corpus.para(num=num)
            for span in spans:
                run = paragraph.add_run(span.text)
                run.bold = span.bold or None
                run.italic = span.italic or None
    return corpus.bytes()
