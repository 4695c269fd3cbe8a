"""The dashboard for a large agency: the time each main page takes to answer over HTTP
(queries and rendering) for a campaign of N members on SQLite, to show that the
counts are grouped in SQL and the member table is paged (page 1 and a filtered page
should barely grow with N).

    python bench/dashboard_pages.py 10000 100000
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.db.engine import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.db.models import Department, Staff
from bot.services import web_signin
from bot.services.clock import FakeClock
from bot.settings import load_settings
from bot.web.dashboard import COOKIE, DashboardDeps, add_dashboard_routes

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("report_files_bench", HERE / "report_files.py")
assert _spec is not None and _spec.loader is not None
report_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_files)  # the same synthetic campaign as the report benchmark
NOW = report_files.NOW
RUNS = 5


async def bench(members: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="congkhai-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        campaign_id = await report_files.build(url, members)
        engine = create_engine(url)
        sessions = session_factory(engine)
        clock = FakeClock(NOW)
        async with sessions() as session, session.begin():
            viewer = await session.scalar(select(Staff).order_by(Staff.id).limit(1))
            assert viewer is not None
            viewer.roles = "leader,staff"
            token = (await web_signin.open_session(session, viewer, clock.now())).token
            department = await session.scalar(select(Department.id).order_by(Department.id).limit(1))
        app = web.Application()
        add_dashboard_routes(app, DashboardDeps(sessions, clock, load_settings(database_url=url), lambda: None))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        pages = {
            "campaigns": "/dashboard",
            "overview": f"/dashboard/campaigns/{campaign_id}",
            "members_page_1": f"/dashboard/campaigns/{campaign_id}/members",
            "members_filtered": f"/dashboard/campaigns/{campaign_id}/members?department={department}&status=reading",
            "members_last_page": f"/dashboard/campaigns/{campaign_id}/members?page=100000",
        }
        timings: dict[str, float] = {}
        try:
            async with aiohttp.ClientSession(cookies={COOKIE: token}) as http:
                for name, path in pages.items():
                    samples = []
                    for _ in range(RUNS):
                        began = time.perf_counter()
                        async with http.get(base + path) as response:
                            await response.read()
                            assert response.status == 200, (name, response.status)
                        samples.append(time.perf_counter() - began)
                    timings[f"{name}_ms"] = round(statistics.median(samples) * 1000, 1)
        finally:
            await runner.cleanup()
            await engine.dispose()
        return {"members": members, "backend": "sqlite", "runs": RUNS, "median": timings}


def main() -> None:
    for size in [int(a) for a in sys.argv[1:]] or [10_000]:
        print(json.dumps(asyncio.run(bench(size)), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
