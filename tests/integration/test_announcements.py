"""Announcements end to end: ``/thongbao`` over the sandbox Bot API on a fake clock,
the delivery worker, "Đã nhận", ``/thongbao_ketqua``, and ``congkhai announce``."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.db.engine import create_engine, session_factory
from bot.db.models import (
    Announcement,
    AnnouncementAck,
    ChannelIdentity,
    Delivery,
    Staff,
)
from bot.domain.enums import AnnouncementStatus, Channel, DeliveryStatus
from bot.domain.render import markdown_from_html
from bot.domain.roster import parse_table
from bot.sandbox import ChatMessage
from bot.services import roster
from tests.cli_helpers import congkhai
from tests.integration.harness import ROSTER, Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
TUESDAY = MONDAY + dt.timedelta(days=1)
UNION = "Lê Văn Cường"
PLANNING = ["Phạm Thị Dung", "Hoàng Văn Em"]  # Phòng Kế hoạch
OTHERS = ["Nguyễn Văn An", "Trần Thị Bình"]
INSPECTOR = "Vũ Thị Giang"
BODY = "Họp toàn cơ quan lúc 14:00 thứ Sáu, mang theo sổ tay."
BOLD = "Họp toàn cơ quan"


# --- helpers ------------------------------------------------------------------------


async def write(bot: Harness, name: str, text: str, entities: list[dict[str, Any]] | None = None) -> None:
    """The person writes to the bot; with ``entities``, formatted as the Telegram app does."""
    user = bot.users[name]
    if entities is None:
        await bot.sandbox.send_text(user.id, text)
        return
    dialect = bot.sandbox._dialect(user)
    chat = dialect._user_chat(user)
    message = bot.sandbox.state.add_user_message(chat, text=text, entities=entities)
    dialect.enqueue("message", dialect.message_json(message))


async def next_message(bot: Harness, name: str, before: int) -> ChatMessage:
    return (await bot.wait_bot_messages(name, before + 1))[-1]


async def press(bot: Harness, name: str, message: ChatMessage, label: str, *, check: bool = True) -> Any:
    button = next(b for b in message.buttons if label in b["text"])
    record = await bot.sandbox.press_button(bot.users[name].id, message.message_id, button["callback_data"], check=check)
    return await bot.sandbox.wait_for_answer(record.id)


async def press_for_message(bot: Harness, name: str, message: ChatMessage, label: str, count: int = 1) -> list[ChatMessage]:
    before = len(await bot.bot_messages(name))
    await press(bot, name, message, label)
    return (await bot.wait_bot_messages(name, before + count))[before:]


async def compose(bot: Harness, name: str) -> ChatMessage:
    """/thongbao, then the text with its first words in bold: returns the audience message."""
    before = len(await bot.bot_messages(name))
    await write(bot, name, "/thongbao")
    ask = await next_message(bot, name, before)
    assert "nội dung thông báo" in ask.text
    await write(bot, name, BODY, [{"type": "bold", "offset": 0, "length": len(BOLD)}])
    chooser = await next_message(bot, name, before + 1)
    assert "chọn người nhận" in chooser.text
    return chooser


async def preview(bot: Harness, name: str, chooser: ChatMessage) -> tuple[ChatMessage, ChatMessage]:
    head, shown, summary = await press_for_message(bot, name, chooser, "Xem trước", 3)
    assert "Xem trước" in head.text
    return shown, summary


async def setup(bot: Harness, *names: str, table: list[list[str]] = ROSTER) -> None:
    await bot.import_roster(table)
    for name in names:
        await bot.register(name)


async def chat_sizes(bot: Harness) -> dict[str, int]:
    return {name: len(await bot.bot_messages(name)) for name in bot.users}


# --- chat -------------------------------------------------------------------------------


async def test_union_composes_for_one_department_with_ack_and_sees_results(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await setup(bot, UNION, *PLANNING, *OTHERS)
        chooser = await compose(bot, UNION)
        assert "Toàn cơ quan" in chooser.text and "5 người" in chooser.text

        (chooser,) = await press_for_message(bot, UNION, chooser, "Phòng Kế hoạch")
        assert "Phòng Kế hoạch" in chooser.text and "2 người" in chooser.text
        assert any(b["text"] == "✔ Phòng Kế hoạch" for b in chooser.buttons)
        (chooser,) = await press_for_message(bot, UNION, chooser, "Yêu cầu xác nhận")
        assert any(b["text"].startswith("☑") for b in chooser.buttons)
        shown, summary = await preview(bot, UNION, chooser)
        assert shown.text.startswith("📢 THÔNG BÁO") and BODY in shown.text and UNION in shown.text
        offset = len(shown.text[: shown.text.index(BOLD)].encode("utf-16-le")) // 2  # Telegram counts UTF-16 units
        assert {"type": "bold", "offset": offset, "length": len(BOLD)} in shown.entities
        assert [b["text"] for b in shown.buttons] == ["✅ Đã nhận"]
        assert "gửi tới 2 người" in summary.text
        # the preview's "Đã nhận" is only a preview: it stores nothing
        answer = await press(bot, UNION, shown, "Đã nhận")
        assert "xem trước" in (answer.answer_text or "")

        before = await chat_sizes(bot)
        answer = await press(bot, UNION, summary, "Gửi ngay")
        assert "2 người" in (answer.answer_text or "")
        await bot.send_all()
        after = await chat_sizes(bot)
        assert {n: after[n] - before[n] for n in after} == {UNION: 0, PLANNING[0]: 1, PLANNING[1]: 1, OTHERS[0]: 0, OTHERS[1]: 0}
        received = (await bot.bot_messages(PLANNING[0]))[-1]
        assert f"<b>{BOLD}</b>" in (received.source_text or "")
        assert received.text == shown.text

        # "Đã nhận": stored before the answer, the message stamped; a second press changes nothing
        ack = next(b["callback_data"] for b in received.buttons if "Đã nhận" in b["text"])
        answer = await press(bot, PLANNING[0], received, "Đã nhận")
        assert "Đã ghi nhận" in (answer.answer_text or "")
        stamped = await bot.sandbox.wait_until(
            lambda: next((m for m in bot.sandbox.state.chats[bot.users[PLANNING[0]].id].messages
                          if m.message_id == received.message_id and m.edits), None)
        )
        assert "✅ Đã nhận lúc 09:00 ngày 23/11/2026" in (stamped.text or "") and not stamped.buttons
        record = await bot.sandbox.press_button(bot.users[PLANNING[0]].id, received.message_id, ack, check=False)
        assert "Đã ghi nhận" in ((await bot.sandbox.wait_for_answer(record.id)).answer_text or "")
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(AnnouncementAck.id))) == 1

        before = len(await bot.bot_messages(UNION))
        await write(bot, UNION, "/thongbao_ketqua")
        results = await next_message(bot, UNION, before)
        assert "đã gửi tới 2/2 người" in results.text and "1/2 người đã xác nhận" in results.text
        (who,) = await press_for_message(bot, UNION, results, "ai chưa xác nhận")
        assert "Chưa xác nhận (1): Hoàng Văn Em" in who.text


async def test_scheduled_announcement_waits_for_its_time_and_can_be_cancelled(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await setup(bot, UNION, *OTHERS)
        _, summary = await preview(bot, UNION, await compose(bot, UNION))
        (ask,) = await press_for_message(bot, UNION, summary, "Hẹn giờ")
        assert "08:00 25/11" in ask.text
        for typed, reason in [("06:30 24/11", "ngoài giờ làm việc"), ("08:00 23/11", "đã qua"), ("mai nhé", "Không đọc được")]:
            before = len(await bot.bot_messages(UNION))
            await write(bot, UNION, typed)
            assert reason in (await next_message(bot, UNION, before)).text
        before = len(await bot.bot_messages(UNION))
        await write(bot, UNION, "08:00 24/11")
        done = await next_message(bot, UNION, before)
        assert "08:00 ngày 24/11/2026" in done.text and "3 người" in done.text

        sizes = await chat_sizes(bot)
        bot.clock.set(local(MONDAY, 17))
        assert await bot.run_until_idle() == 0
        assert await chat_sizes(bot) == sizes
        bot.clock.set(local(TUESDAY, 8, 1))
        await bot.send_all()
        after = await chat_sizes(bot)
        assert all(after[name] == sizes[name] + 1 for name in after)
        assert BODY in (await bot.bot_messages(OTHERS[1]))[-1].text

        # a second one, scheduled and then cancelled before its time: nothing goes out
        _, summary = await preview(bot, UNION, await compose(bot, UNION))
        await press_for_message(bot, UNION, summary, "Hẹn giờ")
        before = len(await bot.bot_messages(UNION))
        await write(bot, UNION, "10:00 24/11")
        scheduled = await next_message(bot, UNION, before)
        await press(bot, UNION, scheduled, "Hủy hẹn giờ")
        sizes = await chat_sizes(bot)
        bot.clock.set(local(TUESDAY, 11))
        await bot.send_all()
        assert await chat_sizes(bot) == sizes
        async with bot.sessions() as session:
            statuses = (await session.scalars(select(Announcement.status).order_by(Announcement.id))).all()
            cancelled = await session.scalar(
                select(func.count(Delivery.id)).where(Delivery.status == DeliveryStatus.CANCELLED)
            )
        assert statuses == [AnnouncementStatus.SCHEDULED, AnnouncementStatus.CANCELLED]
        assert cancelled == 3


async def test_cancel_from_the_preview_sends_nothing(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await setup(bot, UNION, *OTHERS)
        _, summary = await preview(bot, UNION, await compose(bot, UNION))
        sizes = await chat_sizes(bot)
        send_now = next(b["callback_data"] for b in summary.buttons if "Gửi ngay" in b["text"])
        answer = await press(bot, UNION, summary, "Hủy")
        assert "Đã hủy" in (answer.answer_text or "")
        await bot.send_all()
        assert await chat_sizes(bot) == sizes
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Delivery.id))) == 0
            assert await session.scalar(select(Announcement.status)) is AnnouncementStatus.CANCELLED
        # a cancelled draft cannot be sent afterwards
        record = await bot.sandbox.press_button(bot.users[UNION].id, summary.message_id, send_now, check=False)
        answer = await bot.sandbox.wait_for_answer(record.id)
        assert "không còn" in (answer.answer_text or "")


async def test_staff_and_inspectors_are_refused(db_url: str) -> None:
    table = ROSTER + [[INSPECTOR, "Văn phòng", "Trưởng ban TTND", "0912000006", "thanh tra nhân dân"]]
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await setup(bot, UNION, OTHERS[1], INSPECTOR, table=table)
        for name in (OTHERS[1], INSPECTOR):
            for command in ("/thongbao", "/thongbao_ketqua"):
                before = len(await bot.bot_messages(name))
                await write(bot, name, command)
                assert "chỉ dành cho công đoàn, lãnh đạo" in (await next_message(bot, name, before)).text
            # the next text is not taken as an announcement
            before = len(await bot.bot_messages(name))
            await write(bot, name, BODY)
            assert "chọn người nhận" not in (await next_message(bot, name, before)).text
        # nor can they press the buttons of someone else's draft
        chooser = await compose(bot, UNION)
        button = next(b for b in chooser.buttons if "Xem trước" in b["text"])
        draft = button["callback_data"].split(":")[1]
        for action in (f"annok:{draft}", f"annaud:{draft}:all"):
            welcome = (await bot.bot_messages(OTHERS[1]))[0]
            record = await bot.sandbox.press_button(bot.users[OTHERS[1]].id, welcome.message_id, action, check=False)
            answer = await bot.sandbox.wait_for_answer(record.id)
            assert "chỉ dành cho" in (answer.answer_text or "")
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Delivery.id))) == 0


def test_markdown_from_telegram_html() -> None:
    assert markdown_from_html("<b>Họp </b>lúc <i>14:00</i> &amp; <u>sổ</u> a &lt; b") == "**Họp** lúc *14:00* & sổ a < b"
    assert markdown_from_html("không định dạng") == "không định dạng"


# --- command line --------------------------------------------------------------------------


async def _roster_with_links(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            now = dt.datetime.now(dt.UTC)
            await roster.import_roster(session, parse_table(ROSTER), now)
            people = (await session.scalars(select(Staff).order_by(Staff.id))).all()
            for person in people:
                if person.full_name != OTHERS[1]:  # Bình has not linked a messenger
                    session.add(ChannelIdentity(staff_id=person.id, channel=Channel.TELEGRAM,
                                                external_user_id=str(1000 + person.id), chat_id=str(1000 + person.id),
                                                linked_at=now))
    finally:
        await engine.dispose()


async def _deliveries(db_url: str) -> list[tuple[str, int | None]]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(
                select(Staff.full_name, Delivery.announcement_id).join(Staff, Staff.id == Delivery.staff_id)
                .order_by(Staff.full_name)
            )).all())
    finally:
        await engine.dispose()


def test_cli_announce_send_list_results(db_url: str) -> None:
    asyncio.run(_roster_with_links(db_url))

    declined = CliRunner().invoke(
        main, ["--database-url", db_url, "announce", "send", "--text", f"**{BOLD}**", "--audience", "Văn phòng"],
        input="n\n", catch_exceptions=False,
    )
    assert "1 người đã liên kết" in declined.output and "Đã hủy" in declined.output
    assert asyncio.run(_deliveries(db_url)) == []

    past = congkhai(db_url, "announce", "send", "--text", BODY, "--at", "2020-01-02 08:00", "--yes")
    assert past.exit_code == 1 and "đã qua" in past.output

    sent = congkhai(db_url, "announce", "send", "--text", f"**{BOLD}** lúc 14:00", "--audience", "Phòng Kế hoạch",
                    "--require-ack", "--yes")
    assert sent.exit_code == 0, sent.output
    assert "tới 2/2 người" in sent.output
    rows = asyncio.run(_deliveries(db_url))
    assert [name for name, _ in rows] == sorted(PLANNING)
    announcement_id = rows[0][1]

    listed = congkhai(db_url, "announce", "list")
    assert f"#{announcement_id}" in listed.output and "đã gửi tới 0/2 người" in listed.output

    results = congkhai(db_url, "announce", "results", str(announcement_id))
    assert results.exit_code == 0, results.output
    assert "Người nhận: 2" in results.output and "Đã xác nhận: 0/2" in results.output
    as_json = congkhai(db_url, "announce", "results", str(announcement_id), "--json")
    assert '"recipients": 2' in as_json.output and '"require_ack": true' in as_json.output
    assert congkhai(db_url, "announce", "results", "999").exit_code == 1
