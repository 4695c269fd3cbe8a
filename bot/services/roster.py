"""Use cases over the staff roster: import (all or nothing), list, invites."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.engine import deployment_key_of
from bot.db.models import ChannelIdentity, Department, Staff
from bot.domain import invite
from bot.domain.roster import Problem, RosterParse, RosterRow, display_phone
from bot.domain.texts import t
from bot.services import audit


class RosterRejected(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    deactivated: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return t(
            "roster.summary",
            created=len(self.created),
            updated=len(self.updated),
            unchanged=len(self.unchanged),
            deactivated=len(self.deactivated),
        )


async def import_roster(
    session: AsyncSession,
    parsed: RosterParse,
    now: dt.datetime,
    *,
    sync: bool = False,
    actor: str = "cli",
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create or update everyone in ``parsed``; with ``sync``, deactivate those missing.
    ``progress`` is told how many rows are done, every 100 rows and at the end.

    People are matched by phone. Raises ``RosterRejected`` (and writes nothing) when
    the file or the comparison with the database finds any problem.
    """
    problems = list(parsed.problems)
    people = await session.scalars(select(Staff).options(selectinload(Staff.department)))
    existing = {s.phone: s for s in people.all() if s.phone}
    problems += _phone_changes(parsed.rows, existing)
    problems += _conflicts_with_database(parsed.rows, existing)
    if problems:
        raise RosterRejected(sorted(problems, key=lambda p: (p.row or 0, p.field or "")))

    departments = {d.name: d for d in (await session.scalars(select(Department))).all()}
    result = ImportResult()
    for done, row in enumerate(parsed.rows, start=1):
        if progress is not None and done % 100 == 0:
            progress(done)
        department = departments.get(row.department)
        if department is None:
            department = departments[row.department] = Department(name=row.department)
            session.add(department)
        person = existing.get(row.phone)
        if person is None:
            person = _new_staff(row, department, now, deployment_key_of(session))
            session.add(person)
            await session.flush()
            result.created.append(person.id)
        elif _apply(person, row, department, now):
            result.updated.append(person.id)
        else:
            result.unchanged.append(person.id)
    if progress is not None:
        progress(len(parsed.rows))
    if sync:
        listed = {row.phone for row in parsed.rows}
        for phone, person in existing.items():
            if phone not in listed and person.active:
                person.active = False
                person.updated_at = now
                result.deactivated.append(person.id)
    await session.flush()
    audit.record(
        session,
        now,
        actor,
        "roster.import",
        source=source,
        created=len(result.created),
        updated=len(result.updated),
        deactivated=len(result.deactivated),
    )
    return result


def _phone_changes(rows: list[RosterRow], existing: dict[str, Staff]) -> list[Problem]:
    """Rows with a "Số điện thoại cũ": the person is found by the old number and keeps
    their account under the new one (``existing`` is re-keyed in place)."""
    problems: list[Problem] = []
    for row in rows:
        if row.old_phone is None:
            continue
        person = existing.get(row.old_phone)
        if person is None:
            problems.append(Problem(row.row, "old_phone", t("roster.old_phone_unknown", value=display_phone(row.old_phone))))
        elif row.phone in existing and existing[row.phone] is not person:
            owner = existing[row.phone]
            problems.append(Problem(row.row, "phone", t("roster.phone_taken", name=owner.full_name)))
        else:
            del existing[row.old_phone]
            person.phone = row.phone
            existing[row.phone] = person
    return problems


def _conflicts_with_database(rows: list[RosterRow], existing: dict[str, Staff]) -> list[Problem]:
    """Rows that would duplicate someone already in the database under another phone."""
    problems: list[Problem] = []
    by_email = {s.email.casefold(): s for s in existing.values() if s.email}
    by_name = {
        (s.full_name.casefold(), s.department.name if s.department else ""): s
        for s in existing.values()
        if s.active
    }
    for row in rows:
        if row.email:
            owner = by_email.get(row.email.casefold())
            if owner is not None and owner.phone != row.phone:
                problems.append(
                    Problem(
                        row.row,
                        "email",
                        t("roster.duplicate_email_db", name=owner.full_name, phone=display_phone(owner.phone or "")),
                    )
                )
        same = by_name.get((row.full_name.casefold(), row.department))
        if same is not None and same.phone != row.phone and row.phone not in existing:
            problems.append(
                Problem(
                    row.row,
                    "phone",
                    t(
                        "roster.duplicate_person_db",
                        name=same.full_name,
                        department=row.department,
                        phone=display_phone(same.phone or ""),
                    ),
                )
            )
    return problems


def _new_staff(row: RosterRow, department: Department, now: dt.datetime, key: bytes | None) -> Staff:
    person = Staff(
        full_name=row.full_name,
        department=department,
        position=row.position,
        phone=row.phone,
        email=row.email,
        active=True,
        invite_code_hash=invite.hash_code(invite.new_code(), key),
        created_at=now,
        updated_at=now,
    )
    person.role_set = row.roles
    return person


def _apply(person: Staff, row: RosterRow, department: Department, now: dt.datetime) -> bool:
    """Bring ``person`` in line with ``row``; True when anything changed."""
    before = (person.full_name, person.department_id, person.position, person.email, person.roles, person.active)
    person.full_name = row.full_name
    person.department = department
    person.position = row.position
    person.email = row.email
    person.role_set = row.roles
    person.active = True
    after = (person.full_name, department.id, person.position, person.email, person.roles, person.active)
    if before != after:
        person.updated_at = now
        return True
    return False


async def list_staff(session: AsyncSession, *, include_inactive: bool = False) -> list[Staff]:
    query = (
        select(Staff)
        .options(selectinload(Staff.department), selectinload(Staff.identities))
        .order_by(Staff.id)
    )
    if not include_inactive:
        query = query.where(Staff.active.is_(True))
    return list((await session.scalars(query)).all())


@dataclass(frozen=True)
class Invite:
    staff: Staff
    code: str


async def issue_invites(
    session: AsyncSession, now: dt.datetime, *, include_linked: bool = False, actor: str = "cli"
) -> list[Invite]:
    """Give a fresh code to every active person not yet linked (codes are stored
    hashed, so printing them again means issuing new ones; the old ones stop working)."""
    people = await list_staff(session)
    invites: list[Invite] = []
    for person in people:
        if person.identities and not include_linked:
            continue
        code = invite.new_code()
        person.invite_code_hash = invite.hash_code(code, deployment_key_of(session))
        person.invite_used_at = None
        invites.append(Invite(person, code))
    audit.record(session, now, actor, "invites.issue", count=len(invites))
    await session.flush()
    return invites


async def find_by_invite(session: AsyncSession, raw_code: str) -> Staff | None:
    if not invite.looks_like_code(raw_code):
        return None
    return await session.scalar(
        select(Staff).where(
            Staff.invite_code_hash.in_(invite.code_hashes(raw_code, deployment_key_of(session))), Staff.active.is_(True)
        )
    )


async def identities_of(session: AsyncSession, staff_id: int) -> list[ChannelIdentity]:
    return list((await session.scalars(select(ChannelIdentity).where(ChannelIdentity.staff_id == staff_id))).all())
