"""``congkhai feedback`` and ``congkhai request``: comments (góp ý) and requests for documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import ClerkError, run_db, settings_of
from bot.domain.dates import format_date_vi
from bot.domain.texts import t
from bot.services.clock import SystemClock


@click.group("feedback", help=t("cli.feedback.help"))
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


@click.group("request", help=t("cli.request.help"))
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

