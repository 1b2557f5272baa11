"""Team benchmark: 4 coders x 500 decisions at once (threads, processes; SQLite, PostgreSQL),
and the time to compute agreement on a larger project.

Run: ``.venv/bin/python bench/bench_concurrency.py`` -> prints figures and writes
bench/results/concurrency.json. PostgreSQL runs need Debian's postgresql package (a
throwaway cluster is started on loopback, as in the tests); without it they are skipped.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import pg_helpers  # noqa: E402
from tests.test_concurrency import CODERS, check, prepare, run_processes, run_threads  # noqa: E402


def bench_writes(url: str, mode: str) -> dict:
    plan = prepare(url)
    t0 = time.perf_counter()
    outcome = run_threads(url, plan) if mode == "threads" else run_processes(url, plan)
    elapsed = time.perf_counter() - t0
    check(url, plan, outcome)  # raises if anything is missing, duplicated or errored
    n = len(CODERS) * len(plan)
    return {"decisions": n, "seconds": round(elapsed, 2), "decisions_per_s": round(n / elapsed, 1),
            "errors": 0}


def bench_agreement(url: str, *, excerpts: int = 2000) -> dict:
    """Two coders who each reviewed ``excerpts`` excerpts and coded ~1/3 of them."""
    import random

    from qualcode import services
    from qualcode.services import team
    from qualcode.storage import codes as code_store
    from qualcode.storage import coding as store
    from qualcode.storage import documents
    from tests.conftest import make_document

    ctx = services.init_project(None, db_url=url, coder="alice")
    rng = random.Random(0)
    with ctx.session() as s:
        turns = [("P", "participant", f"Excerpt {i}: the data meeting helped us trust each other.")
                 for i in range(excerpts)]
        doc_id = documents.add_document(s, make_document("big", turns))
        ex = documents.load_document(s, doc_id).excerpts
        codes = [c.id for c in code_store.load_codebook(s).codable_codes()][:8]
        ids = {name: services.ProjectContext.coder_id(ctx.as_coder(name), s) for name in ("alice", "bob")}
        for name, cid in ids.items():
            for e in ex:
                store.mark_reviewed(s, e.id, cid)
                for c in codes:
                    if rng.random() < 0.05:
                        store.add_coding(s, e.id, c, cid)
    out = {}
    for level in ("excerpt", "character"):
        t0 = time.perf_counter()
        r = team.agreement(ctx, coders=["alice", "bob"], level=level)
        out[level] = {"seconds": round(time.perf_counter() - t0, 3), "units": r["units"],
                      "overall_kappa": round(r["overall"]["cohen_kappa"], 3)}
    t0 = time.perf_counter()
    n = len(team.disagreements(ctx))
    out["disagreements"] = {"seconds": round(time.perf_counter() - t0, 3), "excerpts": n}
    ctx.close()
    return {"excerpts": excerpts, "codes": len(codes), **out}


def main() -> None:
    results: dict = {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2), "writes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("threads", "processes"):
            url = f"sqlite:///{tmp}/{mode}.db"
            results["writes"][f"sqlite/{mode}"] = r = bench_writes(url, mode)
            print(f"sqlite     {mode:<9} {r['decisions']} decisions in {r['seconds']:6.2f}s "
                  f"({r['decisions_per_s']}/s), all stored once, no errors")
        results["agreement"] = a = bench_agreement(f"sqlite:///{tmp}/agreement.db")
        print(f"agreement on {a['excerpts']} excerpts x {a['codes']} codes: excerpt level "
              f"{a['excerpt']['seconds']}s, character level {a['character']['seconds']}s, "
              f"disagreements {a['disagreements']['seconds']}s")
    server = None
    try:
        server = pg_helpers.start_server()
    except BaseException as exc:  # pytest.skip raises an Exception subclass of BaseException
        results["postgresql"] = f"skipped: {exc}"
        print(f"postgresql skipped: {exc}")
    if server is not None:
        try:
            for mode in ("threads", "processes"):
                url = server.create_database()
                results["writes"][f"postgresql/{mode}"] = r = bench_writes(url, mode)
                print(f"postgresql {mode:<9} {r['decisions']} decisions in {r['seconds']:6.2f}s "
                      f"({r['decisions_per_s']}/s), all stored once, no errors")
        finally:
            pg_helpers.stop_server(server)
    out = ROOT / "bench" / "results" / "concurrency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
