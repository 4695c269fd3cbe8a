"""The clerk's interface: ``congkhai <group> <command>``.

Every command opens the database named by the settings, does one use case in one
transaction, and prints Vietnamese from the catalogue. Errors the clerk can fix
are printed as reasons (exit status 1), never as tracebacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import create_engine, is_sqlite, session_factory
from bot.db.migrate import current_revision, head_revision, upgrade
from bot.domain import document_check, document_context, legal
from bot.domain.dates import format_date_vi, parse_date
from bot.domain.document import DocumentError
from bot.domain.drip import SendWindow, table_header
from bot.domain.enums import CampaignKind, CampaignStatus, Role
from bot.domain.invite import deep_link, display_code
from bot.domain.roster import ROLE_NAMES_VI, display_phone, parse_roles, parse_table
from bot.chat import notices
from bot.domain.texts import t
from bot.reports import invites as invites_report
from bot.reports.invites import InviteRow
from bot.services import campaigns as campaign_service
from bot.services import documents as document_service
from bot.services import reminders
from bot.services import roster as roster_service
from bot.services.campaigns import Audience
from bot.services.clock import SystemClock
from bot.services.document_files import read_document
from bot.services.roster_files import RosterFileError, read_table
from bot.settings import Settings, load_settings

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
        async with session_factory(engine)() as session, session.begin():
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


@click.group(context_settings=CONTEXT, help=t("cli.help"))
@click.option("--database-url", metavar="URL", help=t("cli.opt.database_url"))
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    overrides = {"database_url": database_url} if database_url else {}
    ctx.obj = load_settings(**overrides)


# --- db ----------------------------------------------------------------------


@main.group(help=t("cli.db.help"))
def db() -> None:
    pass


@db.command("upgrade", help=t("cli.db.upgrade.help"))
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    upgrade(settings_of(ctx).database_url)
    click.echo(t("cli.db.upgraded", revision=head_revision()))


# --- staff -------------------------------------------------------------------


@main.group(help=t("cli.staff.help"))
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
        return await roster_service.import_roster(
            session, parsed, SystemClock().now(), sync=sync, source=file.name
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
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), help=t("cli.staff.invites.format"))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True, help=t("cli.staff.invites.output"))
@click.option("--all", "include_linked", is_flag=True, help=t("cli.staff.invites.all"))
@click.pass_context
def staff_invites(ctx: click.Context, fmt: str | None, output: Path, include_linked: bool) -> None:
    settings = settings_of(ctx)
    fmt = fmt or ("csv" if output.suffix.lower() == ".csv" else "xlsx")
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
    if fmt == "csv":
        invites_report.write_csv(output, rows)
    else:
        invites_report.write_xlsx(output, rows, t("invites.title", org=settings.org_name.upper()))
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


# --- doc ---------------------------------------------------------------------


@main.group(help=t("cli.doc.help"))
def doc() -> None:
    pass


@doc.command("import", help=t("cli.doc.import.help"))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help=t("cli.doc.import.dry_run"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def doc_import(ctx: click.Context, file: Path, dry_run: bool, as_json: bool) -> None:
    try:
        parsed = read_document(file)
    except DocumentError as error:
        raise ClerkError(t("cli.doc.rejected", file=file.name, reason=str(error))) from None
    if dry_run:
        if as_json:
            click.echo(json.dumps(document_service.parsed_to_json(parsed), ensure_ascii=False, indent=2))
        else:
            _print_outline(parsed.title, [(s.ordinal, s.path, s.heading, s.body) for s in parsed.sections])
            _print_structure(parsed)
        return
    if not as_json:
        _print_structure(parsed)

    async def work(session: AsyncSession) -> document_service.ImportOutcome:
        return await document_service.import_document(
            session, parsed, SystemClock().now(), source_name=file.name
        )

    outcome = run_db(ctx, work)
    document = outcome.document
    if as_json:
        click.echo(json.dumps({"id": document.id, "version": document.version, "created": outcome.created}))
    elif outcome.created:
        click.echo(
            t("cli.doc.imported", id=document.id, title=_doc_title(document), version=document.version,
              sections=len(parsed.sections))
        )
    else:
        click.echo(t("cli.doc.unchanged", id=document.id, version=document.version))


@doc.command("list", help=t("cli.doc.list.help"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def doc_list(ctx: click.Context, as_json: bool) -> None:
    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        return [
            {
                "id": d.id,
                "title": _doc_title(d),
                "number": d.number,
                "version": d.version,
                "issued_on": d.issued_on.isoformat() if d.issued_on else None,
                "sections": n,
                "imported_at": d.imported_at.isoformat(),
            }
            for d, n in await document_service.list_documents(session)
        ]

    rows = run_db(ctx, work)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(t("cli.doc.none"))
    for row in rows:
        click.echo(t("cli.doc.list.row", **row))


@doc.command("show", help=t("cli.doc.show.help"))
@click.argument("document_id", type=int)
@click.option("--section", "ordinal", type=int, help=t("cli.doc.show.section"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def doc_show(ctx: click.Context, document_id: int, ordinal: int | None, as_json: bool) -> None:
    async def work(session: AsyncSession) -> Any:
        return await document_service.get_document(session, document_id)

    document = run_db(ctx, work)
    if document is None:
        raise ClerkError(t("cli.doc.not_found", id=document_id))
    sections = [(s.ordinal, s.path, s.heading, s.body) for s in document.sections]
    if ordinal is not None:
        chosen = [s for s in sections if s[0] == ordinal]
        if not chosen:
            raise ClerkError(t("cli.doc.no_section", id=document_id, ordinal=ordinal, count=len(sections)))
        _, path, heading, body = chosen[0]
        if as_json:
            click.echo(json.dumps({"ordinal": ordinal, "path": path, "heading": heading, "markdown": body}, ensure_ascii=False))
        else:
            click.echo(f"{path}\n{heading}\n\n{body}")
        return
    if as_json:
        data = {
            "id": document.id,
            "title": document.title,
            "subtitle": document.subtitle,
            "number": document.number,
            "issuer": document.issuer,
            "place": document.place,
            "issued_on": document.issued_on.isoformat() if document.issued_on else None,
            "signer": document.signer,
            "signer_title": document.signer_title,
            "recipients": document.recipients,
            "adopted_by": document.adopted_by,
            "decision": document.decision,
            "outline": document.outline,
            "version": document.version,
            "sections": [
                {"ordinal": o, "path": p, "heading": h, "markdown": b} for o, p, h, b in sections
            ],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(t("cli.doc.show.head", id=document.id, title=_doc_title(document), version=document.version))
    for label, value in (
        ("number", document.number),
        ("issuer", document.issuer),
        ("issued_on", format_date_vi(document.issued_on) if document.issued_on else None),
        ("signer", " ".join(filter(None, (document.signer_title, document.signer))) or None),
        ("recipients", "; ".join(document.recipients) or None),
    ):
        if value:
            click.echo(f"  {t('cli.doc.field.' + label)}: {value}")
    context = document_context.context_text(document.adopted_by, document_service.decision_of(document))
    if context:
        click.echo(context)
    _print_outline(None, sections, document_service.outline_of(document))


def _print_structure(parsed: Any) -> None:
    """What was found and what looks wrong, before staff receive anything."""
    for line in document_check.summary_lines(parsed):
        click.echo(line)
    found = document_check.warnings(parsed)
    if not found:
        click.echo(t("doc.check.ok"))
        return
    click.echo(t("doc.check.warnings"))
    for text in found:
        click.echo(t("doc.check.warning", text=text))


def _doc_title(document: Any) -> str:
    return " ".join(filter(None, (document.title, document.subtitle)))


def _print_outline(title: str | None, sections: list[tuple[int, str, str, str]], outline: Any = ()) -> None:
    """The sections as a table: what a person will receive, one message group each,
    under the titles of the chapters (and Mục, parts) they belong to."""
    if title:
        click.echo(title)
    click.echo(t("cli.doc.outline.header"))
    for ordinal, path, heading, body in sections:
        for entry in outline:
            if entry.first == ordinal:
                click.echo(f"      {entry.heading}")
        chunks = document_service.section_chunks(path, heading, body)
        click.echo(
            f"{ordinal:>4}  {path[:34]:<34} {heading[:52]:<52} {len(body):>7} "
            f"{len(chunks['telegram']):>3} {len(chunks['zalo']):>3}"
        )


# --- campaign ------------------------------------------------------------------


@main.group(help=t("cli.campaign.help"))
def campaign() -> None:
    pass


def _date(value: str) -> dt.date:
    try:
        return parse_date(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _window(value: str) -> SendWindow:
    """``08:00-10:30``: inside working hours (06:00–18:00), start before end."""
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise click.BadParameter(t("cli.campaign.bad_window", value=value)) from None
    if start < dt.time(6) or end > dt.time(18) or start >= end:
        raise click.BadParameter(t("cli.campaign.bad_window", value=value))
    return SendWindow(start, end)


def split_audience(values: tuple[str, ...]) -> Audience:
    """Each --audience value is a role word (lãnh đạo, công đoàn…) or a department name."""
    departments: list[str] = []
    roles: list[Role] = []
    for value in values:
        try:
            extra = parse_roles(value) - {Role.STAFF}
        except ValueError:
            extra = frozenset()
        if extra:
            roles.extend(sorted(extra, key=lambda r: r.value))
        else:
            departments.append(value)
    return Audience(tuple(departments), tuple(roles))


@campaign.command("create", help=t("cli.campaign.create.help"))
@click.option("--doc", "document_id", type=int, required=True, help=t("cli.campaign.opt.doc"))
@click.option("--decided", required=True, help=t("cli.campaign.opt.decided"))
@click.option("--start", "start_on", required=True, help=t("cli.campaign.opt.start"))
@click.option("--days", type=int, default=legal.MIN_WINDOW_DAYS, show_default=True, help=t("cli.campaign.opt.days"))
@click.option("--kind", type=click.Choice([k.value for k in CampaignKind]), default=CampaignKind.DISCLOSURE.value, show_default=True, help=t("cli.campaign.opt.kind"))
@click.option("--audience", multiple=True, help=t("cli.campaign.opt.audience"))
@click.option("--send-window", default="08:00-10:30", show_default=True, help=t("cli.campaign.opt.window"))
@click.option("--reminder-days", type=click.IntRange(0, 15), default=3, show_default=True, help=t("cli.campaign.opt.reminder_days"))
@click.option("--force", is_flag=True, help=t("cli.campaign.opt.force"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def campaign_create(
    ctx: click.Context, document_id: int, decided: str, start_on: str, days: int, kind: str,
    audience: tuple[str, ...], send_window: str, reminder_days: int, force: bool, as_json: bool,
) -> None:
    settings = settings_of(ctx)
    window = _window(send_window)

    async def work(session: AsyncSession) -> campaign_service.CreateResult:
        return await campaign_service.create_campaign(
            session, document_id=document_id, decided_on=_date(decided), start_on=_date(start_on), days=days,
            now=SystemClock().now(), tz=settings.timezone, kind=CampaignKind(kind), audience=split_audience(audience),
            force=force, send_window=window, reminder_days=reminder_days,
        )

    try:
        result = run_db(ctx, work)
    except campaign_service.CampaignRejected as rejected:
        lines = [t("cli.campaign.rejected")] + [f"- {m}" for m in rejected.messages]
        if rejected.forceable:
            lines.append(t("cli.campaign.force_hint"))
        raise ClerkError("\n".join(lines)) from None
    created = result.campaign
    if as_json:
        click.echo(json.dumps({"id": created.id, "members": result.members, "start": created.start_on.isoformat(),
                               "end": created.end_on.isoformat(), "notes": result.notes}, ensure_ascii=False))
        return
    for note in result.notes:
        click.echo(note, err=True)
    created_key = "cli.campaign.created.consultation" if created.kind is CampaignKind.CONSULTATION else "cli.campaign.created"
    click.echo(t(created_key, id=created.id, members=result.members,
                 start=format_date_vi(created.start_on), end=format_date_vi(created.end_on)))


@campaign.command("list", help=t("cli.campaign.list.help"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def campaign_list(ctx: click.Context, as_json: bool) -> None:
    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        rows = []
        for c in await campaign_service.list_campaigns(session):
            rows.append({
                "id": c.id, "document_id": c.document_id, "title": _doc_title(c.document), "kind": c.kind.value,
                "status": c.status.value, "decided_on": c.decided_on.isoformat(), "start": c.start_on.isoformat(),
                "end": c.end_on.isoformat(), "members": await campaign_service.member_count(session, c.id),
            })
        return rows

    rows = run_db(ctx, work)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(t("cli.campaign.none"))
    for row in rows:
        click.echo(t("cli.campaign.list.row", status_vi=t(f"campaign.status.{row['status']}"), **row))


@campaign.command("plan", help=t("cli.campaign.plan.help"))
@click.argument("campaign_id", type=int)
@click.pass_context
def campaign_plan(ctx: click.Context, campaign_id: int) -> None:
    settings = settings_of(ctx)

    async def work(session: AsyncSession) -> tuple[Any, Any]:
        found = await campaign_service.load_campaign(session, campaign_id)
        if found is None:
            raise ClerkError(t("cli.campaign.not_found", id=campaign_id))
        return found, campaign_service.plan_for(found, found.document.sections, settings.timezone)

    found, plan = run_db(ctx, work)
    click.echo(t("cli.campaign.plan.head", id=found.id, title=_doc_title(found.document),
                 start=format_date_vi(found.start_on), end=format_date_vi(found.end_on),
                 window=f"{found.send_window_start:%H:%M}–{found.send_window_end:%H:%M}"))
    policy = reminders.ReminderPolicy(digest_at=settings.reminder_time, last_call_days=settings.last_call_days)
    first_day = plan.items[0].day if plan.items else found.start_on
    reminder_days = {
        day: t(f"cli.campaign.plan.reminder.{kind.value}")
        + (t("cli.campaign.plan.reminder.laggards") if day.weekday() == policy.laggards_weekday else "")
        for day, kind in reminders.schedule(found, policy, first_day)
    }
    header = table_header()
    click.echo(f"{header[0]:<12} {header[1]:<10} {header[2]:<22} {header[3]:>6}   {t('cli.campaign.plan.reminder')}")
    for summary in plan.days:
        date_cell, weekday, sections, chunks = summary.row()
        click.echo(f"{date_cell:<12} {weekday:<10} {sections:<22} {chunks:>6}   {reminder_days.get(summary.day, '')}")
    click.echo(t("cli.campaign.plan.reminder_note", time=f"{policy.digest_at:%H:%M}"))
    for note in plan.notes:
        click.echo(f"{note.severity_label}: {note.message()}")


@campaign.command("close", help=t("cli.campaign.close.help"))
@click.argument("campaign_id", type=int)
@click.pass_context
def campaign_close(ctx: click.Context, campaign_id: int) -> None:
    async def work(session: AsyncSession) -> int:
        found = await campaign_service.load_campaign(session, campaign_id)
        if found is None:
            raise ClerkError(t("cli.campaign.not_found", id=campaign_id))
        if found.status is CampaignStatus.CLOSED:
            raise ClerkError(t("cli.campaign.already_closed", id=campaign_id))
        return await campaign_service.close_campaign(session, found, SystemClock().now())

    cancelled = run_db(ctx, work)
    click.echo(t("cli.campaign.closed", id=campaign_id, cancelled=cancelled))


# --- feedback (góp ý) and document requests ------------------------------------------


@main.group("feedback", help=t("cli.feedback.help"))
def feedback_group() -> None:
    pass


def _feedback_row(item: Any, tz: str) -> dict[str, Any]:
    return {
        "id": item.id, "campaign_id": item.campaign_id, "section": item.ordinal, "where": item.where,
        "anonymous": item.anonymous, "author": item.author, "text": item.text, "status": item.status.value,
        "answer": item.answer, "answered_by": item.answered_by,
        "answered_at": item.answered_at.isoformat() if item.answered_at else None,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "created_on": item.created_at.date().isoformat(),
    }


@feedback_group.command("list", help=t("cli.feedback.list.help"))
@click.argument("campaign_id", type=int)
@click.option("--new", "only_new", is_flag=True, help=t("cli.feedback.list.new"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def feedback_list(ctx: click.Context, campaign_id: int, only_new: bool, as_json: bool) -> None:
    from bot.services import feedback as feedback_service

    settings = settings_of(ctx)

    async def work(session: AsyncSession) -> list[Any]:
        if await feedback_service.load_campaign(session, campaign_id) is None:
            raise ClerkError(t("cli.campaign.not_found", id=campaign_id))
        return await feedback_service.list_feedback(session, campaign_id, only_new=only_new)

    items = run_db(ctx, work)
    if as_json:
        click.echo(json.dumps([_feedback_row(i, settings.timezone) for i in items], ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo(t("cli.feedback.none"))
    for item in items:
        author = t("summary.anonymous") if item.anonymous or not item.author else item.author
        status = feedback_service.decision_label(item.status)
        click.echo(t("cli.feedback.row", id=item.id, status=status, where=item.where, author=author,
                     day=format_date_vi(item.created_at.date()), text=item.text))
        if item.answer:
            click.echo(t("cli.feedback.row_answer", answer=item.answer, by=item.answered_by or "—"))


@feedback_group.command("summary", help=t("cli.feedback.summary.help"))
@click.argument("campaign_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help=t("cli.feedback.summary.output"))
@click.option("--publish", is_flag=True, help=t("cli.feedback.summary.publish"))
@click.pass_context
def feedback_summary(ctx: click.Context, campaign_id: int, output: Path | None, publish: bool) -> None:
    from bot.reports import feedback_summary as summary_report
    from bot.services import feedback as feedback_service

    if output is not None and output.suffix.lower() not in (".docx", ".md"):
        raise ClerkError(t("cli.feedback.summary.bad_output", file=output.name))

    async def work(session: AsyncSession) -> tuple[Any, Any]:
        summary = await feedback_service.build_summary(session, campaign_id)
        if summary is None:
            raise ClerkError(t("cli.campaign.not_found", id=campaign_id))
        published = None
        if publish:
            published = await feedback_service.publish(
                session, campaign_id, summary_report.to_chat(summary), SystemClock().now()
            )
        return summary, published

    summary, published = run_db(ctx, work)
    if output is not None:
        if output.suffix.lower() == ".docx":
            output.write_bytes(summary_report.to_docx(summary))
        else:
            output.write_text(summary_report.to_markdown(summary), encoding="utf-8")
        click.echo(t("cli.feedback.summary.written", file=output, count=len(summary.items)))
    elif not publish:
        click.echo(summary_report.to_markdown(summary), nl=False)
    unanswered = sum(1 for item in summary.items if not item.answered)
    if unanswered:
        click.echo(t("cli.feedback.summary.unanswered", count=unanswered), err=True)
    if published is not None:
        if published.queued:
            click.echo(t("cli.feedback.summary.published", recipients=published.recipients,
                         messages=published.messages, comments=published.newly_published))
        else:
            click.echo(t("cli.feedback.summary.already"))


@main.group("request", help=t("cli.request.help"))
def request_group() -> None:
    pass


@request_group.command("list", help=t("cli.request.list.help"))
@click.option("--open", "only_open", is_flag=True, help=t("cli.request.list.open"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def request_list(ctx: click.Context, only_open: bool, as_json: bool) -> None:
    from bot.domain.dates import format_datetime_vi
    from bot.services import feedback as feedback_service

    settings = settings_of(ctx)
    items = run_db(ctx, lambda session: feedback_service.list_requests(session, only_open=only_open))
    if as_json:
        click.echo(json.dumps([
            {"id": r.id, "staff_id": r.staff_id, "requester": r.requester, "department": r.department, "text": r.text,
             "created_at": r.created_at.isoformat(), "answer": r.answer, "answered_by": r.answered_by,
             "answered_at": r.answered_at.isoformat() if r.answered_at else None}
            for r in items
        ], ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo(t("cli.request.none"))
    for r in items:
        click.echo(t("cli.request.row", id=r.id, requester=r.requester, department=r.department or "—",
                     at=format_datetime_vi(r.created_at, settings.timezone), text=r.text))
        if r.answered_at is not None:
            click.echo(t("cli.request.row_answer", at=format_datetime_vi(r.answered_at, settings.timezone),
                         answer=r.answer or ""))
        else:
            click.echo(t("cli.request.row_open", id=r.id))


@request_group.command("answer", help=t("cli.request.answer.help"))
@click.argument("request_id", type=int)
@click.argument("text")
@click.pass_context
def request_answer(ctx: click.Context, request_id: int, text: str) -> None:
    from bot.domain.dates import format_datetime_vi
    from bot.services import feedback as feedback_service

    settings = settings_of(ctx)

    async def work(session: AsyncSession) -> Any:
        try:
            answered = await feedback_service.answer_request(session, request_id, text, SystemClock().now(), settings.timezone)
            return answered.answered_at
        except feedback_service.RequestRefused as refused:
            raise ClerkError(t(f"cli.request.refused.{refused.reason}", id=request_id)) from None

    answered_at = run_db(ctx, work)
    click.echo(t("cli.request.answered", id=request_id, at=format_datetime_vi(answered_at, settings.timezone)))


# --- run ---------------------------------------------------------------------


@main.command("run", help=t("cli.run.help"))
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


# --- announce ----------------------------------------------------------------


@main.group(help=t("cli.announce.help"))
def announce() -> None:
    pass


class _Declined(Exception):
    """The clerk answered no to the preview: roll the draft back."""


@announce.command("send", help=t("cli.announce.send.help"))
@click.option("--text", "text", help=t("cli.announce.opt.text"))
@click.option("--file", "file", type=click.Path(path_type=Path, exists=True, dir_okay=False), help=t("cli.announce.opt.file"))
@click.option("--audience", multiple=True, help=t("cli.campaign.opt.audience"))
@click.option("--at", "at", metavar="\"YYYY-MM-DD HH:MM\"", help=t("cli.announce.opt.at"))
@click.option("--require-ack", is_flag=True, help=t("cli.announce.opt.require_ack"))
@click.option("--yes", is_flag=True, help=t("cli.announce.opt.yes"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def announce_send(
    ctx: click.Context, text: str | None, file: Path | None, audience: tuple[str, ...], at: str | None,
    require_ack: bool, yes: bool, as_json: bool,
) -> None:
    from bot.services import announcements as announcement_service

    if (text is None) == (file is None):
        raise ClerkError(t("cli.announce.text_or_file"))
    body = text if text is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    settings = settings_of(ctx)
    now = SystemClock().now()

    async def work(session: AsyncSession) -> dict[str, Any]:
        wanted = split_audience(audience)
        ids = await campaign_service.resolve_departments(session, wanted.departments)
        when = announcement_service.parse_when(at, now, settings.timezone) if at else None
        draft = await announcement_service.create_draft(
            session, author_id=None, text=body, now=now, audience=wanted.to_json(ids), require_ack=require_ack,
        )
        preview = await announcement_service.preview(session, draft)
        if not yes:
            click.echo(t("cli.announce.preview", audience=preview.audience, members=preview.members,
                         recipients=preview.recipients))
            click.echo("-" * 40)
            click.echo(notices.announcement(preview.content).text)
            click.echo("-" * 40)
            if not click.confirm(t("cli.announce.confirm"), default=False):
                raise _Declined
        result = await announcement_service.send(session, draft, now, when)
        return {"id": draft.id, "status": draft.status.value, "members": preview.members,
                "recipients": result.queued, "due_at": result.due_at.isoformat()}

    try:
        outcome = run_db(ctx, work)
    except _Declined:
        click.echo(t("cli.announce.declined"))
        return
    except campaign_service.CampaignRejected as rejected:
        raise ClerkError("\n".join(rejected.messages)) from None
    except announcement_service.AnnouncementRefused as refused:
        raise ClerkError(refused.message) from None
    if as_json:
        click.echo(json.dumps(outcome, ensure_ascii=False))
        return
    due = dt.datetime.fromisoformat(outcome["due_at"])
    key = "cli.announce.scheduled" if outcome["status"] == "scheduled" else "cli.announce.queued"
    click.echo(t(key, id=outcome["id"], recipients=outcome["recipients"], members=outcome["members"],
                 at=_local_time(due, settings.timezone)))


def _local_time(value: dt.datetime, tz: str) -> str:
    from bot.domain.dates import format_datetime_vi

    return format_datetime_vi(value, tz)


def _announcement_row(counts: Any) -> dict[str, Any]:
    a = counts.announcement
    return {
        "id": a.id, "status": counts.status.value, "text": a.text, "audience": counts.audience,
        "require_ack": a.require_ack, "created_at": a.created_at.isoformat(),
        "scheduled_at": a.scheduled_at.isoformat() if a.scheduled_at else None,
        "sent_at": a.sent_at.isoformat() if a.sent_at else None,
        "recipients": counts.recipients, "sent": counts.sent, "failed": counts.failed,
        "confirmed": counts.confirmed, "not_confirmed": counts.not_confirmed, "not_received": counts.not_received,
    }


@announce.command("list", help=t("cli.announce.list.help"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def announce_list(ctx: click.Context, as_json: bool) -> None:
    from bot.services import announcements as announcement_service

    now = SystemClock().now()

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        return [
            _announcement_row(await announcement_service.results(session, a, now))
            for a in await announcement_service.recent(session, None, limit=100)
        ]

    rows = run_db(ctx, work)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(t("cli.announce.none"))
    for row in rows:
        click.echo(t("cli.announce.list.row", id=row["id"], status=t(f"announce.status.{row['status']}"),
                     text=announcement_service.short(row["text"]), audience=row["audience"],
                     sent=row["sent"], recipients=row["recipients"],
                     confirmed=row["confirmed"] if row["require_ack"] else "—"))


@announce.command("results", help=t("cli.announce.results.help"))
@click.argument("announcement_id", type=int)
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def announce_results(ctx: click.Context, announcement_id: int, as_json: bool) -> None:
    from bot.services import announcements as announcement_service

    now = SystemClock().now()

    async def work(session: AsyncSession) -> dict[str, Any]:
        found = await announcement_service.load(session, announcement_id)
        if found is None:
            raise ClerkError(t("cli.announce.not_found", id=announcement_id))
        return _announcement_row(await announcement_service.results(session, found, now))

    row = run_db(ctx, work)
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    click.echo(t("cli.announce.results.head", id=row["id"], status=t(f"announce.status.{row['status']}"),
                 audience=row["audience"], text=announcement_service.short(row["text"], 80)))
    click.echo(t("cli.announce.results.counts", recipients=row["recipients"], sent=row["sent"], failed=row["failed"]))
    if row["require_ack"]:
        click.echo(t("cli.announce.results.confirmed", confirmed=row["confirmed"], recipients=row["recipients"]))
        click.echo(t("cli.announce.results.not_confirmed", names=", ".join(row["not_confirmed"]) or "—"))
    if row["not_received"]:
        click.echo(t("cli.announce.results.not_received", names=", ".join(row["not_received"])))


# --- simulate ----------------------------------------------------------------


@main.command("simulate", help=t("cli.simulate.help"))
@click.option("--staff", type=click.IntRange(1, 5000), default=200, show_default=True, help=t("cli.simulate.staff"))
@click.option("--seed", type=int, default=1, show_default=True, help=t("cli.simulate.seed"))
@click.option("--doc", "document", type=click.Path(path_type=Path, exists=True, dir_okay=False), help=t("cli.simulate.doc"))
@click.option("--channel", type=click.Choice(["telegram", "zalo", "mixed"]), default="telegram", show_default=True,
              help=t("cli.simulate.channel"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
def simulate_command(staff: int, seed: int, document: Path | None, channel: str, as_json: bool) -> None:
    from bot.simulate import simulate

    try:
        result = simulate(staff, seed, document, channel)
    except DocumentError as error:
        raise ClerkError(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        click.echo(t("cli.simulate.result", **result.as_dict()))


def _roles(values: list[str]) -> list[Role]:
    return [Role(v) for v in values]
