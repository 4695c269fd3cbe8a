"""The audit trail is a hash chain: every event carries the hash of the one before, so
``congkhai audit verify`` finds an event edited or removed (and says which), a head hash
cited earlier pins the events up to it, and appends from concurrent transactions never fork
the chain."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.audit_chain import GENESIS
from bot.db.engine import create_engine, session_factory
from bot.db.models import AuditEvent
from bot.services import audit
from tests.cli_helpers import congkhai

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.timezone.utc)


async def _record(sessions: async_sessionmaker[AsyncSession], count: int, actor: str = "cli") -> None:
    for i in range(count):
        async with sessions() as session, session.begin():
            audit.record(session, NOW + dt.timedelta(minutes=i), actor, "test.event", "campaign", i,
                         note=f"sự kiện {i}", items=(1, 2))


def _verify(db_url: str, *args: str) -> tuple[int, str]:
    result = congkhai(db_url, "audit", "verify", *args)
    return result.exit_code, result.output


async def _ids(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return list((await session.scalars(select(AuditEvent.id).order_by(AuditEvent.id))).all())


async def test_verify_finds_an_edited_and_a_removed_event(db_url: str) -> None:
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    try:
        await _record(sessions, 6)
        async with sessions() as session:
            first = await session.scalar(select(AuditEvent).order_by(AuditEvent.id).limit(1))
            head = await audit.head(session)
        assert first is not None and first.prev_hash == GENESIS and head.count == 6
        code, output = await asyncio.to_thread(_verify, db_url)
        assert code == 0 and "nguyên vẹn: 6 sự kiện" in output and head.hash in output, output
        cited = head.hash

        ids = await _ids(sessions)
        async with sessions() as session, session.begin():  # someone rewrites what an event said
            await session.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(actor="staff:99"))
        code, output = await asyncio.to_thread(_verify, db_url)
        assert code == 1 and f"Sự kiện #{ids[2]}: nội dung đã bị sửa" in output, output
        assert f"#{ids[3]}" not in output

        async with sessions() as session, session.begin():  # put it back, then remove another one
            await session.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(actor="cli"))
            await session.execute(delete(AuditEvent).where(AuditEvent.id == ids[4]))
        code, output = await asyncio.to_thread(_verify, db_url)
        assert code == 1 and f"Sự kiện #{ids[5]}: sự kiện liền trước nó đã bị xoá" in output, output

        async with sessions() as session, session.begin():  # cut the tail instead: the chain looks whole ...
            await session.execute(delete(AuditEvent).where(AuditEvent.id >= ids[4]))
        code, output = await asyncio.to_thread(_verify, db_url)
        assert code == 0, output
        code, output = await asyncio.to_thread(_verify, db_url, "--head", cited)  # ... but not to the cited head
        assert code == 1 and f"Không tìm thấy mã băm {cited}" in output, output

        await _record(sessions, 1)  # appending again chains onto what is there now
        code, output = await asyncio.to_thread(_verify, db_url)
        assert code == 0 and "5 sự kiện" in output, output
    finally:
        await engine.dispose()


async def test_concurrent_appends_keep_one_chain(db_url: str) -> None:
    """Many transactions at once, each reading the head and appending while the others are
    open (on PostgreSQL on separate connections): the chain stays a single line."""
    engine = create_engine(db_url)
    sessions = session_factory(engine)

    async def one(n: int) -> None:
        async with sessions() as session, session.begin():
            audit.record(session, NOW, f"worker:{n}", "test.concurrent")
            await session.flush()
            await asyncio.sleep(0.01)  # hold the transaction open while others append
            audit.record(session, NOW, f"worker:{n}", "test.concurrent.second")

    try:
        await asyncio.gather(*(one(n) for n in range(12)))
        async with sessions() as session:
            result = await audit.verify(session)
            prevs = (await session.scalars(select(AuditEvent.prev_hash))).all()
        assert result.ok and result.count == 24, result.breaks
        assert len(set(prevs)) == len(prevs)  # no two events chained onto the same head
    finally:
        await engine.dispose()


async def test_the_migration_chains_events_already_stored(empty_db_url: str) -> None:
    from bot.db.migrate import upgrade

    await asyncio.to_thread(upgrade, empty_db_url, "0006")
    engine = create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            for i in range(3):
                await conn.execute(text(
                    "INSERT INTO audit_event (at, actor, action, target_type, target_id, details) "
                    "VALUES (:at, 'cli', 'old.event', NULL, :i, :details)"
                ), {"at": (NOW + dt.timedelta(seconds=i)).replace(tzinfo=None), "i": i, "details": '{"b": 1, "a": "ă"}'})
        await asyncio.to_thread(upgrade, empty_db_url)
        sessions = session_factory(engine)
        await _record(sessions, 1)
        async with sessions() as session:
            result = await audit.verify(session)
        assert result.ok and result.count == 4, result.breaks
    finally:
        await engine.dispose()
