"""The built corpus: every shape of agency document, each with its expected outline."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain.document import ParsedDocument
from bot.services.document_files import parse_document_bytes
from tests.document_corpus import (
    DECISION_TEXT_LINES,
    DECISION_TEXT_OUTLINE,
    WORD_SAMPLES,
    Sample,
    decision_with_regulation,
    numbering_variants,
    plan_with_roman_parts,
)


def _parse(sample: Sample) -> ParsedDocument:
    return parse_document_bytes(sample.data, sample.name)


def _outline(document: ParsedDocument) -> list[tuple[str, str]]:
    return [(s.path, s.heading) for s in document.sections]


@pytest.mark.parametrize("build", WORD_SAMPLES, ids=lambda build: build.__name__)
def test_every_word_sample_has_its_outline(build: Callable[[], Sample]) -> None:
    sample = build()
    document = _parse(sample)
    assert _outline(document) == sample.outline
    assert [(e.path, e.heading) for e in document.outline] == sample.chapters
    assert all(s.body.strip() for s in document.sections)


def test_word_numbering_gives_articles_khoan_and_diem_their_numbers() -> None:
    document = _parse(decision_with_regulation())
    public = document.sections[2]
    assert public.text == (
        "1. Kế hoạch công tác hằng năm;\n\n2. Tài chính, tài sản công:\n\na) dự toán ngân sách;\n\nb) quyết toán ngân sách."
    )
    # Khoản restart at 1 in every article (lvlRestart under "Điều %1.").
    assert document.sections[1].text == "1. Cán bộ, công chức làm việc tại Sở\n\n2. Người lao động hợp đồng"


def test_start_values_restarts_style_links_and_legal_numbering() -> None:
    document = _parse(numbering_variants())
    bodies = {s.path: s.text for s in document.sections}
    assert bodies["Điều 5"] == "1. Buổi sáng từ 7 giờ 30\n\n2. Buổi chiều từ 13 giờ 30"
    assert bodies["Điều 6"] == "1. Nghỉ giữa giờ 15 phút\n\n2. Nghỉ trưa 90 phút"
    assert bodies["Điều 7"] == "I. Bảo đảm sức khỏe\n\n1.1. Sắp xếp ca trực"


def test_decision_goes_to_metadata_and_the_regulation_is_the_document() -> None:
    document = _parse(decision_with_regulation())
    assert (document.title, document.subtitle) == ("QUY CHẾ", "Thực hiện dân chủ trong hoạt động của Sở Khoa học và Công nghệ")
    assert document.adopted_by is not None and document.adopted_by.startswith("Ban hành kèm theo Quyết định số 125/QĐ-SKHCN")
    assert document.number == "125/QĐ-SKHCN"
    assert document.signer == "Trần Minh Khôi"
    assert document.recipients == ["Như Điều 3", "Sở Nội vụ", "Lưu: VT, VP"]
    decision = document.decision
    assert decision is not None
    assert (decision.title, decision.number, decision.signer, decision.signer_title) == (
        "QUYẾT ĐỊNH", "125/QĐ-SKHCN", "Trần Minh Khôi", "GIÁM ĐỐC"
    )
    assert decision.issued_on is not None and decision.issued_on.isoformat() == "2026-11-02"
    assert [a.heading for a in decision.articles][-3:] == ["Điều 1", "Điều 2", "Điều 3"]
    assert decision.articles[-3].text.startswith("Ban hành kèm theo Quyết định này Quy chế")
    everything = "\n".join(s.text for s in document.sections)
    for leftover in ("Độc lập", "Nơi nhận", "GIÁM ĐỐC", "Ban hành kèm theo", "Căn cứ", "Trần Minh Khôi"):
        assert leftover not in everything


def test_footnote_is_numbered_and_kept_at_the_end_of_its_section() -> None:
    document = _parse(decision_with_regulation())
    assert document.sections[0].text == (
        "Quy chế này quy định việc thực hiện dân chủ trong hoạt động của Sở.[1]\n\n[1] Theo Luật số 10/2022/QH15."
    )


def test_word_tables_keep_their_rows() -> None:
    document = _parse(decision_with_regulation())
    assert document.sections[3].text == (
        "Hình thức | Thời hạn\n\nNiêm yết | 20 ngày liên tục\n\nKênh Công khai | Suốt đợt công khai"
    )
    assert document.sections[4].text == (
        "STT: 1\nViệc: Niêm yết\nĐơn vị: Văn phòng\nHạn: 05/11\n\nSTT: 2\nViệc: Gửi tin\nĐơn vị: Tổ CNTT\nHạn: 06/11"
    )


def test_plan_bullets_and_page_break_in_word() -> None:
    document = _parse(plan_with_roman_parts())
    assert document.sections[0].text == (
        "- Bảo đảm quyền được biết của cán bộ, công chức;\n\n- Nâng cao trách nhiệm của người đứng đầu."
    )
    assert document.sections[1].text == "Công khai toàn văn Quy chế theo quy định của Luật Thực hiện dân chủ ở cơ sở năm 2022."
    assert (document.number, document.signer, document.closing) == (
        "15/KH-UBND", "Trương Tiến Dũng", "Trên đây là kế hoạch công khai của Ủy ban nhân dân xã./."
    )


@pytest.mark.parametrize(("name", "separator"), [("quyet-dinh.txt", "\n"), ("quyet-dinh.md", "\n\n")])
def test_decision_with_regulation_as_text(name: str, separator: str) -> None:
    document = parse_document_bytes(separator.join(DECISION_TEXT_LINES).encode(), name)
    assert _outline(document) == DECISION_TEXT_OUTLINE
    assert [(e.path, e.heading) for e in document.outline] == [
        ("Chương I", "Chương I. NHỮNG QUY ĐỊNH CHUNG"),
        ("Chương II", "Chương II. TỔ CHỨC THỰC HIỆN"),
    ]
    assert (document.title, document.number, document.signer) == ("QUY CHẾ", "12/QĐ-UBND", "Nguyễn Văn An")
    assert document.recipients == ["Như Điều 3", "Lưu: VT"]
    assert document.decision is not None
    assert [a.heading for a in document.decision.articles] == ["Điều 1", "Điều 2", "Điều 3"]
    assert document.decision.articles[2].text == "Văn phòng và cán bộ, công chức xã chịu trách nhiệm thi hành Quyết định này./."


def test_codified_law_in_word_keeps_links_and_struck_text() -> None:
    from tests.document_corpus import codified_law

    document = _parse(codified_law())
    assert document.sections[1].text == "Tài sản công phải được sử dụng đúng mục đích, tiết kiệm, chống lãng phí."
    assert document.sections[2].body == (
        "Sử dụng đúng tiêu chuẩn, định mức.\n\n"
        "Xem toàn văn tại Bộ pháp điển (https://phapdien.moj.gov.vn) (bản ~~cũ~~ mới)."
    )


def test_decision_followed_by_its_regulation_without_an_adoption_line() -> None:
    lines = [line for line in DECISION_TEXT_LINES if not line.startswith("(Ban hành kèm theo")]
    document = parse_document_bytes("\n".join(lines).encode(), "quyet-dinh.txt")
    assert _outline(document) == DECISION_TEXT_OUTLINE
    assert document.decision is not None and len(document.decision.articles) == 3
    assert document.adopted_by is None


def test_a_decision_alone_keeps_its_articles_as_sections() -> None:
    lines = DECISION_TEXT_LINES[: DECISION_TEXT_LINES.index("Nguyễn Văn An") + 1]
    document = parse_document_bytes("\n".join(lines).encode(), "quyet-dinh.txt")
    assert document.decision is None
    assert document.title == "QUYẾT ĐỊNH"
    assert [s.heading for s in document.sections][-3:] == ["Điều 1", "Điều 2", "Điều 3"]


def test_the_sample_regulation_rebuilt_with_word_numbering_gives_the_same_sections() -> None:
    """Every article, khoản and điểm of the 40-article sample numbered by Word instead of typed:
    the importer must send exactly the same sections."""
    from pathlib import Path

    from bot.services.document_files import read_document
    from tests.document_corpus import word_copy_of

    original = read_document(Path(__file__).resolve().parents[2] / "content" / "quy-che-dan-chu.md")
    word = parse_document_bytes(word_copy_of(original.sections, original.outline), "quy-che-tu-danh-so.docx")
    assert [(s.path, s.heading) for s in word.sections] == [(s.path, s.heading) for s in original.sections]
    assert [(e.path, e.heading) for e in word.outline] == [(e.path, e.heading) for e in original.outline]
    assert [s.body for s in word.sections] == [s.body for s in original.sections]
