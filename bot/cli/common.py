"""Shared pieces of the clerk's commands: settings, one transaction per command, errors the clerk can act on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import vietnamese
from bot.db.engine import create_engine, is_sqlite, session_factory
from bot.db.migrate import current_revision, head_revision, upgrade
from bot.domain.texts import t
from bot.settings import Settings, load_settings

# Before any command is declared: click's own messages, and the names it gives types, in Vietnamese.
vietnamese.install()

T = TypeVar("T")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class ClerkError(click.ClickException):
    """An error the clerk can act on; printed without a traceback."""

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


def settings_of(ctx: click.Context) -> Settings:
    return ctx.find_object(Settings) or load_settings()


@contextlib.asynccontextmanager
async def open_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction on a database at the current schema (SQLite is migrated on the spot)."""
    engine = create_engine(settings.database_url)
    try:
        revision = await current_revision(engine)
        if revision != head_revision():
            raise ClerkError(t("cli.db_not_current"))
        async with session_factory(engine, secret=settings.deployment_key())() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


def run_db(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = settings_of(ctx)
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)

    async def main() -> T:
        async with open_session(settings) as session:
            return await work(session)

    return asyncio.run(main())



def doc_title(document: Any) -> str:
    return " ".join(filter(None, (document.title, document.subtitle)))
