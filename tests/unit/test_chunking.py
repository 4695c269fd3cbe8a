"""Chunking a section into Telegram (HTML) and Zalo (plain) messages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.chunking import (
    path_adds_information,
    plain_text,
    render_rich,
    telegram_chunks,
    telegram_visible_text,
    utf16_len,
    zalo_chunks,
)
from bot.domain.document import Span, parse_markdown, render_light

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "documents"


class _StyledReader(HTMLParser):
    """Reads Telegram HTML strictly: only <b>/<i>/<s>, properly nested, closed by the end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.chars: list[tuple[str, bool, bool, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ("b", "i", "s") and not attrs, tag
        assert tag not in self.stack, "nested twice"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for char in data:
            self.chars.append((char, "b" in self.stack, "i" in self.stack, "s" in self.stack))


def _read(markup: str) -> list[tuple[str, bool, bool, bool]]:
    reader = _StyledReader()
    reader.feed(markup)
    reader.close()
    assert not reader.stack, f"unclosed {reader.stack}"
    assert "<" not in reader.rawdata
    return reader.chars


def _strip_header(chunk_text: str) -> str:
    """The chunk's body: everything after the header's blank line."""
    _, _, body = chunk_text.partition("\n\n")
    return body


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------


def test_short_section_is_one_message_with_bold_heading() -> None:
    assert telegram_chunks("I", "I. Mục đích, yêu cầu", "Nội dung **chính**.") == [
        "<b>I. Mục đích, yêu cầu</b>\n\nNội dung <b>chính</b>."
    ]
    assert zalo_chunks("I", "I. Mục đích, yêu cầu", "Nội dung **chính**.") == ["I. Mục đích, yêu cầu\n\nNội dung chính."]


def test_path_is_shown_when_it_adds_information() -> None:
    assert telegram_chunks("II › 1", "1. Nội dung công khai", "Công khai.") == [
        "<i>II › 1</i>\n<b>1. Nội dung công khai</b>\n\nCông khai."
    ]
    assert zalo_chunks("Chương II › Điều 5", "Điều 5. Quyền", "A.") == ["Chương II › Điều 5\nĐiều 5. Quyền\n\nA."]


@pytest.mark.parametrize(
    ("path", "heading", "adds"),
    [
        ("I", "I. Mục đích", False),
        ("Phần mở đầu", "Phần mở đầu", False),
        ("2 › 2.1", "2.1. Công tác", True),
        ("Điều 5", "Điều 5. Quyền", False),
        ("Toàn văn", "THÔNG BÁO", True),
    ],
)
def test_path_adds_information(path: str, heading: str, adds: bool) -> None:
    assert path_adds_information(path, heading) is adds


def test_empty_body_sends_the_heading_alone() -> None:
    assert telegram_chunks("2", "2. Hai", "") == ["<b>2. Hai</b>"]
    assert zalo_chunks("2", "2. Hai", "") == ["2. Hai"]


def test_html_special_characters_are_escaped_and_count_once() -> None:
    chunks = telegram_chunks("1", "1. A & B", "x < y && y > z")
    assert chunks == ["<b>1. A &amp; B</b>\n\nx &lt; y &amp;&amp; y &gt; z"]
    assert telegram_visible_text(chunks[0]) == "1. A & B\n\nx < y && y > z"


def test_list_items_render_with_dashes() -> None:
    assert zalo_chunks("4", "4. Bốn", "Mở.\n\n- Một;\n\n- **Hai**.") == ["4. Bốn\n\nMở.\n\n- Một;\n\n- Hai."]


def test_split_prefers_paragraph_boundaries() -> None:
    first, second = "Câu một. " * 10, "Câu hai. " * 10
    chunks = zalo_chunks("1", "1. Một", f"{first.strip()}\n\n{second.strip()}", limit=150)
    assert [_strip_header(chunk) for chunk in chunks] == [first.strip(), second.strip()]
    assert chunks[1].startswith("1 (tiếp)\n\n")


def test_split_falls_back_on_sentences_then_words() -> None:
    sentence = "Cán bộ đọc kỹ quy chế này. "
    chunks = zalo_chunks("1", "1. Một", (sentence * 8).strip(), limit=120)
    assert len(chunks) > 1
    for chunk in chunks[:-1]:
        assert _strip_header(chunk).endswith("quy chế này.")
    words = " ".join(["dânchủ"] * 60)
    for chunk in zalo_chunks("1", "1. Một", words, limit=70):
        assert set(_strip_header(chunk).split()) == {"dânchủ"}


def test_a_number_is_not_taken_for_the_end_of_a_sentence() -> None:
    body = "Mở đầu rất dài " + "x" * 20 + " **2.** Ủy ban nhân dân xã phối hợp với Công đoàn cơ sở"
    chunks = zalo_chunks("1", "1", body, limit=60)
    assert not any(_strip_header(chunk).endswith("2.") for chunk in chunks[:-1])


def test_continuation_chunks_carry_the_path() -> None:
    body = "\n\n".join(f"Đoạn {n}. " + "chữ " * 30 for n in range(10))
    chunks = telegram_chunks("Chương II › Điều 5", "Điều 5. Quyền của cán bộ", body, limit=300)
    assert chunks[0].startswith("<i>Chương II › Điều 5</i>\n<b>Điều 5. Quyền của cán bộ</b>\n\n")
    assert all(chunk.startswith("<i>Chương II › Điều 5 (tiếp)</i>\n\n") for chunk in chunks[1:])


def test_bold_crossing_a_split_is_closed_and_reopened() -> None:
    body = "Mở. **" + " ".join(["đậm"] * 80) + "** hết."
    chunks = telegram_chunks("1", "1. Một", body, limit=120)
    assert len(chunks) > 2
    for chunk in chunks:
        _read(chunk)
    assert chunks[1].split("\n\n", 1)[1].startswith("<b>đậm")
    assert chunks[0].endswith("</b>")


def test_very_long_word_is_cut_but_emoji_are_not_split() -> None:
    body = "👍🏽" * 3000
    chunks = telegram_chunks("1", "1. Một", body)
    assert len(chunks) >= 3
    for chunk in chunks:
        visible = telegram_visible_text(chunk)
        assert utf16_len(visible) <= 4096
        piece = _strip_header(visible)
        assert piece.startswith("👍") and piece.endswith("🏽")
    assert "".join(_strip_header(telegram_visible_text(c)) for c in chunks) == body


def test_utf16_counts_astral_characters_twice() -> None:
    assert utf16_len("Việt") == 4
    assert utf16_len("😀") == 2
    assert utf16_len("👍🏽") == 4


def test_last_reserve_leaves_room_for_the_footer() -> None:
    body = "Một câu ngắn thôi. " * 12
    plain = zalo_chunks("1", "1. Một", body, limit=240)
    reserved = zalo_chunks("1", "1. Một", body, limit=240, last_reserve=120)
    assert len(plain) == 1 and len(plain[0]) > 120
    assert len(reserved) == 2 and len(reserved[-1]) <= 120


def test_limit_too_small_for_header_and_reserve_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        zalo_chunks("1", "1. Một", "Nội dung.", limit=20, last_reserve=15)


def test_seed_sections_fit_both_channels() -> None:
    document = parse_markdown((FIXTURES / "ke-hoach-qcdc-thanh-tra-tay-ninh-2023.md").read_text(encoding="utf-8"))
    for section in document.sections:
        rendered = render_rich(section.body).text
        assert rendered == section.text
        for limit in (300, 700):
            tg = telegram_chunks(section.path, section.heading, section.body, limit=limit, last_reserve=60)
            assert all(utf16_len(telegram_visible_text(chunk)) <= limit for chunk in tg)
            assert utf16_len(telegram_visible_text(tg[-1])) <= limit - 60
            assert _squash("".join(_strip_header(telegram_visible_text(c)) for c in tg)) == _squash(rendered)
            zalo = zalo_chunks(section.path, section.heading, section.body, limit=limit)
            assert all(len(chunk) <= limit for chunk in zalo)
            assert " ".join(_strip_header(c) for c in zalo).split() == rendered.split()


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "Cán", "bộ", "công", "chức", "người", "lao", "động", "quyền", "làm", "chủ", "Điều", "5.", "khoản", "1;",
        "a)", "“dân", "biết”", "&", "<b>", "a<b", "x>y", "&amp;", "😀", "👍🏽", "👨‍👩‍👧", "ở", "cơ", "sở.", "Sở?", "hết!",
        "(nếu", "có):", "QCDC", "2.1.", "…", "*", "_", "\\", "đ)",
    ]
)
_LONG_WORD = st.builds(lambda char, n: char * n, st.sampled_from(["a", "ệ", "😀", "&", "<"]), st.integers(20, 400))
_SHORT_WORD = st.one_of(_WORDS, st.text(alphabet="abcdeđươăâêôáàảãạ", min_size=1, max_size=8))
_WORD = st.one_of(_SHORT_WORD, _SHORT_WORD, _SHORT_WORD, _LONG_WORD)


