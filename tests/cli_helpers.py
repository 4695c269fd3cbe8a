"""Running the real command line in-process, against a test database."""

from __future__ import annotations

from click.testing import CliRunner, Result

from bot.cli import main


def congkhai(db_url: str, *args: str) -> Result:
    runner = CliRunner()
    return runner.invoke(main, ["--database-url", db_url, *args], catch_exceptions=False)
