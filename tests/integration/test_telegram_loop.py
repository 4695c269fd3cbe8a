"""The Telegram loop end to end: python-telegram-bot's Application polling the
sandbox over HTTP, the delivery worker, the database, on a fake clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from bot.db.models import Ack, ChannelIdentity, Delivery, Feedback
from bot.domain.enums import DeliveryStatus
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)


async def test_registration_by_code_and_strangers_learn_nothing(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)

        user = await bot.register("Trần Thị Bình")
        (welcome, *_) = await bot.bot_messages("Trần Thị Bình")
        assert "Chào Trần Thị Bình" in welcome.text

        stranger = await bot.sandbox.create_user(first_name="Lạ")
        await bot.sandbox.send_text(stranger.id, "/mucluc")
        await bot.sandbox.send_text(stranger.id, "/start WRONG123")
        await bot.sandbox.send_text(stranger.id, "/baocao")
        replies = await bot.sandbox.wait_for_messages(stranger.id, 3)
        for reply in replies:
            assert "KẾ HOẠCH" not in reply.text and "Tân Trung" not in reply.text
        texts = sorted(reply.text for reply in replies)  # updates are handled concurrently
        assert sum("chưa được liên kết" in text for text in texts) == 2
        assert sum("không đúng" in text for text in texts) == 1

        # the same code cannot link a second Telegram account, and the thief hears what a wrong code hears
        thief = await bot.sandbox.create_user(first_name="Gian")
        await bot.sandbox.send_text(thief.id, f"/start {bot.codes['Trần Thị Bình']}")
        (refused,) = await bot.sandbox.wait_for_messages(thief.id, 1)
        assert refused.text == next(text for text in texts if "không đúng" in text)

        async with bot.sessions() as session:
            linked = (await session.scalars(select(ChannelIdentity.external_user_id))).all()
        assert linked == [str(user.id)]


async def test_registration_by_shared_contact(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.import_roster()
        user = await bot.sandbox.create_user(first_name="Dung")
        await bot.sandbox.send_text(user.id, "/start")
        (hello,) = await bot.sandbox.wait_for_messages(user.id, 1)
        assert hello.reply_markup["keyboard"][0][0]["request_contact"] is True

        await bot.sandbox.share_contact(user.id, phone_number="+84 912 000 004", contact_user_id=999)
        (refused,) = (await bot.sandbox.wait_for_messages(user.id, 2))[1:]
        assert "chính bạn" in refused.text

        await bot.sandbox.share_contact(user.id, phone_number="84912000009")
        (unknown,) = (await bot.sandbox.wait_for_messages(user.id, 3))[2:]
        assert "không có trong danh sách" in unknown.text

        await bot.sandbox.share_contact(user.id, phone_number="84912000004")
        (linked,) = (await bot.sandbox.wait_for_messages(user.id, 4))[3:]
        assert "Chào Phạm Thị Dung" in linked.text


async def test_drip_confirm_read_ahead_toc_progress_feedback(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.import_roster()
        doc = await bot.import_document()
        campaign = await bot.create_campaign(doc, MONDAY)
        await bot.register("Trần Thị Bình")
        name = "Trần Thị Bình"

        # Nothing before the send window; the first day's sections at 08:00.
        assert await bot.run_until_idle() == 0
        bot.clock.set(local(MONDAY, 8, 30))
        assert await bot.run_until_idle() > 0
        chat = await bot.bot_messages(name)
        section_msgs = [m for m in chat if m.buttons]
        assert section_msgs, [m.text for m in chat]
        first = section_msgs[0]
        assert "Phần mở đầu" in first.text
        labels = [b["text"] for b in first.buttons]
        assert labels == ["✅ Đã đọc", "Đọc tiếp ▶", "💬 Góp ý"]

        # "Đã đọc": stored, answered, the message stamped with the time.
        ack = next(b for b in first.buttons if b["text"] == "✅ Đã đọc")
        record = await bot.sandbox.press_button(bot.users[name].id, first.message_id, ack["callback_data"])
        answer = await bot.sandbox.wait_for_answer(record.id)
        assert "Đã ghi nhận" in (answer.answer_text or "")
        edited = await bot.sandbox.wait_until(
            lambda: next((m for m in bot.sandbox.state.chats[bot.users[name].id].messages
                          if m.message_id == first.message_id and m.edits), None)
        )
        assert "✅ Đã xác nhận lúc 08:30 ngày 23/11/2026" in edited.text
        assert [b["text"] for b in edited.buttons] == ["Đọc tiếp ▶", "💬 Góp ý"]
        # a double tap (or a redelivered update) changes nothing
        record = await bot.sandbox.press_button(bot.users[name].id, first.message_id, ack["callback_data"], check=False)
        await bot.sandbox.wait_for_answer(record.id)
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Ack.id))) == 1

        # "Đọc tiếp" sends the next unsent section now, and the drip will not send it again.
        before = len(await bot.bot_messages(name))
        nxt = next(b for b in first.buttons if b["text"] == "Đọc tiếp ▶")
        await bot.sandbox.press_button(bot.users[name].id, first.message_id, nxt["callback_data"])
        await bot.sandbox.wait_until(lambda: bot.runtime.worker is not None)
        await _settle(bot)
        chat = await bot.bot_messages(name)
        assert len(chat) == before + 1

        # /mucluc lists every section as a button; reading one sends it.
        await bot.sandbox.send_text(bot.users[name].id, "/mucluc")
        toc = (await bot.wait_bot_messages(name, len(chat) + 1))[-1]
        assert "Đã xác nhận 1/6 mục" in toc.text
        assert len(toc.buttons) == 6
        last = toc.buttons[5]
        await bot.sandbox.press_button(bot.users[name].id, toc.message_id, last["callback_data"])
        await _settle(bot)
        assert "Đề nghị Đảng ủy" in (await bot.bot_messages(name))[-1].text

        # /tiendo
        await bot.sandbox.send_text(bot.users[name].id, "/tiendo")
        count = len(await bot.bot_messages(name))
        progress = (await bot.wait_bot_messages(name, count + 1))[-1]
        assert "Đã xác nhận: 1/6 mục" in progress.text
        assert "Còn 20 ngày" in progress.text

        # Góp ý, anonymous: stored with no link to the person.
        fb = next(b for b in first.buttons if b["text"] == "💬 Góp ý")
        await bot.sandbox.press_button(bot.users[name].id, first.message_id, fb["callback_data"])
        ask = (await bot.wait_bot_messages(name, count + 2))[-1]
        anon = next(b for b in ask.buttons if "ẩn danh" in b["text"])
        await bot.sandbox.press_button(bot.users[name].id, ask.message_id, anon["callback_data"])
        await bot.wait_bot_messages(name, count + 3)
        await bot.sandbox.send_text(bot.users[name].id, "Đề nghị nêu rõ thời hạn trả lời góp ý.")
        thanks = (await bot.wait_bot_messages(name, count + 4))[-1]
        assert "ẩn danh" in thanks.text
        async with bot.sessions() as session:
            (row,) = (await session.scalars(select(Feedback))).all()
        assert row.staff_id is None and row.anonymous and row.section_id is not None
        assert row.created_at.time() == dt.time(0, 0)
        assert campaign


async def _settle(bot: Harness) -> None:
    """Let a handler's queued delivery go out."""
    import asyncio

    idle = 0
    while idle < 3:
        await asyncio.sleep(0.03)
        assert bot.runtime.worker is not None
        idle = 0 if await bot.runtime.worker.drain() else idle + 1
    await bot.run_until_idle()


