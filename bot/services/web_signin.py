"""Passwordless sign-in to the dashboard: ``/dashboard`` in chat issues a one-time
link; opening it (and pressing the button on the page it shows) trades the link for
a browser session.

The messenger account already proves who the person is, so the link is the whole
credential: it carries 256 random bits, expires in minutes and works once. Neither
the link's token nor the session's is stored, only their SHA-256, so a copy of the
database signs no one in. A link is spent by one conditional UPDATE, so two
browsers racing with the same link cannot both win. Every use re-checks the
person's roles, so a leader who loses the role loses the dashboard at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Staff, WebLink, WebSession
from bot.services import access, audit

LOGIN_PATH = "/dashboard/login"  # where a link lands (bot.web.dashboard serves it)
LINK_TTL = dt.timedelta(minutes=10)
SESSION_TTL = dt.timedelta(hours=8)
TOKEN_BYTES = 32
KEEP_SPENT = dt.timedelta(days=1)  # expired links and sessions are deleted a day later (the audit trail stays)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "denied", "unknown", "expired", "used"


@dataclass(frozen=True)
class IssuedLink:
    token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class OpenedSession:
    token: str
    staff_id: int
    expires_at: dt.datetime


def link_url(base_url: str, token: str) -> str:
    """The address of a one-time link on the dashboard at ``base_url``."""
    return f"{base_url.rstrip('/')}{LOGIN_PATH}?{urlencode({'t': token})}"


def may_use_dashboard(staff: Staff) -> bool:
    return access.allowed(staff, access.Action.DASHBOARD)


async def issue_link(session: AsyncSession, staff: Staff, now: dt.datetime) -> IssuedLink:
    """A fresh one-time link for ``staff``; refused for a role without the dashboard."""
    if not may_use_dashboard(staff):
        raise SignInRefused("denied")
    await session.execute(delete(WebLink).where(WebLink.expires_at < now - KEEP_SPENT))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + LINK_TTL
    session.add(WebLink(token_hash=_hash(token), staff_id=staff.id, created_at=now, expires_at=expires_at))
    await session.flush()
    audit.record(session, now, f"staff:{staff.id}", "web.link", "staff", staff.id)
    return IssuedLink(token, expires_at)


async def redeem_link(session: AsyncSession, token: str, now: dt.datetime) -> OpenedSession:
    """Spend the link (once) and open a browser session for its owner."""
    if not token or len(token) > 200:
        raise SignInRefused("unknown")
    token_hash = _hash(token)
    link = await session.scalar(select(WebLink).where(WebLink.token_hash == token_hash))
    if link is None:
        raise SignInRefused("unknown")
    if link.used_at is not None:
        raise SignInRefused("used")
    if link.expires_at <= now:
        raise SignInRefused("expired")
    spent = await session.execute(
        update(WebLink)
        .where(WebLink.id == link.id, WebLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # another browser spent it a moment ago
        raise SignInRefused("used")
    staff = await session.get(Staff, link.staff_id)
    if staff is None or not may_use_dashboard(staff):
        raise SignInRefused("denied")
    return await open_session(session, staff, now)


async def open_session(session: AsyncSession, staff: Staff, now: dt.datetime) -> OpenedSession:
    """A browser session for ``staff`` (after a link, or for the screenshot command)."""
    if not may_use_dashboard(staff):
        raise SignInRefused("denied")
    await session.execute(delete(WebSession).where(WebSession.expires_at < now - KEEP_SPENT))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = WebSession(token_hash=_hash(token), staff_id=staff.id, created_at=now, expires_at=now + SESSION_TTL)
    session.add(row)
    await session.flush()
    audit.record(session, now, f"staff:{staff.id}", "web.sign_in", "web_session", row.id)
    return OpenedSession(token, staff.id, row.expires_at)


async def session_staff(session: AsyncSession, token: str | None, now: dt.datetime) -> Staff | None:
    """The person signed in with ``token``, while the session lasts and their roles allow."""
    if not token or len(token) > 200:
        return None
    row = await session.scalar(select(WebSession).where(WebSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    staff = await session.get(Staff, row.staff_id)
    if staff is None or not may_use_dashboard(staff):
        return None
    return staff


async def end_session(session: AsyncSession, token: str | None, now: dt.datetime) -> bool:
    """Sign out: the session stops working at once, whatever the browser keeps."""
    if not token or len(token) > 200:
        return False
    row = await session.scalar(select(WebSession).where(WebSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = now
    audit.record(session, now, f"staff:{row.staff_id}", "web.sign_out", "web_session", row.id)
    return True


def csrf_token(session_token: str) -> str:
    """The form token of a session: derived from the session's own secret, so nothing is
    stored and a page of one session is no use to another."""
    return hmac.new(session_token.encode(), b"csrf", hashlib.sha256).hexdigest()


def csrf_valid(session_token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session_token), given or "")
