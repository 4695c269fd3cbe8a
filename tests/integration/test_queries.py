"""The idempotent insert every write path relies on, on SQLite and PostgreSQL: it counts only
the rows that were new, whether one row or many, and rows may name different columns."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Department
from bot.db.queries import after_commit, insert_ignoring_duplicates


async def test_counts_only_new_rows(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        assert await insert_ignoring_duplicates(session, Department, [{"name": "Văn phòng"}]) == 1
        assert await insert_ignoring_duplicates(session, Department, [{"name": "Văn phòng"}]) == 0
        parent = await session.scalar(select(Department.id).where(Department.name == "Văn phòng"))
        rows = [
            {"name": "Văn phòng"},  # already there
            {"name": "Thanh tra"},
            {"name": "Tổ Công đoàn", "parent_id": parent},  # another shape: sent as its own batch
            {"name": "Phòng Công nghệ"},
        ]
        assert await insert_ignoring_duplicates(session, Department, rows) == 3
        assert await insert_ignoring_duplicates(session, Department, rows, batch=2) == 0
    async with sessions() as session:
        found = dict((await session.execute(select(Department.name, Department.parent_id))).all())
    assert found == {"Văn phòng": None, "Thanh tra": None, "Tổ Công đoàn": parent, "Phòng Công nghệ": None}


async def test_after_commit_runs_on_commit_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    notes: list[str] = []
    async with sessions() as session:
        transaction = await session.begin()
        after_commit(session, lambda: notes.append("rolled back"))
        await transaction.rollback()
    async with sessions() as session, session.begin():
        after_commit(session, lambda: notes.append("committed"))
        assert notes == []
    assert notes == ["committed"]
