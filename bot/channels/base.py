"""What every channel's handlers share: the conversation (an event in, a reply out) and the
way out (replies go to the outbox, which sends them inside the one budget)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.chat.core import Chat
from bot.domain.enums import Channel
from bot.domain.messages import Message


@dataclass
class BotContext:
    """What a channel's handlers need: the conversation, a way to nudge the delivery worker
    when a reply queued something, and the outbox's ``reply`` (queued at reply priority;
    returns at once)."""

    chat: Chat
    wake: Callable[[], None]
    send_reply: Callable[[Channel, str, Sequence[Message]], Awaitable[None]]
