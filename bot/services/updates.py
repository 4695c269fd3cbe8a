"""Updates already handled: a messenger redelivers (webhook retries, a restart before the offset
was saved), and a redelivered update must change nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import wipe_wal_after_commit
from bot.db.models import PendingInput, ProcessedUpdate
from bot.db.queries import insert_ignoring_duplicates
from bot.domain.enums import Channel

KEY_LENGTH = 100
KEEP = dt.timedelta(days=2)  # messengers redeliver within a day (Telegram keeps updates 24 hours)


async def first_time(session: AsyncSession, channel: Channel, key: str, now: dt.datetime) -> bool:
    """Record the update; False when it was recorded before (then it is not handled again)."""
    inserted = await insert_ignoring_duplicates(
        session, ProcessedUpdate, [{"channel": channel, "update_key": key[:KEY_LENGTH], "at": now}]
    )
    return inserted > 0


async def prune(session: AsyncSession, now: dt.datetime) -> None:
    """Forget updates older than any redelivery, and steps nobody came back to finish (an
    abandoned anonymous comment leaves no row behind)."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < now - KEEP))
    if (await session.execute(delete(PendingInput).where(PendingInput.expires_at <= now))).rowcount:
        await wipe_wal_after_commit(session)  # the zeroed rows reach the database file at once
