"""Structure as agencies actually type it: heading variants, titles of chapters,
codified law, and the text a Markdown or plain-text file must not lose."""

from __future__ import annotations

import pytest

from bot.domain.document import ParsedDocument, parse_markdown, parse_plain_text


def _outline(document: ParsedDocument) -> list[tuple[str, str]]:
    return [(section.path, section.heading) for section in document.sections]


def _both(text: str) -> list[ParsedDocument]:
    """The same lines as a plain-text export (one paragraph a line) and as Markdown (blank line between)."""
    return [parse_plain_text(text), parse_markdown(text.replace("\n", "\n\n"))]


# --------------------------------------------------------------------------
# Heading variants (point 3)
# --------------------------------------------------------------------------

VARIANTS = """\
QUY CHẾ
Điều 1. Phạm vi
Nội dung một.
Điều 3 . Nguyên tắc
Nội dung ba.
Điều 8. Trách nhiệm của Hiệu trưởng.
Hiệu trưởng chịu trách nhiệm chung.
Điều 11.
Hiệu lực thi hành
Quy chế có hiệu lực từ ngày ký.
Điều 12. Hình thức công khai
a. niêm yết tại bảng tin;
b. gửi qua thư điện tử.
Điều 13. Nơi công khai
1. Niêm yết tại bảng tin
2. Gửi qua thư điện tử
"""


@pytest.mark.parametrize("document", _both(VARIANTS), ids=["txt", "md"])
def test_every_heading_variant_opens_its_article(document: ParsedDocument) -> None:
    assert _outline(document) == [
        ("Điều 1", "Điều 1. Phạm vi"),
        ("Điều 3", "Điều 3. Nguyên tắc"),
        ("Điều 8", "Điều 8. Trách nhiệm của Hiệu trưởng"),
        ("Điều 11", "Điều 11. Hiệu lực thi hành"),
        ("Điều 12", "Điều 12. Hình thức công khai"),
        ("Điều 13", "Điều 13. Nơi công khai"),
    ]
    by_path = {section.path: section for section in document.sections}
    assert by_path["Điều 11"].text == "Quy chế có hiệu lực từ ngày ký."
    assert by_path["Điều 12"].text == "a. niêm yết tại bảng tin;\n\nb. gửi qua thư điện tử."
    # Numbered lines without a full stop are khoản of the article, not empty sections of their own.
    assert by_path["Điều 13"].text == "1. Niêm yết tại bảng tin\n\n2. Gửi qua thư điện tử"


@pytest.mark.parametrize("document", _both(VARIANTS), ids=["txt", "md"])
def test_no_section_is_empty_or_headless(document: ParsedDocument) -> None:
    assert all(section.body.strip() and section.heading.strip() for section in document.sections)


def test_khoan_and_diem_inside_an_article_stay_its_body_but_plan_numbers_stay_headings() -> None:
    document = parse_plain_text(
        "KẾ HOẠCH\nI. MỤC ĐÍCH\nBảo đảm quyền làm chủ.\n1. Nội dung công khai\nQuy chế dân chủ.\n"
        "Điều 5. Quyền\n1. Được biết\na) Thông tin chung\n2. Được góp ý\n"
    )
    assert _outline(document) == [("I", "I. MỤC ĐÍCH"), ("I › 1", "1. Nội dung công khai"), ("Điều 5", "Điều 5. Quyền")]
    assert document.sections[-1].text == "1. Được biết\n\na) Thông tin chung\n\n2. Được góp ý"


def test_bold_label_only_article_opens_an_article_with_its_run_in_text() -> None:
    document = parse_markdown(
        "**Điều 1.** Ban hành kèm theo Quyết định này Quy chế dân chủ.\n\n"
        "**Điều 2.** Quyết định có hiệu lực kể từ ngày ký.\n"
    )
    assert [(s.path, s.heading, s.text) for s in document.sections] == [
        ("Điều 1", "Điều 1", "Ban hành kèm theo Quyết định này Quy chế dân chủ."),
        ("Điều 2", "Điều 2", "Quyết định có hiệu lực kể từ ngày ký."),
    ]


def test_plain_article_with_its_sentence_on_the_same_line() -> None:
    document = parse_plain_text(
        "Điều 1. Ban hành kèm theo Quyết định này Quy chế dân chủ; Quy chế áp dụng cho toàn cơ quan.\n"
        "Điều 2. Chánh Văn phòng chịu trách nhiệm thi hành Quyết định này./.\n"
    )
    assert [(s.heading, s.text) for s in document.sections] == [
        ("Điều 1", "Ban hành kèm theo Quyết định này Quy chế dân chủ; Quy chế áp dụng cho toàn cơ quan."),
        ("Điều 2", "Chánh Văn phòng chịu trách nhiệm thi hành Quyết định này./."),
    ]


# --------------------------------------------------------------------------
# Titles of chapters, Mục and parts (point 4)
# --------------------------------------------------------------------------

