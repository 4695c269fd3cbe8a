"""``congkhai simulate``: a whole disclosure campaign on a fake clock, against the
sandbox Bot API over HTTP, with virtual staff who behave like people do.

The figures that matter are counted on the far side: ``sandbox_received`` and
``duplicates`` come from the sandbox's record of what reached each chat, and
``lost`` is every chunk owed to a reachable member (a section whose time came)
that never reached their chat.

``channel`` picks the messenger: everyone on Telegram, everyone on Zalo (link by typing the
invite code, confirm by typing "đã đọc"), or a mix where about half use each and about one in
ten link both (each section must then reach one of their chats only: the one used last).
The first person is a leader; the simulator answers every open comment on their behalf at
16:00 each working day, alternately tiếp thu and giải trình.

Two processes, as in life the bot and the people are two sides: this one runs the bot (its
handlers, delivery worker and database) and the clock; a child process runs the sandbox and
the virtual staff (:class:`VirtualStaff`), so each side has a core of its own. They speak over
a pipe: the child acts for an hour of the campaign when told, and counts what reached each chat
at the end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import pickle
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.channels.zalo import section_hint, section_messages
from bot.db.migrate import upgrade
from bot.db.models import Ack, Campaign, ChannelIdentity, Delivery, Feedback, Staff
from bot.domain import chunking
from bot.domain.enums import DeliveryKind, DeliveryStatus, FeedbackStatus
from bot.domain.limits import TELEGRAM_LAST_RESERVE, TELEGRAM_TEXT_LIMIT
from bot.domain.roster import parse_table
from bot.runtime import SAMPLE_DOCUMENT, Runtime, RuntimeOptions, run_event_loop
from bot.sandbox import ChatMessage, Sandbox, VirtualUser
from bot.services import campaigns, documents, feedback, heartbeat, roster
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


CHANNELS = ("telegram", "zalo", "mixed")
SECTION_HINT = section_hint()
ATTEST_HINT = "xác nhận toàn văn"
COMMENT = "Đề nghị bổ sung thời hạn trả lời góp ý của cán bộ."
ANSWERS = (
    (FeedbackStatus.ACCEPTED, "Tiếp thu: quy chế sẽ ghi rõ thời hạn trả lời góp ý."),
    (FeedbackStatus.EXPLAINED, "Giải trình: thời hạn đã được quy định tại Điều 5 của quy chế."),
)

# How many people act at the same moment: everyone, as in an office when a section arrives.
# Presses that arrive together reach the bot in one getUpdates answer and share one group
# commit; a small gate made them arrive in small waves.
PRESSING_AT_ONCE = 5000

PROFILE = [(Kind.PROMPT, 45), (Kind.SLOW, 22), (Kind.AHEAD, 13), (Kind.SILENT, 10), (Kind.NEVER, 5), (Kind.BLOCKER, 5)]


@dataclass
class Person:
    name: str
    phone: str
    kind: Kind
    code: str = ""
    channels: tuple[str, ...] = ("telegram",)  # in the order the person links them
    user: VirtualUser | None = None  # the account linked last: where sections go
    accounts: list[VirtualUser] = field(default_factory=list)  # every linked account, in order
    read_up_to: dict[Any, int] = field(default_factory=dict)  # per account: messages already looked at
    shown: set[tuple[Any, int]] = field(default_factory=set)  # (account, message id) the person asked to see again
    asked: Counter[tuple[Any, int]] = field(default_factory=Counter)  # (account, ordinal) asked for again
    joins_at: dt.datetime | None = None
    blocks_at: dt.datetime | None = None
    comments_at: dt.datetime | None = None
    anonymous: bool = False
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
    answered: int
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
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(TZ)).astimezone(dt.UTC)


def assign_channels(persons: list[Person], channel: str, rng: random.Random) -> None:
    """Telegram, Zalo, or a mix: about half each, about one in ten on both (never a blocker)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    for person in persons:
        if channel != "mixed":
            person.channels = (channel,)
            continue
        draw = rng.random()
        if draw < 0.1 and person.kind is not Kind.BLOCKER:
            person.channels = ("telegram", "zalo") if rng.random() < 0.5 else ("zalo", "telegram")
        else:
            person.channels = ("zalo",) if draw < 0.55 else ("telegram",)
    if channel == "mixed" and not any(len(p.channels) == 2 for p in persons):
        both = next((p for p in persons if p.kind not in (Kind.BLOCKER, Kind.NEVER)), None)
        if both is not None:
            both.channels = ("zalo", "telegram")


