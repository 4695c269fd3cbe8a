"""What every channel's handlers share: the conversation (an event in, a reply out) and the
way out (replies go to the outbox, which sends them inside the one budget)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.chat.core import Chat
from bot.chat.reply import Reply
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


def section_shown(reply: Reply, section_messages: Callable[..., list[Message]]) -> list[Message]:
    """The section a reply shows again, in the channel's own chunks (``section_messages``),
    or nothing."""
    shown = reply.section
    if shown is None:
        return []
    s = shown.section
    return section_messages(shown.campaign_id, s.path, s.heading, s.body, s.ordinal, document=shown.document)