@st.composite
def _bodies(draw: st.DrawFn, words: st.SearchStrategy[str] = _WORD) -> str:
    blocks = []
    for _ in range(draw(st.integers(1, 6))):
        spans = []
        for _ in range(draw(st.integers(1, 5))):
            text = " ".join(draw(st.lists(words, min_size=1, max_size=30)))
            spans.append(Span(text, draw(st.booleans()), draw(st.booleans()), draw(st.booleans())))
            spans.append(Span(draw(st.sampled_from([" ", " ", "\n"]))))
        prefix = draw(st.sampled_from(["", "", "- "]))
        blocks.append(prefix + render_light(spans[:-1]))
    return "\n\n".join(blocks)


_PATHS = st.sampled_from([("I", "I. Mục đích, yêu cầu"), ("2 › 2.1", "2.1. Công tác & <tuyên truyền>"), ("Chương II › Mục 1 › Điều 12", "Điều 12. Quyền 😀")])


def _styled_nonspace(chars: list[tuple[str, bool, bool, bool]]) -> list[tuple[str, bool, bool, bool]]:
    return [item for item in chars if not item[0].isspace()]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies(), where=_PATHS, limit=st.integers(120, 700), reserve=st.integers(0, 30))
def test_telegram_chunks_fit_parse_and_give_back_the_text(body: str, where: tuple[str, str], limit: int, reserve: int) -> None:
    path, heading = where
    chunks = telegram_chunks(path, heading, body, limit=limit, last_reserve=reserve)
    rich = render_rich(body)
    pieces: list[tuple[str, bool, bool, bool]] = []
    for index, chunk in enumerate(chunks):
        chars = _read(chunk)
        visible = "".join(char for char, *_ in chars)
        assert visible == telegram_visible_text(chunk)
        assert utf16_len(visible) <= limit
        head, _, rest = visible.partition("\n\n")
        assert head.endswith(heading) if index == 0 else head == f"{path} (tiếp)"
        pieces.extend(chars[len(head) + 2 :])
    assert utf16_len(telegram_visible_text(chunks[-1])) <= limit - reserve
    original = [(char, *style) for char, style in zip(rich.text, rich.styles, strict=True)]
    assert _styled_nonspace(pieces) == _styled_nonspace(original)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies(), where=_PATHS, limit=st.integers(120, 700), reserve=st.integers(0, 30))
