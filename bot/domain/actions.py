"""Every button and typed command as a small typed value (DESIGN.md §2).

A Telegram button carries ``encode()`` as its ``callback_data`` (at most 64 bytes); Zalo has no
buttons, so the chat layer maps a typed word onto the same actions and the command hint shown
under a message is derived from them (``zalo_hint``). ``decode`` is the only way back from a
string: a client may send any callback data, so anything that is not exactly one of these
shapes, with numbers in range, decodes to None. A decoded action is still only a claim: the
chat layer checks it against the state before anything is stored.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar

CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts
MAX_ID = 2**31 - 1  # database ids and ordinals: anything larger is forged
_NUMBER = re.compile(r"-?[0-9]{1,10}")
_CHOICE = re.compile(r"(all|ack|[pd][0-9]{1,9}|r[a-z]{1,12})")


def _id(minimum: int = 0, maximum: int = MAX_ID) -> Any:
    return dataclasses.field(metadata={"range": (minimum, maximum)})


@dataclass(frozen=True)
class Action:
    """A button's meaning. Subclasses name their ``prefix`` and declare int (or choice) fields."""

    prefix: ClassVar[str] = ""
    hint: ClassVar[str | None] = None  # the catalogue key of its Zalo command hint

    def encode(self) -> str:
        parts = [self.prefix, *(str(getattr(self, f.name)) for f in dataclasses.fields(self))]
        data = ":".join(parts)
        if len(data.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
        return data


_REGISTRY: dict[str, type[Action]] = {}


def action(cls: type[Action]) -> type[Action]:
    """Register an action class under its prefix (one class per prefix)."""
    assert cls.prefix and cls.prefix not in _REGISTRY, cls
    _REGISTRY[cls.prefix] = cls
    return cls


def decode(data: object) -> Action | None:
    """The action behind ``data``, or None when it is not exactly one of ours."""
    if not isinstance(data, str) or not data or len(data.encode("utf-8", "replace")) > CALLBACK_LIMIT:
        return None
    prefix, *args = data.split(":")
    cls = _REGISTRY.get(prefix)
    if cls is None:
        return None
    fields = dataclasses.fields(cls)
    if len(args) != len(fields):
        return None
    values: dict[str, Any] = {}
    for f, raw in zip(fields, args):
        if f.type in ("str", str):
            if not _CHOICE.fullmatch(raw):
                return None
            values[f.name] = raw
            continue
        if not _NUMBER.fullmatch(raw):
            return None
        value = int(raw)
        low, high = f.metadata.get("range", (0, MAX_ID))
        if not low <= value <= high:
            return None
        values[f.name] = value
    return cls(**values)


# --- reading ---------------------------------------------------------------------------------


@action
@dataclass(frozen=True)
class Ack(Action):
    """"✅ Đã đọc" of one section."""

    prefix: ClassVar[str] = "ack"
    hint: ClassVar[str | None] = "zalo.hint.ack"
    campaign: int = _id(1)
    ordinal: int = _id(1)


@action
@dataclass(frozen=True)
class Next(Action):
    """"Đọc tiếp ▶": the next section not yet received."""

    prefix: ClassVar[str] = "next"
    hint: ClassVar[str | None] = "zalo.hint.next"
    campaign: int = _id(1)


@action
@dataclass(frozen=True)
class Toc(Action):
    """The table of contents, one page of it (0-based)."""

    prefix: ClassVar[str] = "toc"
    hint: ClassVar[str | None] = "zalo.hint.toc"
    campaign: int = _id(1)
    page: int = _id(0, 10_000)


@action
@dataclass(frozen=True)
class Read(Action):
    """Open one section from the table of contents."""

    prefix: ClassVar[str] = "read"
    hint: ClassVar[str | None] = "zalo.hint.read"
    campaign: int = _id(1)
    ordinal: int = _id(1)


@action
@dataclass(frozen=True)
class Attest(Action):
    """The final attestation: the whole document has been read."""

    prefix: ClassVar[str] = "attest"
    hint: ClassVar[str | None] = "zalo.hint.attest"
    campaign: int = _id(1)


@action
@dataclass(frozen=True)
class Cancel(Action):
    prefix: ClassVar[str] = "cancel"
    hint: ClassVar[str | None] = "zalo.hint.cancel"


# --- comments (góp ý) -------------------------------------------------------------------------


@action
@dataclass(frozen=True)
class Comment(Action):
    """Write a comment on a section (0 = the whole document)."""

    prefix: ClassVar[str] = "fb"
    hint: ClassVar[str | None] = "zalo.hint.feedback"
    campaign: int = _id(1)
    ordinal: int = _id(0)


@action
@dataclass(frozen=True)
class CommentAnonymous(Action):
    prefix: ClassVar[str] = "fbanon"
    hint: ClassVar[str | None] = "zalo.hint.feedback_anonymous"
    campaign: int = _id(1)
    ordinal: int = _id(0)


ALL_SECTIONS, WHOLE_DOCUMENT, PICK_SECTION = -1, 0, -2


@action
@dataclass(frozen=True)
class CommentList(Action):
    """The comments of a campaign: only new ones or all, a section (-1 all, 0 the whole
    document, -2 choose one), a page."""

    prefix: ClassVar[str] = "fbl"
    campaign: int = _id(1)
    only_new: int = _id(0, 1)
    section: int = _id(-2)
    page: int = _id(0, 100_000)


@action
@dataclass(frozen=True)
class CommentView(Action):
    prefix: ClassVar[str] = "fbv"
    feedback: int = _id(1)


@action
@dataclass(frozen=True)
class CommentAccept(Action):
    """Answer a comment as tiếp thu (the text follows)."""

    prefix: ClassVar[str] = "fbt"
    feedback: int = _id(1)


@action
@dataclass(frozen=True)
class CommentExplain(Action):
    """Answer a comment as giải trình (the text follows)."""

    prefix: ClassVar[str] = "fbg"
    feedback: int = _id(1)


@action
@dataclass(frozen=True)
class RequestAnswer(Action):
    """Answer a request for a document (the text follows)."""

    prefix: ClassVar[str] = "rq"
    request: int = _id(1)


# --- announcements --------------------------------------------------------------------------------


@action
@dataclass(frozen=True)
class AnnounceAudience(Action):
    """Change a draft's audience: all, ack (toggle "Đã nhận"), p<page>, d<department>, r<role>."""

    prefix: ClassVar[str] = "annaud"
    draft: int = _id(1)
    choice: str = "all"


@action
@dataclass(frozen=True)
class AnnouncePreview(Action):
    prefix: ClassVar[str] = "annpre"
    draft: int = _id(1)


@action
@dataclass(frozen=True)
class AnnounceSend(Action):
    prefix: ClassVar[str] = "annok"
    draft: int = _id(1)


@action
@dataclass(frozen=True)
class AnnounceSchedule(Action):
    prefix: ClassVar[str] = "annat"
    draft: int = _id(1)


@action
@dataclass(frozen=True)
class AnnounceCancel(Action):
    """Drop a draft or cancel a scheduled announcement (0: nothing made yet)."""

    prefix: ClassVar[str] = "annno"
    announcement: int = _id(0)


@action
@dataclass(frozen=True)
class AnnounceAck(Action):
    """A recipient's "Đã nhận"."""

    prefix: ClassVar[str] = "annack"
    hint: ClassVar[str | None] = "zalo.hint.announcement_ack"
    announcement: int = _id(1)


@action
@dataclass(frozen=True)
class AnnounceResults(Action):
    prefix: ClassVar[str] = "annres"
    announcement: int = _id(1)


@action
@dataclass(frozen=True)
class AnnouncePreviewOnly(Action):
    """The buttons of a preview: they only say it is a preview."""

    prefix: ClassVar[str] = "annpv"
    draft: int = _id(1)


def registered() -> dict[str, type[Action]]:
    """Every action class by prefix (tests, the command hints)."""
    return dict(_REGISTRY)
