"""No network at run time, enforced: the whole workflow under a guard that refuses it.

tests/netguard/drive.py imports transcripts, suggests on a few thousand excerpts, exports,
and starts the app (AppTest and the real server), in a subprocess whose Python refuses and
records every lookup or connection that is not to loopback (tests/netguard/sitecustomize.py).
Native code (onnxruntime's C++ telemetry uploader resolved mobile.events.data.microsoft.com)
bypasses Python, so where strace exists the subprocess runs under it and every DNS query
and every connection to a non-loopback address is checked too. Two canaries, one through
Python and one through libc, prove that both guards are live.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the real embedding model on a few thousand excerpts (~1-4 min)

REPO = Path(__file__).resolve().parents[1]
GUARD = REPO / "tests" / "netguard"

_CALL = re.compile(r"^(\d+)\s+(connect|sendto|sendmsg|sendmmsg)\((\d+),")


def dns_queries(lines: list[str]) -> list[str]:
    """The send lines (with their payload) on sockets connected to port 53, from strace output."""
    dns_fds: set[tuple[str, str]] = set()
    out = []
    for ln in lines:
        m = _CALL.match(ln)
        if not m:
            continue
        pid, call, fd = m.groups()
        if call == "connect":
            (dns_fds.add if "htons(53)" in ln else dns_fds.discard)((pid, fd))
        elif (pid, fd) in dns_fds or "htons(53)" in ln:
            out.append(ln)
    return out


def test_workflow_makes_no_network_attempt(tmp_path):
    log = tmp_path / "netguard.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}  # qualcode must set it itself
    env.update(PYTHONPATH=os.pathsep.join([str(GUARD), str(REPO)]), QUALCODE_NETGUARD_LOG=str(log),
               NETGUARD_SENTENCES="2500", QUALCODE_CACHE_DIR=env.get("QUALCODE_CACHE_DIR", ""))
    if not env["QUALCODE_CACHE_DIR"]:
        env.pop("QUALCODE_CACHE_DIR")
    cmd = [sys.executable, str(GUARD / "drive.py"), str(tmp_path)]
    trace = tmp_path / "strace.txt"
    strace = shutil.which("strace")
    if strace:
        probe = subprocess.run([strace, "-f", "-o", os.devnull, "true"], capture_output=True)
        if probe.returncode == 0:
            cmd = [strace, "-f", "-qq", "-s", "256", "-e", "trace=connect,sendto,sendmsg,sendmmsg",
                   "-o", str(trace)] + cmd
        else:
            strace = None
    run = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    assert "suggestions:" in run.stdout

    attempts = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    targets = [a["target"] for a in attempts]
    assert targets == ["'python-canary.invalid'"], "\n".join(
        f"{a['what']} {a['target']}\n{''.join(a['stack'])}" for a in attempts)

    if strace:
        lines = trace.read_text(errors="replace").splitlines()
        outside = [ln for ln in lines if "connect(" in ln and "sin_addr=inet_addr(" in ln
                   and "htons(53)" not in ln and 'inet_addr("127.' not in ln and 'inet_addr("0.0.0.0")' not in ln]
        outside += [ln for ln in lines if "connect(" in ln and "inet_pton(AF_INET6" in ln and '"::1"' not in ln]
        assert not outside, outside[:5]
        queries = dns_queries(lines)
        others = [q for q in queries if "native-canary" not in q]
        assert not others, others[:5]
        if not queries:
            pytest.skip("no resolver configured here: the native canary made no DNS query, so strace "
                        "could not be shown to catch one (the Python guard was checked)")
