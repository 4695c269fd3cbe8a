"""What a member does with the regulation: confirm a section, read ahead, read any
section on demand, see their progress, confirm the whole document.

Every write here is idempotent (unique constraints), so a double tap or a
redelivered update changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.db.models import Ack, Campaign, CampaignMember, Delivery
from bot.db.queries import insert_ignoring_duplicates, insert_new
from bot.domain.enums import ATTESTATION_ITEM, CampaignStatus, Channel, DeliveryKind, DeliveryStatus
from bot.domain.text import nfc
from bot.services import deliveries, tallies
from bot.services.documents import SectionView, sections_of


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
                .options(joinedload(Campaign.document))
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


def _count_confirmed(campaign_id: Any, staff_id: Any) -> Select[int]:
    """How many sections (not the final attestation) a person confirmed in a campaign."""
    return select(func.count(Ack.id)).where(
        Ack.campaign_id == campaign_id, Ack.staff_id == staff_id, Ack.item != ATTESTATION_ITEM
    )


# The acknowledgment path runs for every "Đã đọc": its statements are built once.
_CONFIRMED_COUNT = _count_confirmed(bindparam("campaign_id"), bindparam("staff_id"))
# The document of each campaign these people may confirm in now, and how many sections each
# had confirmed there: one round trip for any number of presses.
_OPEN_DOCUMENTS = (
    select(
        Campaign.id,
        CampaignMember.staff_id,
        Campaign.document_id,
        _count_confirmed(Campaign.id, CampaignMember.staff_id).scalar_subquery(),
    )
    .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
    .where(
        Campaign.id.in_(bindparam("campaign_ids", expanding=True)),
        Campaign.status == CampaignStatus.ACTIVE,
        CampaignMember.staff_id.in_(bindparam("staff_ids", expanding=True)),
        CampaignMember.removed_at.is_(None),
    )
)
# Sections these people have received, or that are due to them now (the drip's row has come
# due, or they asked for it): only those can be confirmed. Found by the delivery's unique key
# (source, person, item): one index lookup per press. Asked by campaign id, SQLite read every
# section sent to each person of the batch (the campaign's index: 40 rows a person) and kept
# the pressed ones.
_RECEIVED = select(Delivery.campaign_id, Delivery.staff_id, Delivery.item).where(
    Delivery.source.in_(bindparam("sources", expanding=True)),
    Delivery.staff_id.in_(bindparam("staff_ids", expanding=True)),
    Delivery.item.in_(bindparam("items", expanding=True)),
    Delivery.kind == DeliveryKind.SECTION,
    (Delivery.status == DeliveryStatus.SENT)
    | ((Delivery.status == DeliveryStatus.PENDING) & (Delivery.due_at <= bindparam("now"))),
)
_ACKS_AT = select(Ack.campaign_id, Ack.staff_id, Ack.item, Ack.at).where(
    Ack.campaign_id.in_(bindparam("campaign_ids", expanding=True)),
    Ack.staff_id.in_(bindparam("staff_ids", expanding=True)),
    Ack.item.in_(bindparam("items", expanding=True)),
)


class AckStatus(str, enum.Enum):
    NEW = "new"
    AGAIN = "again"  # already confirmed: nothing changes
    CLOSED = "closed"  # not a member of an open campaign with that section
    NOT_SENT = "not_sent"  # the section was never sent to this person (nor is it due), or, for
    # the attestation, not every section is confirmed yet


@dataclass(frozen=True)
class AckResult:
    status: AckStatus
    at: dt.datetime | None = None
    confirmed: int = 0
    total: int = 0
    attestation_queued: bool = False


@dataclass(frozen=True)
class MemberPress:
    """One "Đã đọc": this person, this section of this campaign, on this channel."""

    staff_id: int
    campaign_id: int
    ordinal: int
    via: Channel


async def confirm_sections(session: AsyncSession, presses: list[MemberPress], now: dt.datetime) -> list[AckResult]:
    """Store "Đã đọc" for many presses in one transaction, a result for each, in order (a press
    that completes the document queues the request for the final attestation):
    the hottest path of the bot, so a fixed handful of statements for any number of
    presses, and columns, not objects. A person's later press in the same batch counts
    the earlier ones."""
    if not presses:
        return []
    keys = {"campaign_ids": list({p.campaign_id for p in presses}), "staff_ids": list({p.staff_id for p in presses})}
    sections: dict[tuple[int, int], tuple[SectionView, ...]] = {}  # (campaign, member): the sections to confirm
    confirmed: dict[tuple[int, int], int] = {}  # (campaign, member): how many so far
    for campaign_id, staff_id, document_id, count in (await session.execute(_OPEN_DOCUMENTS, keys)).all():
        sections[campaign_id, staff_id] = await sections_of(session, document_id)
        confirmed[campaign_id, staff_id] = int(count or 0)
    received = {
        tuple(row)
        for row in (
            await session.execute(_RECEIVED, {
                "sources": [deliveries.campaign_source(c) for c in keys["campaign_ids"]],
                "staff_ids": keys["staff_ids"], "items": list({p.ordinal for p in presses}), "now": now,
            })
        ).all()
    }
    rows: dict[tuple[int, int, int], dict[str, object]] = {}
    for press in presses:
        views = sections.get((press.campaign_id, press.staff_id), ())
        section = next((s for s in views if s.ordinal == press.ordinal), None)
        if section is not None and (press.campaign_id, press.staff_id, press.ordinal) in received:
            rows.setdefault((press.campaign_id, press.staff_id, press.ordinal), {
                "campaign_id": press.campaign_id, "staff_id": press.staff_id, "section_id": section.id,
                "item": press.ordinal, "at": now, "via": press.via,
            })
    new = await insert_new(session, Ack, list(rows.values()), Ack.campaign_id, Ack.staff_id, Ack.item)
    await tallies.add_confirmations(session, (rows[key] for key in new))
    earlier: dict[tuple[int, int, int], dt.datetime] = {}
    if len(new) < len(rows):
        items = {"items": list({key[2] for key in rows}), **keys}
        earlier = {(c, s, i): at for c, s, i, at in (await session.execute(_ACKS_AT, items)).all()}
    results: list[AckResult] = []
    for press in presses:
        key = (press.campaign_id, press.staff_id, press.ordinal)
        if key not in rows:
            open_here = (press.campaign_id, press.staff_id) in sections
            results.append(AckResult(AckStatus.NOT_SENT if open_here else AckStatus.CLOSED))
            continue
        pair = key[:2]
        inserted = key in new
        if inserted:
            new.discard(key)  # a second press of the same section in this batch finds it confirmed
            earlier[key] = now
            confirmed[pair] += 1
        total = len(sections[pair])
        queued = False
        if confirmed[pair] >= total:  # idempotent: a press after completing finds the request already queued
            queued = await _queue_attestation(session, press.campaign_id, press.staff_id, now)
        status = AckStatus.NEW if inserted else AckStatus.AGAIN
        results.append(AckResult(status, now if inserted else earlier.get(key), confirmed[pair], total, queued))
    return results


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
    total = len(await sections(session, campaign))
    confirmed = await _confirmed_sections(session, campaign.id, staff_id)
    if confirmed < total:
        return AckResult(AckStatus.NOT_SENT, confirmed=confirmed, total=total)
    row = {"campaign_id": campaign.id, "staff_id": staff_id, "section_id": None, "item": ATTESTATION_ITEM, "at": now,
           "via": via}
    inserted = await insert_ignoring_duplicates(session, Ack, [row])
    if inserted:
        await tallies.add_confirmations(session, [row])
    at = await session.scalar(
        select(Ack.at).where(Ack.campaign_id == campaign.id, Ack.staff_id == staff_id, Ack.item == ATTESTATION_ITEM)
    )
    return AckResult(AckStatus.NEW if inserted else AckStatus.AGAIN, at, confirmed, total)


class NextStatus(str, enum.Enum):
    QUEUED = "queued"
    ALL_SENT = "all_sent"
    NO_CAMPAIGN = "no_campaign"


@dataclass(frozen=True)
class NextResult:
    status: NextStatus
    section: SectionView | None = None
    campaign_id: int | None = None


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
            return NextResult(NextStatus.QUEUED, section, campaign.id)
    return NextResult(NextStatus.ALL_SENT, campaign_id=campaign.id)


async def document_label(session: AsyncSession, staff_id: int, campaign_id: int) -> str | None:
    """The name of a campaign's document when this person has several open at once (each
    section then says which document it belongs to); None when there is only one."""
    campaigns = await member_campaigns(session, staff_id)
    if len(campaigns) < 2:
        return None
    campaign = next((c for c in campaigns if c.id == campaign_id), None)
    return campaign.document.title if campaign is not None else None


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


@dataclass(frozen=True)
class LastSection:
    campaign_id: int
    ordinal: int
    at: dt.datetime | None
    delivery_id: int


async def last_section_sent(session: AsyncSession, staff_id: int, channel: Channel) -> LastSection | None:
    """The section this person got last on a channel (the newest one sent there)."""
    row = (
        await session.execute(
            select(Delivery.campaign_id, Delivery.item, Delivery.sent_at, Delivery.id)
            .where(
                Delivery.staff_id == staff_id,
                Delivery.kind == DeliveryKind.SECTION,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.channel == channel,
            )
            .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
            .limit(1)
        )
    ).first()
    if row is None or row.campaign_id is None:
        return None
    return LastSection(int(row.campaign_id), int(row.item), row.sent_at, int(row.id))


_ARTICLE = re.compile(r"(?:^|›\s*)Điều\s+(\d+)(?![\d])", re.IGNORECASE)


def article_number(section: SectionView) -> int | None:
    """The number of the article (Điều) a section is, from its heading or its path."""
    for text in (section.heading, section.path):
        found = _ARTICLE.findall(nfc(text or ""))
        if found:
            return int(found[-1])
    return None


async def section_by_article(session: AsyncSession, campaign: Campaign, number: int) -> SectionView | None:
    """The section labelled "Điều ``number``" (not the ``number``-th item)."""
    for section in await sections(session, campaign):
        if article_number(section) == number:
            return section
    return None
