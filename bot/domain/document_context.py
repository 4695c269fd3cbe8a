"""The context shown to staff once, above a document's sections: which decision enacted it.

A regulation usually arrives as a QUYẾT ĐỊNH followed by the QUY CHẾ. Staff
confirm the regulation's articles; the decision's own articles (enactment,
entry into force, who carries it out) are context, told once in the first
message and at the head of the table of contents, never a section to confirm.
"""

from __future__ import annotations

from bot.domain.dates import format_date_vi
from bot.domain.document import Decision
from bot.domain.render import escape
from bot.domain.texts import t

MAX_ARTICLE_CHARS = 400


def context_text(adopted_by: str | None, decision: Decision | None) -> str | None:
    """The text (light markup, every word from the file escaped) for the first message and the
    table of contents header."""
    lines: list[str] = []
    if adopted_by:
        lines.append(t("doc.context.adopted", text=adopted_by))
    if decision is not None and decision.articles:
        date = t("doc.context.date", date=format_date_vi(decision.issued_on)) if decision.issued_on else ""
        signer = " ".join(filter(None, (decision.signer_title, decision.signer)))
        lines.append(
            t(
                "doc.context.decision",
                number=decision.number or "",
                date=date,
                signer=t("doc.context.signer", signer=" ".join(signer.split())) if signer else "",
            )
        )
        for article in decision.articles:
            text = " ".join(article.text.split())
            if len(text) > MAX_ARTICLE_CHARS:
                text = text[: MAX_ARTICLE_CHARS - 1].rstrip() + "…"
            lines.append(escape(f"{article.heading}. {text}"))  # the decision's words, shown as written
    return "\n".join(lines) or None
