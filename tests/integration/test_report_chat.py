"""/baocao in chat: the counts, then the chart as a photo and the XLSX and DOCX as documents,
read back from what reached the leader's chat; a member without a leading role gets none."""

from __future__ import annotations

import datetime as dt
import io

import docx
from openpyxl import load_workbook

from tests.integration.harness import local, running_bot

MONDAY = dt.date(2026, 11, 23)
LEADER = "Nguyễn Văn An"
MEMBER = "Trần Thị Bình"


async def test_baocao_sends_the_chart_and_the_report_files_to_a_leader_only(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        campaign_id = await bot.open_campaign(MONDAY)
        await bot.register(LEADER)
        await bot.register(MEMBER)
        bot.clock.set(local(MONDAY, 11))
        await bot.run_until_idle()
        assert await bot.confirm_all(MEMBER) > 0

        before = len(await bot.bot_messages(MEMBER))
        await bot.sandbox.send_text(bot.users[MEMBER].id, "/baocao")
        refused = (await bot.wait_bot_messages(MEMBER, before + 1))[before:]
        assert [m.kind for m in refused] == ["text"]

        before = len(await bot.bot_messages(LEADER))
        await bot.sandbox.send_text(bot.users[LEADER].id, "/baocao")
        chat = (await bot.wait_bot_messages(LEADER, before + 4, timeout=30))[before:]
        assert [m.kind for m in chat] == ["text", "photo", "document", "document"]
        assert f"Đợt #{campaign_id}" in chat[0].text
        photo = chat[1]
        assert photo.file.data[:8] == b"\x89PNG\r\n\x1a\n" and photo.file.width == 1000
        assert f"📊 Đợt #{campaign_id}" in photo.caption and "người đã xác nhận đủ các mục" in photo.caption
        xlsx, report = chat[2].file, chat[3].file
        assert xlsx.file_name == f"bao-cao-dot-{campaign_id}.xlsx"
        members = {row[1]: row for row in load_workbook(io.BytesIO(xlsx.data))["Cán bộ"].iter_rows(values_only=True)}
        assert members[MEMBER][6] > 0  # sections confirmed
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(report.data)).paragraphs)
        assert "BÁO CÁO" in text and "BIÊN BẢN" in text
