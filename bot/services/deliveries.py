"""The delivery queue (DESIGN.md §3.1): intents to send are rows before any network call.

``tick`` turns the campaigns' plans into rows as their time comes; workers
``claim`` due rows under a short lease, send them, and record the outcome. A crash
loses nothing (an unrecorded send is retried after the lease expires) and a
restart resumes where the rows say.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.cache import Cache, cache_of
from bot.db.models import (
    Campaign,
    CampaignMember,
    ChannelIdentity,
    Delivery,
    Document,
    Staff,
)
from bot.db.queries import after_commit, insert_ignoring_duplicates, is_postgres
from bot.domain import drip
from bot.domain.enums import CampaignStatus, Channel, DeliveryKind, DeliveryStatus
from bot.domain.messages import (
    Message,
    document_title,
    keyboard_from_payload,
)
from bot.services import audit, tallies
from bot.services.campaigns import calendar, plan_for, sync_members
from bot.services.documents import SectionView, sections_of

LEASE = dt.timedelta(seconds=60)
HORIZON = dt.timedelta(minutes=2)  # rows are made this long before they are due
MAX_ATTEMPTS = 6
CHUNK_SPACING = dt.timedelta(seconds=1)  # Telegram: one message a second per chat
TOKEN_REFUSED = "token refused"  # last_error of a row put back while its messenger refuses the token


def campaign_source(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


@dataclass
class TickReport:
    activated: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    queued: int = 0
    reminders: int = 0


async def tick(session: AsyncSession, now: dt.datetime, tz: str) -> TickReport:
    """Everything time makes due: open and close campaigns, queue due sections."""
    report = TickReport()
    campaigns = (
        await session.scalars(
            select(Campaign)
            .where(Campaign.status.in_([CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE]))
        )
    ).all()
    for campaign in campaigns:
        if campaign.ends_at <= now:
            await finish(session, campaign, now)
            report.closed.append(campaign.id)
            continue
        if campaign.status is CampaignStatus.SCHEDULED and campaign.starts_at <= now:
            campaign.status = CampaignStatus.ACTIVE
            audit.record(session, now, "system", "campaign.activate", "campaign", campaign.id)
            report.activated.append(campaign.id)
        if campaign.status is CampaignStatus.ACTIVE:
            await sync_members(session, campaign, now)
            report.queued += await queue_due_sections(session, campaign, now, tz)
    return report


async def finish(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> None:
    """The window is over: close the campaign and drop what was not sent of it."""
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = now
    cache_of(session).invalidate("watermarks", campaign.id)
    await session.execute(
        update(Delivery)
        .where(Delivery.campaign_id == campaign.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error="window closed")
    )
    audit.record(session, now, "system", "campaign.finish", "campaign", campaign.id)


@dataclass(frozen=True)
class MemberClock:
    staff_id: int
    index: int  # place in the audience, for the stagger
    starts_at: dt.datetime  # when this person could first receive (joined and linked)


MEMBER_CHUNK = 5_000  # members read at once: the tick never holds a whole audience in memory


def _active(campaign: Campaign) -> tuple[Any, ...]:
    """The conditions of the campaign's audience: members not removed, staff still active."""
    return (CampaignMember.campaign_id == campaign.id, CampaignMember.removed_at.is_(None), Staff.active.is_(True))


async def audience_size(session: AsyncSession, campaign: Campaign) -> int:
    """Active members of the campaign (linked or not): the stagger spreads over all of them."""
    return int(
        await session.scalar(
            select(func.count(CampaignMember.id))
            .join(Staff, Staff.id == CampaignMember.staff_id)
            .where(*_active(campaign))
        )
        or 0
    )


