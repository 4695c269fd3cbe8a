"""``congkhai run``: the bot as a long-running process."""

from __future__ import annotations

import logging

import click

from bot.cli.common import ClerkError, settings_of
from bot.domain.texts import t


@click.command("run", help=t("cli.run.help"))
@click.option("--webhook", is_flag=True, help=t("cli.run.webhook"))
@click.option("--sandbox-port", type=int, default=8081, show_default=True, help=t("cli.run.sandbox_port"))
@click.pass_context
def run_bot(ctx: click.Context, webhook: bool, sandbox_port: int) -> None:
    from bot.serve import serve

    settings = settings_of(ctx)
    if webhook and not (settings.webhook_url and settings.webhook_secret and settings.has_messenger_token):
        raise ClerkError(t("cli.run.webhook_needs"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "aiohttp.access", "apscheduler", "telegram.ext.Updater", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from bot.runtime import run_event_loop
    from bot.serve import StartError

    try:
        run_event_loop(serve(settings, webhook=webhook, sandbox_port=sandbox_port, say=click.echo))
    except StartError as error:
        raise ClerkError(str(error)) from None

