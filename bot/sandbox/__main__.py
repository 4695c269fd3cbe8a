"""Run the sandbox on its own: ``python -m bot.sandbox --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.sandbox.server import Sandbox
from bot.sandbox.telegram import DEFAULT_TOKEN


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox",
        description="A local Telegram Bot API server with virtual users and fault knobs.",
        epilog="Example: python -m bot.sandbox --port 8081 --latency-ms 50 --user 1001:Lan --user 1002:Minh",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bot token the server accepts")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--no-rate-limits", action="store_true", help="never answer 429")
    parser.add_argument("--overall-rate", type=float, default=30.0, help="messages/s across all chats")
    parser.add_argument("--overall-burst", type=float, default=None,
                        help="messages at once across all chats (default: a second's worth of --overall-rate)")
    parser.add_argument("--per-chat-rate", type=float, default=1.0, help="messages/s in one chat")
    parser.add_argument("--server-error-rate", type=float, default=0.0, help="fraction of calls answered 502")
    parser.add_argument("--timeout-rate", type=float, default=0.0, help="fraction of calls held until the client gives up")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID:NAME[:PHONE]",
        help="create a virtual user who has already pressed Start (repeatable)",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    sandbox = Sandbox(
        args.token,
        latency_ms=args.latency_ms,
        rate_limits=not args.no_rate_limits,
        overall_rate=args.overall_rate,
        per_chat_rate=args.per_chat_rate,
        server_error_rate=args.server_error_rate,
        timeout_rate=args.timeout_rate,
        seed=args.seed,
    )
    await sandbox.start(args.host, args.port)
    await sandbox.configure(overall_burst=args.overall_burst if args.overall_burst is not None else args.overall_rate)
    for spec in args.user:
        user_id, _, rest = spec.partition(":")
        name, _, phone = rest.partition(":")
        await sandbox.create_user(int(user_id), name or f"User {user_id}", phone_number=phone or None, started=True)
    print(f"Sandbox listening on {sandbox.url}")
    print(f"  Telegram base_url: {sandbox.telegram_base_url()}  (token {sandbox.token})")
    print(f"  Control API:       {sandbox.url}/_sandbox/")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()


def main(argv: list[str] | None = None) -> None:
    from bot.runtime import run_event_loop

    run_event_loop(_serve(_parser().parse_args(argv)))


if __name__ == "__main__":
    main()
