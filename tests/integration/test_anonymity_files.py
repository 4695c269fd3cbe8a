"""An anonymous comment cannot be traced to its author from a copy of the SQLite files
(main database and write-ahead log) taken while the bot runs: not while the comment is
being written, not after it is sent (Luật 10/2022/QH15 Art. 9.2)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.db.migrate import upgrade
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
SECRET_TEXT = "Đề nghị thay trưởng phòng vì thiếu minh bạch trong chấm công."


async def _say(bot: Harness, name: str, text: str) -> Any:
    count = len(await bot.bot_messages(name))
    await bot.sandbox.send_text(bot.users[name].id, text)
    return (await bot.wait_bot_messages(name, count + 1))[-1]


async def _press(bot: Harness, name: str, message: Any, contains: str) -> Any:
    data = next(b["callback_data"] for b in message.buttons if contains in b["text"])
    count = len(await bot.bot_messages(name))
    await bot.sandbox.press_button(bot.users[name].id, message.message_id, data)
    return (await bot.wait_bot_messages(name, count + 1))[-1]


def _copy(db: Path, to: Path) -> tuple[bytes, bytes, Path]:
    """The database files as a thief would copy them: main, -wal (and -shm), byte for byte."""
    to.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{db}{suffix}")
        if source.exists():
            shutil.copyfile(source, to / f"copy.db{suffix}")
    wal = to / "copy.db-wal"
    return (to / "copy.db").read_bytes(), wal.read_bytes() if wal.exists() else b"", to / "copy.db"


def _rows(copy: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(copy)  # reads the copied WAL too, as an attacker would
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """A migrated SQLite database file (the case is about SQLite's own files)."""
    db = tmp_path / "congkhai.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    return db


async def test_a_copy_of_the_database_files_links_no_anonymous_comment_to_its_author(
    sqlite_file: Path, tmp_path: Path
) -> None:
    db = sqlite_file
    url = f"sqlite+aiosqlite:///{db}"
    async with running_bot(url, local(MONDAY, 7)) as bot:
        campaign = await bot.open_campaign(MONDAY)
        for name in ("Trần Thị Bình", "Phạm Thị Dung"):
            await bot.register(name)
        bot.clock.set(local(MONDAY, 8, 30))
        await bot.send_all()
        dung = bot.users["Phạm Thị Dung"]
        dung_id = await bot.staff_id("Phạm Thị Dung")
        account = str(dung.id).encode()

        # A named comment before and after the anonymous one.
        await _say(bot, "Trần Thị Bình", "/gopy")
        await _say(bot, "Trần Thị Bình", "Góp ý có tên thứ nhất.")

        # Dung starts an anonymous comment: the files, copied while she types.
        bot.clock.set(local(MONDAY, 9, 17))
        ask = await _say(bot, "Phạm Thị Dung", "/gopy")
        ask = await _press(bot, "Phạm Thị Dung", ask, "ẩn danh")
        assert "ẩn danh" in ask.text
        main, wal, copy = _copy(db, tmp_path / "typing")
        (pending,) = _rows(copy, "SELECT external_user_id, data, expires_at FROM pending_input")
        assert account.decode() not in pending[0] and len(pending[0]) == 64  # a keyed hash, not the account
        assert str(dung_id) not in pending[1].replace('"campaign_id": %d' % campaign, "")
        assert ":00:00" in pending[2]  # kept to the hour, not the minute she pressed
        assert account not in wal  # no frame of her own rows beside the step

        # She sends it: the commit that stored it left no frame in the log, and the pending
        # step that named her (by hash) is zeroed in the database file.
        bot.clock.set(local(MONDAY, 9, 19))
        thanks = await _say(bot, "Phạm Thị Dung", SECRET_TEXT)
        assert "ẩn danh" in thanks.text
        main, wal, copy = _copy(db, tmp_path / "sent")
        comment = SECRET_TEXT.encode()
        assert comment in main and comment not in wal
        assert account not in wal  # her account is in the roster's identity table, never beside the comment
        for trace in (b'"anonymous": true', pending[0].encode()):
            assert trace not in main and trace not in wal, trace

        # A named comment follows; a later copy holds no trace either.
        bot.clock.set(local(MONDAY, 9, 25))
        await _say(bot, "Trần Thị Bình", "/gopy")
        await _say(bot, "Trần Thị Bình", "Góp ý có tên thứ hai.")
        main, wal, copy = _copy(db, tmp_path / "later")
        for trace in (b'"anonymous": true', pending[0].encode()):
            assert trace not in main and trace not in wal, trace
        assert _rows(copy, "SELECT count(*) FROM pending_input") == [(0,)]
        (anonymous,) = _rows(copy, "SELECT id, staff_id, created_at FROM feedback WHERE anonymous")
        named = [r[0] for r in _rows(copy, "SELECT id FROM feedback WHERE NOT anonymous ORDER BY created_at")]
        assert anonymous[1] is None
        assert anonymous[2].endswith("00:00:00.000000") or " 00:00:00" in anonymous[2]  # the day only
        assert len(named) == 2 and anonymous[0] not in (named[0] + 1, named[1] - 1)  # no sequence to read
        assert all(n >= 1_000_000 for n in named)
        audit = _rows(copy, "SELECT actor, target_type, target_id, action FROM audit_event")
        assert not [a for a in audit if a[1] == "feedback" and a[2] == anonymous[0]]
        assert not [a for a in audit if a[0] == f"staff:{dung_id}" and a[3] != "identity.link"]
        quota = _rows(copy, "SELECT token, day, count FROM anonymous_quota")
        assert quota == [(quota[0][0], "2026-11-23", 1)] and len(quota[0][0]) == 64  # a keyed hash, no time
        notices = _rows(copy, "SELECT source, payload FROM delivery WHERE source LIKE 'feedback%'")
        assert not [n for n in notices if str(anonymous[0]) in n[0]]


async def test_every_connection_zeroes_what_it_deletes(sqlite_file: Path) -> None:
    from sqlalchemy import text

    from bot.db.engine import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{sqlite_file}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA secure_delete"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_an_abandoned_anonymous_step_leaves_nothing(sqlite_file: Path, tmp_path: Path) -> None:
    async with running_bot(f"sqlite+aiosqlite:///{sqlite_file}", local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register("Phạm Thị Dung")
        bot.clock.set(local(MONDAY, 8, 30))
        await bot.send_all()
        ask = await _say(bot, "Phạm Thị Dung", "/gopy")
        await _press(bot, "Phạm Thị Dung", ask, "ẩn danh")
        _, _, copy = _copy(sqlite_file, tmp_path / "typing")
        (key,) = _rows(copy, "SELECT external_user_id FROM pending_input")[0]
        bot.clock.advance(dt.timedelta(hours=2))  # she never sends it
        await bot.runtime.tick()
        main, wal, copy = _copy(sqlite_file, tmp_path / "later")
        assert _rows(copy, "SELECT count(*) FROM pending_input") == [(0,)]
        for trace in (b'"anonymous": true', key.encode()):
            assert trace not in main and trace not in wal, trace

        # She starts again and cancels: nothing of the step is left either.
        ask = await _say(bot, "Phạm Thị Dung", "/gopy")
        ask = await _press(bot, "Phạm Thị Dung", ask, "ẩn danh")
        await _press(bot, "Phạm Thị Dung", ask, "Hủy")
        main, wal, copy = _copy(sqlite_file, tmp_path / "cancelled")
        assert _rows(copy, "SELECT count(*) FROM pending_input") == [(0,)]
        for trace in (b'"anonymous": true', key.encode()):
            assert trace not in main and trace not in wal, trace


async def test_the_upgrade_renumbers_comments_stored_in_sequence(db_url: str) -> None:
    """A database from before random numbers: its comments were numbered 1, 2, 3 in order of
    arrival. The upgrade draws new numbers, and the audit events and notices follow them."""
    import asyncio

    from sqlalchemy import select, text

    from bot.db.engine import create_engine, session_factory
    from bot.db.migrate import downgrade
    from bot.db.models import AuditEvent, Delivery, Feedback, Staff
    from bot.domain.enums import Channel, FeedbackStatus
    from bot.services import audit, feedback

    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        campaign = await bot.open_campaign(MONDAY)
        now = local(MONDAY, 9)
        bot.clock.set(now)
        await bot.runtime.tick()
        binh, dung = await bot.staff_id("Trần Thị Bình"), await bot.staff_id("Phạm Thị Dung")
        async with bot.sessions() as session, session.begin():
            for staff_id, anonymous in ((binh, False), (dung, True), (binh, False)):
                await feedback.submit(session, staff_id=staff_id, campaign_id=campaign, ordinal=None, text="Ý kiến",
                                      anonymous=anonymous, via=Channel.TELEGRAM, now=now)
        async with bot.sessions() as session, session.begin():
            leader = await session.scalar(select(Staff).where(Staff.full_name == "Nguyễn Văn An"))
            named = await session.scalar(select(Feedback.id).where(Feedback.anonymous.is_(False)).limit(1))
            await feedback.answer(session, staff=leader, feedback_id=named, decision=FeedbackStatus.ACCEPTED,
                                  text="Tiếp thu.", now=now, tz="Asia/Ho_Chi_Minh")

    await asyncio.to_thread(downgrade, db_url, "0006")
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:  # as an older version numbered them: in order of arrival
            rows = (await conn.execute(text("SELECT id, anonymous FROM feedback ORDER BY anonymous, id"))).all()
            order = [rows[0], next(r for r in rows if r.anonymous), rows[1]]
            for sequential, row in enumerate(order, start=1):
                await conn.execute(text("UPDATE feedback SET id = :new WHERE id = :old"), {"new": sequential, "old": row.id})
                await conn.execute(text("UPDATE audit_event SET target_id = :new WHERE target_type = 'feedback' "
                                        "AND target_id = :old"), {"new": sequential, "old": row.id})
                await conn.execute(text("UPDATE delivery SET source = :new WHERE source = :old"),
                                   {"new": f"feedback-answer:{sequential}", "old": f"feedback-answer:{row.id}"})
        await asyncio.to_thread(upgrade, db_url)
        async with session_factory(engine)() as session:
            ids = {fb.id: fb for fb in (await session.scalars(select(Feedback))).all()}
            answered = (await session.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "feedback.answer"))).all()
            submitted = (await session.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "feedback.submit"))).all()
            notices = (await session.scalars(select(Delivery.source).where(Delivery.source.like("feedback-answer:%")))).all()
            verified = await audit.verify(session)
        assert len(ids) == 3 and all(i >= 1_000_000 for i in ids)
        assert set(submitted) == {i for i, fb in ids.items() if not fb.anonymous}
        (answered_id,) = answered
        assert ids[answered_id].status is FeedbackStatus.ACCEPTED and notices == [f"feedback-answer:{answered_id}"]
        assert verified.ok
    finally:
        await engine.dispose()


async def test_the_record_of_handled_updates_names_no_sender(db_url: str) -> None:
    """A Zalo update's key is ``<user>:<message>``: what is kept to refuse a redelivery is a
    digest of it, so the record of updates, with its times, names nobody."""
    from sqlalchemy import select

    from bot.db.models import ProcessedUpdate
    from tests.integration.harness_zalo import running_zalo_bot

    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        user = await bot.register_zalo("Phạm Thị Dung")
        await bot.say("Phạm Thị Dung", "góp ý")
        await bot.say("Phạm Thị Dung", "Góp ý thứ nhất về mục 1.")
        async with bot.sessions() as session:
            keys = (await session.scalars(select(ProcessedUpdate.update_key))).all()
    assert len(keys) >= 3
    for key in keys:
        assert str(user.id) not in key
        assert len(key) == 64 and set(key) <= set("0123456789abcdef")
