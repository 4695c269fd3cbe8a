"""Reminders (DESIGN.md §5): at most one a day per person, on working days inside
working hours, only to members who have sections sent but not confirmed.

Reminders are rows (``reminder`` plus the ``delivery`` that carries it), so a bot
that was down sends a missed one when it comes back the same day, and never twice.
A day that has passed is not caught up: yesterday's reminder is no longer useful.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.db.cache import cache_of
from bot.db.models import (
    Ack,
    Campaign,
    CampaignMember,
    ChannelIdentity,
    Delivery,
    Reminder,
    Staff,
)
from bot.db.queries import after_commit, insert_ignoring_duplicates
from bot.domain.enums import (
    CampaignStatus,
    DeliveryKind,
    DeliveryStatus,
    ReminderKind,
    Role,
)
from bot.domain.messages import document_title
from bot.services import deliveries
from bot.services.campaigns import calendar


@dataclass(frozen=True)
class ReminderPolicy:
    digest_at: dt.time = dt.time(14, 0)  # local time of the daily digest
    work_start: dt.time = dt.time(7, 30)
    work_end: dt.time = dt.time(17, 0)
    last_call_days: int = 2  # working days before the window closes
    laggards: bool = True  # a weekly list of laggards to each department's leaders
    laggards_weekday: int = 0  # Monday


DEFAULT_POLICY = ReminderPolicy()


def last_call_day(campaign: Campaign, policy: ReminderPolicy) -> dt.date:
    """The first day of the last call: ``last_call_days`` working days before the end."""
    cal = calendar()
    last = cal.previous_working_day(campaign.end_on, inclusive=True)
    return cal.add_working_days(last, -(policy.last_call_days - 1)) if policy.last_call_days > 1 else last


def schedule(campaign: Campaign, policy: ReminderPolicy, first_drip_day: dt.date) -> list[tuple[dt.date, ReminderKind]]:
    """The days reminders may go out, for ``campaign plan``."""
    cal = calendar()
    final = last_call_day(campaign, policy)
    days: list[tuple[dt.date, ReminderKind]] = []
    for day in cal.working_days(cal.next_working_day(first_drip_day), campaign.end_on):  # day one is not late
        days.append((day, ReminderKind.LAST_CALL if day >= final else ReminderKind.DIGEST))
    return days


async def queue_due(session: AsyncSession, now: dt.datetime, tz: str, policy: ReminderPolicy = DEFAULT_POLICY) -> int:
    """Queue today's reminders if their time has come. Idempotent; returns how many were queued."""
    local = now.astimezone(ZoneInfo(tz))
    today = local.date()
    now = local
    if not calendar().is_working_day(today) or not (policy.digest_at <= local.time() < policy.work_end):
        return 0
    campaigns = (
        await session.scalars(
            select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE).options(joinedload(Campaign.document))
        )
    ).all()
    reachable = frozenset(
        (await session.scalars(select(ChannelIdentity.staff_id).where(ChannelIdentity.reachable.is_(True)))).all()
    )
    cache = cache_of(session)
    reminded_today: set[int] | None = None
    queued = 0
    for campaign in campaigns:
        if reachable <= cache.get("reminders", (campaign.id, today), frozenset()):
            continue
        if reminded_today is None:
            reminded_today = set(
                (
                    await session.scalars(
                        select(Reminder.staff_id).where(Reminder.due_on == today, Reminder.kind != ReminderKind.LAGGARDS)
                    )
                ).all()
            )
        queued += await _digests(session, campaign, today, now, policy, reminded_today)
        if policy.laggards and today.weekday() == policy.laggards_weekday:
            queued += await _laggards(session, campaign, today, now)
        after_commit(session, functools.partial(cache.put, "reminders", (campaign.id, today), reachable))
    return queued


# The cache's "reminders" area: (campaign, day) -> who was reachable when that day's
# reminders were last worked out. Who is behind is counted on what was sent before the day
# began, so later in the day only someone who became reachable since can need one: until then
# the tick skips the work. Kept in memory: after a restart the first tick works it out again.


