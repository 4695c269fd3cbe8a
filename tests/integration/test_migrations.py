"""The migrations and the models agree, and the migrations run both ways."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.db.engine import create_engine
from bot.db.migrate import downgrade, upgrade
from bot.db.models import Base


async def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


def test_autogenerate_finds_nothing(db_url: str) -> None:
    assert asyncio.run(_diff(db_url)) == []


def test_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    assert set(Base.metadata.tables) <= asyncio.run(_tables(empty_db_url))
    downgrade(empty_db_url, "base")
    assert asyncio.run(_tables(empty_db_url)) <= {"alembic_version"}
    upgrade(empty_db_url)
    assert asyncio.run(_diff(empty_db_url)) == []
