"""Fuzz: mutated REFI-QDA .qdpx files (qualcode's own export and an NVivo-shaped one with a
BOM and CRLF) through the reader, every 25th through a full merge preview (rolled back).
Target: every failure is a QualcodeError (0 crashes).

Run: ``.venv/bin/python bench/bench_refi_fuzz.py [CASES_PER_FILE]`` (default 5,000, so
10,000 cases). Writes bench/results/refi_fuzz.json. The suite runs the same mutator with a
fixed seed and 240 cases (tests/test_refi_import.py).
"""

from __future__ import annotations

import collections
import io
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qualcode import services  # noqa: E402
from qualcode.errors import QualcodeError  # noqa: E402
from qualcode.services import export as ex  # noqa: E402
from qualcode.services import merge  # noqa: E402
from tests.analysis_helpers import build_small_project  # noqa: E402
from tests.refi_helpers import build_qdpx, interview_source  # noqa: E402
from tests.test_refi_import import _mutants, _zip  # noqa: E402


def main(per_file: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="refi-fuzz-"))
    src = services.init_project(tmp / "src", coder="alice")
    build_small_project(src)
    own = ex.qdpx_bytes(src)
    src.close()
    vendor = build_qdpx([interview_source(bom=True, crlf=True)], folder="Sources")
    target = services.init_project(tmp / "target", coder="alice")
    counts: collections.Counter = collections.Counter()
    crashes: list[str] = []
    t0 = time.perf_counter()
    for seed, data in enumerate((own, vendor)):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            base = {n: z.read(n) for n in z.namelist()}
        for i, files in enumerate(_mutants(1000 + seed, per_file, base)):
            raw = _zip(files)
            try:
                if i % 25 == 0:
                    merge.preview_merge(target, raw)
                else:
                    ex.read_project_file(raw, "fuzz.qdpx")
                counts["read"] += 1
            except QualcodeError:
                counts["refused (QualcodeError)"] += 1
            except Exception as exc:  # noqa: BLE001 - what the benchmark counts
                counts["crash"] += 1
                crashes.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    target.close()
    result = {"cases": 2 * per_file, **counts, "crashes": collections.Counter(crashes).most_common(20),
              "seconds": round(time.perf_counter() - t0, 1), "load": os.getloadavg()[0]}
    out = REPO / "bench" / "results" / "refi_fuzz.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000), indent=1))
