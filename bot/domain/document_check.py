"""What the clerk should see before staff do: the outline found, and the signs of a wrong structure.

An importer that finds no article still "succeeds", and staff then receive one
long section; a page header left inside an article is sent to everyone to
confirm. None of that is an error the parser can refuse on, so it is said
plainly to the clerk at import time.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from bot.domain.document import (
    PATH_SEPARATOR,
    NumberingKind,
    ParsedDocument,
    looks_like_header_or_signature,
    parse_numbering,
)
from bot.domain.text import fold
from bot.domain.texts import t

LONG_SECTION_MIN = 4000
LONG_SECTION_FACTOR = 6
_REGULATION_TITLES = ("quy che", "quy dinh", "noi quy", "dieu le")
_PLAIN_ARTICLE = re.compile(r"^Điều (\d+)$")


@dataclass(frozen=True)
class OutlineRow:
    heading: str
    sections: int
    first_article: str | None
    last_article: str | None


def article_label(path: str) -> str | None:
    """The ``Điều N`` component of a section's path, if any."""
    for part in path.split(PATH_SEPARATOR):
        numbering = parse_numbering(part)
        if numbering is not None and numbering.kind is NumberingKind.ARTICLE:
            return numbering.label
    return None


def outline_rows(parsed: ParsedDocument) -> list[OutlineRow]:
    """The top-level headings that hold others, with how many sections and which articles they hold."""
    top = [entry for entry in parsed.outline if PATH_SEPARATOR not in entry.path]
    rows = []
    for entry in top:
        inside = [s for s in parsed.sections if s.path == entry.path or s.path.startswith(entry.path + PATH_SEPARATOR)]
        articles = [label for s in inside if (label := article_label(s.path))]
        first, last = (articles[0], articles[-1]) if articles else (None, None)
        rows.append(OutlineRow(entry.heading, len(inside), first, last))
    return rows


def summary_lines(parsed: ParsedDocument) -> list[str]:
    """The outline as the clerk reads it in the terminal."""
    chapters = [e for e in parsed.outline if PATH_SEPARATOR not in e.path and fold(e.path).startswith("chuong")]
    articles = {label for s in parsed.sections if (label := article_label(s.path))}
    parts = ""
    if chapters:
        parts += t("doc.check.part_count", count=len(chapters), kind=t("doc.check.kind.chapter"))
    if articles:
        parts += t("doc.check.part_count", count=len(articles), kind=t("doc.check.kind.article"))
    lines = [t("doc.check.summary", parts=parts, sections=len(parsed.sections))]
    for row in outline_rows(parsed):
        span = ""
        if row.first_article and row.last_article:
            first, last = row.first_article.removeprefix("Điều "), row.last_article.removeprefix("Điều ")
            if first == last:
                span = t("doc.check.article_one", first=first)
            else:
                span = t("doc.check.article_range", first=first, last=last)
        lines.append(t("doc.check.outline_row", heading=row.heading, count=row.sections, articles=span))
    if parsed.adopted_by:
        lines.append(t("doc.check.adopted", text=parsed.adopted_by))
    if parsed.decision is not None:
        decision = parsed.decision
        lines.append(t("doc.check.decision", number=decision.number or "—", articles=len(decision.articles)))
    return lines


def warnings(parsed: ParsedDocument) -> list[str]:
    """Vietnamese warnings for the clerk, most telling first."""
    found: list[str] = []
    found.extend(_missing_articles(parsed))
    found.extend(_numbering_gaps(parsed))
    found.extend(_long_sections(parsed))
    found.extend(_stray_lines(parsed))
    found.extend(
        t("doc.warn.empty_heading", heading=issue.detail) for issue in parsed.issues if issue.code == "empty_heading"
    )
    return found


def _missing_articles(parsed: ParsedDocument) -> list[str]:
    title = parsed.title or ""
    if not fold(title).startswith(_REGULATION_TITLES):
        return []
    if any(article_label(s.path) for s in parsed.sections):
        return []
    return [t("doc.warn.no_article", title=title)]


def _numbering_gaps(parsed: ParsedDocument) -> list[str]:
    numbers: list[int] = []
    for section in parsed.sections:
        label = article_label(section.path)
        match = _PLAIN_ARTICLE.match(label or "")
        if match is None:
            continue
        opens = section.path.split(PATH_SEPARATOR)[-1] == label  # the article's own heading, not a part inside it
        if opens or not numbers or numbers[-1] != int(match.group(1)):
            numbers.append(int(match.group(1)))
    found = []
    seen: set[int] = set()
    for before, after in zip([None, *numbers], numbers, strict=False):
        if after in seen:
            found.append(t("doc.warn.repeat", number=after))
        elif before is not None and after != before + 1:
            found.append(t("doc.warn.gap", before=before, after=after))
        seen.add(after)
    return found


def _long_sections(parsed: ParsedDocument) -> list[str]:
    if len(parsed.sections) < 3:
        return []
    typical = statistics.median(len(s.text) for s in parsed.sections)
    return [
        t("doc.warn.long_section", ordinal=s.ordinal, heading=s.heading, length=len(s.text))
        for s in parsed.sections
        if len(s.text) > max(LONG_SECTION_MIN, LONG_SECTION_FACTOR * typical)
    ]


def _stray_lines(parsed: ParsedDocument) -> list[str]:
    found = []
    for section in parsed.sections:
        for paragraph in section.text.split("\n\n"):
            for line in paragraph.split("\n"):
                line = line.strip().removeprefix("- ")
                if looks_like_header_or_signature(line):
                    found.append(t("doc.warn.stray", ordinal=section.ordinal, heading=section.heading, line=line[:80]))
                    break
            else:
                continue
            break
    return found
