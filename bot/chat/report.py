"""``/baocao``: the counts by department, for leadership, the union, inspectors and admins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat.reply import Reply
from bot.db.models import Staff
from bot.domain.dates import format_date_vi
from bot.domain.enums import CampaignStatus
from bot.domain.messages import document_title
from bot.domain.texts import t
from bot.reports.export import chat_files
from bot.services import access, counts, reading, web_signin
from bot.services.campaigns import list_campaigns


async def report(session: AsyncSession, staff: Staff, now: dt.datetime) -> Reply:
    if not access.allowed(staff, access.Action.REPORT):
        return Reply().say(t("access.denied"))
    active = [c for c in await list_campaigns(session) if c.status is CampaignStatus.ACTIVE]
    if not active:
        return Reply().say(t("report.none"))
    reply = Reply()
    for campaign in active:
        sections = len(await reading.sections(session, campaign))
        data = await counts.campaign_counts(session, campaign, sections)
        reply.say(render_counts(data))
    return reply


def render_counts(data: counts.CampaignCounts) -> str:
    c = data.campaign
    lines = [t("report.head", id=c.id, title=document_title(c.document), start=format_date_vi(c.start_on),
               end=format_date_vi(c.end_on), sections=data.sections)]
    for row in data.rows + [data.total]:
        name = row.department or t("report.total")
        lines.append(t("report.row", department=name, members=row.members, linked=row.linked, sent=row.sent,
                       all_confirmed=row.all_confirmed, attested=row.attested, unreachable=row.unreachable))
        lines.append(t("report.channels", linked_telegram=row.linked_telegram, linked_zalo=row.linked_zalo,
                       linked_both=row.linked_both, acks_telegram=row.acks_telegram, acks_zalo=row.acks_zalo))
    lines.append(t("report.feedback", count=data.feedback))
    lines.append(t("report.legend"))
    return "\n".join(lines)


async def files(sessions: async_sessionmaker[AsyncSession], now: dt.datetime, org: str, tz: str) -> Reply:
    """What follows the counts of ``/baocao``: for each open campaign the chart as a photo, the
    spreadsheet and the report with its closing minutes as documents (made in a new
    transaction, after the counts went out: a large agency's files take seconds)."""
    async with sessions() as session, session.begin():
        return Reply(messages=await chat_files(session, now, org, tz))


async def dashboard(session: AsyncSession, staff: Staff, now: dt.datetime, base_url: str) -> Reply:
    """``/dashboard``: a one-time sign-in link for the web dashboard, or a refusal."""
    try:
        issued = await web_signin.issue_link(session, staff, now)
    except web_signin.SignInRefused:
        return Reply().say(t("dashboard.denied"))
    minutes = int(web_signin.LINK_TTL.total_seconds() // 60)
    return Reply().say(t("dashboard.link", minutes=minutes, url=web_signin.link_url(base_url, issued.token)))
