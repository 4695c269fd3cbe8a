"""The Zalo loop end to end: our Zalo client polling (or the webhook fed by) the sandbox's Zalo
dialect over HTTP, the delivery worker and the database, on a fake clock. No buttons: typed commands."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot.db.models import Ack, ChannelIdentity, Delivery, Feedback, ProcessedUpdate
from bot.domain.enums import Channel, DeliveryKind, DeliveryStatus
from bot.domain.limits import ZALO_TEXT_LIMIT
from bot.web.app import ZALO_SECRET_HEADER, ZALO_WEBHOOK_PATH, build_app
from tests.integration.harness import REPO, local
from tests.integration.harness_zalo import HINT, ZaloHarness, running_zalo_bot

MONDAY = dt.date(2026, 11, 23)
LONG_DOCUMENT = REPO / "tests" / "fixtures" / "documents" / "ke-hoach-qcdc-thanh-tra-tay-ninh-2023.md"
NAME = "Trần Thị Bình"
SECRET = "zalo-webhook-secret-for-tests"


async def _first_day(bot: ZaloHarness) -> None:
    bot.clock.set(local(MONDAY, 8, 30))
    await bot.run_until_idle()


async def _settle(bot: ZaloHarness) -> None:
    """Let a command's queued delivery go out."""
    await asyncio.sleep(0.05)
    await bot.run_until_idle()


