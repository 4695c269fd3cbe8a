"""What the chat layer answers: messages, a toast for a pressed button, an edit of the pressed
message, a section to show again at once. Channel-neutral: Telegram shows buttons, toasts and
edits; Zalo turns them all into text (``bot.channels.zalo``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.domain.enums import Channel
from bot.domain.messages import Button, Message
from bot.services.documents import SectionView


@dataclass(frozen=True)
class Who:
    """The account behind an event: messenger, user, and the chat to answer in."""

    channel: Channel
    user_id: str
    chat_id: str


@dataclass(frozen=True)
class ShownSection:
    """A section already received, shown again right here (read on demand)."""

    campaign_id: int
    section: SectionView
    document: str | None = None  # the document's name, when several are open at once


@dataclass
class Reply:
    messages: list[Message] = field(default_factory=list)
    toast: str | None = None  # the short answer to a button press
    edit: Message | None = None  # replace the message whose button was pressed
    wake: bool = False  # deliveries were queued: the worker should look now
    section: ShownSection | None = None  # shown before ``messages``
    # What follows once this reply is shown: work that takes a while (report files), so that
    # the person is answered at once.
    later: Callable[[], Awaitable[Reply]] | None = None

    def say(self, text: str, *buttons: tuple[Button, ...], **flags: bool) -> Reply:
        self.messages.append(Message(text, tuple(buttons), **flags))
        return self
