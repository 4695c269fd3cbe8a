"""What the clerk is told about a document's structure before staff see it."""

from __future__ import annotations

import datetime

from bot.domain.document import Decision, DecisionArticle, parse_markdown, parse_plain_text
from bot.domain.document_check import summary_lines, warnings
from bot.domain.document_context import context_text


def _articles(numbers: list[int], *, title: str = "QUY CHẾ", body: str = "Nội dung.") -> str:
    return "\n".join([title, *(f"Điều {n}. Tiêu đề {n}\n{body}" for n in numbers)]) + "\n"


def test_a_clean_regulation_has_no_warning() -> None:
    assert warnings(parse_plain_text(_articles([1, 2, 3, 4]))) == []


def test_a_gap_in_article_numbers_is_named() -> None:
    assert warnings(parse_plain_text(_articles([6, 7, 9]))) == ["Số điều bị nhảy: sau Điều 7 là Điều 9."]


def test_a_repeated_article_number_is_named() -> None:
    assert warnings(parse_plain_text(_articles([1, 2, 2]))) == ["Số điều bị lặp: Điều 2 xuất hiện hơn một lần."]


def test_a_regulation_without_articles_is_flagged() -> None:
    document = parse_plain_text("QUY CHẾ\nPhạm vi điều chỉnh\nQuy chế này quy định việc thực hiện dân chủ.\n")
    assert warnings(document) == [
        "Văn bản có tên “QUY CHẾ” nhưng không tìm thấy điều nào (“Điều 1.”, “Điều 2.”…): "
        "có thể số điều do Word tự đánh hoặc tiêu đề bị gõ khác thường."
    ]


def test_a_plan_without_articles_is_not_flagged() -> None:
    assert warnings(parse_plain_text("KẾ HOẠCH\nI. MỤC ĐÍCH\nBảo đảm quyền làm chủ.\n")) == []


def test_a_section_far_longer_than_the_rest_is_flagged() -> None:
    long_body = "Cán bộ thực hiện đúng quy định về công khai. " * 120
    text = _articles([1, 2, 3]) + f"Điều 4. Dài\n{long_body}\n"
    [warning] = warnings(parse_plain_text(text))
    assert warning.startswith("Mục 4 “Điều 4. Dài” dài 5") and "gấp nhiều lần" in warning


def test_header_or_signature_text_inside_a_section_is_flagged() -> None:
    document = parse_markdown(
        "**Điều 1. Một**\n\nNội dung.\n\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n\n**Điều 2. Hai**\n\nNội dung hai.\n\n"
        "(Đã ký)\n\n**Điều 3. Ba**\n\nHết.\n"
    )
    assert warnings(document) == [
        "Mục 1 “Điều 1. Một” có dòng giống phần đầu hoặc phần chữ ký của văn bản: “CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM”.",
        "Mục 2 “Điều 2. Hai” có dòng giống phần đầu hoặc phần chữ ký của văn bản: “(Đã ký)”.",
    ]


def test_an_empty_heading_is_reported() -> None:
    assert warnings(parse_markdown("**1. Một**\n\nA.\n\n**2. Hai**\n")) == [
        "Tiêu đề “2. Hai” không có nội dung; đã để nó ở cuối mục trước."
    ]


def test_summary_lists_chapters_with_their_titles_and_articles() -> None:
    document = parse_plain_text(
        "QUY CHẾ\nChương I\nQUY ĐỊNH CHUNG\nĐiều 1. A\nMột.\nĐiều 2. B\nHai.\nChương II\nTHI HÀNH\nĐiều 3. C\nBa.\n"
    )
    assert summary_lines(document) == [
        "Cấu trúc tìm thấy: 2 chương, 3 điều, 3 mục sẽ gửi cán bộ.",
        "  Chương I. QUY ĐỊNH CHUNG — 2 mục (Điều 1–2)",
        "  Chương II. THI HÀNH — 1 mục (Điều 3)",
    ]


def test_context_for_staff_names_the_decision_once() -> None:
    decision = Decision(
        title="QUYẾT ĐỊNH",
        number="12/QĐ-UBND",
        issued_on=datetime.date(2024, 3, 5),
        signer="Nguyễn Văn An",
        signer_title="CHỦ TỊCH",
        articles=[DecisionArticle("Điều 1", "Ban hành kèm theo Quyết định này Quy chế."), DecisionArticle("Điều 2", "Có hiệu lực kể từ ngày ký.")],
    )
    assert context_text("Ban hành kèm theo Quyết định số 12/QĐ-UBND", decision) == (
        "📌 Ban hành kèm theo Quyết định số 12/QĐ-UBND\n"
        "Quyết định số 12/QĐ-UBND ngày 05 tháng 3 năm 2024 (CHỦ TỊCH Nguyễn Văn An):\n"
        "Điều 1. Ban hành kèm theo Quyết định này Quy chế.\n"
        "Điều 2. Có hiệu lực kể từ ngày ký."
    )
    assert context_text(None, None) is None
