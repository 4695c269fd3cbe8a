"""Report files for a large agency: time of each format for a campaign of N members (SQLite),
then the peak Python memory (tracemalloc, which slows the run several times) of each, to show
the member table is streamed: the peak should barely grow with N.

    python bench/report_files.py 10000 100000
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import insert, select

from bot.db.engine import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.db.models import Ack, Campaign, CampaignMember, ChannelIdentity, Department, Section, Staff
from bot.domain.enums import Channel
from bot.reports import export
from bot.runtime import SAMPLE_DOCUMENT
from bot.services import campaigns, documents
from bot.services.document_files import read_document
from bot.settings import load_settings

NOW = dt.datetime(2026, 11, 22, 3, tzinfo=dt.UTC)  # the day before the start; acks are dated later
START = dt.date(2026, 11, 23)


async def build(url: str, members: int) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            document = (await documents.import_document(session, read_document(SAMPLE_DOCUMENT), NOW,
                                                        source_name="bench")).document
            departments = [Department(name=f"Phòng {n:02d}") for n in range(20)]
            session.add_all(departments)
            await session.flush()
            await session.execute(insert(Staff), [
                {"full_name": f"Cán bộ số {i}", "department_id": departments[i % 20].id, "position": "Chuyên viên",
                 "roles": "staff", "active": True, "created_at": NOW, "updated_at": NOW}
                for i in range(members)
            ])
            campaign_id = (await campaigns.create_campaign(
                session, document_id=document.id, decided_on=START, start_on=START, days=20, now=NOW,
                tz="Asia/Ho_Chi_Minh")).campaign.id
            ids = (await session.scalars(select(Staff.id))).all()
            await session.execute(insert(ChannelIdentity), [
                {"staff_id": s, "channel": Channel.TELEGRAM, "external_user_id": str(s), "chat_id": str(s),
                 "reachable": True, "linked_at": NOW} for s in ids if s % 10
            ])
            sections = (await session.scalars(select(Section.ordinal).where(Section.document_id == document.id))).all()
            await session.execute(insert(Ack), [
                {"campaign_id": campaign_id, "staff_id": s, "item": o, "at": NOW + dt.timedelta(days=1 + o), "via": Channel.TELEGRAM}
                for s in ids if s % 3 for o in sections[:4]
            ])
            assert await session.get(Campaign, campaign_id) is not None
            count = await session.scalar(select(CampaignMember.id).order_by(CampaignMember.id.desc()).limit(1))
            assert count is not None
        return campaign_id
    finally:
        await engine.dispose()


async def _render(url: str, campaign_id: int, fmt: str) -> bytes:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            _, data = await export.render_report(
                session, campaign_id, fmt, NOW + dt.timedelta(days=8), load_settings(database_url=url)  # type: ignore[arg-type]
            )
            return data
    finally:
        await engine.dispose()


async def measure(url: str, campaign_id: int, fmt: str) -> dict[str, object]:
    began, cpu = time.perf_counter(), time.process_time()
    data = await _render(url, campaign_id, fmt)
    wall, used = time.perf_counter() - began, time.process_time() - cpu
    tracemalloc.start()
    await _render(url, campaign_id, fmt)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"format": fmt, "seconds": round(wall, 2), "cpu_seconds": round(used, 2),
            "peak_python_mb": round(peak / 2**20, 1), "file_mb": round(len(data) / 2**20, 2)}


async def main(sizes: list[int]) -> None:
    for members in sizes:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await asyncio.to_thread(upgrade, url)
            began = time.perf_counter()
            campaign_id = await build(url, members)
            setup = round(time.perf_counter() - began, 1)
            for fmt in ("xlsx", "csv", "docx", "png"):
                print(json.dumps({"members": members, "setup_seconds": setup, **await measure(url, campaign_id, fmt)}),
                      flush=True)


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [10_000]))
