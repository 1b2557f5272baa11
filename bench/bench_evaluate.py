"""Benchmark: the evaluation protocol on ../shared/datasets/talkmoves-dev.

Runs `qualcode evaluate` as a library call (same engine as the app), prints the learning
curve beside the baseline and writes bench/results/evaluate.json.

    .venv/bin/python bench/bench_evaluate.py [--budgets 0,100,200,500,1000] [--seed 0]

Embeddings of the gold sentences are kept in the system temp folder between runs (the
protocol itself does not need them cached; this only saves minutes on repeated runs).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qualcode.suggest.embedder import get_embedder  # noqa: E402
from qualcode.suggest.evaluate import evaluate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "datasets" / "talkmoves-dev"


class CachedEmbedder:
    """The real embedder with a per-text cache on disk (temp folder)."""

    def __init__(self) -> None:
        self.inner = get_embedder()
        self.model_id, self.dim = self.inner.model_id, self.inner.dim
        self.path = Path(tempfile.gettempdir()) / f"qualcode-bench-{self.model_id.replace(':', '_')}.npz"
        self.cache = dict(np.load(self.path, allow_pickle=True)["d"].item()) if self.path.exists() else {}
        self.encode_s = 0.0
        self.encoded = 0

    def encode(self, texts, *, progress=None):
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            t0 = time.perf_counter()
            for t, v in zip(missing, self.inner.encode(missing)):
                self.cache[t] = v
            self.encode_s += time.perf_counter() - t0
            self.encoded += len(missing)
            np.savez(self.path, d=np.array(self.cache, dtype=object))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budgets", default="0,100,200,500,1000")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "evaluate.json"))
    args = ap.parse_args()
    emb = CachedEmbedder()
    result = evaluate(DATA / "gold.csv", DATA / "codebook.yaml",
                      budgets=[int(b) for b in args.budgets.split(",")], seed=args.seed,
                      embedder=emb, progress=print)
    result["timing_s"]["encode_uncached"] = round(emb.encode_s, 2)
    result["timing_s"]["encoded_texts"] = emb.encoded
    result["load_average"] = os.getloadavg()
    at500 = next((b for b in result["budgets"] if b["reviewed"] == 500), None)
    if at500:
        result["target_500"] = {"macro_f1": at500["macro_f1"], "baseline": at500["baseline_macro_f1"],
                                "meets_0.40": at500["macro_f1"] >= 0.40,
                                "meets_2x_baseline": at500["macro_f1"] >= 2 * at500["baseline_macro_f1"]}
    Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "budgets"}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
