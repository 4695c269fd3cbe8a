"""The append-only audit trail, kept as a hash chain (bot/db/audit_chain.py): each event
carries the hash of the one before, so an event edited or removed is found by ``verify``,
and the head hash cited in a report pins what had happened by then."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.audit_chain import GENESIS, hash_of
from bot.db.models import AuditEvent


def record(
    session: AsyncSession,
    now: dt.datetime,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: int | None = None,
    **details: Any,
) -> None:
    """Add an audit event to the session; it commits with the change it describes and is
    chained to the event before it when flushed."""
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
    )


@dataclass(frozen=True)
class Head:
    hash: str  # GENESIS when the trail is empty
    count: int
    at: dt.datetime | None  # time of the last event


async def head(session: AsyncSession) -> Head:
    """The chain's head: the hash of the last event, which a report cites as evidence."""
    last = (await session.execute(select(AuditEvent.hash, AuditEvent.at).order_by(AuditEvent.id.desc()).limit(1))).first()
    count = int(await session.scalar(select(func.count(AuditEvent.id))) or 0)
    return Head(last.hash if last else GENESIS, count, last.at if last else None)


@dataclass(frozen=True)
class Break:
    event_id: int
    kind: str  # "edited": the event's content no longer matches its hash; "missing": the event
    # before it was removed or changed (its prev_hash points to nothing that is there)


@dataclass(frozen=True)
class Verification:
    count: int
    head: str
    breaks: list[Break]
    expected_found: bool | None  # None: no head was given to look for

    @property
    def ok(self) -> bool:
        return not self.breaks and self.expected_found is not False


async def verify(session: AsyncSession, expected_head: str | None = None, batch: int = 5000) -> Verification:
    """Walk the whole chain in id order and recompute every hash. ``expected_head``: a head
    hash cited earlier (in a report); it must be in the chain, else events after it were cut."""
    breaks: list[Break] = []
    prev, count, last_id = GENESIS, 0, 0
    found = None if expected_head is None else expected_head == GENESIS
    while True:
        rows = (await session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        )).all()
        if not rows:
            break
        for row in rows:
            count += 1
            if row.prev_hash != prev:
                breaks.append(Break(row.id, "missing"))
            if hash_of(row, row.prev_hash) != row.hash:
                breaks.append(Break(row.id, "edited"))
            if expected_head is not None and row.hash == expected_head:
                found = True
            prev, last_id = row.hash, row.id
        session.expunge_all()
    return Verification(count, prev, breaks, found)
