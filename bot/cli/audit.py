"""``congkhai audit``: the audit trail's hash chain."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import ClerkError, run_db
from bot.domain.texts import t
from bot.services import audit as audit_service


@click.group("audit", help=t("cli.audit.help"))
def audit() -> None:
    pass


@audit.command("verify", help=t("cli.audit.verify.help"))
@click.option("--head", "expected", metavar="MÃ_BĂM", help=t("cli.audit.verify.head"))
@click.pass_context
def audit_verify(ctx: click.Context, expected: str | None) -> None:
    async def work(session: AsyncSession) -> audit_service.Verification:
        return await audit_service.verify(session, expected.strip().lower() if expected else None)

    result = run_db(ctx, work)
    lines = [t(f"cli.audit.break.{b.kind}", id=b.event_id) for b in result.breaks]
    if result.expected_found is False:
        lines.append(t("cli.audit.head_missing", head=expected))
    if lines:
        raise ClerkError("\n".join([t("cli.audit.broken", count=result.count)] + lines))
    click.echo(t("cli.audit.ok", count=result.count, head=result.head))
    if result.expected_found:
        click.echo(t("cli.audit.head_found", head=expected))
