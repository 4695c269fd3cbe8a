"""Word's number formats and counters, and numbering definitions a hostile file could carry."""

from __future__ import annotations

import pytest

from bot.services.document_files import parse_document_bytes
from bot.services.docx_numbering import format_number
from tests.document_corpus import Corpus, Lvl


@pytest.mark.parametrize(
    ("number", "fmt", "shown"),
    [
        (4, "upperRoman", "IV"),
        (14, "lowerRoman", "xiv"),
        (1, "lowerLetter", "a"),
        (27, "lowerLetter", "aa"),
        (3, "upperLetter", "C"),
        (7, "decimalZero", "07"),
        (12, "decimal", "12"),
        (5, "none", ""),
        (10**9, "upperRoman", "1000000000"),
        (10**9, "lowerLetter", "1000000000"),
    ],
)
def test_formats(number: int, fmt: str, shown: str) -> None:
    assert format_number(number, fmt) == shown


def test_deeper_levels_restart_and_a_level_with_lvlrestart_zero_keeps_counting() -> None:
    corpus = Corpus()
    corpus.para("QUY ĐỊNH", bold=True)
    num = corpus.numbering([Lvl("decimal", "Điều %1.", bold=True), Lvl("decimal", "(%2)", restart=0)])
    corpus.para("Một", num=(num, 0), bold=True)
    corpus.para("khoản thứ nhất;", num=(num, 1))
    corpus.para("Hai", num=(num, 0), bold=True)
    corpus.para("khoản không bắt đầu lại.", num=(num, 1))
    document = parse_document_bytes(corpus.bytes(), "dem.docx")
    assert [(s.heading, s.text) for s in document.sections] == [
        ("Điều 1. Một", "(1) khoản thứ nhất;"),
        ("Điều 2. Hai", "(2) khoản không bắt đầu lại."),
    ]


def test_a_huge_start_value_is_written_in_digits_not_expanded() -> None:
    corpus = Corpus()
    num = corpus.numbering([Lvl("lowerLetter", "%1)", start=999_999_999)])
    corpus.para("Điều 1. Một", bold=True)
    corpus.para("điểm rất xa.", num=(num, 0))
    document = parse_document_bytes(corpus.bytes(), "lon.docx")
    assert document.sections[0].text == "999999999) điểm rất xa."


def test_a_paragraph_pointing_at_missing_numbering_is_read_as_it_is() -> None:
    corpus = Corpus()
    corpus.para("Điều 1. Một", bold=True)
    corpus.para("Nội dung.", num=(4242, 0))
    assert parse_document_bytes(corpus.bytes(), "thieu.docx").sections[0].text == "Nội dung."


def test_damaged_numbering_values_are_tolerated() -> None:
    corpus = Corpus()
    num = corpus.numbering([Lvl("decimal", "%1.", start=1)])
    root = corpus.document.part.numbering_part.element
    for lvl in root.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}lvl"):
        lvl.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}ilvl", "mot")
    corpus.para("Điều 1. Một", bold=True)
    corpus.para("khoản.", num=(num, 0))
    assert parse_document_bytes(corpus.bytes(), "hong-so.docx").sections[0].text == "1. khoản."
