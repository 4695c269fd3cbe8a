"""The conversation's one entry point: an event in, a reply out (DESIGN.md §2).

Every messenger reaches the same functions for every flow. This module owns what lies around
a flow: the transaction, the group commit of "Đã đọc", the duplicate-update check, the
pending input (what the next text means), and, for a messenger without buttons, what a typed
word means given what the person was shown last. A decoded action is only a claim: each flow
checks it against the state (membership, what was sent, roles, ownership) before storing
anything, and anything that is not ours gets a polite refusal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat import (
    announcing,
    comments,
    events,
    joining,
    pending,
    reading,
    report,
    typed,
)
from bot.chat.reply import Reply, Who
from bot.db.batch import GroupCommit
from bot.db.models import Staff
from bot.domain import actions
from bot.domain.enums import Channel
from bot.domain.texts import t
from bot.services import access, deliveries, registration, updates
from bot.services import reading as reading_service
from bot.services.clock import Clock

log = logging.getLogger(__name__)

# Commands a member may use, as registered with Telegram (in this order) and typed anywhere.
COMMANDS = ("start", "mucluc", "tiendo", "gopy", "yeucau", "baocao", "thongbao", "thongbao_ketqua", "dashboard",
            "huongdan")


@dataclass(frozen=True)
class _Ack:
    """A "Đã đọc" for the group commit, with its update's key: the key is recorded in the same
    transaction as the acknowledgment, so a redelivered press is handled once."""

    press: reading.Press
    key: str | None = None


class _TypedAck(Exception):  # noqa: N818 - a signal, not an error
    """A typed "đã đọc" with an update key: its first transaction is rolled back and the key
    goes with the acknowledgment into the group commit."""

    def __init__(self, ack: reading.Press) -> None:
        self.ack = ack


class Chat:
    """The conversation over a database and a clock; one per running bot."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, tz: str, wake: Callable[[], None] | None = None,
        *, org_name: str = "Cơ quan", dashboard_url: str = "http://127.0.0.1:8080",
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.tz = tz
        self.org_name = org_name  # the issuing body on report files
        self.dashboard_url = dashboard_url  # where /dashboard's one-time links point
        self._wake = wake or (lambda: None)
        # "Đã đọc" presses arriving together share one transaction (bot/db/batch.py)
        self.confirmations: GroupCommit[_Ack, Reply] = GroupCommit(
            sessions, lambda session, presses: self._confirm_many(session, presses)
        )

    async def handle(self, event: events.Event) -> Reply:
        """The reply to one event, after everything it stored has committed (with the update's
        key, so that a redelivered update changes nothing and is answered with nothing)."""
        if isinstance(event, events.Press) and isinstance(event.action, actions.Ack):
            press = reading.Press(event.who, event.action.campaign, event.action.ordinal)
            reply = await self.confirmations.submit(_Ack(press, event.update_key))
        else:
            try:
                async with self.sessions() as session, session.begin():
                    now = self.clock.now()
                    if event.update_key is not None and not await updates.first_time(
                        session, event.who.channel, event.update_key, now
                    ):
                        return Reply()  # redelivered: handled before
                    ack, reply = await self._route(session, event, now)
                    if ack is not None and event.update_key is not None:
                        raise _TypedAck(ack)
            except _TypedAck as typed:
                ack = typed.ack
            if ack is not None:  # a typed "đã đọc": the same group commit as a button
                reply = await self.confirmations.submit(_Ack(ack, event.update_key))
        if reply.wake:
            self._wake()
        return reply

    # --- routing -------------------------------------------------------------------------------

    async def _route(self, session: AsyncSession, event: events.Event, now: dt.datetime) -> tuple[reading.Press | None, Reply]:
        who = event.who
        if isinstance(event, events.Blocked | events.Unblocked):
            return None, await self._reachability(session, who, isinstance(event, events.Unblocked), now)
        if isinstance(event, events.Command) and event.name == "start":
            return None, await joining.start(session, who, event.args.strip(), now, self.tz)
        if isinstance(event, events.Contact):
            return None, await joining.contact(session, who, event.phone, event.owner, now, self.tz)
        staff = await registration.identify_and_touch(session, who.channel, who.user_id, now)
        if staff is None:
            if isinstance(event, events.Text) and event.typed:
                return None, await typed.stranger(session, who, event.text, now, self.tz)
            return None, self._stranger(who, toast=isinstance(event, events.Press))
        if isinstance(event, events.Press):
            return None, await self._press(session, staff, who, event.action, now)
        if isinstance(event, events.Command):
            return None, await self._command(session, staff, who, event.name, event.args, now)
        if isinstance(event, events.Text):
            if event.typed:
                decided = await typed.member(session, staff, who, event.text, now, self.tz, self.dashboard_url)
                if isinstance(decided, actions.Ack):
                    return reading.Press(who, decided.campaign, decided.ordinal), Reply()
                if isinstance(decided, actions.Action):
                    return None, await self._press(session, staff, who, decided, now)
                if isinstance(decided, Reply):
                    return None, decided
                return None, await self._text(session, staff, who, event.text, None, now)
            return None, await self._text(session, staff, who, event.text, event.markup, now)
        if isinstance(event, events.Other):
            key = "zalo.unsupported" if event.unsupported else "zalo.not_text"
            return None, Reply().say(t(key) if who.channel is not Channel.TELEGRAM else t("help.commands"))
        return None, Reply()

    def _stranger(self, who: Who, *, toast: bool = False) -> Reply:
        text = t("start.stranger") if who.channel is Channel.TELEGRAM else t("zalo.stranger")
        return Reply(toast=text[:190] if toast else None).say(text)

    async def _reachability(self, session: AsyncSession, who: Who, reachable: bool, now: dt.datetime) -> Reply:
        staff = await registration.set_reachable(
            session, who.channel, who.user_id, reachable, "blocked by the user", now
        )
        if staff is not None and reachable and await deliveries.resume_blocked(session, staff.id, now):
            return Reply(wake=True)
        return Reply(wake=reachable and staff is not None)

    # --- commands ------------------------------------------------------------------------------

    async def _command(self, session: AsyncSession, staff: Staff, who: Who, name: str, args: str, now: dt.datetime) -> Reply:
        tz = self.tz
        if name == "mucluc":
            return await reading.toc(session, staff, None, 0)
        if name == "tiendo":
            return await reading.my_progress(session, staff, now, tz)
        if name == "gopy":
            listing = await comments.gopy(session, staff, who, args, now, tz)
            if listing is not None:  # leaders, the union, inspectors: the comments, and a button to write their own
                return listing
            campaigns = await reading_service.member_campaigns(session, staff.id)
            if not campaigns:
                return Reply().say(t("read.no_campaign"))
            return await comments.begin(session, staff, who, campaigns[0].id, None, False, now)
        if name == "yeucau":
            return await comments.request_command(session, staff, who, args, now, tz)
        if name == "baocao":
            return self._with_files(who, staff, await report.report(session, staff, now))
        if name == "dashboard":
            return await report.dashboard(session, staff, now, self.dashboard_url)
        if name == "thongbao":
            return await announcing.begin(session, staff, who, now)
        if name == "thongbao_ketqua":
            return await announcing.results(session, staff, now, tz)
        return Reply().say(help_text(who))

    def _with_files(self, who: Who, staff: Staff, reply: Reply) -> Reply:
        """The counts first; then, where the messenger takes files, the report files."""
        if who.channel is Channel.TELEGRAM and access.allowed(staff, access.Action.REPORT):
            now = self.clock.now()
            reply.later = lambda: report.files(self.sessions, now, self.org_name, self.tz)
        return reply

    # --- buttons -------------------------------------------------------------------------------

    async def _press(self, session: AsyncSession, staff: Staff, who: Who, action: actions.Action | None,
                     now: dt.datetime) -> Reply:
        tz = self.tz
        match action:
            case None:
                return Reply(toast=t("action.invalid"))
            case actions.Ack(campaign, ordinal):
                results = await reading_service.confirm_sections(
                    session, [reading_service.MemberPress(staff.id, campaign, ordinal, who.channel)], now
                )
                return reading.confirmed(results[0], campaign, ordinal, now, tz)
            case actions.Next(campaign):
                return await reading.read_next(session, staff, campaign, now)
            case actions.Attest(campaign):
                return await reading.attest(session, staff, who, campaign, now, tz)
            case actions.Toc(campaign, page):
                return await reading.toc(session, staff, campaign, page)
            case actions.Read(campaign, ordinal):
                return await reading.read(session, staff, campaign, ordinal, now)
            case actions.Cancel():
                return await comments.cancel(session, who)
        for module in (comments, announcing):
            reply = await module.press(session, staff, who, action, now, tz)
            if reply is not None:
                return reply
        return Reply(toast=t("action.invalid"))

    # --- texts ---------------------------------------------------------------------------------

    async def _text(self, session: AsyncSession, staff: Staff, who: Who, text: str, markup: str | None,
                    now: dt.datetime) -> Reply:
        """A free text: the text we asked for (a comment, an answer, an announcement), or a
        hint of what the bot understands."""
        waiting = await pending.peek(session, who.channel, who.user_id, now)
        if waiting is not None and waiting.kind in announcing.PENDING_KINDS:
            return await announcing.text(session, staff, who, waiting, text, markup, now, self.tz)
        if waiting is not None and waiting.kind in comments.KINDS:
            return await comments.text(session, staff, who, waiting, text, now)
        return Reply().say(help_text(who))

    # --- "Đã đọc", many at once ----------------------------------------------------------------

    async def _confirm_many(self, session: AsyncSession, items: list[_Ack]) -> list[Reply]:
        """Each press from any account, in one transaction: a reply for each, in order
        (strangers hear what strangers hear; a redelivered press, nothing)."""
        now = self.clock.now()
        keyed = [item for item in items if item.key is not None]
        fresh = iter(await updates.first_times(
            session, [(item.press.who.channel, item.key) for item in keyed if item.key is not None], now
        )) if keyed else iter(())
        handled = [item.key is None or next(fresh) for item in items]
        presses = [item.press for item, new in zip(items, handled, strict=True) if new]
        replies = iter(await self._confirm_presses(session, presses, now)) if presses else iter(())
        return [next(replies) if new else Reply() for new in handled]

    async def _confirm_presses(self, session: AsyncSession, presses: list[reading.Press], now: dt.datetime) -> list[Reply]:
        people: dict[tuple[Channel, str], Staff] = {}
        for channel in {p.who.channel for p in presses}:
            ids = [p.who.user_id for p in presses if p.who.channel is channel]
            found = await registration.identify_and_touch_many(session, channel, ids, now)
            people.update(((channel, user_id), staff) for user_id, staff in found.items())
        members = [(p, people.get((p.who.channel, p.who.user_id))) for p in presses]
        acks = [
            reading_service.MemberPress(staff.id, p.campaign_id, p.ordinal, p.who.channel)
            for p, staff in members if staff is not None
        ]
        results = iter(await reading_service.confirm_sections(session, acks, now))
        replies: list[Reply] = []
        for press, staff in members:
            if staff is None:
                replies.append(self._stranger(press.who, toast=True))
                continue
            replies.append(reading.confirmed(next(results), press.campaign_id, press.ordinal, now, self.tz))
        return replies


def help_text(who: Who) -> str:
    return t("help.commands") if who.channel is Channel.TELEGRAM else t("zalo.help")
