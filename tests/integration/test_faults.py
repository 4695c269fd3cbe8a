"""Faults mid-broadcast: a 429 storm, server errors, timeouts, dropped connections, the Bot API
server restarting, the database cut away. The bot keeps running, says each fault in one line
(never a traceback per message), and every message reaches every person exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.db.models import ChannelIdentity, Delivery, Staff
from bot.domain.enums import Channel, DeliveryKind, DeliveryStatus
from bot.services import deliveries
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
PEOPLE = 12
NOTICES = 3


async def audience(bot: Harness, people: int = PEOPLE) -> list[int]:
    """People who started the bot; returns their staff ids."""
    now = bot.clock.now()
    staff_ids = []
    async with bot.sessions() as session, session.begin():
        for index in range(people):
            user = await bot.sandbox.create_user(first_name=f"Người {index}", started=True)
            person = Staff(full_name=f"Người nhận {index}", roles="staff", active=True, created_at=now, updated_at=now)
            session.add(person)
            await session.flush()
            session.add(ChannelIdentity(staff_id=person.id, channel=Channel.TELEGRAM, external_user_id=str(user.id),
                                        chat_id=str(user.id), linked_at=now))
            staff_ids.append(person.id)
    return staff_ids


async def broadcast(bot: Harness, staff_ids: list[int], notices: int = NOTICES) -> None:
    now = bot.clock.now()
    async with bot.sessions() as session, session.begin():
        for k in range(1, notices + 1):
            await deliveries.queue_message(session, source=f"notice:faults:{k}", kind=DeliveryKind.NOTICE,
                                           staff_ids=staff_ids, payload={"text": f"Tin {k}/{notices}"}, due_at=now,
                                           now=now)


async def received(bot: Harness) -> Counter[tuple[Any, str]]:
    """(chat, text) -> how many times the person got it."""
    return Counter((chat.id, m.text or "") for chat in bot.sandbox.state.chats.values() for m in chat.bot_messages())


async def assert_each_once(bot: Harness, notices: int = NOTICES) -> None:
    got = await received(bot)
    wanted = {(chat.id, f"Tin {k}/{notices}") for chat in bot.sandbox.state.chats.values() for k in range(1, notices + 1)}
    assert len(bot.sandbox.state.chats) == PEOPLE
    assert {key for key in wanted if not got[key]} == set(), "lost"
    assert {key: n for key, n in got.items() if n > 1} == {}, "sent twice"
    async with bot.sessions() as session:
        statuses = dict((await session.execute(select(Delivery.status, func.count(Delivery.id)).group_by(Delivery.status))).all())
    assert statuses == {DeliveryStatus.SENT: PEOPLE * notices}


def fault_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the bot said at WARNING and above; never a traceback."""
    records = [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in records if r.exc_info] == []
    return [r.getMessage() for r in records]


