"""The light-markup dialect: whatever a person types, every message parses under Telegram's
HTML rules (the sandbox's parser is the judge) and reads the same as plain text on Zalo."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.chunking import render_rich, telegram_chunks, telegram_messages, utf16_len, zalo_chunks, zalo_messages
from bot.domain.render import (
    Markup,
    Span,
    escape,
    light_from_spans,
    light_from_telegram_html,
    parse_inline,
    to_html,
    to_plain,
)
from bot.domain.texts import t
from bot.sandbox.markup import parse_html

# What people type that could look like markup, between Vietnamese words.
PIECES = ["*", "**", "***", "_", "__", "<", ">", "&", "`", "```", "\\", "\n", "\n\n", " ", "&amp;", "<b>", "</i>",
          "Phòng", "Kế hoạch", "góp ý", "đã đọc", "Điều 5", "ngày 07/3", "😀", "ả"]
soups = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
TAG = re.compile(r"</?([a-zA-Z-]+)[^>]*>")


def assert_telegram_accepts(markup: str) -> str:
    """The sandbox parses it (balanced, Telegram's tags only, no stray ``<``), and we emit only <b> and <i>."""
    visible = parse_html(markup).text  # raises EntityParseError like Telegram's 400
    assert {m.group(1) for m in TAG.finditer(markup)} <= {"b", "i"}, markup
    return visible


def assert_zalo_plain(plain: str, visible_on_telegram: str) -> None:
    """Zalo shows text as it is: the plain rendering is what Telegram shows, with no markup of ours left."""
    assert plain == visible_on_telegram


@given(soups)
@settings(max_examples=400)
def test_any_text_renders_to_html_telegram_accepts_and_the_same_plain_text(text: str) -> None:
    visible = assert_telegram_accepts(to_html(text))
    assert_zalo_plain(to_plain(text), visible)


@given(soups)
@settings(max_examples=300)
def test_escaped_text_shows_exactly_what_was_typed(text: str) -> None:
    html = to_html(escape(text))
    assert "<b>" not in html and "<i>" not in html
    assert assert_telegram_accepts(html) == text
    assert to_plain(escape(text)) == text


names = soups.map(str.strip).filter(bool)  # the roster keeps names and departments trimmed and non-empty


@given(names, names)
@settings(max_examples=200)
def test_a_persons_words_in_a_catalogue_text_keep_their_stars(name: str, department: str) -> None:
    text = t("report.row", department=department, members=3, linked=2, sent=5, all_confirmed=1, attested=1,
             unreachable=0)
    visible = assert_telegram_accepts(to_html(text))
    assert visible.startswith(f"• {department}: 3 người")
    assert to_plain(text) == visible
    html = to_html(t("start.linked", name=name))
    assert f"Chào {name}!" in assert_telegram_accepts(html)


words = st.text(alphabet="abcdeđơưáàảãạ", min_size=1, max_size=6)


@given(words, words, words, st.sampled_from([("*", "**", "i"), ("**", "*", "b")]))
def test_overlapping_markers_degrade_to_literal_characters(a: str, b: str, c: str, markers: tuple[str, str, str]) -> None:
    first, second, tag = markers
    text = f"{first}{a} {second}{b}{first} {c}{second}"
    assert to_html(text) == f"<{tag}>{a} {second}{b}</{tag}> {c}{second}"
    assert to_plain(text) == f"{a} {second}{b} {c}{second}"


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("*a **b* c**", "<i>a **b</i> c**"),
        ("**a *b** c*", "<b>a *b</b> c*"),
        ("**Phòng *A***: 3 người", "<b>Phòng <i>A</i></b>: 3 người"),
        ("**a *b* c**", "<b>a <i>b</i> c</b>"),
        ("***cả hai***", "<b><i>cả hai</i></b>"),
        ("**a***b*", "<b>a</b><i>b</i>"),  # what the document reader writes for bold "a" then italic "b"
        ("2 * 3 = 6 và 4*", "2 * 3 = 6 và 4*"),  # a star before a space never opens
        ("** không **", "** không **"),
        ("****", "****"),  # an empty pair is no pair
        ("*chưa đóng", "*chưa đóng"),
        ("\\*không nghiêng\\*", "*không nghiêng*"),
        ("C:\\Users\\x", "C:\\Users\\x"),  # a backslash before a letter is itself
        ("x < y && _z_ `c`", "x &lt; y &amp;&amp; _z_ `c`"),
        ("**dòng 1\ndòng 2**", "<b>dòng 1\ndòng 2</b>"),
    ],
)
def test_examples(source: str, html: str) -> None:
    assert to_html(source) == html
    assert_telegram_accepts(html)


