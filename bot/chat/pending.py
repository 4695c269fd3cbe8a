"""What the next message of a chat means, kept in the database so that any
process can take the next update (e.g. "the next text is a comment on section 5")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import PendingInput
from bot.domain.enums import Channel

TTL = dt.timedelta(minutes=30)


async def expect(
    session: AsyncSession, channel: Channel, external_user_id: str, kind: str, data: dict[str, Any], now: dt.datetime
) -> None:
    await session.execute(
        delete(PendingInput).where(PendingInput.channel == channel, PendingInput.external_user_id == external_user_id)
    )
    session.add(
        PendingInput(channel=channel, external_user_id=external_user_id, kind=kind, data=data, expires_at=now + TTL)
    )
    await session.flush()


async def peek(session: AsyncSession, channel: Channel, external_user_id: str, now: dt.datetime) -> PendingInput | None:
    pending = await session.scalar(
        select(PendingInput).where(PendingInput.channel == channel, PendingInput.external_user_id == external_user_id)
    )
    if pending is not None and pending.expires_at <= now:
        await session.delete(pending)
        return None
    return pending


async def clear(session: AsyncSession, channel: Channel, external_user_id: str) -> None:
    await session.execute(
        delete(PendingInput).where(PendingInput.channel == channel, PendingInput.external_user_id == external_user_id)
    )
