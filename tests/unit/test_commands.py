"""Typed Zalo commands: matched without diacritics, forgiving of typing."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.commands import Command, Kind, parse


@pytest.mark.parametrize(
    "text",
    ["đã đọc", "Đã đọc", "da doc", "DA DOC", "dd", "1", "  đã đọc!  ", "Đã đọc.", "dadoc", "1."],
)
def test_confirm(text: str) -> None:
    assert parse(text) == Command(Kind.CONFIRM)


def test_confirm_in_decomposed_unicode() -> None:
    assert parse(unicodedata.normalize("NFD", "Đã đọc")) == Command(Kind.CONFIRM)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("tiếp", Kind.NEXT),
        ("tiep", Kind.NEXT),
        ("Đọc tiếp", Kind.NEXT),
        ("mục lục", Kind.TOC),
        ("muc luc", Kind.TOC),
        ("/mucluc", Kind.TOC),
        ("tiến độ", Kind.PROGRESS),
        ("tien do", Kind.PROGRESS),
        ("/tiendo", Kind.PROGRESS),
        ("xác nhận toàn văn", Kind.ATTEST),
        ("xac nhan toan van", Kind.ATTEST),
        ("đã nhận", Kind.ANNOUNCEMENT_ACK),
        ("da nhan", Kind.ANNOUNCEMENT_ACK),
        ("hướng dẫn", Kind.HELP),
        ("hủy", Kind.CANCEL),
        ("báo cáo", Kind.REPORT),
        ("/dashboard", Kind.DASHBOARD),
    ],
)
def test_simple_commands(text: str, kind: Kind) -> None:
    assert parse(text).kind is kind


@pytest.mark.parametrize("text", ["mục 5", "muc 5", "Mục 5", "muc5", "đọc mục 5", "m5"])
def test_read_a_section(text: str) -> None:
    assert parse(text) == Command(Kind.READ, number=5)


def test_a_bare_number_reads_after_a_table_of_contents() -> None:
    assert parse("5", after_toc=True) == Command(Kind.READ, number=5)
    assert parse("5") == Command(Kind.READ, number=5)
    # "1" confirms, unless the person was just shown the table of contents
    assert parse("1") == Command(Kind.CONFIRM)
    assert parse("1", after_toc=True) == Command(Kind.READ, number=1)
    assert parse("mục 1") == Command(Kind.READ, number=1)


def test_toc_pages() -> None:
    assert parse("trang 2") == Command(Kind.TOC, number=2)
    assert parse("mục lục 3") == Command(Kind.TOC, number=3)


@pytest.mark.parametrize(
    ("text", "comment"),
    [
        ("góp ý Đề nghị nêu rõ thời hạn.", "Đề nghị nêu rõ thời hạn."),
        ("gop y: Đề nghị nêu rõ thời hạn.", "Đề nghị nêu rõ thời hạn."),
        ("Góp ý - Mục 3 chưa rõ\nvề thời hạn", "Mục 3 chưa rõ\nvề thời hạn"),
        ("gopy thêm ví dụ", "thêm ví dụ"),
        ("góp ý", ""),
    ],
)
def test_feedback_keeps_the_text_as_typed(text: str, comment: str) -> None:
    assert parse(text) == Command(Kind.FEEDBACK, text=comment)


@pytest.mark.parametrize(
    "text",
    ["góp ý ẩn danh Lãnh đạo chưa trả lời", "gop y an danh Lãnh đạo chưa trả lời", "GÓP Ý ẨN DANH: Lãnh đạo chưa trả lời"],
)
def test_anonymous_feedback(text: str) -> None:
    assert parse(text) == Command(Kind.FEEDBACK_ANONYMOUS, text="Lãnh đạo chưa trả lời")


def test_feedback_that_starts_like_a_command_is_still_feedback() -> None:
    assert parse("góp ý tiếp").kind is Kind.FEEDBACK
    assert parse("góp ý ẩn danh").kind is Kind.FEEDBACK_ANONYMOUS


def test_invite_code() -> None:
    assert parse("K7QM4XRT") == Command(Kind.LINK, text="K7QM4XRT")
    assert parse("k7qm-4xrt") == Command(Kind.LINK, text="K7QM4XRT")
    assert parse("/start K7QM4XRT") == Command(Kind.LINK, text="K7QM4XRT")
    # O and 0 are not in the alphabet: a plain word is not a code
    assert parse("HELLOABC").kind is Kind.TEXT


@pytest.mark.parametrize("text", ["", "   ", "Cảm ơn", "tiếp tục như vậy là tốt", "đã đọc kỹ mục 3 rồi nhé bạn ơi"])
def test_free_text(text: str) -> None:
    assert parse(text).kind is Kind.TEXT


@given(st.text(max_size=200))
def test_never_crashes(text: str) -> None:
    command = parse(text)
    assert isinstance(command.kind, Kind)
