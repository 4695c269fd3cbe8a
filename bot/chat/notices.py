"""What a queued message says: the screens of everything the bot sends on its own (reminders,
the request for the final attestation, the answer to a comment, announcements, requests for a
document), written here, in the chat layer, from the data the services queued.

A delivery row keeps ``{"notice": kind, ...values}``: only data, so the words are those of the
catalogue when the message goes out, and the services hold no texts or buttons. A row that
keeps ``{"text": ...}`` (a published summary, already rendered) is shown as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bot.domain import actions
from bot.domain.dates import format_date_vi, format_datetime_vi
from bot.domain.drip import format_ranges
from bot.domain.enums import DeliveryKind, FeedbackStatus
from bot.domain.messages import (
    Button,
    Message,
    attestation_message,
    keyboard_from_payload,
)
from bot.domain.render import Markup
from bot.domain.texts import t

Compose = Callable[[dict[str, Any], str], Message]


def _reminder(values: dict[str, Any], tz: str) -> Message:
    ordinals = list(values["ordinals"])
    campaign = int(values["campaign"])
    text = t(
        "reminder.last_call" if values.get("last_call") else "reminder.digest",
        title=values["title"], count=len(ordinals), sections=format_ranges(ordinals), days=values["days"],
        end=format_date_vi(dt.date.fromisoformat(values["end"])),
    )
    return Message(text, (
        (Button(t("reminder.button", ordinal=ordinals[0]), actions.Read(campaign, ordinals[0])),),
        (Button(t("btn.toc"), actions.Toc(campaign, 0)),),
    ))


def _laggards(values: dict[str, Any], tz: str) -> Message:
    lines = "\n".join(t("reminder.laggard_line", name=name, count=count) for name, count in values["people"])
    return Message(t("reminder.laggards", title=values["title"], count=len(values["people"]), lines=lines))


def _feedback_answer(values: dict[str, Any], tz: str) -> Message:
    return Message(t(
        "feedback.answer_notice", title=values["title"], where=values["where"], comment=values["comment"],
        decision=t(f"feedback.status.{FeedbackStatus(values['decision']).value}"), answer=values["answer"],
        by=values["by"], at=format_datetime_vi(dt.datetime.fromisoformat(values["at"]), tz),
    ))


def _request_admin(values: dict[str, Any], tz: str) -> Message:
    text = t("request.admin_notice", id=values["id"], name=values["name"], department=values["department"],
             at=format_datetime_vi(dt.datetime.fromisoformat(values["at"]), tz), text=values["text"])
    return Message(text, ((Button(t("request.btn.answer"), actions.RequestAnswer(int(values["id"]))),),))


def _request_answer(values: dict[str, Any], tz: str) -> Message:
    return Message(t("request.answer_notice", request=values["request"], answer=values["answer"],
                     at=format_datetime_vi(dt.datetime.fromisoformat(values["at"]), tz)))


def announcement(values: dict[str, Any], tz: str = "") -> Message:
    """An announcement as each recipient gets it: signed by its author (for the union when a
    union officer writes it), with "Đã nhận" when it asks for it."""
    author = values.get("author")
    if not author:
        signature = t("announce.signature_agency")
    elif values.get("union"):
        signature = t("announce.signature_union", name=author)
    else:
        position = values.get("position")
        signature = t("announce.signature", name=author, position=f" ({position})" if position else "")
    text = t("announce.message", text=Markup(values["text"]), signature=signature)  # its own bold and italics
    if not values.get("require_ack"):
        return Message(text)
    text += "\n\n" + t("announce.ack_hint")
    return Message(text, ((Button(t("btn.ann_ack"), actions.AnnounceAck(int(values["id"]))),),))


NOTICES: dict[str, Compose] = {
    "reminder": _reminder,
    "laggards": _laggards,
    "feedback_answer": _feedback_answer,
    "request_admin": _request_admin,
    "request_answer": _request_answer,
    "announcement": announcement,
}


def compose(kind: DeliveryKind, payload: dict[str, Any] | None, tz: str, *, campaign_id: int | None = None,
            title: str = "", sections: int = 0) -> Message:
    """The message a queued row becomes."""
    if kind is DeliveryKind.ATTESTATION:
        return attestation_message(campaign_id or 0, title, sections)
    payload = payload or {}
    notice = NOTICES.get(str(payload.get("notice", "")))
    if notice is not None:
        return notice(payload, tz)
    return Message(str(payload.get("text", "")), keyboard_from_payload(payload.get("buttons", [])))
