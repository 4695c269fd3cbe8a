"""`congkhai run` as a new user meets it: a port in use, a database that can't be opened and a
wrong token each give one Vietnamese line and exit code 1, with no traceback and no hang; and
SIGTERM ends the process within seconds, also while polling keeps failing."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.sandbox.telegram import DEFAULT_TOKEN
from tests.e2e.test_run_embedded import free_port


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGKHAI_")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "run", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def _one_clear_line(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    log = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (INFO|WARNING) ")  # the bot's log lines
    lines = [line for line in done.stderr.splitlines() if line.strip() and not log.match(line)]
    assert len(lines) == 1 and words in lines[0], done.stderr


def _sandbox(port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-m", "bot.sandbox", "--port", str(port)], env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the sandbox did not start")


def test_a_web_port_in_use_is_said_plainly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run(tmp_path, _env(CONGKHAI_WEB_PORT=str(port)), "--sandbox-port", str(free_port()))
    _one_clear_line(done, f"Không mở được cổng web 127.0.0.1:{port}")
    assert "CONGKHAI_WEB_PORT" in done.stderr


def test_a_database_that_cannot_be_opened_is_said_plainly(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'congkhai.db'}"
    done = _run(tmp_path, _env(CONGKHAI_DATABASE_URL=url, CONGKHAI_WEB_PORT=str(free_port())),
                "--sandbox-port", str(free_port()))
    _one_clear_line(done, "Không mở được cơ sở dữ liệu")


def test_a_wrong_token_is_said_plainly(tmp_path: Path) -> None:
    port = free_port()
    sandbox = _sandbox(port)
    try:
        done = _run(tmp_path, _env(CONGKHAI_TELEGRAM_TOKEN="123456:wrong-token-xyz",
                                   CONGKHAI_TELEGRAM_API_BASE=f"http://127.0.0.1:{port}/bot",
                                   CONGKHAI_WEB_PORT=str(free_port())))
    finally:
        sandbox.kill()
        sandbox.wait()
    _one_clear_line(done, "không nhận mã bot")
    assert "wrong-token-xyz" not in done.stdout + done.stderr


@pytest.mark.parametrize("telegram", ["gone", "silent"])
def test_sigterm_ends_the_bot_within_seconds_while_polling_fails(tmp_path: Path, telegram: str) -> None:
    """Telegram goes away (connections refused) or falls silent (connections hang): either way
    SIGTERM ends the bot cleanly within seconds, without the forced exit."""
    port = free_port()
    sandbox = _sandbox(port)
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=_env(CONGKHAI_TELEGRAM_TOKEN=DEFAULT_TOKEN, CONGKHAI_TELEGRAM_API_BASE=f"http://127.0.0.1:{port}/bot",
                 CONGKHAI_WEB_PORT=str(free_port())),
    )
    try:
        assert bot.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Ctrl-C" not in (bot.stdout.readline() or "Ctrl-C"):
            pass
        if telegram == "gone":
            sandbox.kill()  # every getUpdates is refused now
            sandbox.wait()
        else:
            sandbox.send_signal(signal.SIGSTOP)  # the server is there and answers nothing
        time.sleep(3)
        asked = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        output, _ = bot.communicate(timeout=30)
        took = time.monotonic() - asked
    finally:
        if bot.poll() is None:
            bot.kill()
        if sandbox.poll() is None:
            sandbox.kill()
            sandbox.wait()
    assert took < 8, (took, output)
    assert "Đã dừng." in output and "dừng ngay" not in output, output
    assert bot.returncode == 0, output


def test_sigterm_during_a_start_that_hangs_ends_the_process(tmp_path: Path) -> None:
    """Telegram's address answers nothing (connections accepted, never a byte back): the start
    hangs on getMe, and SIGTERM still ends the process within seconds."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=tmp_path, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=_env(CONGKHAI_TELEGRAM_TOKEN=DEFAULT_TOKEN, CONGKHAI_TELEGRAM_API_BASE=f"http://127.0.0.1:{port}/bot",
                     CONGKHAI_WEB_PORT=str(free_port())),
        )
        try:
            silent.settimeout(60)
            connection, _ = silent.accept()  # the bot is asking getMe, and no answer will come
            assert bot.poll() is None
            asked = time.monotonic()
            bot.send_signal(signal.SIGTERM)
            output, _ = bot.communicate(timeout=30)
            took = time.monotonic() - asked
            connection.close()
        finally:
            if bot.poll() is None:
                bot.kill()
    assert took < 12, (took, output)
    assert "Traceback" not in output, output
    assert bot.returncode == 0, output
    assert output.rstrip().endswith("Đã dừng."), output
