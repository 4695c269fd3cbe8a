"""What a process loads to start: ``congkhai run`` goes through the whole command line, and the
report file libraries (openpyxl and the numpy it loads, matplotlib, fpdf, segno) are tens of
megabytes that only making a file needs. Each check runs in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

FILE_LIBRARIES = ("openpyxl", "numpy", "matplotlib", "fpdf", "segno")


@pytest.mark.parametrize("module", ["bot.cli", "bot.runtime", "bot.simulate"])
def test_starting_loads_no_file_library(module: str) -> None:
    probe = (
        f"import sys, {module}\n"
        f"print(' '.join(m for m in {FILE_LIBRARIES!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