def test_zalo_chunks_fit_and_give_back_the_text(body: str, where: tuple[str, str], limit: int, reserve: int) -> None:
    path, _ = where
    heading = where[1]
    chunks = zalo_chunks(path, heading, body, limit=limit, last_reserve=reserve)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert len(chunks[-1]) <= limit - reserve
    assert "**" not in "".join(_strip_header(chunk) for chunk in chunks) or "**" in render_rich(body).text
    assert all(chunk.startswith(f"{path} (tiếp)\n\n") for chunk in chunks[1:])
    assert _squash("".join(_strip_header(chunk) for chunk in chunks)) == _squash(plain_text(render_rich(body)))


@settings(max_examples=200, deadline=None)
@given(body=_bodies(_SHORT_WORD), where=_PATHS, limit=st.integers(120, 600))
def test_words_are_never_cut_when_they_fit(body: str, where: tuple[str, str], limit: int) -> None:
    path, heading = where
    rendered = render_rich(body).text
    zalo = zalo_chunks(path, heading, body, limit=limit)
    assert " ".join(_strip_header(chunk) for chunk in zalo).split() == plain_text(render_rich(body)).split()
    telegram = telegram_chunks(path, heading, body, limit=limit)
    joined = " ".join(_strip_header(telegram_visible_text(chunk)) for chunk in telegram)
    assert joined.split() == rendered.split()


def test_strikethrough_reaches_both_channels() -> None:
    """Struck-out words in an amended text are part of what staff must see."""
    body = "Thời hạn ~~15 ngày~~ 20 ngày."
    assert telegram_chunks("1", "1. Một", body) == ["<b>1. Một</b>\n\nThời hạn <s>15 ngày</s> 20 ngày."]
    assert zalo_chunks("1", "1. Một", body) == ["1. Một\n\nThời hạn 1\u03365\u0336 n\u0336g\u0336à\u0336y\u0336 20 ngày."]
