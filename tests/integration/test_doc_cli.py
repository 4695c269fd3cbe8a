"""`congkhai doc import|list|show` against a real database, through the real command line.

What the clerk sees: a dry run that shows what each person will receive (and writes
nothing), versioned imports, the sections read back, and a clear Vietnamese reason,
naming the file, for every file that cannot be imported.
"""

from __future__ import annotations

import asyncio
import json
import unicodedata
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.db.engine import create_engine, session_factory
from bot.db.models import AuditEvent, Document, Section
from bot.domain.chunking import telegram_visible_text, utf16_len
from bot.domain.limits import (
    TELEGRAM_LAST_RESERVE,
    TELEGRAM_TEXT_LIMIT,
    ZALO_LAST_RESERVE,
    ZALO_TEXT_LIMIT,
)
from tests.cli_helpers import congkhai

REPO = Path(__file__).resolve().parents[2]
TAY_NINH = REPO / "tests" / "fixtures" / "documents" / "ke-hoach-qcdc-thanh-tra-tay-ninh-2023.md"
TAN_TRUNG = REPO / "tests" / "fixtures" / "documents" / "ke-hoach-cong-khai-tan-trung-2024.md"
SAMPLE = REPO / "content" / "quy-che-dan-chu.md"

# The numbered headings of the Tây Ninh plan, as the plan itself writes them.
TAY_NINH_HEADINGS = [
    "1. Mục đích, yêu cầu",
    "2.1. Công tác lãnh đạo, chỉ đạo của cấp ủy, lãnh đạo cơ quan về thực hiện dân chủ tại cơ quan",
    "2.2. Công tác triển khai, tuyên truyền",
    "2.3. Công tác kiểm tra, giám sát",
    "2.4. Công tác thi đua, khen thưởng về thực hiện dân chủ tại cơ quan",
    "3. Hoạt động của Ban Chỉ đạo cơ quan",
    "4. Chế độ thông tin báo cáo",
    "5. Tổ chức thực hiện",
]


# --- helpers -------------------------------------------------------------------


