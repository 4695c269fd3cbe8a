"""``congkhai db``: the database schema, backups and restores."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from bot.cli.common import ClerkError, settings_of
from bot.db import backup as backups
from bot.db.engine import is_sqlite
from bot.db.migrate import head_revision, known_revisions, upgrade
from bot.domain.texts import t
from bot.services.clock import SystemClock


@click.group(help=t("cli.db.help"))
def db() -> None:
    pass


@db.command("upgrade", help=t("cli.db.upgrade.help"))
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    upgrade(settings_of(ctx).database_url)
    click.echo(t("cli.db.upgraded", revision=head_revision()))


def _pg_url(url: str) -> str:
    """The URL as libpq's tools read it (no SQLAlchemy driver, no password shown)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)


def _sqlite_url(ctx: click.Context, file: Path, command: str) -> str:
    """The database's URL when it is SQLite; on PostgreSQL the clerk is shown the pg_dump /
    pg_restore line to run instead."""
    url = settings_of(ctx).database_url
    if not is_sqlite(url):
        raise ClerkError(t(f"cli.db.{command}.postgres", path=file, url=_pg_url(url)))
    return url


def _refused(error: backups.BackupError, prefix: str) -> ClerkError:
    return ClerkError(t(f"{prefix}.{error.reason}", **error.values))


@db.command("backup", help=t("cli.db.backup.help"))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def db_backup(ctx: click.Context, file: Path) -> None:
    url = _sqlite_url(ctx, file, "backup")
    try:
        checked = backups.backup(backups.sqlite_path(url), file, known_revisions())
    except backups.BackupError as error:
        prefix = "cli.db.backup" if error.reason in ("exists", "failed") else "cli.db.restore"
        raise _refused(error, prefix) from None
    click.echo(t("cli.db.backup.done", path=file, size=file.stat().st_size, revision=checked.revision,
                 events=checked.audit_events))


@db.command("restore", help=t("cli.db.restore.help"))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def db_restore(ctx: click.Context, file: Path) -> None:
    url = _sqlite_url(ctx, file, "restore")
    try:
        checked, aside = backups.restore(file, backups.sqlite_path(url), known_revisions(), SystemClock().now())
    except backups.BackupError as error:
        raise _refused(error, "cli.db.restore") from None
    upgrade(url)
    if aside is None:
        click.echo(t("cli.db.restore.done_new", path=file, revision=checked.revision))
    else:
        click.echo(t("cli.db.restore.done", path=file, revision=checked.revision, aside=aside))


