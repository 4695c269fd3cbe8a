"""The outbox against the sandbox with rate limits on, on the real clock: every reply and every
delivery inside one budget, replies first, nothing dropped on 429, each person's order kept,
a refused token stops the messenger without giving anything up."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update

from bot.db.models import ChannelIdentity, Delivery, Staff
from bot.domain.enums import Channel, DeliveryKind, DeliveryStatus
from bot.runtime import Runtime, RuntimeOptions, TokensRefused
from bot.sandbox import Sandbox, VirtualUser
from bot.services import deliveries
from bot.settings import load_settings
from tests.integration.harness import Harness, local
from tests.integration.harness_zalo import running_zalo_bot

MONDAY = dt.date(2026, 3, 2)


@dataclass
class Live:
    runtime: Runtime
    sandbox: Sandbox

    @property
    def sessions(self) -> Any:
        return self.runtime.sessions

    async def people(self, count: int) -> list[tuple[int, VirtualUser]]:
        """``count`` staff linked on Telegram (they pressed Start): (staff id, their user)."""
        now = self.runtime.clock.now()
        linked = []
        async with self.sessions() as session, session.begin():
            for index in range(count):
                user = await self.sandbox.create_user(first_name=f"U{index}", started=True)
                person = Staff(full_name=f"Người {index}", roles="staff", active=True, created_at=now, updated_at=now)
                session.add(person)
                await session.flush()
                session.add(ChannelIdentity(staff_id=person.id, channel=Channel.TELEGRAM,
                                            external_user_id=str(user.id), chat_id=str(user.id), linked_at=now))
                linked.append((person.id, user))
        return linked

    async def queue(self, staff_ids: list[int], text: str) -> None:
        now = self.runtime.clock.now()
        async with self.sessions() as session, session.begin():
            await deliveries.queue_message(
                session, source=f"notice:{text}", kind=DeliveryKind.NOTICE, staff_ids=staff_ids,
                payload={"text": text}, due_at=now, now=now,
            )
        assert self.runtime.worker is not None
        self.runtime.worker.wake()

    async def until(self, predicate: Any, timeout: float = 10.0) -> None:
        """Poll ``predicate`` (sync or async) until true: not every change wakes the sandbox's waiters."""
        for _ in range(int(timeout / 0.05)):
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("timed out")

    async def all_sent(self) -> bool:
        return set(await self.statuses()) == {DeliveryStatus.SENT}

    async def statuses(self) -> list[DeliveryStatus]:
        async with self.sessions() as session:
            return list((await session.scalars(select(Delivery.status))).all())

    async def texts(self, user: VirtualUser) -> list[str]:
        return [m.text for m in await self.sandbox.read_chat(user.id)]


@asynccontextmanager
async def live_bot(db_url: str, *, worker: bool = True, knobs: dict[str, Any] | None = None,
                   **settings: Any) -> AsyncIterator[Live]:
    """The whole bot on the real clock (the budget is real time), polling the sandbox."""
    async with Sandbox(**(knobs or {})) as sandbox:
        runtime = Runtime(
            load_settings(database_url=db_url, telegram_token=None, zalo_token=None, **settings),
            telegram_token=sandbox.token, telegram_base_url=sandbox.telegram_base_url(),
            options=RuntimeOptions(run_worker=worker, run_scheduler=False, migrate=False, set_commands=False),
        )
        await runtime.start()
        try:
            yield Live(runtime, sandbox)
        finally:
            await runtime.stop()


FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN = ("An", "Bình", "Cường", "Dung", "Giang", "Hà", "Khoa", "Lan", "Minh", "Nga")


def roster(count: int) -> list[list[str]]:
    names = [f"{family} Văn {given}" for family in FAMILIES for given in GIVEN][:count]
    return [["Họ và tên", "Đơn vị", "Chức vụ", "Số điện thoại", "Vai trò"]] + [
        [name, "Văn phòng", "Chuyên viên", f"09120{i:05d}", ""] for i, name in enumerate(names)
    ]


async def test_forty_people_starting_at_once_are_all_answered(db_url: str) -> None:
    """The first morning, small: 40 invite links tapped at once under 10 msg/s; no reply is lost."""
    async with live_bot(db_url, worker=False, send_rate=10,
                        knobs={"overall_rate": 10, "overall_burst": 10, "per_chat_rate": 1, "per_chat_burst": 1}) as live:
        harness = Harness(live.runtime, live.sandbox, live.runtime.clock)  # type: ignore[arg-type]
        await harness.import_roster(roster(40))
        users = {name: await live.sandbox.create_user(first_name=name.split()[-1]) for name in harness.codes}
        for name, user in users.items():
            await live.sandbox.send_text(user.id, f"/start {harness.codes[name]}")
        for name, user in users.items():
            chat = await live.sandbox.wait_for_messages(user.id, 1, timeout=30)
            assert name in chat[0].text
        assert live.runtime.worker is not None
        assert live.runtime.worker.stats.replies_lost == 0
        async with live.sessions() as session:
            assert len((await session.scalars(select(ChannelIdentity))).all()) == 40


