"""What a person did, as the chat layer takes it: each channel translates its updates into
these values and nothing else (DESIGN.md §2)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.reply import Who
from bot.domain.actions import Action


@dataclass(frozen=True)
class Event:
    who: Who
    update_key: str | None = None  # the messenger's id for the update: a redelivery is handled once


@dataclass(frozen=True)
class Command(Event):
    """A slash command: ``/start CODE``, ``/mucluc``…; ``args`` is the rest of the line."""

    name: str = ""
    args: str = ""


@dataclass(frozen=True)
class Press(Event):
    """A button: ``action`` is None when its data decoded to nothing of ours (forged, or stale)."""

    action: Action | None = None


@dataclass(frozen=True)
class Text(Event):
    """A text message. ``markup``: the same text with the messenger's bold and italics as light
    Markdown (an announcement being composed keeps them). ``typed``: the messenger has no
    buttons, so a short text may be a typed command (Zalo)."""

    text: str = ""
    markup: str | None = None
    typed: bool = False


@dataclass(frozen=True)
class Contact(Event):
    """A shared phone number; ``owner`` is whose number the messenger says it is."""

    phone: str = ""
    owner: str | None = None


@dataclass(frozen=True)
class Other(Event):
    """Anything else: a photo, a sticker, a voice note; ``unsupported``: the messenger
    withheld what it was."""

    unsupported: bool = False


@dataclass(frozen=True)
class Blocked(Event):
    """The person blocked the bot (or deleted the chat)."""


@dataclass(frozen=True)
class Unblocked(Event):
    """The person allowed the bot again."""
