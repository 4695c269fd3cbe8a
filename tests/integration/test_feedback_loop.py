"""The góp ý loop end to end (Luật 10/2022 Art. 9.2, 48.4, 53–55): comments named and
anonymous, the daily limit, listing and answering by the inspector and the union,
the consultation deadline, the published synthesis, and document requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import docx
from sqlalchemy import select

from bot.db.models import AuditEvent, Campaign, Delivery, Feedback, InfoRequest, Section
from bot.domain.enums import CampaignKind, FeedbackStatus
from tests.cli_helpers import congkhai
from tests.integration.harness import ROSTER, Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
INSPECTOR = "Đỗ Thị Giang"
ADMIN = "Vũ Văn Hải"
STAFF_ROSTER = ROSTER + [
    [INSPECTOR, "Văn phòng", "Trưởng ban Thanh tra nhân dân", "0912000006", "thanh tra nhân dân"],
    [ADMIN, "Văn phòng", "Văn thư", "0912000007", "quản trị"],
]


async def _say(bot: Harness, name: str, text: str) -> Any:
    """Send a text and return the bot's answer."""
    count = len(await bot.bot_messages(name))
    await bot.sandbox.send_text(bot.users[name].id, text)
    return (await bot.wait_bot_messages(name, count + 1))[-1]


async def _press(bot: Harness, name: str, message: Any, data: str, *, check: bool = True) -> Any:
    """Press a button that answers with one message, and return that message."""
    count = len(await bot.bot_messages(name))
    await bot.sandbox.press_button(bot.users[name].id, message.message_id, data, check=check)
    return (await bot.wait_bot_messages(name, count + 1))[-1]


async def _page_with(bot: Harness, name: str, listing: Any, data: str) -> Any:
    """Turn the pages of a comment list until the one with the button ``data``."""
    while data not in [b["callback_data"] for b in listing.buttons]:
        listing = await _press(bot, name, listing, _button(listing, "Trang sau"))
    return listing


def _button(message: Any, contains: str) -> str:
    return next(b["callback_data"] for b in message.buttons if contains in b["text"] or b["callback_data"] == contains)


async def _comment(bot: Harness, name: str, text: str, *, anonymous: bool = False) -> str:
    """/gopy, (🕶 Gửi ẩn danh), the comment: the bot's last answer."""
    ask = await _say(bot, name, "/gopy")
    assert "Góp ý" in ask.text, ask.text
    if anonymous:
        ask = await _press(bot, name, ask, _button(ask, "ẩn danh"))
    return str((await _say(bot, name, text)).text)


async def _cli(db_url: str, *args: str) -> Any:
    """The clerk's command line, off the event loop (it runs its own)."""
    return await asyncio.to_thread(congkhai, db_url, *args)


async def _catch_up_with_real_clock(bot: Harness) -> None:
    """The command line stamps real time: let the fake clock be past it before sending."""
    bot.clock.set(max(bot.clock.now(), dt.datetime.now(dt.timezone.utc)) + dt.timedelta(minutes=1))


