"""Channel-neutral messages: text in light Markdown plus buttons whose actions are
short strings. Telegram shows the buttons; Zalo turns them into typed commands."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.texts import t


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # "ack:12:3", "next:12", "fb:12:3", "read:12:3", "toc:12:0", "attest:12", "cancel"


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Message:
    text: str  # light Markdown
    buttons: Keyboard = ()
    ask_contact: bool = False  # Telegram: offer the "share my phone number" keyboard
    remove_keyboard: bool = False
    rendered: bool = False  # text is already in the channel's own format (a section chunk)


def section_buttons(campaign_id: int, ordinal: int, *, confirmed: bool = False) -> Keyboard:
    first: tuple[Button, ...] = (Button(t("btn.next"), f"next:{campaign_id}"),)
    if not confirmed:
        first = (Button(t("btn.ack"), f"ack:{campaign_id}:{ordinal}"),) + first
    return (first, (Button(t("btn.feedback"), f"fb:{campaign_id}:{ordinal}"),))


def attestation_message(campaign_id: int, title: str, total: int) -> Message:
    return Message(t("attest.ask", title=title, total=total), ((Button(t("btn.attest"), f"attest:{campaign_id}"),),))


def document_title(document: object) -> str:
    """A document as people name it: "QUY CHẾ Thực hiện dân chủ …" (title and subtitle)."""
    title = getattr(document, "title", "") or ""
    subtitle = getattr(document, "subtitle", None)
    return f"{title} {subtitle}" if subtitle else title
