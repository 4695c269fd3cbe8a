"""The small protocol every messenger adapter implements for the outbox.

Services decide *what* to say; a channel decides *how* its messenger shows it
(buttons on Telegram, typed commands on Zalo) and reports the outcome of a send
in these exception types, so the outbox treats every messenger alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.enums import Channel
from bot.domain.messages import Message
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


class Unauthorized(SendError):
    """The messenger refused the bot's token (401): revoked or wrong. Nothing can be sent on
    this channel until it is fixed, and nothing queued for it is given up."""


@dataclass
class Sent:
    message_id: str


class ChannelAdapter(Protocol):
    """A messenger as the outbox sees it."""

    channel: Channel

    def render(self, job: Job) -> list[Message]:
        """The messages (chunks) a queued delivery becomes on this messenger, in order."""
        ...

    async def send(self, chat_id: str, message: Message) -> Sent:
        """Send one message; raise one of the ``SendError`` types on failure."""
        ...

    async def check(self) -> None:
        """Ask the messenger who the bot is (getMe); ``Unauthorized`` when the token is refused."""
        ...