CHAPTERS = """\
QUY CHẾ
Chương I
NHỮNG QUY ĐỊNH CHUNG
Điều 1. Phạm vi
Nội dung một.
Chương II
QUYỀN VÀ NGHĨA VỤ
Mục 1
QUYỀN CỦA CÁN BỘ
Điều 2. Quyền được biết
Nội dung hai.
Mục 2. NGHĨA VỤ
Điều 3. Nghĩa vụ chấp hành
Nội dung ba.
"""


@pytest.mark.parametrize("document", _both(CHAPTERS), ids=["txt", "md"])
def test_chapter_and_muc_titles_are_kept_in_the_outline(document: ParsedDocument) -> None:
    assert _outline(document) == [
        ("Chương I › Điều 1", "Điều 1. Phạm vi"),
        ("Chương II › Mục 1 › Điều 2", "Điều 2. Quyền được biết"),
        ("Chương II › Mục 2 › Điều 3", "Điều 3. Nghĩa vụ chấp hành"),
    ]
    assert [(e.path, e.heading, e.first) for e in document.outline] == [
        ("Chương I", "Chương I. NHỮNG QUY ĐỊNH CHUNG", 1),
        ("Chương II", "Chương II. QUYỀN VÀ NGHĨA VỤ", 2),
        ("Chương II › Mục 1", "Mục 1. QUYỀN CỦA CÁN BỘ", 2),
        ("Chương II › Mục 2", "Mục 2. NGHĨA VỤ", 3),
    ]


def test_roman_parts_keep_their_titles() -> None:
    document = parse_markdown("**PHẦN I**\n\n**QUY ĐỊNH CHUNG**\n\n**I. Mục đích**\n\nMột.\n\n**II. Yêu cầu**\n\nHai.\n")
    assert [(e.path, e.heading) for e in document.outline] == [("Phần I", "PHẦN I. QUY ĐỊNH CHUNG")]


def test_outline_changes_the_content_hash() -> None:
    renamed = CHAPTERS.replace("NHỮNG QUY ĐỊNH CHUNG", "QUY ĐỊNH CHUNG")
    assert parse_plain_text(renamed).content_hash() != parse_plain_text(CHAPTERS).content_hash()


# --------------------------------------------------------------------------
# Codified law (point 5)
# --------------------------------------------------------------------------


def test_codified_articles_keep_their_full_label() -> None:
    document = parse_plain_text(
        "Điều 44.13.LQ.1. Phạm vi điều chỉnh\nLuật này quy định về quản lý tài sản công.\n"
        "Điều 44.13.LQ.2. Đối tượng áp dụng\nCơ quan nhà nước.\n"
    )
    assert _outline(document) == [
        ("Điều 44.13.LQ.1", "Điều 44.13.LQ.1. Phạm vi điều chỉnh"),
        ("Điều 44.13.LQ.2", "Điều 44.13.LQ.2. Đối tượng áp dụng"),
    ]


def test_heading_glued_to_the_previous_sentence_is_split_off() -> None:
    document = parse_plain_text(
        "Điều 44.13.LQ.3. Nguyên tắc quản lý\nTài sản công phải được sử dụng tiết kiệm, chống lãng phí."
        "Điều 44.13.TT.7.4. Nguyên tắc sử dụng\nSử dụng đúng mục đích.\n"
    )
    assert _outline(document) == [
        ("Điều 44.13.LQ.3", "Điều 44.13.LQ.3. Nguyên tắc quản lý"),
        ("Điều 44.13.TT.7.4", "Điều 44.13.TT.7.4. Nguyên tắc sử dụng"),
    ]
    assert document.sections[0].text == "Tài sản công phải được sử dụng tiết kiệm, chống lãng phí."


def test_glued_heading_inside_a_markdown_paragraph() -> None:
    document = parse_markdown("**Điều 1. Một**\n\nNội dung một.Điều 2. Hai  \nNội dung hai.\n")
    assert [(s.heading, s.text) for s in document.sections] == [("Điều 1. Một", "Nội dung một."), ("Điều 2. Hai", "Nội dung hai.")]


def test_a_reference_to_an_article_inside_a_sentence_is_not_split() -> None:
    document = parse_plain_text("Điều 1. Một\nThực hiện theo quy định tại Điều 5. Luật này áp dụng chung.\n")
    assert len(document.sections) == 1


# --------------------------------------------------------------------------
# Text kept from Markdown and plain text (point 6)
# --------------------------------------------------------------------------


def test_links_keep_their_address() -> None:
    document = parse_markdown(
        "**Điều 1. Nơi đăng**\n\nXem [Cổng thông tin](https://binhan.gov.vn/qc) và <https://khcn.binhan.gov.vn>.\n"
    )
    assert document.sections[0].text == (
        "Xem Cổng thông tin (https://binhan.gov.vn/qc) và https://khcn.binhan.gov.vn."
    )


