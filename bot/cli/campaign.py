"""``congkhai campaign``: disclosure campaigns and their plans."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import ClerkError, doc_title, run_db, settings_of
from bot.domain import legal
from bot.domain.dates import format_date_vi, parse_date
from bot.domain.drip import SendWindow, table_header
from bot.domain.enums import CampaignKind, CampaignStatus, Role
from bot.domain.roster import parse_roles
from bot.domain.texts import t
from bot.services import campaigns as campaign_service
from bot.services import reminders
from bot.services.campaigns import Audience
from bot.services.clock import SystemClock


@click.group(help=t("cli.campaign.help"))
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
                "id": c.id, "document_id": c.document_id, "title": doc_title(c.document), "kind": c.kind.value,
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
    click.echo(t("cli.campaign.plan.head", id=found.id, title=doc_title(found.document),
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

