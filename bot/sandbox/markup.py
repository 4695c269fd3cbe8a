"""Telegram's text formatting: turn a message's markup into visible text and entities.

Telegram parses the markup before it checks the length (the 4096 limit is on the visible text)
and answers ``400 can't parse entities: ...`` when the markup does not parse. These functions
reproduce that check closely enough that text accepted here is accepted there, with the reasons
worded as Telegram words them. Entity offsets and lengths are in UTF-16 code units, as in the
Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any


class EntityParseError(ValueError):
    """The markup does not parse; ``str(exc)`` is Telegram's reason, e.g. ``Unsupported start tag "br" at byte offset 5``."""


class UnsupportedParseMode(ValueError):
    """The ``parse_mode`` is none of HTML, MarkdownV2, Markdown."""


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_formatted(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> FormattedText:
    """The visible text and entities of ``text`` sent with ``parse_mode`` (or explicit ``entities``)."""
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return FormattedText(text, [dict(e) for e in entities or []])
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise UnsupportedParseMode(parse_mode)


def _sorted(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(source: str) -> FormattedText:
    """Parse Telegram's HTML: only its tags, properly nested, and no stray ``<``. A bot sends
    the same text to many chats (a section to everyone, the same stamp on each pressed copy),
    so each text is parsed once; every caller gets entities of its own."""
    parsed = _parse_html(source)
    return FormattedText(parsed.text, [dict(entity) for entity in parsed.entities])


@lru_cache(maxsize=1024)
def _parse_html(source: str) -> FormattedText:
    parser = _TelegramHTMLParser(source)
    parser.feed(source)
    parser.close()
    errors = parser.errors + _stray_angle_errors(source)
    if errors:
        raise EntityParseError(min(errors)[1])
    if parser.stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1].tag}"'
        )
    return FormattedText("".join(parser.parts), _sorted(parser.entities))


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _stray_angle_errors(source: str) -> list[tuple[int, str]]:
    """Errors for ``<`` that html.parser would quietly keep as text but Telegram rejects."""
    for match in re.finditer("<", source):
        i = match.start()
        following = source[i + 1 : i + 2]
        closing = source.find(">", i)
        if following and following.isascii() and (following.isalpha() or following in "/!?"):
            if closing == -1:
                return [(i, f"Unclosed start tag at byte offset {_byte_offset(source, i)}")]
            continue
        name_match = re.match(r"[^\s>]*", source[i + 1 :])
        name = name_match.group(0) if name_match else ""
        end = i + 1 + len(name)
        if end >= len(source):
            return [(i, f"Unclosed start tag at byte offset {_byte_offset(source, i)}")]
        return [(i, f'Unsupported start tag "{name.lower()}" at byte offset {_byte_offset(source, i)}')]
    return []


@dataclass
class _OpenTag:
    tag: str
    type: str | None
    start: int  # UTF-16 offset in the visible text
    extra: dict[str, Any]


