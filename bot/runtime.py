"""Wiring: settings, database, channels, the delivery worker and the scheduler
into one running bot (``congkhai run``), and the same pieces for tests and the
simulator, which drive them on a fake clock.

The scheduler (APScheduler) only calls ``tick(now)`` every few seconds; all the
state lives in the database, so a restart resumes where the rows say.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import os
import socket
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.error import TelegramError
from telegram.ext import Updater

from bot.channels.base import BotContext
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_client import ZaloClient
from bot.chat import notices
from bot.chat.core import Chat
from bot.db.cache import Cache
from bot.db.engine import create_engine, deployment_key_of, is_sqlite, session_factory
from bot.db.migrate import upgrade
from bot.domain import invite
from bot.domain.enums import Channel, DeliveryKind
from bot.domain.messages import Message
from bot.outbox.protocol import ChannelAdapter, SendError, Unauthorized
from bot.outbox.worker import Outbox
from bot.services import deliveries, heartbeat, reminders, updates
from bot.services.cluster import Cluster
from bot.services.clock import Clock, SystemClock
from bot.settings import Settings

log = logging.getLogger(__name__)

TICK_SECONDS = 5
CLUSTER_SECONDS = 2  # how often a process counts the live ones and tries to lead (PostgreSQL)
STOP_POLLING_SECONDS = 3.0

T = TypeVar("T")
GC_YOUNG_THRESHOLD = 50_000  # the default, 700, runs the collector thousands of times a second here


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run a long-lived coroutine (the bot, the sandbox, the simulator) on uvloop where it is
    installed (Linux, macOS), else on asyncio's own loop. The bot's CPU goes largely to the
    event loop and its transports, which uvloop runs at a fraction of the cost.

    Every update makes many short-lived objects (python-telegram-bot's, SQLAlchemy's), so the
    cyclic collector runs far less often, and never rescans what the imports made."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


@dataclass
class RuntimeOptions:
    polling: bool = True  # getUpdates (Telegram, Zalo); False when webhooks (or a test) feed updates
    run_worker: bool = True  # False: the caller drains the queue itself (tests, simulator)
    run_scheduler: bool = True  # False: the caller ticks itself
    set_commands: bool = True
    migrate: bool = True
    check_tokens: bool = False  # getMe on every messenger before starting (``congkhai run``)


def claim_batch(send_rate: float) -> int:
    """Rows claimed at once: a quarter of a second's sending, at least 64. A claim costs a few
    statements whatever its size, so at a high ceiling (a paid broadcast, 1,000 msg/s) small
    batches would spend the time between sends claiming (measured in ``bench/scale.py``)."""
    return max(64, math.ceil(send_rate / 4))


class TokensRefused(SendError):
    """One or more messengers refused the bot's token at start."""

    def __init__(self, channels: list[Channel]) -> None:
        super().__init__(", ".join(c.value for c in channels))
        self.channels = channels


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        telegram_token: str | None = None,
        telegram_base_url: str | None = None,
        zalo_token: str | None = None,
        zalo_base_url: str | None = None,
        options: RuntimeOptions | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.options = options or RuntimeOptions()
        self._telegram_token = telegram_token or (
            settings.telegram_token.get_secret_value() if settings.telegram_token else None
        )
        self._telegram_base_url = telegram_base_url or settings.telegram_api_base
        self._zalo_token = zalo_token or (settings.zalo_token.get_secret_value() if settings.zalo_token else None)
        self._zalo_base_url = zalo_base_url or settings.zalo_api_base
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.http: aiohttp.ClientSession | None = None
        self.channels: dict[Channel, ChannelAdapter] = {}
        self.telegram: TelegramChannel | None = None
        self.zalo: ZaloChannel | None = None
        self.worker: Outbox | None = None  # the outbox: deliveries and replies
        self.chat: Chat | None = None
        self.cache = Cache()  # what this process keeps in memory about the database (bot/db/cache.py)
        self.scheduler: AsyncIOScheduler | None = None
        self.cluster: Cluster | None = None  # several processes on one PostgreSQL database
        self._worker_task: asyncio.Task[None] | None = None
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
        self.reminder_policy = reminders.ReminderPolicy(
            digest_at=settings.reminder_time, last_call_days=settings.last_call_days
        )

    async def start(self) -> None:
        url = self.settings.database_url
        if self.options.migrate and is_sqlite(url):
            await asyncio.to_thread(upgrade, url)
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine, self.cache, self._secret())
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        self.chat = Chat(self.sessions, self.clock, self.settings.timezone, self._wake,
                         org_name=self.settings.org_name, dashboard_url=self.settings.dashboard_base_url)
        ctx = BotContext(self.chat, self._wake, self._reply)
        if self._telegram_token:
            self.telegram = TelegramChannel(self._telegram_token, self._telegram_base_url, ctx, self.http)
            self.channels[Channel.TELEGRAM] = self.telegram
        if self._zalo_token:
            self.zalo = ZaloChannel(ZaloClient(self._zalo_token, self._zalo_base_url, self.http), ctx)
            self.channels[Channel.ZALO] = self.zalo
        self.worker = Outbox(
            self.sessions, self.clock, self.channels, rate=self.settings.send_rate,
            batch=claim_batch(self.settings.send_rate), concurrency=claim_batch(self.settings.send_rate),
            chat_rate=self.settings.chat_send_rate, chat_burst=self.settings.chat_send_burst, compose=self._compose,
            on_resumed=self._token_accepted,
        )
        if self.options.check_tokens:
            await self.check_tokens()
        if self.telegram is not None:
            app = self.telegram.application
            await app.initialize()
            if self.options.set_commands:
                await self.telegram.set_commands()
            await app.start()
            if self.options.polling and app.updater is not None:
                await self._poll_telegram()
        if self.zalo is not None and self.options.polling:
            self.zalo.start_polling()
        if self.options.run_worker:
            self._worker_task = asyncio.create_task(self.worker.run(), name="delivery-worker")
        if self.options.run_scheduler:
            self.cluster = Cluster(self.engine)
            await self.coordinate()
            self.scheduler = AsyncIOScheduler(timezone="UTC")
            self.scheduler.add_job(self.scheduled_tick, "interval", seconds=TICK_SECONDS, max_instances=1, coalesce=True)
            self.scheduler.add_job(self.coordinate, "interval", seconds=CLUSTER_SECONDS, max_instances=1, coalesce=True)
            self.scheduler.add_job(
                self.heartbeat, "interval", seconds=heartbeat.INTERVAL.total_seconds(), max_instances=1, coalesce=True
            )
            self.scheduler.start()
            await self.heartbeat()
            await self.scheduled_tick()

    def _secret(self) -> bytes | None:
        """The key of the keyed hashes kept in the database, from ``SECRET_KEY``: the same in
        every process of one deployment. Without it each process draws its own."""
        return self.settings.deployment_key()

    def _compose(self, kind: DeliveryKind, payload: dict[str, Any] | None, campaign_id: int | None, title: str,
                 sections: int) -> Message:
        """A queued row's message, in the chat layer's words (bot/chat/notices.py)."""
        return notices.compose(kind, payload, self.settings.timezone, campaign_id=campaign_id, title=title,
                               sections=sections)

    async def check_tokens(self) -> None:
        """Ask every configured messenger who the bot is (getMe); raise :class:`TokensRefused`
        naming every messenger that refused its token."""
        refused: list[Channel] = []
        for channel, adapter in self.channels.items():
            try:
                await adapter.check()
            except Unauthorized:
                refused.append(channel)
        if refused:
            raise TokensRefused(refused)

    async def _poll_telegram(self) -> None:
        assert self.telegram is not None and self.telegram.application.updater is not None
        await self.telegram.application.updater.start_polling(poll_interval=0.0, timeout=10, drop_pending_updates=False)

    async def _stop_telegram_polling(self) -> None:
        assert self.telegram is not None and self.telegram.application.updater is not None
        try:
            await self.telegram.application.updater.stop()
        except TelegramError as error:  # polling ended on it earlier (a refused token): already said
            log.warning("telegram polling had stopped: %s", type(error).__name__)

    async def _token_accepted(self, channel: Channel) -> None:
        """A messenger accepts the token again: polling, which python-telegram-bot ends for good
        on a refused token, starts again on a new Updater, from the update the old one reached."""
        if channel is not Channel.TELEGRAM or self.telegram is None or not self.options.polling:
            return
        app = self.telegram.application
        old = app.updater
        if old is None:
            return
        if old.running:
            await self._stop_telegram_polling()
        await old.shutdown()
        fresh = Updater(app.bot, app.update_queue)
        fresh._last_update_id = old._last_update_id  # no update handled twice
        await fresh.initialize()
        app.updater = fresh
        await self._poll_telegram()

    def _wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    async def _reply(self, channel: Channel, chat_id: str, messages: Sequence[Message]) -> None:
        assert self.worker is not None
        await self.worker.reply(channel, chat_id, messages)

    async def tick(self) -> deliveries.TickReport:
        """Everything the clock makes due, then a nudge to the worker."""
        assert self.sessions is not None
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            report = await deliveries.tick(session, now, self.settings.timezone)
            report.reminders = await reminders.queue_due(session, now, self.settings.timezone, self.reminder_policy)
            await updates.prune(session, now)
        if report.queued or report.activated or report.reminders:
            self._wake()
        return report

    async def coordinate(self) -> None:
        """Several processes on one database: only the leader ticks, and each sends at its part
        of the messenger's overall limit (SEND_RATE / live processes), so that together they
        never exceed it. Measured in ``bench/processes.py``."""
        if self.cluster is None or self.worker is None:
            return
        was_leader = self.cluster.leader
        standing = await self.cluster.refresh()
        if standing.leader and not was_leader:
            # what this process noted when it last ran the tick may have changed since under
            # another leader: the tick's own notes are worked out afresh
            self.cache.invalidate("watermarks")
            self.cache.invalidate("reminders")
        share = self.settings.send_rate / standing.live
        for budget in self.worker.budgets.values():
            budget.set_rate(share)
        # a claim holds a quarter of a second of this process's own sending: what a killed process
        # leaves claimed, and so what may go twice, shrinks with its share
        self.worker.batch = self.worker.concurrency = claim_batch(share)

    @property
    def leader(self) -> bool:
        """This process runs the scheduler's tick (always, on SQLite or without a cluster)."""
        return self.cluster is None or self.cluster.leader

    async def scheduled_tick(self) -> None:
        """The scheduler's tick: on the leader only (the heartbeat stays per process)."""
        if self.leader:
            await self.tick()

    async def heartbeat(self) -> None:
        """The mark that this process is serving: the continuity evidence of every open window."""
        assert self.sessions is not None
        try:
            async with self.sessions() as session, session.begin():
                await heartbeat.beat(session, self.clock.now(), self.instance)
        except Exception:  # a missed mark shows as a gap in the report; the bot carries on
            log.warning("heartbeat not recorded", exc_info=True)

    async def stop(self) -> None:
        """Stop taking updates, let the sends in flight finish and be recorded, close."""
        polling: asyncio.Future[None] | None = None
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.cluster is not None:
            await self.cluster.close()
        if self.telegram is not None:
            app = self.telegram.application
            if app.updater is not None and app.updater.running:
                # When Telegram does not answer, the updater would wait out its last getUpdates
                # (tens of seconds); past a few seconds stop without it: closing the HTTP session
                # below ends that request.
                polling = asyncio.ensure_future(self._stop_telegram_polling())
                await asyncio.wait({polling}, timeout=STOP_POLLING_SECONDS)
                if not polling.done():
                    log.warning("Telegram does not answer: stopping without the last getUpdates")
            if app.running:
                await app.stop()
            await app.shutdown()
            await self.telegram.close()
        if self.zalo is not None:
            await self.zalo.stop()
        if self.worker is not None:
            self.worker.stop()
        if self._worker_task is not None:
            await self._worker_task
        if self.worker is not None:
            await self.worker.close()
        if self.http is not None:
            await self.http.close()
        if polling is not None and not polling.done():
            polling.cancel()
            await asyncio.wait({polling}, timeout=STOP_POLLING_SECONDS)
        if self.engine is not None:
            await self.engine.dispose()


