"""Benchmark: ``qualcode evaluate --live`` beside the in-memory protocol, on both dev sets.

What the coder is shown, measured through a real project (services.live_eval: the gold rows
stored as documents, the simulated coder reading the STORED pending suggestions and deciding
through services.coding, the app's background relearn-and-refresh after every ``--batch``
excerpts), against the in-memory protocol on the same rows, budgets and seed.

Writes bench/results/live_eval.json with, per corpus:

- ``session``: the session curve (per window of 100 reviewed excerpts: precision, recall and
  F1 of the suggestions shown) and ``session_ratio`` = F1 in excerpts 400-500 / F1 in
  excerpts 0-100 (target >= 1.5; the last full window stands in when fewer were reviewed);
- ``gap``: live minus in-memory macro-F1 at each budget (target: within 0.02 everywhere), and
  whether the test half's stored suggestions came from the model the in-memory run fitted
  (``same_model``: same decisions, same training order); ``same_review_order_for``: how many
  excerpts both paths reviewed in the same order before they parted (all of them, if none);
- both runs' curves, baselines, timing, and the machine's load.

Size: disaster-dev whole (2,323 rows); talkmoves-dev (14,011 rows) sliced to the first
``--per-doc`` rows of each of its 40 lessons (75: about 2,600 rows), because the live run
re-scores the whole project after every batch and must fit a shared 2-core machine
(measured: ~5-8 s per batch of 10 on 2,300 rows at load 8). Embeddings come from the disk
cache bench_evaluate.py keeps (the packaged model's own vectors; only the encoding is saved).

    .venv/bin/python bench/bench_live_eval.py [--corpora disaster-dev,talkmoves-dev]
        [--budgets 0,100,200,300,400,500] [--seed 0] [--batch 10] [--per-doc 75] [--order queue]

``--order document``: the coder of the app's default Transcript view (each pool transcript in
turn, excerpt after excerpt) instead of the Review queue.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bench.bench_evaluate import DATASETS, CachedEmbedder  # noqa: E402
from qualcode.services import suggest as suggest_svc  # noqa: E402
from qualcode.services.live_eval import evaluate_live  # noqa: E402
from qualcode.suggest.evaluate import evaluate  # noqa: E402

SESSION_TARGET = 1.5
GAP_TARGET = 0.02


def sliced(corpus: str, per_doc: int | None, tmp: Path) -> Path:
    """The corpus's gold.csv, or the first ``per_doc`` rows of each document of it."""
    src = DATASETS / corpus / "gold.csv"
    if not per_doc:
        return src
    by_doc: dict[str, list[dict]] = {}
    with src.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            by_doc.setdefault(r["document"], []).append(r)
    out = tmp / f"{corpus}-first{per_doc}.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["document", "speaker", "text", "codes"])
        w.writeheader()
        for rows in by_doc.values():
            w.writerows({k: r[k] for k in ("document", "speaker", "text", "codes")} for r in rows[:per_doc])
    return out


def session_ratio(session: list[dict]) -> dict:
    """F1 of the shown suggestions in the window 400-500 (or the last full one) over 0-100."""
    full = [w for w in session if w["to"] - w["from"] == 100]
    if len(full) < 2:
        return {"ratio": None, "note": "fewer than two full windows of 100"}
    first, last = full[0], next((w for w in full if w["from"] == 400), full[-1])
    ratio = last["f1"] / first["f1"] if first["f1"] else None
    return {"first": f"{first['from']}-{first['to']}", "first_f1": first["f1"],
            "last": f"{last['from']}-{last['to']}", "last_f1": last["f1"],
            "ratio": round(ratio, 3) if ratio is not None else None, "target": SESSION_TARGET,
            "met": ratio is not None and ratio >= SESSION_TARGET}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", default="disaster-dev,talkmoves-dev")
    ap.add_argument("--budgets", default="0,100,200,300,400,500")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--order", default="queue", choices=["queue", "document"])
    ap.add_argument("--per-doc", type=int, default=75, help="talkmoves-dev: rows kept per lesson (0: all)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "live_eval.json"))
    args = ap.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    emb = CachedEmbedder()
    suggest_svc.set_embedder(emb)  # the same vectors as the packaged model, read from the cache
    out: dict = {"seed": args.seed, "order": args.order, "batch": args.batch, "budgets": budgets, "corpora": {},
                 "load_avg_before": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qualcode-bench-live-eval-") as tmp:
        for corpus in args.corpora.split(","):
            per_doc = args.per_doc if corpus == "talkmoves-dev" else 0
            gold, codebook = sliced(corpus, per_doc, Path(tmp)), DATASETS / corpus / "codebook.yaml"
            print(f"== {corpus} ({'first %d rows per document' % per_doc if per_doc else 'whole'})", flush=True)
            t0 = time.perf_counter()
            mem = evaluate(gold, codebook, budgets=budgets, seed=args.seed, embedder=emb, order=args.order,
                           progress=print)
            mem_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            live = evaluate_live(gold, codebook, budgets=budgets, seed=args.seed, batch=args.batch, order=args.order,
                                 progress=lambda m: print(m, flush=True))
            live_s = time.perf_counter() - t0
            gap = [{"reviewed": a["reviewed"], "live": a["macro_f1"], "in_memory": b["macro_f1"],
                    "gap": round(a["macro_f1"] - b["macro_f1"], 4),
                    "baseline": a["baseline_macro_f1"],
                    "same_model": a["model_ids"] in ([], [b["model_id"]])}
                   for a, b in zip(live["budgets"], mem["budgets"])]
            n_same = next((k for k, (x, y) in enumerate(zip(live["reviewed_rows"], mem["reviewed_rows"])) if x != y),
                          min(len(live["reviewed_rows"]), len(mem["reviewed_rows"])))
            out["corpora"][corpus] = {
                "rows": "whole" if not per_doc else f"first {per_doc} rows of each document",
                "n_pool": live["n_pool"], "n_test": live["n_test"],
                "session": live["session"], "session_ratio": session_ratio(live["session"]),
                "gap": gap, "gap_max_abs": max(abs(g["gap"]) for g in gap),
                "same_review_order_for": n_same,  # reviewed excerpts before the two paths' orders part
                "gap_met": all(abs(g["gap"]) <= GAP_TARGET for g in gap),
                "decisions": live["decisions"], "live_timing_s": live["timing_s"],
                "seconds": {"in_memory": round(mem_s, 1), "live": round(live_s, 1)},
                "load_avg_after": [round(x, 2) for x in os.getloadavg()],
            }
            print(json.dumps({k: out["corpora"][corpus][k] for k in ("session_ratio", "gap", "seconds")}, indent=1),
                  flush=True)
            Path(args.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")  # partial results kept
    suggest_svc.set_embedder(None)
    out["seconds_total"] = round(time.perf_counter() - t_all, 1)
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