async def test_link_by_code_and_sections_as_plain_chunks_with_the_hint(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.import_roster()
        await bot.import_document()  # document 1, as in the other tests: the drip plan memo is keyed by ids
        await bot.create_campaign(await bot.import_document(LONG_DOCUMENT), MONDAY)

        stranger = await bot.sandbox.create_user(first_name="Lạ", channel="zalo")
        assert isinstance(stranger.id, str) and len(stranger.id) == 20
        await bot.sandbox.send_text(stranger.id, "muc luc")
        (hello,) = await bot.sandbox.wait_for_messages(stranger.id, 1)
        assert "mã kích hoạt" in hello.text and "Thanh tra" not in hello.text
        await bot.sandbox.send_text(stranger.id, "WRONG234")
        (_, wrong) = await bot.sandbox.wait_for_messages(stranger.id, 2)
        assert "không đúng" in wrong.text

        user = await bot.register_zalo(NAME)
        (welcome, *_) = await bot.zalo_messages(NAME)
        assert f"Chào {NAME}" in welcome.text and "Zalo" in welcome.text
        async with bot.sessions() as session:
            identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None and identity.channel is Channel.ZALO and identity.external_user_id == user.id

        before = len(await bot.zalo_messages(NAME))
        await _first_day(bot)
        chat = (await bot.zalo_messages(NAME))[before:]
        assert chat, "the first day's sections went out"
        for message in chat:
            assert message.text and len(message.text) <= ZALO_TEXT_LIMIT
            assert message.reply_markup is None and "<b>" not in message.text
        async with bot.sessions() as session:
            rows = (await session.scalars(
                select(Delivery).where(Delivery.kind == DeliveryKind.SECTION, Delivery.status == DeliveryStatus.SENT)
            )).all()
        assert rows and all(row.channel is Channel.ZALO for row in rows)
        assert any((row.chunk_count or 0) > 1 for row in rows) or len(chat) == len(rows)
        # the last chunk of every section ends with the hint
        assert sum(message.text.endswith(HINT) for message in chat) == len(rows)


async def test_typed_commands_confirm_next_toc_read_feedback_progress(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register_zalo(NAME)
        await _first_day(bot)
        sections = [m for m in await bot.zalo_messages(NAME) if m.text.endswith(HINT)]
        assert sections and "Phần mở đầu" in sections[0].text
        async with bot.sessions() as session:
            last = await session.scalar(
                select(func.max(Delivery.item)).where(Delivery.kind == DeliveryKind.SECTION, Delivery.status == DeliveryStatus.SENT)
            )

        # "da doc" confirms the section just sent (the last one on Zalo)
        (done,) = await bot.say(NAME, "da doc")
        assert "Đã ghi nhận xác nhận (1/6 mục)" in done.text and "✅ Đã xác nhận lúc 08:30 ngày 23/11/2026" in done.text
        assert "tiếp" in done.text  # the hint of what comes next
        await bot.say(NAME, "Đã đọc")  # again: nothing new
        async with bot.sessions() as session:
            (ack,) = (await session.scalars(select(Ack))).all()
        assert ack.item == last and ack.via is Channel.ZALO

        # "tiep" sends the next section now
        before = len(await bot.zalo_messages(NAME))
        await bot.sandbox.send_text(bot.zalo_users[NAME].id, "tiep")
        await asyncio.sleep(0.2)
        await _settle(bot)
        new = (await bot.zalo_messages(NAME))[before:]
        assert new and new[-1].text.endswith(HINT)
        async with bot.sessions() as session:
            sent = await session.scalar(
                select(func.max(Delivery.item)).where(Delivery.kind == DeliveryKind.SECTION, Delivery.status == DeliveryStatus.SENT)
            )
        assert sent == (last or 0) + 1

        # "muc luc" then "3" reads section 3 (shown again, or sent now as the person's copy)
        (toc,) = await bot.say(NAME, "muc luc")
        assert "Đã xác nhận 1/6 mục" in toc.text and "số mục để đọc" in toc.text
        before = len(await bot.zalo_messages(NAME))
        await bot.sandbox.send_text(bot.zalo_users[NAME].id, "3")
        await asyncio.sleep(0.2)
        await _settle(bot)
        (section3,) = (await bot.zalo_messages(NAME))[before:]
        assert "1. Nội dung công khai" in section3.text and section3.text.endswith(HINT)
        # "1" now confirms section 3, the one just shown
        (done3,) = await bot.say(NAME, "1")
        assert "(2/6 mục)" in done3.text
        async with bot.sessions() as session:
            assert 3 in set((await session.scalars(select(Ack.item))).all())

        # "mục 6" reads a section not yet sent: it goes out as the person's copy
        before = len(await bot.zalo_messages(NAME))
        await bot.sandbox.send_text(bot.zalo_users[NAME].id, "mục 6")
        await asyncio.sleep(0.2)
        await _settle(bot)
        assert "Đề nghị Đảng ủy" in (await bot.zalo_messages(NAME))[-1].text or any(
            "Đề nghị Đảng ủy" in m.text for m in (await bot.zalo_messages(NAME))[before:]
        )

        # anonymous comment, in one message
        (thanks,) = await bot.say(NAME, "gop y an danh Đề nghị nêu rõ thời hạn trả lời góp ý.")
        assert "ẩn danh" in thanks.text
        # a named comment in two messages: "góp ý", then the text
        (ask,) = await bot.say(NAME, "góp ý")
        assert "tin nhắn tiếp theo" in ask.text and "góp ý ẩn danh" in ask.text
        (named,) = await bot.say(NAME, "Mục 6 cần ghi rõ thời gian.")
        assert "Cảm ơn bạn" in named.text
        async with bot.sessions() as session:
            rows = (await session.scalars(select(Feedback).order_by(Feedback.anonymous.desc()))).all()
        assert [(r.anonymous, r.staff_id is None, r.text) for r in rows] == [
            (True, True, "Đề nghị nêu rõ thời hạn trả lời góp ý."),
            (False, False, "Mục 6 cần ghi rõ thời gian."),
        ]

        (progress,) = await bot.say(NAME, "tien do")
        assert "Đã xác nhận: 2/6 mục" in progress.text

        (help_text,) = await bot.say(NAME, "xin chào")
        assert "“tiếp”" in help_text.text and "/mucluc" not in help_text.text
        (nothing,) = await bot.say(NAME, "đã nhận")
        assert "không có thông báo" in nothing.text


async def test_other_events_and_duplicates_are_survived(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.runtime.tick()  # the campaign opens
        user = await bot.register_zalo(NAME)
        count = len(await bot.zalo_messages(NAME))

        await bot.sandbox.send_image(user.id, "https://example.org/anh.jpg", caption="ảnh")
        await bot.sandbox.send_sticker(user.id, "abc")
        await bot.sandbox.send_unsupported(user.id)
        replies = (await bot.sandbox.wait_for_messages(user.id, count + 3))[count:]
        assert sum("chỉ đọc được tin nhắn chữ" in r.text for r in replies) == 2
        assert sum("chưa đọc được tin nhắn này" in r.text for r in replies) == 1

        # a redelivered update (same message id) is handled once
        await bot.say(NAME, "tien do")
        await bot.sandbox.redeliver(user.id)
        await bot.sandbox.redeliver(user.id)
        await bot.sandbox.send_text(user.id, "huong dan")  # a later update: proves the two were consumed
        chat = await bot.sandbox.wait_for_messages(user.id, count + 5)
        await asyncio.sleep(0.2)
        chat = await bot.zalo_messages(NAME)
        assert len(chat) == count + 5, [m.text for m in chat[count:]]
        assert sum("Đã xác nhận:" in m.text for m in chat) == 1
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(ProcessedUpdate.id))) >= 6


async def test_one_person_on_both_channels_gets_each_message_once_where_they_were_last(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register(NAME)  # Telegram
        await bot.register_zalo(NAME)  # then Zalo: the channel used last
        tg_before = len(await bot.bot_messages(NAME))
        await _first_day(bot)
        assert len(await bot.bot_messages(NAME)) == tg_before, "nothing went to Telegram"
        zalo_sections = [m for m in await bot.zalo_messages(NAME) if m.text.endswith(HINT)]
        assert zalo_sections

        # confirmed on Zalo, then the same section again on Telegram (by its button action): one ack
        await bot.say(NAME, "dd")
        async with bot.sessions() as session:
            (ack,) = (await session.scalars(select(Ack))).all()
        await bot.sandbox.send_text(bot.users[NAME].id, "/tiendo")  # Telegram is now the channel used last
        tg = await bot.wait_bot_messages(NAME, tg_before + 1)
        telegram_user = bot.users[NAME]
        record = await bot.sandbox.press_button(
            telegram_user.id, tg[-1].message_id, f"ack:{ack.campaign_id}:{ack.item}", check=False
        )
        await bot.sandbox.wait_for_answer(record.id)
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Ack.id))) == 1

        # the next day's sections follow the person to Telegram, and only there
        zalo_before = len(await bot.zalo_messages(NAME))
        tg_before = len(await bot.bot_messages(NAME))
        for day in range(1, 10):  # the drip's next sending day
            bot.clock.set(local(MONDAY + dt.timedelta(days=day), 8, 30))
            await bot.run_until_idle()
            if len(await bot.bot_messages(NAME)) > tg_before:
                break
        assert len(await bot.bot_messages(NAME)) > tg_before
        assert len(await bot.zalo_messages(NAME)) == zalo_before
        async with bot.sessions() as session:
            channels = (await session.execute(
                select(Delivery.item, Delivery.channel).where(Delivery.status == DeliveryStatus.SENT)
                .order_by(Delivery.sent_at, Delivery.id)
            )).all()
        assert channels[0][1] is Channel.ZALO and channels[-1][1] is Channel.TELEGRAM
        async with bot.sessions() as session:
            rows = (await session.execute(
                select(Delivery.item, func.count(Delivery.id)).where(Delivery.kind == DeliveryKind.SECTION)
                .group_by(Delivery.item)
            )).all()
        assert all(n == 1 for _, n in rows)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_with_and_without_the_envelope_and_a_wrong_secret(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7), polling=False, telegram=False) as bot:
        await bot.open_campaign(MONDAY)
        runner = web.AppRunner(build_app(bot.runtime, SECRET))
        await runner.setup()
        port = _free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}{ZALO_WEBHOOK_PATH}"
        try:
            assert bot.runtime.zalo is not None
            client = bot.runtime.zalo.client
            await bot.runtime.tick()  # the campaign opens
            await client.set_webhook(url, SECRET)
            assert (await client.get_webhook_info())["url"] == url

            await bot.register_zalo(NAME)  # the first POST: with the envelope
            (progress,) = await bot.say(NAME, "tien do")  # the second: bare
            assert "Đã xác nhận: 0/6 mục" in progress.text
            (toc,) = await bot.say(NAME, "muc luc")
            assert "📑" in toc.text
            assert bot.sandbox.zalo.webhook_posts >= 3

            update = {"event_name": "message.text.received", "message": {
                "from": {"id": "abc"}, "chat": {"id": "abc", "chat_type": "PRIVATE"}, "text": "x", "message_id": "m1",
                "date": 1}}
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {ZALO_SECRET_HEADER: "wrong-secret"}):
                    async with http.post(url, json=update, headers=headers) as response:
                        assert response.status == 403
                json_type = {ZALO_SECRET_HEADER: SECRET, "Content-Type": "application/json"}
                async with http.post(url, data=b"{not json", headers=json_type) as response:
                    assert response.status == 400
                async with http.post(url, data=b"{not json", headers={ZALO_SECRET_HEADER: SECRET}) as response:
                    assert response.status == 415  # not sent as JSON
                async with http.get(f"http://127.0.0.1:{port}/health") as response:
                    assert (await response.json())["channels"] == ["zalo"]
            await client.delete_webhook()
            assert (await client.get_webhook_info())["url"] == ""
        finally:
            await runner.cleanup()


