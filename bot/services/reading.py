"""What a member does with the regulation: confirm a section, read ahead, read any
section on demand, see their progress, confirm the whole document.

Every write here is idempotent (unique constraints), so a double tap or a
redelivered update changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.db.models import Ack, Campaign, CampaignMember, Delivery
from bot.db.queries import insert_ignoring_duplicates
from bot.domain.enums import CampaignStatus, Channel, DeliveryKind, DeliveryStatus
from bot.services import deliveries
from bot.services.documents import SectionView, sections_of

ATTESTATION_ITEM = 0


async def member_campaigns(session: AsyncSession, staff_id: int, *, include_closed: bool = False) -> list[Campaign]:
    """The campaigns this person is a member of, newest first (active ones by default)."""
    statuses = [CampaignStatus.ACTIVE] + ([CampaignStatus.CLOSED] if include_closed else [])
    return list(
        (
            await session.scalars(
                select(Campaign)
                .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
                .where(
                    CampaignMember.staff_id == staff_id,
                    CampaignMember.removed_at.is_(None),
                    Campaign.status.in_(statuses),
                )
                .options(selectinload(Campaign.document))
                .order_by(Campaign.id.desc())
            )
        ).all()
    )


async def member_campaign(session: AsyncSession, staff_id: int, campaign_id: int) -> Campaign | None:
    """The campaign if this person may read it now (member, window open), in one query."""
    return await session.scalar(
        select(Campaign)
        .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
        .where(
            Campaign.id == campaign_id,
            Campaign.status == CampaignStatus.ACTIVE,
            CampaignMember.staff_id == staff_id,
            CampaignMember.removed_at.is_(None),
        )
        .options(joinedload(Campaign.document))
    )


async def sections(session: AsyncSession, campaign: Campaign) -> tuple[SectionView, ...]:
    return await sections_of(session, campaign.document_id)


async def section_of(session: AsyncSession, campaign: Campaign, ordinal: int) -> SectionView | None:
    for section in await sections(session, campaign):
        if section.ordinal == ordinal:
            return section
    return None


# The acknowledgment path runs for every "Đã đọc": its statements are built once.
_CONFIRMED_COUNT = select(func.count(Ack.id)).where(
    Ack.campaign_id == bindparam("campaign_id"), Ack.staff_id == bindparam("staff_id"), Ack.item != ATTESTATION_ITEM
)
# The document, if this person may confirm in this campaign now, and how many sections they
# had confirmed: one round trip.
_OPEN_DOCUMENT = (
    select(Campaign.document_id, _CONFIRMED_COUNT.scalar_subquery())
    .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
    .where(
        Campaign.id == bindparam("campaign_id"),
        Campaign.status == CampaignStatus.ACTIVE,
        CampaignMember.staff_id == bindparam("staff_id"),
        CampaignMember.removed_at.is_(None),
    )
)
_ACK_AT = select(Ack.at).where(
    Ack.campaign_id == bindparam("campaign_id"), Ack.staff_id == bindparam("staff_id"), Ack.item == bindparam("item")
)


class AckStatus(str, enum.Enum):
    NEW = "new"
    AGAIN = "again"  # already confirmed: nothing changes
    CLOSED = "closed"  # not a member of an open campaign with that section


@dataclass(frozen=True)
class AckResult:
    status: AckStatus
    at: dt.datetime | None = None
    confirmed: int = 0
    total: int = 0
    attestation_queued: bool = False


async def confirm_section(
    session: AsyncSession, staff_id: int, campaign_id: int, ordinal: int, via: Channel, now: dt.datetime
) -> AckResult:
    """Store "Đã đọc" for one section. When it completes the document, queue the request
    for the final attestation. The hottest path of the bot: columns, not objects."""
    found = (await session.execute(_OPEN_DOCUMENT, {"campaign_id": campaign_id, "staff_id": staff_id})).first()
    if found is None:
        return AckResult(AckStatus.CLOSED)
    document_id, confirmed_before = found
    views = await sections_of(session, document_id)
    section = next((s for s in views if s.ordinal == ordinal), None)
    if section is None:
        return AckResult(AckStatus.CLOSED)
    inserted = await insert_ignoring_duplicates(
        session,
        Ack,
        [{"campaign_id": campaign_id, "staff_id": staff_id, "section_id": section.id, "item": ordinal, "at": now, "via": via}],
    )
    at = now if inserted else await session.scalar(
        _ACK_AT, {"campaign_id": campaign_id, "staff_id": staff_id, "item": ordinal}
    )
    confirmed = int(confirmed_before or 0) + inserted
    total = len(views)
    queued = False
    if confirmed >= total:  # idempotent: a press after completing finds the request already queued
        queued = await _queue_attestation(session, campaign_id, staff_id, now)
    return AckResult(AckStatus.NEW if inserted else AckStatus.AGAIN, at, confirmed, total, queued)


async def _confirmed_sections(session: AsyncSession, campaign_id: int, staff_id: int) -> int:
    return int(await session.scalar(_CONFIRMED_COUNT, {"campaign_id": campaign_id, "staff_id": staff_id}) or 0)


async def _queue_attestation(session: AsyncSession, campaign_id: int, staff_id: int, now: dt.datetime) -> bool:
    return bool(
        await deliveries.queue_message(
            session,
            source=deliveries.campaign_source(campaign_id),
            kind=DeliveryKind.ATTESTATION,
            staff_ids=[staff_id],
            payload={},
            due_at=now,
            now=now,
            campaign_id=campaign_id,
            item=ATTESTATION_ITEM,
        )
    )


async def attest(session: AsyncSession, staff_id: int, campaign_id: int, via: Channel, now: dt.datetime) -> AckResult:
    """The final attestation: the person confirms the whole document."""
    campaign = await member_campaign(session, staff_id, campaign_id)
    if campaign is None:
        return AckResult(AckStatus.CLOSED)
    inserted = await insert_ignoring_duplicates(
        session,
        Ack,
        [{"campaign_id": campaign.id, "staff_id": staff_id, "section_id": None, "item": ATTESTATION_ITEM, "at": now, "via": via}],
    )
    at = await session.scalar(
        select(Ack.at).where(Ack.campaign_id == campaign.id, Ack.staff_id == staff_id, Ack.item == ATTESTATION_ITEM)
    )
    total = len(await sections(session, campaign))
    confirmed = await _confirmed_sections(session, campaign.id, staff_id)
    return AckResult(AckStatus.NEW if inserted else AckStatus.AGAIN, at, confirmed, total)


class NextStatus(str, enum.Enum):
    QUEUED = "queued"
    ALL_SENT = "all_sent"
    NO_CAMPAIGN = "no_campaign"


@dataclass(frozen=True)
class NextResult:
    status: NextStatus
    section: SectionView | None = None


async def read_next(session: AsyncSession, staff_id: int, campaign_id: int | None, now: dt.datetime) -> NextResult:
    """"Đọc tiếp": the first section not yet sent to this person goes out now."""
    campaigns = await member_campaigns(session, staff_id)
    campaign = next((c for c in campaigns if campaign_id in (None, c.id)), None)
    if campaign is None:
        return NextResult(NextStatus.NO_CAMPAIGN)
    sent_or_sending = set(
        (
            await session.scalars(
                select(Delivery.item).where(
                    Delivery.source == deliveries.campaign_source(campaign.id),
                    Delivery.staff_id == staff_id,
                    Delivery.kind == DeliveryKind.SECTION,
                    (Delivery.status == DeliveryStatus.SENT)
                    | ((Delivery.status == DeliveryStatus.PENDING) & (Delivery.due_at <= now)),
                )
            )
        ).all()
    )
    for section in await sections(session, campaign):
        if section.ordinal not in sent_or_sending:
            await deliveries.queue_section_now(session, campaign, staff_id, section, now)
            return NextResult(NextStatus.QUEUED, section)
    return NextResult(NextStatus.ALL_SENT)


@dataclass(frozen=True)
class TocEntry:
    ordinal: int
    path: str
    heading: str
    received: bool
    confirmed: bool


async def table_of_contents(session: AsyncSession, campaign: Campaign, staff_id: int) -> list[TocEntry]:
    received = await _items(session, campaign.id, staff_id, sent_only=True)
    confirmed = await _acked(session, campaign.id, staff_id)
    return [
        TocEntry(s.ordinal, s.path, s.heading, s.ordinal in received, s.ordinal in confirmed)
        for s in await sections(session, campaign)
    ]


async def _items(session: AsyncSession, campaign_id: int, staff_id: int, *, sent_only: bool) -> set[int]:
    query = select(Delivery.item).where(
        Delivery.source == deliveries.campaign_source(campaign_id),
        Delivery.staff_id == staff_id,
        Delivery.kind == DeliveryKind.SECTION,
    )
    if sent_only:
        query = query.where(Delivery.status == DeliveryStatus.SENT)
    return set((await session.scalars(query)).all())


async def _acked(session: AsyncSession, campaign_id: int, staff_id: int) -> set[int]:
    return set(
        (await session.scalars(select(Ack.item).where(Ack.campaign_id == campaign_id, Ack.staff_id == staff_id))).all()
    )


class ReadStatus(str, enum.Enum):
    QUEUED = "queued"  # not sent before: it goes out as the person's copy
    AGAIN = "again"  # already received: show it again right here
    NOT_FOUND = "not_found"


async def read_section(
    session: AsyncSession, staff_id: int, campaign_id: int, ordinal: int, now: dt.datetime
) -> tuple[ReadStatus, SectionView | None]:
    """Read any section on demand, for the whole window."""
    campaign = await member_campaign(session, staff_id, campaign_id)
    section = await section_of(session, campaign, ordinal) if campaign else None
    if campaign is None or section is None:
        return ReadStatus.NOT_FOUND, None
    if await deliveries.queue_section_now(session, campaign, staff_id, section, now):
        return ReadStatus.QUEUED, section
    return ReadStatus.AGAIN, section


@dataclass(frozen=True)
class Progress:
    campaign: Campaign
    total: int
    received: int
    confirmed: int
    attested: bool
    days_left: int
    next_unconfirmed: int | None


async def progress(session: AsyncSession, staff_id: int, now: dt.datetime, tz: str) -> list[Progress]:
    from zoneinfo import ZoneInfo

    today = now.astimezone(ZoneInfo(tz)).date()
    result = []
    for campaign in await member_campaigns(session, staff_id):
        received = await _items(session, campaign.id, staff_id, sent_only=True)
        acked = await _acked(session, campaign.id, staff_id)
        ordinals = [s.ordinal for s in await sections(session, campaign)]
        result.append(
            Progress(
                campaign=campaign,
                total=len(ordinals),
                received=len(received),
                confirmed=len([o for o in ordinals if o in acked]),
                attested=ATTESTATION_ITEM in acked,
                days_left=max((campaign.end_on - today).days + 1, 0),
                next_unconfirmed=next((o for o in ordinals if o in received and o not in acked), None),
            )
        )
    return result
