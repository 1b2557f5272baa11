"""The evaluation protocol, in memory (no project database), with the app's own engine.

1. Gold rows (document, speaker, text, codes) in transcript order; each row is an excerpt.
2. Documents are split by a seeded shuffle: first half = coding pool, second = test.
3. A simulated coder works through the pool in the engine's review-queue order (``order=
   "queue"``, the Code page's *Review queue*) or in transcript order, document after
   document (``order="document"``: a coder reading each transcript top to bottom in the
   default *Transcript* view and deciding every excerpt); for each excerpt it accepts the
   suggestions in the gold, rejects the others and adds the missed gold codes. The engine
   relearns after every ``batch`` excerpts (the app relearns in the
   background after each decision; the queue the coder sees is refreshed as it does so), on
   the decided excerpts in the order they were decided, as the app does
   (``storage.training.coder_labels``). ``reviewed_rows``: the gold rows in review order.
4. After each budget of reviewed excerpts, the engine (fitted on exactly those excerpts)
   suggests codes for the test half with the app's default decision rule (``model_id``: the
   model that did, named as the app names it: decisions learned from and a digest of them in
   training order); scored per code
   (precision, recall, F1, Cohen's kappa, support), macro-F1 over the codes present in the
   test half, and micro-F1.
5. Calibration at each budget: of the test-half suggestions shown (the app's decision rule),
   a reliability table (bins of the calibrated probability: mean probability vs the share
   the gold coder applied) and the expected calibration error (ECE) of the probability and,
   for comparison, of the raw decision score (what the app showed before calibration).
6. ``session``: per window of 100 reviewed excerpts, precision, recall and F1 of the
   suggestions the coder was shown (accepted = right, rejected = wrong, added = missed).
7. Baseline in the same run: one-vs-rest logistic regression (balanced class weights,
   threshold 0.5) on the same excerpt embeddings, trained on a random pool sample of the
   same size.

>>> result = evaluate("gold.csv", "codebook.yaml", budgets=[0, 100])  # doctest: +SKIP
>>> result["budgets"][1]["macro_f1"]                                  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import random
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from qualcode.core import Codebook
from qualcode.errors import SuggestError
from qualcode.suggest.calibrate import ece, reliability
from qualcode.suggest.corpus import Corpus, make_corpus
from qualcode.suggest.engine import Engine
from qualcode.suggest.queue import smart_order

DEFAULT_BUDGETS = (0, 100, 200, 500, 1000)


def read_gold(path: str | Path) -> list[dict[str, Any]]:
    """Gold rows as dicts (document, speaker, text, codes: list[str])."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = {"document", "speaker", "text", "codes"} - set(reader.fieldnames or [])
            if missing:
                raise SuggestError(f"gold file lacks columns {sorted(missing)}", file=str(path), line=1,
                                   hint="the columns are: document, speaker, text, codes")
            rows = []
            for r in reader:
                codes = [c.strip() for c in (r.get("codes") or "").split(";") if c.strip()]
                rows.append({"document": r["document"], "speaker": r["speaker"] or "",
                             "text": r["text"] or "", "codes": codes})
    except OSError as exc:
        raise SuggestError(f"cannot read gold file: {exc.strerror}", file=str(path)) from None
    if not rows:
        raise SuggestError("gold file has no rows", file=str(path))
    return rows


def gold_corpus(rows: Sequence[dict[str, Any]], emb: np.ndarray) -> Corpus:
    """Rows -> corpus; a turn is a run of rows by the same speaker; role = speaker label."""
    out, turn, prev = [], -1, None
    for i, r in enumerate(rows):
        key = (r["document"], r["speaker"])
        if key != prev:
            turn += 1
            prev = key
        out.append({"id": i, "doc": r["document"], "turn": turn, "speaker": r["speaker"],
                    "role": r["speaker"] or "unknown", "text": r["text"], "codable": True})
    return make_corpus(out, emb)