async def audience_signature(session: AsyncSession, campaign: Campaign) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Two rows of aggregates that change whenever the members' due times can: the active
    members (how many, which: the sum and the extremes of their ids, the latest joining) and
    their reachable identities (how many, which, the latest linked). Each is one pass the
    database makes over its indexes; nothing is read into the process."""
    active = _active(campaign)
    members = (
        await session.execute(
            select(func.count(CampaignMember.id), func.sum(CampaignMember.id), func.min(CampaignMember.id),
                   func.max(CampaignMember.id), func.sum(CampaignMember.staff_id), func.max(CampaignMember.joined_at))
            .join(Staff, Staff.id == CampaignMember.staff_id)
            .where(*active)
        )
    ).one()
    identities = (
        await session.execute(
            select(func.count(ChannelIdentity.id), func.sum(ChannelIdentity.id), func.max(ChannelIdentity.id),
                   func.max(ChannelIdentity.linked_at))
            .join(CampaignMember, CampaignMember.staff_id == ChannelIdentity.staff_id)
            .join(Staff, Staff.id == CampaignMember.staff_id)
            .where(*active, ChannelIdentity.reachable.is_(True))
        )
    ).one()
    return tuple(_plain(v) for v in members), tuple(_plain(v) for v in identities)


def _plain(value: Any) -> Any:
    """An aggregate as the same value on every backend (PostgreSQL sums to a Decimal)."""
    return int(value) if value is not None and not isinstance(value, dt.datetime) else value


async def member_chunks(session: AsyncSession, campaign: Campaign,
                        size: int | None = None) -> AsyncIterator[list[MemberClock]]:
    """Members who can receive now (active, linked, reachable), ``size`` (``MEMBER_CHUNK``) at
    a time in the audience's order, each with their place in the whole audience."""
    size = size or MEMBER_CHUNK
    index, after = 0, 0
    while True:
        members = (
            await session.execute(
                select(CampaignMember.id, CampaignMember.staff_id, CampaignMember.joined_at)
                .join(Staff, Staff.id == CampaignMember.staff_id)
                .where(*_active(campaign), CampaignMember.id > after)
                .order_by(CampaignMember.id)
                .limit(size)
            )
        ).all()
        if not members:
            return
        after = members[-1][0]
        linked = dict(
            (
                await session.execute(
                    select(ChannelIdentity.staff_id, func.min(ChannelIdentity.linked_at))
                    .where(ChannelIdentity.reachable.is_(True),
                           ChannelIdentity.staff_id.in_([staff_id for _, staff_id, _ in members]))
                    .group_by(ChannelIdentity.staff_id)
                )
            ).all()
        )
        yield [
            MemberClock(staff_id, index + place, max(joined_at, linked[staff_id]))
            for place, (_, staff_id, joined_at) in enumerate(members)
            if staff_id in linked
        ]
        index += len(members)


async def reachable_members(session: AsyncSession, campaign: Campaign) -> tuple[list[MemberClock], int]:
    """Members who can receive now (active, linked, reachable), and the audience size (all at
    once: for small audiences and tests; the tick reads :func:`member_chunks`)."""
    clocks = [clock async for chunk in member_chunks(session, campaign) for clock in chunk]
    return clocks, await audience_size(session, campaign)


def personal_due(plan: drip.DripPlan, member: MemberClock, audience: int, opened_at: dt.datetime,
                 cache: Cache | None = None) -> dict[int, dt.datetime]:
    """When each section is due for one person: the common plan shifted by their
    place in the audience, or a catch-up plan if they came after the first section."""
    if cache is None:
        return _personal_due(plan, member, audience, opened_at, None)
    return cache.memo("dues", (id(plan), member, audience),
                      lambda: _personal_due(plan, member, audience, opened_at, cache))


def _personal_due(plan: drip.DripPlan, member: MemberClock, audience: int, opened_at: dt.datetime,
                  cache: Cache | None) -> dict[int, dt.datetime]:
    first_due = plan.items[0].due_utc if plan.items else opened_at
    if member.starts_at <= first_due:
        spread = plan.stagger_budget.total_seconds() / 60
        return {o: drip.stagger(due, member.index, audience, spread) for o, due in plan.due_by_ordinal().items()}
    joined = member.starts_at.replace(second=0, microsecond=0)
    compute = lambda: drip.catch_up_plan(plan, joined, calendar()).due_by_ordinal()  # noqa: E731
    return cache.memo("catch_ups", (id(plan), joined), compute) if cache is not None else compute()


FAR = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


