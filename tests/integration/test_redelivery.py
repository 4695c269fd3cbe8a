"""A Telegram update delivered twice (a webhook retried, a restart before the offset was saved)
has one effect: the chat layer records the update's id with what it did.

The whole of a conversation (commands, text, a contact, button presses of every action kind,
blocking and unblocking; on Zalo typed words, pictures, stickers and withheld messages) runs
twice: once with each update delivered once, once with the sandbox delivering every update
twice (same id, by polling and by webhook). Both runs must end with the same chats and the
same rows in every table."""

from __future__ import annotations

import asyncio
import re
import datetime as dt
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from telegram import Update

from bot.db.migrate import upgrade
from bot.db.models import Announcement, Base, Feedback, ProcessedUpdate
from bot.domain import actions
from bot.runtime import Runtime, RuntimeOptions
from bot.sandbox import Sandbox
from bot.sandbox.state import ChatMessage
from bot.services.clock import FakeClock
from bot.settings import load_settings
from bot.web.app import TELEGRAM_WEBHOOK_PATH, ZALO_WEBHOOK_PATH, build_app
from tests.conftest import _pg_admin
from tests.integration.harness import Harness, local, running_bot
from tests.integration.harness_zalo import ZaloHarness, new_zalo_runtime

MONDAY = dt.date(2026, 11, 23)
NAME = "Trần Thị Bình"
LEADER = "Nguyễn Văn An"
UNION = "Lê Văn Cường"
BY_PHONE = "Phạm Thị Dung"  # joins by sharing her contact
SECRET = "redelivery-Secret_1"
SKIPPED_TABLES = {"processed_update", "heartbeat"}
COMMENT_NUMBER = re.compile(r"#\d+")


async def test_a_comment_delivered_twice_is_stored_once(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        user = await bot.register(NAME)
        await bot.runtime.tick()
        before = len(await bot.bot_messages(NAME))
        await bot.sandbox.send_text(user.id, "/gopy")
        await bot.wait_bot_messages(NAME, before + 1)

        dialect = bot.sandbox._dialect(user)
        message = bot.sandbox.state.add_user_message(dialect._user_chat(user), text="Đề nghị bổ sung thời hạn.")
        update = dialect.enqueue("message", dialect.message_json(message))
        assert update is not None
        await bot.wait_bot_messages(NAME, before + 2)
        telegram = bot.runtime.telegram
        assert telegram is not None
        await telegram.application.process_update(Update.de_json(update, telegram.application.bot))
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Feedback.id))) == 1
        assert len(await bot.bot_messages(NAME)) == before + 2  # and it is not answered again