async def test_a_429_storm_mid_broadcast(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await broadcast(bot, await audience(bot))
        worker = bot.runtime.worker
        assert worker is not None
        await worker.run_once()  # the first messages go out
        await bot.sandbox.configure(too_many_rate=1.0, too_many_retry_after=1, fault_methods=["sendMessage"])
        for _ in range(3):  # the storm: every send answered 429
            await worker.run_once()
            bot.clock.advance(dt.timedelta(seconds=2))
        assert bot.sandbox.stats.too_many_requests >= PEOPLE
        await bot.sandbox.configure(too_many_rate=0.0)
        await bot.send_all()
        await assert_each_once(bot)
        assert worker.stats.rate_limited >= PEOPLE and worker.stats.failed == 0
    lines = fault_lines(caplog)
    assert [line for line in lines if "429" in line] == ["telegram: 429 Too Many Requests; the messages wait and are sent again"]
    assert len(lines) == 1, lines


@pytest.mark.parametrize("fault", ["server_error", "timeout", "dropped"])
async def test_server_errors_timeouts_and_dropped_connections(db_url: str, fault: str,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    knobs: dict[str, Any] = {
        "server_error": {"server_error_rate": 0.3},
        "timeout": {"timeout_rate": 0.3, "timeout_seconds": 5.0, "timeout_delivers": False},
        "dropped": {"drop_rate": 0.3},
    }[fault]
    async with running_bot(db_url, local(MONDAY, 9), fault_methods=["sendMessage"], seed=7, **knobs) as bot:
        assert bot.runtime.telegram is not None
        request = bot.runtime.telegram.bot.request  # the client gives up well before the held call ends
        request._read_timeout, request._connect_timeout, request._write_timeout = 0.3, 0.2, 0.2
        await broadcast(bot, await audience(bot))
        await bot.send_all()
        await assert_each_once(bot)
        assert bot.runtime.worker is not None and bot.runtime.worker.stats.retried >= 3
        stats = bot.sandbox.stats
        assert {"server_error": stats.server_errors, "timeout": stats.timeouts,
                "dropped": stats.dropped_connections}[fault] >= 3
    lines = fault_lines(caplog)
    assert len(lines) == 1 and lines[0].startswith("telegram: sends failed ("), lines


async def test_the_bot_api_server_restarting_mid_broadcast(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await broadcast(bot, await audience(bot))
        worker = bot.runtime.worker
        assert worker is not None
        await worker.run_once()
        restart = asyncio.create_task(bot.sandbox.restart(down_seconds=1.0))
        await asyncio.sleep(0.2)  # the server is away
        await worker.run_once()  # these sends find nobody
        await restart
        await bot.send_all()
        await assert_each_once(bot)
        assert worker.stats.retried >= 1
        # polling goes on after the restart: a stranger's /start is answered
        stranger = await bot.sandbox.create_user(first_name="Khách")
        await bot.sandbox.send_text(stranger.id, "/start")
        await bot.sandbox.wait_for_messages(stranger.id, 1, timeout=15)
    lines = fault_lines(caplog)
    assert [line for line in lines if line.startswith("telegram: sends failed")] != []
    assert len(lines) <= 3, lines


async def cut_database(db_url: str, seconds: float) -> None:
    """SQLite: another process holds the write lock for ``seconds`` (longer than the bot's busy
    wait). PostgreSQL: the bot's writes wait behind a table lock, and halfway through the bot's
    connections are terminated (pg_terminate_backend)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        script = (
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n"
            "c.execute('ROLLBACK')\n"
        )
        locker = await asyncio.create_subprocess_exec(sys.executable, "-c", script, url.database or "", str(seconds),
                                                      stdout=subprocess.PIPE)
        assert locker.stdout is not None
        assert (await locker.stdout.readline()).strip() == b"locked"
        await locker.wait()
        return
    from bot.db.engine import create_engine

    admin = create_engine(db_url, poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(text("LOCK TABLE delivery IN EXCLUSIVE MODE"))  # the bot's writes wait
            await asyncio.sleep(seconds / 2)
            await connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ))
            await asyncio.sleep(seconds / 2)
            await connection.commit()
    finally:
        await admin.dispose()


async def test_the_database_cut_away_mid_broadcast(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """The sends are on the wire when the database goes: their outcomes are kept and written once
    it is back, the claim loop says it cannot claim, and nothing is lost or sent twice."""
    caplog.set_level(logging.INFO)
    sqlite = make_url(db_url).get_backend_name() == "sqlite"
    bot_url = f"{db_url}?timeout=0.3" if sqlite else db_url  # the bot's busy wait: 0.3 s
    async with running_bot(bot_url, local(MONDAY, 9), latency_ms=400) as bot:
        await broadcast(bot, await audience(bot))
        worker = bot.runtime.worker
        assert worker is not None
        worker.poll_seconds = 0.1
        running = asyncio.create_task(worker.run())
        await bot.sandbox.wait_until(lambda: bot.sandbox.stats.requests["sendMessage"] >= PEOPLE // 2)
        await cut_database(db_url, 2.0)
        for _ in range(600):  # the rest (the fake clock stands still: no lease ends meanwhile)
            if bot.sandbox.stats.messages_sent >= PEOPLE * NOTICES and worker.recorder.waiting() == 0:
                break
            await asyncio.sleep(0.05)
        worker.stop()
        await running
        await worker.recorder.close()
        await assert_each_once(bot)
        assert worker.recorder.dropped == 0
        assert worker.recorder.failures == 1
    lines = fault_lines(caplog)
    failed = [line for line in lines if line.startswith("recording outcomes failed")]
    again = [line for line in lines if line.startswith("recording outcomes works again")]
    assert len(failed) == len(again) == worker.recorder.failures
    assert all(line.startswith(("recording outcomes", "claiming deliveries failed")) for line in lines), lines
    assert len(lines) <= 2 * worker.recorder.failures + 30, lines  # the claim loop: at most one line a poll


async def test_outcomes_the_database_refuses_past_the_lease_are_let_go_and_their_rows_come_back(
        db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Kept no longer than the lease allows: then the rows are claimed and sent again (twice for
    those people, never lost), said in one line."""
    caplog.set_level(logging.INFO)
    sqlite = make_url(db_url).get_backend_name() == "sqlite"
    async with running_bot(f"{db_url}?timeout=0.3" if sqlite else db_url, local(MONDAY, 9), latency_ms=1500) as bot:
        await broadcast(bot, await audience(bot), notices=1)
        worker = bot.runtime.worker
        assert worker is not None
        worker.recorder.give_up = 0.5  # seconds (the lease's share in production: 48 s)
        first = asyncio.create_task(worker.run_once())
        await bot.sandbox.wait_until(lambda: bot.sandbox.stats.requests["sendMessage"] >= PEOPLE)
        await cut_database(db_url, 3.0)  # from before the first answer to well past ``give_up``
        await first
        dropped = worker.recorder.dropped
        assert dropped >= 1
        bot.clock.advance(deliveries.LEASE + dt.timedelta(seconds=1))  # the lease ends: claimed again
        await bot.send_all()
        got = await received(bot)
        assert len(got) == PEOPLE and set(got.values()) <= {1, 2}  # nobody lost it
        assert sum(1 for n in got.values() if n == 2) == dropped  # sent again: exactly the rows let go
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Delivery.id)).where(Delivery.status == DeliveryStatus.SENT)) == PEOPLE
    lines = fault_lines(caplog)
    let_go = [line for line in lines if "not recorded" in line]
    assert sum(int(line.split()[0]) for line in let_go) == dropped
    assert all(line.endswith("outcomes not recorded (lease): their rows are sent again once their lease ends")
               for line in let_go)
