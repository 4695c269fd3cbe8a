"""The README's first command: `congkhai run` with no token starts on the embedded
default (SQLite, the sample content, the sandbox), talks to a virtual user, and
stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST" if data else "GET"), timeout=10) as response:
        return json.loads(response.read())


def test_run_without_token_uses_the_sandbox_and_stops_cleanly(tmp_path: Path) -> None:
    sandbox_port, web_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGKHAI_")}
    env.update(CONGKHAI_WEB_PORT=str(web_port), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--sandbox-port", str(sandbox_port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "chạy thử" in output, output
        code = re.search(r"Mã thử cho (.+): ([A-Z0-9]{8})", output)
        assert code is not None, output
        base = f"http://127.0.0.1:{sandbox_port}/_sandbox"
        call(f"{base}/users", {"id": 4242, "first_name": "Khôi"})
        call(f"{base}/users/4242/messages", {"text": f"/start {code.group(2)}"})
        chat = call(f"{base}/users/4242/chat?min_count=2&timeout=15")["result"]
        texts = " ".join(m["text"] for m in chat)  # type: ignore[index]
        assert f"Chào {code.group(1)}" in texts
        assert "Đang công khai" in texts
        assert (tmp_path / "congkhai.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "Đã dừng." in rest


def test_run_with_an_unreachable_telegram_says_why_and_exits(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGKHAI_")}
    env.update(
        CONGKHAI_TELEGRAM_TOKEN="123456:not-a-real-token",
        CONGKHAI_TELEGRAM_API_BASE=f"http://127.0.0.1:{free_port()}/bot",  # nothing listens there
        CONGKHAI_WEB_PORT=str(free_port()),
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Không khởi động được bot" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "not-a-real-token" not in done.stderr + done.stdout
