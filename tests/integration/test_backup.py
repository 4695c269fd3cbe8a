"""``congkhai db backup`` takes a consistent copy while writes go on; ``congkhai db restore``
checks the file, refuses while the database is in use, keeps the old one aside, and the
restored database works (its audit chain verifies)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.engine import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.db.models import AuditEvent, Heartbeat
from bot.services import audit
from tests.cli_helpers import congkhai

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def live(tmp_path: Path) -> Path:
    db = tmp_path / "congkhai.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    return db


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


async def test_a_backup_taken_during_writes_is_consistent_and_restores(live: Path, tmp_path: Path) -> None:
    engine = create_engine(_url(live))
    sessions = session_factory(engine)
    written = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal written
        while not stop.is_set():
            async with sessions() as session, session.begin():  # two tables in one transaction
                at = NOW + dt.timedelta(seconds=written)
                audit.record(session, at, "cli", "test.write", "heartbeat", written)
                session.add(Heartbeat(at=at, instance="test"))
            written += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    try:
        while written < 50:
            await asyncio.sleep(0.01)
        before = written
        copy = tmp_path / "sao-luu.db"
        result = await asyncio.to_thread(congkhai, _url(live), "db", "backup", str(copy))
        after = written
        assert result.exit_code == 0 and "Đã sao lưu vào" in result.output, result.output
        while written < after + 20:  # and the bot goes on writing
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await task

    events, beats = _count(copy, "audit_event"), _count(copy, "heartbeat")
    assert events == beats and before <= events <= after + 1  # one snapshot: both tables at the same commit
    assert not list(tmp_path.glob(".*partial"))
    check = create_engine(_url(copy))
    try:
        async with session_factory(check)() as session:
            verified = await audit.verify(session)
        assert verified.ok and verified.count == events
    finally:
        await check.dispose()

    # The bot still has the database open: the restore refuses and changes nothing.
    refused = await asyncio.to_thread(congkhai, _url(live), "db", "restore", str(copy))
    assert refused.exit_code == 1 and "đang được dùng" in refused.output, refused.output
    assert not list(tmp_path.glob("congkhai.db.before-restore-*"))
    async with sessions() as session:
        assert await session.scalar(select(func.count(AuditEvent.id))) == written
    await engine.dispose()

    # Stopped: the restore keeps the old database aside and puts the backup in place.
    restored = await asyncio.to_thread(congkhai, _url(live), "db", "restore", str(copy))
    assert restored.exit_code == 0 and "Đã khôi phục" in restored.output, restored.output
    (aside,) = tmp_path.glob("congkhai.db.before-restore-*")
    assert _count(aside, "audit_event") == written
    assert _count(live, "audit_event") == events
    verified_cli = await asyncio.to_thread(congkhai, _url(live), "audit", "verify")
    assert verified_cli.exit_code == 0 and f"{events} sự kiện" in verified_cli.output
    engine = create_engine(_url(live))  # and the bot can write to it again
    try:
        async with session_factory(engine)() as session, session.begin():
            audit.record(session, NOW, "cli", "test.after_restore")
        async with session_factory(engine)() as session:
            assert (await audit.verify(session)).ok
    finally:
        await engine.dispose()


def test_restore_checks_the_file_first(live: Path, tmp_path: Path) -> None:
    before = live.read_bytes()
    text = tmp_path / "ghi-chu.db"
    text.write_text("không phải cơ sở dữ liệu")
    result = congkhai(_url(live), "db", "restore", str(text))
    assert result.exit_code == 1 and "không phải là cơ sở dữ liệu SQLite" in result.output, result.output

    other = tmp_path / "khac.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = congkhai(_url(live), "db", "restore", str(other))
    assert result.exit_code == 1 and "không phải là cơ sở dữ liệu Công khai" in result.output, result.output

    future = tmp_path / "tuong-lai.db"
    assert congkhai(_url(live), "db", "backup", str(future)).exit_code == 0
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    result = congkhai(_url(live), "db", "restore", str(future))
    assert result.exit_code == 1 and "9999_future" in result.output, result.output

    result = congkhai(_url(live), "db", "restore", str(tmp_path / "khong-co.db"))
    assert result.exit_code == 1 and "Không tìm thấy" in result.output
    again = congkhai(_url(live), "db", "backup", str(future))
    assert again.exit_code == 1 and "đã tồn tại" in again.output
    nowhere = congkhai(_url(live), "db", "backup", str(tmp_path / "khong-co-thu-muc" / "x.db"))
    assert nowhere.exit_code == 1 and "Không ghi được bản sao lưu" in nowhere.output, nowhere.output
    assert live.read_bytes() == before and not list(tmp_path.glob("congkhai.db.before-restore-*"))


def test_postgresql_is_pointed_to_pg_dump_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://congkhai:bi-mat@db.example:5432/congkhai"
    result = congkhai(url, "db", "backup", str(tmp_path / "x.dump"))
    assert result.exit_code == 1 and "pg_dump --format=custom" in result.output
    assert "postgresql://congkhai:***@db.example:5432/congkhai" in result.output and "bi-mat" not in result.output
    result = congkhai(url, "db", "restore", str(tmp_path / "x.dump"))
    assert result.exit_code == 1 and "pg_restore" in result.output and "bi-mat" not in result.output
