"""Each role reaches its own dashboard pages, downloads and leadership buttons, and no more
(bot/services/access.py). Over real HTTP and the sandbox Bot API: a member of staff gets no
page and no file even with a session row put in the database, and presses of leadership
buttons (data no button of theirs shows) show no comment and change nothing; an administrator
may read but not answer; only leadership and the union publish the synthesis. The chat
commands of each role are checked in test_access.py."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.db.models import Announcement, Feedback, Staff, WebSession
from bot.domain.enums import FeedbackStatus
from bot.reports.export import FORMATS
from bot.services import web_signin
from tests.integration.harness import Harness, local, running_bot
from tests.integration.test_access import PEOPLE, ROSTER
from tests.integration.test_forged_buttons import forge
from tests.web_helpers import serving

MONDAY = dt.date(2026, 11, 23)
COMMENT = "Góp ý <b>bí mật</b> & *riêng*"


async def _setup(bot: Harness) -> tuple[int, int]:
    """A consultation with one comment from the member of staff; (campaign id, comment id)."""
    from bot.domain.enums import CampaignKind

    await bot.import_roster(ROSTER)
    campaign = await bot.create_campaign(await bot.import_document(), MONDAY, kind=CampaignKind.CONSULTATION)
    await bot.runtime.tick()
    name = PEOPLE["staff"]
    await bot.register(name)
    await bot.wait_bot_messages(name, 2)  # the welcome and the open campaign
    for text, answer in (("/gopy", "Góp ý về"), (COMMENT, "Cảm ơn")):
        count = len(await bot.bot_messages(name))
        await bot.sandbox.send_text(bot.users[name].id, text)
        assert answer in (await bot.wait_bot_messages(name, count + 1))[-1].text
    async with bot.sessions() as session:
        comment = (await session.scalars(select(Feedback))).one()
    return campaign, comment.id


async def _session_token(bot: Harness, role: str) -> str:
    """A dashboard session for the person of ``role``; for staff, a row forged into the database
    (the service refuses to open one)."""
    async with bot.sessions() as session, session.begin():
        person = await session.scalar(select(Staff).where(Staff.full_name == PEOPLE[role]))
        assert person is not None
        if role != "staff":
            return (await web_signin.open_session(session, person, bot.clock.now())).token
        with pytest.raises(web_signin.SignInRefused):
            await web_signin.open_session(session, person, bot.clock.now())
        token = secrets.token_urlsafe(32)
        session.add(WebSession(token_hash=web_signin._hash(token), staff_id=person.id, created_at=bot.clock.now(),
                               expires_at=bot.clock.now() + web_signin.SESSION_TTL))
        return token


@pytest.mark.parametrize("role", list(PEOPLE))
async def test_dashboard_pages_files_and_forms_by_role(db_url: str, role: str) -> None:
    async with running_bot(db_url, local(MONDAY, 9)) as bot, serving(bot) as base:
        campaign, comment = await _setup(bot)
        token = await _session_token(bot, role)
        pages = ["/dashboard", f"/dashboard/campaigns/{campaign}", f"/dashboard/campaigns/{campaign}/members",
                 f"/dashboard/campaigns/{campaign}/comments", "/dashboard/announcements",
                 f"/dashboard/campaigns/{campaign}/comments/summary",
                 *(f"/dashboard/campaigns/{campaign}/files/{fmt}" for fmt in FORMATS)]
        async with aiohttp.ClientSession(cookies={"congkhai_session": token}) as http, aiohttp.ClientSession() as anon:
            for page in pages:
                async with anon.get(base + page) as response:
                    assert response.status == 401, page  # nobody signed in
                async with http.get(base + page) as response:
                    body = await response.read()
                    if role == "staff":
                        assert response.status == 401, page
                        assert "bí mật".encode() not in body
                    else:
                        assert response.status == 200, (role, page)
            if role == "staff":
                return
            csrf = web_signin.csrf_token(token)
            async with http.post(f"{base}/dashboard/comments/{comment}/answer", allow_redirects=False,
                                 data={"csrf": csrf, "decision": "accepted", "answer": "Tiếp thu."}) as response:
                assert response.status == 303
                where = response.headers["Location"]
            async with bot.sessions() as session:
                item = await session.get(Feedback, comment)
                assert item is not None
            if role == "admin":  # reads, does not answer
                assert "error=denied" in where and item.status is FeedbackStatus.RECEIVED
            else:
                assert "done=" in where and item.status is FeedbackStatus.ACCEPTED
            async with http.post(f"{base}/dashboard/campaigns/{campaign}/comments/publish", allow_redirects=False,
                                 data={"csrf": csrf}) as response:
                assert response.status == (303 if role in ("leader", "union") else 403), role
            async with bot.sessions() as session:
                item = await session.get(Feedback, comment)
                assert item is not None
            assert (item.published_at is not None) == (role in ("leader", "union")), role


LEADERSHIP_BUTTONS = ("fbl:{campaign}:0:-1:0", "fbv:{comment}", "fbt:{comment}", "fbg:{comment}", "rq:1",
                      "annok:1", "annpre:1", "annres:1", "annat:1", "annaud:1:all", "annno:1")


async def test_a_member_pressing_leadership_buttons_sees_nothing_and_changes_nothing(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        campaign, comment = await _setup(bot)
        name = PEOPLE["staff"]
        before = len(await bot.bot_messages(name))
        for data in LEADERSHIP_BUTTONS:
            answer: Any = await forge(bot, name, data.format(campaign=campaign, comment=comment))
            assert answer.answered and "bí mật" not in (answer.answer_text or ""), data
        for message in (await bot.bot_messages(name))[before:]:
            assert "bí mật" not in message.text and "<b>" not in message.text, message.text
        async with bot.sessions() as session:
            item = await session.get(Feedback, comment)
            assert item is not None and item.status is FeedbackStatus.RECEIVED and item.answer is None
            assert (await session.scalars(select(Announcement))).all() == []
