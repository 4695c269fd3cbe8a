"""Comments (góp ý) from members on a section or on the whole document, and the
loop the law prescribes around them (Luật 10/2022 Art. 53–55, 46.10): leaders, the
union and the inspectors (BTTND) list them and answer each one (tiếp thu /
giải trình); a named commenter is told the answer; the synthesis is published
to every member. Also the requests for a document not (or no longer) published
(Art. 48.4).

An anonymous comment keeps no link to its author anywhere: no staff id in the
row, nothing in the audit trail or the logs, and its time kept to the day only
(the sample quy chế promises this), so the row cannot be matched against other
logs (Art. 9.2). Comment numbers are drawn at random (``_new_id``), named and
anonymous alike: a sequential number would place an anonymous comment between
two named ones whose times are in the audit trail. The pending step of its author
is stored under a keyed hash (bot/chat/pending.py), and after the commit the
SQLite write-ahead log is emptied into the database file, where deleted rows are
zeroed (bot/db/engine.py): a copy of the database files links no comment to a person.

The daily limit per person (``DAILY_LIMIT``) counts named and anonymous comments
alike. Named ones are counted from their rows. Anonymous ones are counted in
``anonymous_quota`` under an HMAC of (person, day) whose key (the deployment's
secret key) is never in the database, with no time and no comment id; the counts
of past days are dropped. Whoever holds both the key and a copy of the same day's
database could tell how many anonymous comments a person sent that day, never which.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.engine import secret_of, wipe_wal_after_commit
from bot.db.models import (
    AnonymousQuota,
    Campaign,
    CampaignMember,
    Department,
    Feedback,
    InfoRequest,
    Section,
    Staff,
)
from bot.db.queries import insert_ignoring_duplicates
from bot.domain.enums import (
    CampaignKind,
    CampaignStatus,
    Channel,
    DeliveryKind,
    FeedbackStatus,
    Role,
)
from bot.domain.messages import document_title
from bot.domain.text import nfc
from bot.domain.texts import t
from bot.services import access, audit, deliveries
from bot.services.reading import member_campaign, section_of

MAX_LENGTH = 4000
DAILY_LIMIT = 10  # comments a person may send a day, named and anonymous together
SUMMARY_CHUNK = 3500  # characters per message of a published summary


def _checked_text(text: str, refused: type[Exception]) -> str:
    """A comment, an answer or a request: NFC, trimmed, not empty, not too long."""
    text = nfc(text).strip()
    if not text:
        raise refused("empty")
    if len(text) > MAX_LENGTH:
        raise refused("too_long")
    return text


RETRYABLE = frozenset({"empty", "too_long"})  # refusals the person can mend by sending the text again


class FeedbackRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "closed", "deadline", "empty", "too_long", "rate_limited"


@dataclass(frozen=True)
class Submitted:
    feedback_id: int
    anonymous: bool


# --- the anonymous part of the daily limit ---------------------------------------------


def _quota_token(session: AsyncSession, staff_id: int, day: dt.date) -> str:
    """(person, day) under a key that is never in the database: the row counts, but whose
    count it is cannot be read from the database files."""
    return hmac.new(secret_of(session), f"{staff_id}:{day.isoformat()}".encode(), hashlib.sha256).hexdigest()


async def _anonymous_today(session: AsyncSession, staff_id: int, day: dt.date) -> int:
    return int(await session.scalar(
        select(AnonymousQuota.count).where(AnonymousQuota.token == _quota_token(session, staff_id, day),
                                           AnonymousQuota.day == day)
    ) or 0)


async def _count_anonymous(session: AsyncSession, staff_id: int, day: dt.date) -> None:
    """One more anonymous comment today; the counts of past days are dropped."""
    await session.execute(delete(AnonymousQuota).where(AnonymousQuota.day < day))
    token = _quota_token(session, staff_id, day)
    await insert_ignoring_duplicates(session, AnonymousQuota, [{"token": token, "day": day, "count": 0}])
    await session.execute(
        update(AnonymousQuota).where(AnonymousQuota.token == token, AnonymousQuota.day == day)
        .values(count=AnonymousQuota.count + 1)
    )


async def _sent_today(session: AsyncSession, staff_id: int, day_start: dt.datetime) -> int:
    named = int(
        await session.scalar(
            select(func.count(Feedback.id)).where(Feedback.staff_id == staff_id, Feedback.created_at >= day_start)
        )
        or 0
    )
    return named + await _anonymous_today(session, staff_id, day_start.date())


# --- submitting -------------------------------------------------------------------------

ID_LOW, ID_HIGH = 1_000_000, 9_999_999  # comment numbers: seven digits, drawn at random


async def _new_id(session: AsyncSession) -> int:
    """A comment number not taken yet, drawn at random so that it says nothing of when the
    comment came in relative to others."""
    while True:
        candidate = ID_LOW + secrets.randbelow(ID_HIGH - ID_LOW + 1)
        if await session.scalar(select(Feedback.id).where(Feedback.id == candidate)) is None:
            return candidate


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
    """Store a comment. Only a member of an open campaign may comment, before its end
    (for a consultation: its deadline), at most ``DAILY_LIMIT`` times a day."""
    campaign = await member_campaign(session, staff_id, campaign_id)
    if campaign is None or campaign.ends_at <= now:
        kind = await session.scalar(select(Campaign.kind).where(Campaign.id == campaign_id))
        raise FeedbackRefused("deadline" if kind is CampaignKind.CONSULTATION else "closed")
    text = _checked_text(text, FeedbackRefused)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if await _sent_today(session, staff_id, day_start) >= DAILY_LIMIT:
        raise FeedbackRefused("rate_limited")
    section = await section_of(session, campaign, ordinal) if ordinal else None
    feedback = Feedback(
        id=await _new_id(session),
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
    if anonymous:
        await _count_anonymous(session, staff_id, day_start.date())
        await wipe_wal_after_commit(session)
    else:
        audit.record(session, now, f"staff:{staff_id}", "feedback.submit", "feedback", feedback.id)
    return Submitted(feedback.id, anonymous)


async def count_for_campaign(session: AsyncSession, campaign_id: int) -> int:
    return int(await session.scalar(select(func.count(Feedback.id)).where(Feedback.campaign_id == campaign_id)) or 0)


# --- listing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackItem:
    id: int
    campaign_id: int
    ordinal: int | None  # None: the document as a whole
    where: str  # the section's heading, or the document's title
    anonymous: bool
    author: str | None  # None when anonymous
    author_id: int | None
    text: str
    status: FeedbackStatus
    answer: str | None
    answered_by: str | None
    answered_at: dt.datetime | None
    published_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def answered(self) -> bool:
        return self.status is not FeedbackStatus.RECEIVED


async def feedback_campaigns(session: AsyncSession) -> list[Campaign]:
    """Campaigns that can hold comments (open or closed), newest first."""
    return list(
        (
            await session.scalars(
                select(Campaign)
                .where(Campaign.status.in_([CampaignStatus.ACTIVE, CampaignStatus.CLOSED]))
                .options(selectinload(Campaign.document))
                .order_by(Campaign.id.desc())
            )
        ).all()
    )


async def load_campaign(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).options(selectinload(Campaign.document))
    )


async def list_feedback(
    session: AsyncSession, campaign_id: int, *, only_new: bool = False, ordinal: int | None = None,
    feedback_id: int | None = None,
) -> list[FeedbackItem]:
    """The comments of a campaign, oldest first; ``ordinal`` 0 = on the whole document."""
    campaign = await load_campaign(session, campaign_id)
    if campaign is None:
        return []
    query = (
        select(Feedback, Section.ordinal, Section.heading)
        .outerjoin(Section, Section.id == Feedback.section_id)
        .where(Feedback.campaign_id == campaign_id)
        .order_by(Feedback.created_at, Feedback.id)
    )
    if only_new:
        query = query.where(Feedback.status == FeedbackStatus.RECEIVED)
    if ordinal == 0:
        query = query.where(Feedback.section_id.is_(None))
    elif ordinal is not None:
        query = query.where(Section.ordinal == ordinal)
    if feedback_id is not None:
        query = query.where(Feedback.id == feedback_id)
    # Oldest first by day; within a day the named comments (by time), then the anonymous
    # ones, whose time is only the day, in the random order of their numbers.
    rows = sorted((await session.execute(query)).all(),
                  key=lambda r: (r[0].created_at.date(), r[0].anonymous, r[0].created_at, r[0].id))
    people_ids = {r[0].staff_id for r in rows} | {r[0].answered_by_id for r in rows}
    names: dict[int, str] = {
        staff_id: name
        for staff_id, name in (
            await session.execute(select(Staff.id, Staff.full_name).where(Staff.id.in_(people_ids - {None})))
        ).all()
    }
    title = document_title(campaign.document)
    return [
        FeedbackItem(
            id=fb.id, campaign_id=fb.campaign_id, ordinal=sec_ordinal, where=heading or title,
            anonymous=fb.anonymous, author=None if fb.anonymous else names.get(fb.staff_id),
            author_id=None if fb.anonymous else fb.staff_id, text=fb.text, status=fb.status, answer=fb.answer,
            answered_by=names.get(fb.answered_by_id), answered_at=fb.answered_at, published_at=fb.published_at,
            created_at=fb.created_at,
        )
        for fb, sec_ordinal, heading in rows
    ]


async def get_item(session: AsyncSession, feedback_id: int) -> FeedbackItem | None:
    campaign_id = await session.scalar(select(Feedback.campaign_id).where(Feedback.id == feedback_id))
    if campaign_id is None:
        return None
    items = await list_feedback(session, campaign_id, feedback_id=feedback_id)
    return items[0] if items else None


async def sections_with_comments(session: AsyncSession, campaign_id: int, *, only_new: bool = False) -> list[tuple[int, str, int]]:
    """(ordinal, heading, count) of the sections that have comments; ordinal 0 = whole document."""
    counts: dict[int, tuple[str, int]] = {}
    for item in await list_feedback(session, campaign_id, only_new=only_new):
        key = item.ordinal or 0
        counts[key] = (item.where, counts.get(key, ("", 0))[1] + 1)
    return [(o, heading, n) for o, (heading, n) in sorted(counts.items())]


# --- answering --------------------------------------------------------------------------


class AnswerRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "denied", "not_found", "already", "empty", "too_long"


async def answer(
    session: AsyncSession,
    *,
    staff: Staff,
    feedback_id: int,
    decision: FeedbackStatus,
    text: str,
    now: dt.datetime,
    tz: str,
) -> FeedbackItem:
    """Answer a comment once (tiếp thu / giải trình); a named commenter is told."""
    if not access.allowed(staff, access.Action.FEEDBACK_ANSWER):
        raise AnswerRefused("denied")
    if decision is FeedbackStatus.RECEIVED:
        raise ValueError("an answer is accepted or explained")
    text = _checked_text(text, AnswerRefused)
    row = await session.get(Feedback, feedback_id, with_for_update=True)
    if row is None:
        raise AnswerRefused("not_found")
    if row.status is not FeedbackStatus.RECEIVED:
        raise AnswerRefused("already")
    row.status, row.answer, row.answered_by_id, row.answered_at = decision, text, staff.id, now
    await session.flush()
    audit.record(session, now, f"staff:{staff.id}", "feedback.answer", "feedback", row.id, decision=decision.value)
    item = await get_item(session, row.id)
    assert item is not None
    if not row.anonymous and row.staff_id is not None:
        campaign = await load_campaign(session, row.campaign_id)
        await deliveries.queue_message(
            session, source=f"feedback-answer:{row.id}", kind=DeliveryKind.NOTICE, staff_ids=[row.staff_id],
            payload={"notice": "feedback_answer", "title": document_title(campaign.document) if campaign else "",
                     "where": item.where, "comment": _quote(row.text), "decision": decision.value, "answer": text,
                     "by": staff.full_name, "at": now.isoformat()},
            due_at=now, now=now, campaign_id=row.campaign_id,
        )
    return item


def decision_label(status: FeedbackStatus) -> str:
    return t(f"feedback.status.{status.value}")


def _quote(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the synthesis ----------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryGroup:
    ordinal: int  # 0: the document as a whole
    heading: str
    items: list[FeedbackItem]


@dataclass(frozen=True)
class Summary:
    campaign_id: int
    kind: CampaignKind
    title: str
    number: str | None
    start_on: dt.date
    end_on: dt.date
    groups: list[SummaryGroup] = field(default_factory=list)

    @property
    def items(self) -> list[FeedbackItem]:
        return [item for group in self.groups for item in group.items]


async def build_summary(session: AsyncSession, campaign_id: int) -> Summary | None:
    """Every comment of the campaign, grouped by section (whole-document ones first)."""
    campaign = await load_campaign(session, campaign_id)
    if campaign is None:
        return None
    groups: dict[int, SummaryGroup] = {}
    for item in await list_feedback(session, campaign_id):
        key = item.ordinal or 0
        if key not in groups:
            heading = t("summary.whole_document") if key == 0 else item.where
            groups[key] = SummaryGroup(key, heading, [])
        groups[key].items.append(item)
    return Summary(
        campaign_id=campaign.id, kind=campaign.kind, title=document_title(campaign.document),
        number=campaign.document.number, start_on=campaign.start_on, end_on=campaign.end_on,
        groups=[groups[k] for k in sorted(groups)],
    )


@dataclass(frozen=True)
class Published:
    recipients: int
    messages: int
    queued: int  # delivery rows newly queued (0 when the same summary was published before)
    newly_published: int  # answered comments published for the first time


async def active_members(session: AsyncSession, campaign_id: int) -> list[int]:
    return list(
        (
            await session.scalars(
                select(CampaignMember.staff_id)
                .join(Staff, Staff.id == CampaignMember.staff_id)
                .where(CampaignMember.campaign_id == campaign_id, CampaignMember.removed_at.is_(None),
                       Staff.active.is_(True))
                .order_by(CampaignMember.id)
            )
        ).all()
    )


async def publish(
    session: AsyncSession, campaign_id: int, messages: Sequence[str], now: dt.datetime, actor: str = "cli"
) -> Published:
    """Queue the synthesis (already rendered as ``messages``) to every active member
    and stamp the answered comments as published. The same text published again
    queues nothing (the source names the text's digest)."""
    digest = hashlib.sha256("\n\x00".join(messages).encode()).hexdigest()[:16]
    members = await active_members(session, campaign_id)
    queued = 0
    for index, text in enumerate(messages):
        queued += await deliveries.queue_message(
            session, source=f"summary:{campaign_id}:{digest}", kind=DeliveryKind.NOTICE, staff_ids=members,
            payload={"text": text}, due_at=now + dt.timedelta(seconds=index), now=now, campaign_id=campaign_id,
            item=index,
        )
    rows = (
        await session.scalars(
            select(Feedback).where(
                Feedback.campaign_id == campaign_id, Feedback.status != FeedbackStatus.RECEIVED,
                Feedback.published_at.is_(None),
            )
        )
    ).all()
    for row in rows:
        row.published_at = now
    if queued or rows:
        audit.record(session, now, actor, "feedback.publish", "campaign", campaign_id,
                     messages=len(messages), recipients=len(members), comments=len(rows))
    return Published(len(members), len(messages), queued, len(rows))


# --- requests for a document (Art. 48.4) ------------------------------------------------


class RequestRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "empty", "too_long", "not_found", "already", "rate_limited"


REQUEST_DAILY_LIMIT = 5


@dataclass(frozen=True)
class RequestItem:
    id: int
    staff_id: int
    requester: str
    department: str | None
    text: str
    created_at: dt.datetime
    answer: str | None
    answered_by: str | None
    answered_at: dt.datetime | None


async def create_request(session: AsyncSession, staff: Staff, text: str, now: dt.datetime, tz: str) -> tuple[int, int]:
    """Store a request and tell every active admin. Returns (request id, admins told)."""
    text = _checked_text(text, RequestRefused)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = await session.scalar(
        select(func.count(InfoRequest.id)).where(InfoRequest.staff_id == staff.id, InfoRequest.created_at >= day_start)
    )
    if int(today or 0) >= REQUEST_DAILY_LIMIT:
        raise RequestRefused("rate_limited")
    request = InfoRequest(staff_id=staff.id, text=text, created_at=now)
    session.add(request)
    await session.flush()
    audit.record(session, now, f"staff:{staff.id}", "request.create", "info_request", request.id)
    admins = [
        s.id for s in (await session.scalars(select(Staff).where(Staff.active.is_(True)))).all()
        if Role.ADMIN in s.role_set
    ]
    department = await session.scalar(select(Department.name).where(Department.id == staff.department_id)) or "—"
    await deliveries.queue_message(
        session, source=f"info-request:{request.id}", kind=DeliveryKind.NOTICE, staff_ids=admins,
        payload={"notice": "request_admin", "id": request.id, "name": staff.full_name, "department": department,
                 "at": now.isoformat(), "text": text},
        due_at=now, now=now,
    )
    return request.id, len(admins)


async def list_requests(session: AsyncSession, *, only_open: bool = False) -> list[RequestItem]:
    query = select(InfoRequest).order_by(InfoRequest.id)
    if only_open:
        query = query.where(InfoRequest.answered_at.is_(None))
    rows = (await session.scalars(query)).all()
    people = {
        s.id: s
        for s in (
            await session.scalars(
                select(Staff).where(Staff.id.in_({r.staff_id for r in rows} | {r.answered_by_id for r in rows if r.answered_by_id}))
                .options(selectinload(Staff.department))
            )
        ).all()
    }
    out = []
    for r in rows:
        person = people.get(r.staff_id)
        by = people.get(r.answered_by_id) if r.answered_by_id else None
        out.append(RequestItem(
            id=r.id, staff_id=r.staff_id, requester=person.full_name if person else "",
            department=person.department.name if person and person.department else None, text=r.text,
            created_at=r.created_at, answer=r.answer, answered_by=by.full_name if by else None,
            answered_at=r.answered_at,
        ))
    return out


async def answer_request(
    session: AsyncSession, request_id: int, text: str, now: dt.datetime, tz: str, *, by: Staff | None = None
) -> InfoRequest:
    """Store the answer with its time and tell the requester. ``by`` is the admin in
    chat; None is the clerk at the command line."""
    if by is not None and not access.allowed(by, access.Action.INFO_REQUESTS):
        raise RequestRefused("denied")
    text = _checked_text(text, RequestRefused)
    request = await session.get(InfoRequest, request_id, with_for_update=True)
    if request is None:
        raise RequestRefused("not_found")
    if request.answered_at is not None:
        raise RequestRefused("already")
    request.answer, request.answered_at = text, now
    request.answered_by_id = by.id if by is not None else None
    await session.flush()
    audit.record(session, now, f"staff:{by.id}" if by is not None else "cli", "request.answer", "info_request",
                 request.id)
    await deliveries.queue_message(
        session, source=f"info-request:{request.id}", kind=DeliveryKind.NOTICE, staff_ids=[request.staff_id],
        payload={"notice": "request_answer", "request": _quote(request.text), "answer": text, "at": now.isoformat()},
        due_at=now, now=now, item=1,
    )
    return request
