"""Peak memory of the bot broadcasting to a province: a campaign of ``--members`` people (all
linked, all started in the sandbox), the clock set to when everyone's first section is due; the
bot (a fresh process: its peak RSS is its own) ticks, queues the first section for everyone and
sends for ``--seconds`` against the sandbox (its own process, 1,000 msg/s, 50 ms); prints JSON.

    python bench/memory.py --members 100000 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bot.db.engine import create_engine, session_factory
from bot.db.models import ChannelIdentity, Delivery, Staff
from bot.domain.enums import CampaignStatus, Channel, DeliveryStatus
from bot.runtime import SAMPLE_DOCUMENT
from bot.services import campaigns, documents
from bot.services.document_files import read_document

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reports_scale import peak_rss_mb  # noqa: E402
from scale import database, loadavg, sandbox_process, started_users  # noqa: E402

NOW = dt.datetime(2026, 11, 22, 3, tzinfo=dt.UTC)
START = dt.date(2026, 11, 23)
TZ = "Asia/Ho_Chi_Minh"


async def build(url: str, chat_ids: list[int]) -> str:
    """The campaign; returns the time (ISO) when every member's first section is due."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            document = (await documents.import_document(session, read_document(SAMPLE_DOCUMENT), NOW,
                                                        source_name="bench")).document
            for start in range(0, len(chat_ids), 20_000):
                await session.execute(insert(Staff), [
                    {"full_name": f"Cán bộ số {i}", "roles": "staff", "active": True, "created_at": NOW,
                     "updated_at": NOW} for i in range(start, min(len(chat_ids), start + 20_000))
                ])
            ids = (await session.scalars(select(Staff.id).order_by(Staff.id))).all()
            for start in range(0, len(ids), 20_000):
                await session.execute(insert(ChannelIdentity), [
                    {"staff_id": s, "channel": Channel.TELEGRAM, "external_user_id": str(c), "chat_id": str(c),
                     "reachable": True, "linked_at": NOW}
                    for s, c in zip(ids[start:start + 20_000], chat_ids[start:start + 20_000], strict=True)
                ])
            campaign = (await campaigns.create_campaign(session, document_id=document.id, decided_on=START,
                                                         start_on=START, days=20, now=NOW, tz=TZ)).campaign
            await session.execute(text(f"UPDATE campaign SET status = '{CampaignStatus.ACTIVE.value}' "
                                       f"WHERE id = {campaign.id}"))
            views = await documents.sections_of(session, document.id)
            plan = campaigns.plan_for(campaign, views, TZ)
            due = plan.items[0].due_utc + plan.stagger_budget + dt.timedelta(minutes=1)
        return due.isoformat()
    finally:
        await engine.dispose()


async def child(url: str, base: str, at: str, seconds: float) -> dict[str, Any]:
    import bot.cli  # noqa: F401 - everything `congkhai run` loads before the bot starts
    from bot.runtime import Runtime, RuntimeOptions
    from bot.sandbox import DEFAULT_TOKEN
    from bot.services.clock import FakeClock
    from bot.settings import load_settings

    baseline = peak_rss_mb()
    samples: list[tuple[float, float]] = []  # (seconds since the start, RSS in MB): when the peak came
    began = time.perf_counter()

    async def sample() -> None:
        while True:
            samples.append((round(time.perf_counter() - began, 1), rss_mb()))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    runtime = Runtime(
        load_settings(database_url=url, send_rate=1000.0, telegram_token=None, zalo_token=None, timezone=TZ),
        clock=FakeClock(dt.datetime.fromisoformat(at)), telegram_token=DEFAULT_TOKEN, telegram_base_url=base,
        options=RuntimeOptions(polling=False, migrate=False, set_commands=False),
    )
    await runtime.start()  # the scheduler's first tick queues the first section for everyone
    ticked = time.perf_counter() - began
    after_tick = peak_rss_mb()
    await asyncio.sleep(max(0.0, seconds - ticked))
    assert runtime.worker is not None and runtime.sessions is not None
    sent = runtime.worker.stats.sent
    async with runtime.sessions() as session:
        queued = int(await session.scalar(select(func.count(Delivery.id))) or 0)
        pending = int(await session.scalar(select(func.count(Delivery.id)).where(
            Delivery.status == DeliveryStatus.PENDING)) or 0)
    await runtime.stop()
    sampler.cancel()
    peak_at, peak = max(samples, key=lambda s: s[1])
    every_5s = [mb for at, mb in samples if at % 5 < 0.5]
    return {"rss_mb_sampled_peak": peak, "rss_sampled_peak_at_s": peak_at, "rss_mb_every_5_s": every_5s,
            "rss_mb_after_imports": baseline, "rss_peak_mb_after_first_tick": after_tick,
            "first_tick_seconds": round(ticked, 1), "rows_queued": queued, "rows_pending_at_the_end": pending,
            "sent_in_the_run": sent, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


async def main(args: argparse.Namespace) -> None:
    report: dict[str, Any] = {"command": " ".join(["python", *sys.argv]), "loadavg_before": loadavg(),
                              "cpus": os.cpu_count(), "runs": []}
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    async with sandbox_process(1000.0, 50.0) as (client, sandbox):
        report["sandbox"] = " ".join(sandbox)
        with tempfile.TemporaryDirectory() as folder:
            for kind in kinds:
                await client.reset()
                chat_ids = await started_users(client, args.members)
                async with database(kind, args.postgres, folder) as url:
                    at = await build(url, chat_ids)
                    done = await asyncio.to_thread(subprocess.run, [
                        sys.executable, __file__, "--child", url, client.telegram_base_url(), at, str(args.seconds)
                    ], capture_output=True, text=True)
                    if done.returncode:
                        raise RuntimeError(done.stderr[-3000:])
                    report["runs"].append({"database": kind, "members": args.members,
                                           **json.loads(done.stdout.strip().splitlines()[-1])})
    report["loadavg_after"] = loadavg()
    print(json.dumps(report, ensure_ascii=False, indent=2))


def rss_mb() -> float:
    """This process's RSS now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        from bot.runtime import run_event_loop

        print(json.dumps(run_event_loop(child(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])))))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL (a database is created and dropped)")
    asyncio.run(main(parser.parse_args()))
