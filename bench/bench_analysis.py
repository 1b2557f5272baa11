"""Benchmark: frequencies by year and the co-occurrence matrix on 1,000 documents,
500,000 excerpts and 40 codes (SQLite). Target: each under 1 s. Also the Search page's text
search over every excerpt: a word no excerpt holds, and one every excerpt holds (500,000 hits
to list with their codes; no target).

The project is generated with bulk inserts (executemany) into a temporary SQLite file and
cached under /tmp between runs. Run: ``.venv/bin/python bench/bench_analysis.py``.
Writes bench/results/analysis.json.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qualcode import services  # noqa: E402
from qualcode.core import Code, Codebook  # noqa: E402
from qualcode.services import analysis  # noqa: E402

N_DOCS, N_EXCERPTS, N_CODES = 1000, 500_000, 40
# QUALCODE_BENCH_ANALYSIS_DIR: time another copy of the generated project (e.g. one with
# an extra index created by hand) without touching the cached one.
CACHE = Path(os.environ.get("QUALCODE_BENCH_ANALYSIS_DIR", "/tmp/qualcode-bench-analysis"))
RESULTS = REPO / "bench" / "results" / "analysis.json"


def codebook() -> Codebook:
    codes = []
    for p in range(8):  # 8 parents, 4 children each = 40 codes
        codes.append(Code(id=f"theme_{p}", name=f"Theme {p}", codable=False))
        for c in range(4):
            codes.append(Code(id=f"code_{p}_{c}", name=f"Code {p}.{c}", parent=f"theme_{p}"))
    assert len(codes) == N_CODES
    return Codebook(name="bench", codes=codes)


def build(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    cb_file = path / "codebook.yaml"
    import yaml

    cb_file.write_text(yaml.safe_dump({"name": "bench", "codes": [
        {k: v for k, v in {"id": c.id, "name": c.name, "parent": c.parent, "codable": c.codable,
                           "definition": f"Definition of {c.name}."}.items() if v is not None}
        for c in codebook().codes]}), encoding="utf-8")
    ctx = services.init_project(path / "proj", codebook=cb_file, coder="bench")
    ctx.close()
    db = sqlite3.connect(path / "proj" / "project.db")
    rng = random.Random(7)
    now = datetime.now(timezone.utc).isoformat(sep=" ")
    per_doc = N_EXCERPTS // N_DOCS
    docs, attrs, speakers, turns, excerpts, codings = [], [], [], [], [], []
    leaf = [c.id for c in codebook().codes if c.parent]
    sid = tid = eid = cid = 0
    for d in range(1, N_DOCS + 1):
        text = ("word " * 9 + "end.\n") * per_doc
        docs.append((d, f"doc{d}", "", "txt", text, f"{d:064x}", 10 * per_doc, 8 * per_doc, 0, now, 1))
        attrs.append((d, "year", str(2017 + d % 4), "integer"))
        attrs.append((d, "district", f"D{d % 25}", "text"))
        spk = []
        for k in range(5):
            sid += 1
            speakers.append((sid, d, f"S{k}", "interviewer" if k == 0 else "participant", None))
            spk.append(sid)
        line = 50
        for o in range(per_doc):
            tid += 1
            eid += 1
            start = o * line
            turns.append((tid, d, spk[o % 5], o, start, start + line - 1))
            excerpts.append((eid, d, tid, o, start, start + line - 1, text[start:start + line - 1], "h", 1))
            for code in rng.sample(leaf, rng.choice((0, 1, 1, 2))):
                cid += 1
                codings.append((cid, eid, code, 1, start, start + line - 1, "manual", now))
    db.execute("PRAGMA synchronous=OFF")
    db.executemany("INSERT INTO documents (id, name, source_filename, format, text, content_hash, word_count, "
                   "participant_words, deidentified, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)", docs)
    db.executemany("INSERT INTO document_attributes (document_id, key, value, type) VALUES (?,?,?,?)", attrs)
    db.executemany("INSERT INTO speakers (id, document_id, label, role, pseudonym) VALUES (?,?,?,?,?)", speakers)
    db.executemany('INSERT INTO turns (id, document_id, speaker_id, "order", start, "end") VALUES (?,?,?,?,?,?)', turns)
    db.executemany('INSERT INTO excerpts (id, document_id, turn_id, "order", start, "end", text, text_hash, codable) '
                   'VALUES (?,?,?,?,?,?,?,?,?)', excerpts)
    db.executemany('INSERT INTO codings (id, excerpt_id, code_id, coder_id, start, "end", origin, created_at) '
                   'VALUES (?,?,?,?,?,?,?,?)', codings)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    (path / "ready").write_text(json.dumps({"codings": len(codings)}))


def timed(fn, repeat: int = 7) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``repeat`` cold calls: each call opens a read
    transaction and loads everything from SQLite again (nothing is cached in the process).
    CPU time (this process, SQLite included) is what the wall time would be on an idle
    machine; on a shared, loaded one the wall time mostly measures waiting for a core."""
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> dict:
    if not (CACHE / "ready").exists():
        t = time.perf_counter()
        build(CACHE)
        print(f"generated project in {time.perf_counter() - t:.1f} s ({CACHE})")
    n_codings = json.loads((CACHE / "ready").read_text())["codings"]
    load_before = os.getloadavg()
    ctx = services.open_project(CACHE / "proj", coder="bench")
    try:
        # The very first call of the process: fresh connection, SQLite page cache empty.
        t, c = time.perf_counter(), time.process_time()
        freq = analysis.frequencies(ctx, by="year")
        first = (time.perf_counter() - t, time.process_time() - c)
        assert freq["excerpts"].sum() > 0
        t_freq = timed(lambda: analysis.frequencies(ctx, by="year"))
        t_cooc = timed(lambda: analysis.cooccurrence_matrix(ctx))
        t_cooc_doc = timed(lambda: analysis.cooccurrence_matrix(ctx, level="document"))
        t_freq_all = timed(lambda: analysis.frequencies(ctx))
        t_freq_coder = timed(lambda: analysis.frequencies(ctx, by="year", coder="bench"), repeat=3)
        from qualcode.services import search

        t_search_none = timed(lambda: search.search(ctx, "stock-out, train*"), repeat=3)
        # accents counted: no accented excerpt comes through the first cut (the default lets them)
        t_search_none_acc = timed(lambda: search.search(ctx, "stock-out, train*", match_accents=True), repeat=3)
        t_search_all = timed(lambda: search.search(ctx, "end"), repeat=3)
    finally:
        ctx.close()

    out = {
        "documents": N_DOCS, "excerpts": N_EXCERPTS, "codes": N_CODES, "codings": n_codings,
        "frequencies_by_year_s": round(t_freq[0], 3), "frequencies_by_year_cpu_s": round(t_freq[1], 3),
        "frequencies_by_year_first_call_s": round(first[0], 3),
        "frequencies_by_year_first_call_cpu_s": round(first[1], 3),
        "frequencies_by_year_one_coder_s": round(t_freq_coder[0], 3),
        "frequencies_by_year_one_coder_cpu_s": round(t_freq_coder[1], 3),
        "frequencies_s": round(t_freq_all[0], 3), "frequencies_cpu_s": round(t_freq_all[1], 3),
        "cooccurrence_excerpt_s": round(t_cooc[0], 3), "cooccurrence_excerpt_cpu_s": round(t_cooc[1], 3),
        "cooccurrence_document_s": round(t_cooc_doc[0], 3), "cooccurrence_document_cpu_s": round(t_cooc_doc[1], 3),
        "search_no_hit_s": round(t_search_none[0], 3), "search_no_hit_cpu_s": round(t_search_none[1], 3),
        "search_no_hit_match_accents_s": round(t_search_none_acc[0], 3),
        "search_no_hit_match_accents_cpu_s": round(t_search_none_acc[1], 3),
        "search_every_excerpt_s": round(t_search_all[0], 3), "search_every_excerpt_cpu_s": round(t_search_all[1], 3),
        "load_average_1min_before": round(load_before[0], 2),
        "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "target_s": 1.0, "passed_wall": t_freq[0] < 1.0 and t_cooc[0] < 1.0,
        "passed_cpu": t_freq[1] < 1.0 and t_cooc[1] < 1.0,
        "note": ("median of 7 cold calls (each reads everything from SQLite again; no in-process cache), "
                 "SQLite; *_cpu_s = process CPU time; first_call = first call of the process"),
    }
    if "QUALCODE_BENCH_ANALYSIS_DIR" not in os.environ:  # results only for the standard project
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    for k, v in out.items():
        print(f"{k:28} {v}")
    return out


if __name__ == "__main__":
    main()
