"""The evaluation protocol through a real project and the services the app calls (``--live``).

Same protocol and JSON as the in-memory one (``qualcode.suggest.evaluate``), but what is
measured is what the Code page shows:

1. The gold rows are stored as documents in a new project (SQLite) whose excerpts are
   exactly the gold rows (a turn is a run of rows by one speaker; speaker labels become
   distinct roles, all of them coded), with the gold's codebook.
2. The same seeded document split: the first half is the coding pool, the second the test.
3. A simulated coder takes the next excerpts from ``services.suggest.review_queue`` (pool
   documents only; ``order="queue"``, the Code page's *Review queue*) or the next excerpts of
   the pool documents in transcript order (``order="document"``: each transcript read top to
   bottom in the default *Transcript* view), reads the PENDING SUGGESTIONS STORED for each,
   accepts those in the gold and rejects the others, adds the missed gold codes, or says "nothing here", all through
   ``services.coding`` as the app's buttons do. After every ``batch`` excerpts it calls the
   app's hook (``services.suggest.on_decision``: relearn, then re-score and replace the
   stored pending suggestions) and waits for it (``wait_for_learning``), so the run is
   deterministic; ``batch=1`` is the app after every excerpt.
4. At each budget the test half's STORED pending suggestions are scored (per code, macro
   and micro F1, as in memory), beside the same logistic-regression baseline; ``model_ids``:
   the models that made them (one, after the refresh), ``reviewed_rows``: the gold rows in
   the order the coder reviewed them. Both paths train on the decisions in the order they
   were made, so on the same rows they review the same excerpts in the same order and the
   test half gets suggestions from the same model (``model_id`` in memory).
5. ``session``: per window of 100 reviewed excerpts, precision, recall and F1 of the
   suggestions the coder was shown (accepted = right, rejected = wrong, added = missed).

>>> result = evaluate_live("gold.csv", "codebook.yaml", budgets=[0, 100])  # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from qualcode.core import Document, Excerpt, Role, Speaker, Turn
from qualcode.errors import SuggestError
from qualcode.services import coding, ingest
from qualcode.services import suggest as suggest_svc
from qualcode.services.project import ProjectContext, init_project
from qualcode.storage import audit, documents, training
from qualcode.storage import coding as coding_store
from qualcode.suggest.evaluate import (DEFAULT_BUDGETS, ORDERS, baseline_predict, read_gold, score,
                                       session_curve, split_documents, transcript_order)

CODER = "simulated-coder"
ROLES = (Role.PARTICIPANT, Role.UNKNOWN, Role.FACILITATOR, Role.INTERVIEWER)


def gold_documents(rows: Sequence[dict[str, Any]]) -> tuple[list[tuple[Document, list[int]]], dict[str, str]]:
    """Gold rows -> documents (first-appearance order) whose excerpts are exactly the rows,
    with the gold row index of each excerpt; and the role given to each speaker label."""
    labels = sorted({r["speaker"] for r in rows})
    if len(labels) > len(ROLES):
        raise SuggestError(f"the gold has {len(labels)} speaker labels; --live maps each to a role and "
                           f"there are {len(ROLES)}", hint="use the in-memory evaluation for this gold file")
    role_of = {lab: ROLES[k].value for k, lab in enumerate(labels)}
    by_doc: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_doc.setdefault(r["document"], []).append(i)
    out = []
    for name, idx in by_doc.items():
        text, turns, excerpts, prev = "", [], [], None
        for k, i in enumerate(idx):
            r = rows[i]
            if text:
                text += "\n"
            start = len(text)
            text += r["text"]
            if r["speaker"] != prev:
                turns.append(Turn(speaker=r["speaker"], order=len(turns), start=start, end=len(text)))
                prev = r["speaker"]
            else:
                turns[-1].end = len(text)
            excerpts.append(Excerpt(start=start, end=len(text), text=r["text"], turn_order=len(turns) - 1,
                                    order=k, codable=True))
        labels_here = dict.fromkeys(rows[i]["speaker"] for i in idx)
        speakers = [Speaker(label=lab, role=Role(role_of[lab])) for lab in labels_here]
        out.append((Document(name=name, text=text, source_filename=f"{name}.gold", format="gold",
                             speakers=speakers, turns=turns, excerpts=excerpts), idx))
    return out, role_of


def build_project(project_dir: Path, gold: str | Path,
                  codebook: str | Path) -> tuple[ProjectContext, list[dict], dict[int, int]]:
    """A new project holding the gold rows as documents; returns (ctx, rows, row -> excerpt id)."""
    rows = read_gold(gold)
    ctx = init_project(project_dir, codebook=codebook, coder=CODER, name="live evaluation")
    docs, role_of = gold_documents(rows)
    ingest.set_codable_roles(ctx, sorted(set(role_of.values())))
    excerpt_of: dict[int, int] = {}
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        for doc, idx in docs:
            doc_id = documents.add_document(s, doc, coder_id=cid)
            audit.record(s, "import", "document", doc_id, coder_id=cid,
                         after={"name": doc.name, "format": "gold", "excerpts": len(doc.excerpts)})
            stored = [r["id"] for r in training.excerpt_rows(s, document_ids=[doc_id])]
            excerpt_of.update(zip(idx, stored))
    return ctx, rows, excerpt_of


def _pending_codes(ctx: ProjectContext, excerpt_ids: Sequence[int],
                   models: set[str] | None = None) -> dict[int, list[tuple[int, str]]]:
    """Stored pending suggestions (suggestion id, code) per excerpt: what the Code page shows;
    the model ids that made them are added to ``models``."""
    out: dict[int, list[tuple[int, str]]] = {}
    with ctx.session(readonly=True) as s:
        for sg in coding_store.list_suggestions(s, status="pending", excerpt_ids=list(excerpt_ids)):
            out.setdefault(sg.excerpt_id, []).append((sg.id, sg.code_id))
            if models is not None:
                models.add(sg.model_id)
    return out


def evaluate_live(
    gold: str | Path,
    codebook: str | Path,
    *,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    seed: int = 0,
    batch: int = 10,
    order: str = "queue",
    project_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the protocol through a project database and the app's services (module docstring).

    ``project_dir``: keep the project there (it must not exist); default: a temporary one.
    """
    say = progress or (lambda _m: None)
    if order not in ORDERS:
        raise SuggestError(f"unknown review order {order!r}", hint=f"use one of {', '.join(ORDERS)}")
    t_all = time.perf_counter()
    tmp = None
    if project_dir is None:
        tmp = tempfile.mkdtemp(prefix="qualcode-live-eval-")
        project_dir = Path(tmp) / "project"
    try:
        return _run(Path(project_dir), gold, codebook, budgets, seed, batch, order, say, t_all)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(project_dir: Path, gold, codebook, budgets, seed: int, batch: int, order: str, say,
         t_all: float) -> dict[str, Any]:
    say("Storing the gold rows as documents ...")
    ctx, rows, excerpt_of = build_project(project_dir, gold, codebook)
    try:
        with ctx.session(readonly=True) as s:
            from qualcode.storage import codes as code_store

            code_ids = [c.id for c in code_store.load_codebook(s, include_retired=False).codable_codes()]
        unknown = sorted({c for r in rows for c in r["codes"]} - set(code_ids))
        if unknown:
            raise SuggestError(f"gold codes not in the codebook: {unknown[:5]}", file=str(gold),
                               hint="use the codebook the gold file was coded with")
        Y = np.array([[c in r["codes"] for c in code_ids] for r in rows], dtype=np.float64)
        gold_of = {excerpt_of[i]: set(r["codes"]) for i, r in enumerate(rows)}
        row_of = {e: i for i, e in excerpt_of.items()}  # excerpt id -> gold row
        pool, test = split_documents(rows, seed)
        with ctx.session(readonly=True) as s:
            doc_of = {r["id"]: r["document_id"] for r in training.excerpt_rows(s)}
        pool_docs = sorted({doc_of[excerpt_of[int(i)]] for i in pool})
        test_ids = [excerpt_of[int(i)] for i in test]
        in_order = [excerpt_of[i] for i in transcript_order([int(i) for i in pool], lambda i: rows[i]["document"])]

        t0 = time.perf_counter()
        say(f"Embedding {len(rows)} excerpts and storing the first suggestions ...")
        suggest_svc.refresh_suggestions(ctx)
        embed_s = time.perf_counter() - t0
        with ctx.session(readonly=True) as s:
            ex_rows = training.excerpt_rows(s)
        emb_by_id = dict(zip([r["id"] for r in ex_rows], suggest_svc.embed_rows(ctx, ex_rows)))
        E = np.vstack([emb_by_id[excerpt_of[i]] for i in range(len(rows))])

        budgets = sorted({int(b) for b in budgets})
        n_max = min(max(budgets), len(pool))
        rng = np.random.default_rng(seed)
        perm = pool[rng.permutation(len(pool))]
        reviewed: list[int] = []
        shown: list[tuple[int, int, int]] = []  # per reviewed excerpt: accepted, rejected, added
        counts = {"accepted": 0, "rejected": 0, "added": 0}
        out_budgets, learn_times = [], []
        t_sim = 0.0
        for b in budgets:
            b_eff = min(b, len(pool))
            t0 = time.perf_counter()
            while len(reviewed) < b_eff:
                take = min(batch, b_eff - len(reviewed))
                if order == "queue":
                    queue = suggest_svc.review_queue(ctx, document_ids=pool_docs, limit=take)
                else:  # the pool's excerpts in transcript order, document after document
                    queue = in_order[len(reviewed):len(reviewed) + take]
                if not queue:
                    break
                pending = _pending_codes(ctx, queue)
                for ex in queue:
                    want = gold_of[ex]
                    acc = rej = 0
                    for sid, code in pending.get(ex, []):
                        if code in want:
                            coding.accept_suggestion(ctx, sid)
                            acc += 1
                        else:
                            coding.reject_suggestion(ctx, sid)
                            rej += 1
                    missed = sorted(want - {c for _, c in pending.get(ex, [])})
                    for code in missed:
                        coding.add_coding(ctx, ex, code)
                    if not want and not rej:
                        coding.nothing_here(ctx, ex)
                    shown.append((acc, rej, len(missed)))
                    reviewed.append(ex)
                t1 = time.perf_counter()
                suggest_svc.on_decision(ctx, document_id=doc_of[queue[-1]])  # the app's hook
                suggest_svc.wait_for_learning(ctx, timeout=600)
                learn_times.append(time.perf_counter() - t1)
            t_sim += time.perf_counter() - t0
            b_eff = len(reviewed)
            models: set[str] = set()
            pend = _pending_codes(ctx, test_ids, models)
            pos = {c: j for j, c in enumerate(code_ids)}
            pred = np.zeros((len(test_ids), len(code_ids)), dtype=bool)
            for k, ex in enumerate(test_ids):
                for _, code in pend.get(ex, []):
                    pred[k, pos[code]] = True
            res = score(Y[test], pred, code_ids)
            if b_eff:
                sample = perm[:b_eff]
                base_pred = baseline_predict(E[sample], Y[sample].astype(int), E[test])
            else:
                base_pred = np.zeros_like(pred)
            base = score(Y[test], base_pred, code_ids)
            out_budgets.append({"reviewed": b_eff, "macro_f1": res["macro_f1"], "micro_f1": res["micro_f1"],
                                "baseline_macro_f1": base["macro_f1"], "baseline_micro_f1": base["micro_f1"],
                                "per_code": res["per_code"], "model_ids": sorted(models)})
            say(f"  {b_eff:>5} reviewed: macro-F1 {res['macro_f1']:.3f}  micro-F1 {res['micro_f1']:.3f}  "
                f"baseline macro-F1 {base['macro_f1']:.3f}  (live)")
        for a, r_, m in shown:
            counts["accepted"] += a
            counts["rejected"] += r_
            counts["added"] += m
        status = suggest_svc.learning_status(ctx)
        return {
            "mode": "live",
            "n_pool": int(len(pool)),
            "n_test": int(len(test)),
            "seed": seed,
            "order": order,
            "batch": batch,
            "model": status["model"].split("/")[0] if status["model"] else "",
            "codes_present": [c for c in code_ids if Y[test][:, code_ids.index(c)].sum() > 0],
            "decisions": counts,
            "budgets": out_budgets,
            "reviewed_rows": [row_of[ex] for ex in reviewed],
            "session": session_curve(shown),
            "timing_s": {"embed": round(embed_s, 2), "simulate": round(t_sim, 2),
                         "learn_refresh_mean": round(float(np.mean(learn_times)) if learn_times else 0.0, 4),
                         "learn_refresh_max": round(float(np.max(learn_times)) if learn_times else 0.0, 4),
                         "total": round(time.perf_counter() - t_all, 2)},
            "n_max": n_max,
        }
    finally:
        ctx.close()
