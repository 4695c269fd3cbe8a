"""The parser on the two real plans, a law-style regulation, and the edge cases
that Word conversions produce."""

from __future__ import annotations

import datetime
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.document import (
    Block,
    BlockKind,
    DocumentError,
    ParsedDocument,
    Span,
    light_to_plain,
    parse_blocks,
    parse_light,
    parse_markdown,
    parse_numbering,
    parse_plain_text,
    render_light,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "documents"


def _seed(name: str) -> ParsedDocument:
    return parse_markdown((FIXTURES / name).read_text(encoding="utf-8"))


def _outline(document: ParsedDocument) -> list[tuple[str, str]]:
    return [(section.path, section.heading) for section in document.sections]


# --------------------------------------------------------------------------
# Seed 1: Tân Trung, 2024 (Markdown headings of random levels, run-in heading)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tan_trung() -> ParsedDocument:
    return _seed("ke-hoach-cong-khai-tan-trung-2024.md")


def test_tan_trung_sections_in_order(tan_trung: ParsedDocument) -> None:
    assert _outline(tan_trung) == [
        ("Phần mở đầu", "Phần mở đầu"),
        ("I", "I. Mục đích, yêu cầu"),
        ("II › 1", "1. Nội dung công khai"),
        ("II › 2", "2. Thời gian công khai"),
        ("II › 3", "3. Công tác tuyên truyền"),
        ("III › 1", "1. Đề nghị Đảng ủy, UB MTTQ, Công đoàn cơ sở và các tổ chức Chính trị-Xã hội"),
    ]
    assert [section.ordinal for section in tan_trung.sections] == [1, 2, 3, 4, 5, 6]


def test_tan_trung_metadata(tan_trung: ParsedDocument) -> None:
    assert tan_trung.number == "/KH-UBND"
    assert tan_trung.place == "Tân Trung"
    assert tan_trung.issued_on is None  # the day was left blank for the signature
    assert tan_trung.title == "KẾ HOẠCH"
    assert tan_trung.subtitle is not None
    assert tan_trung.subtitle.startswith("Công khai thực hiện quy chế dân chủ")
    assert tan_trung.issuer is None
    assert tan_trung.signer == "Trương Tiến Dũng"
    assert tan_trung.signer_title == "CHỦ TỊCH"
    assert tan_trung.recipients == [
        "TT.BCĐ thực hiện QCDC huyện( b/c)",
        "TT Đảng ủy - HĐND - UBND - UB MTTQ xã",
        "BCĐ thực hiện QCDC xã",
        "Cán bộ, công chức, người lao động cơ quan xã",
        "Cán bộ Đài truyền thanh xã",
        "Lưu: VT",
    ]
    assert tan_trung.closing is not None and tan_trung.closing.startswith("Trên đây là kế hoạch công khai")


def test_tan_trung_opening_is_readable(tan_trung: ParsedDocument) -> None:
    opening = tan_trung.sections[0].text
    assert opening.startswith("Căn cứ Luật số 10/2022/QH15")
    assert opening.endswith("cụ thể như sau:")
    assert opening.count("Căn cứ") == 5


def test_tan_trung_run_in_heading_keeps_its_body(tan_trung: ParsedDocument) -> None:
    section = tan_trung.sections[3]
    assert section.body == "20 ngày liên tục kể từ ngày bắt đầu đăng tin, gửi thông tin, niêm yết."


def test_tan_trung_bold_numbers_are_paragraphs_not_headings(tan_trung: ParsedDocument) -> None:
    last = tan_trung.sections[-1]
    assert "**2.** Ủy ban nhân dân xã phối hợp" in last.body
    for number in ("2. Ủy ban nhân dân xã phối hợp", "3. Căn cứ Kế hoạch của UBND xã", "4. Ủy ban nhân dân tổ chức"):
        assert number in last.text


def test_tan_trung_page_break_is_joined(tan_trung: ParsedDocument) -> None:
    purpose = tan_trung.sections[1]
    assert "đề cao trách nhiệm cá nhân và tinh thần chủ động" in purpose.text
    assert purpose.body.count("\n\n- ") == 2  # three list items, the broken one made whole


def test_tan_trung_signature_and_closing_are_not_in_sections(tan_trung: ParsedDocument) -> None:
    everything = "\n".join(section.text for section in tan_trung.sections)
    for leftover in ("Trên đây là", "Nơi nhận", "CHỦ TỊCH", "Trương Tiến Dũng", "Số:", "KẾ HOẠCH"):
        assert leftover not in everything


# --------------------------------------------------------------------------
# Seed 2: Thanh tra tỉnh Tây Ninh, 2023 (bold-only headings, hard break in the title)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tay_ninh() -> ParsedDocument:
    return _seed("ke-hoach-qcdc-thanh-tra-tay-ninh-2023.md")


def test_tay_ninh_sections_in_order(tay_ninh: ParsedDocument) -> None:
    assert _outline(tay_ninh) == [
        ("Phần mở đầu", "Phần mở đầu"),
        ("1", "1. Mục đích, yêu cầu"),
        ("2 › 2.1", "2.1. Công tác lãnh đạo, chỉ đạo của cấp ủy, lãnh đạo cơ quan về thực hiện dân chủ tại cơ quan"),
        ("2 › 2.2", "2.2. Công tác triển khai, tuyên truyền"),
        ("2 › 2.3", "2.3. Công tác kiểm tra, giám sát"),
        ("2 › 2.4", "2.4. Công tác thi đua, khen thưởng về thực hiện dân chủ tại cơ quan"),
        ("3", "3. Hoạt động của Ban Chỉ đạo cơ quan"),
        ("4", "4. Chế độ thông tin báo cáo"),
        ("5", "5. Tổ chức thực hiện"),
    ]


def test_tay_ninh_metadata(tay_ninh: ParsedDocument) -> None:
    assert tay_ninh.issued_on == datetime.date(2023, 3, 7)
    assert tay_ninh.place == "Tây Ninh"
    assert tay_ninh.number == "/KH-TTr"
    assert tay_ninh.title == "KẾ HOẠCH"
    assert tay_ninh.subtitle == "Thực hiện Quy chế dân chủ năm 2023"
    assert tay_ninh.signer_title == "CHÁNH THANH TRA"
    assert tay_ninh.signer is None
    assert tay_ninh.closing == "Trên đây là kế hoạch thực hiện Quy chế dân chủ năm 2023 của cơ quan Thanh tra tỉnh./."


def test_tay_ninh_recipients_join_broken_lines(tay_ninh: ParsedDocument) -> None:
    assert tay_ninh.recipients[0] == "Ban Dân vận Tỉnh ủy (Ban CĐQCDC tỉnh)"
    # The drafter's initials stay with the archive line instead of becoming a recipient.
    assert tay_ninh.recipients[-1] == "Lưu VT, VP, HSCĐ. (Linh)"
    assert len(tay_ninh.recipients) == 7


def test_tay_ninh_page_break_is_joined(tay_ninh: ParsedDocument) -> None:
    leadership = tay_ninh.sections[2].text
    assert "tổ chức thực hiện quy chế dân chủ ở cơ sở, đảm bảo sự phối hợp" in leadership
    assert "\n\nchủ ở cơ sở" not in leadership


def test_tay_ninh_list_items_and_quotes_survive(tay_ninh: ParsedDocument) -> None:
    assert tay_ninh.sections[-1].body.startswith("- Các Phòng nghiệp vụ triển khai")
    assert "“Đảng lãnh đạo, nhà nước quản lý, nhân dân làm chủ”" in tay_ninh.sections[1].text


def test_seed_hash_is_stable_and_content_sensitive() -> None:
    text = (FIXTURES / "ke-hoach-qcdc-thanh-tra-tay-ninh-2023.md").read_text(encoding="utf-8")
    first, again = parse_markdown(text), parse_markdown(text)
    assert first.content_hash() == again.content_hash()
    assert len(first.content_hash()) == 64
    changed = parse_markdown(text.replace("6 tháng, năm", "3 tháng, năm"))
    assert changed.content_hash() != first.content_hash()


# --------------------------------------------------------------------------
# A law-style regulation: Chương, Mục, Điều, khoản, điểm
# --------------------------------------------------------------------------

LAW = """\
ỦY BAN NHÂN DÂN  
XÃ TÂN TRUNG

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM  
Độc lập - Tự do - Hạnh phúc

Số: 12/QĐ-UBND

*Tân Trung, ngày 05 tháng 3 năm 2024*

**QUY CHẾ**

**Thực hiện dân chủ trong hoạt động của cơ quan**

**Chương I**

**NHỮNG QUY ĐỊNH CHUNG**

**Điều 1. Phạm vi điều chỉnh**

Quy chế này quy định việc thực hiện dân chủ.

**Điều 2. Đối tượng áp dụng**

Cán bộ, công chức xã.

**Chương II**  
**QUYỀN VÀ NGHĨA VỤ**

Chương này nói về quyền và nghĩa vụ.

**Mục 1. QUYỀN**

**Điều 3. Quyền của cán bộ**

1. Cán bộ có quyền:

a) Được biết các thông tin;

b) Được góp ý.

2. Cán bộ có nghĩa vụ chấp hành.

**Mục 2. NGHĨA VỤ**

Điều 4. Nghĩa vụ chung

Chấp hành kỷ luật & nội quy.

**TM. ỦY BAN NHÂN DÂN  
CHỦ TỊCH**

*(Đã ký)*

**Nguyễn Văn An**
"""


def test_law_structure_uses_numbering_kinds() -> None:
    document = parse_markdown(LAW)
    assert _outline(document) == [
        ("Chương I › Điều 1", "Điều 1. Phạm vi điều chỉnh"),
        ("Chương I › Điều 2", "Điều 2. Đối tượng áp dụng"),
        ("Chương II", "Chương II. QUYỀN VÀ NGHĨA VỤ"),
        ("Chương II › Mục 1 › Điều 3", "Điều 3. Quyền của cán bộ"),
        ("Chương II › Mục 2 › Điều 4", "Điều 4. Nghĩa vụ chung"),
    ]


def test_law_points_and_clauses_stay_in_the_article() -> None:
    article = parse_markdown(LAW).sections[3]
    assert article.text == "1. Cán bộ có quyền:\n\na) Được biết các thông tin;\n\nb) Được góp ý.\n\n2. Cán bộ có nghĩa vụ chấp hành."


def test_law_header_and_signature() -> None:
    document = parse_markdown(LAW)
    assert document.issuer == "ỦY BAN NHÂN DÂN XÃ TÂN TRUNG"
    assert document.number == "12/QĐ-UBND"
    assert document.issued_on == datetime.date(2024, 3, 5)
    assert (document.title, document.subtitle) == ("QUY CHẾ", "Thực hiện dân chủ trong hoạt động của cơ quan")
    assert document.signer == "Nguyễn Văn An"
    assert document.signer_title == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
    assert "CỘNG HÒA" not in "".join(section.text for section in document.sections)
    assert document.sections[-1].body == "Chấp hành kỷ luật & nội quy."


def test_chapter_title_on_its_own_heading_line_completes_the_chapter() -> None:
    document = parse_markdown("## Chương I\n\n## QUY ĐỊNH CHUNG\n\nMở đầu chương.\n\n### Điều 1. Phạm vi\n\nA.\n")
    assert _outline(document) == [("Chương I", "Chương I. QUY ĐỊNH CHUNG"), ("Chương I › Điều 1", "Điều 1. Phạm vi")]


def test_letter_points_as_headings_nest_under_their_clause() -> None:
    document = parse_markdown("**Điều 1. Quyền**\n\n**1. Được biết**\n\n**a) Thông tin chung**\n\nNội dung a.\n\n**b) Thông tin riêng**\n\nNội dung b.\n")
    assert _outline(document) == [
        ("Điều 1 › 1 › a)", "a) Thông tin chung"),
        ("Điều 1 › 1 › b)", "b) Thông tin riêng"),
    ]


def test_parts_and_roman_numerals() -> None:
    document = parse_markdown("## PHẦN I\n\n### I. Chung\n\nMột.\n\n### II. Riêng\n\nHai.\n\n## Phần thứ hai. Thi hành\n\nBa.\n")
    assert _outline(document) == [("Phần I › I", "I. Chung"), ("Phần I › II", "II. Riêng"), ("Phần thứ hai", "Phần thứ hai. Thi hành")]


# --------------------------------------------------------------------------
# Headings: what is and is not one
# --------------------------------------------------------------------------


def test_heading_levels_come_from_numbering_not_hash_count() -> None:
    document = parse_markdown("#### 1. Một\n\n## 1.1. Một một\n\nA.\n\n###### 1.2. Một hai\n\nB.\n\n# 2. Hai\n\nC.\n")
    assert _outline(document) == [("1 › 1.1", "1.1. Một một"), ("1 › 1.2", "1.2. Một hai"), ("2", "2. Hai")]


def test_unnumbered_markdown_headings_fall_back_on_level() -> None:
    document = parse_markdown("# Quy định chung\n\nMở.\n\n## Phạm vi\n\nA.\n\n## Đối tượng\n\nB.\n\n# Thi hành\n\nC.\n")
    assert document.title == "Quy định chung"
    assert _outline(document) == [
        ("Phần mở đầu", "Phần mở đầu"),
        ("Phạm vi", "Phạm vi"),
        ("Đối tượng", "Đối tượng"),
        ("Thi hành", "Thi hành"),
    ]


def test_unnumbered_subheading_nests_under_numbered_markdown_heading() -> None:
    document = parse_markdown("## 1. Chung\n\nA.\n\n### Ghi chú\n\nB.\n\n## 2. Riêng\n\nC.\n")
    assert _outline(document) == [("1", "1. Chung"), ("1 › Ghi chú", "Ghi chú"), ("2", "2. Riêng")]


def test_heading_without_body_is_only_in_its_childrens_path() -> None:
    document = parse_markdown("**I. Nội dung**\n\n**1. Một**\n\nA.\n\n**2. Hai**\n\nB.\n")
    assert _outline(document) == [("I › 1", "1. Một"), ("I › 2", "2. Hai")]


def test_heading_with_intro_text_and_children_is_a_section_too() -> None:
    document = parse_markdown("**I. Nội dung**\n\nGiới thiệu.\n\n**1. Một**\n\nA.\n")
    assert _outline(document) == [("I", "I. Nội dung"), ("I › 1", "1. Một")]


def test_last_heading_without_text_is_kept_rather_than_lost() -> None:
    """No one is asked to confirm an empty message: the heading line stays with the text before it."""
    document = parse_markdown("**1. Một**\n\nA.\n\n**2. Hai**\n")
    assert _outline(document) == [("1", "1. Một")]
    assert document.sections[-1].body == "A.\n\n**2. Hai**"
    assert [(issue.code, issue.detail) for issue in document.issues] == [("empty_heading", "2. Hai")]


def test_run_in_heading_variants() -> None:
    document = parse_markdown(
        "**1. Thời gian**: 20 ngày.\n\n**2. Địa điểm:** Hội trường.\n\n**3.** Đây là đoạn văn.\n\n"
        "***4. Kinh phí:*** Ngân sách xã.\n"
    )
    assert _outline(document) == [("1", "1. Thời gian"), ("2", "2. Địa điểm"), ("4", "4. Kinh phí")]
    assert document.sections[0].body == "20 ngày."
    assert document.sections[1].body == "Hội trường.\n\n**3.** Đây là đoạn văn."
    assert document.sections[2].body == "Ngân sách xã."


def test_plain_numbered_lines_are_headings_only_when_they_read_as_titles() -> None:
    document = parse_markdown(
        "1. Mục đích\n\nNội dung.\n\n2. Yêu cầu\n\n1. Cán bộ phải chấp hành quy định.\n\n"
        "Điều 5 của Luật này được áp dụng\n\nII. THỰC HIỆN\n\nXong.\n"
    )
    assert _outline(document) == [("1", "1. Mục đích"), ("2", "2. Yêu cầu"), ("II", "II. THỰC HIỆN")]
    assert "1. Cán bộ phải chấp hành quy định." in document.sections[1].text
    assert "Điều 5 của Luật này được áp dụng" in document.sections[1].text


@pytest.mark.parametrize(
    ("text", "label", "title"),
    [
        ("Chương II. QUYỀN", "Chương II", "QUYỀN"),
        ("CHƯƠNG iv", "Chương IV", ""),
        ("Mục 2: Nghĩa vụ", "Mục 2", "Nghĩa vụ"),
        ("Điều 15. Hiệu lực", "Điều 15", "Hiệu lực"),
        ("ĐIỀU 3 Quyền", "Điều 3", "Quyền"),
        ("Phần thứ nhất", "Phần thứ nhất", ""),
        ("IV. Tổ chức", "IV", "Tổ chức"),
        ("2.1. Công tác", "2.1", "Công tác"),
        ("2.1.3 Chi tiết", "2.1.3", "Chi tiết"),
        ("10. Mười", "10", "Mười"),
        ("đ) Điểm đ", "đ)", "Điểm đ"),
    ],
)
def test_numbering_labels(text: str, label: str, title: str) -> None:
    numbering = parse_numbering(text)
    assert numbering is not None
    assert (numbering.label, numbering.title) == (label, title)


@pytest.mark.parametrize("text", ["Điều này", "Mục tiêu chung", "10.000 đồng", "Chương trình", "IIII. Sai", "Căn cứ"])
def test_not_numbering(text: str) -> None:
    assert parse_numbering(text) is None


def test_numbering_ranks_order_kinds() -> None:
    ranks = [parse_numbering(text).rank for text in ("Phần I", "Chương I", "Mục 1", "Điều 1", "I. A", "1. A", "1.1. A", "1.1.1. A", "a) A")]  # type: ignore[union-attr]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


# --------------------------------------------------------------------------
# Documents without structure, and empty ones
# --------------------------------------------------------------------------


def test_document_without_headings_is_one_section_named_after_its_title() -> None:
    document = parse_markdown("**THÔNG BÁO**\n\n**Về giờ làm việc mùa hè**\n\nTừ ngày 1/5, cơ quan làm việc từ 7 giờ.\n\nĐề nghị thực hiện.\n")
    assert (document.title, document.subtitle) == ("THÔNG BÁO", "Về giờ làm việc mùa hè")
    assert _outline(document) == [("THÔNG BÁO", "THÔNG BÁO")]
    assert document.sections[0].text == "Từ ngày 1/5, cơ quan làm việc từ 7 giờ.\n\nĐề nghị thực hiện."


def test_document_without_title_or_headings_is_the_whole_text() -> None:
    document = parse_markdown("Cơ quan làm việc từ 7 giờ.\n\nĐề nghị thực hiện.\n")
    assert _outline(document) == [("Toàn văn", "Toàn văn")]


@pytest.mark.parametrize("text", ["", "   \n\n  ", "\ufeff"])
def test_empty_text_is_refused(text: str) -> None:
    with pytest.raises(DocumentError, match="không có chữ"):
        parse_markdown(text)


def test_header_and_signature_only_is_refused() -> None:
    with pytest.raises(DocumentError, match="không có nội dung nào để công khai"):
        parse_markdown(
            "Số: 1/KH-UBND\n\nHà Nội, ngày 01 tháng 01 năm 2024\n\n**KẾ HOẠCH**\n\n**Về việc tổ chức hội nghị**\n\n"
            "*Nơi nhận:*\n\n- Như trên;\n- Lưu: VT.\n\n**CHỦ TỊCH**\n\n**Nguyễn Văn An**\n"
        )


# --------------------------------------------------------------------------
# Header details
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "place", "issued_on"),
    [
        ("Tân Trung, ngày tháng 3 năm 2024", "Tân Trung", None),
        ("Tân Trung, ngày ... tháng ... năm 2024", "Tân Trung", None),
        ("Tây Ninh, ngày 07 tháng 3 năm 2023", "Tây Ninh", datetime.date(2023, 3, 7)),
        ("*Thành phố Hồ Chí Minh, ngày 5 tháng 12 năm 2024*", "Thành phố Hồ Chí Minh", datetime.date(2024, 12, 5)),
        ("Hà Nội, ngày 31 tháng 02 năm 2024", "Hà Nội", None),
    ],
)
def test_place_and_date_line(line: str, place: str, issued_on: datetime.date | None) -> None:
    document = parse_markdown(f"Số: 5/TB-UBND\n\n{line}\n\n**THÔNG BÁO**\n\nNội dung.\n")
    assert (document.place, document.issued_on, document.number) == (place, issued_on, "5/TB-UBND")


