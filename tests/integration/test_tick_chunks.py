"""The tick reads a campaign's audience in chunks: the same places in the stagger, the same rows,
whatever the chunk size."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Campaign, CampaignMember, ChannelIdentity, Delivery, Staff
from bot.domain.enums import CampaignStatus, Channel
from bot.runtime import SAMPLE_DOCUMENT
from bot.services import campaigns, deliveries, documents
from bot.services.document_files import read_document

NOW = dt.datetime(2026, 11, 22, 3, tzinfo=dt.UTC)
TZ = "Asia/Ho_Chi_Minh"


async def _campaign(sessions: async_sessionmaker[AsyncSession], people: int) -> int:
    async with sessions() as session, session.begin():
        document = (await documents.import_document(session, read_document(SAMPLE_DOCUMENT), NOW,
                                                    source_name="test")).document
        await session.execute(insert(Staff), [
            {"full_name": f"Cán bộ {i}", "roles": "staff", "active": True, "created_at": NOW, "updated_at": NOW}
            for i in range(people)
        ])
        campaign = (await campaigns.create_campaign(session, document_id=document.id, decided_on=NOW.date(),
                                                     start_on=dt.date(2026, 11, 23), days=20, now=NOW, tz=TZ)).campaign
        ids = (await session.scalars(select(Staff.id).order_by(Staff.id))).all()
        # every third person is not linked, one has left: they keep (or lose) their place in the stagger
        await session.execute(insert(ChannelIdentity), [
            {"staff_id": s, "channel": Channel.TELEGRAM, "external_user_id": str(s), "chat_id": str(s),
             "reachable": True, "linked_at": NOW} for s in ids if s % 3
        ])
        await session.execute(update(Staff).where(Staff.id == ids[4]).values(active=False))
        await session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status=CampaignStatus.ACTIVE))
        return campaign.id


async def test_chunks_keep_each_place_in_the_audience(sessions: async_sessionmaker[AsyncSession],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    campaign_id = await _campaign(sessions, 20)
    async with sessions() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        whole = [c async for chunk in deliveries.member_chunks(session, campaign, 1000) for c in chunk]
        small = [list(chunk) async for chunk in deliveries.member_chunks(session, campaign, 3)]
        assert len(small) == 7  # 19 active members, 3 at a time
        assert [c for chunk in small for c in chunk] == whole
        active = (await session.scalars(
            select(CampaignMember.staff_id).join(Staff, Staff.id == CampaignMember.staff_id)
            .where(CampaignMember.campaign_id == campaign_id, Staff.active.is_(True)).order_by(CampaignMember.id)
        )).all()
        assert [(c.staff_id, c.index) for c in whole] == [(s, place) for place, s in enumerate(active) if s % 3]
        assert await deliveries.audience_size(session, campaign) == len(active) == 19
    # the tick, three at a time, queues the first section for every linked member
    monkeypatch.setattr(deliveries, "MEMBER_CHUNK", 3)
    later = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    async with sessions() as session, session.begin():
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        queued = await deliveries.queue_due_sections(session, campaign, later, TZ)
    async with sessions() as session:
        people = set((await session.scalars(select(Delivery.staff_id).where(Delivery.item == 1))).all())
        members = (await session.scalars(select(CampaignMember.staff_id))).all()
    assert queued >= len(whole)
    assert people == {c.staff_id for c in whole} and len(members) == 20



async def test_the_tick_reads_no_member_until_the_audience_changes(sessions: async_sessionmaker[AsyncSession],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Between due times the tick checks a few aggregates, not the audience; a person linked
    since (or anyone joining, leaving, becoming reachable) makes it walk again."""
    campaign_id = await _campaign(sessions, 20)
    walks = 0
    chunks = deliveries.member_chunks

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal walks
        walks += 1
        return chunks(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(deliveries, "member_chunks", counted)
    later = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)

    async def tick(at: dt.datetime) -> int:
        async with sessions() as session, session.begin():
            campaign = await session.get(Campaign, campaign_id)
            assert campaign is not None
            return await deliveries.queue_due_sections(session, campaign, at, TZ)

    assert await tick(later) > 0
    first = walks
    assert first >= 1
    for seconds in (5, 10, 15):
        assert await tick(later + dt.timedelta(seconds=seconds)) == 0
    assert walks == first  # nothing changed, nothing due: no member read
    async with sessions() as session, session.begin():
        unlinked = (await session.scalars(select(Staff.id).where(Staff.id % 3 == 0).order_by(Staff.id))).first()
        session.add(ChannelIdentity(staff_id=unlinked, channel=Channel.TELEGRAM, external_user_id="new",
                                    chat_id="new", reachable=True, linked_at=NOW))
    assert await tick(later + dt.timedelta(seconds=20)) > 0  # what is due to the newly linked person
    assert walks > first
    async with sessions() as session:
        assert unlinked in set((await session.scalars(select(Delivery.staff_id).where(Delivery.item == 1))).all())
