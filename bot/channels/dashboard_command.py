"""``/dashboard`` in chat: a one-time sign-in link for the web dashboard, or a refusal
for a role that has none. The same screen serves every messenger; the link itself is
issued by :mod:`bot.services.web_signin`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Staff
from bot.domain.texts import t
from bot.services import web_signin
from bot.services.flows import Reply


async def dashboard_reply(session: AsyncSession, staff: Staff, now: dt.datetime, base_url: str) -> Reply:
    try:
        issued = await web_signin.issue_link(session, staff, now)
    except web_signin.SignInRefused:
        return Reply().say(t("dashboard.denied"))
    minutes = int(web_signin.LINK_TTL.total_seconds() // 60)
    return Reply().say(t("dashboard.link", minutes=minutes, url=web_signin.link_url(base_url, issued.token)))