async def test_comment_answer_deadline_and_published_summary(db_url: str, tmp_path: Path) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.import_roster(STAFF_ROSTER)
        doc = await bot.import_document()
        campaign_id = await bot.create_campaign(doc, MONDAY, kind=CampaignKind.CONSULTATION, days=10)
        names = ["Trần Thị Bình", "Phạm Thị Dung", "Lê Văn Cường", INSPECTOR, "Nguyễn Văn An", ADMIN]
        for name in names:
            await bot.register(name)
        bot.clock.set(local(MONDAY, 8, 30))
        await bot.send_all()
        binh, dung = "Trần Thị Bình", "Phạm Thị Dung"

        # A named comment on the first section, from the section's own button.
        first = next(m for m in await bot.bot_messages(binh) if any(b["text"] == "💬 Góp ý" for b in m.buttons))
        await _press(bot, binh, first, _button(first, "💬 Góp ý"))
        thanks = await _say(bot, binh, "Đề nghị nêu rõ thời hạn trả lời góp ý.")
        assert "Cảm ơn" in thanks.text and "ẩn danh" not in thanks.text

        # An anonymous comment on the whole document.
        assert "ẩn danh" in await _comment(bot, dung, "Không nên bắt buộc họp ngoài giờ.", anonymous=True)

        dung_id = await bot.staff_id(dung)
        async with bot.sessions() as session:
            named, anonymous = (await session.scalars(select(Feedback).order_by(Feedback.anonymous))).all()
            audit = (await session.scalars(select(AuditEvent))).all()
        assert named.staff_id == await bot.staff_id(binh) and named.section_id is not None
        assert anonymous.staff_id is None and anonymous.anonymous and anonymous.section_id is None
        assert anonymous.created_at.time() == dt.time(0, 0)
        assert not [e for e in audit if e.target_type == "feedback" and e.target_id == anonymous.id]
        assert not [e for e in audit if e.action.startswith("feedback") and e.actor == f"staff:{dung_id}"]

        # Ten comments a day, named and anonymous together; the eleventh is refused politely.
        for i in range(4):
            assert "ẩn danh" in await _comment(bot, dung, f"Góp ý ẩn danh số {i + 2}.", anonymous=True)
        for i in range(5):
            assert "Cảm ơn" in await _comment(bot, dung, f"Góp ý có tên số {i + 1}.")
        refused = await _comment(bot, dung, "Góp ý thứ mười một.")
        assert "tối đa" in refused
        assert "tối đa" in await _comment(bot, dung, "Góp ý ẩn danh thứ mười một.", anonymous=True)
        async with bot.sessions() as session:
            rows = (await session.scalars(select(Feedback))).all()
        assert len(rows) == 11
        assert sum(1 for r in rows if r.staff_id == dung_id) == 5
        assert not any("mười một" in r.text for r in rows)

        # A stranger cannot comment.
        stranger = await bot.sandbox.create_user(first_name="Lạ")
        await bot.sandbox.send_text(stranger.id, "/gopy")
        await bot.sandbox.send_text(stranger.id, "Góp ý của người lạ")
        for reply in await bot.sandbox.wait_for_messages(stranger.id, 2):
            assert "chưa được liên kết" in reply.text
        async with bot.sessions() as session:
            assert len((await session.scalars(select(Feedback))).all()) == 11

        # A plain member cannot list or answer: /gopy starts a comment, the buttons refuse.
        ask = await _say(bot, binh, "/gopy")
        assert "Góp ý về" in ask.text and "#" not in ask.text
        denied = await _press(bot, binh, ask, f"fbl:{campaign_id}:1:-1:0", check=False)
        assert "chỉ dành cho" in denied.text
        denied = await _press(bot, binh, ask, f"fbt:{named.id}", check=False)
        assert "Chỉ lãnh đạo, công đoàn" in denied.text
        await _press(bot, binh, ask, "cancel", check=False)

        # The inspector lists the new comments and accepts the named one with a text.
        listing = await _say(bot, INSPECTOR, "/gopy mới")
        assert "Chưa trả lời · 11 góp ý" in listing.text, listing.text
        listing = await _page_with(bot, INSPECTOR, listing, f"fbv:{named.id}")  # numbers are random: look for it
        assert binh in listing.text
        assert "Viết góp ý của tôi" in " ".join(b["text"] for b in listing.buttons)
        view = await _press(bot, INSPECTOR, listing, f"fbv:{named.id}")
        assert "Đề nghị nêu rõ thời hạn" in view.text
        ask = await _press(bot, INSPECTOR, view, _button(view, "Tiếp thu"))
        assert "Tiếp thu" in ask.text
        done = await _say(bot, INSPECTOR, "Sẽ bổ sung: trả lời trong 10 ngày làm việc.")
        assert "Đã ghi nhận trả lời" in done.text

        # The union officer explains the anonymous one.
        listing = await _say(bot, "Lê Văn Cường", "/gopy")
        listing = await _page_with(bot, "Lê Văn Cường", listing, f"fbv:{anonymous.id}")
        assert "Ẩn danh" in listing.text
        view = await _press(bot, "Lê Văn Cường", listing, f"fbv:{anonymous.id}")
        assert "Ẩn danh" in view.text and dung not in view.text
        await _press(bot, "Lê Văn Cường", view, _button(view, "Giải trình"))
        done = await _say(bot, "Lê Văn Cường", "Họp ngoài giờ chỉ khi có việc đột xuất, có bù giờ.")
        assert "ẩn danh" in done.text

        dung_before = len(await bot.bot_messages(dung))
        await bot.send_all()
        notice = (await bot.bot_messages(binh))[-1]
        assert "Trả lời góp ý của bạn" in notice.text
        assert "Đề nghị nêu rõ thời hạn" in notice.text and "trả lời trong 10 ngày làm việc" in notice.text
        assert "Tiếp thu" in notice.text
        assert len(await bot.bot_messages(dung)) == dung_before  # nobody knows whom to tell

        async with bot.sessions() as session:
            named = await session.get(Feedback, named.id)
            anonymous = await session.get(Feedback, anonymous.id)
            answers = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "feedback.answer"))).all()
        assert named.status is FeedbackStatus.ACCEPTED and named.answered_by_id == await bot.staff_id(INSPECTOR)
        assert named.answered_at is not None
        assert anonymous.status is FeedbackStatus.EXPLAINED
        assert anonymous.answered_by_id == await bot.staff_id("Lê Văn Cường")
        assert {e.target_id for e in answers} == {named.id, anonymous.id}

        # The consultation's deadline: a comment begun before it is refused after it.
        async with bot.sessions() as session:
            campaign = await session.get(Campaign, campaign_id)
            ends_at = campaign.ends_at
        bot.clock.set(ends_at - dt.timedelta(minutes=5))
        await _say(bot, binh, "/gopy")
        bot.clock.set(ends_at + dt.timedelta(minutes=1))
        await bot.run_until_idle()
        late = await _say(bot, binh, "Một góp ý muộn.")
        assert "hết hạn nhận góp ý" in late.text
        async with bot.sessions() as session:
            assert len((await session.scalars(select(Feedback))).all()) == 11

        # The synthesis: a .docx with the sections, comments and answers; published to every member once.
        out = tmp_path / "tong-hop-gop-y.docx"
        result = await _cli(db_url, "feedback", "summary", str(campaign_id), "-o", str(out), "--publish")
        assert result.exit_code == 0, result.output
        text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
        async with bot.sessions() as session:
            heading = await session.scalar(select(Section.heading).where(Section.id == named.section_id))
        assert heading in text and "Góp ý chung về toàn văn bản" in text
        assert "Đề nghị nêu rõ thời hạn trả lời góp ý." in text and binh in text
        assert "Sẽ bổ sung: trả lời trong 10 ngày làm việc." in text and "Tiếp thu" in text
        assert "Không nên bắt buộc họp ngoài giờ." in text and "Ẩn danh" in text and "Giải trình" in text
        assert "Chưa trả lời" in text  # the other comments, still open
        paragraphs = [p.text for p in docx.Document(str(out)).paragraphs]
        anonymous_line = next(p for p in paragraphs if "Không nên bắt buộc họp ngoài giờ." in p)
        assert "Ẩn danh" in anonymous_line and dung not in anonymous_line
        await _catch_up_with_real_clock(bot)
        await bot.send_all()
        for name in names:
            summaries = [m for m in await bot.bot_messages(name) if "Kết quả tổng hợp" in m.text]
            assert len(summaries) == 1, name
            assert "Họp ngoài giờ chỉ khi có việc đột xuất" in summaries[0].text
        async with bot.sessions() as session:
            published = {r.id: r.published_at for r in (await session.scalars(select(Feedback))).all()}
        assert published[named.id] is not None and published[anonymous.id] is not None
        assert sum(1 for v in published.values() if v is None) == 9

        again_result = await _cli(db_url, "feedback", "summary", str(campaign_id), "--publish")
        assert again_result.exit_code == 0 and "không gửi lại" in again_result.output
        await bot.send_all()
        for name in names:
            assert len([m for m in await bot.bot_messages(name) if "Kết quả tổng hợp" in m.text]) == 1

        listed = await _cli(db_url, "feedback", "list", str(campaign_id), "--json")
        rows = json.loads(listed.output)
        assert len(rows) == 11
        assert all(r["author"] is None for r in rows if r["anonymous"])


