"""The append-only audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEvent


def record(
    session: AsyncSession,
    now: dt.datetime,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: int | None = None,
    **details: Any,
) -> None:
    """Add an audit event to the session; it commits with the change it describes."""
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
    )
