"""Benchmark (diagnostic): how far more decisions could take the engine's learner on each dev set.

The `qualcode evaluate` protocol scores the engine after the review queue's first 500 decisions.
This asks what the same engine (features, per-code regressions, decision rule) reaches when it
learns from a random 500, 2,000 or *every* excerpt of the coding pool, on the same split and
test half (seeds 0 and 1). If the whole pool (several thousand decisions) stays below a target
set at 500 decisions, no review order can meet it: the representation has to change.

    .venv/bin/python bench/bench_ceiling.py [--seeds 0,1] [--sizes 500,2000,all]

Writes bench/results/ceiling.json: ``runs[corpus][seed]`` = {pool, test, macro_f1 per size}.
Embeddings are cached as bench_evaluate.py caches them (system temp folder).
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
from qualcode.suggest.evaluate import score, split_documents  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--sizes", default="500,2000,all")
    ap.add_argument("--corpora", default="talkmoves-dev,disaster-dev")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "ceiling.json"))
    args = ap.parse_args()
    emb = CachedEmbedder()
    t_all = time.perf_counter()
    runs: dict = {}
    for name in args.corpora.split(","):
        codes, ids, rows, Y, corpus = dev_corpus(name, emb)
        for seed in [int(s) for s in args.seeds.split(",")]:
            pool, test = split_documents(rows, seed)
            engine = Engine(codes, emb).prepare(corpus)
            order = pool[np.random.default_rng(seed).permutation(len(pool))]
            out = {"pool": len(pool), "test": len(test), "macro_f1": {}}
            for size in args.sizes.split(","):
                n = len(pool) if size == "all" else min(int(size), len(pool))
                if str(n) in out["macro_f1"]:  # a size past the pool is the whole pool
                    continue
                idx = order[:n]
                engine.fit(corpus, idx, Y[idx])
                res = score(Y[test], engine.decide(engine.scores(corpus, test)), ids)
                out["macro_f1"][str(n)] = res["macro_f1"]
                print(f"{name}, seed {seed}: a random {n} of the {len(pool)} pool excerpts -> "
                      f"macro-F1 {res['macro_f1']:.3f}", flush=True)
            runs.setdefault(name, {})[str(seed)] = out
    result = {"runs": runs, "timing_s": round(time.perf_counter() - t_all, 1),
              "load_average": os.getloadavg(), "cpus": os.cpu_count()}
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
