"""Comments (góp ý) from members on a section or on the whole document.

An anonymous comment keeps no link to its author anywhere: no staff id in the
row, nothing in the audit trail, and its time kept to the day only (the sample
quy chế promises this), so the row cannot be matched against other logs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Feedback
from bot.domain.enums import Channel, FeedbackStatus
from bot.domain.text import nfc
from bot.services import audit
from bot.services.reading import member_campaign, section_of

MAX_LENGTH = 4000


class FeedbackRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "closed", "empty", "too_long"


@dataclass(frozen=True)
class Submitted:
    feedback_id: int
    anonymous: bool


async def submit(
    session: AsyncSession,
    *,
    staff_id: int,
    campaign_id: int,
    ordinal: int | None,
    text: str,
    anonymous: bool,
    via: Channel,
    now: dt.datetime,
) -> Submitted:
    """Store a comment. Only a member of an open campaign may comment."""
    campaign = await member_campaign(session, staff_id, campaign_id)
    if campaign is None:
        raise FeedbackRefused("closed")
    text = nfc(text).strip()
    if not text:
        raise FeedbackRefused("empty")
    if len(text) > MAX_LENGTH:
        raise FeedbackRefused("too_long")
    section = await section_of(session, campaign, ordinal) if ordinal else None
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    feedback = Feedback(
        campaign_id=campaign.id,
        section_id=section.id if section else None,
        staff_id=None if anonymous else staff_id,
        anonymous=anonymous,
        text=text,
        status=FeedbackStatus.RECEIVED,
        created_at=day_start if anonymous else now,
    )
    session.add(feedback)
    await session.flush()
    if not anonymous:
        audit.record(session, now, f"staff:{staff_id}", "feedback.submit", "feedback", feedback.id)
    return Submitted(feedback.id, anonymous)


async def count_for_campaign(session: AsyncSession, campaign_id: int) -> int:
    return int(await session.scalar(select(func.count(Feedback.id)).where(Feedback.campaign_id == campaign_id)) or 0)
