"""Channel-neutral messages: text in light Markdown plus buttons whose meaning is a typed
action (``bot.domain.actions``). Telegram shows the buttons; Zalo turns them into typed
commands."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain import actions
from bot.domain.texts import t


@dataclass(frozen=True)
class Button:
    label: str
    action: actions.Action


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Attachment:
    """A file sent as a message: a photo (shown in the chat) or a document (to download)."""

    name: str
    data: bytes
    photo: bool = False


@dataclass(frozen=True)
class Message:
    text: str  # light Markdown (the caption, for a file)
    buttons: Keyboard = ()
    ask_contact: bool = False  # Telegram: offer the "share my phone number" keyboard
    remove_keyboard: bool = False
    rendered: bool = False  # text is already in the channel's own format (a section chunk)
    attachment: Attachment | None = None  # a file; messengers that take no uploads (Zalo) leave it out


def section_buttons(campaign_id: int, ordinal: int, *, confirmed: bool = False) -> Keyboard:
    first: tuple[Button, ...] = (Button(t("btn.next"), actions.Next(campaign_id)),)
    if not confirmed:
        first = (Button(t("btn.ack"), actions.Ack(campaign_id, ordinal)),) + first
    return (first, (Button(t("btn.feedback"), actions.Comment(campaign_id, ordinal)),))


def attestation_message(campaign_id: int, title: str, total: int) -> Message:
    return Message(t("attest.ask", title=title, total=total), ((Button(t("btn.attest"), actions.Attest(campaign_id)),),))


def document_title(document: object) -> str:
    """A document as people name it: "QUY CHẾ Thực hiện dân chủ …" (title and subtitle)."""
    title = getattr(document, "title", "") or ""
    subtitle = getattr(document, "subtitle", None)
    return f"{title} {subtitle}" if subtitle else title


def keyboard_from_payload(rows: Iterable[Sequence[Sequence[str]]]) -> Keyboard:
    """The buttons of a stored payload; a button whose data no longer decodes is dropped."""
    keyboard: list[tuple[Button, ...]] = []
    for line in rows:
        row = tuple(
            Button(str(label), action)
            for label, data in line
            if (action := actions.decode(data)) is not None
        )
        if row:
            keyboard.append(row)
    return tuple(keyboard)