async def queue_due_sections(session: AsyncSession, campaign: Campaign, now: dt.datetime, tz: str) -> int:
    """Make the delivery rows whose time has come (idempotent: existing rows stay).

    The tick runs every few seconds; a watermark (the next due time, for this audience and
    plan) lets it skip the work until something can be due. The audience is read in chunks
    (``MEMBER_CHUNK``), with only that chunk's existing rows: memory stays flat whatever the
    audience (a province: 100,000 people × 40 sections is 4 million rows)."""
    members, identities = await audience_signature(session, campaign)
    audience = members[0]
    if not audience or not identities[0]:
        return 0
    cache = cache_of(session)
    # What the next due time depends on: the audience, who of it can receive since when, and
    # the campaign's plan (another process may have changed the window since the watermark was
    # set). Aggregates computed by the database: the tick reads no member unless something
    # changed or something can be due.
    signature = hashlib.blake2b(repr((campaign.document_id, campaign.start_on, campaign.end_on,
                                      campaign.send_window_start, campaign.send_window_end,
                                      campaign.reminder_tail_days, members, identities)).encode(),
                                digest_size=16).digest()
    known = cache.get("watermarks", campaign.id)
    if known is not None and known[0] == signature and now + HORIZON < known[1]:
        return 0
    views = await sections_of(session, campaign.document_id)
    sections = {s.ordinal: s for s in views}
    plan = plan_for(campaign, views, tz, cache)
    source = campaign_source(campaign.id)
    queued = 0
    next_due = FAR
    async for chunk in member_chunks(session, campaign):
        existing = {  # plain tuples: a lookup that meets a Row compares in Python, 40 times a member
            (staff_id, item) for staff_id, item in await session.execute(
                select(Delivery.staff_id, Delivery.item).where(
                    Delivery.source == source,
                    Delivery.staff_id.in_([m.staff_id for m in chunk]),
                    Delivery.kind == DeliveryKind.SECTION,
                )
            )
        }
        rows: list[dict[str, Any]] = []
        for member in chunk:
            for ordinal, due in personal_due(plan, member, audience, campaign.starts_at, cache).items():
                if (member.staff_id, ordinal) in existing:
                    continue
                if due <= now + HORIZON:
                    rows.append(_section_row(campaign, member.staff_id, sections[ordinal], max(due, now - HORIZON), now))
                else:
                    next_due = min(next_due, due)
        if rows:
            queued += await insert_ignoring_duplicates(session, Delivery, rows)
    after_commit(session, functools.partial(cache.put, "watermarks", campaign.id, (signature, next_due)))
    return queued