styled_spans = st.lists(
    st.builds(Span, st.text(alphabet="ab *_\\\n<&đ", min_size=1, max_size=8), st.booleans(), st.booleans()),
    max_size=8,
)


def _visible_styles(spans: list[Span]) -> list[tuple[str, bool, bool]]:
    """Each visible character with its style; whitespace carries no visible style."""
    return [(ch, s.bold and not ch.isspace(), s.italic and not ch.isspace()) for s in spans for ch in s.text]


@given(styled_spans)
@settings(max_examples=300)
def test_written_markup_reads_back_to_the_same_styles(spans: list[Span]) -> None:
    """Section bodies and announcements are written by ``light_from_spans`` and read by the same parser."""
    assert _visible_styles(parse_inline(light_from_spans(spans))) == _visible_styles(spans)


def test_telegram_formatting_becomes_the_dialect_and_typed_stars_stay_stars() -> None:
    light = light_from_telegram_html("<b>Họp</b> lúc 2*3 <i>nhé</i> &lt;b&gt; <u>gạch</u> <b>x <i>y</i></b>")
    assert isinstance(light, Markup)
    assert to_plain(light) == "Họp lúc 2*3 nhé <b> gạch x y"
    assert to_html(light) == "<b>Họp</b> lúc 2*3 <i>nhé</i> &lt;b&gt; gạch <b>x</b> <b><i>y</i></b>"


@given(st.lists(st.sampled_from(PIECES + ["Nội dung góp ý dài. ", "x" * 300]), max_size=120).map("".join))
@settings(max_examples=60, deadline=None)
def test_long_chat_texts_split_into_messages_each_messenger_takes(text: str) -> None:
    pieces = telegram_messages(text, limit=700)
    for piece in pieces:
        assert utf16_len(assert_telegram_accepts(piece)) <= 700
    plain = zalo_messages(text, limit=300)
    assert all(len(piece) <= 300 for piece in plain)
    squash = lambda s: "".join(s.split())  # noqa: E731 - whitespace at a cut is dropped
    assert squash("".join(plain)) == squash(to_plain(text))
    assert squash("".join(parse_html(p).text for p in pieces)) == squash(to_plain(text))


def test_a_comment_answer_notice_longer_than_one_telegram_message_is_split() -> None:
    comment = "*a **b* c** " + "Đề nghị sửa điều khoản. " * 170  # about 4,000 characters, as the limit allows
    notice = t("feedback.answer_notice", where="Điều 5", title="Quy chế", comment=comment, decision="Tiếp thu",
               by="Đỗ Thị Giang", at="08:00", answer="Đồng ý *một phần* " * 220)
    pieces = telegram_messages(notice)
    assert len(pieces) >= 2
    for piece in pieces:
        assert utf16_len(assert_telegram_accepts(piece)) <= 4096
    assert "*a **b* c**" in parse_html(pieces[0]).text


@given(soups, names, soups)
@settings(max_examples=200, deadline=None)
def test_sections_of_any_text_render_to_chunks_both_messengers_take(body: str, heading: str, path: str) -> None:
    """Section bodies go through the same dialect: every chunk parses and fits, on Telegram and on Zalo."""
    telegram = telegram_chunks(path.strip(), heading, body, limit=400, last_reserve=40)
    zalo = zalo_chunks(path.strip(), heading, body, limit=300, last_reserve=40)
    for chunk in telegram:
        assert utf16_len(assert_telegram_accepts(chunk)) <= 400
    assert all(len(chunk) <= 300 for chunk in zalo)
    assert "".join(render_rich(body).text.split())[:8] in "".join(zalo[0].split())