async def test_one_persons_messages_keep_their_order_across_per_chat_429s(db_url: str) -> None:
    """The bot spaces a chat more loosely than the messenger allows (2/s against 1/s): 429s come,
    and the backlog still arrives Điều 1, 2, 3, 4, 5, 6, each once."""
    async with live_bot(db_url, send_rate=30, chat_send_rate=2, chat_send_burst=2,
                        knobs={"per_chat_rate": 1, "per_chat_burst": 1}) as live:
        [(lan, lan_user), (minh, minh_user)] = await live.people(2)
        for number in range(1, 7):
            await live.queue([lan, minh], f"Điều {number}")
        await live.sandbox.wait_for_messages(lan_user.id, 6, timeout=30)
        await live.sandbox.wait_for_messages(minh_user.id, 6, timeout=30)
        assert live.sandbox.stats.too_many_requests > 0
        expected = [f"Điều {n}" for n in range(1, 7)]
        assert await live.texts(lan_user) == expected
        assert await live.texts(minh_user) == expected
        await live.until(live.all_sent)


async def test_a_per_chat_429_pauses_that_chat_only(db_url: str) -> None:
    """One person's chat is paused five seconds by a 429; the others' messages go meanwhile."""
    async with live_bot(db_url, send_rate=30, chat_send_rate=0,
                        knobs={"per_chat_rate": 0.2, "per_chat_burst": 1}) as live:
        people = await live.people(6)
        (first, first_user), others = people[0], people[1:]
        await live.queue([first], "Điều 1")
        await live.queue([first], "Điều 2")  # refused: retry after 5 s
        await live.until(lambda: live.sandbox.stats.too_many_requests > 0)
        await live.queue([staff for staff, _ in others], "Thông báo")
        for _, user in others:
            await live.sandbox.wait_for_messages(user.id, 1, timeout=4)
        assert await live.texts(first_user) == ["Điều 1"]  # still waiting out its own pause
        await live.sandbox.wait_for_messages(first_user.id, 2, timeout=15)
        assert await live.texts(first_user) == ["Điều 1", "Điều 2"]


async def test_a_reply_goes_before_a_broadcast_backlog_and_is_never_lost(db_url: str) -> None:
    """A broadcast fills the whole budget (5 msg/s); someone's /huongdan is answered next, not
    after the backlog, and a 429 on it would be retried, not dropped."""
    async with live_bot(db_url, send_rate=5, knobs={"overall_rate": 5, "overall_burst": 1}) as live:
        harness = Harness(live.runtime, live.sandbox, live.runtime.clock)  # type: ignore[arg-type]
        await harness.import_roster(roster(1))
        [name] = harness.codes
        user = await live.sandbox.create_user(first_name="An")
        await live.sandbox.send_text(user.id, f"/start {harness.codes[name]}")
        await live.sandbox.wait_for_messages(user.id, 1, timeout=10)
        people = await live.people(20)
        await live.queue([staff for staff, _ in people], "Thông báo chung")
        await live.until(lambda: live.sandbox.stats.messages_sent >= 4)
        await live.sandbox.send_text(user.id, "/huongdan")
        await live.sandbox.wait_for_messages(user.id, 2, timeout=10)
        assert DeliveryStatus.PENDING in await live.statuses()  # the broadcast is still going
        assert live.runtime.worker is not None and live.runtime.worker.stats.replies_lost == 0


