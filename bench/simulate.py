"""Wall time of a whole simulated campaign, by audience size, with the CPU of each side:
the bot's process (``cpu_seconds``) and the child that runs the sandbox and the virtual
staff (``staff_cpu_seconds``), and the wall time of each step of the simulated hours:
the bot's ticks (``tick_seconds``), draining the queue (``send_seconds``) and the people
acting (``act_seconds``: reading, pressing, typing, each answered by the bot).

    python bench/simulate.py 50 100 200
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import Counter
from typing import Any

from bot import simulate as sim
from bot.runtime import Runtime

STEPS: Counter[str] = Counter()
STEPS_CPU: Counter[str] = Counter()  # the bot's own CPU within each step


def _timed(owner: Any, name: str, step: str, first: str | None = None) -> None:
    """Add the wall time of ``owner.name`` (when its first argument is ``first``) to ``STEPS[step]``."""
    original = getattr(owner, name)

    async def timed(self: Any, *args: Any) -> Any:
        began, cpu = time.perf_counter(), time.process_time()
        try:
            return await original(self, *args)
        finally:
            if first is None or (args and args[0] == first):
                STEPS[step] += time.perf_counter() - began
                STEPS_CPU[step] += time.process_time() - cpu

    setattr(owner, name, timed)


_timed(Runtime, "tick", "tick")
_timed(sim.Simulation, "_send", "send")
_timed(sim.StaffProcess, "call", "act", first="act")


def main(sizes: list[int]) -> None:
    for staff in sizes:
        STEPS.clear()
        STEPS_CPU.clear()
        began = time.perf_counter()
        cpu = time.process_time()
        children = _children_cpu()
        result = sim.simulate(staff, seed=1)
        figures = result.as_dict()
        figures["wall_seconds"] = round(time.perf_counter() - began, 2)
        figures["cpu_seconds"] = round(time.process_time() - cpu, 2)
        figures["staff_cpu_seconds"] = round(_children_cpu() - children, 2)
        figures.update({f"{step}_seconds": round(STEPS[step], 2) for step in ("tick", "send", "act")})
        figures.update({f"{step}_cpu_seconds": round(STEPS_CPU[step], 2) for step in ("tick", "send", "act")})
        figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(figures, ensure_ascii=False), flush=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 100, 200])
