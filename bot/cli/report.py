"""``congkhai report``: the report files of a campaign, or of every campaign of a half-year or a year."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import ClerkError, run_db, settings_of
from bot.domain.texts import t
from bot.reports import export
from bot.services import report_data
from bot.services.clock import SystemClock


@click.command("report", help=t("cli.report.help"))
@click.argument("campaign_id", type=int, required=False, metavar=t("cli.report.metavar"))
@click.option("--period", metavar="2026-H1|2026", help=t("cli.report.period"))
@click.option("--format", "fmt", type=click.Choice(export.FORMATS), help=t("cli.report.format"))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help=t("cli.report.output"))
@click.pass_context
def report(ctx: click.Context, campaign_id: int | None, period: str | None, fmt: str | None, output: Path) -> None:
    if (campaign_id is None) == (period is None):
        raise ClerkError(t("cli.report.campaign_or_period"))
    fmt = fmt or output.suffix.lower().lstrip(".")
    if fmt not in export.FORMATS:
        raise ClerkError(t("cli.report.bad_format", file=output.name))
    settings = settings_of(ctx)
    now = SystemClock().now()

    async def work(session: AsyncSession) -> bytes:
        try:
            if period is not None:
                gathered = await report_data.for_period(
                    session, report_data.parse_period(period), now, settings.org_name, settings.timezone)
            else:
                assert campaign_id is not None
                gathered = await report_data.for_campaign(session, campaign_id, now, settings.org_name,
                                                          settings.timezone)
        except report_data.ReportRefused as refused:
            raise ClerkError(t(f"rpt.refused.{refused.reason}", **refused.values)) from None
        members = sum(c.members for c in gathered.campaigns) if fmt in ("xlsx", "csv") else 0
        with click.progressbar(length=max(members, 1), label=t("cli.report.progress"), file=sys.stderr) as bar:
            done = 0

            def advance(written: int) -> None:
                nonlocal done
                bar.update(written - done)
                done = written

            data = await export.render(session, gathered, fmt, advance)  # type: ignore[arg-type]
            bar.update(max(members, 1) - done)
        return data

    data = run_db(ctx, work)
    output.write_bytes(data)
    click.echo(t("cli.report.written", file=output, size=f"{len(data) / 1024:.0f}"))