async def test_full_document_then_attestation_and_report(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        name = "Lê Văn Cường"
        await bot.register(name)
        await bot.register("Trần Thị Bình")
        # the first day's sections, then read ahead through the whole document
        bot.clock.set(local(MONDAY, 10, 30))
        await bot.run_until_idle()
        for _ in range(10):
            chat = await bot.bot_messages(name)
            await bot.confirm_all(name)
            nxt = next((b for b in chat[-1].buttons if b["text"].startswith("Đọc tiếp")), None)
            if nxt is None:
                break
            await bot.sandbox.press_button(bot.users[name].id, chat[-1].message_id, nxt["callback_data"])
            await _settle(bot)
        await _settle(bot)
        chat = await bot.bot_messages(name)
        attest = next(m for m in chat if any(b["text"].startswith("✅ Tôi đã đọc") for b in m.buttons))
        assert "đủ 6 mục" in attest.text
        record = await bot.sandbox.press_button(bot.users[name].id, attest.message_id, attest.buttons[0]["callback_data"])
        await bot.sandbox.wait_for_answer(record.id)
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Ack.id)).where(Ack.item == 0)) == 1

        # /baocao: the union officer sees counts; an ordinary member is refused.
        await bot.sandbox.send_text(bot.users["Trần Thị Bình"].id, "/baocao")
        count = len(await bot.bot_messages("Trần Thị Bình"))
        denied = (await bot.wait_bot_messages("Trần Thị Bình", count + 1))[-1]
        assert "chỉ dành cho" in denied.text
        count = len(await bot.bot_messages(name))
        await bot.sandbox.send_text(bot.users[name].id, "/baocao")
        report = (await bot.wait_bot_messages(name, count + 1))[count]  # the chart and the files follow
        assert "Văn phòng: 2 người, 2 người đã liên kết" in report.text
        assert "1 người đã xác nhận đủ các mục, 1 người đã xác nhận toàn văn" in report.text
        assert "Toàn cơ quan: 5 người, 2 người đã liên kết" in report.text


