"""Random keys drawn once per database and kept in it (``app_secret``): the same after a
restart, different for every database, never printed."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AppSecret


async def get_or_create(session: AsyncSession, name: str, now: dt.datetime) -> bytes:
    value = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if value is None:
        value = secrets.token_hex(32)
        session.add(AppSecret(name=name, value=value, created_at=now))
        await session.flush()
    return bytes.fromhex(value)