# --- the embedded default: no messenger token ------------------------------------------

CONTENT = Path(__file__).resolve().parent.parent / "content"
SAMPLE_DOCUMENT = CONTENT / "quy-che-dan-chu.md"
SAMPLE_ROSTER = CONTENT / "danh-sach-can-bo.csv"


@dataclass
class EmbeddedSeed:
    document_id: int | None
    campaign_id: int | None
    invites: list[tuple[str, str]]  # (full name, code) for a few people to try with


async def seed_embedded(sessions: async_sessionmaker[AsyncSession], clock: Clock, tz: str, *, try_people: int = 3) -> EmbeddedSeed:
    """Fill an empty database with the sample regulation and staff list, open a
    campaign from today, and give a few people invite codes to try. The codes are derived
    from a key kept in the database, so a restart prints the same codes again."""
    from sqlalchemy import func, select

    from bot.db.models import Campaign, Document, Staff
    from bot.domain.enums import CampaignStatus
    from bot.domain.roster import parse_table
    from bot.services import app_secrets, campaigns, documents, roster
    from bot.services.document_files import read_document
    from bot.services.roster_files import read_table

    now = clock.now()
    async with sessions() as session, session.begin():
        document_id = await session.scalar(select(func.min(Document.id)))
        if document_id is None:
            outcome = await documents.import_document(
                session, read_document(SAMPLE_DOCUMENT), now, source_name=SAMPLE_DOCUMENT.name, actor="system"
            )
            document_id = outcome.document.id
        if not await session.scalar(select(func.count(Staff.id))):
            await roster.import_roster(session, parse_table(read_table(SAMPLE_ROSTER)), now, actor="system")
        campaign_id = await session.scalar(
            select(Campaign.id).where(Campaign.status.in_([CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE]))
        )
        if campaign_id is None:
            today = now.astimezone(ZoneInfo(tz)).date()
            created = await campaigns.create_campaign(
                session, document_id=document_id, decided_on=today, start_on=today, days=20, now=now, tz=tz,
                actor="system",
            )
            campaign_id = created.campaign.id
        people = (await session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id))).all()
        key = await app_secrets.get_or_create(session, "embedded_test_codes", now)
        invites: list[tuple[str, str]] = []
        for person in people:
            if len(invites) >= try_people:
                break
            if await roster.identities_of(session, person.id):
                continue
            code = invite.derived_code(key, f"staff:{person.id}")
            person.invite_code_hash = invite.hash_code(code, deployment_key_of(session))
            invites.append((person.full_name, code))
    return EmbeddedSeed(document_id, campaign_id, invites)
