"""Campaigns: the legal clock, the audience snapshot, the drip plan, the lifecycle.

A campaign's plan is not stored: it is recomputed from the campaign's own dates,
send window and sections (the computation is pure and deterministic), so that
``campaign plan``, the delivery tick and a later joiner's catch-up all read the
same schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.cache import Cache
from bot.db.models import (
    Campaign,
    CampaignMember,
    Delivery,
    Department,
    Document,
    Section,
    Staff,
)
from bot.domain import chunking, drip, legal
from bot.domain.calendar import WorkCalendar
from bot.domain.dates import format_date_vi
from bot.domain.enums import CampaignKind, CampaignStatus, DeliveryStatus, Role
from bot.domain.limits import TELEGRAM_LAST_RESERVE, TELEGRAM_TEXT_LIMIT
from bot.domain.text import fold
from bot.domain.texts import t
from bot.services import audit
from bot.services.documents import SectionView

MAX_WINDOW_DAYS = 366  # a year: anything longer is a typo
DEFAULT_SEND_WINDOW = drip.SendWindow()


class CampaignRejected(Exception):
    """The campaign cannot be created as asked; ``issues`` say why (Vietnamese)."""

    def __init__(self, issues: Sequence[legal.Issue | str]) -> None:
        self.messages = [i.message() if isinstance(i, legal.Issue) else i for i in issues]
        # Only warnings stand in the way: --force would let the campaign through.
        self.forceable = bool(issues) and all(isinstance(i, legal.Issue) and i.needs_force for i in issues)
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class Audience:
    """Who a campaign or an announcement is for: everyone active, or chosen units/roles."""

    departments: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()

    def to_json(self, department_ids: Sequence[int]) -> dict[str, Any]:
        return {"departments": list(department_ids), "roles": [r.value for r in self.roles]}


@dataclass
class CreateResult:
    campaign: Campaign
    members: int
    notes: list[str] = field(default_factory=list)  # warnings the clerk forced through, info


@lru_cache(maxsize=1)
def calendar() -> WorkCalendar:
    return WorkCalendar()


async def resolve_departments(session: AsyncSession, names: Sequence[str]) -> list[int]:
    """Department ids for names typed by the clerk (diacritics and case forgiven)."""
    if not names:
        return []
    departments = (await session.scalars(select(Department).order_by(Department.name))).all()
    by_key = {fold(d.name): d.id for d in departments}
    known = ", ".join(d.name for d in departments)
    unknown = [n for n in names if fold(n) not in by_key]
    if unknown:
        raise CampaignRejected([t("campaign.unknown_department", name=n, known=known) for n in unknown])
    return [by_key[fold(n)] for n in names]


def audience_filter(audience: dict[str, Any]) -> list[Any]:
    """SQL conditions on Staff for a stored audience."""
    conditions: list[Any] = [Staff.active.is_(True)]
    if audience.get("departments"):
        conditions.append(Staff.department_id.in_(audience["departments"]))
    if audience.get("roles"):
        conditions.append(or_(*(Staff.roles.like(f"%{role}%") for role in audience["roles"])))
    return conditions


async def create_campaign(
    session: AsyncSession,
    *,
    document_id: int,
    decided_on: dt.date,
    start_on: dt.date,
    days: int,
    now: dt.datetime,
    tz: str,
    kind: CampaignKind = CampaignKind.DISCLOSURE,
    audience: Audience = Audience(),
    force: bool = False,
    send_window: drip.SendWindow = DEFAULT_SEND_WINDOW,
    reminder_days: int = drip.DEFAULT_REMINDER_DAYS,
    actor: str = "cli",
) -> CreateResult:
    document = await session.scalar(
        select(Document).where(Document.id == document_id).options(selectinload(Document.sections))
    )
    if document is None:
        raise CampaignRejected([t("campaign.no_document", id=document_id)])
    if not document.sections:
        raise CampaignRejected([t("campaign.empty_document", id=document_id)])
    cal = calendar()
    if days > MAX_WINDOW_DAYS:
        raise CampaignRejected([t("campaign.window_too_long", days=days, limit=MAX_WINDOW_DAYS)])
    try:
        end_on = legal.window_end(start_on, days, kind)
    except legal.WindowError as error:
        raise CampaignRejected([error.issue]) from None
    issues = legal.check_campaign(decided_on, start_on, end_on, cal, kind)
    stopping = legal.blocking(issues, force=force)
    if stopping:
        raise CampaignRejected(stopping)
    local_today = now.astimezone(_zone(tz)).date()
    if start_on < local_today:
        raise CampaignRejected([t("campaign.start_in_past", start=format_date_vi(start_on))])
    department_ids = await resolve_departments(session, audience.departments)
    starts_at, ends_at = legal.window_bounds_utc(start_on, end_on, tz)
    campaign = Campaign(
        document_id=document.id,
        kind=kind,
        status=CampaignStatus.SCHEDULED,
        decided_on=decided_on,
        start_on=start_on,
        end_on=end_on,
        starts_at=starts_at,
        ends_at=ends_at,
        audience=audience.to_json(department_ids),
        send_window_start=send_window.start,
        send_window_end=send_window.end,
        reminder_tail_days=reminder_days,
        forced=bool(force and issues),
        created_at=now,
    )
    session.add(campaign)
    await session.flush()
    plan_for(campaign, document.sections, tz)  # refuse now what the tick could not plan later
    members = await snapshot_members(session, campaign, now)
    if members == 0:
        raise CampaignRejected([t("campaign.no_members")])
    audit.record(
        session, now, actor, "campaign.create", "campaign", campaign.id,
        document=document.id, start=start_on.isoformat(), end=end_on.isoformat(), members=members,
        forced=[i.key for i in issues if i.needs_force] if force else [],
    )
    notes = [f"{i.severity_label}: {i.message()}" for i in issues]
    return CreateResult(campaign, members, notes)


async def snapshot_members(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> int:
    """Freeze the audience as it stands: everyone matching, active, now."""
    staff_ids = (await session.scalars(select(Staff.id).where(*audience_filter(campaign.audience)))).all()
    session.add_all(
        CampaignMember(campaign_id=campaign.id, staff_id=sid, joined_at=now, late=False, deadline_at=campaign.ends_at)
        for sid in staff_ids
    )
    await session.flush()
    return len(staff_ids)


def section_sizes(sections: Sequence[Section] | Sequence[SectionView]) -> list[tuple[int, int]]:
    """(ordinal, Telegram messages) per section: the reading load the drip balances."""
    return [
        (
            s.ordinal,
            len(
                chunking.telegram_chunks(
                    s.path, s.heading, s.body, limit=TELEGRAM_TEXT_LIMIT, last_reserve=TELEGRAM_LAST_RESERVE
                )
            ),
        )
        for s in sections
    ]


def plan_for(campaign: Campaign, sections: Sequence[Section] | Sequence[SectionView], tz: str,
             cache: Cache | None = None) -> drip.DripPlan:
    """The campaign's drip plan (memoised in the runtime's cache: the tick asks for it often)."""
    key = (
        campaign.id, campaign.document_id, campaign.start_on, campaign.end_on,
        campaign.send_window_start, campaign.send_window_end, campaign.reminder_tail_days, tz,
        # the sections themselves: ids repeat across databases (tests, the simulator)
        tuple((s.id, s.ordinal, len(s.body), s.heading) for s in sections),
    )
    plan = cache.get("plans", key) if cache is not None else None
    if plan is None:
        try:
            plan = drip.plan_drip(
                section_sizes(sections),
                campaign.start_on,
                campaign.end_on,
                calendar(),
                send_window=drip.SendWindow(campaign.send_window_start, campaign.send_window_end),
                tz=tz,
                reminder_days=campaign.reminder_tail_days,
            )
        except drip.DripError as error:
            raise CampaignRejected([str(error)]) from None
        if cache is not None:
            cache.put("plans", key, plan)
    return plan


async def load_campaign(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.scalar(
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .options(selectinload(Campaign.document).selectinload(Document.sections))
    )


async def list_campaigns(session: AsyncSession) -> list[Campaign]:
    return list(
        (await session.scalars(select(Campaign).options(selectinload(Campaign.document)).order_by(Campaign.id))).all()
    )


async def close_campaign(session: AsyncSession, campaign: Campaign, now: dt.datetime, actor: str = "cli") -> int:
    """Close now: no more sections go out. Returns how many pending messages were cancelled."""
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = now
    cancelled = await session.execute(
        update(Delivery)
        .where(Delivery.campaign_id == campaign.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error="campaign closed")
    )
    audit.record(session, now, actor, "campaign.close", "campaign", campaign.id)
    return int(cancelled.rowcount or 0)


def _zone(tz: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


async def member_count(session: AsyncSession, campaign_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(CampaignMember.id)).where(
                CampaignMember.campaign_id == campaign_id, CampaignMember.removed_at.is_(None)
            )
        )
        or 0
    )


async def sync_members(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> tuple[int, int]:
    """Keep an open campaign's audience in step with the roster: people added since
    the start join late (with their own catch-up pace and the campaign's deadline),
    people deactivated leave and get nothing more. Returns (joined, left)."""
    # Only the newcomers are read (usually none): the tick never loads the whole audience.
    already = select(CampaignMember.id).where(
        CampaignMember.campaign_id == campaign.id, CampaignMember.staff_id == Staff.id
    )
    joiners = (
        await session.scalars(
            select(Staff.id).where(*audience_filter(campaign.audience), ~already.exists()).order_by(Staff.id)
        )
    ).all()
    session.add_all(
        CampaignMember(campaign_id=campaign.id, staff_id=sid, joined_at=now, late=True, deadline_at=campaign.ends_at)
        for sid in joiners
    )
    leavers = await session.execute(
        update(CampaignMember)
        .where(
            CampaignMember.campaign_id == campaign.id,
            CampaignMember.removed_at.is_(None),
            CampaignMember.staff_id.in_(select(Staff.id).where(Staff.active.is_(False))),
        )
        .values(removed_at=now)
    )
    left = int(leavers.rowcount or 0)
    if left:
        await session.execute(
            update(Delivery)
            .where(
                Delivery.campaign_id == campaign.id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.staff_id.in_(select(Staff.id).where(Staff.active.is_(False))),
            )
            .values(status=DeliveryStatus.CANCELLED, last_error="left the agency")
        )
    if joiners or left:
        audit.record(session, now, "system", "campaign.members", "campaign", campaign.id, joined=len(joiners), left=left)
    return len(joiners), left
