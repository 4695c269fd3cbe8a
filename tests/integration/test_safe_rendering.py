"""What people type never breaks a message: a comment full of stars goes through the whole
góp ý loop, and a department named with stars still gets its /baocao, on Telegram and Zalo."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.db.models import Delivery, Feedback
from bot.domain.enums import CampaignKind, DeliveryStatus
from tests.cli_helpers import congkhai
from tests.integration.harness import ROSTER, Harness, local, running_bot
from tests.integration.harness_zalo import running_zalo_bot

MONDAY = dt.date(2026, 11, 23)
COMMENT = "*a **b* c**"
ANSWER = "Đồng ý: sửa **a** và *b*_ <b>c</b> & `d` **e*"
STARRED = "Phòng *A*"
INSPECTOR = "Đỗ Thị Giang"
ROSTER_WITH_STARS = [
    ROSTER[0],
    *[[name, STARRED if department == "Phòng Kế hoạch" else department, *rest] for name, department, *rest in ROSTER[1:]],
    [INSPECTOR, STARRED, "Trưởng ban Thanh tra nhân dân", "0912000006", "thanh tra nhân dân"],
]


async def _say(bot: Harness, name: str, text: str) -> Any:
    count = len(await bot.bot_messages(name))
    await bot.sandbox.send_text(bot.users[name].id, text)
    return (await bot.wait_bot_messages(name, count + 1))[-1]


async def _press(bot: Harness, name: str, message: Any, data: str) -> Any:
    count = len(await bot.bot_messages(name))
    await bot.sandbox.press_button(bot.users[name].id, message.message_id, data)
    return (await bot.wait_bot_messages(name, count + 1))[-1]


def _button(message: Any, contains: str) -> str:
    return next(b["callback_data"] for b in message.buttons if contains in b["text"])


async def test_a_comment_full_of_stars_is_listed_answered_told_and_published(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.import_roster(ROSTER_WITH_STARS)
        campaign_id = await bot.create_campaign(await bot.import_document(), MONDAY, kind=CampaignKind.CONSULTATION)
        names = ["Trần Thị Bình", "Phạm Thị Dung", "Lê Văn Cường", INSPECTOR, "Nguyễn Văn An"]
        for name in names:
            await bot.register(name)
        bot.clock.set(local(MONDAY, 8, 30))
        await bot.send_all()
        binh = "Trần Thị Bình"

        ask = await _say(bot, binh, "/gopy")
        assert "Góp ý về" in ask.text
        thanks = await _say(bot, binh, COMMENT)
        assert "Cảm ơn" in thanks.text
        async with bot.sessions() as session:
            (comment,) = (await session.scalars(select(Feedback))).all()
        assert comment.text == COMMENT

        # The inspector sees it exactly as typed in the list and in the view, and answers it.
        listing = await _say(bot, INSPECTOR, "/gopy mới")
        assert COMMENT in listing.text and binh in listing.text, listing.text
        view = await _press(bot, INSPECTOR, listing, f"fbv:{comment.id}")
        assert COMMENT in view.text
        assert {e["type"] for e in view.entities} <= {"bold", "italic"}
        await _press(bot, INSPECTOR, view, _button(view, "Tiếp thu"))
        done = await _say(bot, INSPECTOR, ANSWER)
        assert "Đã ghi nhận trả lời" in done.text

        # The commenter is told, with both texts as typed.
        await bot.send_all()
        notice = (await bot.bot_messages(binh))[-1]
        assert "Trả lời góp ý của bạn" in notice.text
        assert f"“{COMMENT}”" in notice.text and ANSWER in notice.text, notice.text

        # The synthesis reaches every member; no delivery was refused.
        result = await asyncio.to_thread(congkhai, db_url, "feedback", "summary", str(campaign_id), "--publish")
        assert result.exit_code == 0, result.output
        bot.clock.set(max(bot.clock.now(), dt.datetime.now(dt.UTC)) + dt.timedelta(minutes=1))
        await bot.send_all()
        for name in names:
            summaries = [m for m in await bot.bot_messages(name) if "Kết quả tổng hợp" in m.text]
            assert len(summaries) == 1, name
            assert COMMENT in summaries[0].text and ANSWER in summaries[0].text
        async with bot.sessions() as session:
            failed = (await session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.FAILED))).all()
        assert failed == []


async def test_a_department_named_with_stars_gets_its_report_on_telegram_and_zalo(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY, roster=ROSTER_WITH_STARS)
        await bot.register("Phạm Thị Dung")
        await bot.register("Lê Văn Cường")  # the union officer, on Telegram
        await bot.register_zalo("Nguyễn Văn An")  # the director, on Zalo
        bot.clock.set(local(MONDAY, 11, 30))
        await bot.run_until_idle()

        report = await _say(bot, "Lê Văn Cường", "/baocao")
        assert "📊" in report.text
        assert f"{STARRED}: 3 người, 1 người đã liên kết" in report.text, report.text
        assert {e["type"] for e in report.entities} <= {"bold", "italic"}

        (zalo_report, *_) = await bot.say("Nguyễn Văn An", "báo cáo")
        assert f"{STARRED}: 3 người, 1 người đã liên kết" in zalo_report.text, zalo_report.text
        assert "**" not in zalo_report.text
