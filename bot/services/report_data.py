"""What a report says, gathered from the database: for one campaign or for every campaign of
a half-year or a year. No texts and no layout here; the renderers in ``bot.reports`` turn it
into XLSX, CSV, DOCX and PNG.

The member table is the only part that grows with the agency, so it is never held whole: it
is read as a stream (:func:`member_rows`) and written row by row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models import (
    Ack,
    Campaign,
    CampaignMember,
    ChannelIdentity,
    Department,
    Section,
    Staff,
)
from bot.domain.enums import CampaignStatus, Channel, Role
from bot.domain.messages import document_title
from bot.services import audit, counts, feedback, heartbeat


class ReportRefused(Exception):
    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason  # "no_campaign", "bad_period", "empty_period"
        self.values = values


@dataclass(frozen=True)
class Period:
    label: str  # "2026-H1", "2026-H2", "2026"
    start: dt.date
    end: dt.date  # inclusive

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def half(self) -> int | None:
        if self.label.endswith("H1"):
            return 1
        if self.label.endswith("H2"):
            return 2
        return None


def parse_period(value: str) -> Period:
    """``2026-H1``, ``2026-H2`` (six months) or ``2026`` (the year)."""
    text = value.strip().upper()
    match = re.fullmatch(r"(\d{4})(?:-H([12]))?", text)
    if match is None:
        raise ReportRefused("bad_period", value=value)
    year = int(match.group(1))
    if match.group(2) == "1":
        return Period(text, dt.date(year, 1, 1), dt.date(year, 6, 30))
    if match.group(2) == "2":
        return Period(text, dt.date(year, 7, 1), dt.date(year, 12, 31))
    return Period(text, dt.date(year, 1, 1), dt.date(year, 12, 31))


@dataclass(frozen=True)
class SectionRate:
    ordinal: int
    path: str
    heading: str
    confirmed: int
    members: int

    @property
    def rate(self) -> float:
        return self.confirmed / self.members if self.members else 0.0


@dataclass
class CampaignReport:
    campaign: Campaign
    title: str
    counts: counts.CampaignCounts
    sections: list[SectionRate]
    daily: list[tuple[dt.date, int]]  # confirmations (sections and attestations) per local day
    continuity: heartbeat.Continuity
    channels: list[Channel]  # the messengers members were reached on
    summary: feedback.Summary

    @property
    def members(self) -> int:
        return self.counts.total.members


@dataclass
class Report:
    org: str
    tz: str
    now: dt.datetime
    period: Period | None
    campaigns: list[CampaignReport] = field(default_factory=list)
    place: str = "……"  # the place of the place-and-date line
    signers: dict[str, str] = field(default_factory=dict)  # "leader", "union", "inspector" -> a name
    audit_head: audit.Head | None = None  # the audit chain's head when the report was made: its evidence

    @property
    def campaign_ids(self) -> list[int]:
        return [c.campaign.id for c in self.campaigns]


@dataclass(frozen=True)
class MemberRow:
    campaign_id: int
    full_name: str
    department: str
    position: str
    channels: tuple[Channel, ...]
    sent: int
    confirmed: int
    sections: int
    last_confirmation: dt.datetime | None
    attested: bool
    reachable: bool | None  # None: no account linked


async def _campaign(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).options(selectinload(Campaign.document))
    )


async def for_campaign(session: AsyncSession, campaign_id: int, now: dt.datetime, org: str, tz: str) -> Report:
    campaign = await _campaign(session, campaign_id)
    if campaign is None:
        raise ReportRefused("no_campaign", id=campaign_id)
    report = Report(org, tz, now, None, [await campaign_report(session, campaign, now, tz)])
    return await _signed(session, report)


async def for_period(session: AsyncSession, period: Period, now: dt.datetime, org: str, tz: str) -> Report:
    """Every campaign whose window overlaps the period."""
    found = (
        await session.scalars(
            select(Campaign)
            .where(Campaign.start_on <= period.end, Campaign.end_on >= period.start)
            .options(selectinload(Campaign.document))
            .order_by(Campaign.start_on, Campaign.id)
        )
    ).all()
    if not found:
        raise ReportRefused("empty_period", period=period.label)
    report = Report(org, tz, now, period, [await campaign_report(session, c, now, tz) for c in found])
    return await _signed(session, report)


async def _signed(session: AsyncSession, report: Report) -> Report:
    """The place from the disclosed document, and who signs for each role (the first active
    person holding it), for the minutes and the signature blocks."""
    places = [c.campaign.document.place for c in report.campaigns if c.campaign.document.place]
    if places:
        report.place = places[0]
    report.audit_head = await audit.head(session)
    for role in (Role.LEADER, Role.UNION, Role.INSPECTOR):
        # ``roles`` is a comma-separated list of role values, none of which contains another
        holder = await session.scalar(
            select(Staff.full_name)
            .where(Staff.active.is_(True), Staff.roles.like(f"%{role.value}%"))
            .order_by(Staff.id)
            .limit(1)
        )
        if holder is not None:
            report.signers[role.value] = holder
    return report


async def open_campaign_ids(session: AsyncSession) -> list[int]:
    """The campaigns being disclosed now, oldest first (what /baocao reports on)."""
    return list((await session.scalars(
        select(Campaign.id).where(Campaign.status == CampaignStatus.ACTIVE).order_by(Campaign.id))).all())


async def campaign_report(session: AsyncSession, campaign: Campaign, now: dt.datetime, tz: str) -> CampaignReport:
    sections = (
        await session.execute(
            select(Section.ordinal, Section.path, Section.heading)
            .where(Section.document_id == campaign.document_id)
            .order_by(Section.ordinal)
        )
    ).all()
    by_department = await counts.campaign_counts(session, campaign, len(sections))
    members = by_department.total.members
    confirmed = dict(
        (
            await session.execute(
                select(Ack.item, func.count(Ack.id))
                .join(CampaignMember, and_(CampaignMember.campaign_id == Ack.campaign_id,
                                           CampaignMember.staff_id == Ack.staff_id))
                .where(Ack.campaign_id == campaign.id, CampaignMember.removed_at.is_(None))
                .group_by(Ack.item)
            )
        ).all()
    )
    rates = [SectionRate(o, p, h, int(confirmed.get(o, 0)), members) for o, p, h in sections]
    summary = await feedback.build_summary(session, campaign.id)
    assert summary is not None
    return CampaignReport(
        campaign=campaign,
        title=document_title(campaign.document),
        counts=by_department,
        sections=rates,
        daily=await _daily(session, campaign, now, tz),
        continuity=await heartbeat.continuity(session, campaign.starts_at, _window_end(campaign), now),
        channels=await _channels(session, campaign.id),
        summary=summary,
    )


def _window_end(campaign: Campaign) -> dt.datetime:
    if campaign.closed_at is not None and campaign.closed_at < campaign.ends_at:
        return campaign.closed_at
    return campaign.ends_at


async def _daily(session: AsyncSession, campaign: Campaign, now: dt.datetime, tz: str) -> list[tuple[dt.date, int]]:
    """Confirmations per local day of the window, counted in one pass by the database."""
    zone = ZoneInfo(tz)
    last = min(campaign.end_on, now.astimezone(zone).date())
    days = [campaign.start_on + dt.timedelta(days=n) for n in range((last - campaign.start_on).days + 1)]
    if not days:
        return []

    def edge(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)

    columns = [
        func.sum(case((and_(Ack.at >= edge(day), Ack.at < edge(day + dt.timedelta(days=1))), 1), else_=0))
        for day in days
    ]
    values = (await session.execute(select(*columns).where(Ack.campaign_id == campaign.id))).one()
    return [(day, int(value or 0)) for day, value in zip(days, values, strict=True)]


async def _channels(session: AsyncSession, campaign_id: int) -> list[Channel]:
    used = (
        await session.scalars(
            select(ChannelIdentity.channel)
            .join(CampaignMember, CampaignMember.staff_id == ChannelIdentity.staff_id)
            .where(CampaignMember.campaign_id == campaign_id)
            .distinct()
        )
    ).all()
    return sorted(set(used), key=lambda c: c.value)


async def member_rows(session: AsyncSession, campaigns: Sequence[CampaignReport]) -> AsyncIterator[MemberRow]:
    """One row per member of each campaign, by department and name, read as a stream."""
    for report in campaigns:
        campaign_id = report.campaign.id
        identity = (
            select(
                ChannelIdentity.staff_id,
                func.max(case((ChannelIdentity.channel == Channel.TELEGRAM, 1), else_=0)).label("telegram"),
                func.max(case((ChannelIdentity.channel == Channel.ZALO, 1), else_=0)).label("zalo"),
                func.max(case((ChannelIdentity.reachable.is_(True), 1), else_=0)).label("reachable"),
            )
            .group_by(ChannelIdentity.staff_id)
            .subquery()
        )
        statement = (
            select(
                Staff.full_name, func.coalesce(Department.name, "—"), Staff.position, identity.c.telegram,
                identity.c.zalo, identity.c.reachable, CampaignMember.sections_sent,
                CampaignMember.sections_confirmed, CampaignMember.attested_at, CampaignMember.last_confirmed_at,
            )
            .select_from(CampaignMember)
            .join(Staff, Staff.id == CampaignMember.staff_id)
            .outerjoin(Department, Department.id == Staff.department_id)
            .outerjoin(identity, identity.c.staff_id == Staff.id)
            .where(CampaignMember.campaign_id == campaign_id, CampaignMember.removed_at.is_(None))
            .order_by(func.coalesce(Department.name, "—"), Staff.full_name, Staff.id)
            .execution_options(yield_per=1000)
        )
        result = await session.stream(statement)
        async for row in result:
            name, department, position, telegram, zalo, reachable, n_sent, n_confirmed, attested, last_at = row
            linked = tuple(c for c, on in ((Channel.TELEGRAM, telegram), (Channel.ZALO, zalo)) if on)
            yield MemberRow(
                campaign_id=campaign_id, full_name=name, department=department, position=position or "",
                channels=linked, sent=int(n_sent or 0), confirmed=int(n_confirmed or 0),
                sections=len(report.sections), last_confirmation=_aware(last_at),
                attested=attested is not None, reachable=None if reachable is None else bool(reachable),
            )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """``max()`` over a UTC column comes back from SQLite without the column's type."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