async def test_a_refused_token_keeps_rows_pending_and_sending_resumes_once_it_is_accepted(db_url: str) -> None:
    async with live_bot(db_url, send_rate=30, chat_send_rate=0) as live:
        assert live.runtime.worker is not None
        live.runtime.worker.probe_seconds = (0.2, 0.5)
        people = await live.people(3)
        token = live.sandbox.telegram.token
        live.sandbox.telegram.token = "revoked"
        await live.queue([staff for staff, _ in people], "Thông báo")
        await live.until(lambda: live.runtime.worker.budgets[Channel.TELEGRAM].stopped)
        await asyncio.sleep(0.5)  # the probe is refused too
        assert set(await live.statuses()) == {DeliveryStatus.PENDING}
        async with live.sessions() as session:
            errors = set((await session.scalars(select(Delivery.last_error))).all())
            attempts = set((await session.scalars(select(Delivery.attempts))).all())
        assert errors == {deliveries.TOKEN_REFUSED} and attempts == {0}
        # a message taken by the long poll in flight is answered later; the next poll is refused,
        # which ends python-telegram-bot's polling
        await live.sandbox.send_text(people[0][1].id, "/huongdan")
        await live.until(lambda: live.sandbox.stats.errors[401] >= 3)

        live.sandbox.telegram.token = token  # fixed
        for _, user in people:
            await live.sandbox.wait_for_messages(user.id, 1, timeout=10)
        await live.until(live.all_sent)
        await live.sandbox.wait_for_messages(people[0][1].id, 2, timeout=10)  # the answer held meanwhile
        await live.sandbox.send_text(people[0][1].id, "/huongdan")  # polling again
        await live.sandbox.wait_for_messages(people[0][1].id, 3, timeout=15)


async def test_start_names_every_messenger_whose_token_is_refused(db_url: str) -> None:
    async with Sandbox() as sandbox:
        runtime = Runtime(
            load_settings(database_url=db_url, telegram_token=None, zalo_token=None),
            telegram_token="123:wrong", telegram_base_url=sandbox.telegram_base_url(),
            zalo_token="wrong-zalo", zalo_base_url=sandbox.zalo_base_url(),
            options=RuntimeOptions(polling=False, run_worker=False, run_scheduler=False, migrate=False, check_tokens=True),
        )
        try:
            await runtime.start()
        except TokensRefused as error:
            assert error.channels == [Channel.TELEGRAM, Channel.ZALO]
        else:
            raise AssertionError("a wrong token must stop the start")
        finally:
            await runtime.stop()


async def test_a_zalo_reply_refused_with_429_is_sent_after_the_pause(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7), telegram=False) as bot:
        await bot.open_campaign(MONDAY)
        name = "Trần Thị Bình"
        await bot.register_zalo(name)
        await bot.sandbox.configure(rate_limits=True, per_chat_rate=1, per_chat_burst=1, overall_rate=0)
        user = bot.zalo_users[name]
        before = len(await bot.zalo_messages(name))
        await bot.sandbox.send_text(user.id, "tiến độ")
        await bot.sandbox.send_text(user.id, "hướng dẫn")
        await bot.sandbox.send_text(user.id, "tiến độ")
        chat = await bot.sandbox.wait_for_messages(user.id, before + 3, timeout=15)
        assert bot.sandbox.stats.too_many_requests > 0
        assert len(chat) - before == 3
        assert bot.runtime.worker is not None and bot.runtime.worker.stats.replies_lost == 0


async def test_zalo_polling_removes_a_stale_webhook_first(db_url: str) -> None:
    async with Sandbox() as sandbox:
        sandbox.zalo.webhook = None
        await sandbox.zalo._m_setWebhook({"url": "https://example.invalid/webhook/zalo", "secret_token": "s" * 16})
        runtime = Runtime(
            load_settings(database_url=db_url, telegram_token=None, zalo_token=None, chat_send_rate=0),
            zalo_token=sandbox.zalo.token, zalo_base_url=sandbox.zalo_base_url(),
            options=RuntimeOptions(run_worker=False, run_scheduler=False, migrate=False),
        )
        await runtime.start()
        try:
            user = await sandbox.create_user(first_name="Lan", channel="zalo")
            await sandbox.send_text(user.id, "xin chào")
            await sandbox.wait_for_messages(user.id, 1, timeout=10)
            assert sandbox.zalo.webhook is None
        finally:
            await runtime.stop()


async def test_telegram_polling_removes_a_stale_webhook_first(db_url: str) -> None:
    from telegram import Bot

    async with Sandbox() as sandbox:
        async with Bot(sandbox.token, base_url=sandbox.telegram_base_url()) as bot:
            await bot.set_webhook("https://example.invalid/webhook/telegram")
        runtime = Runtime(
            load_settings(database_url=db_url, telegram_token=None, zalo_token=None, chat_send_rate=0),
            telegram_token=sandbox.token, telegram_base_url=sandbox.telegram_base_url(),
            options=RuntimeOptions(run_worker=False, run_scheduler=False, migrate=False, set_commands=False),
        )
        await runtime.start()
        try:
            user = await sandbox.create_user(first_name="Lan")
            await sandbox.send_text(user.id, "xin chào")
            await sandbox.wait_for_messages(user.id, 1, timeout=10)
            assert sandbox.telegram.webhook is None
        finally:
            await runtime.stop()


