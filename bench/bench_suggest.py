"""Benchmark: embedding speed, suggestions for a new interview, scoring 50,000 cached
excerpts against 40 codes, retraining on 2,000 decisions, cold-start precision on the
hand-coded sample gold. Writes bench/results/suggest.json.

    .venv/bin/python bench/bench_suggest.py
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qualcode.codebook_io import load_codebook  # noqa: E402
from qualcode.core import Code  # noqa: E402
from qualcode.suggest.corpus import make_corpus  # noqa: E402
from qualcode.suggest.embedder import HashEmbedder, get_embedder  # noqa: E402
from qualcode.suggest.engine import Engine  # noqa: E402
from qualcode.suggest.evaluate import gold_corpus, read_gold  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GOLD_SAMPLE = REPO / "tests" / "data" / "gold_sample" / "gold.csv"
TALKMOVES = REPO.parent / "shared" / "datasets" / "talkmoves-dev" / "gold.csv"


def bench_embedding(emb, texts) -> dict:
    emb.encode(texts[:64])
    t0 = time.perf_counter()
    emb.encode(texts)
    dt = time.perf_counter() - t0
    return {"texts": len(texts), "seconds": round(dt, 2), "per_s": round(len(texts) / dt, 1),
            "mean_words": round(float(np.mean([len(t.split()) for t in texts])), 1)}


def bench_new_interview(emb, codes) -> dict:
    """A new ~9,000-word interview end to end in memory: embed, context, score, explain."""
    rows = read_gold(TALKMOVES)
    doc, words, out = None, 0, []
    for r in rows:  # consecutive real sentences until ~9,000 words (not in any cache)
        out.append(r)
        words += len(r["text"].split())
        if words >= 9000:
            break
    texts = [f"{r['text']} " for r in out]  # a trailing space: new texts, nothing cached
    t0 = time.perf_counter()
    vecs = emb.encode(texts)
    corpus = gold_corpus([{**r, "text": t} for r, t in zip(out, texts)], vecs)
    eng = Engine(codes, emb).prepare(corpus)
    props = eng.suggest(corpus)
    dt = time.perf_counter() - t0
    return {"words": words, "excerpts": len(out), "seconds": round(dt, 2), "suggestions": len(props)}


def bench_scoring(n=50_000, n_codes=40, dim=384) -> dict:
    rng = np.random.default_rng(0)
    rows = [{"id": i, "doc": i // 400, "turn": i // 3, "speaker": "AB"[(i // 3) % 2],
             "role": ["interviewer", "participant"][(i // 3) % 2], "text": f"s{i % 5000}", "codable": True}
            for i in range(n)]
    emb = rng.normal(size=(n, dim)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    corpus = make_corpus(rows, emb)
    codes = [Code(id=f"c{j}", name=f"Code {j}", definition=f"definition number {j}", examples=[f"example {j}"])
             for j in range(n_codes)]
    eng = Engine(codes, HashEmbedder(dim)).prepare(corpus)
    t0 = time.perf_counter()
    S_cold = eng.scores(corpus)
    cold = time.perf_counter() - t0
    Y = (rng.random((2000, n_codes)) < 0.05).astype(float)
    fits = []
    for _ in range(3):
        eng.fit(corpus, np.arange(2000), Y)
        fits.append(eng.fit_seconds)
    t0 = time.perf_counter()
    S = eng.scores(corpus)
    learned = time.perf_counter() - t0
    eng.decide(S)
    return {"excerpts": n, "codes": n_codes, "cold_score_s": round(cold, 2), "learned_score_s": round(learned, 2),
            "retrain_2000_decisions_s": round(float(np.median(fits)), 3), "shape": list(S_cold.shape)}


def bench_cold_precision(emb) -> dict:
    if not GOLD_SAMPLE.exists():
        return {"skipped": f"{GOLD_SAMPLE} missing"}
    rows = read_gold(GOLD_SAMPLE)
    cb = load_codebook(REPO / "codebooks" / "improvement-collaboration.yaml")
    codes = cb.codable_codes()
    ids = [c.id for c in codes]
    corpus = gold_corpus(rows, emb.encode([r["text"] for r in rows]))
    eng = Engine(codes, emb).prepare(corpus)
    pred = eng.decide(eng.scores(corpus))
    Y = np.array([[c in r["codes"] for c in ids] for r in rows], dtype=bool)
    # a parent code counts as right when the gold has one of its children, and vice versa
    tp = int((pred & Y).sum())
    n_pred = int(pred.sum())
    per_code = {ids[j]: {"suggested": int(pred[:, j].sum()), "correct": int((pred[:, j] & Y[:, j]).sum())}
                for j in range(len(ids)) if pred[:, j].sum()}
    return {"rows": len(rows), "gold_codings": int(Y.sum()), "suggested": n_pred, "correct": tp,
            "precision": round(tp / n_pred, 3) if n_pred else None,
            "recall": round(tp / max(1, int(Y.sum())), 3),
            "excerpt_precision": round(float((pred & Y).any(axis=1).sum() / max(1, pred.any(axis=1).sum())), 3),
            "per_code": per_code}


def main() -> None:
    emb = get_embedder()
    out: dict = {"model": emb.model_id, "device": emb.device, "cpus": os.cpu_count(), "load_average_start": os.getloadavg()}
    talk = [r["text"] for r in read_gold(TALKMOVES)] if TALKMOVES.exists() else []
    sample = [r["text"] for r in read_gold(GOLD_SAMPLE)] if GOLD_SAMPLE.exists() else []
    if sample:
        out["embedding_interview_sentences"] = bench_embedding(emb, [t + "  " for t in sample[:1000]])
    if talk:
        out["embedding_talkmoves_sentences"] = bench_embedding(emb, [t + "   " for t in talk[:1000]])
    cb = load_codebook(REPO / "codebooks" / "improvement-collaboration.yaml")
    if talk:
        out["new_interview_9000_words"] = bench_new_interview(emb, cb.codable_codes())
    out["scoring_50k_x_40"] = bench_scoring()
    out["cold_start_sample_gold"] = bench_cold_precision(emb)
    out["load_average_end"] = os.getloadavg()
    path = REPO / "bench" / "results" / "suggest.json"
    path.write_text(json.dumps(out, indent=2), encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