async def test_blocked_user_is_marked_unreachable_and_skipped(db_url: str) -> None:
    """Telegram says at once that the person blocked the bot (``my_chat_member``): nothing is
    queued for them, that day or later (a 403 on a send, the other way to learn it, is
    covered on Zalo, which says nothing)."""
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        name = "Trần Thị Bình"
        user = await bot.register(name)
        await bot.sandbox.block(user.id)

        async def unreachable() -> bool:
            async with bot.sessions() as session:
                return (await session.scalar(select(ChannelIdentity.reachable))) is False

        for _ in range(100):
            if await unreachable():
                break
            await asyncio.sleep(0.05)
        bot.clock.set(local(MONDAY, 9))
        await bot.run_until_idle()
        async with bot.sessions() as session:
            identity = await session.scalar(select(ChannelIdentity))
            statuses = (await session.scalars(select(Delivery.status))).all()
        assert identity is not None and identity.reachable is False
        assert "blocked" in (identity.unreachable_reason or "")
        assert statuses == []
        # next day: still nothing queued for an unreachable person
        bot.clock.set(local(MONDAY + dt.timedelta(days=2), 9))
        await bot.run_until_idle()
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Delivery.id))) == 0


STAFF = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]


async def _sections_received(bot: Harness) -> dict[str, list[str]]:
    return {
        name: [m.text.splitlines()[0] for m in await bot.bot_messages(name) if m.buttons]
        for name in STAFF
    }


async def test_429_and_5xx_are_retried_without_loss_or_duplicates(db_url: str) -> None:
    knobs = dict(
        rate_limits=True, overall_rate=6, overall_burst=3, per_chat_rate=0,
        server_error_rate=0.2, fault_methods=["sendMessage"], seed=7,  # a row fails all 6 attempts at 0.2**6
    )
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        for name in STAFF:
            await bot.register(name)
        await bot.sandbox.configure(**knobs)
        bot.clock.set(local(MONDAY, 10, 30))
        await bot.send_all()
        stats = await bot.sandbox.get_stats()
        assert stats.too_many_requests > 0 and stats.server_errors > 0
        assert stats.duplicates == 0
        received = await _sections_received(bot)
        assert all(len(sections) == len(received[STAFF[0]]) > 0 for sections in received.values())
        async with bot.sessions() as session:
            statuses = set((await session.scalars(select(Delivery.status))).all())
        assert statuses == {DeliveryStatus.SENT}


