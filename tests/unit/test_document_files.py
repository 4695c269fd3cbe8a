"""Reading document files: the three formats, and every kind of bad input the
clerk may hand over, each refused with a Vietnamese message naming the file."""

from __future__ import annotations

import datetime
import io
import os
import shutil
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest

from bot.domain.document import DocumentError
from bot.services.document_files import MAX_BYTES, DocumentFileError, parse_document_bytes, read_document

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "documents"
TAN_TRUNG = FIXTURES / "ke-hoach-cong-khai-tan-trung-2024.md"


def _docx_bytes(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _refused(data: bytes, filename: str) -> DocumentFileError:
    with pytest.raises(DocumentFileError) as caught:
        parse_document_bytes(data, filename)
    assert isinstance(caught.value, DocumentError)
    assert filename in str(caught.value)
    return caught.value


# --------------------------------------------------------------------------
# Good input
# --------------------------------------------------------------------------


def test_reads_markdown_from_disk(tmp_path: Path) -> None:
    target = tmp_path / TAN_TRUNG.name
    shutil.copy(TAN_TRUNG, target)
    document = read_document(target)
    assert document.title == "KẾ HOẠCH"
    assert len(document.sections) == 6


def test_utf8_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + TAN_TRUNG.read_bytes()
    document = parse_document_bytes(data, "ke-hoach.md")
    assert document.number == "/KH-UBND"


def test_utf16_with_bom_is_accepted() -> None:
    data = TAN_TRUNG.read_text(encoding="utf-8").encode("utf-16")
    assert parse_document_bytes(data, "ke-hoach.md").signer == "Trương Tiến Dũng"


def test_plain_text_file_is_read_line_by_line() -> None:
    data = "KẾ HOẠCH\nCông khai quy chế\nI. MỤC ĐÍCH\nBảo đảm quyền làm chủ.\n".encode()
    document = parse_document_bytes(data, "ke-hoach.TXT")
    assert [(s.path, s.heading) for s in document.sections] == [("I", "I. MỤC ĐÍCH")]


def test_nfd_text_file_comes_out_nfc() -> None:
    data = unicodedata.normalize("NFD", TAN_TRUNG.read_text(encoding="utf-8")).encode()
    document = parse_document_bytes(data, "nfd.md")
    assert document.signer == "Trương Tiến Dũng"
    assert all(unicodedata.is_normalized("NFC", s.body) for s in document.sections)


def _regulation_docx() -> docx.document.Document:
    document = docx.Document()
    header = document.add_table(rows=2, cols=2)
    header.cell(0, 0).text = "ỦY BAN NHÂN DÂN"
    header.cell(0, 0).add_paragraph("XÃ TÂN TRUNG")
    header.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    header.cell(0, 1).add_paragraph("Độc lập - Tự do - Hạnh phúc")
    header.cell(1, 0).text = "Số: 15/QĐ-UBND"
    header.cell(1, 1).text = "Tân Trung, ngày 04 tháng 3 năm 2024"
    document.add_paragraph("QUY CHẾ", style="Title")
    document.add_paragraph().add_run("Thực hiện dân chủ trong hoạt động của cơ quan").bold = True
    document.add_paragraph("Căn cứ Luật Thực hiện dân chủ ở cơ sở;")
    document.add_heading("Chương I", level=1)
    document.add_heading("NHỮNG QUY ĐỊNH CHUNG", level=1)
    document.add_paragraph().add_run("Điều 1. Phạm vi điều chỉnh").bold = True
    body = document.add_paragraph("Quy chế này quy định ")
    body.add_run("quyền làm chủ").bold = True
    body.add_run(" của ")
    body.add_run("cán bộ, công chức").italic = True
    body.add_run(" xã.")
    document.add_paragraph("Công khai toàn văn;", style="List Bullet")
    document.add_paragraph("Lấy ý kiến góp ý.", style="List Bullet")
    run_in = document.add_paragraph()
    run_in.add_run("Điều 2. Hiệu lực:").bold = True
    run_in.add_run(" Quy chế có hiệu lực từ ngày ký.")
    schedule = document.add_table(rows=2, cols=3)
    for column, text in enumerate(("STT", "Việc", "Hạn")):
        schedule.cell(0, column).text = text
    for column, text in enumerate(("1", "Niêm yết", "05/3")):
        schedule.cell(1, column).text = text
    document.add_paragraph("Trên đây là quy chế của cơ quan./.")
    signature = document.add_table(rows=1, cols=2)
    signature.cell(0, 0).text = "Nơi nhận:"
    signature.cell(0, 0).add_paragraph("- Như trên;")
    signature.cell(0, 0).add_paragraph("- Lưu: VT.")
    signature.cell(0, 1).paragraphs[0].add_run("CHỦ TỊCH").bold = True
    signature.cell(0, 1).add_paragraph().add_run("Nguyễn Văn An").bold = True
    return document


def test_docx_is_read_into_the_same_model() -> None:
    document = parse_document_bytes(_docx_bytes(_regulation_docx()), "quy-che.docx")
    assert (document.issuer, document.number, document.place) == ("ỦY BAN NHÂN DÂN XÃ TÂN TRUNG", "15/QĐ-UBND", "Tân Trung")
    assert document.issued_on == datetime.date(2024, 3, 4)
    assert (document.title, document.subtitle) == ("QUY CHẾ", "Thực hiện dân chủ trong hoạt động của cơ quan")
    assert (document.signer, document.signer_title) == ("Nguyễn Văn An", "CHỦ TỊCH")
    assert document.recipients == ["Như trên", "Lưu: VT"]
    assert document.closing == "Trên đây là quy chế của cơ quan./."
    assert [(s.path, s.heading) for s in document.sections] == [
        ("Phần mở đầu", "Phần mở đầu"),
        ("Chương I › Điều 1", "Điều 1. Phạm vi điều chỉnh"),
        ("Chương I › Điều 2", "Điều 2. Hiệu lực"),
    ]
    assert document.sections[1].body == (
        "Quy chế này quy định **quyền làm chủ** của *cán bộ, công chức* xã.\n\n- Công khai toàn văn;\n\n- Lấy ý kiến góp ý."
    )
    # A wide data table reads as labelled lines, one block per row: it fits a phone's width.
    assert document.sections[2].body == "Quy chế có hiệu lực từ ngày ký.\n\nSTT: 1\nViệc: Niêm yết\nHạn: 05/3"


def test_docx_paragraph_style_bold_counts_as_bold() -> None:
    document = docx.Document()
    style = document.styles.add_style("Đề mục đậm", docx.enum.style.WD_STYLE_TYPE.PARAGRAPH)
    style.font.bold = True
    document.add_paragraph("1. Mục đích", style=style)
    document.add_paragraph("Nội dung.")
    document.add_paragraph("2. Yêu cầu", style=style)
    document.add_paragraph("Nội dung khác.")
    parsed = parse_document_bytes(_docx_bytes(document), "de-muc.docx")
    assert [(s.path, s.heading) for s in parsed.sections] == [("1", "1. Mục đích"), ("2", "2. Yêu cầu")]


def test_docx_hard_line_break_and_heading_levels() -> None:
    document = docx.Document()
    title = document.add_paragraph()
    title.add_run("KẾ HOẠCH").bold = True
    title.add_run().add_break()
    title.add_run("Công khai quy chế năm 2024").bold = True
    document.add_heading("Mục đích", level=2)
    document.add_paragraph("Dòng một").add_run().add_break()
    document.paragraphs[-1].add_run("Dòng hai")
    document.add_heading("Thời gian", level=2)
    document.add_paragraph("20 ngày.")
    parsed = parse_document_bytes(_docx_bytes(document), "ke-hoach.docx")
    assert (parsed.title, parsed.subtitle) == ("KẾ HOẠCH", "Công khai quy chế năm 2024")
    assert [(s.path, s.heading, s.body) for s in parsed.sections] == [
        ("Mục đích", "Mục đích", "Dòng một\nDòng hai"),
        ("Thời gian", "Thời gian", "20 ngày."),
    ]


def test_docx_table_of_contents_is_not_read_as_headings() -> None:
    document = docx.Document()
    toc = document.styles.add_style("TOC 1", docx.enum.style.WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("QUY CHẾ").runs[0].bold = True
    document.add_paragraph("Điều 1. Phạm vi\t3", style=toc)
    document.add_paragraph("Điều 2. Đối tượng\t4", style=toc)
    document.add_paragraph().add_run("Điều 1. Phạm vi").bold = True
    document.add_paragraph("Nội dung một.")
    document.add_paragraph().add_run("Điều 2. Đối tượng").bold = True
    document.add_paragraph("Nội dung hai.")
    parsed = parse_document_bytes(_docx_bytes(document), "co-muc-luc.docx")
    assert [(s.heading, s.text) for s in parsed.sections] == [("Điều 1. Phạm vi", "Nội dung một."), ("Điều 2. Đối tượng", "Nội dung hai.")]


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf\n"])
def test_empty_file(data: bytes) -> None:
    assert "trống" in str(_refused(data, "trong.md"))


def test_empty_file_on_disk(tmp_path: Path) -> None:
    target = tmp_path / "trong.docx"
    target.write_bytes(b"")
    with pytest.raises(DocumentFileError, match="trống"):
        read_document(target)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + os.urandom(200), "ảnh"),
        (b"%PDF-1.7\n" + os.urandom(200), "PDF"),
        (b"PK\x03\x04" + os.urandom(200), "nén"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(200), ".doc"),
        (bytes(range(256)) * 8, "nhị phân"),
        (b"Quy ch\x00\x01\x02\x03 " * 20, "nhị phân"),
    ],
)
def test_binary_renamed_as_text(data: bytes, what: str) -> None:
    error = _refused(data, "quy-che.md")
    assert "không phải là văn bản" in str(error) and what in str(error)


