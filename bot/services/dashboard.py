"""What the leadership dashboard shows: campaigns with their progress, the member
table (filtered, a page at a time), the confirmation rate of each section and the
announcements with their counts. Read-only queries; answering a comment goes
through :mod:`bot.services.feedback`, the same loop as in chat.

Counts are made in SQL, grouped, so that a campaign of 100,000 members costs a
handful of queries and one page of rows, never a row per person in Python.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models import (
    Ack,
    Announcement,
    AnnouncementAck,
    Campaign,
    CampaignMember,
    ChannelIdentity,
    Delivery,
    Department,
    Feedback,
    Section,
    Staff,
)
from bot.domain.enums import (
    ATTESTATION_ITEM,
    AnnouncementStatus,
    CampaignStatus,
    DeliveryKind,
    DeliveryStatus,
    FeedbackStatus,
)

PAGE_SIZE = 50


# --- campaigns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    sections: int
    members: int
    linked: int
    all_confirmed: int  # people who confirmed every section
    attested: int
    acks: int  # section confirmations
    comments: int
    unanswered: int

    @property
    def rate(self) -> float:
        """People who confirmed every section, of all members (0..1)."""
        return self.all_confirmed / self.members if self.members else 0.0

    @property
    def ack_rate(self) -> float:
        """Section confirmations, of all owed (members × sections)."""
        owed = self.members * self.sections
        return self.acks / owed if owed else 0.0


@dataclass(frozen=True)
class CampaignHeader:
    """What every page of a campaign shows at its top, without the full counts."""

    campaign: Campaign
    sections: int
    unanswered: int
    unpublished: int  # answered, not yet in a published synthesis


async def header(session: AsyncSession, campaign: Campaign) -> CampaignHeader:
    unanswered, unpublished = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((Feedback.status == FeedbackStatus.RECEIVED, 1), else_=0)), 0),
                func.coalesce(func.sum(case((and_(Feedback.status != FeedbackStatus.RECEIVED,
                                                  Feedback.published_at.is_(None)), 1), else_=0)), 0),
            ).where(Feedback.campaign_id == campaign.id)
        )
    ).one()
    sections = await section_count(session, campaign.document_id)
    return CampaignHeader(campaign, sections, int(unanswered), int(unpublished))


async def section_count(session: AsyncSession, document_id: int) -> int:
    return int(await session.scalar(select(func.count(Section.id)).where(Section.document_id == document_id)) or 0)


async def campaigns(session: AsyncSession) -> list[CampaignProgress]:
    """Every campaign past the draft, newest first, with its progress."""
    rows = (
        await session.scalars(
            select(Campaign)
            .where(Campaign.status != CampaignStatus.DRAFT)
            .options(selectinload(Campaign.document))
            .order_by(Campaign.id.desc())
        )
    ).all()
    return [await progress(session, c) for c in rows]


async def campaign(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).options(selectinload(Campaign.document))
    )


async def progress(session: AsyncSession, campaign: Campaign) -> CampaignProgress:
    sections = await section_count(session, campaign.document_id)
    active = and_(CampaignMember.campaign_id == campaign.id, CampaignMember.removed_at.is_(None))
    members = int(await session.scalar(select(func.count(CampaignMember.id)).where(active)) or 0)
    linked = int(
        await session.scalar(
            select(func.count(func.distinct(ChannelIdentity.staff_id)))
            .join(CampaignMember, CampaignMember.staff_id == ChannelIdentity.staff_id)
            .where(active)
        )
        or 0
    )
    per_person = (
        select(
            Ack.staff_id,
            func.sum(case((Ack.item != ATTESTATION_ITEM, 1), else_=0)).label("acks"),
            func.max(case((Ack.item == ATTESTATION_ITEM, 1), else_=0)).label("attested"),
        )
        .join(CampaignMember, and_(CampaignMember.staff_id == Ack.staff_id, active))
        .where(Ack.campaign_id == campaign.id)
        .group_by(Ack.staff_id)
        .subquery()
    )
    acks, complete, attested = (
        await session.execute(
            select(
                func.coalesce(func.sum(per_person.c.acks), 0),
                func.coalesce(func.sum(case((per_person.c.acks >= max(sections, 1), 1), else_=0)), 0),
                func.coalesce(func.sum(per_person.c.attested), 0),
            )
        )
    ).one()
    comments, unanswered = (
        await session.execute(
            select(
                func.count(Feedback.id),
                func.coalesce(func.sum(case((Feedback.status == FeedbackStatus.RECEIVED, 1), else_=0)), 0),
            ).where(Feedback.campaign_id == campaign.id)
        )
    ).one()
    return CampaignProgress(
        campaign=campaign, sections=sections, members=members, linked=linked, all_confirmed=int(complete),
        attested=int(attested), acks=int(acks), comments=int(comments), unanswered=int(unanswered),
    )


# --- members ------------------------------------------------------------------------------


class MemberStatus(str, enum.Enum):
    UNLINKED = "unlinked"  # no messenger account linked yet
    UNREACHABLE = "unreachable"  # linked, but every account blocked the bot or is gone
    NOT_STARTED = "not_started"  # reachable, nothing confirmed
    READING = "reading"  # some sections confirmed
    CONFIRMED = "confirmed"  # every section confirmed
    ATTESTED = "attested"  # confirmed the whole document too


@dataclass(frozen=True)
class MemberRow:
    staff_id: int
    name: str
    department: str | None
    position: str | None
    channels: tuple[str, ...]
    reachable: bool
    sent: int
    confirmed: int
    last_confirmed_at: dt.datetime | None
    attested_at: dt.datetime | None
    status: MemberStatus


@dataclass(frozen=True)
class MemberPage:
    rows: list[MemberRow]
    total: int  # rows matching the filter
    page: int
    pages: int


async def departments(session: AsyncSession, campaign_id: int) -> list[tuple[int, str]]:
    """(id, name) of the departments that have members in the campaign."""
    return [
        (i, n)
        for i, n in (
            await session.execute(
                select(Department.id, Department.name)
                .join(Staff, Staff.department_id == Department.id)
                .join(CampaignMember, CampaignMember.staff_id == Staff.id)
                .where(CampaignMember.campaign_id == campaign_id, CampaignMember.removed_at.is_(None))
                .group_by(Department.id, Department.name)
                .order_by(Department.name)
            )
        ).all()
    ]


async def members(
    session: AsyncSession,
    campaign: Campaign,
    *,
    department_id: int | None = None,
    status: MemberStatus | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> MemberPage:
    """One page of the campaign's members, by department then name.

    Without a status filter the page is chosen first and the counts are made for its
    people only; a status filter needs everyone's counts to know who matches."""
    sections = max(await section_count(session, campaign.document_id), 1)
    order = (func.coalesce(Department.name, ""), Staff.full_name, Staff.id)
    listed = (
        select(Staff.id)
        .select_from(CampaignMember)
        .join(Staff, Staff.id == CampaignMember.staff_id)
        .outerjoin(Department, Department.id == Staff.department_id)
        .where(CampaignMember.campaign_id == campaign.id, CampaignMember.removed_at.is_(None))
    )
    if department_id is not None:
        listed = listed.where(Staff.department_id == department_id)
    if status is None:
        total = int(await session.scalar(select(func.count()).select_from(listed.subquery())) or 0)
        pages = max(1, -(-total // page_size))
        page = min(max(page, 1), pages)
        ids = list((await session.scalars(listed.order_by(*order).limit(page_size).offset((page - 1) * page_size))).all())
        query, _ = _member_rows(campaign, sections, ids)
        rows = (await session.execute(query.order_by(*order))).all() if ids else []
    else:
        query, status_expr = _member_rows(campaign, sections, None)
        if department_id is not None:
            query = query.where(Staff.department_id == department_id)
        query = query.where(status_expr == status.value)
        total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        pages = max(1, -(-total // page_size))
        page = min(max(page, 1), pages)
        rows = (await session.execute(query.order_by(*order).limit(page_size).offset((page - 1) * page_size))).all()
    channels: dict[int, list[str]] = {}
    shown = [r[0] for r in rows]
    if shown:
        for staff_id, channel in (
            await session.execute(
                select(ChannelIdentity.staff_id, ChannelIdentity.channel)
                .where(ChannelIdentity.staff_id.in_(shown))
                .order_by(ChannelIdentity.channel)
            )
        ).all():
            channels.setdefault(staff_id, []).append(channel.value)
    return MemberPage(
        rows=[
            MemberRow(
                staff_id=r[0], name=r[1], department=r[2], position=r[3], channels=tuple(channels.get(r[0], ())),
                reachable=bool(r[4]), sent=int(r[5]), confirmed=int(r[6]), last_confirmed_at=r[7],
                attested_at=r[8], status=MemberStatus(r[9]),
            )
            for r in rows
        ],
        total=total,
        page=page,
        pages=pages,
    )


def _member_rows(campaign: Campaign, sections: int, ids: list[int] | None) -> tuple[Select[Any], Any]:
    """The members' rows with their counts and status; ``ids``: only these people."""

    def only(column: Any) -> Any:
        return column.in_(ids) if ids is not None else true()

    identity = (
        select(
            ChannelIdentity.staff_id,
            func.max(case((ChannelIdentity.reachable.is_(True), 1), else_=0)).label("reachable"),
        )
        .where(only(ChannelIdentity.staff_id))
        .group_by(ChannelIdentity.staff_id)
        .subquery()
    )
    acks = (
        select(
            Ack.staff_id,
            func.sum(case((Ack.item != ATTESTATION_ITEM, 1), else_=0)).label("confirmed"),
            func.max(case((Ack.item != ATTESTATION_ITEM, Ack.at))).label("last_at"),
            func.max(case((Ack.item == ATTESTATION_ITEM, Ack.at))).label("attested_at"),
        )
        .where(Ack.campaign_id == campaign.id, only(Ack.staff_id))
        .group_by(Ack.staff_id)
        .subquery()
    )
    sent = (
        select(Delivery.staff_id, func.count(Delivery.id).label("sent"))
        .where(
            Delivery.campaign_id == campaign.id,
            Delivery.kind == DeliveryKind.SECTION,
            Delivery.status == DeliveryStatus.SENT,
            only(Delivery.staff_id),
        )
        .group_by(Delivery.staff_id)
        .subquery()
    )
    confirmed = func.coalesce(acks.c.confirmed, 0)
    status_expr = case(
        (acks.c.attested_at.is_not(None), MemberStatus.ATTESTED.value),
        (confirmed >= sections, MemberStatus.CONFIRMED.value),
        (confirmed > 0, MemberStatus.READING.value),
        (identity.c.staff_id.is_(None), MemberStatus.UNLINKED.value),
        (identity.c.reachable == 0, MemberStatus.UNREACHABLE.value),
        else_=MemberStatus.NOT_STARTED.value,
    )
    query = (
        select(
            Staff.id, Staff.full_name, Department.name, Staff.position, identity.c.reachable,
            func.coalesce(sent.c.sent, 0), confirmed, acks.c.last_at, acks.c.attested_at, status_expr.label("status"),
        )
        .select_from(CampaignMember)
        .join(Staff, Staff.id == CampaignMember.staff_id)
        .outerjoin(Department, Department.id == Staff.department_id)
        .outerjoin(identity, identity.c.staff_id == Staff.id)
        .outerjoin(acks, acks.c.staff_id == Staff.id)
        .outerjoin(sent, sent.c.staff_id == Staff.id)
        .where(CampaignMember.campaign_id == campaign.id, CampaignMember.removed_at.is_(None), only(Staff.id))
    )
    return query, status_expr


# --- sections -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionRate:
    ordinal: int
    path: str
    heading: str
    sent: int  # people the section reached
    confirmed: int  # people who confirmed it
    comments: int
    members: int

    @property
    def rate(self) -> float:
        return self.confirmed / self.members if self.members else 0.0


async def section_rates(session: AsyncSession, campaign: Campaign) -> list[SectionRate]:
    active = and_(CampaignMember.campaign_id == campaign.id, CampaignMember.removed_at.is_(None))
    members = int(await session.scalar(select(func.count(CampaignMember.id)).where(active)) or 0)
    sent = dict(
        (
            await session.execute(
                select(Delivery.section_id, func.count(Delivery.id))
                .where(
                    Delivery.campaign_id == campaign.id,
                    Delivery.kind == DeliveryKind.SECTION,
                    Delivery.status == DeliveryStatus.SENT,
                )
                .group_by(Delivery.section_id)
            )
        ).all()
    )
    confirmed = dict(
        (
            await session.execute(
                select(Ack.item, func.count(Ack.id))
                .join(CampaignMember, and_(CampaignMember.staff_id == Ack.staff_id, active))
                .where(Ack.campaign_id == campaign.id, Ack.item != ATTESTATION_ITEM)
                .group_by(Ack.item)
            )
        ).all()
    )
    comments = dict(
        (
            await session.execute(
                select(Feedback.section_id, func.count(Feedback.id))
                .where(Feedback.campaign_id == campaign.id, Feedback.section_id.is_not(None))
                .group_by(Feedback.section_id)
            )
        ).all()
    )
    sections = (
        await session.execute(
            select(Section.id, Section.ordinal, Section.path, Section.heading)
            .where(Section.document_id == campaign.document_id)
            .order_by(Section.ordinal)
        )
    ).all()
    return [
        SectionRate(
            ordinal=ordinal, path=path, heading=heading, sent=int(sent.get(section_id, 0)),
            confirmed=int(confirmed.get(ordinal, 0)), comments=int(comments.get(section_id, 0)), members=members,
        )
        for section_id, ordinal, path, heading in sections
    ]


# --- announcements ------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncementCounts:
    announcement: Announcement
    author: str | None
    recipients: int
    sent: int
    failed: int
    confirmed: int


async def announcements(session: AsyncSession, limit: int = 100) -> list[AnnouncementCounts]:
    """Announcements past the draft, newest first, with what became of them."""
    rows = (
        await session.execute(
            select(Announcement, Staff.full_name)
            .outerjoin(Staff, Staff.id == Announcement.author_id)
            .where(Announcement.status != AnnouncementStatus.DRAFT)
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(limit)
        )
    ).all()
    ids = [a.id for a, _ in rows]
    deliveries: dict[int, tuple[int, int, int]] = {}
    confirmed: dict[int, int] = {}
    if ids:
        for announcement_id, recipients, sent, failed in (
            await session.execute(
                select(
                    Delivery.announcement_id,
                    func.count(Delivery.id),
                    func.sum(case((Delivery.status == DeliveryStatus.SENT, 1), else_=0)),
                    func.sum(
                        case((or_(Delivery.status == DeliveryStatus.FAILED, Delivery.status == DeliveryStatus.BLOCKED), 1),
                             else_=0)
                    ),
                )
                .where(Delivery.announcement_id.in_(ids), Delivery.status != DeliveryStatus.CANCELLED)
                .group_by(Delivery.announcement_id)
            )
        ).all():
            deliveries[announcement_id] = (int(recipients), int(sent or 0), int(failed or 0))
        confirmed = {
            a: int(n)
            for a, n in (
                await session.execute(
                    select(AnnouncementAck.announcement_id, func.count(AnnouncementAck.id))
                    .where(AnnouncementAck.announcement_id.in_(ids))
                    .group_by(AnnouncementAck.announcement_id)
                )
            ).all()
        }
    return [
        AnnouncementCounts(a, author, *deliveries.get(a.id, (0, 0, 0)), confirmed.get(a.id, 0)) for a, author in rows
    ]
