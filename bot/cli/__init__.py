"""The clerk's interface: ``congkhai <group> <command>``.

Every command opens the database named by the settings, does one use case in one
transaction, and prints Vietnamese from the catalogue. Errors the clerk can fix
are printed as reasons (exit status 1), never as tracebacks.

One module per group of commands; this one holds the root group and registers
every group on it.
"""

from __future__ import annotations

import click

from bot.cli import (
    announce,
    audit,
    campaign,
    dashboard,
    db,
    doc,
    feedback,
    report,
    run,
    simulate,
    staff,
    vietnamese,
)
from bot.cli.common import CONTEXT
from bot.domain.texts import t
from bot.settings import load_settings


@click.group(context_settings=CONTEXT, help=t("cli.help"))
@click.option("--database-url", metavar="URL", help=t("cli.opt.database_url"))
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    overrides = {"database_url": database_url} if database_url else {}
    ctx.obj = load_settings(**overrides)


for command in (
    db.db,
    staff.staff,
    doc.doc,
    campaign.campaign,
    feedback.feedback_group,
    feedback.request_group,
    run.run_bot,
    announce.announce,
    simulate.simulate_command,
    report.report,
    dashboard.dashboard,
    audit.audit,
):
    main.add_command(command)
vietnamese.localise(main)