def test_random_bytes_renamed_as_text() -> None:
    error = _refused(bytes.fromhex("8f3a00c1ff17e2a9") * 64, "ngau-nhien.txt")
    assert "không phải là văn bản" in str(error)


def _cp1258(text: str) -> bytes:
    """Windows-1258 stores Vietnamese as a base letter (maybe with â ê ô ă ơ ư) plus a tone mark."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    letters: list[list[str]] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and letters:
            letters[-1].append(char)
        else:
            letters.append([char])
    out = []
    for base, *marks in letters:
        shaped = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tones))
        out.append(shaped + "".join(m for m in marks if m in tones))
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Quy ch\xd5 th\xfbc hi\xd6n d\xa9n ch\xf1 \xa7\xe3ng th\xeai", id="TCVN3"),
        pytest.param(b"Quy che\xe1 thu\xefc hie\xe4n da\xe2n chu\xfb \xd1o\xe2ng tho\xf9i", id="VNI"),
        pytest.param(_cp1258("Quy chế thực hiện dân chủ ở cơ sở, đồng thời"), id="Windows-1258"),
    ],
)
def test_legacy_vietnamese_encoding_is_refused_not_guessed(data: bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    error = _refused(b"K\xca HO\xb8CH\n\n" + data * 10, "quy-che-cu.txt")
    assert "bảng mã tiếng Việt cũ" in str(error) and "UTF-8" in str(error)


def test_file_over_ten_megabytes_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "qua-lon.md"
    with target.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(DocumentFileError, match="quá lớn") as caught:
        read_document(target)
    assert "qua-lon.md" in str(caught.value) and "10 MB" in str(caught.value)


def test_bytes_over_ten_megabytes_are_refused() -> None:
    assert "quá lớn" in str(_refused(b"a" * (MAX_BYTES + 1), "lon.md"))


@pytest.mark.parametrize(("filename", "needle"), [("anh.PNG", ".png"), ("bang.xlsx", ".xlsx"), ("ke-hoach", "không có đuôi")])
def test_unknown_extension(filename: str, needle: str) -> None:
    assert needle in str(_refused("Nội dung".encode(), filename))


def test_legacy_word_doc_extension_gets_save_as_advice() -> None:
    assert "Lưu thành" in str(_refused(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "quy-che.doc"))


def test_old_word_file_renamed_docx() -> None:
    assert ".doc" in str(_refused(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "quy-che.docx"))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"This is not a zip file at all", id="not-zip"),
        pytest.param(_docx_bytes(docx.Document())[:500], id="truncated"),
    ],
)
def test_corrupt_docx(data: bytes) -> None:
    assert "bị hỏng" in str(_refused(data, "hong.docx"))


def test_zip_that_is_not_a_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "xin chào")
    assert "bị hỏng" in str(_refused(buffer.getvalue(), "nen.docx"))


def test_docx_without_text_says_so() -> None:
    error = _refused(_docx_bytes(docx.Document()), "rong.docx")
    assert "không có chữ nào" in str(error)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DocumentFileError, match="Không tìm thấy tệp “khong-co.md”"):
        read_document(tmp_path / "khong-co.md")
    folder = tmp_path / "thu-muc.md"
    folder.mkdir()
    with pytest.raises(DocumentFileError, match="thư mục"):
        read_document(folder)


def test_parse_errors_name_the_file() -> None:
    error = _refused("Số: 1/TB\n\nHà Nội, ngày 1 tháng 1 năm 2024\n".encode(), "chi-co-dau.md")
    assert str(error).startswith("Tệp “chi-co-dau.md”: ")
