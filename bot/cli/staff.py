"""``congkhai staff``: the roster and the invite codes."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import ClerkError, run_db, settings_of
from bot.domain.enums import Role
from bot.domain.invite import deep_link, display_code
from bot.domain.roster import ROLE_NAMES_VI, display_phone, parse_table
from bot.domain.texts import t
from bot.db.models import Staff
from bot.services import privacy
from bot.services import roster as roster_service
from bot.services.clock import SystemClock
from bot.services.roster_files import RosterFileError, read_table
from bot.settings import Settings


@click.group(help=t("cli.staff.help"))
def staff() -> None:
    pass


@staff.command("import", help=t("cli.staff.import.help"))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--sync", is_flag=True, help=t("cli.staff.import.sync"))
@click.pass_context
def staff_import(ctx: click.Context, file: Path, sync: bool) -> None:
    try:
        table = read_table(file)
    except RosterFileError as error:
        raise ClerkError(str(error)) from None
    parsed = parse_table(table)

    async def work(session: AsyncSession) -> roster_service.ImportResult:
        with click.progressbar(length=max(len(parsed.rows), 1), label=t("cli.staff.import.progress"),
                               file=sys.stderr) as bar:
            def advance(done: int) -> None:
                bar.update(done - bar.pos)

            return await roster_service.import_roster(
                session, parsed, SystemClock().now(), sync=sync, source=file.name, progress=advance
            )

    try:
        result = run_db(ctx, work)
    except roster_service.RosterRejected as rejected:
        lines = [t("roster.rejected", count=len(rejected.problems))]
        lines += [problem.render(file.name) for problem in rejected.problems]
        raise ClerkError("\n".join(lines)) from None
    click.echo(result.summary())


@staff.command("list", help=t("cli.staff.list.help"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.option("--all", "include_inactive", is_flag=True, help=t("cli.staff.list.all"))
@click.pass_context
def staff_list(ctx: click.Context, as_json: bool, include_inactive: bool) -> None:
    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        people = await roster_service.list_staff(session, include_inactive=include_inactive)
        return [
            {
                "id": p.id,
                "full_name": p.full_name,
                "department": p.department.name if p.department else None,
                "position": p.position,
                "phone": p.phone,
                "email": p.email,
                "roles": sorted(r.value for r in p.role_set),
                "active": p.active,
                "channels": sorted(i.channel.value for i in p.identities),
            }
            for p in people
        ]

    rows = run_db(ctx, work)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        roles = ", ".join(ROLE_NAMES_VI[r] for r in sorted(_roles(row["roles"]), key=lambda r: r.value))
        linked = ", ".join(row["channels"]) or t("cli.staff.not_linked")
        click.echo(
            f"{row['id']:>4}  {row['full_name']:<28} {row['department'] or '':<32} "
            f"{display_phone(row['phone']) if row['phone'] else '':<13} {roles:<28} {linked}"
        )
    click.echo(t("cli.staff.count", count=len(rows)))


@staff.command("invites", help=t("cli.staff.invites.help"))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "pdf", "docx"]), help=t("cli.staff.invites.format"))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True, help=t("cli.staff.invites.output"))
@click.option("--all", "include_linked", is_flag=True, help=t("cli.staff.invites.all"))
@click.pass_context
def staff_invites(ctx: click.Context, fmt: str | None, output: Path, include_linked: bool) -> None:
    # the file libraries (openpyxl, python-docx, matplotlib, fpdf) load only when a file is made:
    # every other command, ``congkhai run`` among them, starts without them
    from bot.reports import invite_cards
    from bot.reports import invites as invites_report
    from bot.reports.invites import InviteRow

    settings = settings_of(ctx)
    suffix = output.suffix.lower().lstrip(".")
    fmt = fmt or (suffix if suffix in ("csv", "pdf", "docx") else "xlsx")
    username = telegram_username(settings)

    async def work(session: AsyncSession) -> list[InviteRow]:
        invites = await roster_service.issue_invites(session, SystemClock().now(), include_linked=include_linked)
        return [
            InviteRow(
                full_name=i.staff.full_name,
                department=i.staff.department.name if i.staff.department else "",
                position=i.staff.position or "",
                phone=display_phone(i.staff.phone) if i.staff.phone else "",
                code=display_code(i.code),
                link=deep_link(username, i.code) if username else "",
            )
            for i in invites
        ]

    rows = run_db(ctx, work)
    if not rows:
        click.echo(t("cli.staff.invites.none"))
        return
    if fmt in ("csv", "xlsx"):
        with click.progressbar(length=1, label=t("cli.staff.invites.progress"), file=sys.stderr) as bar:
            if fmt == "csv":
                invites_report.write_csv(output, rows)
            else:
                invites_report.write_xlsx(output, rows, t("invites.title", org=settings.org_name.upper()))
            bar.update(1)
    elif fmt in ("pdf", "docx"):
        render = invite_cards.to_pdf if fmt == "pdf" else invite_cards.to_docx
        with click.progressbar(length=len(rows), label=t("cli.staff.invites.progress"), file=sys.stderr) as bar:
            def advance(done: int) -> None:
                bar.update(done - bar.pos)

            output.write_bytes(render(rows, settings.org_name, advance))
    if not username:
        click.echo(t("cli.staff.invites.no_username"), err=True)
    click.echo(t("cli.staff.invites.done", count=len(rows), file=output))


def telegram_username(settings: Settings) -> str | None:
    """The bot's @username for deep links: from the settings, or asked of Telegram."""
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if settings.telegram_token is None:
        return None
    from telegram import Bot

    async def ask() -> str | None:
        bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_base)
        async with bot:
            return bot.username

    try:
        return asyncio.run(ask())
    except Exception:  # no network or a wrong token: the codes still work without links
        return None



@staff.command("forget", help=t("cli.staff.forget.help"))
@click.argument("staff_id", type=int)
@click.option("--yes", is_flag=True, help=t("cli.staff.forget.yes"))
@click.pass_context
def staff_forget(ctx: click.Context, staff_id: int, yes: bool) -> None:
    async def work(session: AsyncSession) -> privacy.Forgotten:
        person = await session.get(Staff, staff_id)
        if person is None:
            raise ClerkError(t("cli.staff.not_found", id=staff_id))
        if person.forgotten_at is None and not yes:
            click.confirm(t("cli.staff.forget.confirm", name=person.full_name, id=staff_id), abort=True)
        return await privacy.forget(session, staff_id, SystemClock().now())

    done = run_db(ctx, work)
    if done.already:
        click.echo(t("cli.staff.forget.already", id=staff_id))
        return
    click.echo(t("cli.staff.forget.done", id=staff_id, identities=done.identities, deliveries=done.cancelled,
                 pseudonym=done.pseudonym))


@staff.command("export", help=t("cli.staff.export.help"))
@click.argument("staff_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help=t("cli.staff.export.output"))
@click.pass_context
def staff_export(ctx: click.Context, staff_id: int, output: Path | None) -> None:
    async def work(session: AsyncSession) -> dict[str, Any]:
        try:
            return await privacy.export(session, staff_id)
        except privacy.NotFound:
            raise ClerkError(t("cli.staff.not_found", id=staff_id)) from None

    data = {**run_db(ctx, work), "ghi_chu": t("cli.staff.export.note")}
    rendered = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(rendered)
        return
    output.write_text(rendered + "\n", encoding="utf-8")
    click.echo(t("cli.staff.export.done", id=staff_id, path=output))


def _roles(values: list[str]) -> list[Role]:
    return [Role(v) for v in values]