def test_two_line_issuer_keeps_the_issuing_body() -> None:
    document = parse_markdown("UBND TỈNH TÂY NINH\n\n**THANH TRA TỈNH**\n\nSố: 7/KH-TTr\n\n**KẾ HOẠCH**\n\nNội dung.\n")
    assert document.issuer == "THANH TRA TỈNH"


def test_uppercase_first_line_without_number_or_date_is_the_title() -> None:
    document = parse_markdown("QUY ĐỊNH VỀ GIỜ LÀM VIỆC\n\nCán bộ làm việc từ 7 giờ.\n")
    assert (document.issuer, document.title) == (None, "QUY ĐỊNH VỀ GIỜ LÀM VIỆC")


# --------------------------------------------------------------------------
# Text: NFC, emphasis, light Markdown
# --------------------------------------------------------------------------


def test_nfd_input_comes_out_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", LAW)
    assert decomposed != LAW
    document = parse_markdown(decomposed)
    assert _outline(document) == _outline(parse_markdown(LAW))
    for value in (document.title, document.subtitle, document.issuer, document.signer, *(s.body for s in document.sections), *(s.heading for s in document.sections)):
        assert value is not None and unicodedata.is_normalized("NFC", value)


def test_emphasis_survives_as_light_markdown() -> None:
    document = parse_markdown("**1. Một**\n\nCán bộ **phải** đọc *toàn văn* và ***ký nhận***; giá 5 * 3 = 15_000.\n")
    body = document.sections[0].body
    assert body == "Cán bộ **phải** đọc *toàn văn* và ***ký nhận***; giá 5 \\* 3 = 15\\_000."
    assert document.sections[0].text == "Cán bộ phải đọc toàn văn và ký nhận; giá 5 * 3 = 15_000."


