"""``congkhai announce``: announcements to staff."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import notices
from bot.cli.campaign import split_audience
from bot.cli.common import ClerkError, run_db, settings_of
from bot.domain.render import to_plain
from bot.domain.texts import t
from bot.services import campaigns as campaign_service
from bot.services.clock import SystemClock


@click.group(help=t("cli.announce.help"))
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
            click.echo(to_plain(notices.announcement(preview.content).text))
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

