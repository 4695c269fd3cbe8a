"""What the next message of a chat means, kept in the database so that any
process can take the next update (e.g. "the next text is a comment on section 5").

The account is stored only as a keyed hash (HMAC-SHA256 of channel and account under the
deployment's secret key, which is never in the database): a copy of the database files
taken while someone is writing an anonymous comment does not say who it is. The row lives
for the one step and is deleted when the text is taken, and deleted rows are zeroed
(``secure_delete``, bot/db/engine.py), so afterwards nothing of it is left. Whoever holds
both the key and a copy made during the step could test accounts one by one; that is why
the row is short-lived and the key stays out of the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import secret_of, wipe_wal_after_commit
from bot.db.models import PendingInput
from bot.domain.enums import Channel

TTL = dt.timedelta(minutes=30)
PRIVATE = "private"  # in ``data``: a step that must not be traceable to the person


def account_key(session: AsyncSession, channel: Channel, external_user_id: str) -> str:
    """The stored stand-in for an account: 64 hex characters, not reversible without the key."""
    message = f"pending:{channel.value}:{external_user_id}".encode()
    return hmac.new(secret_of(session), message, hashlib.sha256).hexdigest()


def _where(session: AsyncSession, channel: Channel, external_user_id: str) -> tuple[Any, Any]:
    return (PendingInput.channel == channel,
            PendingInput.external_user_id == account_key(session, channel, external_user_id))


def _expiry(now: dt.datetime, coarse: bool) -> dt.datetime:
    """``now + TTL``; coarse: rounded up to the hour, so that the row's time cannot be matched
    to the minute against another row written in the same step (the account's last use)."""
    expires = now + TTL
    if coarse and expires != expires.replace(minute=0, second=0, microsecond=0):
        expires = expires.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    return expires


async def expect(
    session: AsyncSession, channel: Channel, external_user_id: str, kind: str, data: dict[str, Any], now: dt.datetime,
    *, private: bool = False,
) -> None:
    """Remember what the next text of this account means. ``private``: the step must not be
    traceable to the person (an anonymous comment): the expiry is kept to the hour, and the
    write-ahead log is emptied once the step has committed, and again once it is gone
    (bot/db/engine.py)."""
    await _delete(session, channel, external_user_id)
    session.add(
        PendingInput(channel=channel, external_user_id=account_key(session, channel, external_user_id), kind=kind,
                     data={**data, PRIVATE: True} if private else data, expires_at=_expiry(now, private))
    )
    await session.flush()
    if private:
        await wipe_wal_after_commit(session)


async def peek(session: AsyncSession, channel: Channel, external_user_id: str, now: dt.datetime) -> PendingInput | None:
    pending = await session.scalar(select(PendingInput).where(*_where(session, channel, external_user_id)))
    if pending is not None and pending.expires_at <= now:
        await session.delete(pending)
        if pending.data.get(PRIVATE):
            await wipe_wal_after_commit(session)
        return None
    return pending


async def clear(session: AsyncSession, channel: Channel, external_user_id: str) -> None:
    await _delete(session, channel, external_user_id)


async def _delete(session: AsyncSession, channel: Channel, external_user_id: str) -> None:
    """Drop the account's step; a private one is also flushed out of the write-ahead log, so
    that the database file does not keep it after a cancel or a switch to a named comment."""
    gone = (await session.execute(
        delete(PendingInput).where(*_where(session, channel, external_user_id)).returning(PendingInput.data)
    )).scalars().all()
    if any(data.get(PRIVATE) for data in gone):
        await wipe_wal_after_commit(session)
