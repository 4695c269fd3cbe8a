"""Hostile input, counted: the fuzz properties of tests/fuzz run with many more examples.

Targets: the webhook of each messenger over real HTTP against the real aiohttp app (any JSON,
malformed bytes, huge, deep, wrong content type or secret), callback data, the typed-command
parser, the roster importer (tables and files) and the document importer. Prints JSON: per
target the inputs tried, crashes (an exception the code let out), 5xx answers, wrong answers
(no crash, but not what the property demands), seconds, and for the webhooks the statuses.

    python bench/fuzz.py --examples 5000
    python bench/fuzz.py --examples 200 --only telegram_webhook zalo_webhook
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from bot.db.migrate import upgrade  # noqa: E402
from tests.fuzz import properties as p  # noqa: E402
from tests.fuzz.server import WebhookServer  # noqa: E402

PARSERS: dict[str, tuple[st.SearchStrategy[Any], Any, float]] = {
    # name: (inputs, check, share of --examples: the file readers are slower)
    "callback_data": (p.callback_data, p.check_callback_data, 1.0),
    "text_commands": (p.command_texts, p.check_command, 1.0),
    "roster_tables": (p.roster_tables, p.check_roster_table, 1.0),
    "roster_files": (p.roster_files, p.check_roster_file, 1.0),
    "document_files": (p.document_files, p.check_document, 1.0),
}
WEBHOOKS = ("telegram_webhook", "zalo_webhook")


def run(strategy: st.SearchStrategy[Any], tally: p.Tally, check: Any, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False, suppress_health_check=list(HealthCheck))
    @given(value=strategy)
    def property_(value: Any) -> None:
        tally.record(check, value)  # counted, never raised: the run goes on past a failure

    property_()


def fuzz_webhook(channel: str, examples: int, folder: Path) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{folder / f'{channel}.db'}"
    upgrade(url)
    tally = p.Tally()
    started = time.perf_counter()
    with WebhookServer(url) as server:
        check = p.WebhookCheck(server, channel)
        for data in p.SPECIAL_BODIES:
            tally.record(check, p.Body("not_update", data))
        templates = p.telegram_templates if channel == "telegram" else p.zalo_templates
        run(p.bodies(templates), tally, check, examples)
    return {**tally.as_json(), "seconds": round(time.perf_counter() - started, 1),
            "statuses": {str(k): v for k, v in sorted(check.statuses.items())}}


def main() -> None:
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # a line on stderr for each broken PDF it is fed
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="hypothesis examples per target")
    parser.add_argument("--only", nargs="*", choices=[*WEBHOOKS, *PARSERS], help="run these targets only")
    args = parser.parse_args()
    targets = args.only or [*WEBHOOKS, *PARSERS]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in targets:
            if name in WEBHOOKS:
                results[name] = fuzz_webhook(name.removesuffix("_webhook"), args.examples, Path(folder))
                continue
            strategy, check, share = PARSERS[name]
            tally = p.Tally()
            started = time.perf_counter()
            run(strategy, tally, check, max(1, int(args.examples * share)))
            results[name] = {**tally.as_json(), "seconds": round(time.perf_counter() - started, 1)}
            print(json.dumps({name: results[name]}, ensure_ascii=False), file=sys.stderr)
    total = {key: sum(r[key] for r in results.values()) for key in ("tried", "crashes", "server_errors", "wrong")}
    print(json.dumps({"examples_per_target": args.examples, "targets": results, "total": total}, ensure_ascii=False,
                     indent=2))


if __name__ == "__main__":
    main()
