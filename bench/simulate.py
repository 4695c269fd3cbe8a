"""Wall time of a whole simulated campaign, by audience size, with the CPU of each side:
the bot's process (``cpu_seconds``) and the child that runs the sandbox and the virtual
staff (``staff_cpu_seconds``).

    python bench/simulate.py 50 100 200
"""

from __future__ import annotations

import json
import resource
import sys
import time

from bot.simulate import simulate


def main(sizes: list[int]) -> None:
    for staff in sizes:
        began = time.perf_counter()
        cpu = time.process_time()
        children = _children_cpu()
        result = simulate(staff, seed=1)
        figures = result.as_dict()
        figures["wall_seconds"] = round(time.perf_counter() - began, 2)
        figures["cpu_seconds"] = round(time.process_time() - cpu, 2)
        figures["staff_cpu_seconds"] = round(_children_cpu() - children, 2)
        figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(figures, ensure_ascii=False), flush=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 100, 200])