class _TelegramHTMLParser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.parts: list[str] = []
        self.length = 0  # UTF-16 length of the visible text so far
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []
        self.errors: list[tuple[int, str]] = []

    # -- positions
    def _index(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _fail(self, message: str) -> None:
        if not self.errors:
            index = self._index()
            self.errors.append((index, message.format(offset=_byte_offset(self.source, index))))

    def _emit(self, text: str) -> None:
        if not self.errors and text:
            self.parts.append(text)
            self.length += utf16_len(text)

    # -- callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.errors:
            return
        if tag not in _HTML_TAGS:
            self._fail(f'Unsupported start tag "{tag}" at byte offset {{offset}}')
            return
        attributes = {name.lower(): value or "" for name, value in attrs}
        entity_type: str | None = _HTML_TAGS[tag]
        extra: dict[str, Any] = {}
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            self._fail('Tag "span" must have class "tg-spoiler"')
            return
        if tag == "a":
            href = attributes.get("href", "")
            if href.startswith("tg://user?id="):
                entity_type, extra = "text_mention", {"user": {"id": int(href.split("=", 1)[1] or 0), "is_bot": False, "first_name": ""}}
            elif href:
                extra = {"url": href}
            else:
                entity_type = None
        elif tag == "tg-emoji":
            if not attributes.get("emoji-id"):
                self._fail('Tag "tg-emoji" must have attribute "emoji-id"')
                return
            extra = {"custom_emoji_id": attributes["emoji-id"]}
        elif tag == "blockquote" and "expandable" in attributes:
            entity_type = "expandable_blockquote"
        elif tag == "code" and self.stack and self.stack[-1].tag == "pre":
            language = attributes.get("class", "")
            if language.startswith("language-"):
                self.stack[-1].extra["language"] = language[len("language-") :]
                entity_type = None
        self.stack.append(_OpenTag(tag, entity_type, self.length, extra))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if not self.errors:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.errors:
            return
        if not self.stack:
            self._fail("Unexpected end tag at byte offset {offset}")
            return
        top = self.stack[-1]
        if top.tag != tag:
            self._fail(
                f'Unmatched end tag at byte offset {{offset}}, expected "</{top.tag}>", found "</{tag}>"'
            )
            return
        self.stack.pop()
        length = self.length - top.start
        if top.type and length > 0:
            self.entities.append({"type": top.type, "offset": top.start, "length": length, **top.extra})

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def _has_semicolon(self, reference: str) -> bool:
        # Called before html.parser moves on, so the position is still that of the "&".
        end = self._index() + 1 + len(reference)
        return self.source[end : end + 1] == ";"

    def handle_entityref(self, name: str) -> None:
        known = _HTML_NAMED_ENTITIES.get(name)
        if known is not None and self._has_semicolon(name):
            self._emit(known)
        else:
            self._emit(f"&{name};" if self._has_semicolon(name) else f"&{name}")

    def handle_charref(self, name: str) -> None:
        literal = f"&#{name};" if self._has_semicolon("#" + name) else f"&#{name}"
        try:
            code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        except ValueError:
            code = 0
        self._emit(chr(code) if 0 < code <= 0x10FFFF and literal.endswith(";") else literal)

    def handle_comment(self, data: str) -> None:
        self._fail('Unsupported start tag "!--" at byte offset {offset}')

    def handle_decl(self, decl: str) -> None:
        self._fail(f'Unsupported start tag "!{decl.split()[0].lower() if decl else ""}" at byte offset {{offset}}')

    def handle_pi(self, data: str) -> None:
        self._fail(f'Unsupported start tag "?{data.split()[0].lower() if data else ""}" at byte offset {{offset}}')

    def unknown_decl(self, data: str) -> None:
        self._fail('Unsupported start tag "![" at byte offset {offset}')


# --------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


@dataclass
class _MdOpen:
    type: str
    start: int  # UTF-16 offset in the visible text
    byte: int  # byte offset in the source, for error messages
    extra: dict[str, Any] = field(default_factory=dict)


class _MdBuilder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.length = 0
        self.stack: list[_MdOpen] = []
        self.entities: list[dict[str, Any]] = []

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def open(self, entity_type: str, index: int, **extra: Any) -> None:
        self.stack.append(_MdOpen(entity_type, self.length, _byte_offset(self.source, index), dict(extra)))

    def close(self, **extra: Any) -> None:
        top = self.stack.pop()
        length = self.length - top.start
        if length > 0:
            self.entities.append({"type": top.type, "offset": top.start, "length": length, **top.extra, **extra})

    def toggle(self, entity_type: str, index: int) -> None:
        if self.stack and self.stack[-1].type == entity_type:
            self.close()
        else:
            self.open(entity_type, index)

    def result(self) -> FormattedText:
        return FormattedText("".join(self.parts), _sorted(self.entities))


def parse_markdown_v2(source: str) -> FormattedText:
    """Parse MarkdownV2: every reserved character outside an entity must be escaped."""
    md = _MdBuilder(source)
    i, n = 0, len(source)
    line_start = True
    while i < n:
        c = source[i]
        top = md.stack[-1] if md.stack else None
        if c == "\\" and i + 1 < n and 0 < ord(source[i + 1]) <= 126:
            md.emit(source[i + 1])
            i, line_start = i + 2, False
            continue
        if top is not None and top.type in ("code", "pre"):
            if top.type == "pre" and source.startswith("```", i):
                md.close()
                i += 3
            elif top.type == "code" and c == "`":
                md.close()
                i += 1
            else:
                md.emit(c)
                i += 1
            continue
        if c == "\n":
            md.emit(c)
            i, line_start = i + 1, True
            if md.stack and md.stack[-1].type == "blockquote" and not source.startswith(">", i):
                md.close()
            continue
        if c == ">" and line_start:
            if not any(o.type == "blockquote" for o in md.stack):
                md.open("blockquote", i)
            i, line_start = i + 1, False
            continue
        line_start = False
        if c not in _MDV2_RESERVED:
            md.emit(c)
            i += 1
        elif c == "*":
            md.toggle("bold", i)
            i += 1
        elif c == "_":
            if source.startswith("__", i):
                md.toggle("underline", i)
                i += 2
            else:
                md.toggle("italic", i)
                i += 1
        elif c == "~":
            md.toggle("strikethrough", i)
            i += 1
        elif c == "|" and source.startswith("||", i):
            md.toggle("spoiler", i)
            i += 2
        elif c == "`":
            if source.startswith("```", i):
                i = _open_pre(md, source, i)
            else:
                md.open("code", i)
                i += 1
        elif c == "[":
            md.open("text_link", i)
            i += 1
        elif c == "!" and source.startswith("![", i):
            md.open("custom_emoji", i)
            i += 2
        elif c == "]" and top is not None and top.type in ("text_link", "custom_emoji"):
            i = _close_link(md, source, i)
        else:
            raise EntityParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
    while md.stack and md.stack[-1].type == "blockquote":
        md.close()
    if md.stack:
        top = md.stack[-1]
        raise EntityParseError(f"Can't find end of {_MDV2_NAMES[top.type]} entity at byte offset {top.byte}")
    return md.result()


def _open_pre(md: _MdBuilder, source: str, i: int) -> int:
    md.open("pre", i)
    i += 3
    newline = source.find("\n", i)
    fence = source.find("```", i)
    if newline != -1 and (fence == -1 or newline < fence):
        language = source[i:newline]
        if language and not re.search(r"\s", language):
            md.stack[-1].extra["language"] = language
            return newline + 1
        if not language:
            return newline + 1
    return i


def _close_link(md: _MdBuilder, source: str, i: int) -> int:
    if not source.startswith("(", i + 1):
        md.stack.pop()  # "[text]" without a URL is plain text
        return i + 1
    j, url = i + 2, []
    while j < len(source) and source[j] != ")":
        if source[j] == "\\" and j + 1 < len(source):
            j += 1
        url.append(source[j])
        j += 1
    if j >= len(source):
        raise EntityParseError(f"Can't find end of a URL at byte offset {_byte_offset(source, i + 1)}")
    target = "".join(url)
    if md.stack[-1].type == "custom_emoji":
        md.close(custom_emoji_id=target.split("id=", 1)[-1])
    elif target.startswith("tg://user?id="):
        md.stack[-1].type = "text_mention"
        md.close(user={"id": int(target.split("=", 1)[1] or 0), "is_bot": False, "first_name": ""})
    else:
        md.close(url=target)
    return j + 1


# --------------------------------------------------------------------------- legacy Markdown

_MD_SIMPLE = {"*": "bold", "_": "italic"}


def parse_markdown(source: str) -> FormattedText:
    """Parse the legacy Markdown mode: no nesting, only ``_*`[`` are special."""
    md = _MdBuilder(source)
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            md.emit(source[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            md.emit(c)
            i += 1
            continue
        begin = i
        if c in _MD_SIMPLE or (c == "`" and not source.startswith("```", i)):
            end = source.find(c, i + 1)
            if end == -1:
                raise _legacy_unclosed(source, begin)
            md.open(_MD_SIMPLE.get(c, "code"), begin)
            md.emit(source[i + 1 : end])
            md.close()
            i = end + 1
        elif c == "`":
            end = source.find("```", i + 3)
            if end == -1:
                raise _legacy_unclosed(source, begin)
            body = source[i + 3 : end]
            language = ""
            if "\n" in body and not re.search(r"\s", body.split("\n", 1)[0]):
                language, body = body.split("\n", 1)
            md.open("pre", begin, **({"language": language} if language else {}))
            md.emit(body)
            md.close()
            i = end + 3
        else:  # "["
            close = source.find("]", i + 1)
            if close == -1 or not source.startswith("(", close + 1) or source.find(")", close) == -1:
                raise _legacy_unclosed(source, begin)
            end = source.find(")", close)
            md.open("text_link", begin, url=source[close + 2 : end])
            md.emit(source[i + 1 : close])
            md.close()
            i = end + 1
    return md.result()


def _legacy_unclosed(source: str, index: int) -> EntityParseError:
    return EntityParseError(f"Can't find end of the entity starting at byte offset {_byte_offset(source, index)}")


# --------------------------------------------------------------------------- user text

_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities Telegram attaches to a user's text (``/start ABC`` → one at 0)."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
        for m in _COMMAND.finditer(text)
    ]
