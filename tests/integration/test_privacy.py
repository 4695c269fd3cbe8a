"""A person's rights over their data: ``congkhai staff export`` gives them what is stored
about them; ``congkhai staff forget`` erases it on request while every count in the reports
stays as it was and the audit chain stays whole."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.db.models import AuditEvent, ChannelIdentity, Feedback, Staff
from bot.domain.enums import Channel
from bot.services import feedback, report_data
from tests.cli_helpers import congkhai
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
BINH, DUNG = "Trần Thị Bình", "Phạm Thị Dung"
BINH_PHONE = "+84912000002"


async def _counts(bot: Harness, campaign: int) -> tuple[object, ...]:
    async with bot.sessions() as session:
        report = await report_data.for_campaign(session, campaign, bot.clock.now(), "Cơ quan", "Asia/Ho_Chi_Minh")
    item = report.campaigns[0]
    total = item.counts.total
    rows = tuple((r.department, r.members, r.sent, r.all_confirmed, r.attested) for r in item.counts.rows)
    return total.members, total.sent, total.all_confirmed, total.attested, len(item.summary.items), rows


async def test_export_then_forget_keeps_the_counts_and_the_chain(db_url: str, tmp_path: Path) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        campaign = await bot.open_campaign(MONDAY)
        for name in (BINH, DUNG):
            await bot.register(name)
        bot.clock.set(local(MONDAY, 11))
        await bot.run_until_idle()
        assert await bot.confirm_all(BINH) > 0
        binh, dung = await bot.staff_id(BINH), await bot.staff_id(DUNG)
        async with bot.sessions() as session, session.begin():
            now = bot.clock.now()
            await feedback.submit(session, staff_id=binh, campaign_id=campaign, ordinal=1, text="Góp ý có tên của Bình.",
                                  anonymous=False, via=Channel.TELEGRAM, now=now)
            await feedback.submit(session, staff_id=binh, campaign_id=campaign, ordinal=None,
                                  text="Góp ý ẩn danh của Bình.", anonymous=True, via=Channel.TELEGRAM, now=now)
        before = await _counts(bot, campaign)
        telegram_id = str(bot.users[BINH].id)

        out = tmp_path / "du-lieu.json"
        result = await asyncio.to_thread(congkhai, db_url, "staff", "export", str(binh), "-o", str(out))
        assert result.exit_code == 0 and str(out) in result.output, result.output
        data = json.loads(out.read_text(encoding="utf-8"))
        assert data["ho_va_ten"] == BINH and data["so_dien_thoai"] == BINH_PHONE
        assert [i["ma_tai_khoan"] for i in data["tai_khoan_nhan_tin"]] == [telegram_id]
        assert len(data["xac_nhan_doc"]) > 0 and data["dot_cong_khai"][0]["ma_dot"] == campaign
        assert [c["noi_dung"] for c in data["gop_y_co_ten"]] == ["Góp ý có tên của Bình."]
        assert "ẩn danh của Bình" not in out.read_text(encoding="utf-8")  # nothing links it to her
        assert any(e["viec"] == "identity.link" for e in data["nhat_ky"]) and "ghi_chu" in data
        printed = await asyncio.to_thread(congkhai, db_url, "staff", "export", str(dung))
        assert json.loads(printed.output)["ho_va_ten"] == DUNG

        refused = await asyncio.to_thread(
            CliRunner().invoke, main, ["--database-url", db_url, "staff", "forget", str(binh)], input="n\n"
        )
        assert refused.exit_code == 1 and BINH in refused.output  # asked, and answered no
        result = await asyncio.to_thread(congkhai, db_url, "staff", "forget", str(binh), "--yes")
        assert result.exit_code == 0 and f'"#{binh}"' in result.output, result.output
        again = await asyncio.to_thread(congkhai, db_url, "staff", "forget", str(binh), "--yes")
        assert again.exit_code == 0 and "đã được xoá trước đó" in again.output
        missing = await asyncio.to_thread(congkhai, db_url, "staff", "forget", "9999", "--yes")
        assert missing.exit_code == 1 and "9999" in missing.output

        assert await _counts(bot, campaign) == before  # members, sent, confirmed, comments, by department
        async with bot.sessions() as session:
            person = await session.get(Staff, binh)
            identities = (await session.scalars(select(ChannelIdentity).where(ChannelIdentity.staff_id == binh))).all()
            named = await session.scalar(select(Feedback).where(Feedback.staff_id == binh))
            forgot = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.forget"))).all()
        assert person is not None and person.full_name == f"#{binh}" and person.phone is None
        assert person.invite_code_hash is None and person.forgotten_at is not None and not person.active
        assert identities == [] and named is not None and named.text == "Góp ý có tên của Bình."
        assert [(e.actor, e.target_id) for e in forgot] == [("cli", binh)]
        verified = await asyncio.to_thread(congkhai, db_url, "audit", "verify")
        assert verified.exit_code == 0, verified.output

        # she writes to the bot again: a stranger now
        count = len(await bot.bot_messages(BINH))
        await bot.sandbox.send_text(bot.users[BINH].id, "/tiendo")
        reply = (await bot.wait_bot_messages(BINH, count + 1))[-1]
        assert "chưa được liên kết" in reply.text, reply.text
        exported = json.loads((await asyncio.to_thread(congkhai, db_url, "staff", "export", str(binh))).output)
        assert exported["ho_va_ten"] == f"#{binh}" and exported["tai_khoan_nhan_tin"] == []

    if db_url.startswith("sqlite"):  # and the database files no longer hold her name, phone or account
        path = Path(make_url(db_url).database or "")
        stored = b"".join(Path(f"{path}{s}").read_bytes() for s in ("", "-wal") if Path(f"{path}{s}").exists())
        for trace in (BINH.encode(), BINH_PHONE.encode(), telegram_id.encode()):
            assert trace not in stored, trace