async def test_info_request_reaches_admin_and_answer_reaches_requester(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await bot.import_roster(STAFF_ROSTER)
        for name in ("Trần Thị Bình", ADMIN, "Phạm Thị Dung"):
            await bot.register(name)
        thanks = await _say(bot, "Trần Thị Bình", "/yeucau Xin bản Quy chế chi tiêu nội bộ năm 2025")
        assert "Đã ghi nhận yêu cầu #1" in thanks.text
        # without text: the next message is the request
        ask = await _say(bot, "Phạm Thị Dung", "/yeucau")
        assert "Yêu cầu cung cấp thông tin" in ask.text
        assert "Đã ghi nhận yêu cầu #2" in (await _say(bot, "Phạm Thị Dung", "Xin kế hoạch công tác năm 2025")).text
        await bot.send_all()
        notices = [m for m in await bot.bot_messages(ADMIN) if "Yêu cầu cung cấp thông tin" in m.text]
        assert len(notices) == 2
        assert "Trần Thị Bình" in notices[0].text and "Quy chế chi tiêu nội bộ" in notices[0].text
        # a plain member cannot answer
        denied = await _press(bot, "Phạm Thị Dung", ask, "rq:1", check=False)
        assert "chỉ dành cho quản trị" in denied.text

        result = await _cli(bot.runtime.settings.database_url, "request", "answer", "1",
                            "Văn bản đã gửi vào hộp thư công vụ của chị.")
        assert result.exit_code == 0, result.output
        assert "lúc" in result.output
        await _catch_up_with_real_clock(bot)
        await bot.send_all()
        answer = (await bot.bot_messages("Trần Thị Bình"))[-1]
        assert "Trả lời yêu cầu" in answer.text and "hộp thư công vụ" in answer.text
        async with bot.sessions() as session:
            first = await session.get(InfoRequest, 1)
            assert first.answered_at is not None and first.answer
            assert (await session.get(InfoRequest, 2)).answered_at is None

        # the admin answers the second one in chat
        notice = notices[1]
        ask = await _press(bot, ADMIN, notice, _button(notice, "Trả lời"))
        assert "#2" in ask.text
        assert "Đã ghi nhận" in (await _say(bot, ADMIN, "Kế hoạch đã đăng trên trang nội bộ.")).text
        await bot.send_all()
        assert "trang nội bộ" in (await bot.bot_messages("Phạm Thị Dung"))[-1].text

        listed = await _cli(bot.runtime.settings.database_url, "request", "list", "--json")
        rows = json.loads(listed.output)
        assert [r["answered_at"] is not None for r in rows] == [True, True]
        again = await _cli(bot.runtime.settings.database_url, "request", "answer", "1", "Lần nữa")
        assert again.exit_code != 0
        async with bot.sessions() as session:
            assert len((await session.scalars(select(Delivery).where(Delivery.source == "info-request:1"))).all()) == 2
