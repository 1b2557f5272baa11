"""Mutation fuzzing of every reader at scale: >= 10,000 cases, crash kinds and slowest cases.

Run: .venv/bin/python bench/bench_fuzz.py [N] [--max-run R]   (writes bench/results/fuzz.json)

The cases are tests/fuzz.py's (fixed seed; the CI test runs a smaller budget of the same
generator). Each case runs in a worker process with a limit of TIMEOUT_S seconds of CPU time (wall
time means little on a shared machine): a case that passes it is a "timeout", the worker is replaced and fuzzing goes on. ``--max-run`` lets
runs of one byte (whitespace...) grow long enough to expose super-linear regexes.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fuzz import cases, run_case  # noqa: E402

TIMEOUT_S = 10.0


def _worker(conn) -> None:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    while True:
        msg = conn.recv()
        if msg is None:
            return
        i, name, data = msg
        conn.send((i, run_case(name, data)))


def _cpu_s(pid: int) -> float:
    """CPU seconds used by a process (user + system), from /proc: on a loaded machine wall
    time says little about a case, so the limit counts CPU time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _wait(conn, proc) -> bool:
    """True when the case answered within TIMEOUT_S of CPU time (and 20x that of wall time)."""
    cpu0, t0 = _cpu_s(proc.pid), time.perf_counter()
    while not conn.poll(0.5):
        if _cpu_s(proc.pid) - cpu0 > TIMEOUT_S or time.perf_counter() - t0 > 20 * TIMEOUT_S:
            return False
    return True


def _start():
    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(target=_worker, args=(child,), daemon=True)
    proc.start()
    return proc, parent


def _summary(n, done, max_run, t0, counts, kinds, slow) -> dict:
    total = time.perf_counter() - t0
    return {
        "cases": done, "planned": n, "complete": done == n, "seed": 17, "max_run": max_run,
        "timeout_s": TIMEOUT_S, "seconds": round(total, 1), "cases_per_s": round(done / max(total, 1e-9), 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "outcomes_by_target": {k: dict(v) for k, v in sorted(counts.items())},
        "failures": sum(v["count"] for v in kinds.values()),
        "failure_kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1]["count"])),
        "slowest": [dict(zip(("seconds", "case", "target", "bytes", "status"), s))
                    for s in sorted(slow, reverse=True)[:10]],
    }


def main(n: int, max_run: int, out: Path | None = None) -> dict:
    counts: dict = collections.defaultdict(collections.Counter)
    kinds: dict = {}
    slow: list = []
    proc, conn = _start()
    t0 = time.perf_counter()
    for i, name, data in cases(n, seed=17, max_run=max_run):
        conn.send((i, name, data))
        if _wait(conn, proc):
            _, res = conn.recv()
            status, kind, seconds, message = res.status, res.kind, res.seconds, res.message
        else:
            proc.kill()
            proc.join()
            proc, conn = _start()
            status, kind, seconds, message = "timeout", f"timeout > {TIMEOUT_S:g} s CPU", TIMEOUT_S, ""
        counts[name][status] += 1
        if status in ("crash", "bad_error", "timeout"):
            k = kinds.setdefault(f"{name.rsplit('.', 1)[-1]}: {kind}", {"count": 0, "first_case": i,
                                                                         "input_head": repr(data[:160]),
                                                                         "input_bytes": len(data),
                                                                         "traceback_tail": message[-500:]})
            k["count"] += 1
        slow.append((round(seconds, 3), i, name, len(data), status))
        if (i + 1) % 500 == 0:
            print(f"{i + 1} cases, {time.perf_counter() - t0:.0f} s", flush=True)
            if out is not None:  # partial results survive an interrupted run
                out.write_text(json.dumps(_summary(n, i + 1, max_run, t0, counts, kinds, slow), indent=2) + "\n")
    conn.send(None)
    proc.join(timeout=10)
    return _summary(n, n, max_run, t0, counts, kinds, slow)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=10_000)
    ap.add_argument("--max-run", type=int, default=300)
    args = ap.parse_args()
    out = REPO / "bench" / "results" / "fuzz.json"
    result = main(args.n, args.max_run, out)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("failure_kinds",)}, indent=2))
    for k, v in result["failure_kinds"].items():
        print(v["count"], k)
