"""`congkhai run` as the clerk starts it, against the sandbox in its own process: a refused token
is named in one line, and the webhook mode works with Zalo alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.zalo import DEFAULT_ZALO_TOKEN
from tests.e2e.test_run_embedded import call, free_port


@pytest.fixture
def sandbox_port(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox", "--port", str(port), "--no-rate-limits"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                call(f"http://127.0.0.1:{port}/_sandbox/health")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGKHAI_")}
    env.update(PYTHONUNBUFFERED="1", **values)
    return env


def test_run_names_each_refused_token_in_one_line_and_exits(tmp_path: Path, sandbox_port: int) -> None:
    env = clean_env(
        CONGKHAI_TELEGRAM_TOKEN="123456:revoked-token",
        CONGKHAI_TELEGRAM_API_BASE=f"http://127.0.0.1:{sandbox_port}/bot",
        CONGKHAI_ZALO_TOKEN="987654:wrong-zalo-token",
        CONGKHAI_ZALO_API_BASE=f"http://127.0.0.1:{sandbox_port}/zalo/bot",
        CONGKHAI_WEB_PORT=str(free_port()),
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip() and " INFO " not in line]
    assert lines == [(
        "Telegram và Zalo không nhận mã bot (token): kiểm tra lại CONGKHAI_TELEGRAM_TOKEN và "
        "CONGKHAI_ZALO_TOKEN rồi chạy lại."
    )], done.stderr
    assert "revoked-token" not in done.stderr + done.stdout and "wrong-zalo" not in done.stderr + done.stdout


def test_run_webhook_with_only_a_zalo_token(tmp_path: Path, sandbox_port: int) -> None:
    web_port = free_port()
    env = clean_env(
        CONGKHAI_ZALO_TOKEN=DEFAULT_ZALO_TOKEN,
        CONGKHAI_ZALO_API_BASE=f"http://127.0.0.1:{sandbox_port}/zalo/bot",
        CONGKHAI_WEBHOOK_URL=f"http://127.0.0.1:{web_port}",
        CONGKHAI_WEBHOOK_SECRET="webhook-secret-for-tests",
        CONGKHAI_WEB_PORT=str(web_port),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--webhook"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        assert "webhook" in "".join(lines), "".join(lines)
        base = f"http://127.0.0.1:{sandbox_port}/_sandbox"
        user = call(f"{base}/users", {"first_name": "Hoa", "channel": "zalo"})["result"]
        user_id = user["id"]  # type: ignore[index]
        call(f"{base}/users/{user_id}/messages", {"text": "xin chào"})
        chat = call(f"{base}/users/{user_id}/chat?min_count=1&timeout=15")["result"]
        assert chat, "the bot never answered through the Zalo webhook"
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