def test_strikethrough_is_kept_as_light_markdown() -> None:
    document = parse_markdown("**Điều 1. Sửa đổi**\n\nThời hạn ~~15 ngày~~ 20 ngày.\n")
    assert document.sections[0].body == "Thời hạn ~~15 ngày~~ 20 ngày."
    assert document.sections[0].text == "Thời hạn 15 ngày 20 ngày."


def test_br_in_a_markdown_table_is_a_line_break() -> None:
    document = parse_markdown("**Điều 1. Ban**\n\n| Chức danh | Người |\n|---|---|\n| Trưởng ban | Ông A<br>Bà B |\n")
    assert document.sections[0].text == "Chức danh | Người\n\nTrưởng ban | Ông A\nBà B"
    assert "&lt;" not in document.sections[0].body and "<br>" not in document.sections[0].body


def test_wide_markdown_table_reads_as_labelled_lines() -> None:
    document = parse_markdown(
        "**Điều 1. Lịch**\n\n| STT | Việc | Hạn | Đơn vị |\n|---|---|---|---|\n| 1 | Niêm yết | 05/3 | Văn phòng |\n"
        "| 2 | Gửi tin | 06/3 |  |\n"
    )
    assert document.sections[0].text == (
        "STT: 1\nViệc: Niêm yết\nHạn: 05/3\nĐơn vị: Văn phòng\n\nSTT: 2\nViệc: Gửi tin\nHạn: 06/3"
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Cán bộ thực hiện theo quy định của", "Luật Thực hiện dân chủ ở cơ sở năm 2022."),
        ("Cán bộ, công chức, người lao động,", "Người lao động hợp đồng cùng thực hiện."),
        ("đầu câu bị cắt ngang", "ở giữa trang."),
    ],
)
@pytest.mark.parametrize("parse", [parse_plain_text, parse_markdown], ids=["txt", "md"])
def test_page_break_is_rejoined_whatever_the_case_of_the_next_line(parse, before: str, after: str) -> None:  # type: ignore[no-untyped-def]
    separator = "\n" if parse is parse_plain_text else "\n\n"
    document = parse(separator.join(["Điều 1. Một", "Câu trước.", before, after, "Câu sau."]) + "\n")
    assert document.sections[0].text == f"Câu trước.\n\n{before} {after}\n\nCâu sau."


def test_capitalised_line_after_a_short_unpunctuated_item_is_not_joined() -> None:
    document = parse_plain_text("Điều 1. Một\nNiêm yết tại bảng tin\nGửi qua thư điện tử\n")
    assert document.sections[0].text == "Niêm yết tại bảng tin\n\nGửi qua thư điện tử"


@pytest.mark.parametrize("parse", [parse_plain_text, parse_markdown], ids=["txt", "md"])
def test_adoption_line_is_metadata_not_a_section(parse) -> None:  # type: ignore[no-untyped-def]
    separator = "\n" if parse is parse_plain_text else "\n\n"
    lines = [
        "QUY CHẾ",
        "Thực hiện dân chủ trong hoạt động của cơ quan",
        "(Ban hành kèm theo Quyết định số 12/QĐ-UBND ngày 05 tháng 3 năm 2024 của Chủ tịch UBND xã)",
        "Điều 1. Phạm vi",
        "Nội dung.",
    ]
    document = parse(separator.join(lines) + "\n")
    assert (document.title, document.subtitle) == ("QUY CHẾ", "Thực hiện dân chủ trong hoạt động của cơ quan")
    assert document.adopted_by == "Ban hành kèm theo Quyết định số 12/QĐ-UBND ngày 05 tháng 3 năm 2024 của Chủ tịch UBND xã"
    assert _outline(document) == [("Điều 1", "Điều 1. Phạm vi")]


def test_markdown_footnotes_are_numbered_at_the_end_of_their_section() -> None:
    document = parse_markdown(
        "**Điều 1. Một**\n\nNội dung[^luat] và thêm[^x], lại[^x].\n\n**Điều 2. Hai**\n\nHai[^x].\n\n"
        "[^luat]: Theo Luật số 10/2022/QH15.\n[^x]: Ghi chú *riêng*.\n"
    )
    assert [s.body for s in document.sections] == [
        "Nội dung[1] và thêm[2], lại[2].\n\n[1] Theo Luật số 10/2022/QH15.\n\n[2] Ghi chú *riêng*.",
        "Hai[2].\n\n[2] Ghi chú *riêng*.",
    ]


@pytest.mark.parametrize(
    ("line", "heading"),
    [("Chương I NHỮNG QUY ĐỊNH CHUNG", "Chương I. NHỮNG QUY ĐỊNH CHUNG"), ("ĐIỀU 3 Quyền", "ĐIỀU 3. Quyền")],
)
def test_a_label_without_separator_reads_with_one(line: str, heading: str) -> None:
    document = parse_plain_text(f"{line}\nNội dung.\n")
    assert document.sections[0].heading == heading