def _section_row(campaign: Campaign, staff_id: int, section: SectionView, due: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    return {
        "source": campaign_source(campaign.id),
        "kind": DeliveryKind.SECTION,
        "campaign_id": campaign.id,
        "staff_id": staff_id,
        "section_id": section.id,
        "item": section.ordinal,
        "due_at": due,
        "status": DeliveryStatus.PENDING,
        "chunk_index": 0,
        "attempts": 0,
        "created_at": now,
    }


async def queue_section_now(
    session: AsyncSession, campaign: Campaign, staff_id: int, section: SectionView, now: dt.datetime
) -> bool:
    """Send one section to one person now (read ahead / on demand). False when it
    was already sent or on its way: the drip never sends it a second time."""
    row = await session.scalar(
        select(Delivery).where(
            Delivery.source == campaign_source(campaign.id), Delivery.staff_id == staff_id, Delivery.item == section.ordinal
        )
    )
    if row is None:
        asked = {**_section_row(campaign, staff_id, section, now, now), "asked": True}
        return bool(await insert_ignoring_duplicates(session, Delivery, [asked]))
    if row.status is DeliveryStatus.PENDING and row.due_at > now:
        row.due_at, row.asked = now, True
        return True
    return False


async def queue_message(
    session: AsyncSession,
    *,
    source: str,
    kind: DeliveryKind,
    staff_ids: Sequence[int],
    payload: dict[str, Any],
    due_at: dt.datetime,
    now: dt.datetime,
    campaign_id: int | None = None,
    announcement_id: int | None = None,
    item: int = 0,
) -> int:
    """Queue one message (attestation request, reminder, announcement, notice) to several people."""
    rows = [
        {
            "source": source,
            "kind": kind,
            "campaign_id": campaign_id,
            "announcement_id": announcement_id,
            "staff_id": staff_id,
            "item": item,
            "payload": payload,
            "due_at": due_at,
            "status": DeliveryStatus.PENDING,
            "chunk_index": 0,
            "attempts": 0,
            "created_at": now,
        }
        for staff_id in staff_ids
    ]
    return await insert_ignoring_duplicates(session, Delivery, rows)


# --- the worker's side ------------------------------------------------------------


async def claim_due(session: AsyncSession, now: dt.datetime, limit: int, channels: Sequence[Channel] | None = None) -> list[int]:
    """Take up to ``limit`` due rows under a lease, oldest first, one row per person at a
    time, and only a person's first row in their order (``due_at``, then id): a row waiting
    for its retry (``claimed_until`` ahead) holds back that person's later rows, so one
    person's messages arrive in the order they were queued, across retries and restarts.

    A handful of statements whatever the backlog: the free rows are read in index order
    (``ix_delivery_queue``: status, due_at, id), and only the people among them are looked
    up for a half-sent message or a held row. PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets
    several processes claim side by side, each skipping the rows another is claiming.
    """
    free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until <= now)
    query = (
        select(Delivery.id, Delivery.staff_id, Delivery.due_at)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now, free)
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit * 2)
    )
    if channels is not None:
        query = query.where(or_(Delivery.channel.is_(None), Delivery.channel.in_(list(channels))))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True, of=Delivery)
    # People who asked for a section go first, behind nothing but their own earlier rows: their
    # queue is served before the broadcast backlog, in its own order.
    asking = (
        select(Delivery.staff_id)
        .where(Delivery.asked.is_(True), Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now)
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit)
    )
    if channels is not None:
        asking = asking.where(or_(Delivery.channel.is_(None), Delivery.channel.in_(list(channels))))
    askers = list(dict.fromkeys((await session.scalars(asking)).all()))
    rows = []
    if askers:
        theirs = query.where(Delivery.staff_id.in_(askers)).limit(None)
        rows = list((await session.execute(theirs)).all())
    rows += list((await session.execute(query)).all())
    if not rows:
        return []
    # What holds a person back: a half-sent message (it goes on first), or an earlier row in
    # flight or waiting for its retry.
    people_here = list({staff_id for _, staff_id, _ in rows})
    in_progress: dict[int, int] = {}
    held: dict[int, tuple[dt.datetime, int]] = {}
    for delivery_id, staff_id, due_at, chunk_index, claimed_until in (
        await session.execute(
            select(Delivery.id, Delivery.staff_id, Delivery.due_at, Delivery.chunk_index, Delivery.claimed_until).where(
                Delivery.staff_id.in_(people_here),
                Delivery.status == DeliveryStatus.PENDING,
                or_(Delivery.chunk_index > 0, Delivery.claimed_until > now),
            )
        )
    ).all():
        if chunk_index > 0:
            in_progress[staff_id] = delivery_id
        if claimed_until is not None and claimed_until > now:
            first = held.get(staff_id)
            held[staff_id] = (due_at, delivery_id) if first is None else min(first, (due_at, delivery_id))
    chosen: list[tuple[int, int]] = []  # (delivery, staff)
    people: set[int] = set()
    for delivery_id, staff_id, due_at in rows:
        if staff_id in people:
            continue  # not this person's first row
        people.add(staff_id)
        if in_progress.get(staff_id, delivery_id) != delivery_id:
            continue  # their half-sent message goes first
        if staff_id in held and held[staff_id] < (due_at, delivery_id):
            continue  # an earlier row is in flight, or waiting for its retry: this one waits too
        chosen.append((delivery_id, staff_id))
        if len(chosen) >= limit:
            break
    if chosen and is_postgres(session):
        chosen = await _first_in_line(session, chosen, now)
    if chosen:
        chosen_ids = [delivery_id for delivery_id, _ in chosen]
        await session.execute(
            update(Delivery).where(Delivery.id.in_(chosen_ids)).values(claimed_until=now + LEASE)
        )
        return chosen_ids
    return []


CLAIM_LOCKS = 0x636B  # the advisory-lock namespace of "one claimer per person at a time"


