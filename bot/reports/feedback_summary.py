"""The synthesis of comments (kết quả tổng hợp ý kiến, giải trình, tiếp thu; Luật
10/2022 Art. 46.10, 55): per section the comments, the decision and the answer.

Rendered three ways from one ``Summary`` (built by ``bot.services.feedback``): a
.docx for the file, Markdown for the clerk, and light-Markdown chat messages of at
most ``limit`` characters for publishing to every member. An anonymous comment is
marked "Ẩn danh"; a named one shows the commenter's name.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from bot.domain.dates import format_date_vi
from bot.domain.render import escape, to_plain
from bot.domain.texts import t

if TYPE_CHECKING:
    from bot.services.feedback import FeedbackItem, Summary

CHAT_LIMIT = 3500


def _heading(summary: Summary) -> str:
    key = "summary.title.consultation" if summary.kind.value == "consultation" else "summary.title.disclosure"
    return t(key, title=summary.title)


def _period(summary: Summary) -> str:
    return t("summary.period", start=format_date_vi(summary.start_on), end=format_date_vi(summary.end_on))


def _author(item: FeedbackItem) -> str:
    return t("summary.anonymous") if item.anonymous or not item.author else item.author


def _decision(item: FeedbackItem) -> str:
    if not item.answered:
        return t("summary.unanswered")
    return t(f"feedback.status.{item.status.value}")


def _counts(summary: Summary) -> str:
    items = summary.items
    accepted = sum(1 for i in items if i.status.value == "accepted")
    explained = sum(1 for i in items if i.status.value == "explained")
    return t("summary.counts", total=len(items), accepted=accepted, explained=explained,
             open=len(items) - accepted - explained)


# --- .docx -----------------------------------------------------------------------------


def to_docx(summary: Summary) -> bytes:
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(to_plain(_heading(summary)).upper())
    run.bold = True
    sub = document.add_paragraph(_period(summary))
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if summary.number:
        document.add_paragraph(to_plain(t("summary.number", number=summary.number))).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(_counts(summary))
    if not summary.groups:
        document.add_paragraph(t("summary.none"))
    for group in summary.groups:
        document.add_heading(group.heading, level=2)
        for n, item in enumerate(group.items, start=1):
            p = document.add_paragraph()
            p.add_run(to_plain(t("summary.comment_label", n=n, author=_author(item)))).bold = True
            p.add_run(item.text)
            p = document.add_paragraph()
            p.add_run(t("summary.decision_label")).bold = True
            p.add_run(_decision(item))
            if item.answered and item.answer:
                p = document.add_paragraph()
                p.add_run(t("summary.answer_label")).bold = True
                p.add_run(item.answer)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- Markdown and chat -------------------------------------------------------------------


def _item_lines(n: int, item: FeedbackItem) -> list[str]:
    lines = [t("summary.md.comment", n=n, author=_author(item), text=item.text),
             t("summary.md.decision", decision=_decision(item))]
    if item.answered and item.answer:
        lines.append(t("summary.md.answer", answer=item.answer))
    return lines


def to_markdown(summary: Summary) -> str:
    out = [f"# {_heading(summary)}", "", _period(summary), "", _counts(summary), ""]
    if not summary.groups:
        out += [t("summary.none"), ""]
    for group in summary.groups:
        out += [f"## {escape(group.heading)}", ""]
        for n, item in enumerate(group.items, start=1):
            out += _item_lines(n, item) + [""]
    return "\n".join(out).rstrip() + "\n"


def to_chat(summary: Summary, limit: int = CHAT_LIMIT) -> list[str]:
    """The synthesis as chat messages in light Markdown, each under ``limit`` characters."""
    blocks = [f"📢 **{_heading(summary)}**\n{_period(summary)}\n{_counts(summary)}"]
    if not summary.groups:
        blocks.append(t("summary.none"))
    for group in summary.groups:
        blocks.append(f"**{escape(group.heading)}**")
        for n, item in enumerate(group.items, start=1):
            blocks.append("\n".join(_item_lines(n, item)))
    return pack(blocks, limit)


def pack(blocks: Iterable[str], limit: int) -> list[str]:
    """Join blocks with blank lines into messages under ``limit``; a block too long for
    one message is cut at line ends, then hard."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _split(block, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _split(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces
