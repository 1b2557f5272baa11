"""Benchmark: a code added mid-way, after the coder has finished excerpts without it.

The app reads those excerpts as *unknown* for that code (``training.unconsidered``: NaN labels,
left out of its fit), not as counter-examples (the rule before). Protocol, per dev set and seed:
the coder decides a random 500 of the coding pool (``qualcode evaluate``'s split); each code with
at least 5 positives among them is, in turn, "added" after the first 250 decisions. The engine
(the app's ``Engine``, in memory) is fitted on the 500 three ways and that code's F1 is scored on
the test half: known from the start (the reference), added at 250 with the earlier 250 as "no"
(the old rule), added at 250 with the earlier 250 unknown (the app's rule). Reported: the mean
of those codes' F1 per way.

    .venv/bin/python bench/bench_late_code.py [--seeds 0,1]

Writes bench/results/late_code.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_evaluate import REPO, CachedEmbedder, dev_corpus  # noqa: E402

from qualcode.suggest.engine import Engine  # noqa: E402
from qualcode.suggest.evaluate import split_documents  # noqa: E402

BUDGET, ADDED_AT, MIN_POS = 500, 250, 5


def _f1(yt: np.ndarray, yp: np.ndarray) -> float:
    tp = float((yt & yp).sum())
    return 2 * tp / max(1.0, float(yt.sum() + yp.sum()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--corpora", default="talkmoves-dev,disaster-dev")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "late_code.json"))
    args = ap.parse_args()
    emb = CachedEmbedder()
    t_all = time.perf_counter()
    runs: dict = {}
    for name in args.corpora.split(","):
        codes, ids, rows, Y, corpus = dev_corpus(name, emb)
        for seed in [int(s) for s in args.seeds.split(",")]:
            pool, test = split_documents(rows, seed)
            idx = pool[np.random.default_rng(seed).permutation(len(pool))][:BUDGET]
            engine = Engine(codes, emb).prepare(corpus)
            truth = Y[test] > 0
            engine.fit(corpus, idx, Y[idx])
            start = engine.decide(engine.scores(corpus, test))
            per_code = {}
            for j, cid in enumerate(ids):
                if Y[idx, j].sum() < MIN_POS or not truth[:, j].any():
                    continue
                got = {"from_start": _f1(truth[:, j], start[:, j])}
                for way, fill in (("added_as_no", 0.0), ("added_unknown", np.nan)):
                    Yw = Y[idx].copy()
                    Yw[:ADDED_AT, j] = fill
                    engine.fit(corpus, idx, Yw)
                    got[way] = _f1(truth[:, j], engine.decide(engine.scores(corpus, test))[:, j])
                per_code[cid] = {k: round(v, 4) for k, v in got.items()}
                print(f"{name} seed {seed} {cid}: " + ", ".join(f"{k} {v:.3f}" for k, v in got.items()), flush=True)
            mean = {k: round(float(np.mean([c[k] for c in per_code.values()])), 4)
                    for k in ("from_start", "added_as_no", "added_unknown")}
            print(f"== {name} seed {seed}, {len(per_code)} codes, mean F1: {mean}", flush=True)
            runs.setdefault(name, {})[str(seed)] = {"codes": len(per_code), "mean_f1": mean, "per_code": per_code}
    result = {"budget": BUDGET, "added_at": ADDED_AT, "runs": runs, "timing_s": round(time.perf_counter() - t_all, 1),
              "load_average": os.getloadavg(), "cpus": os.cpu_count()}
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
