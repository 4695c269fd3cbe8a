"""The domain model as tables (DESIGN.md §4).

Uniqueness is what makes the bot idempotent: a second delivery, a second ack or a
redelivered update hits a unique constraint instead of doing the work twice.
Columns whose value can be NULL are never part of a uniqueness rule (NULLs are
distinct in SQL); an ``item`` number stands in for them (0 = the whole document).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.types import UTCDateTime
from bot.domain.enums import (
    AnnouncementStatus,
    CampaignKind,
    CampaignStatus,
    Channel,
    DeliveryKind,
    DeliveryStatus,
    FeedbackStatus,
    ReminderKind,
    Role,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


def _enum(cls: type[enum.Enum]) -> Enum:
    """Enums stored as their values in a VARCHAR (no native PG enum to migrate)."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda e: [m.value for m in e],
    )


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))

    staff: Mapped[list[Staff]] = relationship(back_populates="department")


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # Sorted, comma-separated Role values; see ``role_set``.
    roles: Mapped[str] = mapped_column(String(100), default=Role.STAFF.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    invite_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_used_at: Mapped[dt.datetime | None]
    preferred_channel: Mapped[Channel | None] = mapped_column(_enum(Channel))
    last_channel: Mapped[Channel | None] = mapped_column(_enum(Channel))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    forgotten_at: Mapped[dt.datetime | None]  # personal data erased on request (congkhai staff forget)

    department: Mapped[Department | None] = relationship(back_populates="staff")
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="staff")

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split(",") if r)

    @role_set.setter
    def role_set(self, roles: frozenset[Role] | set[Role]) -> None:
        self.roles = ",".join(sorted(r.value for r in roles | {Role.STAFF}))


class ChannelIdentity(Base):
    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    external_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
    linked_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime | None]

    staff: Mapped[Staff] = relationship(back_populates="identities")


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("key", "version"), UniqueConstraint("key", "content_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Identifies "the same document" across versions (number, or title when unnumbered).
    key: Mapped[str] = mapped_column(String(300), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(100))
    issuer: Mapped[str | None] = mapped_column(String(300))
    place: Mapped[str | None] = mapped_column(String(200))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    signer: Mapped[str | None] = mapped_column(String(200))
    signer_title: Mapped[str | None] = mapped_column(String(200))
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    closing: Mapped[str | None] = mapped_column(Text)
    # "Ban hành kèm theo Quyết định số …", the enacting decision (number, date, signer, its articles)
    # and the titles of the headings that hold others (Chương I. Những quy định chung): metadata
    # shown to staff as context, never sections to confirm.
    adopted_by: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[dict[str, Any] | None] = mapped_column()
    outline: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str | None] = mapped_column(String(300))
    imported_at: Mapped[dt.datetime]

    sections: Mapped[list[Section]] = relationship(
        back_populates="document", order_by="Section.ordinal", cascade="all, delete-orphan"
    )


class Section(Base):
    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("document_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    heading: Mapped[str] = mapped_column(Text)
    # Light Markdown (paragraphs, "- " items, **bold**, *italic*), rendered per channel.
    body: Mapped[str] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="sections")


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    kind: Mapped[CampaignKind] = mapped_column(_enum(CampaignKind), default=CampaignKind.DISCLOSURE)
    status: Mapped[CampaignStatus] = mapped_column(_enum(CampaignStatus), default=CampaignStatus.DRAFT)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    # {"departments": [ids], "roles": [values]}; empty = all active staff.
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    send_window_start: Mapped[dt.time]
    send_window_end: Mapped[dt.time]
    reminder_tail_days: Mapped[int] = mapped_column(Integer, default=3)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]

    document: Mapped[Document] = relationship()


class CampaignMember(Base):
    __tablename__ = "campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    joined_at: Mapped[dt.datetime]
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_at: Mapped[dt.datetime]
    removed_at: Mapped[dt.datetime | None]
    # The person's progress, kept by ``services.tallies`` in the transactions that change the
    # rows it counts (a section delivery becoming sent, an acknowledgment inserted), so the
    # reports read one row per person instead of every delivery and acknowledgment.
    sections_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sections_confirmed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confirmed_telegram: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # by ``Ack.via``
    confirmed_zalo: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attested_at: Mapped[dt.datetime | None]  # the whole-document acknowledgment (item 0)
    last_confirmed_at: Mapped[dt.datetime | None]  # the latest acknowledgment, the attestation too


class Announcement(Base):
    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    require_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[AnnouncementStatus] = mapped_column(
        _enum(AnnouncementStatus), default=AnnouncementStatus.DRAFT
    )
    scheduled_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]


