"""Typed commands: what a person means by a short message on a messenger without buttons (Zalo).

People type on phone keyboards, with or without Vietnamese diacritics, in any case, with stray
punctuation, so every match is made on ``fold``ed words: "Đã đọc", "da doc", "DD" and "1" all
confirm. Only a whole message is a command, except "góp ý ..." whose rest is the comment, kept
exactly as typed. Pure: the channel decides what "the section just sent" is.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.domain import invite
from bot.domain.text import fold, nfc


class Kind(str, enum.Enum):
    CONFIRM = "confirm"  # the section just sent
    NEXT = "next"
    TOC = "toc"  # ``number`` = page (1-based), None = first
    READ = "read"  # ``number`` = section ordinal
    ARTICLE = "article"  # ``number`` = the article's own number ("điều 4" is Điều 4, not the 4th item)
    FEEDBACK = "feedback"  # ``text`` = the comment ("" = ask for it)
    FEEDBACK_ANONYMOUS = "feedback_anonymous"
    PROGRESS = "progress"
    ATTEST = "attest"
    ANNOUNCEMENT_ACK = "announcement_ack"  # "đã nhận": the last announcement
    LINK = "link"  # ``text`` = the invite code
    HELP = "help"
    CANCEL = "cancel"
    REPORT = "report"
    DASHBOARD = "dashboard"  # a one-time sign-in link for the web dashboard
    TEXT = "text"  # not a command: a free text (maybe the comment we asked for)


@dataclass(frozen=True)
class Command:
    kind: Kind
    number: int | None = None
    text: str = ""


# Whole-message commands, as folded words (punctuation and spaces removed when compared).
_EXACT: dict[Kind, tuple[str, ...]] = {
    Kind.CONFIRM: ("da doc", "dd", "doc roi", "da doc xong", "ok da doc", "xac nhan", "da xem"),
    Kind.NEXT: ("tiep", "tiep theo", "doc tiep", "muc tiep", "muc tiep theo", "next"),
    Kind.TOC: ("muc luc", "ml", "danh sach muc", "xem muc luc"),
    Kind.PROGRESS: ("tien do", "td", "tien do cua toi", "xem tien do"),
    Kind.ATTEST: ("xac nhan toan van", "da doc toan van", "toi da doc toan van", "xntv"),
    Kind.ANNOUNCEMENT_ACK: ("da nhan", "nhan roi", "da nhan thong bao"),
    Kind.HELP: ("huong dan", "hd", "help", "tro giup", "giup", "menu", "?", "lenh"),
    Kind.CANCEL: ("huy", "huy bo", "thoi", "cancel"),
    Kind.REPORT: ("bao cao", "bc"),
}
# Telegram-style slash commands, for people who use both messengers.
_SLASH: dict[str, Kind] = {
    "mucluc": Kind.TOC,
    "tiendo": Kind.PROGRESS,
    "gopy": Kind.FEEDBACK,
    "baocao": Kind.REPORT,
    "dashboard": Kind.DASHBOARD,
    "huongdan": Kind.HELP,
    "help": Kind.HELP,
    "tiep": Kind.NEXT,
    "huy": Kind.CANCEL,
}
_FEEDBACK_PREFIXES: tuple[tuple[tuple[str, ...], Kind], ...] = (
    # longest first: "góp ý ẩn danh" before "góp ý"
    (("gop", "y", "an", "danh"), Kind.FEEDBACK_ANONYMOUS),
    (("gopy", "an", "danh"), Kind.FEEDBACK_ANONYMOUS),
    (("gop", "y", "andanh"), Kind.FEEDBACK_ANONYMOUS),
    (("gopy", "andanh"), Kind.FEEDBACK_ANONYMOUS),
    (("an", "danh"), Kind.FEEDBACK_ANONYMOUS),
    (("gop", "y"), Kind.FEEDBACK),
    (("gopy",), Kind.FEEDBACK),
    (("/gopy",), Kind.FEEDBACK),
)
_NUMBER = re.compile(r"^(?:(?:doc\s*)?(?:muc|m|so)\s*)?(\d{1,4})$")
_ARTICLE = re.compile(r"^(?:doc\s*)?dieu\s*(\d{1,4})$")
_PAGE = re.compile(r"^(?:trang|muc luc|ml)\s*(\d{1,3})$")
_TOKEN = re.compile(r"\S+")
_EDGE_PUNCTUATION = " \t\n.,;:!?…-–—\"'“”‘’()[]<>*_~"
_MAX_CODE_MESSAGE = 12  # an invite code is 8 characters, maybe typed "K7QM-4XRT"


def _key(text: str) -> str:
    """The folded text without edge punctuation: "Đã đọc!" -> "da doc"."""
    return fold(text).strip(_EDGE_PUNCTUATION)


def _word(token: str) -> str:
    return fold(token).strip(_EDGE_PUNCTUATION)


def parse(text: str, *, after_toc: bool = False) -> Command:
    """What ``text`` asks for. ``after_toc``: the person was just shown the table of contents,
    so a bare number picks a section ("1" included) instead of confirming."""
    raw = nfc(text or "").strip()
    key = _key(raw)
    if not key:
        return Command(Kind.TEXT, text=raw)

    slash = _slash(key)
    if slash is not None:
        return slash

    for kind, phrases in _EXACT.items():
        if key in phrases or key.replace(" ", "") in {p.replace(" ", "") for p in phrases}:
            return Command(kind)

    feedback = _feedback(raw)
    if feedback is not None:
        return feedback

    page = _PAGE.match(key)
    if page:
        return Command(Kind.TOC, number=int(page.group(1)))

    article = _ARTICLE.match(key)
    if article:
        return Command(Kind.ARTICLE, number=int(article.group(1)))

    number = _NUMBER.match(key)
    if number:
        value = int(number.group(1))
        bare = key.isdigit()
        if bare and value == 1 and not after_toc:
            return Command(Kind.CONFIRM)
        return Command(Kind.READ, number=value)

    if len(raw) <= _MAX_CODE_MESSAGE and " " not in raw.strip() and invite.looks_like_code(raw):
        return Command(Kind.LINK, text=invite.normalise_code(raw))
    return Command(Kind.TEXT, text=raw)


def _slash(key: str) -> Command | None:
    if not key.startswith("/"):
        return None
    name, _, rest = key[1:].partition(" ")
    name = name.split("@", 1)[0]
    if name == "start":
        code = rest.strip()
        return Command(Kind.LINK, text=invite.normalise_code(code)) if code else Command(Kind.HELP)
    kind = _SLASH.get(name)
    return Command(kind) if kind is not None and not rest else None


def _feedback(raw: str) -> Command | None:
    """"góp ý <text>" / "góp ý ẩn danh <text>": the rest of the message, exactly as typed."""
    tokens = list(_TOKEN.finditer(raw))
    words = [_word(m.group()) for m in tokens]
    for prefix, kind in _FEEDBACK_PREFIXES:
        size = len(prefix)
        if tuple(words[:size]) == prefix:
            rest = raw[tokens[size - 1].end():] if len(tokens) >= size else ""
            # "góp ý: ..." and "góp ý - ..." are common; keep the text's own punctuation otherwise
            rest = rest.lstrip(" \t:-–—,.\n").strip()
            if kind is Kind.FEEDBACK_ANONYMOUS and prefix[0] == "an" and not rest:
                return None  # "ẩn danh" alone is not a comment
            return Command(kind, text=rest)
    return None
