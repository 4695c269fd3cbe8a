"""The delivery worker alone: one message queued for every linked person, sent to
the sandbox (with latency) through python-telegram-bot on the aiohttp transport.

    python bench/delivery.py --staff 2000 --latency-ms 50 --rate 1000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path

from bot.db.migrate import upgrade
from bot.db.models import ChannelIdentity, Staff
from bot.domain.enums import Channel, DeliveryKind
from bot.runtime import Runtime, RuntimeOptions
from bot.sandbox import Sandbox
from bot.services import deliveries
from bot.services.clock import FakeClock
from bot.settings import load_settings


async def run(staff: int, latency_ms: float, rate: float) -> None:
    now = dt.datetime(2026, 11, 23, 2, tzinfo=dt.timezone.utc)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        async with Sandbox(rate_limits=False, latency_ms=latency_ms) as sandbox:
            runtime = Runtime(
                load_settings(database_url=url, send_rate=rate), clock=FakeClock(now),
                telegram_token=sandbox.token, telegram_base_url=sandbox.telegram_base_url(),
                options=RuntimeOptions(polling=False, run_worker=False, run_scheduler=False, migrate=False),
            )
            await runtime.start()
            try:
                assert runtime.sessions is not None and runtime.worker is not None
                async with runtime.sessions() as session, session.begin():
                    for index in range(staff):
                        user = await sandbox.create_user(first_name=f"U{index}", started=True)
                        person = Staff(full_name=f"Người {index}", roles="staff", active=True, created_at=now, updated_at=now)
                        session.add(person)
                        await session.flush()
                        session.add(ChannelIdentity(staff_id=person.id, channel=Channel.TELEGRAM,
                                                    external_user_id=str(user.id), chat_id=str(user.id), linked_at=now))
                    await session.flush()
                    ids = [p for p in (await session.scalars(Staff.__table__.select().with_only_columns(Staff.id))).all()]
                    await deliveries.queue_message(
                        session, source="notice:bench", kind=DeliveryKind.NOTICE, staff_ids=ids,
                        payload={"text": "Thông báo **thử** tốc độ gửi."}, due_at=now, now=now,
                    )
                runtime.worker.batch = 256
                runtime.worker.concurrency = 128
                began, cpu = time.perf_counter(), time.process_time()
                sent = await runtime.worker.drain()
                wall, used = time.perf_counter() - began, time.process_time() - cpu
                stats = await sandbox.get_stats()
                print(
                    f"staff={staff} latency_ms={latency_ms} sent={sent} received={stats.messages_sent} "
                    f"wall={wall:.2f}s rate={sent / wall:.0f} msg/s cpu_per_msg={used / sent * 1000:.2f} ms "
                    "(the sandbox runs in this process: its CPU is included)"
                )
            finally:
                await runtime.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="the worker's global limit, messages a second")
    args = parser.parse_args()
    asyncio.run(run(args.staff, args.latency_ms, args.rate))
