"""`doc import` and `doc show` on real agency shapes: the clerk sees the outline and the
warnings first, and the decision, adoption line and chapter titles are stored as metadata."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import congkhai
from tests.document_corpus import decision_with_regulation


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_import_prints_the_outline_and_stores_the_decision_as_context(db_url: str, tmp_path: Path) -> None:
    sample = decision_with_regulation()
    path = _write(tmp_path, sample.name, sample.data)

    result = congkhai(db_url, "doc", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "Cấu trúc tìm thấy: 2 chương, 5 điều, 5 mục sẽ gửi cán bộ." in result.output
    assert "  Chương I. NHỮNG QUY ĐỊNH CHUNG — 2 mục (Điều 1–2)" in result.output
    assert "  Chương II. NỘI DUNG CÔNG KHAI — 3 mục (Điều 3–5)" in result.output
    assert "Quyết định ban hành (chỉ là thông tin kèm theo, không gửi để xác nhận): 125/QĐ-SKHCN, 3 điều." in result.output
    assert "Không thấy dấu hiệu bất thường" in result.output
    assert "gồm 5 mục" in result.output

    shown = json.loads(congkhai(db_url, "doc", "show", "1", "--json").output)
    assert (shown["title"], shown["number"], shown["signer"]) == ("QUY CHẾ", "125/QĐ-SKHCN", "Trần Minh Khôi")
    assert shown["adopted_by"].startswith("Ban hành kèm theo Quyết định số 125/QĐ-SKHCN")
    assert [a["heading"] for a in shown["decision"]["articles"]] == ["Điều 1", "Điều 2", "Điều 3"]
    assert shown["decision"]["issued_on"] == "2026-11-02"
    assert shown["outline"] == [
        {"path": "Chương I", "heading": "Chương I. NHỮNG QUY ĐỊNH CHUNG", "first": 1},
        {"path": "Chương II", "heading": "Chương II. NỘI DUNG CÔNG KHAI", "first": 3},
    ]
    assert [s["path"] for s in shown["sections"]] == [path for path, _ in sample.outline]

    text = congkhai(db_url, "doc", "show", "1")
    assert text.exit_code == 0, text.output
    assert "📌 Ban hành kèm theo Quyết định số 125/QĐ-SKHCN" in text.output
    assert "Quyết định số 125/QĐ-SKHCN ngày 02 tháng 11 năm 2026 (GIÁM ĐỐC Trần Minh Khôi):" in text.output
    lines = text.output.splitlines()
    chapter = lines.index("      Chương II. NỘI DUNG CÔNG KHAI")
    assert "Điều 3. Những nội dung phải công khai" in lines[chapter + 1]

    again = congkhai(db_url, "doc", "import", str(path))
    assert again.exit_code == 0 and "y hệt" in again.output


def test_dry_run_warns_and_its_json_carries_the_warnings(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "quy-che.txt"
    path.write_text(
        "QUY CHẾ\nĐiều 6. Một\nNội dung.\nĐiều 7. Hai\nNội dung.\nĐiều 9. Ba\nNội dung.\nĐộc lập - Tự do - Hạnh phúc\nHết.\n",
        encoding="utf-8",
    )
    result = congkhai(db_url, "doc", "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Cần xem lại trước khi công khai:" in result.output
    assert "  ⚠ Số điều bị nhảy: sau Điều 7 là Điều 9." in result.output
    assert "⚠ Mục 3 “Điều 9. Ba” có dòng giống phần đầu" in result.output

    data = json.loads(congkhai(db_url, "doc", "import", str(path), "--dry-run", "--json").output)
    assert data["warnings"][0] == "Số điều bị nhảy: sau Điều 7 là Điều 9."
    assert congkhai(db_url, "doc", "list", "--json").output.strip() == "[]"


def test_a_text_layer_pdf_imports_and_a_scan_is_refused(db_url: str, tmp_path: Path) -> None:
    from tests.document_corpus import PDF_OUTLINE, PDF_PAGES, text_pdf

    signed = _write(tmp_path, "quy-che-tiep-dan.pdf", text_pdf(PDF_PAGES))
    result = congkhai(db_url, "doc", "import", str(signed), "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(congkhai(db_url, "doc", "show", str(json.loads(result.output)["id"]), "--json").output)
    assert [(s["path"], s["heading"]) for s in shown["sections"]] == PDF_OUTLINE

    scan = _write(tmp_path, "ban-quet.pdf", text_pdf([[]]))
    refused = congkhai(db_url, "doc", "import", str(scan))
    assert refused.exit_code == 1
    assert "Không nhập được ban-quet.pdf" in refused.output and "bản PDF quét" in refused.output
    assert len(json.loads(congkhai(db_url, "doc", "list", "--json").output)) == 1


async def test_stored_context_reads_back_for_the_conversation(sessions) -> None:  # type: ignore[no-untyped-def]
    """What the chat screens read: chapter titles above a section, the chapter a section opens,
    and the decision, all from the stored document."""
    import datetime as dt

    from bot.domain.document_context import context_text
    from bot.services import documents
    from bot.services.document_files import parse_document_bytes

    sample = decision_with_regulation()
    parsed = parse_document_bytes(sample.data, sample.name)
    now = dt.datetime(2026, 11, 3, 2, tzinfo=dt.UTC)
    async with sessions() as session, session.begin():
        document_id = (await documents.import_document(session, parsed, now, source_name=sample.name)).document.id
    async with sessions() as session:
        document = await documents.get_document(session, document_id)
        assert document is not None
        fourth = document.sections[3]
        assert documents.titles_above(document, fourth.path) == ["Chương II. NỘI DUNG CÔNG KHAI"]
        assert documents.titles_opening_at(document, 3) == ["Chương II. NỘI DUNG CÔNG KHAI"]
        assert documents.titles_opening_at(document, 4) == []
        decision = documents.decision_of(document)
        assert decision == parsed.decision
        context = context_text(document.adopted_by, decision)
        assert context is not None and context.startswith("📌 Ban hành kèm theo Quyết định số 125/QĐ-SKHCN")
        assert "Điều 2. Quyết định này có hiệu lực kể từ ngày ký." in context