class Simulation:
    """The bot's side: the runtime, the database and the clock; the people live in :class:`StaffProcess`."""

    def __init__(
        self, staff: int, seed: int, document: Path | None = None, channel: str = "telegram", keep: Path | None = None
    ) -> None:
        self.seed = seed
        self.keep = keep  # a SQLite file to leave the simulated campaign in
        self.rng = random.Random(seed)
        self.people = people(staff, self.rng)
        self.channel = channel
        assign_channels(self.people, channel, self.rng)
        self.document = document or SAMPLE_DOCUMENT
        self.clock = FakeClock(local(START, 7))
        self.answered = 0

    async def run(self) -> Result:
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="congkhai-sim-") as folder:
            url = f"sqlite+aiosqlite:///{(self.keep.resolve() if self.keep else Path(folder) / 'sim.db')}"
            async with StaffProcess(self.seed) as staff:
                # the child starts (its imports, the sandbox) while the database is made
                await asyncio.to_thread(upgrade, url)
                self.staff = staff
                where = await staff.call("start")
                telegram = self.channel in ("telegram", "mixed")
                zalo = self.channel in ("zalo", "mixed")
                runtime = Runtime(
                    load_settings(database_url=url, send_rate=5000.0, chat_send_rate=0, telegram_token=None, zalo_token=None),
                    clock=self.clock,
                    telegram_token=where["telegram_token"] if telegram else None,
                    telegram_base_url=where["telegram_base_url"] if telegram else None,
                    zalo_token=where["zalo_token"] if zalo else None,
                    zalo_base_url=where["zalo_base_url"] if zalo else None,
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
        table = [["Họ và tên", "Đơn vị", "Số điện thoại", "Vai trò"]] + [
            [p.name, DEPARTMENTS[i % len(DEPARTMENTS)], p.phone, "lãnh đạo" if i == 0 else ""]
            for i, p in enumerate(self.people)
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
        telegram_chunks = {
            s.ordinal: [
                chunking.telegram_visible_text(c)
                for c in chunking.telegram_chunks(s.path, s.heading, s.body, limit=TELEGRAM_TEXT_LIMIT, last_reserve=TELEGRAM_LAST_RESERVE)
            ]
            for s in sections
        }
        # Zalo renders a section as plain chunks, the last one ending with the command hint
        zalo_chunks = {s.ordinal: [m.text for m in section_messages(0, s.path, s.heading, s.body, s.ordinal)] for s in sections}
        for person in self.people:
            person.code = codes["+84" + person.phone[1:]]
            if person.kind is not Kind.NEVER:
                person.joins_at = local(START + dt.timedelta(days=self.rng.choice([0, 0, 0, 1, 2])), 7 + self.rng.randrange(9), self.rng.randrange(60))
            if person.kind is Kind.BLOCKER:
                person.blocks_at = local(START + dt.timedelta(days=self.rng.randrange(3, 9)), 12)
            if person.kind in (Kind.PROMPT, Kind.SLOW, Kind.AHEAD) and self.rng.random() < 0.08:
                person.comments_at = local(START + dt.timedelta(days=self.rng.randrange(1, 10)), 15)
                person.anonymous = self.rng.random() < 0.5
        await self.staff.call("meet", self.people, {"telegram": telegram_chunks, "zalo": zalo_chunks})
        return sections

    async def _days(self) -> None:
        """Every hour of the working day (two looks a day at weekends), for the whole window."""
        calendar = campaigns.calendar()
        for offset in range(DAYS):
            day = START + dt.timedelta(days=offset)
            working = calendar.is_working_day(day)
            hours = range(7, 18) if working else (9, 15)
            for hour in hours:
                self.clock.set(max(self.clock.now(), local(day, hour)))
                if working and hour == 16:
                    await self._answer_comments()
                await self.runtime.tick()
                await self._send()
                await self.staff.call("act", self.clock.now())
                await self._send()
        self.clock.set(local(START + dt.timedelta(days=DAYS), 0, 1))
        await self.runtime.tick()  # the window closes
        async with self.runtime.sessions() as session, session.begin():  # the bot was up all along
            await heartbeat.beat_span(session, local(START, 0), self.clock.now(), "simulate")

    async def _answer_comments(self) -> None:
        """The leader (the first person) answers every open comment: tiếp thu, giải trình, in turn."""
        now = self.clock.now()
        async with self.runtime.sessions() as session, session.begin():
            leader = await session.scalar(select(Staff).where(Staff.phone == "+84" + self.people[0].phone[1:]))
            assert leader is not None
            waiting = (
                await session.scalars(
                    select(Feedback.id).where(Feedback.status == FeedbackStatus.RECEIVED).order_by(Feedback.created_at, Feedback.id)
                )
            ).all()
            for feedback_id in waiting:
                decision, text = ANSWERS[self.answered % len(ANSWERS)]
                await feedback.answer(
                    session, staff=leader, feedback_id=feedback_id, decision=decision, text=text, now=now, tz=TZ
                )
                self.answered += 1

    async def _send(self) -> None:
        worker = self.runtime.worker
        assert worker is not None
        # ``drain`` sends until a claim comes back empty: draining again at the same moment
        # would only claim nothing again. A multi-part section waits a second between parts,
        # so the clock moves on a second and the next parts go, until a second brings none.
        await worker.drain()
        for _ in range(20):
            self.clock.advance(dt.timedelta(seconds=1))
            if not await worker.drain():
                return

    async def _measure(self, sections: list[Any], seconds: float) -> Result:
        async with self.runtime.sessions() as session:
            campaign = await session.scalar(select(Campaign))
            assert campaign is not None
            plan = campaigns.plan_for(campaign, sections, TZ)
            reachable = dict(
                (await session.execute(select(ChannelIdentity.external_user_id, ChannelIdentity.reachable))).all()
            )
            confirmed = await session.scalar(select(func.count(func.distinct(Ack.staff_id))).where(Ack.item == 0))
            unreachable = sum(1 for ok in reachable.values() if not ok)
            feedback_count = await session.scalar(select(func.count(Feedback.id)))
            answered = await session.scalar(select(func.count(Feedback.id)).where(Feedback.answer.is_not(None)))
            reminders_sent = await session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.kind == DeliveryKind.REMINDER, Delivery.status == DeliveryStatus.SENT
                )
            )
            assert await session.scalar(select(func.count(Staff.id))) == len(self.people)
        due = [o for o, when in plan.due_by_ordinal().items() if when <= self.clock.now()]
        seen = await self.staff.call("count", reachable, due)
        bot_sent = sum(channel.sent_messages for channel in (self.runtime.telegram, self.runtime.zalo) if channel)
        return Result(
            staff=len(self.people),
            sections=len(sections),
            bot_sent=bot_sent,
            sandbox_received=seen["received"],
            duplicates=seen["duplicates"],
            lost=seen["lost"],
            confirmed=int(confirmed or 0),
            unreachable=unreachable,
            feedback=int(feedback_count or 0),
            answered=int(answered or 0),
            reminders=int(reminders_sent or 0),
            seconds=round(seconds, 2),
        )


