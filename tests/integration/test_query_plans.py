"""The plans SQLite chooses for the statements that run for every press: each must find its rows
through the key it has, not read everything of each person and filter (the campaign's index,
40 rows a person at the end of a campaign)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite

from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.services.reading import _RECEIVED


async def _plan(url: str, statement: Any) -> str:
    """SQLite's plan for ``statement`` as the bot runs it: with its parameters bound (``?``), not
    written into the text, which lets SQLite plan for the values."""
    compiled = statement.compile(dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True})
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", (None,) * len(compiled.positiontup))
            return " ".join(row[-1] for row in rows)
    finally:
        await engine.dispose()


def test_the_sections_a_press_batch_received_are_found_by_the_delivery_key(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    statement = _RECEIVED.params(
        sources=["campaign:1", "campaign:2"], staff_ids=[1, 2, 3], items=[1, 2],
        now=dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc),
    )
    plan = asyncio.run(_plan(url, statement))
    assert "(source=? AND staff_id=? AND item=?)" in plan, plan
