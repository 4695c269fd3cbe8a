"""Use cases over regulation documents: import (versioned), list, show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.cache import cache_of
from bot.db.models import Document, Section
from bot.domain import chunking, document_check
from bot.domain.document import PATH_SEPARATOR, Decision, OutlineEntry, ParsedDocument
from bot.domain.document_context import context_text
from bot.domain.limits import (
    TELEGRAM_LAST_RESERVE,
    TELEGRAM_TEXT_LIMIT,
    ZALO_LAST_RESERVE,
    ZALO_TEXT_LIMIT,
)
from bot.domain.text import fold
from bot.services import audit


def document_key(parsed: ParsedDocument, source_name: str | None = None) -> str:
    """What makes two imports "the same document": its number when it has one
    (``38/QĐ-UBND``), else its title and subtitle (plans often leave the number
    blank), else the file name (a note with neither)."""
    number = parsed.number or ""
    if any(ch.isdigit() for ch in number):
        return "so:" + fold(number)
    title = fold(f"{parsed.title or ''} {parsed.subtitle or ''}")
    if title:
        return "ten:" + title[:290]
    return "tep:" + fold(source_name or "")[:290]


@dataclass(frozen=True)
class ImportOutcome:
    document: Document
    created: bool  # False: identical text was already there, nothing written


async def import_document(
    session: AsyncSession,
    parsed: ParsedDocument,
    now: dt.datetime,
    *,
    source_name: str | None = None,
    actor: str = "cli",
) -> ImportOutcome:
    """Store ``parsed`` as a new document, or as a new version of the same document
    when its text changed; identical text is a no-op."""
    key = document_key(parsed, source_name)
    content_hash = parsed.content_hash()
    same = await session.scalar(
        select(Document).where(Document.content_hash == content_hash).order_by(Document.id).limit(1)
    )
    if same is not None:
        return ImportOutcome(same, created=False)
    latest = await session.scalar(select(func.max(Document.version)).where(Document.key == key))
    document = Document(
        key=key,
        version=(latest or 0) + 1,
        title=parsed.title or (source_name or ""),
        subtitle=parsed.subtitle,
        number=parsed.number,
        issuer=parsed.issuer,
        place=parsed.place,
        issued_on=parsed.issued_on,
        signer=parsed.signer,
        signer_title=parsed.signer_title,
        recipients=list(parsed.recipients),
        closing=parsed.closing,
        adopted_by=parsed.adopted_by,
        decision=parsed.decision.as_json() if parsed.decision is not None else None,
        outline=[entry.as_json() for entry in parsed.outline],
        content_hash=content_hash,
        source_name=source_name,
        imported_at=now,
        sections=[
            Section(ordinal=s.ordinal, path=s.path, heading=s.heading, body=s.body) for s in parsed.sections
        ],
    )
    session.add(document)
    await session.flush()
    audit.record(
        session, now, actor, "document.import", "document", document.id, version=document.version, source=source_name
    )
    return ImportOutcome(document, created=True)


async def list_documents(session: AsyncSession) -> list[tuple[Document, int]]:
    counts = (
        select(Section.document_id, func.count(Section.id).label("n")).group_by(Section.document_id).subquery()
    )
    rows = await session.execute(
        select(Document, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.document_id == Document.id)
        .order_by(Document.id)
    )
    return [(doc, int(n)) for doc, n in rows.all()]


async def get_document(session: AsyncSession, document_id: int) -> Document | None:
    return await session.scalar(
        select(Document).where(Document.id == document_id).options(selectinload(Document.sections))
    )


def section_chunks(path: str, heading: str, body: str) -> dict[str, list[str]]:
    """The messages a section becomes on each channel."""
    return {
        "telegram": chunking.telegram_chunks(
            path, heading, body, limit=TELEGRAM_TEXT_LIMIT, last_reserve=TELEGRAM_LAST_RESERVE
        ),
        "zalo": chunking.zalo_chunks(path, heading, body, limit=ZALO_TEXT_LIMIT, last_reserve=ZALO_LAST_RESERVE),
    }


def parsed_to_json(parsed: ParsedDocument) -> dict[str, Any]:
    """The ``doc import --dry-run --json`` shape."""
    return {
        "title": parsed.title,
        "subtitle": parsed.subtitle,
        "number": parsed.number,
        "issuer": parsed.issuer,
        "place": parsed.place,
        "issued_on": parsed.issued_on.isoformat() if parsed.issued_on else None,
        "signer": parsed.signer,
        "signer_title": parsed.signer_title,
        "recipients": list(parsed.recipients),
        "closing": parsed.closing,
        "adopted_by": parsed.adopted_by,
        "decision": parsed.decision.as_json() if parsed.decision else None,
        "outline": [entry.as_json() for entry in parsed.outline],
        "content_hash": parsed.content_hash(),
        "warnings": document_check.warnings(parsed),
        "sections": [
            {
                "ordinal": s.ordinal,
                "path": s.path,
                "heading": s.heading,
                "text": s.text,
                "markdown": s.body,
                "chunks": section_chunks(s.path, s.heading, s.body),
            }
            for s in parsed.sections
        ],
    }


@dataclass(frozen=True)
class SectionView:
    """A section as the conversation reads it (immutable: a changed document is a new version)."""

    id: int
    document_id: int
    ordinal: int
    path: str
    heading: str
    body: str


async def sections_of(session: AsyncSession, document_id: int) -> tuple[SectionView, ...]:
    """The sections of a document, in order. Kept in the runtime's cache: sections never
    change once imported, and every update of the conversation asks for them."""
    cache = cache_of(session)
    cached: tuple[SectionView, ...] | None = cache.get("sections", document_id)
    if cached is None:
        rows = await session.scalars(select(Section).where(Section.document_id == document_id).order_by(Section.ordinal))
        cached = tuple(SectionView(s.id, s.document_id, s.ordinal, s.path, s.heading, s.body) for s in rows)
        if cached:
            cache.put("sections", document_id, cached)
    return cached


# --------------------------------------------------------------------------
# Context for staff: what the document is, beyond its sections
# --------------------------------------------------------------------------


def outline_of(document: Document) -> list[OutlineEntry]:
    """The titled headings that hold sections (Chương I. Những quy định chung, …), in order."""
    return [OutlineEntry(e["path"], e["heading"], int(e["first"])) for e in document.outline or []]


def decision_of(document: Document) -> Decision | None:
    """The decision that enacts the document, when the file carried it."""
    return Decision.from_json(document.decision) if document.decision else None


def titles_above(document: Document, path: str) -> list[str]:
    """The full titles of the headings a section sits under, outermost first.

    The per-message path stays short (``Chương II › Điều 5``); a table of contents
    or the first message of a chapter shows these instead.
    """
    return [entry.heading for entry in outline_of(document) if path.startswith(entry.path + PATH_SEPARATOR)]


def context_of(document: Document) -> str | None:
    """What staff are told once about the document: the line that adopts it and the decision
    that enacts it (its number, date, signer and articles), or None."""
    return context_text(document.adopted_by, decision_of(document))


def titles_opening_at(document: Document, ordinal: int) -> list[str]:
    """The titles of the headings whose first section is ``ordinal`` (a chapter starts with it)."""
    return [entry.heading for entry in outline_of(document) if entry.first == ordinal]
