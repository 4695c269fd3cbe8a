"""The small protocol every messenger adapter implements.

Services decide *what* to say; a channel decides *how* its messenger shows it
(buttons on Telegram, typed commands on Zalo) and reports the outcome of a send
in these exception types, so the delivery worker treats every messenger alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.batch import GroupCommit
from bot.domain.enums import Channel
from bot.services import flows
from bot.services.clock import Clock
from bot.services.deliveries import Job
from bot.services.messages import Message


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
    """What every channel's handlers need: the database, the clock, the settings they
    show, and a way to nudge the delivery worker when a handler queued something."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    tz: str
    wake: Callable[[], None]
    dashboard_url: str = "http://127.0.0.1:8080"  # where /dashboard's one-time links point
    org_name: str = "Cơ quan"  # the issuing body on report files sent in chat
    # "Đã đọc" presses arriving together share one transaction (bot/db/batch.py)
    confirmations: GroupCommit[flows.Press, flows.Reply] = field(init=False)

    def __post_init__(self) -> None:
        self.confirmations = GroupCommit(
            self.sessions, lambda session, presses: flows.confirm_presses(session, presses, self.clock.now(), self.tz)
        )