def test_hard_break_inside_paragraph_is_kept() -> None:
    document = parse_markdown("**1. Một**\n\nDòng một  \nDòng hai\n")
    assert document.sections[0].body == "Dòng một\nDòng hai"


def test_light_markdown_round_trip() -> None:
    spans = (Span("Thường "), Span("đậm *sao*", bold=True), Span(" và "), Span("nghiêng\\", italic=True), Span(" "), Span("cả hai", bold=True, italic=True))
    rendered = render_light(spans)
    assert parse_light(rendered) == [Block(BlockKind.PARAGRAPH, spans)]
    assert light_to_plain("- " + rendered) == "- Thường đậm *sao* và nghiêng\\ cả hai"


def test_markers_never_enclose_spaces() -> None:
    assert render_light((Span("Nơi "), Span(" đậm ", bold=True), Span("xong"))) == "Nơi  **đậm** xong"


# --------------------------------------------------------------------------
# Page-break joining and the block-level core
# --------------------------------------------------------------------------


def test_page_break_join_rules() -> None:
    document = parse_markdown(
        "**1. Một**\n\nđầu câu bị cắt ngang\n\nở giữa trang.\n\nCâu đã xong.\n\nkhông nối vì câu trước đã xong.\n\n"
        "Danh sách gồm\n\na) điểm a không bị nối;\n"
    )
    assert document.sections[0].text.split("\n\n") == [
        "đầu câu bị cắt ngang ở giữa trang.",
        "Câu đã xong.",
        "không nối vì câu trước đã xong.",
        "Danh sách gồm",
        "a) điểm a không bị nối;",
    ]