async def _first_in_line(session: AsyncSession, chosen: list[tuple[int, int]], now: dt.datetime) -> list[tuple[int, int]]:
    """Several processes claiming at once (PostgreSQL): SKIP LOCKED hides a row another
    process is claiming, so a person's second row could look like their first. Each person
    is claimed under an advisory lock held to the end of the transaction, and checked again
    against what is committed now: a person with an earlier pending row is left alone."""
    granted = set(
        (
            await session.execute(
                text(
                    "SELECT person FROM unnest(CAST(:people AS integer[])) AS person "
                    "WHERE pg_try_advisory_xact_lock(:space, person)"
                ),
                {"people": [staff_id for _, staff_id in chosen], "space": CLAIM_LOCKS},
            )
        ).scalars()
    )
    locked = [(delivery_id, staff_id) for delivery_id, staff_id in chosen if staff_id in granted]
    if not locked:
        return []
    # Only the people with an earlier pending row come back: a short answer however long the queue.
    behind = set(
        (
            await session.execute(
                text(
                    "SELECT c.person FROM unnest(CAST(:ids AS integer[]), CAST(:people AS integer[])) AS c(id, person) "
                    "WHERE c.id <> (SELECT d.id FROM delivery AS d WHERE d.staff_id = c.person AND d.status = :pending "
                    "AND d.due_at <= :now ORDER BY d.due_at, d.id LIMIT 1)"
                ).bindparams(bindparam("now", type_=Delivery.__table__.c.due_at.type)),
                {"ids": [d for d, _ in locked], "people": [s for _, s in locked],
                 "pending": DeliveryStatus.PENDING.value, "now": now},
            )
        ).scalars()
    )
    return [(delivery_id, staff_id) for delivery_id, staff_id in locked if staff_id not in behind]


async def release_held(session: AsyncSession, now: dt.datetime) -> int:
    """The rows put back while a messenger refused the token: due again now."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.last_error == TOKEN_REFUSED,
            Delivery.claimed_until > now,
        )
        .values(claimed_until=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Job:
    """A claimed row with what it takes to render and send it."""

    delivery_id: int
    kind: DeliveryKind
    staff_id: int
    campaign_id: int | None
    announcement_id: int | None
    item: int
    chunk_index: int
    attempts: int
    channel: Channel | None
    chat_id: str | None
    section: SectionView | None
    message: Message | None  # what to say, for everything but a section
    document: str | None = None  # a section's document, named when the person has several open at once
    asked: bool = False  # the person asked for it: it is sent as an answer, at reply priority


# How a queued row becomes a message (the chat layer's screens: bot/chat/notices.py): the
# row's kind, its payload, its campaign, the document's title and how many sections it has.
Compose = Callable[[DeliveryKind, "dict[str, Any] | None", "int | None", str, int], Message]


def plain_message(kind: DeliveryKind, payload: dict[str, Any] | None, campaign_id: int | None, title: str,
                  sections: int) -> Message:
    """A payload's own text and buttons, for rows that carry them (and as the fallback)."""
    payload = payload or {}
    return Message(str(payload.get("text", "")), keyboard_from_payload(payload.get("buttons", [])))


@dataclass(frozen=True)
class Target:
    """Where a claimed row goes: the identity, or None when the person has no reachable one."""

    job: Job
    identity_id: int | None
    channel: Channel | None
    chat_id: str | None


async def load_targets(
    session: AsyncSession, ids: Sequence[int], available: Sequence[Channel], compose: Compose = plain_message
) -> list[Target]:
    """The claimed rows with what it takes to render and send them, in a few queries;
    ``compose`` turns a row that is not a section into its message."""
    # Columns, not objects: a batch at a high ceiling is hundreds of rows, read and dropped.
    rows = (
        await session.execute(
            select(*Delivery.__table__.c).where(Delivery.id.in_(list(ids)), Delivery.status == DeliveryStatus.PENDING)
        )
    ).all()
    campaign_docs = dict(
        (
            await session.execute(
                select(Campaign.id, Campaign.document_id).where(
                    Campaign.id.in_({r.campaign_id for r in rows if r.campaign_id is not None})
                )
            )
        ).all()
    )
    staff_ids = {r.staff_id for r in rows}
    people = {
        s.id: s for s in (await session.execute(
            select(Staff.id, Staff.active, Staff.preferred_channel, Staff.last_channel).where(Staff.id.in_(staff_ids))
        )).all()
    }
    identities: dict[int, list[Any]] = {}
    for identity in (
        await session.execute(
            select(ChannelIdentity.id, ChannelIdentity.staff_id, ChannelIdentity.channel, ChannelIdentity.chat_id).where(
                ChannelIdentity.staff_id.in_(staff_ids), ChannelIdentity.reachable.is_(True)
            )
        )
    ).all():
        identities.setdefault(identity.staff_id, []).append(identity)
    several = await _several_open(session, {r.staff_id for r in rows if r.kind is DeliveryKind.SECTION})
    targets = []
    for row in rows:
        job = await _job(session, row, campaign_docs.get(row.campaign_id or 0), compose)
        if row.staff_id in several and job.section is not None and row.campaign_id is not None:
            job = dataclasses.replace(job, document=several[row.staff_id].get(row.campaign_id))
        identity = _route(people.get(row.staff_id), identities.get(row.staff_id, []), available)
        if identity is not None and row.chunk_index > 0 and row.channel not in (None, identity.channel):
            identity = None  # a half-sent message stays on its channel
        targets.append(
            Target(job, identity.id if identity else None, identity.channel if identity else None,
                   identity.chat_id if identity else None)
        )
    return targets