def split_documents(rows: Sequence[dict[str, Any]], seed: int) -> tuple[np.ndarray, np.ndarray]:
    docs = sorted({r["document"] for r in rows})
    random.Random(seed).shuffle(docs)
    pool_docs = set(docs[: len(docs) // 2]) if len(docs) > 1 else set(docs)
    pool = np.array([i for i, r in enumerate(rows) if r["document"] in pool_docs], dtype=int)
    test = np.array([i for i, r in enumerate(rows) if r["document"] not in pool_docs], dtype=int)
    return pool, test


def score(Y_true: np.ndarray, Y_pred: np.ndarray, code_ids: Sequence[str]) -> dict[str, Any]:
    """Per-code precision/recall/F1/kappa/support, macro-F1 (codes present), micro-F1."""
    from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support

    per_code: dict[str, dict[str, float]] = {}
    present = []
    for j, cid in enumerate(code_ids):
        yt, yp = Y_true[:, j].astype(int), Y_pred[:, j].astype(int)
        p, r, f, _ = precision_recall_fscore_support(yt, yp, average="binary", zero_division=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            k = cohen_kappa_score(yt, yp) if len(set(yt) | set(yp)) > 1 else 0.0
        support = int(yt.sum())
        per_code[cid] = {"precision": round(float(p), 4), "recall": round(float(r), 4),
                         "f1": round(float(f), 4), "kappa": round(float(0.0 if np.isnan(k) else k), 4),
                         "support": support}
        if support:
            present.append(j)
    macro = float(np.mean([per_code[code_ids[j]]["f1"] for j in present])) if present else 0.0
    micro = float(f1_score(Y_true.astype(int), Y_pred.astype(int), average="micro", zero_division=0))
    return {"macro_f1": round(macro, 4), "micro_f1": round(micro, 4), "per_code": per_code,
            "present": [code_ids[j] for j in present]}


def baseline_predict(E_train: np.ndarray, Y_train: np.ndarray, E_test: np.ndarray) -> np.ndarray:
    """One-vs-rest logistic regression, balanced class weights, threshold 0.5."""
    from sklearn.linear_model import LogisticRegression

    pred = np.zeros((E_test.shape[0], Y_train.shape[1]), dtype=bool)
    for j in range(Y_train.shape[1]):
        y = Y_train[:, j]
        if y.sum() == 0:
            continue
        if y.sum() == len(y):
            pred[:, j] = True
            continue
        lr = LogisticRegression(class_weight="balanced", max_iter=1000)
        lr.fit(E_train, y)
        pred[:, j] = lr.predict_proba(E_test)[:, 1] >= 0.5
    return pred


def calibration(P: np.ndarray, S: np.ndarray, shown: np.ndarray, Y: np.ndarray) -> dict[str, Any]:
    """Reliability of the shown suggestions: probability ``P`` (calibrated) and decision
    score ``S`` (uncalibrated) against the gold ``Y``; ``ece_all``: every excerpt-code pair."""
    m = shown.astype(bool)
    return {"n_shown": int(m.sum()), "share_right": round(float(Y[m].mean()), 4) if m.any() else None,
            "ece": round(ece(P[m], Y[m]), 4), "ece_score": round(ece(S[m], Y[m]), 4),
            "ece_all": round(ece(P, Y), 4), "reliability": reliability(P[m], Y[m])}


ORDERS = ("queue", "document")


def session_curve(shown: Sequence[tuple[int, int, int]], window: int = 100) -> list[dict[str, Any]]:
    """Per window of ``window`` reviewed excerpts: precision, recall and F1 of the suggestions
    shown, from (accepted, rejected, added) per excerpt in review order."""
    out = []
    for k in range(0, len(shown), window):
        tp, fp, fn = (sum(x[j] for x in shown[k:k + window]) for j in range(3))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out.append({"from": k, "to": k + len(shown[k:k + window]), "shown": tp + fp, "accepted": tp,
                    "rejected": fp, "added": fn, "precision": round(p, 4), "recall": round(r, 4),
                    "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0})
    return out


def transcript_order(rows: Sequence[int], doc_of: Callable[[int], Any]) -> list[int]:
    """``rows`` as a coder reads them: document after document, in the order the documents first
    appear, each in its own (row) order."""
    first: dict[Any, int] = {}
    for r in sorted(rows):
        first.setdefault(doc_of(r), len(first))
    return sorted(rows, key=lambda r: (first[doc_of(r)], r))


def simulate_queue(engine: Engine, corpus: Corpus, pool: np.ndarray, Y: np.ndarray, n: int, *,
                   batch: int = 10, order: str = "queue", on_fit: Callable[[float], None] | None = None,
                   shown_out: list[tuple[int, int, int]] | None = None) -> tuple[list[int], dict[str, int]]:
    """The simulated coder: review ``n`` pool excerpts in the engine's queue order
    (``order="queue"``) or in the pool's own (transcript) order (``order="document"``).

    Returns the reviewed rows in order and decision counts (accepted/rejected/added);
    ``shown_out`` gets (accepted, rejected, added) per reviewed excerpt.
    """
    if order not in ORDERS:
        raise SuggestError(f"unknown review order {order!r}", hint=f"use one of {', '.join(ORDERS)}")
    reviewed: list[int] = []
    left = np.ones(len(pool), dtype=bool)
    counts = {"accepted": 0, "rejected": 0, "added": 0}
    sequence = transcript_order([int(r) for r in pool], corpus.docs.__getitem__) if order == "document" else []
    while len(reviewed) < min(n, len(pool)):
        idx = np.array(reviewed, dtype=int)
        engine.fit(corpus, idx, Y[idx] if len(idx) else np.zeros((0, Y.shape[1])))
        if on_fit:
            on_fit(engine.fit_seconds)
        cand = pool[left]
        take = min(batch, n - len(reviewed), len(cand))
        if order == "queue":
            S = engine.scores(corpus, cand)
            picks = smart_order(S, corpus.emb[cand], engine.head.n_pos, limit=take)
            rows, shown = cand[picks], engine.decide(S[picks])
        else:  # transcript order
            rows = np.array(sequence[len(reviewed):len(reviewed) + take], dtype=int)
            shown = engine.decide(engine.scores(corpus, rows))
        for k, row in enumerate(rows.tolist()):
            gold = Y[row] > 0
            acc, rej, add = int((shown[k] & gold).sum()), int((shown[k] & ~gold).sum()), int((~shown[k] & gold).sum())
            counts["accepted"] += acc
            counts["rejected"] += rej
            counts["added"] += add
            if shown_out is not None:
                shown_out.append((acc, rej, add))
            reviewed.append(row)
        left[np.searchsorted(pool, rows)] = False
    return reviewed, counts


def evaluate(
    gold: str | Path,
    codebook: str | Path | Codebook,
    *,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    seed: int = 0,
    embedder=None,
    batch: int = 10,
    order: str = "queue",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the protocol; returns the JSON-ready result (see the module docstring)."""
    say = progress or (lambda _m: None)
    t_all = time.perf_counter()
    if isinstance(codebook, Codebook):
        cb = codebook
    else:
        from qualcode.codebook_io import load_codebook

        cb = load_codebook(codebook)
    codes = cb.codable_codes()
    code_ids = [c.id for c in codes]
    rows = read_gold(gold)
    unknown = sorted({c for r in rows for c in r["codes"]} - set(code_ids))
    if unknown:
        raise SuggestError(f"gold codes not in the codebook: {unknown[:5]}", file=str(gold),
                           hint="use the codebook the gold file was coded with")
    if embedder is None:
        from qualcode.suggest.embedder import get_embedder

        embedder = get_embedder()
    Y = np.array([[c in r["codes"] for c in code_ids] for r in rows], dtype=np.float64)
    t0 = time.perf_counter()
    say(f"Embedding {len(rows)} excerpts ...")
    uniq = list(dict.fromkeys(r["text"] for r in rows))
    vecs = embedder.encode(uniq)
    pos = {t: i for i, t in enumerate(uniq)}
    emb = vecs[[pos[r["text"]] for r in rows]]
    embed_s = time.perf_counter() - t0
    corpus = gold_corpus(rows, emb)
    pool, test = split_documents(rows, seed)
    engine = Engine(codes, embedder).prepare(corpus)
    fit_times: list[float] = []
    budgets = sorted({int(b) for b in budgets})
    t0 = time.perf_counter()
    say(f"Simulating the coder on {len(pool)} pool excerpts ...")
    shown: list[tuple[int, int, int]] = []
    reviewed, counts = simulate_queue(engine, corpus, pool, Y, max(budgets), batch=batch, order=order,
                                      on_fit=fit_times.append, shown_out=shown)
    simulate_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    perm = pool[rng.permutation(len(pool))]
    out_budgets = []
    for b in budgets:
        b_eff = min(b, len(reviewed))
        idx = np.array(reviewed[:b_eff], dtype=int)
        engine.fit(corpus, idx, Y[idx] if b_eff else np.zeros((0, len(code_ids))))
        fit_times.append(engine.fit_seconds)
        S = engine.scores(corpus, test)
        pred = engine.decide(S)
        res = score(Y[test], pred, code_ids)
        cal = calibration(engine.probabilities(S), S, pred, Y[test])
        if b_eff:
            sample = perm[:b_eff]
            base_pred = baseline_predict(corpus.emb[sample], Y[sample].astype(int), corpus.emb[test])
        else:
            base_pred = np.zeros_like(pred)
        base = score(Y[test], base_pred, code_ids)
        out_budgets.append({"reviewed": b_eff, "macro_f1": res["macro_f1"], "micro_f1": res["micro_f1"],
                            "baseline_macro_f1": base["macro_f1"], "baseline_micro_f1": base["micro_f1"],
                            "per_code": res["per_code"], "calibration": cal, "model_id": engine.model_id})
        say(f"  {b_eff:>5} reviewed: macro-F1 {res['macro_f1']:.3f}  micro-F1 {res['micro_f1']:.3f}  "
            f"baseline macro-F1 {base['macro_f1']:.3f}  ECE {cal['ece']:.3f} (raw score {cal['ece_score']:.3f})")
    return {
        "n_pool": int(len(pool)),
        "n_test": int(len(test)),
        "seed": seed,
        "order": order,
        "model": embedder.model_id,
        "codes_present": [c for c in code_ids if Y[test][:, code_ids.index(c)].sum() > 0],
        "decisions": counts,
        "budgets": out_budgets,
        "reviewed_rows": [int(r) for r in reviewed],
        "session": session_curve(shown),
        "timing_s": {"embed": round(embed_s, 2), "simulate": round(simulate_s, 2),
                     "fit_mean": round(float(np.mean(fit_times)) if fit_times else 0.0, 4),
                     "fit_max": round(float(np.max(fit_times)) if fit_times else 0.0, 4),
                     "total": round(time.perf_counter() - t_all, 2)},
    }
