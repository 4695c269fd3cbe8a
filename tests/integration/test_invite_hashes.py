"""Invite codes in a copy of the database: with the deployment's key (SECRET_KEY) a code is
stored as a keyed hash that the copy alone cannot reverse by trying every code, and the
bot, the command line and a restart all agree on it."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.engine import create_engine, session_factory
from bot.db.models import ChannelIdentity, Staff
from bot.domain import invite
from bot.settings import load_settings
from tests.cli_helpers import congkhai
from tests.integration.harness import ROSTER, local, running_bot

MONDAY = dt.date(2026, 11, 23)
KEY = "một khóa bí mật đủ dài cho cả cơ quan"


def _plain(code: str) -> str:
    return hashlib.sha256(invite.normalise_code(code).encode()).hexdigest()


def test_a_keyed_hash_is_not_the_plain_one_and_both_forms_are_looked_up() -> None:
    key = load_settings(secret_key=KEY).deployment_key()
    assert key is not None
    code = "K7QM4XRT"
    keyed = invite.hash_code(code, key)
    assert keyed.startswith(invite.KEYED) and len(keyed) == 64 and keyed != _plain(code)
    assert invite.hash_code("k7qm-4xrt", key) == keyed  # folded the same way as before
    assert invite.hash_code(code, b"another key") != keyed
    assert invite.code_hashes(code, key) == [keyed, _plain(code)]
    assert invite.code_hashes(code) == [_plain(code)]
    assert load_settings().deployment_key() is None


async def _hashes(db_url: str) -> dict[str, str | None]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return {name: code for name, code in await session.execute(select(Staff.full_name, Staff.invite_code_hash))}
    finally:
        await engine.dispose()


async def test_with_a_key_codes_are_stored_keyed_and_still_link(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONGKHAI_SECRET_KEY", KEY)
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await bot.open_campaign(MONDAY, ROSTER)
        stored = await _hashes(db_url)
        for name, code in bot.codes.items():
            assert stored[name] == invite.hash_code(code, load_settings().deployment_key())
            assert stored[name] != _plain(code)  # a copy of the file alone cannot try all 29^8 codes
        name = next(iter(bot.codes))
        # a code issued before the key was set (a plain hash) is still accepted
        other = list(bot.codes)[1]
        old_code = invite.new_code()
        async with bot.sessions() as session, session.begin():
            person = await session.scalar(select(Staff).where(Staff.full_name == other))
            person.invite_code_hash = _plain(old_code)
        bot.codes[other] = old_code
        for who in (name, other):
            await bot.register(who)
        async with bot.sessions() as session:
            linked = {row for row in (await session.scalars(select(ChannelIdentity.staff_id))).all()}
        assert {await bot.staff_id(name), await bot.staff_id(other)} <= linked


def test_codes_the_command_line_issues_are_stored_keyed(db_url: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONGKHAI_SECRET_KEY", KEY)
    monkeypatch.setenv("CONGKHAI_BOT_USERNAME", "cq_test_bot")
    roster = tmp_path / "a.csv"
    roster.write_text("\n".join(",".join(row) for row in ROSTER), encoding="utf-8")
    assert congkhai(db_url, "staff", "import", str(roster)).exit_code == 0
    out = tmp_path / "ma.csv"
    result = congkhai(db_url, "staff", "invites", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    first = out.read_text(encoding="utf-8-sig").splitlines()[1].split(",")
    name, code = first[1], invite.normalise_code(next(c for c in first if invite.looks_like_code(c)))
    stored = asyncio.run(_hashes(db_url))
    assert stored[name] == invite.hash_code(code, load_settings().deployment_key()) != _plain(code)
