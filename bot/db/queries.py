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
    if len(rows) == 1:
        return len(await insert_new(session, model, rows))
    primary_key = tuple(column.key for column in cast(Table, model.__table__).primary_key.columns)
    return len(await _insert_returning(session, model, rows, primary_key, batch))


async def insert_new(
    session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]], *columns: Any, batch: int = 500
) -> set[tuple[Any, ...]]:
    """INSERT rows, skipping any that hit a unique constraint, and tell which were new: the
    values of ``columns`` (a unique key the rows carry) of each row inserted."""
    names = tuple(column.key for column in columns)
    if len(rows) == 1:
        # The hot single-row case (an acknowledgment, one delivery): one statement built
        # once and compiled once, the row as parameters, the row count as the answer.
        result = await session.execute(_insert_one(model, _dialect(session)), dict(rows[0]))
        return {tuple(rows[0][name] for name in names)} if int(result.rowcount or 0) > 0 else set()  # type: ignore[attr-defined]
    return set(await _insert_returning(session, model, rows, names, batch))


async def _insert_returning(
    session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]], names: tuple[str, ...], batch: int
) -> list[tuple[Any, ...]]:
    """Many rows: one statement built once, sent in batches of VALUES by SQLAlchemy's
    "insertmanyvalues"; RETURNING names the rows that were new on both databases.
    Rows sent together must name the same columns."""
    statement = _insert_many(model, _dialect(session), names)
    shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(frozenset(row), []).append(dict(row))
    new: list[tuple[Any, ...]] = []
    for same in shapes.values():
        for start in range(0, len(same), batch):
            new.extend(tuple(r) for r in (await session.execute(statement, same[start : start + batch])).all())
    return new


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


@functools.cache
def _insert_one(model: type[Base], dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(cast(Table, model.__table__)).on_conflict_do_nothing()


@functools.cache
def _insert_many(model: type[Base], dialect: str, names: tuple[str, ...]) -> Any:
    table = cast(Table, model.__table__)
    return _insert_one(model, dialect).returning(*(table.c[name] for name in names))


def after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """Run ``action`` when this session's transaction commits, never if it rolls back: for
    in-memory notes that must not claim work a rolled-back transaction did not keep."""
    event.listen(session.sync_session, "after_commit", lambda _session: action(), once=True)


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"
