"""The sandbox answers python-telegram-bot as Telegram does: the real Bot and Application over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.sandbox import DEFAULT_TOKEN, Sandbox, SandboxClient, SandboxClientError, SandboxError, VirtualUser

TOKEN = DEFAULT_TOKEN


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(TOKEN) as running:
        yield running


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=sandbox.telegram_base_url(TOKEN)) as client:
        yield client


@pytest.fixture
async def started(sandbox: Sandbox) -> VirtualUser:
    """A user who has already pressed Start."""
    return await sandbox.create_user(first_name="Lan", last_name="Nguyễn", username="lan_ng", started=True)


@pytest.fixture
async def polling_app(sandbox: Sandbox) -> AsyncIterator[Callable[..., Awaitable[Application]]]:
    """Start a real PTB Application polling the sandbox with the given handlers."""
    apps: list[Application] = []
    errors: list[object] = []

    async def on_error(update: object, context: Any) -> None:
        errors.append(context.error)

    async def start(*handlers: BaseHandler) -> Application:
        app = Application.builder().token(TOKEN).base_url(sandbox.telegram_base_url(TOKEN)).build()
        for handler in handlers:
            app.add_handler(handler)
        app.add_error_handler(on_error)
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=dtm.timedelta(seconds=2))
        apps.append(app)
        return app

    yield start
    for app in apps:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert not errors, errors


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def ack_keyboard(data: str = "ack:1") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("✅ Đã đọc", callback_data=data)]])


# --------------------------------------------------------------------------- identity and routing


async def test_get_me_answers_the_bot_identity(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.id == int(TOKEN.split(":")[0])
    assert me.username == "congkhai_sandbox_bot"


async def test_wrong_token_and_unknown_method_answer_like_telegram(sandbox: Sandbox, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("42:wrong-token", base_url=sandbox.telegram_base_url()) as stranger:
            await stranger.get_me()
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}/bot{TOKEN}/frobnicate") as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(f"{sandbox.url}/bot42:wrong/getMe") as response:
            assert response.status == 401
            assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_json_bodies_are_accepted_as_well_as_forms(sandbox: Sandbox, started: VirtualUser) -> None:
    body = {
        "chat_id": started.id,
        "text": "<i>Điều 1</i>",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "OK", "callback_data": "ack:1"}]]},
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}/bot{TOKEN}/sendMessage", json=body) as response:
            answer = await response.json()
    assert answer["ok"] is True
    assert answer["result"]["text"] == "Điều 1"
    assert answer["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 6}]
    assert answer["result"]["reply_markup"] == body["reply_markup"]


# --------------------------------------------------------------------------- users talking to a real Application


async def test_start_payload_reaches_the_command_handler(sandbox: Sandbox, polling_app: Callable[..., Any]) -> None:
    seen: list[list[str]] = []

    async def start(update: Update, context: Any) -> None:
        seen.append(list(context.args))
        await update.message.reply_text(f"Mã mời: {context.args[0]}")

    await polling_app(CommandHandler("start", start))
    user = await sandbox.create_user(first_name="Minh")
    await sandbox.send_text(user.id, "/start ABC123")
    [reply] = await sandbox.wait_for_messages(user.id)
    assert seen == [["ABC123"]]
    assert reply.text == "Mã mời: ABC123"
    [command, _] = await sandbox.read_chat(user.id, include_user_messages=True)
    assert command.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command.message_id < reply.message_id


async def test_button_press_is_answered_and_the_edit_lands_in_the_chat(
    sandbox: Sandbox, started: VirtualUser, polling_app: Callable[..., Any]
) -> None:
    async def on_button(update: Update, context: Any) -> None:
        query = update.callback_query
        await query.answer("Đã ghi nhận")
        await query.edit_message_text(f"{query.message.text}\n✅ Đã xác nhận")

    app = await polling_app(CallbackQueryHandler(on_button))
    sent = await app.bot.send_message(started.id, "Điều 1. Phạm vi", reply_markup=ack_keyboard())

    query = await sandbox.press_button(started.id, sent.message_id, text="✅ Đã đọc")
    answered = await sandbox.wait_for_answer(query.id)
    assert (answered.data, answered.answer_text, answered.show_alert) == ("ack:1", "Đã ghi nhận", False)

    [shown] = await sandbox.wait_until(
        lambda: [m for m in sandbox.state.chats[started.id].bot_messages() if m.edits] or None
    )
    assert shown.text == "Điều 1. Phạm vi\n✅ Đã xác nhận"
    assert shown.reply_markup is None  # an edit without markup drops the keyboard, as on Telegram
    assert shown.edits[0].text == "Điều 1. Phạm vi"
    assert shown.edits[0].reply_markup == ack_keyboard().to_dict()

    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_text("Điều 1. Phạm vi\n✅ Đã xác nhận", started.id, sent.message_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await app.bot.answer_callback_query(query.id)


async def test_request_contact_flow_and_a_forged_contact(
    sandbox: Sandbox, polling_app: Callable[..., Any]
) -> None:
    contacts: list[tuple[int | None, str, int]] = []

    async def on_contact(update: Update, context: Any) -> None:
        contact = update.message.contact
        contacts.append((contact.user_id, contact.phone_number, update.effective_user.id))
        await update.message.reply_text("Cảm ơn", reply_markup=ReplyKeyboardRemove())

    app = await polling_app(MessageHandler(filters.CONTACT, on_contact))
    user = await sandbox.create_user(first_name="Hoa", phone_number="+84901234567", started=True)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("📱 Gửi số điện thoại", request_contact=True)]], one_time_keyboard=True, resize_keyboard=True
    )
    sent = await app.bot.send_message(user.id, "Xác minh số điện thoại", reply_markup=keyboard)
    assert sent.reply_markup is None  # Telegram echoes only inline keyboards
    [prompt] = await sandbox.read_chat(user.id)
    assert prompt.reply_markup["keyboard"][0][0]["request_contact"] is True
    assert sandbox.state.chats[user.id].reply_keyboard is not None

    await sandbox.share_contact(user.id)
    await sandbox.wait_for_messages(user.id, 2)
    assert contacts == [(user.id, "+84901234567", user.id)]
    assert sandbox.state.chats[user.id].reply_keyboard is None

    await sandbox.share_contact(user.id, phone_number="+84999999999", first_name="Giám đốc", contact_user_id=424242)
    await sandbox.wait_for_messages(user.id, 3)
    assert contacts[1] == (424242, "+84999999999", user.id)


# --------------------------------------------------------------------------- Telegram's checks


async def test_text_length_is_counted_on_the_visible_text(bot: Bot, started: VirtualUser, sandbox: Sandbox) -> None:
    await sandbox.configure(rate_limits=False)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(started.id, "a" * 4097)
    sent = await bot.send_message(started.id, "<b>" + "đ" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert len(sent.text) == 4096
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(started.id, "<b></b>", parse_mode=ParseMode.HTML)
    assert sandbox.stats.messages_sent == 1
    assert sandbox.stats.errors[400] == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>Điều 1", 'start tag "b"'),
        ("Dòng 1<br>Dòng 2", 'unsupported start tag "br" at byte offset 7'),
        ("Giá < 100", 'unsupported start tag "" at byte offset 5'),
        ("<b><i>x</b></i>", "unmatched end tag"),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_html_that_does_not_parse_is_refused(
    bot: Bot, started: VirtualUser, sandbox: Sandbox, text: str, reason: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(started.id, text, parse_mode=ParseMode.HTML)
    assert caught.value.message.lower().startswith("can't parse entities: ")
    assert reason in caught.value.message.lower()
    assert await sandbox.read_chat(started.id) == []


async def test_telegram_html_and_markdown_v2_are_parsed_into_entities(bot: Bot, started: VirtualUser) -> None:
    sent = await bot.send_message(
        started.id,
        '<b>Điều 2</b> <a href="https://example.org">xem</a> <span class="tg-spoiler">bí mật</span> &lt;3',
        parse_mode=ParseMode.HTML,
    )
    assert sent.text == "Điều 2 xem bí mật <3"
    assert [e.type for e in sent.entities] == ["bold", "text_link", "spoiler"]
    assert sent.text_html.startswith("<b>Điều 2</b>")
    with pytest.raises(BadRequest, match="reserved and must be escaped"):
        await bot.send_message(started.id, "Hết.", parse_mode=ParseMode.MARKDOWN_V2)
    sent = await bot.send_message(started.id, r"*Hết* hạn\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert sent.text == "Hết hạn." and sent.entities[0].type == "bold"


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, started: VirtualUser) -> None:
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(started.id, "x", reply_markup=ack_keyboard("đ" * 33))  # 66 bytes
    await bot.send_message(started.id, "x", reply_markup=ack_keyboard("a" * 64))


async def test_unknown_and_unstarted_users_are_chats_not_found(bot: Bot, sandbox: Sandbox) -> None:
    silent = await sandbox.create_user(first_name="Chưa bấm Start")
    for chat_id in (999, silent.id):
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(chat_id, "Xin chào")


async def test_a_user_who_blocked_the_bot_is_forbidden(bot: Bot, sandbox: Sandbox, started: VirtualUser) -> None:
    await sandbox.block(started.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(started.id, "Nhắc nhở")
    assert sandbox.stats.forbidden == 1
    [update] = await bot.get_updates()
    assert update.my_chat_member.new_chat_member.status == "kicked"

    await sandbox.unblock(started.id)
    await bot.send_message(started.id, "Chào mừng trở lại")
    assert [m.text for m in await sandbox.read_chat(started.id)] == ["Chào mừng trở lại"]


# --------------------------------------------------------------------------- knobs


async def test_per_chat_rate_limit_answers_retry_after(bot: Bot, sandbox: Sandbox, started: VirtualUser) -> None:
    await sandbox.configure(per_chat_rate=1, per_chat_burst=2)
    other = await sandbox.create_user(first_name="Khác", started=True)
    await bot.send_message(started.id, "1")
    await bot.send_message(started.id, "2")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(started.id, "3")
    assert seconds(caught.value.retry_after) >= 1
    await bot.send_message(other.id, "another chat is not limited")
    assert sandbox.stats.too_many_requests == 1
    assert sandbox.stats.per_chat[started.id] == 2

    await sandbox.configure(rate_limits=False)
    for n in range(20):
        await bot.send_message(started.id, f"tin {n}")
    assert sandbox.stats.per_chat[started.id] == 22


async def test_overall_rate_limit_spans_chats_and_has_telegrams_429_body(sandbox: Sandbox) -> None:
    await sandbox.configure(overall_rate=2, overall_burst=2, per_chat_rate=0)
    users = [await sandbox.create_user(first_name=f"U{n}", started=True) for n in range(3)]
    async with aiohttp.ClientSession() as http:
        answers = []
        for user in users:
            async with http.post(f"{sandbox.url}/bot{TOKEN}/sendMessage", data={"chat_id": str(user.id), "text": "x"}) as r:
                answers.append((r.status, await r.json()))
    assert [status for status, _ in answers] == [200, 200, 429]
    assert answers[2][1] == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }


async def test_server_errors_are_502_and_reproducible_from_the_seed(
    bot: Bot, sandbox: Sandbox, started: VirtualUser
) -> None:
    await sandbox.configure(server_error_rate=1.0)
    with pytest.raises(NetworkError, match="Bad Gateway") as caught:
        await bot.send_message(started.id, "x")
    assert caught.type is NetworkError
    assert sandbox.stats.server_errors == 1 and sandbox.stats.messages_sent == 0

    async def pattern() -> list[bool]:
        outcomes = []
        for n in range(12):
            try:
                await bot.send_message(started.id, f"{n}")
                outcomes.append(True)
            except NetworkError:
                outcomes.append(False)
        return outcomes

    await sandbox.configure(server_error_rate=0.5, rate_limits=False, seed=7, fault_methods=["sendMessage"])
    first = await pattern()
    await sandbox.configure(seed=7)
    assert await pattern() == first
    assert True in first and False in first


async def test_timeouts_raise_timed_out_and_a_held_send_may_still_be_delivered(
    bot: Bot, sandbox: Sandbox, started: VirtualUser
) -> None:
    await sandbox.configure(timeout_rate=1.0, rate_limits=False)
    with pytest.raises(TimedOut):
        await bot.send_message(started.id, "Điều 3", read_timeout=0.2)
    assert sandbox.stats.timeouts == 1
    assert [m.text for m in await sandbox.read_chat(started.id)] == ["Điều 3"]

    await sandbox.configure(timeout_rate=0.0)
    await bot.send_message(started.id, "Điều 3")  # the naive retry
    assert sandbox.stats.duplicates == 1

    await sandbox.configure(timeout_rate=1.0, timeout_delivers=False)
    with pytest.raises(TimedOut):
        await bot.send_message(started.id, "Điều 4", read_timeout=0.2)
    assert "Điều 4" not in [m.text for m in await sandbox.read_chat(started.id)]

    await sandbox.configure(timeout_seconds=0.2, timeout_delivers=True)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await bot.send_message(started.id, "chậm mà chắc", read_timeout=5)
    assert loop.time() - began >= 0.2


async def test_latency_is_added_to_every_call(bot: Bot, sandbox: Sandbox) -> None:
    await sandbox.configure(latency_ms=150)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await bot.get_me()
    assert loop.time() - began >= 0.15


# --------------------------------------------------------------------------- updates


async def test_get_updates_confirms_by_offset_limits_and_long_polls(
    bot: Bot, sandbox: Sandbox, started: VirtualUser
) -> None:
    for n in range(3):
        await sandbox.send_text(started.id, f"tin {n}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["tin 0", "tin 1"]
    assert first[1].update_id == first[0].update_id + 1
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["tin 2"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()

    loop = asyncio.get_running_loop()
    poll = asyncio.create_task(bot.get_updates(offset=rest[-1].update_id + 1, timeout=5))
    await asyncio.sleep(0.1)
    began = loop.time()
    await sandbox.send_text(started.id, "đến ngay")
    [arrived] = await poll
    assert arrived.message.text == "đến ngay" and loop.time() - began < 1
    assert [m.message_id for m in await sandbox.read_chat(started.id, include_user_messages=True)] == [1, 2, 3, 4]



@asynccontextmanager
async def webhook_receiver(
    hook: Callable[[web.Request], Awaitable[web.Response]], before_closing: Callable[[], object] = lambda: None
) -> AsyncIterator[str]:
    """An HTTP server on a free port answering POST /telegram with ``hook``; yields its URL.
    ``before_closing`` runs first at the end (to release answers still held)."""
    receiver = web.Application()
    receiver.router.add_post("/telegram", hook)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/telegram"  # type: ignore[union-attr]
    finally:
        before_closing()
        await runner.cleanup()

async def test_webhook_posts_with_the_secret_retries_and_blocks_get_updates(
    bot: Bot, sandbox: Sandbox, started: VirtualUser
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    answers = [500]  # the first delivery fails, Telegram tries again

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=answers.pop(0) if answers else 200)

    async with webhook_receiver(hook) as url:
        assert await bot.set_webhook(url, secret_token="s3cr3t-Token_1")
        assert (await bot.get_webhook_info()).url == url
        await sandbox.send_text(started.id, "xin chào")
        await sandbox.wait_until(lambda: len(received) >= 2 and not sandbox.telegram.queue.pending)
        assert [secret for secret, _ in received] == ["s3cr3t-Token_1"] * 2
        assert received[0][1] == received[1][1]
        assert Update.de_json(received[1][1], bot).message.text == "xin chào"
        assert sandbox.stats.webhook_failures == 1
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()

        answers.extend([503, 503, 503])  # every attempt fails: the update is given up
        await sandbox.send_text(started.id, "mất")
        await sandbox.wait_until(lambda: sandbox.stats.webhook_dropped == 1)
        assert (await bot.get_webhook_info()).last_error_message.startswith("Wrong response from the webhook: 503")

        assert await bot.delete_webhook()
        await sandbox.send_text(started.id, "lại polling")
        assert [u.message.text for u in await bot.get_updates()] == ["lại polling"]


async def test_webhook_posts_up_to_max_connections_at_once_and_each_chat_in_order(
    bot: Bot, sandbox: Sandbox
) -> None:
    """Telegram delivers up to ``max_connections`` updates at once, but one chat's updates one
    after another and in order: a slow answer for one chat holds only that chat."""
    users = [await sandbox.create_user(first_name=f"U{n}", started=True) for n in range(5)]
    release = asyncio.Event()
    open_now: set[int] = set()
    most_at_once = 0
    seen: dict[int, list[str]] = {}
    two_of_one_chat = False

    async def hook(request: web.Request) -> web.Response:
        nonlocal most_at_once, two_of_one_chat
        update = await request.json()
        chat = update["message"]["chat"]["id"]
        two_of_one_chat = two_of_one_chat or chat in open_now
        open_now.add(chat)
        most_at_once = max(most_at_once, len(open_now))
        seen.setdefault(chat, []).append(update["message"]["text"])
        await release.wait()
        open_now.discard(chat)
        return web.Response(status=200)

    async with webhook_receiver(hook, before_closing=release.set) as url:
        assert await bot.set_webhook(url, max_connections=3)
        assert (await bot.get_webhook_info()).max_connections == 3
        for round_ in range(3):
            for user in users:
                await sandbox.send_text(user.id, f"tin {round_}")
        await sandbox.wait_until(lambda: most_at_once == 3)
        await asyncio.sleep(0.2)  # the other two chats wait for a free connection
        assert len(open_now) == 3 and sum(len(texts) for texts in seen.values()) == 3
        release.set()
        await sandbox.wait_until(lambda: not sandbox.telegram.queue.pending)
        assert not two_of_one_chat
        assert most_at_once == 3
        assert {chat: texts for chat, texts in seen.items()} == {u.id: ["tin 0", "tin 1", "tin 2"] for u in users}
        assert sandbox.stats.webhook_posts == 15 and sandbox.stats.webhook_failures == 0


# --------------------------------------------------------------------------- files, duplicates, the rest


async def test_documents_and_photos_are_recorded(bot: Bot, sandbox: Sandbox, started: VirtualUser) -> None:
    await sandbox.configure(rate_limits=False)
    data = "Quy chế dân chủ ở cơ sở\n".encode() * 200
    sent = await bot.send_document(started.id, data, filename="quy-che.docx", caption="<b>Bản đầy đủ</b>", parse_mode="HTML")
    assert sent.document.file_name == "quy-che.docx" and sent.document.file_size == len(data)
    assert sent.caption == "Bản đầy đủ"
    [recorded] = await sandbox.read_chat(started.id)
    assert recorded.kind == "document" and recorded.file.size == len(data)
    assert sandbox.file_bytes(recorded.file.file_id) == data

    await bot.send_document(started.id, sent.document.file_id, caption="Bản đầy đủ")  # re-sent by file_id
    assert sandbox.stats.duplicates == 1

    photo = await bot.send_photo(started.id, tiny_png(3, 2))
    assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)


async def test_duplicates_are_counted_per_chat(bot: Bot, sandbox: Sandbox, started: VirtualUser) -> None:
    await sandbox.configure(rate_limits=False)
    other = await sandbox.create_user(first_name="Tú", started=True)
    for chat_id in (started.id, started.id, started.id, other.id):
        await bot.send_message(chat_id, "Điều 5. Trách nhiệm")
    await bot.send_message(started.id, "Điều 6")
    stats = await sandbox.get_stats()
    assert stats.messages_sent == 5
    assert stats.duplicates == 2
    assert stats.duplicates_per_chat == {started.id: 2}


async def test_delete_markup_edit_and_commands(bot: Bot, sandbox: Sandbox, started: VirtualUser) -> None:
    sent = await bot.send_message(started.id, "Điều 7", reply_markup=ack_keyboard())
    edited = await bot.edit_message_reply_markup(started.id, sent.message_id, reply_markup=ack_keyboard("ack:7"))
    assert edited.reply_markup.inline_keyboard[0][0].callback_data == "ack:7"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(started.id, sent.message_id, reply_markup=ack_keyboard("ack:7"))
    assert await bot.delete_message(started.id, sent.message_id)
    [gone] = await sandbox.read_chat(started.id)
    assert gone.deleted and len(gone.edits) == 1
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(started.id, sent.message_id)
    with pytest.raises(SandboxError, match="no bot message"):
        await sandbox.press_button(started.id, sent.message_id, "ack:7")

    commands = [BotCommand("mucluc", "Mục lục"), BotCommand("tiendo", "Tiến độ")]
    assert await bot.set_my_commands(commands)
    assert tuple(await bot.get_my_commands()) == tuple(commands)


# --------------------------------------------------------------------------- the control API over HTTP


async def test_control_api_drives_users_from_another_process(sandbox: Sandbox, bot: Bot) -> None:
    async with SandboxClient(sandbox.url) as control:
        user = await control.create_user(5001, "Phương", phone_number="+84911111111")
        await control.send_text(user["id"], "/start XYZ")
        [update] = await bot.get_updates()
        assert update.message.text == "/start XYZ" and update.effective_user.id == 5001

        sent = await bot.send_message(5001, "Điều 8", reply_markup=ack_keyboard("ack:8"))
        [shown] = await control.wait_for_messages(5001, 1, timeout=2)
        assert shown["text"] == "Điều 8" and shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ack:8"

        query = await control.press_button(5001, sent.message_id, "ack:8")
        [update] = await bot.get_updates(offset=update.update_id + 1)
        await update.callback_query.answer("OK", show_alert=True)
        answered = await control.wait_for_answer(query["id"], timeout=2)
        assert answered["answer_text"] == "OK" and answered["show_alert"] is True

        contact = await control.share_contact(5001, phone_number="+84922222222", contact_user_id=None)
        assert "user_id" not in contact["contact"]

        knobs = await control.configure(latency_ms=5, fault_methods=["sendMessage"])
        assert knobs["latency_ms"] == 5 and knobs["fault_methods"] == ["sendmessage"]
        await control.block(5001)
        with pytest.raises(Forbidden):
            await bot.send_message(5001, "x")
        stats = await control.get_stats()
        assert stats["messages_sent"] == 1 and stats["forbidden"] == 1 and stats["per_chat"] == {"5001": 1}

        with pytest.raises(SandboxClientError) as caught:
            await control.send_text(999, "ai đó")
        assert caught.value.status == 404
        with pytest.raises(SandboxClientError):
            await control.configure(no_such_knob=1)
        await control.reset()
        assert await control.list_users() == []


async def test_knobs_can_be_given_at_construction() -> None:
    async with Sandbox(TOKEN, rate_limits=False, latency_ms=1, seed=3) as sandbox:
        assert sandbox.knobs.rate_limits is False and sandbox.knobs.seed == 3
        with pytest.raises(ValueError):
            sandbox.telegram_base_url("1:other")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{sandbox.url}/_sandbox/health") as response:
                assert json.loads(await response.text())["result"]["telegram_base_url"].endswith("/bot")