def test_parse_blocks_is_the_common_core() -> None:
    blocks = [
        Block(BlockKind.PARAGRAPH, (Span("KẾ HOẠCH", bold=True),)),
        Block(BlockKind.HEADING, (Span("I. Mục đích"),), level=3),
        Block(BlockKind.PARAGRAPH, (Span("– Gạch đầu dòng gõ tay."),)),
        Block(BlockKind.PARAGRAPH, (Span("Hết\u00a0 ý"), Span("  ."))),
    ]
    document = parse_blocks(blocks)
    assert document.title == "KẾ HOẠCH"
    assert document.sections[0].body == "- Gạch đầu dòng gõ tay.\n\nHết ý ."


def test_plain_text_one_paragraph_per_line() -> None:
    text = "KẾ HOẠCH\nCông khai quy chế\nI. MỤC ĐÍCH\n- Bảo đảm quyền làm chủ;\n- Nâng cao trách\nnhiệm cá nhân.\nII. NỘI DUNG\nCông khai 20 ngày.\n"
    document = parse_plain_text(text)
    assert (document.title, document.subtitle) == ("KẾ HOẠCH", "Công khai quy chế")
    assert _outline(document) == [("I", "I. MỤC ĐÍCH"), ("II", "II. NỘI DUNG")]
    assert document.sections[0].body == "- Bảo đảm quyền làm chủ;\n\n- Nâng cao trách nhiệm cá nhân."


