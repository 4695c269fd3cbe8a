"""The dashboard and the try-it page in a real headless Chromium (the system's, through
chromedriver and Selenium): a leader signs in through the one-time link the bot sent,
filters the member table, answers a comment and the commenter is told in chat; a
reused or expired link and a staff-role user are refused; a member of staff chats on
the try-it page and confirms a section.

The bot runs on a fake clock in this process; the browser's blocking calls run in a
thread so that the bot keeps serving meanwhile."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.db.models import Ack, Staff
from bot.services.web_signin import link_url
from bot.web.browser import chromium, find_chromium
from tests.integration.harness import Harness, local, running_bot
from tests.web_helpers import ask_for_link, link_token, serving

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="chromium and chromium-driver are not installed")

MONDAY = dt.date(2026, 11, 23)
LEADER, BINH, DUNG = "Nguyễn Văn An", "Trần Thị Bình", "Phạm Thị Dung"
T = TypeVar("T")


class Page:
    """The browser, one blocking Selenium call at a time, off the event loop."""

    def __init__(self, driver: Any, downloads: Path) -> None:
        self.driver = driver
        self.downloads = downloads

    async def downloaded(self, suffix: str, timeout: float = 20.0) -> Path:
        """The file the browser finished downloading."""
        for _ in range(int(timeout * 10)):
            done = [p for p in self.downloads.iterdir() if p.suffix == suffix]
            if done:
                return done[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {suffix} downloaded: {list(self.downloads.iterdir())}")

    async def do(self, action: Callable[[Any], T]) -> T:
        return await asyncio.to_thread(action, self.driver)

    async def open(self, url: str) -> None:
        await self.do(lambda d: d.get(url))

    async def click(self, css: str) -> None:
        """Click what leads to a new page (a link, a submit button) and wait for that page."""
        await self.do(lambda d: _click_and_wait(d, lambda: d.find_element("css selector", css)))

    async def click_element(self, find: Callable[[Any], Any]) -> None:
        await self.do(lambda d: _click_and_wait(d, lambda: find(d)))

    async def text(self, css: str = "body") -> str:
        return await self.do(lambda d: d.find_element("css selector", css).text)

    async def texts(self, css: str) -> list[str]:
        return await self.do(lambda d: [e.text for e in d.find_elements("css selector", css)])

    async def attribute(self, css: str, name: str) -> str | None:
        return await self.do(lambda d: d.find_element("css selector", css).get_attribute(name))


def _click_and_wait(driver: Any, find: Callable[[], Any]) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    for attempt in range(3):
        try:
            old = driver.find_element("tag name", "html")
            element = find()
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)  # clear of the composer
            element.click()
            break
        except WebDriverException:  # the page was still settling: find it again
            if attempt == 2:
                raise
    def left(_driver: Any) -> bool:
        """The old page is gone: its root is stale, or (during the swap) no longer in any document."""
        try:
            old.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, 15).until(left)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with chromium(downloads) as driver:
        yield Page(driver, downloads)


async def _sign_in(bot: Harness, page: Page, base: str, name: str = LEADER) -> None:
    await page.open(link_url(base, link_token(await ask_for_link(bot, name))))
    await page.click("#sign-in")


async def _comment(bot: Harness, name: str, text: str) -> None:
    count = len(await bot.bot_messages(name))
    await bot.sandbox.send_text(bot.users[name].id, "/gopy")
    await bot.wait_bot_messages(name, count + 1)
    await bot.sandbox.send_text(bot.users[name].id, text)
    await bot.wait_bot_messages(name, count + 2)


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # the browser, not the backend, is under test
async def test_leader_signs_in_filters_and_answers(db_url: str, page: Page) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot, serving(bot) as base:
        campaign_id = await bot.open_campaign(MONDAY)
        for name in (LEADER, BINH, DUNG):
            await bot.register(name)
        bot.clock.set(local(MONDAY, 8, 30))
        await bot.send_all()
        await bot.confirm_all(BINH)
        await _comment(bot, DUNG, "Đề nghị nêu rõ ai tổng hợp góp ý.")

        await _sign_in(bot, page, base)
        assert "Các đợt công khai" in await page.text("h1")
        cookie = await page.do(lambda d: d.get_cookie("congkhai_session"))
        assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert await page.do(lambda d: d.execute_script("return document.cookie")) == ""  # out of scripts' reach

        # The campaign, its member table filtered to those not yet linked.
        await page.click(f"#campaign-{campaign_id} a")
        assert "Tỷ lệ xác nhận từng mục" in await page.text()
        fetched = await page.do(lambda d: d.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"))
        assert all(url.startswith(base) for url in fetched), fetched  # nothing from elsewhere
        await page.click("a[href$='/members']")
        assert len(await page.texts("#members tbody tr")) == 5
        await page.do(lambda d: d.find_element("css selector", "#status option[value='unlinked']").click())
        await page.click("#apply-filter")
        assert sorted(await page.texts("#members td.name")) == ["Hoàng Văn Em", "Lê Văn Cường"]
        await page.do(lambda d: d.find_element("css selector", "#status option[value='reading']").click())
        await page.click("#apply-filter")
        assert await page.texts("#members td.name") == [BINH]

        # The comments inbox: answer, and the commenter is told in chat.
        await page.click("a[href$='/comments']")
        assert "Đề nghị nêu rõ ai tổng hợp góp ý." in await page.text(".comment")
        await page.do(lambda d: d.find_element("css selector", ".comment textarea").send_keys(
            "Xin tiếp thu: Văn phòng tổng hợp và báo cáo Giám đốc."))
        await page.click(".comment button[value='accepted']")
        assert "Đã lưu câu trả lời" in await page.text("#answered")
        await bot.run_until_idle()
        told = [m.text for m in await bot.bot_messages(DUNG)]
        assert any("Xin tiếp thu: Văn phòng tổng hợp và báo cáo Giám đốc." in text for text in told), told

        # The spreadsheet, downloaded by the browser and opened.
        await page.click(f"a[href='/dashboard/campaigns/{campaign_id}']")
        await page.do(lambda d: d.find_element("css selector", "a[data-format='xlsx']").click())
        book = openpyxl.load_workbook(await page.downloaded(".xlsx"), read_only=True)
        cells = {str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c}
        assert BINH in cells and "Xin tiếp thu: Văn phòng tổng hợp và báo cáo Giám đốc." in cells

        await page.click("#sign-out")
        assert "Đã đăng xuất" in await page.text("h1")
        await page.open(f"{base}/dashboard")
        assert await page.attribute("#refused", "data-reason") == "signed_out"


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
async def test_reused_expired_and_staff_links_are_refused(db_url: str, page: Page) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot, serving(bot) as base:
        await bot.open_campaign(MONDAY)
        for name in (LEADER, BINH):
            await bot.register(name)

        link = link_url(base, link_token(await ask_for_link(bot, LEADER)))
        await page.open(link)
        await page.click("#sign-in")
        assert "Các đợt công khai" in await page.text("h1")
        await page.do(lambda d: d.delete_all_cookies())
        await page.open(link)  # the same link again
        await page.click("#sign-in")
        assert await page.attribute("#refused", "data-reason") == "used"

        late = link_url(base, link_token(await ask_for_link(bot, LEADER)))
        bot.clock.advance(dt.timedelta(minutes=11))
        await page.open(late)
        await page.click("#sign-in")
        assert await page.attribute("#refused", "data-reason") == "expired"

        # Staff: no link in chat, and a link of someone no longer a leader opens nothing.
        assert "chỉ dành cho lãnh đạo" in await ask_for_link(bot, BINH)
        demoted = link_url(base, link_token(await ask_for_link(bot, LEADER)))
        async with bot.sessions() as session, session.begin():
            leader = await session.scalar(select(Staff).where(Staff.full_name == LEADER))
            assert leader is not None
            leader.roles = "staff"
        await page.open(demoted)
        await page.click("#sign-in")
        assert await page.attribute("#refused", "data-reason") == "denied"
        await page.open(f"{base}/dashboard")
        assert await page.attribute("#refused", "data-reason") == "signed_out"


@pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
async def test_try_it_page_chat_as_staff_and_confirm(db_url: str, page: Page) -> None:
    async with running_bot(db_url, local(MONDAY, 8, 30)) as bot, serving(bot, sandbox=bot.sandbox) as base:
        campaign_id = await bot.open_campaign(MONDAY)
        await bot.runtime.tick()

        await page.open(f"{base}/thu")
        assert BINH in await page.text("#people")
        await page.click(f"a[data-name='{BINH}']")
        await page.click("#start")
        assert await page.attribute("#share-contact", "type") == "submit"  # the contact button, as on Telegram
        await page.click("#share-contact")
        assert f"Chào {BINH}" in await page.text("#chat")

        await bot.send_all()  # the first sections reach the chat
        await page.do(lambda d: d.refresh())
        buttons = await page.do(lambda d: [b.text for b in d.find_elements("css selector", ".msg.bot .kb button")])
        assert "✅ Đã đọc" in buttons, buttons
        await page.click_element(lambda d: next(b for b in d.find_elements("css selector", ".msg.bot .kb button")
                                                if b.text == "✅ Đã đọc"))
        async with bot.sessions() as session:
            staff_id = await session.scalar(select(Staff.id).where(Staff.full_name == BINH))
            acks = await session.scalar(
                select(func.count(Ack.id)).where(Ack.staff_id == staff_id, Ack.campaign_id == campaign_id)
            )
        assert acks == 1
        assert "Đã xác nhận" in await page.text("#chat")

        # Typed text reaches the bot too.
        await page.do(lambda d: d.find_element("css selector", "#text").send_keys("/tiendo"))
        await page.click("#send")
        assert "1/" in (await page.texts(".msg.bot"))[-1]
