"""Reminders on a fake clock: a working day, a weekend and a public holiday."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.db.models import Reminder
from bot.domain.enums import ReminderKind
from bot.services import reminders
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
HOLIDAY = dt.date(2026, 11, 24)  # Ngày Văn hóa Việt Nam, a day off from 2026
SATURDAY = dt.date(2026, 11, 28)
STAFF = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]


async def _reminders(bot: Harness, name: str) -> list[str]:
    return [m.text for m in await bot.bot_messages(name) if m.text.startswith(("⏰", "⏳"))]


async def _at(bot: Harness, when: dt.datetime) -> None:
    bot.clock.set(when)
    await bot.send_all()


async def test_daily_digest_only_on_working_days_once_and_only_to_those_behind(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        for name in STAFF:
            await bot.register(name)
        user = bot.users["Phạm Thị Dung"]
        await _at(bot, local(MONDAY, 10, 30))  # the first section reaches everyone
        await bot.confirm_all("Trần Thị Bình")
        await bot.sandbox.block(user.id)
        await _at(bot, local(MONDAY, 14, 0))
        assert await _reminders(bot, "Nguyễn Văn An") == []  # sent this morning: not late yet
        await _at(bot, local(HOLIDAY, 14, 30))
        assert await _reminders(bot, "Nguyễn Văn An") == []  # a public holiday
        wednesday = MONDAY + dt.timedelta(days=2)
        await _at(bot, local(wednesday, 13, 59))
        assert await _reminders(bot, "Nguyễn Văn An") == []  # not before the reminder time
        await _at(bot, local(wednesday, 14, 0))
        await _at(bot, local(wednesday, 16, 0))  # a second tick the same day changes nothing
        digest = await _reminders(bot, "Nguyễn Văn An")
        assert len(digest) == 1 and "còn 1 mục" in digest[0] and "Còn 18 ngày" in digest[0]
        assert await _reminders(bot, "Trần Thị Bình") == []  # confirmed everything
        # the button resends the first unconfirmed section
        message = next(m for m in await bot.bot_messages("Nguyễn Văn An") if m.text.startswith("⏰"))
        before = len(await bot.bot_messages("Nguyễn Văn An"))
        record = await bot.sandbox.press_button(bot.users["Nguyễn Văn An"].id, message.message_id, message.buttons[0]["callback_data"])
        await bot.sandbox.wait_for_answer(record.id)
        chat = await bot.wait_bot_messages("Nguyễn Văn An", before + 1)
        assert "Phần mở đầu" in chat[-1].text

        await _at(bot, local(SATURDAY, 14, 30))  # a weekend: nothing
        assert len(await _reminders(bot, "Nguyễn Văn An")) == 1
        async with bot.sessions() as session:
            kinds = (await session.scalars(select(Reminder.kind))).all()
        # blocked (unreachable) people get nothing
        assert all(kind is not ReminderKind.LAGGARDS for kind in kinds)
        assert len([k for k in kinds if k is ReminderKind.DIGEST]) == 2  # An and Cường


async def test_missed_reminder_is_sent_when_back_the_same_day_never_the_next(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register("Lê Văn Cường")
        await _at(bot, local(MONDAY, 10, 30))
        wednesday, thursday, friday = (MONDAY + dt.timedelta(days=d) for d in (2, 3, 4))
        await _at(bot, local(wednesday, 15, 30))  # the bot was down at 14:00
        assert len(await _reminders(bot, "Lê Văn Cường")) == 1
        await _at(bot, local(wednesday, 18, 30))  # after working hours: nothing more
        await _at(bot, local(friday, 9, 0))  # down all Thursday: Thursday's is not sent late
        await _at(bot, local(friday, 16, 59))
        texts = await _reminders(bot, "Lê Văn Cường")
        assert len(texts) == 2
        async with bot.sessions() as session:
            days = (await session.scalars(select(Reminder.due_on).order_by(Reminder.due_on))).all()
        assert days == [wednesday, friday] and thursday not in days


async def test_last_call_and_weekly_laggards_to_the_department_leader(db_url: str) -> None:
    roster = [
        ["Họ và tên", "Đơn vị", "Số điện thoại", "Vai trò"],
        ["Nguyễn Văn An", "Văn phòng", "0912000001", "lãnh đạo"],
        ["Trần Thị Bình", "Văn phòng", "0912000002", ""],
        ["Lê Văn Cường", "Phòng Kế hoạch", "0912000003", ""],
    ]
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY, roster)
        for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"):
            await bot.register(name)
        await _at(bot, local(MONDAY, 10, 30))
        next_monday = MONDAY + dt.timedelta(days=7)
        await _at(bot, local(next_monday, 14, 0))
        leader = [m.text for m in await bot.bot_messages("Nguyễn Văn An") if m.text.startswith("📋")]
        assert len(leader) == 1 and "Trần Thị Bình" in leader[0] and "Lê Văn Cường" not in leader[0]
        # the window ends 12/12 (Saturday): last call on the last two working days, 10 and 11/12
        await _at(bot, local(dt.date(2026, 12, 10), 14, 0))
        last = await _reminders(bot, "Trần Thị Bình")
        assert last[-1].startswith("⏳") and "12 tháng 12 năm 2026" in last[-1]
        async with bot.sessions() as session:
            assert await session.scalar(
                select(func.count(Reminder.id)).where(Reminder.kind == ReminderKind.LAST_CALL)
            ) == 3


async def test_a_tick_that_rolled_back_has_reminded_no_one(db_url: str) -> None:
    """The tick notes in memory when the day's reminders were worked out, to skip the work on
    later ticks; a transaction that rolled back must not leave that note behind."""
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register("Lê Văn Cường")
        await _at(bot, local(MONDAY, 10, 30))
        wednesday = MONDAY + dt.timedelta(days=2)
        runtime = bot.runtime
        async with bot.sessions() as session:
            transaction = await session.begin()
            queued = await reminders.queue_due(
                session, local(wednesday, 14, 0), runtime.settings.timezone, runtime.reminder_policy
            )
            assert queued == 1
            await transaction.rollback()  # e.g. the database went away before the commit
        await _at(bot, local(wednesday, 14, 5))
        assert len(await _reminders(bot, "Lê Văn Cường")) == 1


async def test_someone_reachable_again_later_that_day_gets_the_digest(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        for name in ("Nguyễn Văn An", "Lê Văn Cường"):
            await bot.register(name)
        await _at(bot, local(MONDAY, 10, 30))
        user = bot.users["Lê Văn Cường"]
        await bot.sandbox.block(user.id)
        wednesday = MONDAY + dt.timedelta(days=2)
        await _at(bot, local(wednesday, 9, 0))  # the morning's section fails: Cường is now unreachable
        await _at(bot, local(wednesday, 14, 0))
        assert len(await _reminders(bot, "Nguyễn Văn An")) == 1
        assert await _reminders(bot, "Lê Văn Cường") == []
        await bot.sandbox.unblock(user.id)
        before = len(await bot.bot_messages("Lê Văn Cường"))
        await bot.sandbox.send_text(user.id, "/tiendo")  # writing again makes the account reachable
        await bot.wait_bot_messages("Lê Văn Cường", before + 1)
        await _at(bot, local(wednesday, 15, 0))
        assert len(await _reminders(bot, "Lê Văn Cường")) == 1
        assert len(await _reminders(bot, "Nguyễn Văn An")) == 1  # still one a day