async def _several_open(session: AsyncSession, staff_ids: set[int]) -> dict[int, dict[int, str]]:
    """For those of these people who are members of more than one open campaign: the name of
    each campaign's document (so that every section says which document it belongs to)."""
    if not staff_ids:
        return {}
    rows = (
        await session.execute(
            select(CampaignMember.staff_id, Campaign.id, Document.title)
            .join(Campaign, Campaign.id == CampaignMember.campaign_id)
            .join(Document, Document.id == Campaign.document_id)
            .where(
                CampaignMember.staff_id.in_(staff_ids),
                CampaignMember.removed_at.is_(None),
                Campaign.status == CampaignStatus.ACTIVE,
            )
        )
    ).all()
    names: dict[int, dict[int, str]] = {}
    for staff_id, campaign_id, title in rows:
        names.setdefault(staff_id, {})[campaign_id] = title
    return {staff_id: found for staff_id, found in names.items() if len(found) > 1}


async def _job(session: AsyncSession, row: Any, document_id: int | None, compose: Compose) -> Job:
    section = None
    title, count = None, 0
    if document_id is not None:
        views = await sections_of(session, document_id)
        section = next((v for v in views if v.id == row.section_id), None)
        if row.kind is DeliveryKind.ATTESTATION:
            title = document_title(await session.get(Document, document_id))
            count = len(views)
    return Job(
        delivery_id=row.id,
        kind=row.kind,
        staff_id=row.staff_id,
        campaign_id=row.campaign_id,
        announcement_id=row.announcement_id,
        item=row.item,
        chunk_index=row.chunk_index,
        attempts=row.attempts,
        channel=row.channel,
        chat_id=row.chat_id,
        section=section,
        message=None if row.kind is DeliveryKind.SECTION else compose(row.kind, row.payload, row.campaign_id, title or "", count),
        asked=bool(row.asked),
    )


def _route(staff: Any, identities: list[Any], available: Sequence[Channel]) -> Any:
    """The identity a message goes to: the person's chosen channel, else the one they
    used last, else any; reachable ones only, and only on channels this process runs."""
    if staff is None or not staff.active:
        return None
    usable = [i for i in identities if i.channel in available]
    for wanted in (staff.preferred_channel, staff.last_channel):
        for identity in usable:
            if identity.channel == wanted:
                return identity
    return usable[0] if usable else None


class Outcome(str, enum.Enum):
    SENT = "sent"  # one chunk went out
    RETRY = "retry"  # try again at ``retry_at``
    FAILED = "failed"
    BLOCKED = "blocked"  # the person cannot be reached (no identity, or 403)


@dataclass(frozen=True)
class Result:
    delivery_id: int
    outcome: Outcome
    channel: Channel | None = None
    chat_id: str | None = None
    message_id: str | None = None
    chunk_count: int = 0
    error: str | None = None
    retry_at: dt.datetime | None = None
    count_attempt: bool = False
    unreachable_identity: int | None = None


# What an outcome reads of its row and writes back: columns, not objects (every send records one).
# The lease (``claimed_until``) is not read: every outcome sets it anew.
_OUTCOME_READ = (
    Delivery.id, Delivery.kind, Delivery.campaign_id, Delivery.staff_id, Delivery.status, Delivery.channel,
    Delivery.chat_id, Delivery.chunk_count, Delivery.chunk_index, Delivery.external_message_id,
    Delivery.last_error, Delivery.attempts, Delivery.sent_at,
)
_OUTCOME_WRITTEN = ("status", "channel", "chat_id", "chunk_count", "chunk_index", "external_message_id",
                    "last_error", "attempts", "sent_at", "claimed_until")
