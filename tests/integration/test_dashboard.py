"""The dashboard over real HTTP: sign-in by a one-time link from chat (works once,
expires, refused to the staff role), the HttpOnly SameSite session cookie, the CSRF
token on forms, the member filter, answering a comment into the góp ý loop, and
signing out. The browser version of these paths is in tests/e2e."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import logging
import re

import aiohttp
import pytest
import docx
import openpyxl
from sqlalchemy import func, select
from yarl import URL

from bot.db.models import Department, Feedback, Staff, WebLink, WebSession
from bot.domain.enums import FeedbackStatus
from bot.services import announcements, web_signin
from tests.integration.harness import Harness, local, running_bot
from tests.web_helpers import ask_for_link, link_token, serving

MONDAY = dt.date(2026, 11, 23)
LEADER, BINH, DUNG = "Nguyễn Văn An", "Trần Thị Bình", "Phạm Thị Dung"
# a person's text with markup, an ampersand, stars and a spreadsheet formula: shown literally everywhere
HOSTILE = "=cmd|' /C calc'!A0 Đề nghị ghi rõ thời hạn <b>trả lời</b> & *gấp*"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match is not None, html
    return match.group(1)


async def _sign_in(http: aiohttp.ClientSession, base: str, token: str) -> aiohttp.ClientResponse:
    async with http.get(f"{base}/dashboard/login", params={"t": token}) as page:
        assert page.status == 200
        assert 'id="sign-in"' in await page.text()
    return await http.post(f"{base}/dashboard/login", data={"t": token}, allow_redirects=False)


async def _comment(bot: Harness, name: str, text: str) -> None:
    count = len(await bot.bot_messages(name))
    await bot.sandbox.send_text(bot.users[name].id, "/gopy")
    await bot.wait_bot_messages(name, count + 1)
    await bot.sandbox.send_text(bot.users[name].id, text)
    await bot.wait_bot_messages(name, count + 2)


async def test_one_time_link_session_cookie_and_refusals(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    async with running_bot(db_url, local(MONDAY, 7)) as bot, serving(bot) as base:
        await bot.open_campaign(MONDAY)
        for name in (LEADER, BINH):
            await bot.register(name)

        # A member of staff is refused in chat, and no link is stored for them.
        assert "chỉ dành cho lãnh đạo" in await ask_for_link(bot, BINH)
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(WebLink.id))) == 0

        answer = await ask_for_link(bot, LEADER)
        assert "một lần" in answer and "10 phút" in answer
        token = link_token(answer)
        async with aiohttp.ClientSession() as http:  # a form on another site cannot use it
            forged = await http.post(f"{base}/dashboard/login", data={"t": token},
                                     headers={"Origin": "http://example.com"}, allow_redirects=False)
            assert forged.status == 403
        async with bot.sessions() as session:  # only the hash is stored
            stored = (await session.scalars(select(WebLink))).one()
            assert token not in stored.token_hash and len(stored.token_hash) == 64

        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.get(f"{base}/dashboard") as page:
                assert page.status == 401
            response = await _sign_in(http, base, token)
            assert response.status == 303 and response.headers["Location"] == "/dashboard"
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
            async with http.get(f"{base}/dashboard") as page:
                html = await page.text()
                assert page.status == 200 and "Các đợt công khai" in html and LEADER in html

            # The same link a second time: refused.
            async with aiohttp.ClientSession() as other:
                again = await other.post(f"{base}/dashboard/login", data={"t": token}, allow_redirects=False)
                assert again.status == 403 and 'data-reason="used"' in await again.text()

            # Sign out: the cookie goes and the session stops working server-side too.
            async with http.get(f"{base}/dashboard") as page:
                csrf = _csrf(await page.text())
            async with http.post(f"{base}/dashboard/logout", data={"csrf": "0" * 64}) as refused:
                assert refused.status == 403
            session_cookie = jar.filter_cookies(URL(f"{base}/dashboard"))["congkhai_session"].value
            async with http.post(f"{base}/dashboard/logout", data={"csrf": csrf}) as out:
                assert out.status == 200 and "Đã đăng xuất" in await out.text()
            async with http.get(f"{base}/dashboard") as page:
                assert page.status == 401
        async with aiohttp.ClientSession(cookies={"congkhai_session": session_cookie}) as replay:
            async with replay.get(f"{base}/dashboard") as page:
                assert page.status == 401

        # A link left for longer than its minutes: refused.
        late = link_token(await ask_for_link(bot, LEADER))
        bot.clock.advance(dt.timedelta(minutes=11))
        async with aiohttp.ClientSession() as http:
            expired = await _sign_in(http, base, late)
            assert expired.status == 403 and 'data-reason="expired"' in await expired.text()

        # A leader who lost the role: the link they had no longer opens anything.
        fresh = link_token(await ask_for_link(bot, LEADER))
        async with bot.sessions() as session, session.begin():
            leader = await session.scalar(select(Staff).where(Staff.full_name == LEADER))
            assert leader is not None
            leader.roles = "staff"
        async with aiohttp.ClientSession() as http:
            denied = await _sign_in(http, base, fresh)
            assert denied.status == 403 and 'data-reason="denied"' in await denied.text()
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(WebSession.id))) == 1  # the first sign-in only
            assert await session.scalar(select(func.count(WebLink.id))) == 3

        # A day later, the old links and sessions are gone when the next link is issued.
        bot.clock.advance(web_signin.SESSION_TTL + dt.timedelta(days=1, minutes=1))
        async with bot.sessions() as session, session.begin():
            leader = await session.scalar(select(Staff).where(Staff.full_name == LEADER))
            assert leader is not None
            leader.roles = "leader,staff"
            await web_signin.open_session(session, leader, bot.clock.now())
        assert "một lần" in await ask_for_link(bot, LEADER)
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(WebLink.id))) == 1
            assert await session.scalar(select(func.count(WebSession.id))) == 1
        logged = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
        assert any("/dashboard/login" in line for line in logged), logged
        assert not any(token in line or fresh in line for line in logged)  # the link's token is never logged


async def test_members_filter_and_answering_a_comment(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot, serving(bot) as base:
        campaign_id = await bot.open_campaign(MONDAY)
        for name in (LEADER, BINH, DUNG):
            await bot.register(name)
        bot.clock.set(local(MONDAY, 8, 30))
        await bot.send_all()
        assert await bot.confirm_all(BINH) >= 1
        await _comment(bot, DUNG, HOSTILE)
        count = len(await bot.bot_messages(LEADER))
        await bot.sandbox.send_text(bot.users[LEADER].id, "/gopy")  # in chat: as typed, no markup of it
        chat = (await bot.wait_bot_messages(LEADER, count + 1))[-1]
        assert HOSTILE in chat.text, chat.text
        assert all(entity["type"] in ("bold", "italic") for entity in chat.entities)
        assert not any(chat.text[e["offset"]:e["offset"] + e["length"]] in ("gấp", "trả lời") for e in chat.entities)

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            assert (await _sign_in(http, base, link_token(await ask_for_link(bot, LEADER)))).status == 303
            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}") as page:
                html = await page.text()
                assert page.status == 200 and 'id="sections"' in html and "Văn phòng" in html

            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/members") as page:
                html = await page.text()
                assert "5 cán bộ" in html
            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/members", params={"status": "unlinked"}) as page:
                html = await page.text()
                assert "2 cán bộ" in html and "Lê Văn Cường" in html and "Hoàng Văn Em" in html and BINH not in html
            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/members", params={"status": "reading"}) as page:
                html = await page.text()
                assert "1 cán bộ" in html and BINH in html
            async with bot.sessions() as session:
                planning = await session.scalar(select(Department.id).where(Department.name == "Phòng Kế hoạch"))
            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/members",
                                params={"department": str(planning)}) as page:
                html = await page.text()
                assert "2 cán bộ" in html and DUNG in html and "Hoàng Văn Em" in html and BINH not in html
            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/members",
                                params={"department": str(planning), "status": "unlinked"}) as page:
                html = await page.text()
                assert "1 cán bộ" in html and "Hoàng Văn Em" in html and DUNG not in html

            # An announcement that asks for "Đã nhận", and its counts.
            async with bot.sessions() as session, session.begin():
                author = await session.scalar(select(Staff.id).where(Staff.full_name == LEADER))
                draft = await announcements.create_draft(
                    session, author_id=author, text="Họp toàn cơ quan lúc 14 giờ thứ Sáu.", now=bot.clock.now(),
                    require_ack=True,
                )
                await announcements.send(session, draft, bot.clock.now())
            await bot.run_until_idle()
            async with http.get(f"{base}/dashboard/announcements") as page:
                html = await page.text()
                row = re.search(r"Họp toàn cơ quan lúc 14 giờ thứ Sáu\..*?</tr>", html, re.DOTALL)
                assert row is not None, html
                numbers = re.findall(r'<td class="num">(\d+)</td>', row.group(0))
                assert numbers == ["3", "3", "0", "0"], numbers  # to the 3 linked people, sent, none failed, none yet

            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/comments") as page:
                html = await page.text()
                # a person's text is shown as text, never as markup
                assert "&lt;b&gt;trả lời&lt;/b&gt; &amp; *gấp*" in html and "<b>trả lời</b>" not in html
                assert "=cmd|&#39; /C calc&#39;!A0" in html
                csrf = _csrf(html)
            async with bot.sessions() as session:
                feedback_id = await session.scalar(select(Feedback.id))
            url = f"{base}/dashboard/comments/{feedback_id}/answer"
            body = {"decision": "accepted", "answer": "Xin tiếp thu, sẽ bổ sung vào Điều 5."}
            async with http.post(url, data={**body, "csrf": "f" * 64}) as forged:
                assert forged.status == 403
            async with http.post(url, data={**body, "csrf": csrf}, allow_redirects=False) as done:
                assert done.status == 303
            async with http.post(url, data={**body, "csrf": csrf}) as twice:
                html = await twice.text()
                assert "đã được trả lời trước đó" in html and "1</b> góp ý đã trả lời nhưng chưa công bố" in html

            # The synthesis: a document to download, and published to every member in chat.
            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/comments/summary") as download:
                synthesis = docx.Document(io.BytesIO(await download.read()))
                assert any("Xin tiếp thu, sẽ bổ sung vào Điều 5." in p.text for p in synthesis.paragraphs)
                assert any(HOSTILE in p.text for p in synthesis.paragraphs)
            publish = f"{base}/dashboard/campaigns/{campaign_id}/comments/publish"
            async with http.post(publish, data={"csrf": "0" * 64}) as forged:
                assert forged.status == 403
            async with http.post(publish, data={"csrf": csrf}) as published:
                assert "tới 5 cán bộ" in await published.text()  # every active member of the campaign

            # Every report file, read back.
            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}") as page:
                formats = re.findall(r'data-format="(\w+)"', await page.text())
            assert formats == ["xlsx", "csv", "docx", "png"]
            files = {}
            for fmt in formats:
                async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/files/{fmt}") as download:
                    assert download.status == 200, fmt
                    assert "attachment" in download.headers["Content-Disposition"]
                    files[fmt] = await download.read()
            book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
            cells = {str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c}
            assert BINH in cells and HOSTILE in cells
            book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))  # the comment stays text, never a formula
            (cell,) = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value == HOSTILE]
            assert cell.data_type == "s" and cell.quotePrefix
            assert files["csv"].startswith(codecs.BOM_UTF8) and BINH in files["csv"].decode("utf-8-sig")
            document = docx.Document(io.BytesIO(files["docx"]))
            text = "\n".join([p.text for p in document.paragraphs] + [
                cell.text for table in document.tables for row in table.rows for cell in row.cells])
            assert "BÁO CÁO" in text and "BIÊN BẢN" in text
            assert files["png"].startswith(b"\x89PNG")
            async with http.get(f"{base}/dashboard/campaigns/{campaign_id}/files/exe") as download:
                assert download.status == 404
        async with aiohttp.ClientSession() as stranger:  # no session, no file
            async with stranger.get(f"{base}/dashboard/campaigns/{campaign_id}/files/xlsx") as download:
                assert download.status == 401

        async with bot.sessions() as session:
            row = await session.get(Feedback, feedback_id)
            assert row is not None and row.status is FeedbackStatus.ACCEPTED
        before = len(await bot.bot_messages(DUNG))
        await bot.run_until_idle()
        told = (await bot.bot_messages(DUNG))[before:]
        assert any("Xin tiếp thu, sẽ bổ sung vào Điều 5." in m.text for m in told), [m.text for m in told]
        everyone = [m.text for m in await bot.bot_messages(BINH)]  # the synthesis reached another member too
        assert any("Xin tiếp thu, sẽ bổ sung vào Điều 5." in text for text in everyone), everyone


async def test_dashboard_link_on_zalo(db_url: str) -> None:
    from tests.integration.harness_zalo import running_zalo_bot

    async with running_zalo_bot(db_url, local(MONDAY, 7), telegram=False) as bot, serving(bot) as base:
        await bot.open_campaign(MONDAY)
        for name in (LEADER, BINH):
            await bot.register_zalo(name)
        (refused,) = await bot.say(BINH, "/dashboard")
        assert "chỉ dành cho lãnh đạo" in refused.text
        (answer,) = await bot.say(LEADER, "/dashboard")
        async with aiohttp.ClientSession() as http:
            signed_in = await http.post(f"{base}/dashboard/login", data={"t": link_token(answer.text)},
                                        allow_redirects=False)
            assert signed_in.status == 303 and "congkhai_session" in signed_in.headers["Set-Cookie"]
