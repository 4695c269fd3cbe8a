"""The bot (``congkhai run``, its own process) killed with SIGKILL a few times during a campaign
with announcements and presses: nothing lost, every answered press stored, and after each kill
no more duplicates than the sends that were in flight at it. The long run is bench/chaos.py."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from bench.chaos import chaos


async def test_sigkill_during_a_campaign_loses_nothing(empty_db_url: str, tmp_path: Path) -> None:
    sqlite = make_url(empty_db_url).get_backend_name() == "sqlite"
    report = await chaos(people=30, kills=3, seed_value=3, database_url=None if sqlite else empty_db_url,
                         folder=str(tmp_path), sections=6, lull=(0.3, 1.2))
    assert report["kills"] == 3 and report["bot_starts"] == 4
    assert report["chunks_expected"] >= 30 * 6
    assert report["chunks_lost"] == 0 and report["rows_not_sent"] == 0
    assert report["presses_answered"] >= 10
    assert report["presses_answered_not_stored"] == 0
    assert report["duplicates_not_from_a_kill"] == 0
    for kill in report["per_kill"]:
        assert kill["duplicates"] <= kill["in_flight"], kill
    assert report["bot_log_tracebacks"] == 0
