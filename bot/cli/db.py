"""``congkhai db``: the database schema."""

from __future__ import annotations

import click

from bot.cli.common import settings_of
from bot.db.migrate import head_revision, upgrade
from bot.domain.texts import t


@click.group(help=t("cli.db.help"))
def db() -> None:
    pass


@db.command("upgrade", help=t("cli.db.upgrade.help"))
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    upgrade(settings_of(ctx).database_url)
    click.echo(t("cli.db.upgraded", revision=head_revision()))

