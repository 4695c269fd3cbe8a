"""`congkhai simulate` runs a whole campaign from any working directory, on each messenger,
and the sandbox's own record agrees with the bot: nothing lost, nothing twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KEYS = {
    "staff", "sections", "bot_sent", "sandbox_received", "duplicates", "lost", "confirmed",
    "unreachable", "feedback", "answered", "reminders", "seconds",
}


@pytest.mark.parametrize("channel", ["telegram", "zalo", "mixed"])
def test_simulate_from_another_directory(tmp_path: Path, channel: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGKHAI_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--staff", "10", "--seed", "1", "--channel", channel, "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result) == KEYS
    assert result["staff"] == 10 and result["sections"] == 40
    assert result["bot_sent"] == result["sandbox_received"] > 10 * 40 * 0.5
    assert result["duplicates"] == 0 and result["lost"] == 0
    assert 0 < result["confirmed"] <= 10
    assert result["reminders"] > 0  # slow readers were reminded, and reacted
    if channel != "mixed":
        assert result["feedback"] > 0  # seed 1 has a commenter on a single messenger
    assert result["answered"] == result["feedback"]  # the leader answered every comment at 16:00
    assert list(tmp_path.iterdir()) == []  # it leaves nothing behind
