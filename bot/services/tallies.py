"""Each member's progress in a campaign, kept on their ``campaign_member`` row: sections sent,
sections confirmed (in all, on Telegram, on Zalo), the attestation, the latest confirmation.

The rows they count are the truth (``delivery`` of kind section in status sent, ``ack``); the
figures here are kept in the same transactions that change those rows, as increments of what
was really new (an acknowledgment the unique constraint let in, a delivery that was not sent
before), so that two processes recording at once add up instead of overwriting each other. The
reports then read one row per person (``counts``, ``report_data``) instead of every delivery and
acknowledgment of the campaign. Migration 0009 computed them once from the rows; a test drives a
conversation and compares them with the rows.

The rows never move the other way: a sent delivery stays sent, and no acknowledgment is ever
deleted (erasing a person's data keeps them, so that the counts stay as they were).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, case, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CampaignMember
from bot.domain.enums import ATTESTATION_ITEM, Channel

_table = CampaignMember.__table__
_member = _table.c
_SENT = (
    update(_table)
    .where(_member.campaign_id == bindparam("c"), _member.staff_id == bindparam("s"))
    .values(sections_sent=_member.sections_sent + bindparam("n"))
)
_at = bindparam("at", type_=_member.last_confirmed_at.type)
_CONFIRMED = (
    update(_table)
    .where(_member.campaign_id == bindparam("c"), _member.staff_id == bindparam("s"))
    .values(
        sections_confirmed=_member.sections_confirmed + bindparam("n"),
        confirmed_telegram=_member.confirmed_telegram + bindparam("telegram"),
        confirmed_zalo=_member.confirmed_zalo + bindparam("zalo"),
        attested_at=func.coalesce(_member.attested_at, bindparam("attested_at", type_=_member.attested_at.type)),
        last_confirmed_at=case(
            (_member.last_confirmed_at.is_(None) | (_member.last_confirmed_at < _at), _at),
            else_=_member.last_confirmed_at,
        ),
    )
)


async def add_sent(session: AsyncSession, changes: Mapping[tuple[int, int], int]) -> None:
    """Section deliveries that became sent in this transaction: how many, by (campaign,
    person); a negative number for rows that stopped being sent."""
    if changes:
        # in a fixed order, so that two transactions lock the same members in the same order
        await session.execute(_SENT,
                              [{"c": c, "s": s, "n": n} for (c, s), n in sorted(changes.items())])


async def add_confirmations(session: AsyncSession, acks: Iterable[Mapping[str, Any]]) -> None:
    """Acknowledgments just inserted (each a mapping with campaign_id, staff_id, item, at, via)."""
    people: dict[tuple[int, int], dict[str, Any]] = {}
    for ack in acks:
        key = (int(ack["campaign_id"]), int(ack["staff_id"]))
        row = people.setdefault(key, {"c": key[0], "s": key[1], "n": 0, "telegram": 0, "zalo": 0,
                                      "attested_at": None, "at": ack["at"]})
        at: dt.datetime = ack["at"]
        if at > row["at"]:
            row["at"] = at
        if int(ack["item"]) == ATTESTATION_ITEM:
            row["attested_at"] = at
            continue
        row["n"] += 1
        via = ack.get("via")
        if via == Channel.TELEGRAM:
            row["telegram"] += 1
        elif via == Channel.ZALO:
            row["zalo"] += 1
    if people:
        await session.execute(_CONFIRMED,
                              [people[key] for key in sorted(people)])
