"""The web pages say nothing of their own: every word a person reads on them comes from the
catalogue (``web.*`` in bot/domain/texts.py), and every key a page names is there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import Markup

from bot.domain.texts import CATALOGUE
from bot.web.pages import environment, text

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "bot" / "web" / "templates").glob("*.html"))
LETTER = re.compile(r"[^\W\d_]")
HIDDEN = re.compile(r"<(style|script)\b.*?</\1>", re.S)
TAG = re.compile(r"<[^>]*>")
READ_ATTRIBUTE = re.compile(r'\b(?:alt|title|placeholder|aria-label)="([^"]*)"')
KEY = re.compile(r"""t\("(web\.[\w.]+)"(?:\s*[,)])""")


def _page_words(path: Path) -> tuple[str, list[str]]:
    """The text between a template's tags and in the attributes people read, with every
    Jinja expression and statement left out; and the string literals inside them."""
    env = environment()
    data: list[str] = []
    literals: list[str] = []
    for _, kind, value in env.lex(path.read_text(encoding="utf-8")):
        if kind == "data":
            data.append(value)
        elif kind == "string":
            literals.append(value)
        elif kind == "variable_begin":
            data.append("0")  # a value stands here
    page = HIDDEN.sub(" ", "".join(data))
    attributes = " ".join(READ_ATTRIBUTE.findall(page))
    return TAG.sub(" ", page) + " " + attributes, literals


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_a_page_has_no_words_outside_the_catalogue(path: Path) -> None:
    words, literals = _page_words(path)
    assert not LETTER.search(words), f"{path.name}: {LETTER.search(words) and words.strip()[:200]}"
    for literal in literals:  # names of keys, CSS classes and values, never Vietnamese
        assert not any(ch.isalpha() and not ch.isascii() for ch in literal), f"{path.name}: {literal!r}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_key_a_page_names_is_in_the_catalogue(path: Path) -> None:
    for key in KEY.findall(path.read_text(encoding="utf-8")):
        assert key in CATALOGUE, f"{path.name}: {key}"


def test_a_page_text_escapes_its_values_and_keeps_its_own_markup() -> None:
    shown = text("web.comments.unpublished", count="<script>1</script>")
    assert isinstance(shown, Markup)
    assert shown == "Có <b>&lt;script&gt;1&lt;/script&gt;</b> góp ý đã trả lời nhưng chưa công bố."
    assert text("web.comments.answer", by=Markup("<i>A</i>"), at="&", answer="x") == "<b>Trả lời</b> (<i>A</i>, &amp;): x"
