"""Shared pieces of the benchmark scripts: timing, peak memory, Markdown tables."""

from __future__ import annotations

import multiprocessing as mp
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


def _child(fn, queue):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((before, after))


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Growth of peak resident memory (MiB) while a forked subprocess runs ``fn``."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, queue))
    proc.start()
    before, after = queue.get()
    proc.join()
    return (after - before) / 1024.0


def markdown_table(rows: list[dict]) -> str:
    """Rows of equal keys as a Markdown table (floats to 4 significant digits)."""
    if not rows:
        return ""
    keys = list(rows[0])
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    lines += ["| " + " | ".join(fmt(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)