def test_markdown_tables_become_lines() -> None:
    document = parse_markdown("**1. Lịch**\n\n| Việc | Hạn |\n|---|---|\n| Họp | 5/3 |\n")
    assert document.sections[0].text == "Việc | Hạn\n\nHọp | 5/3"


def test_windows_line_endings_change_nothing() -> None:
    text = (FIXTURES / "ke-hoach-qcdc-thanh-tra-tay-ninh-2023.md").read_text(encoding="utf-8")
    assert parse_markdown(text.replace("\n", "\r\n")).content_hash() == parse_markdown(text).content_hash()


_FRAGMENTS = st.sampled_from(
    [
        "\n", "\n\n", "  \n", "**", "*", "***", "_", "# ", "## ", "- ", "1. ", "2.1. ", "I. ", "a) ", "Chương I",
        "Điều 5.", "Mục 1", "Số: 1/KH", "Hà Nội, ngày 1 tháng 2 năm 2024", "KẾ HOẠCH", "Nơi nhận:", "Trên đây là",
        "CHỦ TỊCH", "Nguyễn Văn A", "(Linh)", "|", "---", "`", "\\", ":", ";", ".", "chữ", "Chữ", " ", "\t",
        "\u00a0", "\u200b", "\ufeff", "e\u0301", "😀", "<b>", "&", "    mã", "> ", "```",
        "Điều 11.", "Điều 3 . ", "Điều 44.13.LQ.1. ", "a. ", "QUYẾT ĐỊNH", "(Ban hành kèm theo Quyết định)", "~~",
        "<br>", "[x](https://a.vn)", "của", ",", "Độc lập - Tự do - Hạnh phúc",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=5)), max_size=60))
def test_any_text_parses_or_gets_a_clear_error(parts: list[str]) -> None:
    text = "".join(parts)
    for parse in (parse_markdown, parse_plain_text):
        try:
            document = parse(text)
        except DocumentError as error:
            assert str(error)
            continue
        assert document.sections
        assert [section.ordinal for section in document.sections] == list(range(1, len(document.sections) + 1))
        assert all(section.heading and section.path for section in document.sections)
        assert all(section.body.strip() for section in document.sections), "a section without text"
        assert document.content_hash() == parse(text).content_hash()
