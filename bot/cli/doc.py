"""``congkhai doc``: importing and reading the regulations."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import ClerkError, doc_title, run_db
from bot.domain import document_check, document_context
from bot.domain.dates import format_date_vi
from bot.domain.document import DocumentError
from bot.domain.render import to_plain
from bot.domain.texts import t
from bot.services import documents as document_service
from bot.services.clock import SystemClock
from bot.services.document_files import read_document


@click.group(help=t("cli.doc.help"))
def doc() -> None:
    pass


@doc.command("import", help=t("cli.doc.import.help"))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help=t("cli.doc.import.dry_run"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
@click.pass_context
def doc_import(ctx: click.Context, file: Path, dry_run: bool, as_json: bool) -> None:
    try:
        if as_json:  # the output is read by a program
            parsed = read_document(file)
        else:
            with click.progressbar(length=1, label=t("cli.doc.import.progress"), file=sys.stderr) as bar:
                parsed = read_document(file)  # a long Word or PDF file takes a while
                bar.update(1)
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
            t("cli.doc.imported", id=document.id, title=doc_title(document), version=document.version,
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
                "title": doc_title(d),
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
    click.echo(t("cli.doc.show.head", id=document.id, title=doc_title(document), version=document.version))
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
        click.echo(to_plain(context))
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

