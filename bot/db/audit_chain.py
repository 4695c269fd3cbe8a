"""The audit trail as a hash chain: each event carries the hash of the one before it.

Every ``AuditEvent`` added through any session gets ``prev_hash`` (the hash of the event
before it, ``GENESIS`` for the first) and ``hash`` (SHA-256 of ``prev_hash`` and the
event's own fields, in a canonical JSON form) when it is flushed (``_chain``). Editing or
removing a stored event breaks the chain at that point; ``bot.services.audit.verify``
finds where. The head hash, cited in a report, pins everything before it.

The append is serialised: on PostgreSQL a transaction-scoped advisory lock is taken before
the head is read and held until commit, so two processes never chain onto the same head
and ids follow the chain's order; SQLite has one writer at a time (a transaction whose
snapshot went stale cannot write at all).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from bot.db.models import AuditEvent

GENESIS = "0" * 64
# pg_advisory_xact_lock key for appending to the chain (any fixed 64-bit number of ours)
APPEND_LOCK = 0x436F6E676B686169  # "Congkhai"


def _instant(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime in an audit event")
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, at: dt.datetime, actor: str, action: str, target_type: str | None,
               target_id: int | None, details: dict[str, Any] | None) -> str:
    """SHA-256 (hex) of an event and the hash before it, over a canonical JSON form."""
    body = json.dumps(
        [prev_hash, _instant(at), actor, action, target_type, target_id, details or {}],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def hash_of(row: AuditEvent, prev_hash: str) -> str:
    return event_hash(prev_hash, row.at, row.actor, row.action, row.target_type, row.target_id, row.details)


def _chain(session: Session, _context: Any, _instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda obj: obj._sa_instance_state.insert_order)  # the order they were added
    with session.no_autoflush:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})
        head = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    prev = head or GENESIS
    for obj in new:
        # a round trip through JSON, so that the hash is of what is stored (tuples become lists)
        obj.details = json.loads(json.dumps(obj.details or {}))
        obj.prev_hash = prev
        obj.hash = prev = hash_of(obj, prev)


event.listen(Session, "before_flush", _chain)
