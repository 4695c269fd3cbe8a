"""A whole bot on a fake clock against the sandbox Bot API, over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import Staff
from bot.domain.document import ParsedDocument
from bot.domain.roster import parse_table
from bot.runtime import Runtime, RuntimeOptions
from bot.sandbox import Sandbox, VirtualUser
from bot.services import campaigns, documents, roster
from bot.services.clock import FakeClock
from bot.services.document_files import read_document
from bot.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEED = REPO / "tests" / "fixtures" / "documents" / "ke-hoach-cong-khai-tan-trung-2024.md"
ROSTER = [
    ["Họ và tên", "Đơn vị", "Chức vụ", "Số điện thoại", "Vai trò"],
    ["Nguyễn Văn An", "Ban Giám đốc", "Giám đốc", "0912000001", "lãnh đạo"],
    ["Trần Thị Bình", "Văn phòng", "Chuyên viên", "0912000002", ""],
    ["Lê Văn Cường", "Văn phòng", "Chủ tịch Công đoàn", "0912000003", "công đoàn"],
    ["Phạm Thị Dung", "Phòng Kế hoạch", "Chuyên viên", "0912000004", ""],
    ["Hoàng Văn Em", "Phòng Kế hoạch", "Chuyên viên", "0912000005", ""],
]


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).astimezone(dt.timezone.utc)


@dataclass
class Harness:
    runtime: Runtime
    sandbox: Sandbox
    clock: FakeClock
    codes: dict[str, str] = field(default_factory=dict)  # full name -> invite code
    users: dict[str, VirtualUser] = field(default_factory=dict)

    @property
    def sessions(self) -> Any:
        return self.runtime.sessions

    async def import_document(self, path: Path = SEED) -> int:
        parsed: ParsedDocument = read_document(path)
        async with self.sessions() as session, session.begin():
            outcome = await documents.import_document(session, parsed, self.clock.now(), source_name=path.name)
            return outcome.document.id

    async def import_roster(self, table: list[list[str]] = ROSTER) -> None:
        async with self.sessions() as session, session.begin():
            await roster.import_roster(session, parse_table(table), self.clock.now())
            for issued in await roster.issue_invites(session, self.clock.now()):
                self.codes[issued.staff.full_name] = issued.code

    async def create_campaign(self, document_id: int, start: dt.date, **kwargs: Any) -> int:
        async with self.sessions() as session, session.begin():
            result = await campaigns.create_campaign(
                session, document_id=document_id, decided_on=start, start_on=start, days=kwargs.pop("days", 20),
                now=self.clock.now(), tz="Asia/Ho_Chi_Minh", **kwargs,
            )
            return result.campaign.id

    async def open_campaign(self, start: dt.date, roster: list[list[str]] = ROSTER, **kwargs: Any) -> int:
        """The usual setup: the roster, the seed document, a campaign from ``start``."""
        await self.import_roster(roster)
        return await self.create_campaign(await self.import_document(), start, **kwargs)

    async def confirm_all(self, name: str) -> int:
        """Press every "✅ Đã đọc" still showing in the person's chat; returns how many."""
        pressed = 0
        for message in await self.bot_messages(name):
            ack = next((b for b in message.buttons if b["text"] == "✅ Đã đọc"), None)
            if ack is not None:
                record = await self.sandbox.press_button(self.users[name].id, message.message_id, ack["callback_data"])
                await self.sandbox.wait_for_answer(record.id)
                pressed += 1
        return pressed

    async def mark_sent(self, staff_id: int, campaign_id: int, ordinals: Any, at: dt.datetime | None = None) -> None:
        """Record sections as sent to a person (as the worker would), without a messenger."""
        from bot.db.models import Campaign, Delivery
        from bot.domain.enums import Channel, DeliveryKind, DeliveryStatus
        from bot.services import tallies
        from bot.services.deliveries import campaign_source
        from bot.services.documents import sections_of

        when = at or self.clock.now()
        ordinals = list(ordinals)
        async with self.sessions() as session, session.begin():
            campaign = await session.get(Campaign, campaign_id)
            assert campaign is not None
            ids = {s.ordinal: s.id for s in await sections_of(session, campaign.document_id)}
            for ordinal in ordinals:
                session.add(Delivery(
                    source=campaign_source(campaign_id), kind=DeliveryKind.SECTION, campaign_id=campaign_id,
                    staff_id=staff_id, section_id=ids[ordinal], item=ordinal, due_at=when, status=DeliveryStatus.SENT,
                    sent_at=when, channel=Channel.TELEGRAM, chunk_index=1, attempts=0, created_at=when,
                ))
            await tallies.add_sent(session, {(campaign_id, staff_id): len(ordinals)})

    async def register(self, name: str) -> VirtualUser:
        """A person opens their deep link: /start <code>, and the bot answers."""
        user = await self.sandbox.create_user(first_name=name.split()[-1])
        self.users[name] = user
        await self.sandbox.send_text(user.id, f"/start {self.codes[name]}")
        await self.sandbox.wait_for_messages(user.id, 1)
        return user

    async def bot_messages(self, name: str) -> list[Any]:
        return await self.sandbox.read_chat(self.users[name].id)

    async def wait_bot_messages(self, name: str, count: int, timeout: float = 5.0) -> list[Any]:
        return await self.sandbox.wait_for_messages(self.users[name].id, count, timeout=timeout)

    async def run_until_idle(self) -> int:
        """Tick and send everything due now (chunks a second apart, on the fake clock)."""
        sent = 0
        for _ in range(50):
            await self.runtime.tick()
            assert self.runtime.worker is not None
            handled = await self.runtime.worker.drain()
            sent += handled
            if handled == 0:
                # a chunk waits a second for the next one: let the fake second pass
                self.clock.advance(dt.timedelta(seconds=1))
                await self.runtime.tick()
                if await self.runtime.worker.drain() == 0:
                    break
        return sent

    async def send_all(self, fake_seconds: int = 900) -> None:
        """Tick and send until nothing is pending, letting fake time pass for retries."""
        from bot.db.models import Delivery
        from bot.domain.enums import DeliveryStatus

        for _ in range(fake_seconds):
            await self.run_until_idle()
            async with self.sessions() as session:
                pending = await session.scalar(
                    select(Delivery.id).where(Delivery.status == DeliveryStatus.PENDING).limit(1)
                )
            if pending is None:
                return
            self.clock.advance(dt.timedelta(seconds=1))
        raise AssertionError("deliveries still pending")

    async def restart(self) -> None:
        """Stop the bot cleanly and start a new one on the same database and sandbox."""
        await self.runtime.stop()
        self.runtime = new_runtime(self.runtime.settings.database_url, self.sandbox, self.clock)
        await self.runtime.start()

    async def staff_id(self, name: str) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(Staff.id).where(Staff.full_name == name)))


@asynccontextmanager
async def running_bot(db_url: str, start: dt.datetime, **knobs: Any) -> AsyncIterator[Harness]:
    clock = FakeClock(start)
    knobs.setdefault("rate_limits", False)
    async with Sandbox(**knobs) as sandbox:
        harness = Harness(new_runtime(db_url, sandbox, clock), sandbox, clock)
        await harness.runtime.start()
        try:
            yield harness
        finally:
            await harness.runtime.stop()


def new_runtime(db_url: str, sandbox: Sandbox, clock: FakeClock) -> Runtime:
    return Runtime(
        load_settings(database_url=db_url, chat_send_rate=0),  # the sandbox here has no rate limits
        clock=clock,
        telegram_token=sandbox.token,
        telegram_base_url=sandbox.telegram_base_url(),
        options=RuntimeOptions(run_worker=False, run_scheduler=False, migrate=False),
    )