_DELIVERIES = cast(Table, Delivery.__table__)
_OUTCOME_UPDATE = (
    update(_DELIVERIES).where(_DELIVERIES.c.id == bindparam("row_id"))
    .values({name: bindparam(name, type_=_DELIVERIES.c[name].type) for name in _OUTCOME_WRITTEN})
)
# Locked (PostgreSQL), in id order: what each row was before this batch decides whether a
# section became sent here, for the member's count (``tallies``), even when another process
# records the same row at the same time.
_OUTCOME_ROWS = (
    select(*_OUTCOME_READ).where(Delivery.id.in_(bindparam("ids", expanding=True))).order_by(Delivery.id)
    .with_for_update()
)


async def record_results(session: AsyncSession, results: Sequence[Result], now: dt.datetime) -> list[int]:
    """Write a batch of outcomes in one transaction. Returns the ids of rows that still
    have chunks to send (held a second, for the per-chat spacing)."""
    found = (await session.execute(_OUTCOME_ROWS, {"ids": [x.delivery_id for x in results]})).all()
    rows = {row.id: row._asdict() for row in found}
    was_sent = {i for i, r in rows.items() if r["status"] is DeliveryStatus.SENT}
    continuing: list[int] = []
    for result in results:
        row = rows[result.delivery_id]
        row["claimed_until"] = None
        if result.outcome is Outcome.SENT:
            row["channel"], row["chat_id"], row["chunk_count"] = result.channel, result.chat_id, result.chunk_count
            row["chunk_index"] += 1
            row["external_message_id"] = result.message_id
            row["last_error"] = None
            if row["chunk_index"] >= result.chunk_count:
                row["status"], row["sent_at"] = DeliveryStatus.SENT, now
            else:
                row["claimed_until"] = now + CHUNK_SPACING  # the next chunk, a second later
                continuing.append(row["id"])
        elif result.outcome is Outcome.RETRY:
            # Held, not moved: the row keeps its place (due_at) in the person's order.
            row["claimed_until"] = result.retry_at or now
            row["last_error"] = (result.error or "")[:500]
            if result.count_attempt:
                row["attempts"] += 1
                if row["attempts"] >= MAX_ATTEMPTS:
                    row["status"] = DeliveryStatus.FAILED
        else:
            row["status"] = DeliveryStatus.BLOCKED if result.outcome is Outcome.BLOCKED else DeliveryStatus.FAILED
            row["last_error"] = (result.error or "")[:500]
        if result.unreachable_identity is not None:
            await mark_unreachable(session, result.unreachable_identity, result.error or "", now)
    if rows:  # one executemany on the table, without the unit of work
        await session.execute(_OUTCOME_UPDATE, [{"row_id": row["id"], **{name: row[name] for name in _OUTCOME_WRITTEN}}
                                                for row in rows.values()])
    sections: Counter[tuple[int, int]] = Counter()
    for row in rows.values():
        if row["kind"] is DeliveryKind.SECTION and row["campaign_id"] is not None:
            sections[row["campaign_id"], row["staff_id"]] += (row["status"] is DeliveryStatus.SENT) - (row["id"] in was_sent)
    await tallies.add_sent(session, {key: n for key, n in sections.items() if n})
    return continuing


async def mark_unreachable(session: AsyncSession, identity_id: int, reason: str, now: dt.datetime) -> None:
    """403: the person blocked the bot or is gone. Stop sending there until they write again."""
    identity = await session.get(ChannelIdentity, identity_id)
    if identity is None or not identity.reachable:
        return
    identity.reachable = False
    identity.unreachable_reason = reason[:200]
    audit.record(session, now, "system", "identity.unreachable", "staff", identity.staff_id, channel=identity.channel.value)


async def resume_blocked(session: AsyncSession, staff_id: int, now: dt.datetime) -> int:
    """The person allowed the bot again: what was held back while they had blocked it, in
    campaigns still open and announcements not cancelled, is owed again from now."""
    open_campaigns = select(Campaign.id).where(Campaign.status.in_([CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE]))
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.staff_id == staff_id,
            Delivery.status == DeliveryStatus.BLOCKED,
            or_(Delivery.campaign_id.in_(open_campaigns), Delivery.announcement_id.is_not(None)),
        )
        .values(status=DeliveryStatus.PENDING, due_at=now, claimed_until=None, last_error=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def backoff(attempts: int) -> dt.timedelta:
    """2, 4, 8 … seconds, at most ten minutes."""
    return dt.timedelta(seconds=min(2 ** max(attempts, 1), 600))