async def test_two_processes_claiming_at_once_never_take_a_persons_second_row(db_url: str) -> None:
    import pytest

    from bot.db.engine import create_engine, is_sqlite, session_factory

    if is_sqlite(db_url):
        pytest.skip("SQLite has one writer at a time: claims cannot overlap")
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    now = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
    try:
        async with sessions() as session, session.begin():
            people = [Staff(full_name=n, roles="staff", active=True, created_at=now, updated_at=now) for n in ("Lan", "Minh")]
            session.add_all(people)
            await session.flush()
            lan, minh = (p.id for p in people)
            for number in range(1, 6):
                await deliveries.queue_message(session, source=f"notice:{number}", kind=DeliveryKind.NOTICE,
                                               staff_ids=[lan, minh], payload={"text": f"Điều {number}"},
                                               due_at=now, now=now)
        async with sessions() as first, first.begin():
            # one row; the rows it looked at (Điều 1 to 4) stay locked until it commits
            taken = await deliveries.claim_due(first, now, 1)
            async with sessions() as second, second.begin():
                also = await deliveries.claim_due(second, now, 10)  # sees only Điều 5: nobody's first
        assert len(taken) == 1 and also == []
    finally:
        await engine.dispose()


async def test_after_a_crash_mid_send_the_persons_rows_wait_for_the_first_one(sessions: Any) -> None:
    """A process claimed a person's first row and died before recording it: until its lease ends,
    nothing of that person is claimed (their second row does not overtake), then the first comes back."""
    now = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
    async with sessions() as session, session.begin():
        person = Staff(full_name="Lan", roles="staff", active=True, created_at=now, updated_at=now)
        session.add(person)
        await session.flush()
        for number in (1, 2):
            await deliveries.queue_message(session, source=f"notice:{number}", kind=DeliveryKind.NOTICE,
                                           staff_ids=[person.id], payload={"text": f"Điều {number}"}, due_at=now, now=now)
    async with sessions() as session, session.begin():
        [first] = await deliveries.claim_due(session, now, 10)  # then the process dies
    async with sessions() as session, session.begin():
        assert await deliveries.claim_due(session, now + dt.timedelta(seconds=30), 10) == []
    async with sessions() as session, session.begin():
        assert await deliveries.claim_due(session, now + deliveries.LEASE + dt.timedelta(seconds=1), 10) == [first]


async def test_a_section_someone_asked_for_is_claimed_before_the_broadcast_backlog(sessions: Any) -> None:
    """"Đọc tiếp" makes a row due now, behind a backlog due earlier: it is claimed first (and the
    person's own earlier rows with it, in their order), not after the backlog drains."""
    now = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
    earlier = now - dt.timedelta(minutes=5)
    async with sessions() as session, session.begin():
        people = [Staff(full_name=f"Người {i}", roles="staff", active=True, created_at=now, updated_at=now)
                  for i in range(30)]
        session.add_all(people)
        await session.flush()
        ids = [p.id for p in people]
        await deliveries.queue_message(session, source="notice:backlog", kind=DeliveryKind.NOTICE, staff_ids=ids,
                                       payload={"text": "Thông báo"}, due_at=earlier, now=earlier)
        asker, alone = ids[-1], ids[-2]
        for staff_id in (asker, alone):  # what they asked for, due now
            await deliveries.queue_message(session, source=f"asked:{staff_id}", kind=DeliveryKind.NOTICE,
                                           staff_ids=[staff_id], payload={"text": "Mục 2"}, due_at=now, now=now)
        await session.execute(update(Delivery).where(Delivery.source.like("asked:%")).values(asked=True))
        # one of them had nothing else queued: their asked row is their first
        await session.execute(delete(Delivery).where(Delivery.staff_id == alone, Delivery.source == "notice:backlog"))
    async with sessions() as session, session.begin():
        claimed = await deliveries.claim_due(session, now, 5)
        rows = {r.id: r for r in (await session.scalars(select(Delivery).where(Delivery.id.in_(claimed)))).all()}
    by_person = {rows[i].staff_id: rows[i] for i in claimed}
    assert by_person[alone].asked  # claimed at once, though 29 rows were due before it
    assert by_person[asker].source == "notice:backlog"  # the asker's own earlier row first: order kept
    assert claimed[:2] == [by_person[alone].id, by_person[asker].id] or claimed[:2] == [by_person[asker].id, by_person[alone].id]
