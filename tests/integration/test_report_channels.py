"""/baocao shows the channels: who is linked on Telegram, on Zalo (and both), and how many
confirmations came through each (``Ack.via``)."""

from __future__ import annotations

import asyncio
import datetime as dt

from tests.integration.harness import local
from tests.integration.harness_zalo import running_zalo_bot

MONDAY = dt.date(2026, 11, 23)
ON_ZALO = "Trần Thị Bình"  # Văn phòng
ON_TELEGRAM = "Phạm Thị Dung"  # Phòng Kế hoạch
BOTH = "Lê Văn Cường"  # Văn phòng, union: may ask for the report


async def test_report_counts_links_and_confirmations_per_channel(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register_zalo(ON_ZALO)
        await bot.register(ON_TELEGRAM)
        await bot.register_zalo(BOTH)
        await bot.register(BOTH)  # Telegram last: sections go there
        bot.clock.set(local(MONDAY, 11, 30))  # everyone's share of the first day
        await bot.run_until_idle()

        (done,) = await bot.say(ON_ZALO, "đã đọc")
        assert "Đã ghi nhận xác nhận" in done.text
        chat = await bot.bot_messages(ON_TELEGRAM)
        message = next(m for m in chat if any(b["text"] == "✅ Đã đọc" for b in m.buttons))
        action = next(b["callback_data"] for b in message.buttons if b["text"] == "✅ Đã đọc")
        record = await bot.sandbox.press_button(bot.users[ON_TELEGRAM].id, message.message_id, action)
        await bot.sandbox.wait_for_answer(record.id)

        count = len(await bot.bot_messages(BOTH))
        await bot.sandbox.send_text(bot.users[BOTH].id, "/baocao")
        report = (await bot.wait_bot_messages(BOTH, count + 1))[count].text  # the chart and files follow
        await asyncio.sleep(0.1)
        lines = report.splitlines()
        office = lines[lines.index(next(line for line in lines if "Văn phòng:" in line)) + 1]
        planning = lines[lines.index(next(line for line in lines if "Phòng Kế hoạch:" in line)) + 1]
        total = lines[lines.index(next(line for line in lines if "Toàn cơ quan:" in line)) + 1]
        assert "Đã liên kết: Telegram 1 người, Zalo 2 người (cả hai: 1 người)" in office, report
        assert "lượt xác nhận mục qua Telegram: 0, qua Zalo: 1" in office, report
        assert "Đã liên kết: Telegram 1 người, Zalo 0 người (cả hai: 0 người)" in planning, report
        assert "lượt xác nhận mục qua Telegram: 1, qua Zalo: 0" in planning, report
        assert "Đã liên kết: Telegram 2 người, Zalo 2 người (cả hai: 1 người)" in total, report
        assert "lượt xác nhận mục qua Telegram: 1, qua Zalo: 1" in total, report
