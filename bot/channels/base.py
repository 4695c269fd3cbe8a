"""What every channel's handlers share: the database, the clock, and the way out
(replies go to the outbox, which sends them inside the one budget)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.batch import GroupCommit
from bot.domain.enums import Channel
from bot.services import flows
from bot.services.clock import Clock
from bot.services.messages import Message


@dataclass
class BotContext:
    """What every channel's handlers need: the database, the clock, the settings they
    show, a way to nudge the delivery worker when a handler queued something, and the
    outbox's ``reply`` (queued at reply priority; returns at once)."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    tz: str
    wake: Callable[[], None]
    send_reply: Callable[[Channel, str, Sequence[Message]], Awaitable[None]]
    # "Đã đọc" presses arriving together share one transaction (bot/db/batch.py)
    confirmations: GroupCommit[flows.Press, flows.Reply] = field(init=False)

    def __post_init__(self) -> None:
        self.confirmations = GroupCommit(
            self.sessions, lambda session, presses: flows.confirm_presses(session, presses, self.clock.now(), self.tz)
        )
