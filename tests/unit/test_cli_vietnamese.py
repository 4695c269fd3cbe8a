"""The clerk's command line speaks Vietnamese only: click's own words included, in every
command's help and in its errors."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from bot.cli import main

ENGLISH = re.compile(
    r"Usage:|Options:|Commands:|Show this message|\[required\]|default:|Error:|Missing|Invalid value|"
    r"\bTEXT\b|\bINTEGER\b|\bFLOAT\b|\bBOOLEAN\b|\bFILE\b|\bPATH\b|\bDIRECTORY\b|\[OPTIONS\]|COMMAND \[ARGS\]|"
    r"is not a valid|does not exist|No such"
)


def _paths(command: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _paths(sub, (*prefix, name))
    return found


def test_every_help_page_is_vietnamese() -> None:
    runner = CliRunner()
    paths = _paths(main)
    assert len(paths) > 20
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Cách dùng: congkhai" in result.output or "Cách dùng: main" in result.output
        assert "Hiện hướng dẫn này rồi thoát." in result.output
        assert not ENGLISH.search(result.output), (path, ENGLISH.search(result.output), result.output)


def test_click_errors_are_vietnamese() -> None:
    runner = CliRunner()
    cases = [
        (["report", "1"], "Thiếu tùy chọn '-o' / '--output'"),
        (["staff", "invites", "--format", "x", "-o", "a.xlsx"], "không phải một trong"),
        (["simulate", "--staff", "abc"], "không phải số hợp lệ"),
        (["simulate", "--staff", "0"], "nằm ngoài khoảng"),
        (["campaign", "plan"], "Thiếu tham số 'MÃ_ĐỢT'"),
        (["nosuch"], "Không có lệnh 'nosuch'"),
        (["doc", "list", "--bogus"], "Không có tùy chọn '--bogus'"),
        (["announce", "send", "--file", "/no/such/file.md"], "Không tìm thấy"),
    ]
    for args, words in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output, (args, result.output)
        assert "Lỗi:" in result.output
        assert "Xem hướng dẫn: congkhai" in result.output or "Xem hướng dẫn: main" in result.output
        assert not ENGLISH.search(result.output), (args, result.output)
