"""`congkhai simulate` runs a whole campaign from any working directory and the
sandbox's own record agrees with the bot: nothing lost, nothing twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_simulate_from_another_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGKHAI_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--staff", "12", "--seed", "3", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result) == {
        "staff", "sections", "bot_sent", "sandbox_received", "duplicates", "lost", "confirmed",
        "unreachable", "feedback", "reminders", "seconds",
    }
    assert result["staff"] == 12 and result["sections"] == 41
    assert result["bot_sent"] == result["sandbox_received"] > 12 * 41 * 0.5
    assert result["duplicates"] == 0 and result["lost"] == 0
    assert 0 < result["confirmed"] <= 12
    assert result["reminders"] > 0  # slow readers were reminded, and reacted
    assert list(tmp_path.iterdir()) == []  # it leaves nothing behind
