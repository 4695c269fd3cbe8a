"""The plans SQLite chooses for the statements that run for every press: each must find its rows
through a key, not walk what the whole campaign has (the campaign's index, 40 rows a person)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.services.reading import _RECEIVED


async def _plan(url: str, sql: str) -> str:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return " ".join(row[-1] for row in await connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    finally:
        await engine.dispose()


def test_the_sections_a_press_batch_received_are_found_by_the_delivery_key(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    statement = _RECEIVED.params(
        sources=["campaign:1", "campaign:2"], staff_ids=[1, 2, 3], items=[1, 2],
        now=dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc),
    )
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    plan = asyncio.run(_plan(url, sql))
    assert "(source=? AND staff_id=? AND item=?)" in plan, plan