class VirtualStaff:
    """The people's side, in the child process: the sandbox and everyone on the roster, who
    link their accounts, read, confirm, ask ahead, comment and block, each in their own way."""

    def __init__(self, sandbox: Sandbox, seed: int) -> None:
        self.sandbox = sandbox
        self.rng = random.Random(seed + 1)
        self.gate = asyncio.Semaphore(PRESSING_AT_ONCE)
        self.people: list[Person] = []
        self.expected: dict[str, dict[int, list[str]]] = {}
        self.zalo_ordinals: dict[str, int] = {}

    async def start(self) -> dict[str, str]:
        """Where the bot finds the messengers."""
        return {
            "telegram_token": self.sandbox.token,
            "telegram_base_url": self.sandbox.telegram_base_url(),
            "zalo_token": self.sandbox.zalo.token,
            "zalo_base_url": self.sandbox.zalo_base_url(),
        }

    async def meet(self, persons: list[Person], expected: dict[str, dict[int, list[str]]]) -> None:
        """The roster with invite codes and everyone's plans; what each section looks like on each messenger."""
        self.people = persons
        self.expected = expected
        self.zalo_ordinals = {text: o for o, texts in expected["zalo"].items() for text in texts}

    async def act(self, now: dt.datetime) -> None:
        """One look at the phone for everyone, at ``now``."""
        await asyncio.gather(*(self._act(p, now) for p in self.people))

    async def count(self, reachable: dict[str, bool], due: list[int]) -> dict[str, int]:
        """What reached the chats, from the sandbox's own record: duplicates, chunks lost."""
        expected = self.expected
        duplicates = 0
        lost = 0
        for person in self.people:
            if not person.accounts:
                continue
            # per section: how often each of its chunks reached each of the person's chats
            got: dict[str, dict[int, list[int]]] = {}
            for user in person.accounts:
                texts = Counter(_original(m) for m in await self.sandbox.read_chat(user.id))
                per_channel = got.setdefault(user.channel, {})
                for ordinal, chunks in expected[user.channel].items():
                    # a copy the person asked for ("mục 3", a section they already had) is not
                    # a duplicate: each request accounts for one copy of each chunk
                    extra = person.asked[(user.id, ordinal)]
                    counts = [max(texts[c] - extra, 0) for c in chunks]
                    per_channel[ordinal] = [a + b for a, b in zip(per_channel.get(ordinal, [0] * len(chunks)), counts)]
            for ordinal in expected["telegram"]:
                arrived = [got[c][ordinal] for c in got if any(got[c][ordinal])]
                duplicates += sum(n - 1 for counts in arrived for n in counts if n > 1)
                duplicates += max(len(arrived) - 1, 0)  # the same section on two messengers
            if not all(reachable.get(str(u.id), False) for u in person.accounts):
                continue
            for ordinal in due:
                arrived = [got[c][ordinal] for c in got if any(got[c][ordinal])]
                if arrived:
                    lost += sum(1 for n in arrived[0] if n == 0)
                else:
                    lost += len(expected[person.user.channel][ordinal])  # type: ignore[union-attr]
        stats = await self.sandbox.get_stats()
        return {"received": stats.messages_sent, "duplicates": duplicates, "lost": lost}

    async def _link(self, person: Person, channel: str) -> None:
        user = await self.sandbox.create_user(first_name=person.name.split()[-1], channel=channel)
        count = len(await self.sandbox.read_chat(user.id))
        # Telegram: the deep link's /start; Zalo: the code typed as a message
        await self.sandbox.send_text(user.id, f"/start {person.code}" if channel == "telegram" else person.code)
        await self.sandbox.wait_for_messages(user.id, count + 1, timeout=20)
        await self._quiet(user)
        person.accounts.append(user)
        person.user = user

    async def _quiet(self, user: VirtualUser, seconds: float = 0.05) -> list[ChatMessage]:
        """Wait until the bot has stopped writing (a reply may be several messages)."""
        chat = await self.sandbox.read_chat(user.id)
        while True:
            await asyncio.sleep(seconds)
            again = await self.sandbox.read_chat(user.id)
            if len(again) == len(chat):
                return again
            chat = again

    async def _act(self, person: Person, now: dt.datetime) -> None:
        async with self.gate:
            if len(person.accounts) < len(person.channels):
                if person.joins_at is None:
                    return
                # a second messenger is linked a day after the first
                when = person.joins_at + dt.timedelta(days=len(person.accounts))
                if when <= now:
                    await self._link(person, person.channels[len(person.accounts)])
                if not person.accounts:
                    return
            if person.blocked:
                return
            assert person.user is not None
            if person.blocks_at is not None and person.blocks_at <= now:
                await self.sandbox.block(person.user.id)
                person.blocked = True
                return
            if person.kind is Kind.SILENT:
                return
            for user in person.accounts:
                chat = await self.sandbox.read_chat(user.id)
                for message in chat[person.read_up_to.get(user.id, 0) :]:
                    if (user.id, message.message_id) in person.shown:
                        continue
                    text = message.text or ""
                    if any(b["text"] in ("✅ Đã đọc", "✅ Tôi đã đọc toàn văn") for b in message.buttons) or user.channel == "zalo" and (text.endswith(SECTION_HINT) or ATTEST_HINT in text):
                        person.pending.append((message, now))
                    elif text.startswith(("⏰", "⏳")):
                        person.nudged = True
                person.read_up_to[user.id] = len(chat)
            waiting = []
            # newest first: on Zalo "đã đọc" means the section sent last, before any is asked for again
            for message, since in reversed(person.pending):
                if not await self._maybe_confirm(person, message, since, now):
                    waiting.insert(0, (message, since))
            person.pending = waiting
            if person.comments_at is not None and person.comments_at <= now:
                person.comments_at = None
                await self._comment(person)

    def _account_of(self, person: Person, message: ChatMessage) -> VirtualUser:
        return next(u for u in person.accounts if str(u.id) == str(message.chat_id))

    async def _maybe_confirm(self, person: Person, message: ChatMessage, since: dt.datetime, now: dt.datetime) -> bool:
        """Confirm a message once this person's reading time has passed. True when done."""
        wait = {Kind.SLOW: dt.timedelta(days=3), Kind.BLOCKER: dt.timedelta(hours=2)}.get(person.kind, dt.timedelta())
        if now - since < wait and not person.nudged:
            return False
        user = self._account_of(person, message)
        if user.channel == "zalo":
            await self._type_confirmation(person, user, message)
            return True
        labels = {b["text"]: b["callback_data"] for b in message.buttons}
        action = labels.get("✅ Đã đọc") or labels.get("✅ Tôi đã đọc toàn văn")
        if action is None:
            return True
        record = await self.sandbox.press_button(user.id, message.message_id, action)
        await self.sandbox.wait_for_answer(record.id, timeout=20)
        if person.kind is Kind.AHEAD and "Đọc tiếp ▶" in labels and self.rng.random() < 0.3:
            record = await self.sandbox.press_button(user.id, message.message_id, labels["Đọc tiếp ▶"])
            await self.sandbox.wait_for_answer(record.id, timeout=20)
        return True

    async def _say(self, person: Person, user: VirtualUser, text: str, *, shown: bool = False) -> list[ChatMessage]:
        """Type on Zalo and wait for the whole answer; ``shown`` marks it as a copy asked for."""
        before = len(await self.sandbox.read_chat(user.id))
        await self.sandbox.send_text(user.id, text)
        await self.sandbox.wait_for_messages(user.id, before + 1, timeout=20)
        new = (await self._quiet(user))[before:]
        if shown:
            person.shown.update((user.id, m.message_id) for m in new)
        person.read_up_to[user.id] = before + len(new)
        return new

    async def _type_confirmation(self, person: Person, user: VirtualUser, message: ChatMessage) -> None:
        """Zalo has no buttons: "đã đọc" confirms the section sent last, so an older one is
        first asked for again by its number ("mục 3"), then confirmed."""
        text = message.text or ""
        if ATTEST_HINT in text and not text.endswith(SECTION_HINT):
            await self._say(person, user, "xác nhận toàn văn")
            return
        ordinal = self.zalo_ordinals.get(text)
        newest = next((m for m in reversed(await self.sandbox.read_chat(user.id))
                       if (m.text or "").endswith(SECTION_HINT) and (user.id, m.message_id) not in person.shown), None)
        if ordinal is not None and newest is not None and newest.message_id != message.message_id:
            person.asked[(user.id, ordinal)] += 1
            await self._say(person, user, f"mục {ordinal}", shown=True)
        await self._say(person, user, "đã đọc")
        if person.kind is Kind.AHEAD and self.rng.random() < 0.3:
            # the next section comes as a delivery (no answer in chat): don't wait for it here
            await self.sandbox.send_text(user.id, "tiếp")

    async def _comment(self, person: Person) -> None:
        user = person.user
        if user is None:
            return
        if user.channel == "zalo":
            prefix = "góp ý ẩn danh" if person.anonymous else "góp ý"
            await self._say(person, user, f"{prefix} {COMMENT}")
            return
        chat = await self.sandbox.read_chat(user.id)
        target = next((m for m in reversed(chat) if any(b["text"] == "💬 Góp ý" for b in m.buttons)), None)
        if target is None:
            return
        action = next(b["callback_data"] for b in target.buttons if b["text"] == "💬 Góp ý")
        if person.anonymous:
            action = action.replace("fb:", "fbanon:", 1)
        count = len(chat)
        record = await self.sandbox.press_button(user.id, target.message_id, action, check=not person.anonymous)
        await self.sandbox.wait_for_answer(record.id, timeout=20)
        await self.sandbox.wait_for_messages(user.id, count + 1, timeout=20)
        await self.sandbox.send_text(user.id, COMMENT)
        await self.sandbox.wait_for_messages(user.id, count + 2, timeout=20)


