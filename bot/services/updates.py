"""Updates already handled: a messenger redelivers (webhook retries, a restart before the offset
was saved), and a redelivered update must change nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import wipe_wal_after_commit
from bot.db.models import PendingInput, ProcessedUpdate
from bot.db.queries import insert_ignoring_duplicates, insert_new
from bot.domain.enums import Channel

KEY_LENGTH = 100
KEEP = dt.timedelta(days=2)  # messengers redeliver within a day (Telegram keeps updates 24 hours)


async def first_time(session: AsyncSession, channel: Channel, key: str, now: dt.datetime) -> bool:
    """Record the update; False when it was recorded before (then it is not handled again)."""
    inserted = await insert_ignoring_duplicates(
        session, ProcessedUpdate, [{"channel": channel, "update_key": key[:KEY_LENGTH], "at": now}]
    )
    return inserted > 0


async def first_times(session: AsyncSession, keys: list[tuple[Channel, str]], now: dt.datetime) -> list[bool]:
    """:func:`first_time` for many updates in one statement, an answer for each, in order (the
    same update twice in ``keys``: only the first is new)."""
    rows = {(channel, key[:KEY_LENGTH]): {"channel": channel, "update_key": key[:KEY_LENGTH], "at": now}
            for channel, key in keys}
    new = {key for _, key in await insert_new(session, ProcessedUpdate, list(rows.values()), ProcessedUpdate.channel,
                                              ProcessedUpdate.update_key)} if rows else set()
    new_pairs = {pair for pair in rows if pair[1] in new}
    answers = []
    for channel, key in keys:
        pair = (channel, key[:KEY_LENGTH])
        answers.append(pair in new_pairs)
        new_pairs.discard(pair)
    return answers


async def prune(session: AsyncSession, now: dt.datetime) -> None:
    """Forget updates older than any redelivery, and steps nobody came back to finish (an
    abandoned anonymous comment leaves no row behind)."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < now - KEEP))
    if (await session.execute(delete(PendingInput).where(PendingInput.expires_at <= now))).rowcount:
        await wipe_wal_after_commit(session)  # the zeroed rows reach the database file at once
