"""PDF with a text layer is read with the same structure rules; a scan, an encrypted PDF
and a damaged one are refused with what to do."""

from __future__ import annotations

import pytest

from bot.services.document_files import DocumentFileError, parse_document_bytes
from tests.document_corpus import PDF_OUTLINE, PDF_PAGES, text_pdf


def test_text_layer_pdf_has_the_same_structure() -> None:
    document = parse_document_bytes(text_pdf(PDF_PAGES), "quy-che-tiep-dan.pdf")
    assert [(s.path, s.heading) for s in document.sections] == PDF_OUTLINE
    assert [(e.path, e.heading) for e in document.outline] == [
        ("Chương I", "Chương I. QUY ĐỊNH CHUNG"),
        ("Chương II", "Chương II. TỔ CHỨC THỰC HIỆN"),
    ]
    assert (document.number, document.place, document.title, document.signer) == (
        "20/QĐ-UBND", "Tân Trung", "QUY CHẾ", "Lê Văn Bình"
    )
    # Printed lines make one paragraph again, across the page break, without the page numbers.
    assert document.sections[0].text == (
        "Quy chế này quy định việc tiếp công dân tại trụ sở Ủy ban nhân dân xã, bao gồm thời gian, "
        "địa điểm, trách nhiệm của cán bộ tiếp công dân và quyền của công dân đến trụ sở theo quy định của "
        "Luật Tiếp công dân năm 2013."
    )
    assert document.sections[1].text == "1. Thứ Năm hằng tuần, buổi sáng.\n\n2. Ngày 15 hằng tháng, cả ngày."


def test_scanned_pdf_without_text_is_refused_with_what_to_do() -> None:
    with pytest.raises(DocumentFileError) as caught:
        parse_document_bytes(text_pdf([[], []]), "ban-quet.pdf")
    message = str(caught.value)
    assert "ban-quet.pdf" in message and "bản PDF quét" in message and ".docx" in message


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(DocumentFileError, match="mật khẩu"):
        parse_document_bytes(text_pdf(PDF_PAGES, password="bi-mat"), "co-mat-khau.pdf")


@pytest.mark.parametrize("data", [b"%PDF-1.4\n", b"%PDF-1.7\n" + bytes(range(256)) * 4, b"not a pdf"])
def test_damaged_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(DocumentFileError, match="không mở được như tệp PDF"):
        parse_document_bytes(data, "hong.pdf")


@pytest.mark.parametrize("name", ["quy-che.odt", "quy-che.rtf"])
def test_other_office_formats_are_told_to_save_as_docx(name: str) -> None:
    with pytest.raises(DocumentFileError, match=r"Lưu thành \(Save As\).*\.docx"):
        parse_document_bytes(b"{\\rtf1 ...}", name)


def test_running_header_and_footer_on_every_page_are_dropped() -> None:
    header, footer = "QUY CHẾ TIẾP CÔNG DÂN - UBND XÃ TÂN TRUNG", "Trang {page}/3"
    articles = [
        ["QUY CHẾ", "Tiếp công dân", "Điều 1. Phạm vi", "Quy chế này quy định việc tiếp công dân."],
        ["Điều 2. Thời gian", "Thứ Năm hằng tuần."],
        ["Điều 3. Địa điểm", "Trụ sở Ủy ban nhân dân xã."],
    ]
    pages = [[header, *lines, footer.format(page=number)] for number, lines in enumerate(articles, start=1)]
    document = parse_document_bytes(text_pdf(pages), "co-tieu-de-trang.pdf")
    assert [(s.heading, s.text) for s in document.sections] == [
        ("Điều 1. Phạm vi", "Quy chế này quy định việc tiếp công dân."),
        ("Điều 2. Thời gian", "Thứ Năm hằng tuần."),
        ("Điều 3. Địa điểm", "Trụ sở Ủy ban nhân dân xã."),
    ]