# --- the same conversation, each update once and each update twice ----------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def twin_database(db_url: str) -> AsyncIterator[str]:
    """A second migrated database beside ``db_url``, on the same backend."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "").with_name(f"twin-{uuid.uuid4().hex[:8]}.db")
        twin = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(upgrade, twin)
        yield twin
        return
    name = f"{url.database}_twin"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    twin = url.set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, twin)
        yield twin
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def telegram_bot(db_url: str, mode: str, twice: bool) -> AsyncIterator[Harness]:
    clock = FakeClock(local(MONDAY, 9))
    async with Sandbox(rate_limits=False, redeliver_updates=twice) as sandbox:
        runtime = Runtime(
            load_settings(database_url=db_url, chat_send_rate=0), clock=clock, telegram_token=sandbox.token,
            telegram_base_url=sandbox.telegram_base_url(),
            options=RuntimeOptions(polling=mode == "polling", run_worker=False, run_scheduler=False, migrate=False),
        )
        await runtime.start()
        runner = None
        try:
            if mode == "webhook":
                runner = web.AppRunner(build_app(runtime, SECRET))
                await runner.setup()
                port = free_port()
                await web.TCPSite(runner, "127.0.0.1", port).start()
                assert runtime.telegram is not None
                await runtime.telegram.bot.set_webhook(url=f"http://127.0.0.1:{port}{TELEGRAM_WEBHOOK_PATH}",
                                                       secret_token=SECRET)
            yield Harness(runtime, sandbox, clock)
        finally:
            if runner is not None:
                await runner.cleanup()
            await runtime.stop()


async def settle(bot: Harness) -> None:
    """Every update taken and handled (both copies), every reply and due row sent."""
    queues = [bot.sandbox.telegram.queue.pending, bot.sandbox.zalo.pending]
    await bot.sandbox.wait_until(lambda: not any(queues), timeout=10)
    await asyncio.sleep(0.05)  # the last copies are being handled
    assert bot.runtime.worker is not None
    await bot.runtime.worker.flush_replies()
    await bot.run_until_idle()
    await bot.runtime.worker.flush_replies()


async def press_data(bot: Harness, name: str, data: str, message: ChatMessage | None = None) -> None:
    """The person presses a button with ``data`` (on the given message, else on their last one)."""
    user = bot.users[name]
    message = message or (await bot.sandbox.read_chat(user.id))[-1]
    record = await bot.sandbox.press_button(user.id, message.message_id, data, check=False)
    await bot.sandbox.wait_for_answer(record.id, timeout=10)
    await settle(bot)


async def press_label(bot: Harness, name: str, label: str) -> None:
    """The person presses the newest button labelled ``label`` in their chat."""
    for message in reversed(await bot.sandbox.read_chat(bot.users[name].id)):
        button = next((b for b in message.buttons if label in b["text"]), None)
        if button is not None:
            await press_data(bot, name, button["callback_data"], message)
            return
    raise AssertionError(f"no button {label!r} in {name}'s chat")


async def write(bot: Harness, name: str, text: str) -> None:
    await bot.sandbox.send_text(bot.users[name].id, text)
    await settle(bot)


async def scalar(bot: Harness, query: Any) -> Any:
    async with bot.sessions() as session:
        return await session.scalar(query)


async def telegram_conversation(bot: Harness) -> None:
    campaign = await bot.open_campaign(MONDAY)
    await bot.runtime.tick()
    for name in (NAME, LEADER, UNION):
        await bot.register(name)  # /start CODE
        await settle(bot)
    dung = await bot.sandbox.create_user(first_name="Dung", phone_number="0912000004")
    bot.users[BY_PHONE] = dung
    await write(bot, BY_PHONE, "/start")
    await bot.sandbox.share_contact(dung.id)  # a contact
    await settle(bot)
    await bot.send_all()
    await settle(bot)

    # a member's buttons: every kind a member sees
    await press_label(bot, NAME, "Đã đọc")  # Ack
    await press_label(bot, NAME, "Đọc tiếp")  # Next
    await write(bot, NAME, "/mucluc")
    await press_data(bot, NAME, actions.Toc(campaign, 0).encode())  # Toc
    await press_data(bot, NAME, actions.Read(campaign, 3).encode())  # Read
    await press_data(bot, NAME, actions.Comment(campaign, 1).encode())  # Comment, then Cancel
    await press_data(bot, NAME, actions.Cancel().encode())
    await press_data(bot, NAME, actions.Comment(campaign, 1).encode())
    await write(bot, NAME, "Đề nghị nêu rõ thời hạn trả lời.")  # text: the comment
    await press_data(bot, NAME, actions.CommentAnonymous(campaign, 2).encode())
    await write(bot, NAME, "Góp ý ẩn danh về mục 2.")
    for command in ("/tiendo", "/gopy", "/yeucau", "/huongdan"):
        await write(bot, NAME, command)
    await write(bot, NAME, "Xin cung cấp biên bản họp.")  # /yeucau's text
    await bot.send_all()
    await settle(bot)
    for _ in range(6):  # reads on to the end, confirming each section
        await bot.confirm_all(NAME)
        await settle(bot)
        await press_label(bot, NAME, "Đọc tiếp")
        await bot.send_all()
        await settle(bot)
    await bot.confirm_all(NAME)
    await settle(bot)
    await bot.send_all()
    await settle(bot)
    await press_label(bot, NAME, "toàn văn")  # Attest

    # the leader's and the union's buttons
    feedback = await scalar(bot, select(Feedback.id).where(Feedback.anonymous.is_(False)))  # the named one
    await press_data(bot, LEADER, actions.CommentList(campaign, 0, actions.ALL_SECTIONS, 0).encode())
    await press_data(bot, LEADER, actions.CommentView(feedback).encode())
    await press_data(bot, LEADER, actions.CommentAccept(feedback).encode())
    await press_data(bot, LEADER, actions.CommentExplain(feedback).encode())
    await write(bot, LEADER, "Đã bổ sung thời hạn vào điều 5.")
    await press_data(bot, LEADER, actions.RequestAnswer(1).encode())
    await write(bot, LEADER, "Biên bản đã đăng trên cổng thông tin.")
    await write(bot, UNION, "/thongbao")
    await write(bot, UNION, "Họp công đoàn lúc 15 giờ thứ Sáu.")
    draft = await scalar(bot, select(func.max(Announcement.id)))
    await press_data(bot, UNION, actions.AnnounceAudience(draft, "ack").encode())
    await press_data(bot, UNION, actions.AnnouncePreviewOnly(draft).encode())
    await press_data(bot, UNION, actions.AnnouncePreview(draft).encode())
    await press_data(bot, UNION, actions.AnnounceSend(draft).encode())
    await bot.send_all()
    await settle(bot)
    await press_label(bot, NAME, "Đã nhận")  # AnnounceAck
    await press_data(bot, UNION, actions.AnnounceResults(draft).encode())
    await write(bot, UNION, "/thongbao_ketqua")
    await write(bot, UNION, "/thongbao")
    await write(bot, UNION, "Thông báo hẹn giờ.")
    second = await scalar(bot, select(func.max(Announcement.id)))
    await press_data(bot, UNION, actions.AnnounceSchedule(second).encode())
    await write(bot, UNION, "16:00")
    await press_data(bot, UNION, actions.AnnounceCancel(second).encode())

    # my_chat_member: blocked, allowed again
    await bot.sandbox.block(bot.users[NAME].id)
    await settle(bot)
    await bot.sandbox.unblock(bot.users[NAME].id)
    await settle(bot)
    await bot.send_all()
    await settle(bot)


async def outcome(bot: Harness) -> tuple[dict[str, int], dict[str, Counter[str]]]:
    """Rows in every table (but the updates' own record), and what each person was shown."""
    counts = {}
    async with bot.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name not in SKIPPED_TABLES:
                counts[table.name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    chats = {}
    for user in await bot.sandbox.list_users():
        chat = await bot.sandbox.read_chat(user.id)
        # comment numbers are drawn at random: the same comment has another number in each run
        chats[str(user.first_name)] = Counter(
            COMMENT_NUMBER.sub("#N", f"{m.text}|{[b['text'] for b in m.buttons]}") for m in chat
        )
    return counts, chats


async def compare(db_url: str, run: Callable[[str, bool], Awaitable[tuple[Any, Any, int]]], updates: int) -> None:
    async with twin_database(db_url) as twin:
        once_counts, once_chats, _ = await run(twin, False)
    twice_counts, twice_chats, processed = await run(db_url, True)
    assert processed >= updates  # the conversation went through the duplicate check
    assert twice_counts == once_counts, {k: (once_counts[k], v) for k, v in twice_counts.items() if once_counts[k] != v}
    for person, chat in once_chats.items():
        assert twice_chats[person] == chat, (person, twice_chats[person] - chat, chat - twice_chats[person])
    assert twice_chats.keys() == once_chats.keys()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_every_telegram_update_delivered_twice_has_one_effect(db_url: str, mode: str) -> None:
    async def run(url: str, twice: bool) -> tuple[Any, Any, int]:
        async with telegram_bot(url, mode, twice) as bot:
            await telegram_conversation(bot)
            counts, chats = await outcome(bot)
            return counts, chats, await scalar(bot, select(func.count(ProcessedUpdate.id)))

    await compare(db_url, run, updates=50)


# --- Zalo ----------------------------------------------------------------------------------------------


@asynccontextmanager
async def zalo_bot(db_url: str, mode: str, twice: bool) -> AsyncIterator[ZaloHarness]:
    clock = FakeClock(local(MONDAY, 9))
    async with Sandbox(rate_limits=False, redeliver_updates=twice) as sandbox:
        runtime = new_zalo_runtime(db_url, sandbox, clock, polling=mode == "polling", telegram=False)
        await runtime.start()
        runner = None
        try:
            if mode == "webhook":
                runner = web.AppRunner(build_app(runtime, SECRET))
                await runner.setup()
                port = free_port()
                await web.TCPSite(runner, "127.0.0.1", port).start()
                assert runtime.zalo is not None
                await runtime.zalo.client.set_webhook(f"http://127.0.0.1:{port}{ZALO_WEBHOOK_PATH}", SECRET)
            yield ZaloHarness(runtime, sandbox, clock)
        finally:
            if runner is not None:
                await runner.cleanup()
            await runtime.stop()


async def zalo_conversation(bot: ZaloHarness) -> None:
    await bot.open_campaign(MONDAY)
    await bot.runtime.tick()
    user = await bot.sandbox.create_user(first_name="Bình", channel="zalo")
    bot.zalo_users[NAME] = bot.users[NAME] = user
    await write(bot, NAME, bot.codes[NAME])  # the invite code
    await bot.send_all()
    await settle(bot)
    for text in ("dd", "tiep", "muc luc", "doc 3", "tien do", "gop y", "Đề nghị nêu rõ thời hạn.", "xin chào",
                 "/tiendo", "dd"):
        await write(bot, NAME, text)
        await bot.send_all()
        await settle(bot)
    await bot.sandbox.send_image(user.id, "https://example.org/anh.jpg", caption="ảnh")
    await bot.sandbox.send_sticker(user.id, "abc")
    await bot.sandbox.send_unsupported(user.id)
    await settle(bot)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_every_zalo_event_delivered_twice_has_one_effect(db_url: str, mode: str) -> None:
    async def run(url: str, twice: bool) -> tuple[Any, Any, int]:
        async with zalo_bot(url, mode, twice) as bot:
            await zalo_conversation(bot)
            counts, chats = await outcome(bot)
            return counts, chats, await scalar(bot, select(func.count(ProcessedUpdate.id)))

    await compare(db_url, run, updates=14)
