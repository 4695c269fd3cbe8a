"""The closed vocabularies of the domain, shared by every layer."""

from __future__ import annotations

import enum

# The ``item`` of an acknowledgment (and of its delivery) that stands for the whole document: the
# final attestation. A section's item is its ordinal, from 1.
ATTESTATION_ITEM = 0


class Role(str, enum.Enum):
    STAFF = "staff"
    UNION = "union"
    INSPECTOR = "inspector"
    LEADER = "leader"
    ADMIN = "admin"


class Channel(str, enum.Enum):
    TELEGRAM = "telegram"
    ZALO = "zalo"


class CampaignKind(str, enum.Enum):
    DISCLOSURE = "disclosure"
    CONSULTATION = "consultation"


class CampaignStatus(str, enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    CLOSED = "closed"


class DeliveryKind(str, enum.Enum):
    SECTION = "section"          # a section of the campaign's document
    ATTESTATION = "attestation"  # the request to confirm the whole document
    REMINDER = "reminder"
    ANNOUNCEMENT = "announcement"
    NOTICE = "notice"            # a one-off text: an answer to a comment, a published summary


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class FeedbackStatus(str, enum.Enum):
    RECEIVED = "received"
    ACCEPTED = "accepted"    # tiếp thu
    EXPLAINED = "explained"  # giải trình


class ReminderKind(str, enum.Enum):
    DIGEST = "digest"
    LAST_CALL = "last_call"
    LAGGARDS = "laggards"


class AnnouncementStatus(str, enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELLED = "cancelled"