async def test_restart_mid_campaign_resumes_without_sending_twice(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        for name in STAFF:
            await bot.register(name)
        bot.clock.set(local(MONDAY, 10, 30))
        await bot.send_all()
        day_one = await _sections_received(bot)

        await bot.restart()
        bot.clock.set(local(MONDAY, 10, 31))
        await bot.send_all()
        assert await _sections_received(bot) == day_one  # nothing re-sent on restart

        await bot.restart()
        bot.clock.set(local(MONDAY + dt.timedelta(days=15), 10, 30))  # the last drip day
        await bot.send_all()
        received = await _sections_received(bot)
        assert all(len(sections) == 6 for sections in received.values()), received
        assert (await bot.sandbox.get_stats()).duplicates == 0
        # a restarted bot still answers buttons sent before the restart
        first = next(m for m in await bot.bot_messages("Trần Thị Bình") if m.buttons)
        record = await bot.sandbox.press_button(bot.users["Trần Thị Bình"].id, first.message_id, first.buttons[0]["callback_data"])
        await bot.sandbox.wait_for_answer(record.id)


async def test_a_person_added_mid_campaign_joins_late_and_catches_up(db_url: str) -> None:
    from tests.integration.harness import ROSTER

    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        late_day = MONDAY + dt.timedelta(days=9)  # Wednesday of the second week
        bot.clock.set(local(late_day, 9))
        await bot.import_roster(ROSTER + [["Đỗ Thị Giang", "Văn phòng", "Văn thư", "0912000006", "quản trị"]])
        await bot.register("Đỗ Thị Giang")
        await bot.runtime.tick()  # the scheduler's tick notices the new member
        bot.clock.set(local(late_day, 10, 30))
        await bot.send_all()
        first_day = len((await _sections_for(bot, "Đỗ Thị Giang")))
        assert 1 <= first_day <= 4  # a catch-up pace, not the whole backlog at once
        bot.clock.set(local(late_day + dt.timedelta(days=5), 10, 30))
        await bot.send_all()
        assert len(await _sections_for(bot, "Đỗ Thị Giang")) == 6


async def _sections_for(bot: Harness, name: str) -> list[str]:
    return [m.text.splitlines()[0] for m in await bot.bot_messages(name) if m.buttons]


async def test_presses_arriving_together_share_a_transaction(db_url: str) -> None:
    """A burst of "Đã đọc" from several people (a double tap among them): every press is
    stored once, answered with its own count, and stamped, in fewer transactions than presses."""
    names = ["Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        for name in names:
            await bot.register(name)
        for day in range(3):  # three mornings' sections, not yet confirmed
            bot.clock.set(local(MONDAY + dt.timedelta(days=day), 10, 30))
            await bot.run_until_idle()
        pressed: list[tuple[str, int, str]] = []
        for name in names:
            for message in await bot.bot_messages(name):
                for button in message.buttons:
                    if button["text"] == "✅ Đã đọc":
                        pressed.append((name, message.message_id, button["callback_data"]))
        assert len(pressed) >= 2 * len(names)
        pressed.insert(1, pressed[0])  # a double tap
        assert bot.runtime.telegram is not None
        confirmations = bot.runtime.chat.confirmations
        groups_before = confirmations.groups
        records = await asyncio.gather(
            *(bot.sandbox.press_button(bot.users[n].id, m, data, check=False) for n, m, data in pressed)
        )
        answers = [await bot.sandbox.wait_for_answer(r.id) for r in records]
        assert 0 < confirmations.groups - groups_before < len(pressed)

        per_person = len(pressed) // len(names)
        for name in names:
            toasts = sorted(a.answer_text for a, (n, _, _) in zip(answers, pressed) if n == name)
            counts = sorted(int(t.split("(")[1].split("/")[0]) for t in toasts)
            # each new press counts one more; the double tap repeats a count, whichever
            assert sorted(set(counts)) == list(range(1, per_person + 1)), name
            assert len(counts) == per_person + (name == names[0])
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Ack.id))) == len(pressed) - 1
        for name in names:
            chat = bot.sandbox.state.chats[bot.users[name].id]
            await bot.sandbox.wait_until(  # each pressed message stamped, the double-tapped one once
                lambda: sum("✅ Đã xác nhận lúc" in m.text for m in chat.messages) == per_person or None
            )


async def test_a_button_is_answered_while_the_broadcast_holds_every_shared_connection(db_url: str) -> None:
    """The answer to a pressed button and its stamp have connections of their own: sends that
    hold every connection of the shared pool (a broadcast at a high ceiling) do not delay them."""
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        user = await bot.register("Trần Thị Bình")
        bot.clock.set(local(MONDAY, 10, 30))
        await bot.run_until_idle()
        message, data = next((m.message_id, b["callback_data"]) for m in await bot.bot_messages("Trần Thị Bình")
                             for b in m.buttons if b["text"] == "✅ Đã đọc")
        telegram, http = bot.runtime.telegram, bot.runtime.http
        assert telegram is not None and http is not None and http.connector is not None
        http.connector._limit = 5  # the shared pool made small: four held sends and the long poll fill it
        await bot.sandbox.configure(timeout_rate=1.0, fault_methods=["sendMessage"], timeout_seconds=8.0)
        held = [asyncio.create_task(telegram._call("sendMessage", chat_id=user.id, text=f"tin {n}"))
                for n in range(4)]
        await bot.sandbox.wait_until(lambda: bot.sandbox.stats.timeouts >= len(held))
        record = await bot.sandbox.press_button(user.id, message, data)
        answer = await bot.sandbox.wait_for_answer(record.id, timeout=2.5)
        assert answer.answer_text and not any(task.done() for task in held)
        await bot.sandbox.wait_until(
            lambda: any("✅ Đã xác nhận lúc" in (m.text or "") for m in bot.sandbox.state.chats[user.id].messages),
            timeout=2.5)
        assert not any(task.done() for task in held)
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)


