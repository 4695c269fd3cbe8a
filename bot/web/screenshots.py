"""``congkhai dashboard screenshots DIR``: PNGs of the dashboard's main pages at a
phone's width and a desktop's, taken by the system's headless Chromium from the
database in the settings (for instance one left by ``congkhai simulate --keep``).

The dashboard is served on a free local port for the duration; the browser is
signed in by a session opened for the first leader (or union officer, inspector,
administrator) and ended afterwards, so nothing is left that could sign in.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.db.engine import create_engine, session_factory
from bot.db.models import Staff
from bot.domain.enums import Role
from bot.services import dashboard, web_signin
from bot.services.clock import SystemClock
from bot.settings import Settings
from bot.web.browser import DESKTOP, PHONE, chromium, full_page_png, set_viewport
from bot.web.dashboard import COOKIE, PREFIX, DashboardDeps, add_dashboard_routes

WIDTHS = {"dien-thoai": PHONE, "may-tinh": DESKTOP}
ROLE_ORDER = (Role.LEADER, Role.UNION, Role.INSPECTOR, Role.ADMIN)


class NoViewer(Exception):
    """No one in the database may use the dashboard."""


@dataclass(frozen=True)
class Shot:
    name: str
    path: str


async def take(settings: Settings, folder: Path) -> list[Path]:
    """Serve the dashboard, photograph its pages, return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    clock = SystemClock()
    runner: web.AppRunner | None = None
    token: str | None = None
    try:
        async with sessions() as session, session.begin():
            viewer = await _viewer(session)
            token = (await web_signin.open_session(session, viewer, clock.now())).token
            campaigns = await dashboard.campaigns(session)
        app = web.Application()
        add_dashboard_routes(app, DashboardDeps(sessions=sessions, clock=clock, settings=settings, wake=lambda: None))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # no public accessor
        base = f"http://127.0.0.1:{port}"
        shots = [Shot("dot-cong-khai", PREFIX), Shot("thong-bao", f"{PREFIX}/announcements")]
        if campaigns:
            newest = campaigns[0].campaign.id
            shots += [
                Shot("tong-quan", f"{PREFIX}/campaigns/{newest}"),
                Shot("can-bo", f"{PREFIX}/campaigns/{newest}/members"),
                Shot("gop-y", f"{PREFIX}/campaigns/{newest}/comments?show=all"),
            ]
        return await asyncio.to_thread(_photograph, base, token, shots, folder)
    finally:
        if token is not None:
            async with sessions() as session, session.begin():
                await web_signin.end_session(session, token, clock.now())
        if runner is not None:
            await runner.cleanup()
        await engine.dispose()


async def _viewer(session: Any) -> Staff:
    people = (await session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id))).all()
    for role in ROLE_ORDER:
        for person in people:
            if role in person.role_set and web_signin.may_use_dashboard(person):
                return person
    raise NoViewer()


def _photograph(base: str, token: str, shots: list[Shot], folder: Path) -> list[Path]:
    written: list[Path] = []
    with chromium() as driver:
        driver.get(f"{base}{web_signin.LOGIN_PATH}")  # a page of the site, so that its cookie can be set
        driver.add_cookie({"name": COOKIE, "value": token, "path": PREFIX, "httpOnly": True, "sameSite": "Lax"})
        for label, (width, height) in WIDTHS.items():
            for shot in shots:
                set_viewport(driver, width, height)
                driver.get(base + shot.path)
                path = folder / f"{shot.name}-{label}.png"
                path.write_bytes(full_page_png(driver, width))
                written.append(path)
    return written