class Delivery(Base):
    """One message owed to one person: a row before any network call.

    A section longer than one message is one row that walks through its chunks
    (``chunk_index`` = chunks already sent), because the chunk count depends on
    the channel, which is chosen when the row is sent.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("source", "staff_id", "item"),
        # the claim reads the free rows in this order (status, due_at, id) without a sort
        Index("ix_delivery_queue", "status", "due_at", "id"),
        Index("ix_delivery_asked", "asked", "status", "due_at"),  # the few rows someone asked for
        Index("ix_delivery_person", "staff_id", "status", "due_at", "id"),  # one person's queue, in order
        # a campaign's sent sections per person, read from the index alone (the reports)
        Index("ix_delivery_campaign", "campaign_id", "kind", "status", "staff_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "campaign:<id>", "announcement:<id>", "reminder:<id>", "notice:<key>"
    source: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DeliveryKind] = mapped_column(_enum(DeliveryKind))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))  # ix_delivery_campaign
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcement.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    item: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    channel: Mapped[Channel | None] = mapped_column(_enum(Channel))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[dt.datetime]
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    chunk_index: Mapped[int] = mapped_column(Integer, default=0)
    chunk_count: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    external_message_id: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    # the person asked for it ("Đọc tiếp", a section from the contents): it goes out as an answer,
    # before the broadcast backlog
    asked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Ack(Base):
    __tablename__ = "ack"
    __table_args__ = (
        UniqueConstraint("campaign_id", "staff_id", "item"),
        Index("ix_ack_campaign_via", "campaign_id", "staff_id", "item", "via"),  # the reports, from the index alone
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))  # NULL: whole document
    item: Mapped[int] = mapped_column(Integer)  # section ordinal; 0 = final attestation
    at: Mapped[dt.datetime]
    via: Mapped[Channel | None] = mapped_column(_enum(Channel))


class AnnouncementAck(Base):
    __tablename__ = "announcement_ack"
    __table_args__ = (UniqueConstraint("announcement_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcement.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[dt.datetime]
    via: Mapped[Channel | None] = mapped_column(_enum(Channel))


class AnonymousQuota(Base):
    """How many anonymous comments one person sent on one day, under a keyed hash of (person,
    day) whose key is never in the database: the daily limit holds across processes, and
    nothing here names a person or points at a comment (no time, no comment id)."""

    __tablename__ = "anonymous_quota"
    __table_args__ = (UniqueConstraint("token", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Feedback(Base):
    """A comment (góp ý). Anonymous comments keep no link to the person at all."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[FeedbackStatus] = mapped_column(_enum(FeedbackStatus), default=FeedbackStatus.RECEIVED)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    answered_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class Reminder(Base):
    """A reminder is a row, so a restart neither loses nor repeats it."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("campaign_id", "staff_id", "kind", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[ReminderKind] = mapped_column(_enum(ReminderKind))
    due_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime]
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id"))


class InfoRequest(Base):
    """A request for a document not (or no longer) published (Luật 10/2022 Art. 48.4)."""

    __tablename__ = "info_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    created_at: Mapped[dt.datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    answered_at: Mapped[dt.datetime | None]


class PendingInput(Base):
    """What the next message of a chat means (e.g. the text of a comment), kept in the DB
    so that any process can take the next update."""

    __tablename__ = "pending_input"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    external_user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[dt.datetime]


class ProcessedUpdate(Base):
    """Updates already handled, so a redelivered webhook call does nothing."""

    __tablename__ = "processed_update"
    __table_args__ = (UniqueConstraint("channel", "update_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    update_key: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(index=True)


class AuditEvent(Base):
    """Append-only trail: who did what to what, when. Never holds an anonymous commenter.
    A hash chain (bot/db/audit_chain.py): ``congkhai audit verify`` finds an edited or removed event."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))  # "staff:<id>", "cli", "system"
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the hash chain (bot/db/audit_chain.py): the previous event's hash, and this one's
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class WebLink(Base):
    """A one-time sign-in link for the dashboard, sent in chat. Only a hash of its token
    is kept, so the table cannot be used to sign in; it works once, within minutes."""

    __tablename__ = "web_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie holds the token, the table only its hash."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]


class Heartbeat(Base):
    """A running bot's mark every few minutes: the evidence that the full text stayed
    reachable through a campaign's window (a gap between marks is time it may not have)."""

    __tablename__ = "heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    instance: Mapped[str] = mapped_column(String(64))


class AppSecret(Base):
    """A random key drawn once per database and kept in it, for values that must come out
    the same after a restart (the embedded default's test codes), never logged."""

    __tablename__ = "app_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime]