def dry_run(path: Path, db_url: str) -> dict[str, Any]:
    result = congkhai(db_url, "doc", "import", str(path), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def doc_list(db_url: str) -> list[dict[str, Any]]:
    result = congkhai(db_url, "doc", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def table_counts(db_url: str) -> dict[str, int]:
    """Rows in the tables an import writes to."""

    async def read() -> dict[str, int]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                return {
                    model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
                    for model in (Document, Section, AuditEvent)
                }
        finally:
            await engine.dispose()

    return asyncio.run(read())


def windows_1258(text: str) -> bytes:
    """``text`` as a Windows-1258 editor saves it.

    Windows-1258 has the base letters â ê ô ă ơ ư đ but no precomposed tone marks:
    tones are combining characters after the letter. So ``text.encode("cp1258")``
    of real Vietnamese fails on ``ề``; this is what the codec can actually hold.
    """
    shapes = "\u0302\u0306\u031b"  # circumflex, breve, horn: part of the letter in cp1258
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        shape = "".join(mark for mark in parts[1:] if mark in shapes)
        tone = "".join(mark for mark in parts[1:] if mark not in shapes)
        out.append(unicodedata.normalize("NFC", parts[0] + shape) + tone)
    return "".join(out).encode("cp1258")


def assert_clean_refusal(result: Any, filename: str) -> None:
    assert result.exit_code == 1, result.output
    assert filename in result.output
    assert "Không nhập được" in result.output
    assert "Traceback" not in result.output


# --- dry run -------------------------------------------------------------------


def test_dry_run_of_the_tay_ninh_plan_shows_its_structure_and_writes_nothing(db_url: str) -> None:
    before = table_counts(db_url)
    data = dry_run(TAY_NINH, db_url)

    assert {"title", "number", "issuer", "issued_on", "signer", "recipients", "sections"} <= data.keys()
    assert data["title"] == "KẾ HOẠCH"
    assert data["subtitle"] == "Thực hiện Quy chế dân chủ năm 2023"
    assert data["number"] == "/KH-TTr"
    assert data["issued_on"] == "2023-03-07"
    assert data["place"] == "Tây Ninh"
    assert data["signer_title"] == "CHÁNH THANH TRA"
    assert "Sở Nội vụ" in data["recipients"]
    assert "Liên đoàn lao động tỉnh" in data["recipients"]

    sections = data["sections"]
    for section in sections:
        assert {"ordinal", "path", "heading", "text", "chunks"} <= section.keys()
        assert set(section["chunks"]) == {"telegram", "zalo"}
        assert section["chunks"]["telegram"] and section["chunks"]["zalo"]
    assert [s["ordinal"] for s in sections] == list(range(1, len(sections) + 1))
    # The preamble before "1. Mục đích, yêu cầu" is a section of its own, then the plan's headings in order.
    assert "Kế hoạch số 19-KH/BCĐ ngày 08/02/2023" in sections[0]["text"]
    assert [s["heading"] for s in sections[1:]] == TAY_NINH_HEADINGS
    # "2. Nội dung thực hiện" has no text of its own: it is the parent of 2.1–2.4.
    assert [s["path"] for s in sections if s["heading"].startswith("2.")] == [
        "2 › 2.1", "2 › 2.2", "2 › 2.3", "2 › 2.4",
    ]
    assert "Chánh Văn phòng tham mưu" in sections[-1]["text"]
    # The signature block and "Nơi nhận" are metadata, not something staff must confirm.
    assert all("Nơi nhận" not in s["text"] for s in sections)

    assert doc_list(db_url) == []
    assert table_counts(db_url) == before


def test_dry_run_of_the_tan_trung_plan(db_url: str) -> None:
    data = dry_run(TAN_TRUNG, db_url)
    assert data["number"] == "/KH-UBND"
    assert data["issued_on"] is None  # "ngày   tháng 3 năm 2024": the day was left blank
    assert data["subtitle"].startswith("Công khai thực hiện quy chế dân chủ")
    headings = [s["heading"] for s in data["sections"]]
    assert "I. Mục đích, yêu cầu" in headings
    assert "1. Nội dung công khai" in headings
    assert "3. Công tác tuyên truyền" in headings
    assert doc_list(db_url) == []


def test_dry_run_of_the_sample_regulation_splits_long_sections_within_channel_limits(db_url: str) -> None:
    data = dry_run(SAMPLE, db_url)
    assert data["number"] == "125/QĐ-SKHCN"
    assert data["issued_on"] == "2026-11-02"
    assert data["issuer"] == "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    assert data["signer"] == "Trần Minh Khôi"

    # The "(Ban hành kèm theo Quyết định …)" line is metadata, not a section to confirm: 40 articles.
    assert data["adopted_by"].startswith("Ban hành kèm theo Quyết định số 125/QĐ-SKHCN")
    sections = data["sections"]
    assert len(sections) == 40
    articles = [s for s in sections if s["heading"].startswith("Điều ")]
    assert len(articles) >= 28
    assert articles[0]["heading"] == "Điều 1. Phạm vi điều chỉnh"
    assert articles[0]["path"] == "Chương I › Điều 1"
    assert articles[-1]["heading"] == "Điều 40. Hiệu lực thi hành và sửa đổi, bổ sung"
    assert [int(s["heading"].split()[1].rstrip(".")) for s in articles] == list(range(1, len(articles) + 1))

    long_ones = [s for s in sections if len(s["chunks"]["telegram"]) > 1]
    assert len(long_ones) >= 3, [s["heading"] for s in long_ones]

    for section in sections:
        telegram = section["chunks"]["telegram"]
        zalo = section["chunks"]["zalo"]
        for chunk in telegram:
            assert utf16_len(telegram_visible_text(chunk)) <= TELEGRAM_TEXT_LIMIT, section["heading"]
        for chunk in zalo:
            assert len(chunk) <= ZALO_TEXT_LIMIT, section["heading"]
        # The last message of a section keeps room for the buttons / the command hint.
        assert utf16_len(telegram_visible_text(telegram[-1])) <= TELEGRAM_TEXT_LIMIT - TELEGRAM_LAST_RESERVE
        assert len(zalo[-1]) <= ZALO_TEXT_LIMIT - ZALO_LAST_RESERVE
        for chunks in (telegram, zalo):
            assert section["heading"] in telegram_visible_text(chunks[0])
            assert all("(tiếp)" not in c.split("\n", 1)[0] for c in chunks[:1])
            for continuation in chunks[1:]:
                assert "(tiếp)" in continuation, section["heading"]

    assert doc_list(db_url) == []


# --- import, versions, show ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "old", "new"),
    [
        (
            SAMPLE,
            "Quy chế này không điều chỉnh việc thực hiện dân chủ trong quan hệ giữa Sở với tổ chức, công dân",
            "Quy chế này cũng không điều chỉnh việc thực hiện dân chủ trong quan hệ giữa Sở với tổ chức, công dân",
        ),
        (
            TAY_NINH,
            "Thực hiện chế độ báo cáo định kỳ 6 tháng, năm và báo cáo chuyên đề (nếu có).",
            "Thực hiện chế độ báo cáo định kỳ hằng quý, 6 tháng, năm và báo cáo chuyên đề (nếu có).",
        ),
    ],
    ids=["by-number", "by-title"],
)
def test_reimport_is_a_no_op_and_a_changed_copy_is_a_new_version(
    db_url: str, tmp_path: Path, source: Path, old: str, new: str
) -> None:
    first = congkhai(db_url, "doc", "import", str(source))
    assert first.exit_code == 0, first.output
    assert "phiên bản 1" in first.output
    after_first = table_counts(db_url)

    again = congkhai(db_url, "doc", "import", str(source))
    assert again.exit_code == 0, again.output
    assert "y hệt" in again.output and "không nhập lại" in again.output
    assert len(doc_list(db_url)) == 1
    assert table_counts(db_url) == after_first

    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1
    changed = tmp_path / source.name
    changed.write_text(text.replace(old, new), encoding="utf-8")
    second = congkhai(db_url, "doc", "import", str(changed), "--json")
    assert second.exit_code == 0, second.output
    outcome = json.loads(second.output)
    assert outcome["version"] == 2 and outcome["created"] is True

    rows = doc_list(db_url)
    assert [r["version"] for r in rows] == [1, 2]
    assert rows[0]["title"] == rows[1]["title"]
    assert rows[0]["number"] == rows[1]["number"]
    assert rows[0]["sections"] == rows[1]["sections"]

    # Each version keeps its own text.
    v1 = json.loads(congkhai(db_url, "doc", "show", str(rows[0]["id"]), "--json").output)
    v2 = json.loads(congkhai(db_url, "doc", "show", str(rows[1]["id"]), "--json").output)
    assert any(old in s["markdown"] for s in v1["sections"])
    assert not any(new in s["markdown"] for s in v1["sections"])
    assert any(new in s["markdown"] for s in v2["sections"])

    # The changed copy imported again is itself a no-op.
    third = congkhai(db_url, "doc", "import", str(changed))
    assert third.exit_code == 0 and "y hệt" in third.output
    assert len(doc_list(db_url)) == 2


def test_show_returns_the_sections_and_one_section_on_demand(db_url: str) -> None:
    preview = dry_run(SAMPLE, db_url)
    imported = congkhai(db_url, "doc", "import", str(SAMPLE), "--json")
    assert imported.exit_code == 0, imported.output
    doc_id = json.loads(imported.output)["id"]

    listed = doc_list(db_url)
    assert len(listed) == 1
    assert listed[0]["sections"] == 40
    assert listed[0]["number"] == "125/QĐ-SKHCN"
    assert listed[0]["issued_on"] == "2026-11-02"

    shown = congkhai(db_url, "doc", "show", str(doc_id), "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["id"] == doc_id and data["version"] == 1
    assert data["number"] == "125/QĐ-SKHCN"
    assert [(s["ordinal"], s["path"], s["heading"]) for s in data["sections"]] == [
        (s["ordinal"], s["path"], s["heading"]) for s in preview["sections"]
    ]
    assert [s["markdown"] for s in data["sections"]] == [s["markdown"] for s in preview["sections"]]

    outline = congkhai(db_url, "doc", "show", str(doc_id))
    assert outline.exit_code == 0, outline.output
    assert "125/QĐ-SKHCN" in outline.output
    assert "Điều 40. Hiệu lực thi hành" in outline.output

    third = preview["sections"][1]
    one = congkhai(db_url, "doc", "show", str(doc_id), "--section", "2")
    assert one.exit_code == 0, one.output
    assert third["heading"] == "Điều 2. Đối tượng áp dụng"
    assert one.output.startswith(third["path"] + "\n" + third["heading"] + "\n")
    assert third["markdown"] in one.output
    # Only that section: not the next one.
    assert preview["sections"][2]["heading"] not in one.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("999",), "Không có văn bản #999"),
        (("999", "--json"), "Không có văn bản #999"),
        (("999", "--section", "1"), "Không có văn bản #999"),
        (("1", "--section", "41"), "không có mục 41 (có 40 mục)"),
        (("1", "--section", "0"), "không có mục 0"),
    ],
)
def test_show_of_a_missing_document_or_section_is_a_clear_error(
    db_url: str, args: tuple[str, ...], expected: str
) -> None:
    assert congkhai(db_url, "doc", "import", str(SAMPLE)).exit_code == 0
    result = congkhai(db_url, "doc", "show", *args)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_show_of_one_section_honours_json(db_url: str) -> None:
    assert congkhai(db_url, "doc", "import", str(SAMPLE)).exit_code == 0
    result = congkhai(db_url, "doc", "show", "1", "--section", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "Điều 2. Đối tượng áp dụng" in json.dumps(data, ensure_ascii=False)


def test_show_with_a_non_numeric_id_is_a_usage_error(db_url: str) -> None:
    result = congkhai(db_url, "doc", "show", "mot")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- bad input -------------------------------------------------------------------

VIETNAMESE = (
    "Điều 1. Phạm vi điều chỉnh\n\n"
    "Quy chế này quy định việc thực hiện dân chủ trong hoạt động của Sở Khoa học và Công nghệ.\n\n"
    "Điều 2. Đối tượng áp dụng\n\n"
    "Cán bộ, công chức, người lao động làm việc tại cơ quan Sở.\n"
)
# "Điều 1. Phạm vi điều chỉnh" typed in TCVN3 (ABC): every Vietnamese letter is one byte in 0x80–0xFF.
TCVN3 = b"\xa7i\xd2u 1. Ph\xb9m vi \xae\xd2u ch\xc9nh\n\nQuy ch\xd5 n\xb5y quy \xae\xdfnh vi\xd6c th\xf1c hi\xd6n d\xa9n ch\xf7.\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param("rỗng.md", b"", "trống", id="empty"),
        pytest.param("trang.md", b"\xef\xbb\xbf \n\r\n\t\n", "trống", id="only-whitespace-and-bom"),
        pytest.param("anh.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "không phải là văn bản", id="png-named-md"),
        pytest.param("nhiphan.md", bytes(range(256)) * 40, "không phải là văn bản", id="binary-named-md"),
        pytest.param("quyche.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF", id="pdf-named-md"),
        pytest.param("quyche-cp1258.md", windows_1258(VIETNAMESE), "UTF-8", id="windows-1258"),
        pytest.param("quyche-tcvn3.md", TCVN3, "TCVN3", id="tcvn3"),
        pytest.param("quyche.pdf", b"%PDF-1.4\n", "không mở được như tệp PDF", id="damaged-pdf"),
        pytest.param("quyche.odt", b"PK\x03\x04", "Lưu thành (Save As)", id="odt"),
        pytest.param("quyche.xlsx", b"PK\x03\x04", "không được hỗ trợ", id="unknown-extension"),
        pytest.param("quyche", VIETNAMESE.encode(), "không có đuôi", id="no-extension"),
        pytest.param("quyche.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "Word cũ", id="legacy-doc"),
        pytest.param("hong.docx", b"PK\x03\x04 this is not a real package", "không mở được", id="corrupt-docx"),
        pytest.param("vanban.docx", VIETNAMESE.encode(), "không mở được", id="text-named-docx"),
    ],
)
def test_bad_files_are_refused_with_a_clear_reason_and_change_nothing(
    db_url: str, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    before = table_counts(db_url)
    path = tmp_path / name
    path.write_bytes(content)
    for extra in ((), ("--dry-run",), ("--dry-run", "--json")):
        result = congkhai(db_url, "doc", "import", str(path), *extra)
        assert_clean_refusal(result, name)
        assert expected in result.output
    assert table_counts(db_url) == before
    assert doc_list(db_url) == []


def test_the_windows_1258_fixture_really_is_vietnamese_in_that_encoding() -> None:
    data = windows_1258(VIETNAMESE)
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == VIETNAMESE
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        TCVN3.decode("utf-8")
    assert sum(b >= 0x80 for b in TCVN3) >= 10


def test_a_missing_file_is_named(db_url: str, tmp_path: Path) -> None:
    result = congkhai(db_url, "doc", "import", str(tmp_path / "khong-co.md"))
    assert_clean_refusal(result, "khong-co.md")
    assert "Không tìm thấy" in result.output


def test_a_file_over_ten_megabytes_is_refused_before_reading(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "quy-che-lon.md"
    with path.open("wb") as handle:
        handle.write(VIETNAMESE.encode())
        handle.seek(10 * 1024 * 1024 + 1)  # sparse: no 10 MB written to disk
        handle.write(b"\n")
    before = table_counts(db_url)
    result = congkhai(db_url, "doc", "import", str(path))
    assert_clean_refusal(result, "quy-che-lon.md")
    assert "quá lớn" in result.output
    assert "10 MB" in result.output
    assert table_counts(db_url) == before


def test_a_file_of_exactly_ten_megabytes_is_not_refused_for_its_size(db_url: str, tmp_path: Path) -> None:
    text = VIETNAMESE.encode()
    path = tmp_path / "vua-du.md"
    path.write_bytes(text + b"\n" * (10 * 1024 * 1024 - len(text)))
    result = congkhai(db_url, "doc", "import", str(path), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert [s["heading"] for s in json.loads(result.output)["sections"]] == [
        "Điều 1. Phạm vi điều chỉnh",
        "Điều 2. Đối tượng áp dụng",
    ]


def test_only_front_matter_is_refused(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "chi-co-dau.md"
    path.write_text("Số: 12/QĐ-SKHCN\n\nBình An, ngày 02 tháng 11 năm 2026\n\n## QUY CHẾ\n", encoding="utf-8")
    result = congkhai(db_url, "doc", "import", str(path))
    assert_clean_refusal(result, "chi-co-dau.md")
    assert table_counts(db_url)["document"] == 0


def test_a_document_without_headings_imports_as_one_section(db_url: str, tmp_path: Path) -> None:
    body = (
        "Cơ quan thông báo lịch tiếp công dân của lãnh đạo Sở trong tháng.\n\n"
        "Mọi cán bộ, công chức, người lao động đọc và thực hiện.\n"
    )
    path = tmp_path / "thong-bao.md"
    path.write_text(body, encoding="utf-8")

    preview = dry_run(path, db_url)
    assert len(preview["sections"]) == 1
    text = preview["sections"][0]["text"]
    assert "lịch tiếp công dân" in text and "đọc và thực hiện" in text

    result = congkhai(db_url, "doc", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "gồm 1 mục" in result.output
    rows = doc_list(db_url)
    assert len(rows) == 1 and rows[0]["sections"] == 1
    assert rows[0]["title"]  # something to call it by (the file name when the text has no title)
    shown = json.loads(congkhai(db_url, "doc", "show", str(rows[0]["id"]), "--json").output)
    assert "lịch tiếp công dân" in shown["sections"][0]["markdown"]


def test_a_directory_is_named_not_read(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "thu-muc.md").mkdir()
    result = congkhai(db_url, "doc", "import", str(tmp_path / "thu-muc.md"))
    assert_clean_refusal(result, "thu-muc.md")
    assert "thư mục" in result.output


LONG_ARTICLE = (
    "## Điều 1. Quy định chung\n\n"
    + "\n\n".join(
        "Cán bộ 📌 phải đọc <kỹ> & xác nhận “Đã đọc” 🇻🇳 trước hạn; mọi góp ý gửi về Văn phòng Sở. " * 8
        for _ in range(20)
    )
    + "\n\n## Điều 2. Hiệu lực\n\nQuy chế có hiệu lực từ ngày ký.\n"
)


def test_astral_characters_and_html_specials_stay_within_the_telegram_limit(db_url: str, tmp_path: Path) -> None:
    """Telegram counts UTF-16 units (an emoji is two) of the text after its HTML is parsed."""
    path = tmp_path / "dai.md"
    path.write_text(LONG_ARTICLE, encoding="utf-8")
    sections = dry_run(path, db_url)["sections"]
    assert [s["heading"] for s in sections] == ["Điều 1. Quy định chung", "Điều 2. Hiệu lực"]
    telegram = sections[0]["chunks"]["telegram"]
    zalo = sections[0]["chunks"]["zalo"]
    assert len(telegram) >= 3 and len(zalo) >= 5
    for chunk in telegram:
        visible = telegram_visible_text(chunk)
        assert utf16_len(visible) <= TELEGRAM_TEXT_LIMIT
        assert "<kỹ> & xác nhận" in visible  # escaped in the markup, intact on screen
        assert "<kỹ>" not in chunk
    assert all(len(chunk) <= ZALO_TEXT_LIMIT for chunk in zalo)
    shown = "".join(telegram_visible_text(c) for c in telegram)
    assert shown.count("📌") == 160 and shown.count("🇻🇳") == 160  # nothing lost, no emoji cut in half


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        pytest.param("utf16.md", lambda text: text.encode("utf-16"), id="utf-16-with-bom"),
        pytest.param("bom-crlf.md", lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), id="utf-8-bom-crlf"),
        pytest.param("nfd.md", lambda text: unicodedata.normalize("NFD", text).encode(), id="decomposed-diacritics"),
    ],
)
def test_the_same_text_in_another_unicode_form_is_the_same_document(
    db_url: str, tmp_path: Path, name: str, encode: Any
) -> None:
    plain = tmp_path / "goc.md"
    plain.write_text(LONG_ARTICLE, encoding="utf-8")
    other = tmp_path / name
    other.write_bytes(encode(LONG_ARTICLE))
    assert dry_run(other, db_url)["content_hash"] == dry_run(plain, db_url)["content_hash"]
    assert congkhai(db_url, "doc", "import", str(plain)).exit_code == 0
    again = congkhai(db_url, "doc", "import", str(other))
    assert again.exit_code == 0, again.output
    assert "y hệt" in again.output
    assert len(doc_list(db_url)) == 1


def test_a_plain_text_file_finds_its_articles(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "quy-che.txt"
    path.write_text(
        "QUY CHẾ\n\nĐiều 1. Phạm vi\n\nNội dung một.\n\nĐiều 2. Đối tượng\n\nNội dung hai.\n", encoding="utf-8"
    )
    sections = dry_run(path, db_url)["sections"]
    assert [(s["heading"], s["text"]) for s in sections] == [
        ("Điều 1. Phạm vi", "Nội dung một."),
        ("Điều 2. Đối tượng", "Nội dung hai."),
    ]


def test_two_unrelated_untitled_documents_are_not_versions_of_each_other(db_url: str, tmp_path: Path) -> None:
    first = tmp_path / "thong-bao-lich-tiep-dan.md"
    first.write_text("Cơ quan thông báo lịch tiếp công dân của lãnh đạo Sở trong tháng 12.\n", encoding="utf-8")
    second = tmp_path / "thong-bao-nghi-le.md"
    second.write_text("Cơ quan nghỉ Tết Dương lịch từ ngày 01/01 đến hết ngày 03/01.\n", encoding="utf-8")
    for path in (first, second):
        result = congkhai(db_url, "doc", "import", str(path))
        assert result.exit_code == 0, result.output
    rows = doc_list(db_url)
    assert [(r["title"], r["version"]) for r in rows] == [
        ("thong-bao-lich-tiep-dan.md", 1),
        ("thong-bao-nghi-le.md", 1),
    ]


LONG_HEADING = (
    "Quy định về trách nhiệm của cán bộ, công chức, người lao động trong việc tiếp nhận, nghiên cứu, "
    "góp ý và thực hiện các nội dung được công khai theo quy chế này, bao gồm cả việc phản hồi, kiến nghị "
    "và giám sát việc thực hiện của lãnh đạo cơ quan, các phòng chuyên môn, Ban Thanh tra nhân dân và "
    "Ban Chấp hành Công đoàn cơ sở trong suốt thời gian công khai, kể cả những trường hợp cán bộ đi công tác, "
    "nghỉ phép, nghỉ chế độ, được cử đi đào tạo, bồi dưỡng hoặc biệt phái đến cơ quan, đơn vị khác theo quy định"
)


def test_a_very_long_unnumbered_heading_imports_on_every_database(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A paragraph styled as a heading by mistake: its text becomes the section's path."""
    path = tmp_path / "tieu-de-dai.md"
    path.write_text(f"# QUY CHẾ\n\n## {LONG_HEADING}\n\nNội dung của phần này.\n", encoding="utf-8")
    preview = dry_run(path, db_url)
    assert max(len(s["path"]) for s in preview["sections"]) > 500  # what makes this case matter

    result = congkhai(db_url, "doc", "import", str(path))
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    [row] = doc_list(db_url)
    shown = json.loads(congkhai(db_url, "doc", "show", str(row["id"]), "--json").output)
    assert [s["heading"] for s in shown["sections"]] == [s["heading"] for s in preview["sections"]]


# --- Word ------------------------------------------------------------------------


def write_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Chương I. QUY ĐỊNH CHUNG", level=1)
    document.add_paragraph().add_run("Điều 1. Phạm vi").bold = True
    body = document.add_paragraph("Quy chế này quy định việc ")
    body.add_run("công khai").bold = True
    body.add_run(" nội dung hoạt động của cơ quan đến cán bộ, công chức, người lao động.")
    document.add_paragraph().add_run("Điều 2. Đối tượng áp dụng").bold = True
    document.add_paragraph("Cán bộ, công chức, người lao động làm việc tại cơ quan Sở.")
    document.add_heading("Chương II. NỘI DUNG CÔNG KHAI", level=1)
    document.add_paragraph().add_run("Điều 3. Những nội dung phải công khai").bold = True
    document.add_paragraph("Kế hoạch công tác hằng năm của cơ quan.")
    document.save(str(path))


def test_a_word_file_imports_with_chapters_and_articles(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "quy-che.docx"
    write_docx(path)

    preview = dry_run(path, db_url)
    sections = preview["sections"]
    assert [(s["path"], s["heading"]) for s in sections] == [
        ("Chương I › Điều 1", "Điều 1. Phạm vi"),
        ("Chương I › Điều 2", "Điều 2. Đối tượng áp dụng"),
        ("Chương II › Điều 3", "Điều 3. Những nội dung phải công khai"),
    ]
    first = sections[0]
    assert first["text"] == (
        "Quy chế này quy định việc công khai nội dung hoạt động của cơ quan đến cán bộ, công chức, người lao động."
    )
    # The bold run survives as emphasis, in the stored Markdown and in the Telegram message.
    assert "**công khai**" in first["markdown"]
    assert "<b>công khai</b>" in first["chunks"]["telegram"][0]
    assert "công khai" in first["chunks"]["zalo"][0] and "**" not in first["chunks"]["zalo"][0]
    # The chapter titles are where a section sits, not something to confirm on their own.
    assert all("QUY ĐỊNH CHUNG" not in s["text"] for s in sections)

    result = congkhai(db_url, "doc", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "gồm 3 mục" in result.output
    rows = doc_list(db_url)
    assert len(rows) == 1 and rows[0]["sections"] == 3
    one = congkhai(db_url, "doc", "show", str(rows[0]["id"]), "--section", "1")
    assert one.exit_code == 0, one.output
    assert "Điều 1. Phạm vi" in one.output and "**công khai**" in one.output

    again = congkhai(db_url, "doc", "import", str(path))
    assert again.exit_code == 0 and "y hệt" in again.output


# --- help ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["import", "list", "show"])
def test_doc_commands_have_help_with_an_example(command: str) -> None:
    for flag in ("--help", "-h"):
        result = CliRunner().invoke(main, ["doc", command, flag])
        assert result.exit_code == 0, result.output
        assert "Ví dụ" in result.output
        assert "congkhai doc " + command in result.output
