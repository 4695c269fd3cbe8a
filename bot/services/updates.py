"""Updates already handled: a messenger redelivers (webhook retries, a restart before the offset
was saved), and a redelivered update must change nothing.

An update is kept as a digest of its key, never the key itself: a Zalo key names the sender
(``<user>:<message>``), and a row with the sender and a time, beside an anonymous comment's
day, would narrow down who wrote it. The digest is keyed with ``SECRET_KEY`` when the
deployment has one, so every process (and a restarted one) finds the same row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import deployment_key_of, wipe_wal_after_commit
from bot.db.models import PendingInput, ProcessedUpdate
from bot.db.queries import insert_ignoring_duplicates, insert_new
from bot.domain.enums import Channel

KEEP = dt.timedelta(days=2)  # messengers redeliver within a day (Telegram keeps updates 24 hours)


def digest(session: AsyncSession, channel: Channel, key: str) -> str:
    """What is stored of an update's ``key``: 64 hex digits that do not name the sender."""
    message = f"{channel.value}:{key}".encode()
    secret = deployment_key_of(session)
    if secret is not None:
        return hmac.new(secret, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


async def first_time(session: AsyncSession, channel: Channel, key: str, now: dt.datetime) -> bool:
    """Record the update; False when it was recorded before (then it is not handled again)."""
    inserted = await insert_ignoring_duplicates(
        session, ProcessedUpdate, [{"channel": channel, "update_key": digest(session, channel, key), "at": now}]
    )
    return inserted > 0


async def first_times(session: AsyncSession, keys: list[tuple[Channel, str]], now: dt.datetime) -> list[bool]:
    """:func:`first_time` for many updates in one statement, an answer for each, in order (the
    same update twice in ``keys``: only the first is new)."""
    stored = [(channel, digest(session, channel, key)) for channel, key in keys]
    rows = {pair: {"channel": pair[0], "update_key": pair[1], "at": now} for pair in stored}
    new = {key for _, key in await insert_new(session, ProcessedUpdate, list(rows.values()), ProcessedUpdate.channel,
                                              ProcessedUpdate.update_key)} if rows else set()
    new_pairs = {pair for pair in rows if pair[1] in new}
    answers = []
    for pair in stored:
        answers.append(pair in new_pairs)
        new_pairs.discard(pair)
    return answers


async def prune(session: AsyncSession, now: dt.datetime) -> None:
    """Forget updates older than any redelivery, and steps nobody came back to finish (an
    abandoned anonymous comment leaves no row behind)."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < now - KEEP))
    if (await session.execute(delete(PendingInput).where(PendingInput.expires_at <= now))).rowcount:
        await wipe_wal_after_commit(session)  # the zeroed rows reach the database file at once