class StaffProcess:
    """The child process that holds :class:`VirtualStaff`, called like ``await staff.call("act", now)``.

    The child is a fresh interpreter (``python -c``), so nothing of the caller's ``__main__`` is
    imported there. Calls and answers are pickles with a length in front, over the child's stdin
    and stdout; its stderr is ours. An error on the other side is raised here with its traceback.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> StaffProcess:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", f"from bot.simulate import staff_main; staff_main({self.seed})",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        process = self._process
        if process is None:
            return
        try:
            if process.returncode is None:
                await self.call("stop")
                await asyncio.wait_for(process.wait(), 10)
        except (RuntimeError, TimeoutError, ConnectionError):
            pass
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    async def call(self, operation: str, *args: Any) -> Any:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        _write_frame(process.stdin, (operation, args))
        await process.stdin.drain()
        try:
            size = int.from_bytes(await process.stdout.readexactly(4), "big")
            ok, value = pickle.loads(await process.stdout.readexactly(size))
        except asyncio.IncompleteReadError:
            raise RuntimeError("the virtual staff's process ended") from None
        if not ok:
            raise RuntimeError(f"the virtual staff failed on {operation!r}:\n{value}")
        return value


def _write_frame(stream: Any, value: Any) -> None:
    data = pickle.dumps(value)
    stream.write(len(data).to_bytes(4, "big") + data)


def staff_main(seed: int) -> None:
    """The child's entry point: serve calls from stdin until told to stop."""
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not break the frames
    run_event_loop(_serve_staff(inbox, outbox, seed))


async def _serve_staff(inbox: Any, outbox: Any, seed: int) -> None:
    def receive() -> Any:
        header = inbox.read(4)
        if len(header) < 4:
            return None
        return pickle.loads(inbox.read(int.from_bytes(header, "big")))

    def answer(value: Any) -> None:
        _write_frame(outbox, value)
        outbox.flush()

    async with Sandbox(rate_limits=False) as sandbox:
        staff = VirtualStaff(sandbox, seed)
        while True:
            message = await asyncio.to_thread(receive)
            if message is None:
                return  # the bot's side is gone
            operation, args = message
            if operation == "stop":
                answer((True, None))
                return
            try:
                result = await getattr(staff, operation)(*args)
            except Exception:
                answer((False, traceback.format_exc()))
            else:
                answer((True, result))


def _original(message: ChatMessage) -> str:
    """What the bot first sent (a confirmed message was edited since)."""
    if message.edits:
        return message.edits[0].text or ""
    return message.text or ""


def simulate(
    staff: int, seed: int, document: Path | None = None, channel: str = "telegram", keep: Path | None = None
) -> Result:
    return run_event_loop(Simulation(staff, seed, document, channel, keep).run())
