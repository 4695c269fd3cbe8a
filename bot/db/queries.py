"""Queries shared by several services, written once for both databases."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Base


async def insert_ignoring_duplicates(
    session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]], batch: int = 500
) -> int:
    """INSERT rows, skipping any that hit a unique constraint (idempotent writes).

    Returns the number of rows actually inserted.
    """
    if not rows:
        return 0
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if len(rows) == 1:
        # The hot single-row case (an acknowledgment, one delivery): one statement built
        # once and compiled once, the row as parameters.
        result = await session.execute(_insert_one(model, dialect), dict(rows[0]))
        return max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]
    # Many rows: one statement built once, sent in batches of VALUES by SQLAlchemy's
    # "insertmanyvalues"; RETURNING counts the rows that were new on both databases.
    # Rows sent together must name the same columns.
    statement = _insert_many(model, dialect)
    shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(frozenset(row), []).append(dict(row))
    inserted = 0
    for same in shapes.values():
        for start in range(0, len(same), batch):
            result = await session.execute(statement, same[start : start + batch])
            inserted += len(result.all())
    return inserted


@functools.cache
def _insert_one(model: type[Base], dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(cast(Table, model.__table__)).on_conflict_do_nothing()


@functools.cache
def _insert_many(model: type[Base], dialect: str) -> Any:
    return _insert_one(model, dialect).returning(*cast(Table, model.__table__).primary_key.columns)


def after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """Run ``action`` when this session's transaction commits, never if it rolls back: for
    in-memory notes that must not claim work a rolled-back transaction did not keep."""
    event.listen(session.sync_session, "after_commit", lambda _session: action(), once=True)


def database_key(session: AsyncSession) -> str:
    """Which database a session is on: the key for a process's in-memory notes about it."""
    return str(session.bind.url) if session.bind is not None else ""


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"
