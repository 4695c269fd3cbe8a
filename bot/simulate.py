"""``congkhai simulate``: a whole disclosure campaign on a fake clock, against the
sandbox Bot API over HTTP, with virtual staff who behave like people do.

The figures that matter are counted on the far side: ``sandbox_received`` and
``duplicates`` come from the sandbox's record of what reached each chat, and
``lost`` is every chunk owed to a reachable member (a section whose time came)
that never reached their chat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.migrate import upgrade
from bot.db.models import ChannelIdentity, Delivery, Feedback, Staff
from bot.domain.enums import DeliveryKind, DeliveryStatus
from bot.domain import chunking
from bot.domain.limits import TELEGRAM_LAST_RESERVE, TELEGRAM_TEXT_LIMIT
from bot.domain.roster import parse_table
from bot.runtime import SAMPLE_DOCUMENT, Runtime, RuntimeOptions
from bot.sandbox import ChatMessage, Sandbox, VirtualUser
from bot.services import campaigns, documents, roster
from bot.services.clock import FakeClock
from bot.services.document_files import read_document
from bot.settings import load_settings

TZ = "Asia/Ho_Chi_Minh"
START = dt.date(2026, 11, 23)  # a Monday; the run does not depend on today
DAYS = 20
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Quang", "Ngọc", "Đức", "Thanh", "Hữu", "Kim", "Xuân", "Hoài"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Khánh", "Lan", "Long", "Mai", "Nam",
         "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Linh", "Khoa", "Oanh"]
DEPARTMENTS = ["Văn phòng", "Phòng Kế hoạch - Tài chính", "Phòng Quản lý khoa học", "Phòng Công nghệ", "Thanh tra"]


class Kind(str, enum.Enum):
    PROMPT = "prompt"  # confirms each section soon after it arrives
    SLOW = "slow"  # confirms a day or two later
    AHEAD = "ahead"  # prompt, and asks for the next section early
    SILENT = "silent"  # links the account, then never answers
    NEVER = "never"  # never links the account
    BLOCKER = "blocker"  # reads a little, then blocks the bot


PROFILE = [(Kind.PROMPT, 45), (Kind.SLOW, 22), (Kind.AHEAD, 13), (Kind.SILENT, 10), (Kind.NEVER, 5), (Kind.BLOCKER, 5)]


@dataclass
class Person:
    name: str
    phone: str
    kind: Kind
    code: str = ""
    user: VirtualUser | None = None
    joins_at: dt.datetime | None = None
    blocks_at: dt.datetime | None = None
    comments_at: dt.datetime | None = None
    anonymous: bool = False
    read_up_to: int = 0  # messages of the chat already looked at
    nudged: bool = False  # a reminder came: a slow reader stops putting it off
    pending: list[tuple[ChatMessage, dt.datetime]] = field(default_factory=list)  # to confirm, since when
    blocked: bool = False


@dataclass
class Result:
    staff: int
    sections: int
    bot_sent: int
    sandbox_received: int
    duplicates: int
    lost: int
    confirmed: int
    unreachable: int
    feedback: int
    reminders: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def people(count: int, rng: random.Random) -> list[Person]:
    kinds = [k for k, weight in PROFILE for _ in range(weight)]
    result = []
    for index in range(count):
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        result.append(Person(name=name, phone=f"09{index:08d}", kind=rng.choice(kinds)))
    return result


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(TZ)).astimezone(dt.timezone.utc)


class Simulation:
    def __init__(self, staff: int, seed: int, document: Path | None = None) -> None:
        self.rng = random.Random(seed)
        self.people = people(staff, self.rng)
        self.document = document or SAMPLE_DOCUMENT
        self.clock = FakeClock(local(START, 7))
        self.gate = asyncio.Semaphore(48)

    async def run(self) -> Result:
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="congkhai-sim-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'sim.db'}"
            await asyncio.to_thread(upgrade, url)
            async with Sandbox(rate_limits=False) as sandbox:
                self.sandbox = sandbox
                runtime = Runtime(
                    load_settings(database_url=url, send_rate=5000.0), clock=self.clock,
                    telegram_token=sandbox.token, telegram_base_url=sandbox.telegram_base_url(),
                    options=RuntimeOptions(run_worker=False, run_scheduler=False, migrate=False),
                )
                await runtime.start()
                try:
                    self.runtime = runtime
                    sections = await self._prepare()
                    await self._days()
                    return await self._measure(sections, time.perf_counter() - began)
                finally:
                    await runtime.stop()

    async def _prepare(self) -> list[Any]:
        table = [["Họ và tên", "Đơn vị", "Số điện thoại"]] + [
            [p.name, DEPARTMENTS[i % len(DEPARTMENTS)], p.phone] for i, p in enumerate(self.people)
        ]
        now = self.clock.now()
        async with self.runtime.sessions() as session, session.begin():
            await roster.import_roster(session, parse_table(table), now, actor="simulate")
            codes = {i.staff.phone: i.code for i in await roster.issue_invites(session, now, actor="simulate")}
            doc = await documents.import_document(session, read_document(self.document), now, source_name=self.document.name)
            await campaigns.create_campaign(
                session, document_id=doc.document.id, decided_on=START, start_on=START, days=DAYS, now=now, tz=TZ,
                actor="simulate",
            )
            sections = list(doc.document.sections)
        for person in self.people:
            person.code = codes["+84" + person.phone[1:]]
            if person.kind is not Kind.NEVER:
                person.joins_at = local(START + dt.timedelta(days=self.rng.choice([0, 0, 0, 1, 2])), 7 + self.rng.randrange(9), self.rng.randrange(60))
            if person.kind is Kind.BLOCKER:
                person.blocks_at = local(START + dt.timedelta(days=self.rng.randrange(3, 9)), 12)
            if person.kind in (Kind.PROMPT, Kind.SLOW, Kind.AHEAD) and self.rng.random() < 0.08:
                person.comments_at = local(START + dt.timedelta(days=self.rng.randrange(1, 10)), 15)
                person.anonymous = self.rng.random() < 0.5
        return sections

    async def _days(self) -> None:
        """Every hour of the working day (two looks a day at weekends), for the whole window."""
        calendar = campaigns.calendar()
        for offset in range(DAYS):
            day = START + dt.timedelta(days=offset)
            hours = range(7, 18) if calendar.is_working_day(day) else (9, 15)
            for hour in hours:
                self.clock.set(max(self.clock.now(), local(day, hour)))
                await self.runtime.tick()
                await self._send()
                await asyncio.gather(*(self._act(p) for p in self.people))
                await self._send()
        self.clock.set(local(START + dt.timedelta(days=DAYS), 0, 1))
        await self.runtime.tick()  # the window closes

    async def _send(self) -> None:
        worker = self.runtime.worker
        assert worker is not None
        for _ in range(20):
            if not await worker.drain():
                # a multi-part section waits a second between parts
                self.clock.advance(dt.timedelta(seconds=1))
                if not await worker.drain():
                    return

    async def _act(self, person: Person) -> None:
        now = self.clock.now()
        async with self.gate:
            if person.user is None:
                if person.joins_at is not None and person.joins_at <= now:
                    person.user = await self.sandbox.create_user(first_name=person.name.split()[-1])
                    count = len(await self.sandbox.read_chat(person.user.id))
                    await self.sandbox.send_text(person.user.id, f"/start {person.code}")
                    await self.sandbox.wait_for_messages(person.user.id, count + 1, timeout=20)
                return
            if person.blocked:
                return
            if person.blocks_at is not None and person.blocks_at <= now:
                await self.sandbox.block(person.user.id)
                person.blocked = True
                return
            if person.kind is Kind.SILENT:
                return
            chat = await self.sandbox.read_chat(person.user.id)
            for message in chat[person.read_up_to :]:
                if any(b["text"] in ("✅ Đã đọc", "✅ Tôi đã đọc toàn văn") for b in message.buttons):
                    person.pending.append((message, now))
                elif (message.text or "").startswith(("⏰", "⏳")):
                    person.nudged = True
            person.read_up_to = len(chat)
            waiting = []
            for message, since in person.pending:
                if not await self._maybe_press(person, message, since, now):
                    waiting.append((message, since))
            person.pending = waiting
            if person.comments_at is not None and person.comments_at <= now:
                person.comments_at = None
                await self._comment(person, chat)

    async def _maybe_press(self, person: Person, message: ChatMessage, since: dt.datetime, now: dt.datetime) -> bool:
        """Confirm a message once this person's reading time has passed. True when done."""
        wait = {Kind.SLOW: dt.timedelta(days=3), Kind.BLOCKER: dt.timedelta(hours=2)}.get(person.kind, dt.timedelta())
        if now - since < wait and not person.nudged:
            return False
        labels = {b["text"]: b["callback_data"] for b in message.buttons}
        action = labels.get("✅ Đã đọc") or labels.get("✅ Tôi đã đọc toàn văn")
        if action is None:
            return True
        record = await self.sandbox.press_button(person.user.id, message.message_id, action)  # type: ignore[union-attr]
        await self.sandbox.wait_for_answer(record.id, timeout=20)
        if person.kind is Kind.AHEAD and "Đọc tiếp ▶" in labels and self.rng.random() < 0.3:
            record = await self.sandbox.press_button(person.user.id, message.message_id, labels["Đọc tiếp ▶"])  # type: ignore[union-attr]
            await self.sandbox.wait_for_answer(record.id, timeout=20)
        return True

    async def _comment(self, person: Person, chat: list[ChatMessage]) -> None:
        target = next((m for m in reversed(chat) if any(b["text"] == "💬 Góp ý" for b in m.buttons)), None)
        if target is None or person.user is None:
            return
        action = next(b["callback_data"] for b in target.buttons if b["text"] == "💬 Góp ý")
        if person.anonymous:
            action = action.replace("fb:", "fbanon:", 1)
        count = len(await self.sandbox.read_chat(person.user.id))
        record = await self.sandbox.press_button(person.user.id, target.message_id, action, check=not person.anonymous)
        await self.sandbox.wait_for_answer(record.id, timeout=20)
        await self.sandbox.wait_for_messages(person.user.id, count + 1, timeout=20)
        await self.sandbox.send_text(person.user.id, "Đề nghị bổ sung thời hạn trả lời góp ý của cán bộ.")
        await self.sandbox.wait_for_messages(person.user.id, count + 2, timeout=20)

    async def _measure(self, sections: list[Any], seconds: float) -> Result:
        expected = {
            s.ordinal: [
                chunking.telegram_visible_text(c)
                for c in chunking.telegram_chunks(s.path, s.heading, s.body, limit=TELEGRAM_TEXT_LIMIT, last_reserve=TELEGRAM_LAST_RESERVE)
            ]
            for s in sections
        }
        chunk_texts = {text for texts in expected.values() for text in texts}
        duplicates = 0
        received_by_user: dict[Any, Counter[str]] = {}
        for person in self.people:
            if person.user is None:
                continue
            texts = Counter(_original(m) for m in await self.sandbox.read_chat(person.user.id))
            received_by_user[person.user.id] = texts
            duplicates += sum(n - 1 for text, n in texts.items() if text in chunk_texts and n > 1)
        async with self.runtime.sessions() as session:
            from sqlalchemy import func

            from bot.db.models import Ack, Campaign

            campaign = await session.scalar(select(Campaign))
            assert campaign is not None
            plan = campaigns.plan_for(campaign, sections, TZ)
            reachable = dict(
                (await session.execute(select(ChannelIdentity.external_user_id, ChannelIdentity.reachable))).all()
            )
            confirmed = await session.scalar(select(func.count(func.distinct(Ack.staff_id))).where(Ack.item == 0))
            unreachable = sum(1 for ok in reachable.values() if not ok)
            feedback_count = await session.scalar(select(func.count(Feedback.id)))
            reminders_sent = await session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.kind == DeliveryKind.REMINDER, Delivery.status == DeliveryStatus.SENT
                )
            )
            assert await session.scalar(select(func.count(Staff.id))) == len(self.people)
        due = [o for o, when in plan.due_by_ordinal().items() if when <= self.clock.now()]
        lost = 0
        for person in self.people:
            if person.user is None or not reachable.get(str(person.user.id), False):
                continue
            texts = received_by_user[person.user.id]
            lost += sum(1 for o in due for text in expected[o] if texts[text] == 0)
        assert self.runtime.telegram is not None
        stats = await self.sandbox.get_stats()
        return Result(
            staff=len(self.people),
            sections=len(sections),
            bot_sent=self.runtime.telegram.sent_messages,
            sandbox_received=stats.messages_sent,
            duplicates=duplicates,
            lost=lost,
            confirmed=int(confirmed or 0),
            unreachable=unreachable,
            feedback=int(feedback_count or 0),
            reminders=int(reminders_sent or 0),
            seconds=round(seconds, 2),
        )


def _original(message: ChatMessage) -> str:
    """What the bot first sent (a confirmed message was edited since)."""
    if message.edits:
        return message.edits[0].text or ""
    return message.text or ""


def simulate(staff: int, seed: int, document: Path | None = None) -> Result:
    return asyncio.run(Simulation(staff, seed, document).run())
