"""The SQLite engine: statements run on the event loop's thread, and a database locked
by another process is waited for without stalling the loop."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.db.engine import create_engine


async def _ticker(ticks: list[float]) -> None:
    while True:
        ticks.append(time.monotonic())
        await asyncio.sleep(0.01)


async def test_statements_run_on_the_loop_thread(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    threads: list[int] = []

    @event.listens_for(engine.sync_engine, "connect")
    def _probe(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.create_function("probe", 0, lambda: threads.append(threading.get_ident()) or 1)

    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT probe()"))).scalar() == 1
    finally:
        await engine.dispose()
    assert threads == [threading.get_ident()]


async def test_a_locked_database_is_waited_for_without_stalling_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    other = sqlite3.connect(path, isolation_level=None)  # another writer, as a clerk's import would be
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, other.execute, "COMMIT")
    ticks: list[float] = []
    ticker = asyncio.create_task(_ticker(ticks))
    began = time.monotonic()
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (2)"))
        waited = time.monotonic() - began
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
    finally:
        ticker.cancel()
        other.close()
        await engine.dispose()
    assert rows == [1, 2]
    assert waited >= 0.25  # it did wait for the other writer
    during = [b - a for a, b in itertools.pairwise(ticks) if a < began + waited]
    assert len(during) >= 5 and max(during) < 0.2  # and the loop kept running meanwhile


async def test_a_lock_held_past_the_timeout_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}?timeout=0.2")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    began = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        other.execute("ROLLBACK")
        other.close()
        await engine.dispose()
    assert 0.15 <= time.monotonic() - began < 2
