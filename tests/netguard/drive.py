"""What tests/test_no_network.py runs under the network guard: the whole local workflow.

import (the sample transcripts and a long interview), suggest (a few thousand excerpts),
exports (tables, reports, .qdpx), the app's start-up (AppTest, and the Streamlit server
answering its health check), then two canaries that prove the guards are live.
Usage: python drive.py WORKDIR
"""

from __future__ import annotations

import ctypes
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
work = Path(sys.argv[1])
n_sentences = int(os.environ.get("NETGUARD_SENTENCES", "2500"))


def step(name: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {name}", flush=True)


def long_interview(path: Path, n: int) -> None:
    rng = random.Random(17)
    topics = ["trust with the principals", "the empathy interviews", "our PDSA cycles", "exit tickets",
              "the coach from the network", "protected time at convenings", "buy-in from teachers",
              "the interim assessment data", "a right-sized problem", "the other districts"]
    verbs = ["we kept talking about", "nobody expected much from", "the team slowly changed", "I worried about",
             "the superintendent asked about", "we learned a lot from", "it took months to build"]
    turns, left = [], n
    while left > 0:
        k = min(left, rng.randint(4, 12))
        body = " ".join(f"{rng.choice(verbs).capitalize()} {rng.choice(topics)} in week {rng.randint(1, 40)}."
                        for _ in range(k))
        turns.append("Interviewer: What happened next?")
        turns.append(f"Rosalind Baptiste: {body}")
        left -= k
    path.write_text("\n\n".join(turns) + "\n", encoding="utf-8")


step("import")
from qualcode import services  # noqa: E402
from qualcode.services import export as export_svc  # noqa: E402
from qualcode.services import ingest as ingest_svc  # noqa: E402
from qualcode.services import suggest as suggest_svc  # noqa: E402

project = work / "proj"
ctx = services.init_project(project, codebook=REPO / "codebooks" / "improvement-collaboration.yaml", coder="ana")
big = work / "long-interview.txt"
long_interview(big, n_sentences)
ingest_svc.ingest_paths(ctx, [REPO / "transcripts_sample", big])
step("suggest")
n = suggest_svc.suggest_all(ctx)
print(f"suggestions: {n}", flush=True)
step("export")
out = work / "out"
export_svc.export_excerpts(ctx, out / "excerpts.csv", include="pending")
export_svc.export_excerpts(ctx, out / "excerpts.xlsx", include="pending")
export_svc.export_frequencies(ctx, out / "freq.csv", include="pending")
for fmt in ("md", "html", "docx"):
    export_svc.export_report(ctx, out / f"report.{fmt}", include="pending")
export_svc.export_qdpx(ctx, out / "project.qdpx")

step("app (AppTest)")
os.environ["QUALCODE_PROJECT"] = str(project)
from streamlit.testing.v1 import AppTest  # noqa: E402

at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
assert not at.exception, at.exception

step("app (server)")
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
env = dict(os.environ, QUALCODE_PROJECT=str(project))
proc = subprocess.Popen([sys.executable, "-c", "from qualcode.cli import main; main()", "--project", str(project), "app", "--port", str(port),
                         "--address", "127.0.0.1"], env=env, cwd=REPO)
try:
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit("the app did not start")
            time.sleep(0.5)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
        assert r.status == 200
    time.sleep(3)
finally:
    proc.terminate()
    proc.wait(timeout=30)

step("canaries")
try:  # the Python guard must refuse and record this one
    socket.getaddrinfo("python-canary.invalid", 443)
except OSError:
    pass
# libc directly, as a native thread would: only strace sees this one
libc = ctypes.CDLL(None)
res = ctypes.c_void_p()
libc.getaddrinfo(b"native-canary.invalid", b"443", None, ctypes.byref(res))
step("done")