async def _behind(
    session: AsyncSession, campaign: Campaign, before: dt.datetime, *, unreminded_on: dt.date | None = None
) -> dict[int, list[int]]:
    """Reachable members with sections sent (before ``before``: what came this morning
    is not late yet) but not confirmed: staff id -> ordinals. With ``unreminded_on``, only
    people without a reminder that day: after the morning digest, the tick's later runs
    that day look at a handful of rows, not the whole campaign."""
    people = select(Staff.id).where(Staff.active.is_(True))
    if unreminded_on is not None:
        people = people.where(
            Staff.id.not_in(
                select(Reminder.staff_id).where(Reminder.due_on == unreminded_on, Reminder.kind != ReminderKind.LAGGARDS)
            )
        )
    sent = (
        await session.execute(
            select(Delivery.staff_id, Delivery.item)
            .join(CampaignMember, (CampaignMember.staff_id == Delivery.staff_id) & (CampaignMember.campaign_id == campaign.id))
            .join(Staff, Staff.id == Delivery.staff_id)
            .where(
                Delivery.source == deliveries.campaign_source(campaign.id),
                Delivery.kind == DeliveryKind.SECTION,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.sent_at < before,
                CampaignMember.removed_at.is_(None),
                Staff.active.is_(True),
                Delivery.staff_id.in_(people),
                Delivery.staff_id.in_(select(ChannelIdentity.staff_id).where(ChannelIdentity.reachable.is_(True))),
            )
        )
    ).all()
    acked = {  # plain tuples, not Rows: each lookup would compare in Python
        (staff_id, item) for staff_id, item in await session.execute(
            select(Ack.staff_id, Ack.item).where(Ack.campaign_id == campaign.id, Ack.staff_id.in_(people))
        )
    }
    behind: dict[int, list[int]] = {}
    for staff_id, item in sent:
        if (staff_id, item) not in acked:
            behind.setdefault(staff_id, []).append(item)
    return {k: sorted(v) for k, v in behind.items()}


async def _digests(
    session: AsyncSession, campaign: Campaign, today: dt.date, now: dt.datetime, policy: ReminderPolicy, reminded: set[int]
) -> int:
    kind = ReminderKind.LAST_CALL if today >= last_call_day(campaign, policy) else ReminderKind.DIGEST
    title = document_title(campaign.document)
    days_left = (campaign.end_on - today).days + 1
    queued = 0
    for staff_id, ordinals in (await _behind(session, campaign, _day_start(today, now), unreminded_on=today)).items():
        if staff_id in reminded:
            continue
        payload = {  # worded when sent (bot/chat/notices.py)
            "notice": "reminder", "last_call": kind is ReminderKind.LAST_CALL, "title": title, "campaign": campaign.id,
            "ordinals": ordinals, "days": days_left, "end": campaign.end_on.isoformat(),
        }
        queued += await _remind(session, campaign, staff_id, kind, today, now, payload)
        reminded.add(staff_id)
    return queued


async def _laggards(session: AsyncSession, campaign: Campaign, today: dt.date, now: dt.datetime) -> int:
    """Each department's leaders get the list of their people who are behind."""
    behind = await _behind(session, campaign, _day_start(today, now))
    if not behind:
        return 0
    people = {s.id: s for s in (await session.scalars(select(Staff).where(Staff.id.in_(list(behind))))).all()}
    leaders = (
        await session.scalars(select(Staff).where(Staff.active.is_(True), Staff.roles.like(f"%{Role.LEADER.value}%")))
    ).all()
    queued = 0
    for leader in leaders:
        mine = [p for p in people.values() if p.department_id == leader.department_id and p.id != leader.id]
        if not mine or leader.department_id is None:
            continue
        people_behind = [[p.full_name, len(behind[p.id])] for p in sorted(mine, key=lambda p: p.full_name)]
        payload = {"notice": "laggards", "title": document_title(campaign.document), "people": people_behind}
        queued += await _remind(session, campaign, leader.id, ReminderKind.LAGGARDS, today, now, payload)
    return queued


async def _remind(
    session: AsyncSession, campaign: Campaign, staff_id: int, kind: ReminderKind, today: dt.date, now: dt.datetime,
    payload: dict[str, object],
) -> int:
    inserted = await insert_ignoring_duplicates(
        session, Reminder,
        [{"campaign_id": campaign.id, "staff_id": staff_id, "kind": kind, "due_on": today, "created_at": now}],
    )
    if not inserted:
        return 0
    await deliveries.queue_message(
        session, source=f"reminder:{campaign.id}:{kind.value}:{today.isoformat()}", kind=DeliveryKind.REMINDER,
        staff_ids=[staff_id], payload=payload, due_at=now, now=now, campaign_id=campaign.id,
    )
    return 1


def _day_start(today: dt.date, now: dt.datetime) -> dt.datetime:
    """Local midnight of ``today`` as an aware instant (``now`` carries the zone)."""
    zone = now.tzinfo
    return dt.datetime.combine(today, dt.time(0), tzinfo=zone)
