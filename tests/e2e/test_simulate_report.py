"""A simulated campaign kept in a file gives a report with the simulated bot's continuity: the
window covered by heartbeat marks, no gap, every member counted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docx
from openpyxl import load_workbook


def _congkhai(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGKHAI_")}
    env["CONGKHAI_DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd / 'kept.db'}"
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def test_report_of_a_kept_simulation(tmp_path: Path) -> None:
    done = _congkhai(tmp_path, "simulate", "--staff", "12", "--seed", "5", "--keep", "kept.db")
    assert done.returncode == 0, done.stderr
    report = _congkhai(tmp_path, "report", "1", "-o", "r.docx")
    assert report.returncode == 0, report.stderr
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "r.docx")).paragraphs)
    assert "Không có khoảng gián đoạn nào dài hơn 15 phút." in text
    assert "(100,0%)" in text
    assert _congkhai(tmp_path, "report", "1", "-o", "r.xlsx").returncode == 0
    members = list(load_workbook(tmp_path / "r.xlsx")["Cán bộ"].iter_rows(min_row=2, values_only=True))
    assert len(members) == 12
    assert sum(1 for row in members if row[6]) >= 6  # most simulated people confirm sections
