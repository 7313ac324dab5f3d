"""Shared pieces of the benchmark scripts: timing, peak memory, Markdown tables."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeat: int = 3) -> dict:
    """Call ``fn`` once to warm up, then ``repeat`` times; wall seconds and last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return {"best": min(times), "median": statistics.median(times), "result": result}


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB).

    Read from VmHWM in /proc/self/status, which belongs to this program alone (ru_maxrss,
    the fallback off Linux, also carries the peak of a parent this process was forked
    from). To measure one workload, run it in a fresh interpreter (``subprocess`` with
    ``sys.executable``, never ``fork`` once torch's thread pool is running) and subtract
    the reading taken just before it.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def markdown_table(rows: list[dict]) -> str:
    """Rows of equal keys as a Markdown table (floats to 4 significant digits)."""
    if not rows:
        return ""
    keys = list(rows[0])
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    lines += ["| " + " | ".join(fmt(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)
