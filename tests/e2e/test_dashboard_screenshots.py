"""`congkhai simulate --keep FILE` leaves the simulated campaign in a SQLite file, and
`congkhai dashboard screenshots DIR` photographs the dashboard's pages from it at a
phone's width and a desktop's, in the system's headless Chromium."""

from __future__ import annotations

import os
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from bot.web.browser import find_chromium

PAGES = {"dot-cong-khai", "thong-bao", "tong-quan", "can-bo", "gop-y"}


def _congkhai(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGKHAI_")}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.skipif(find_chromium() is None, reason="chromium and chromium-driver are not installed")
def test_simulate_keep_then_screenshots(tmp_path: Path) -> None:
    done = _congkhai(tmp_path, "simulate", "--staff", "12", "--seed", "3", "--keep", "kept.db")
    assert done.returncode == 0, done.stderr
    assert "kept.db" in done.stdout
    with sqlite3.connect(tmp_path / "kept.db") as db:
        assert db.execute("select count(*) from campaign").fetchone() == (1,)
        assert db.execute("select count(*) from staff").fetchone() == (12,)
        assert db.execute("select count(*) from ack").fetchone()[0] > 12

    again = _congkhai(tmp_path, "simulate", "--staff", "12", "--keep", "kept.db")
    assert again.returncode == 1 and "đã tồn tại" in again.stderr and "Traceback" not in again.stderr

    shots = _congkhai(tmp_path, "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}",
                      "dashboard", "screenshots", "anh")
    assert shots.returncode == 0, shots.stderr
    files = {p.name: _png_size(p) for p in (tmp_path / "anh").iterdir()}
    assert set(files) == {f"{page}-{width}.png" for page in PAGES for width in ("dien-thoai", "may-tinh")}
    for name, (width, height) in files.items():
        assert width == (390 if "dien-thoai" in name else 1280), (name, width)
        assert height >= 300
    with sqlite3.connect(tmp_path / "kept.db") as db:  # the screenshot session was ended
        assert db.execute("select count(*) from web_session where ended_at is null").fetchone() == (0,)


def test_screenshots_of_a_database_with_no_leader(tmp_path: Path) -> None:
    done = _congkhai(tmp_path, "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
                     "dashboard", "screenshots", "anh")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ("chưa có lãnh đạo" in done.stderr) or ("Chromium" in done.stderr)
