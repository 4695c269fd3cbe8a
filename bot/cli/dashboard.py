"""``congkhai dashboard``: the web dashboard from the command line (screenshots)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import ClerkError, settings_of
from bot.db.engine import is_sqlite
from bot.db.migrate import upgrade
from bot.domain.texts import t


@click.group("dashboard", help=t("cli.dashboard.help"))
def dashboard() -> None:
    pass


@dashboard.command("screenshots", help=t("cli.dashboard.screenshots.help"))
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.pass_context
def screenshots(ctx: click.Context, folder: Path) -> None:
    from selenium.common.exceptions import WebDriverException

    from bot.runtime import run_event_loop
    from bot.web import screenshots as shots
    from bot.web.browser import find_chromium

    settings = settings_of(ctx)
    if find_chromium() is None:
        raise ClerkError(t("cli.dashboard.no_browser"))
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    try:
        written = run_event_loop(shots.take(settings, folder))
    except shots.NoViewer:
        raise ClerkError(t("cli.dashboard.no_leader")) from None
    except WebDriverException as error:
        raise ClerkError(t("cli.dashboard.browser_failed", reason=(error.msg or type(error).__name__).splitlines()[0])) from None
    click.echo(t("cli.dashboard.screenshots.done", count=len(written), folder=folder))
