"""Fixed-seed mutation fuzzing of every reader (tests/fuzz.py): a CI budget well under 2 min.

Every failure must be the project's own error with a hint. Crashes located in code that
other branches are rewriting (ELSEWHERE) are collected and shown, not failed, until those
land; the lead empties ELSEWHERE after merging them. bench/bench_fuzz.py runs >= 10,000 cases.
"""

from __future__ import annotations

import logging
import warnings

import pytest

from tests.fuzz import cases, run_case, seeds

N_CASES = 840  # 70 per target; ~40 s on a loaded 2-core machine
#: Crash sites owned by other branches at the time of writing (w15r: speaker patterns and
#: subtitle/text readers; w15q: REFI-QDA project import).
ELSEWHERE: tuple[str, ...] = ()  # every reader has landed: every failure fails the test


@pytest.fixture(autouse=True)
def _quiet_pdfminer():
    logging.getLogger("pdfminer").setLevel(logging.ERROR)


def test_every_seed_reads():
    for name, data in seeds().items():
        out = run_case(name, data)
        assert out.status == "ok", (name, out.kind, out.message)


def test_fuzzed_inputs_fail_only_with_qualcode_errors():
    bad, elsewhere, slowest = [], [], (0.0, "")
    for i, name, data in cases(N_CASES, seed=17):
        out = run_case(name, data)
        slowest = max(slowest, (out.seconds, f"case {i} {name}"))
        if out.status in ("ok", "refused"):
            continue
        where = out.kind.split(" @ ")[-1]
        is_elsewhere = any(where.startswith(p) for p in ELSEWHERE)
        (elsewhere if is_elsewhere else bad).append((i, name, out.status, out.kind, out.message[-400:]))
    if elsewhere:
        warnings.warn(f"{len(elsewhere)} fuzz failures in code owned by other branches: "
                      + "; ".join(f"{n} {k}" for _i, n, _s, k, _m in elsewhere[:10]))
    assert not bad, "\n\n".join(map(str, bad[:10]))
    assert slowest[0] < 15, slowest
