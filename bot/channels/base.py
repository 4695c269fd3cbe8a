"""The small protocol every messenger adapter implements.

Services decide *what* to say; a channel decides *how* its messenger shows it
(buttons on Telegram, typed commands on Zalo) and reports the outcome of a send
in these exception types, so the delivery worker treats every messenger alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.chat.core import Chat
from bot.domain.enums import Channel
from bot.domain.messages import Message

if TYPE_CHECKING:
    from bot.services.deliveries import Job


class SendError(Exception):
    """Base of what a send can end in, besides success."""


class Unreachable(SendError):
    """The person blocked the bot or is gone (403): stop sending to them."""


class RetryAfter(SendError):
    """The messenger asked us to slow down (429)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Transient(SendError):
    """A timeout or a server error: worth retrying with backoff."""


class Rejected(SendError):
    """The messenger refused this message (400): retrying will not help."""


@dataclass
class Sent:
    message_id: str


class ChannelAdapter(Protocol):
    """A messenger as the delivery worker sees it."""

    channel: Channel

    def render(self, job: Job) -> list[Message]:
        """The messages (chunks) a queued delivery becomes on this messenger, in order."""
        ...

    async def send(self, chat_id: str, message: Message) -> Sent:
        """Send one message; raise one of the ``SendError`` types on failure."""
        ...


@dataclass
class BotContext:
    """What a channel's handlers need: the conversation (an event in, a reply out) and a way
    to nudge the delivery worker when a reply queued something."""

    chat: Chat
    wake: Callable[[], None]