async def test_stopping_closes_every_connection_the_bot_opened(db_url: str) -> None:
    """A press is answered on connections of their own; stopping the bot closes them too
    (they were left open: "Unclosed client session" at the end of every run)."""
    import gc

    import aiohttp

    def open_sessions() -> set[int]:
        return {id(o) for o in gc.get_objects() if isinstance(o, aiohttp.ClientSession) and not o.closed}

    before = open_sessions()
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.import_roster()
        await bot.create_campaign(await bot.import_document(), MONDAY)
        await bot.register("Trần Thị Bình")
        bot.clock.set(local(MONDAY, 8, 30))
        await bot.run_until_idle()
        assert await bot.confirm_all("Trần Thị Bình") > 0
        assert open_sessions() - before  # the answers' own connections are open while the bot runs
    assert not open_sessions() - before


async def test_a_press_of_an_unusual_shape_takes_the_general_path_to_the_same_result(db_url: str) -> None:
    """Presses are read straight from their JSON; one the press path does not take (here a
    part it does not know) goes through python-telegram-bot's Update and handlers, and ends the
    same: stored once, the message stamped; the same update again changes nothing."""
    name = "Trần Thị Bình"
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.import_roster()
        campaign = await bot.create_campaign(await bot.import_document(), MONDAY)
        user = await bot.register(name)
        def unconfirmed(chat: list[Any]) -> list[Any]:
            return [m for m in chat if any(b["text"] == "✅ Đã đọc" for b in m.buttons)]

        bot.clock.set(local(MONDAY, 8, 30))
        await bot.run_until_idle()
        (first, *_) = unconfirmed(await bot.bot_messages(name))
        texts = {first.message_id: first.text}  # the sandbox's messages change in place when edited
        # the usual shape, as the sandbox sends it: the press path
        data = next(b["callback_data"] for b in first.buttons if b["text"] == "✅ Đã đọc")
        await bot.sandbox.wait_for_answer((await bot.sandbox.press_button(user.id, first.message_id, data)).id)
        read_on = next(b["callback_data"] for b in first.buttons if b["text"] == "Đọc tiếp ▶")
        await bot.sandbox.wait_for_answer((await bot.sandbox.press_button(user.id, first.message_id, read_on)).id)
        await _settle(bot)
        (second,) = [m for m in unconfirmed(await bot.bot_messages(name)) if m.message_id != first.message_id]
        texts[second.message_id] = second.text

        # the same press with a part the press path does not know
        telegram = bot.runtime.telegram
        assert telegram is not None
        data = next(b["callback_data"] for b in second.buttons if b["text"] == "✅ Đã đọc")
        update = {"update_id": 990_001, "callback_query": {
            "id": "990001", "chat_instance": "1", "data": data, "game_short_name": None,
            "from": {"id": user.id, "is_bot": False, "first_name": "Bình"},
            "message": {"message_id": second.message_id, "date": 1_790_000_000, "text": second.text,
                        "chat": {"id": user.id, "type": "private"}},
        }}
        from bot.channels.telegram import parse_press
        assert parse_press(update) is None
        for _ in range(2):
            assert telegram.accept(update)
            await telegram.settled()

        async with bot.sessions() as session:
            acks = (await session.scalars(select(Ack.item).where(Ack.campaign_id == campaign).order_by(Ack.item))).all()
        chat = {m.message_id: m for m in await bot.bot_messages(name)}
        assert len(acks) == 2
        for message in (first, second):
            stamped = chat[message.message_id]
            original = texts[message.message_id]
            assert stamped.text.startswith(original) and "✅ Đã xác nhận lúc" in stamped.text[len(original):]
            assert not any(b["text"] == "✅ Đã đọc" for b in stamped.buttons)