async def test_quota_429_is_retried_and_a_blocked_user_is_unreachable(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register_zalo(NAME)
        await bot.register_zalo("Phạm Thị Dung")
        await bot.sandbox.configure(rate_limits=True, per_chat_rate=0.5, per_chat_burst=1, overall_rate=0)
        bot.clock.set(local(MONDAY + dt.timedelta(days=3), 11))  # several sections due at once
        await bot.send_all()
        assert bot.sandbox.stats.too_many_requests > 0
        assert bot.runtime.worker is not None and bot.runtime.worker.stats.rate_limited > 0
        async with bot.sessions() as session:
            statuses = set((await session.scalars(select(Delivery.status))).all())
        assert statuses == {DeliveryStatus.SENT}

        await bot.sandbox.configure(rate_limits=False)
        await bot.sandbox.block(bot.zalo_users["Phạm Thị Dung"].id)
        bot.clock.set(local(MONDAY + dt.timedelta(days=10), 11))
        await bot.send_all()
        async with bot.sessions() as session:
            dung = await bot.staff_id("Phạm Thị Dung")
            identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.staff_id == dung))
            late = local(MONDAY + dt.timedelta(days=10), 0)
            after_block = (await session.execute(
                select(Delivery.status, Delivery.sent_at).where(Delivery.staff_id == dung)
            )).all()
        assert identity is not None and identity.reachable is False and "403" in (identity.unreachable_reason or "")
        assert any(status is DeliveryStatus.BLOCKED for status, _ in after_block)
        assert all(sent_at < late for status, sent_at in after_block if status is DeliveryStatus.SENT)
        assert bot.sandbox.stats.forbidden >= 1


async def test_the_client_never_shows_the_token() -> None:
    from bot.outbox.protocol import Transient
    from bot.channels.zalo_client import ZaloClient

    token = "1234567:very-secret-token"
    client = ZaloClient(token, f"http://127.0.0.1:{_free_port()}/bot", timeout=2)
    try:
        await client.send_message("abc", "x")
    except Transient as error:
        assert token not in str(error) and "very-secret" not in repr(error)
        assert error.__cause__ is None and error.__suppress_context__
    else:
        raise AssertionError("a closed port must fail")
    finally:
        await client.close()
    assert "secret" not in repr(client)


async def test_the_sandbox_control_api_plays_zalo_users() -> None:
    from bot.channels.zalo_client import ZaloClient
    from bot.sandbox import Sandbox, SandboxClient, SandboxClientError

    async with Sandbox(rate_limits=False) as sandbox, SandboxClient(sandbox.url) as control:
        zalo = ZaloClient(sandbox.zalo.token, sandbox.zalo_base_url())
        try:
            user = await control.create_user(first_name="Lan", channel="zalo")
            await control.send_text(user["id"], "xin chào")
            await control.send_image(user["id"], "https://example.org/a.jpg", "ảnh")
            await control.send_sticker(user["id"])
            await control.send_unsupported(user["id"])
            await control.redeliver(user["id"])
            events = []
            while (update := await zalo.get_updates(timeout=0)) is not None:
                events.append(update["event_name"])
                assert isinstance(update["message"]["date"], int) and update["message"]["date"] > 10**12
                assert update["message"]["chat"]["id"] == user["id"]
            assert events == ["message.text.received", "message.image.received", "message.sticker.received",
                              "message.unsupported.received", "message.unsupported.received"]
            telegram_user = await control.create_user(first_name="Tele")
            try:
                await control.send_sticker(telegram_user["id"])
            except SandboxClientError as error:
                assert error.status == 400
            else:
                raise AssertionError("stickers are for Zalo users")
            assert (await zalo.get_me())["account_type"] == "BASIC"
        finally:
            await zalo.close()


async def test_an_announcement_is_confirmed_by_typing_da_nhan(db_url: str) -> None:
    from bot.db.models import AnnouncementAck
    from bot.services import announcements

    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register_zalo(NAME)
        async with bot.sessions() as session, session.begin():
            draft = await announcements.create_draft(
                session, author_id=None, text="Họp công đoàn lúc **15:00** thứ Sáu.", now=bot.clock.now(), require_ack=True
            )
            await announcements.send(session, draft, bot.clock.now())
        await bot.send_all()
        received = (await bot.zalo_messages(NAME))[-1]
        assert "Họp công đoàn lúc 15:00" in received.text and "**" not in received.text
        (thanks,) = await bot.say(NAME, "da nhan")
        await bot.say(NAME, "đã nhận")  # twice: still one confirmation
        async with bot.sessions() as session:
            acks = (await session.scalars(select(AnnouncementAck))).all()
        assert [(a.announcement_id, a.via.value) for a in acks] == [(draft.id, "zalo")]
        assert "không có thông báo" not in thanks.text
