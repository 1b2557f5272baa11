"""Suggestions in a project: compute, order for review, learn, explain, discover themes.

The engine (qualcode.suggest) works on arrays; this module feeds it from the project:
embeddings through the project's cache (nothing is encoded twice), the coder's decisions
as training data, and suggestions back as pending rows (decided ones are never touched).

One engine per (project, coder, codebook, model) lives in this process. ``on_decision``
only marks it stale and relearns in a background thread, so the UI never waits.

>>> n = suggest_all(ctx, progress=lambda done, total: None)   # doctest: +SKIP
>>> review_queue(ctx, limit=10)                                # doctest: +SKIP
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from qualcode.core import Code, Suggestion
from qualcode.errors import SuggestError
from qualcode.services.project import ProjectContext
from qualcode.storage import audit
from qualcode.storage import codes as code_store
from qualcode.storage import coding as coding_store
from qualcode.storage import meta, training
from qualcode.suggest.corpus import Corpus, concat_corpus, make_corpus
from qualcode.suggest.discover import cluster_themes
from qualcode.suggest.engine import Engine
from qualcode.suggest.queue import smart_order

Progress = Callable[[int, int], None] | None
DEFAULT_THRESHOLD = 0.5

_embedder_override = None  # tests may install a fake embedder here (set_embedder)


def set_embedder(embedder) -> None:
    """Use another embedder in this process (tests use a tiny fake); None = the real one."""
    global _embedder_override
    _embedder_override = embedder
    _STATES.clear()


def embedder_for(ctx: ProjectContext):
    if _embedder_override is not None:
        return _embedder_override
    from qualcode.suggest.embedder import get_embedder

    model = None
    if ctx.project_dir is not None:
        from qualcode.config import get_setting

        model = get_setting("model", project_dir=ctx.project_dir)
    return get_embedder(model)


# -- embeddings through the project cache ----------------------------------------------------
def embed_rows(ctx: ProjectContext, rows: Sequence[dict[str, Any]], *, progress: Progress = None) -> np.ndarray:
    """Embeddings for excerpt rows: cached ones read, the others encoded and cached."""
    emb = embedder_for(ctx)
    hashes = [r["text_hash"] for r in rows]
    with ctx.session(readonly=True) as s:
        cached = training.cached_vectors(s, hashes, emb.model_id)
    missing: dict[str, str] = {}
    for r in rows:
        if r["text_hash"] not in cached:
            missing.setdefault(r["text_hash"], r["text"])
    if missing:
        vecs = emb.encode(list(missing.values()), progress=progress)
        new = {h: vecs[i].astype(np.float32).tobytes() for i, h in enumerate(missing)}
        with ctx.session() as s:
            training.store_vectors(s, new, emb.model_id, emb.dim)
        cached.update(new)
    elif progress:
        progress(len(rows), len(rows))
    if not rows:
        return np.zeros((0, emb.dim), dtype=np.float32)
    return np.vstack([np.frombuffer(cached[h], dtype=np.float32) for h in hashes])


def _corpus_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "doc": r["document_id"], "turn": r["turn_order"]} for r in rows]


# -- the per-process engine ------------------------------------------------------------------
@dataclass
class _State:
    engine: Engine
    corpus: Corpus
    row_of: dict[int, int]
    labels_sig: int = -1
    stale: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    prepared_rows: int = 0  # the engine was calibrated on the first this-many rows
    codes: list[Code] = field(default_factory=list)
    rev: tuple[int, int] = (-1, -1)  # training.corpus_revision when built or last extended
    row_keys: list[tuple] = field(default_factory=list)  # _row_keys of its corpus, in order


_STATES: dict[tuple, _State] = {}
_STATES_LOCK = threading.Lock()


def _codebook_sig(codes: list[Code]) -> int:
    return hash(tuple((c.id, c.name, c.definition, tuple(c.include), tuple(c.exclude), tuple(c.examples),
                       tuple(c.counterexamples), tuple(c.keywords)) for c in codes))


def _row_keys(rows: list[dict[str, Any]]) -> list[tuple]:
    """What the engine's corpus depends on, per excerpt (a role, codable or text change shows)."""
    return [(r["id"], r["document_id"], r["text_hash"], r["codable"], r["role"], r["speaker"], r["turn_order"])
            for r in rows]


def _load_state(ctx: ProjectContext, *, progress: Progress = None) -> _State:
    """The engine for this project/coder with a corpus of every excerpt (embedded).

    Kept in this process and reused while the project's corpus revision (the last audit event
    on documents, speakers or the project, and the number of excerpts) is unchanged. After
    imports only, the new documents are added (``_extend``); after anything else (a role or
    codable change, de-identification, a deletion) the excerpts are reread and, if they changed,
    the state is rebuilt, so no stale text (say, a name removed by de-identification) survives.
    """
    with ctx.session(readonly=True) as s:
        codes = code_store.load_codebook(s, include_retired=False).codable_codes()
        rev = training.corpus_revision(s)
    if not codes:
        raise SuggestError("the codebook has no codable codes", hint="add codes on the Codebook page")
    emb = embedder_for(ctx)
    key = (ctx.db.url, ctx.coder, emb.model_id, _codebook_sig(codes))
    with _STATES_LOCK:
        st = _STATES.get(key)
    if st is not None and st.rev == rev:
        return st
    if st is not None and _extend(ctx, st, progress):
        return st
    with ctx.session(readonly=True) as s:  # the revision again, in the rows' own snapshot
        rev = training.corpus_revision(s)
        rows = training.excerpt_rows(s)
    keys = _row_keys(rows)
    if st is not None and st.row_keys == keys:  # e.g. an attribute was set: nothing to redo
        st.rev = rev
        return st
    vecs = embed_rows(ctx, rows, progress=progress)
    corpus = make_corpus(_corpus_rows(rows), vecs)
    engine = Engine(codes, emb).prepare(corpus)
    st = _State(engine=engine, corpus=corpus, row_of={r["id"]: i for i, r in enumerate(rows)},
                prepared_rows=len(rows), codes=codes, rev=rev, row_keys=keys)
    with _STATES_LOCK:
        for k in [k for k in _STATES if k[:3] == key[:3]]:
            _STATES.pop(k)
        _STATES[key] = st
    return st


def _extend(ctx: ProjectContext, st: _State, progress: Progress) -> bool:
    """Add newly imported documents to a live state without recomputing the rest.

    Only when every corpus event since the state was built is the import of a document it has
    never seen and the old excerpts are all still there (their count adds up): the new rows
    are embedded and appended, and the engine keeps its calibration and fitted model
    (``Engine.extend``); the next background relearn re-calibrates on the whole project.
    Returns whether the state was extended (else the caller rebuilds it).
    """
    with ctx.session(readonly=True) as s:
        events = training.corpus_events(s, st.rev[0])
        if not events or any((a, e) != ("import", "document") for a, e, _ in events):
            return False
        docs = sorted({int(i) for _, _, i in events})
        now = training.corpus_revision(s)
        new = training.excerpt_rows(s, document_ids=docs)
    if set(docs) & set(st.corpus.docs) or not new or now[1] != len(st.row_of) + len(new):
        return False
    vecs = embed_rows(ctx, new, progress=progress)
    part = make_corpus(_corpus_rows(new), vecs)
    with st.lock:
        old = st.corpus
        corpus = concat_corpus(old, part)
        st.engine.extend(old, corpus)
        st.row_of.update({r["id"]: len(old) + i for i, r in enumerate(new)})
        st.corpus, st.rev = corpus, now
        st.row_keys = st.row_keys + _row_keys(new)
    return True


def _labels(ctx: ProjectContext, st: _State) -> tuple[np.ndarray, np.ndarray]:
    with ctx.session(readonly=True) as s:
        labels = training.coder_labels(s, ctx.coder_id(s))
    ids = [e for e in sorted(labels) if e in st.row_of]
    idx = np.array([st.row_of[e] for e in ids], dtype=int)
    code_pos = {c: j for j, c in enumerate(st.engine.code_ids)}
    Y = np.zeros((len(ids), len(code_pos)))
    for k, e in enumerate(ids):
        for c in labels[e]:
            if c in code_pos:
                Y[k, code_pos[c]] = 1.0
    return idx, Y


def _fitted(ctx: ProjectContext, st: _State, *, recalibrate: bool = False) -> Engine:
    """The engine, refitted on the coder's decisions if they changed (under the lock).

    ``recalibrate`` (background only): if documents were added since the engine was calibrated,
    build a new engine calibrated on the whole corpus and swap it in.
    """
    if recalibrate and st.prepared_rows < len(st.corpus) and st.codes:
        # Built outside the lock (seconds on a large project: nobody waits for it) as a new
        # object (a suggestion run may be scoring with the old one), then swapped in.
        with st.lock:
            corpus, (idx, Y) = st.corpus, _labels(ctx, st)
        engine = Engine(st.codes, st.engine.embedder).inherit(st.engine).prepare(corpus).fit(corpus, idx, Y)
        with st.lock:
            if st.corpus is corpus:  # not extended again meanwhile
                st.engine, st.prepared_rows = engine, len(corpus)
                st.labels_sig = hash((idx.tobytes(), Y.tobytes()))
    with st.lock:
        idx, Y = _labels(ctx, st)
        sig = hash((idx.tobytes(), Y.tobytes()))
        if sig != st.labels_sig:
            st.engine.fit(st.corpus, idx, Y)
            st.labels_sig = sig
        st.stale = False
        return st.engine


def engine_for(ctx: ProjectContext, *, progress: Progress = None) -> tuple[Engine, _State]:
    st = _load_state(ctx, progress=progress)
    return _fitted(ctx, st), st


def on_decision(ctx: ProjectContext, **_ignored: Any) -> None:
    """Call after every accept, reject or manual coding: cheap, never blocks.

    Marks this coder's engine stale and relearns in a background thread (one at a time);
    the next queue or suggestion run uses the new model.
    """
    with _STATES_LOCK:
        states = [st for k, st in _STATES.items() if k[0] == ctx.db.url and k[1] == ctx.coder]
    for st in states:
        st.stale = True
        if st.thread is not None and st.thread.is_alive():
            continue

        def relearn(st=st) -> None:
            try:
                while st.stale:
                    _fitted(ctx, st, recalibrate=True)
            except Exception:  # noqa: BLE001 - background learning must never crash the app
                st.stale = False

        st.thread = threading.Thread(target=relearn, name="qualcode-relearn", daemon=True)
        st.thread.start()


def wait_for_learning(ctx: ProjectContext, timeout: float = 30.0) -> None:
    """Block until background relearning is done (tests, CLI)."""
    with _STATES_LOCK:
        states = [st for k, st in _STATES.items() if k[0] == ctx.db.url and k[1] == ctx.coder]
    for st in states:
        if st.thread is not None:
            st.thread.join(timeout)


# -- suggestions -----------------------------------------------------------------------------
def default_threshold(ctx: ProjectContext) -> float:
    """The score from which a suggestion is shown (0.5 = each code's tuned threshold)."""
    with ctx.session(readonly=True) as s:
        value = meta.get_setting(s, "threshold")
    try:
        return float(value) if value is not None else DEFAULT_THRESHOLD
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


def _suggest(ctx: ProjectContext, document_ids: list[int] | None, progress: Progress) -> int:
    engine, st = engine_for(ctx, progress=progress)
    threshold = default_threshold(ctx)
    wanted = None if document_ids is None else set(document_ids)
    rows = [i for i in range(len(st.corpus)) if wanted is None or st.corpus.docs[i] in wanted]
    with ctx.session(readonly=True) as s:
        cid = ctx.coder_id(s)
        reviewed = training.reviewed_by(s, cid)
        ex_ids = [st.corpus.ids[i] for i in rows]
        blocked = training.blocked_pairs(s, ex_ids, cid)
    rows = [i for i in rows if st.corpus.ids[i] not in reviewed]
    skip = {(st.row_of[e], c) for e, c in blocked}
    proposals = engine.suggest(st.corpus, np.array(rows, dtype=int), threshold=threshold, skip=skip)
    sugg = [Suggestion(excerpt_id=st.corpus.ids[p.row], code_id=p.code_id, score=p.score,
                       model_id=engine.model_id, explanation=p.explanation) for p in proposals]
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, sugg, replace_pending_for=[st.corpus.ids[i] for i in rows])
    return len(sugg)


def suggest_document(ctx: ProjectContext, doc_id: int, *, progress: Progress = None) -> int:
    """Compute pending suggestions for one document; returns how many are pending for it.

    Excerpts this coder already reviewed and decided (code, excerpt) pairs are left alone.
    """
    with ctx.session(readonly=True) as s:
        from qualcode.storage.documents import resolve_document

        doc_id = resolve_document(s, doc_id)
    return _suggest(ctx, [doc_id], progress)


def suggest_all(ctx: ProjectContext, *, progress: Progress = None) -> int:
    """Compute pending suggestions for every document; returns how many are pending."""
    return _suggest(ctx, None, progress)


def review_queue(ctx: ProjectContext, *, document_id: int | None = None, order: str = "smart",
                 limit: int = 50) -> list[int]:
    """Excerpt ids to review next (not yet reviewed by this coder, codable ones).

    ``order="smart"``: what teaches the model most and covers the codebook (uncertainty,
    coverage of codes with few examples, diversity); ``"document"``: transcript order.
    """
    if order not in ("smart", "document"):
        raise SuggestError(f"unknown queue order {order!r}", hint="use smart or document")
    if order == "document":
        with ctx.session(readonly=True) as s:
            rows = training.excerpt_rows(s, document_ids=[document_id] if document_id is not None else None)
            reviewed = training.reviewed_by(s, ctx.coder_id(s))
        return [r["id"] for r in rows if r["codable"] and r["id"] not in reviewed][:limit]
    engine, st = engine_for(ctx)
    with ctx.session(readonly=True) as s:
        reviewed = training.reviewed_by(s, ctx.coder_id(s))
    cand = np.array([i for i in range(len(st.corpus)) if st.corpus.codable[i]
                     and st.corpus.ids[i] not in reviewed
                     and (document_id is None or st.corpus.docs[i] == document_id)], dtype=int)
    if len(cand) == 0:
        return []
    S = engine.scores(st.corpus, cand)
    picks = smart_order(S, st.corpus.emb[cand], engine.head.n_pos, limit=limit)
    return [st.corpus.ids[int(cand[k])] for k in picks]


def explain(ctx: ProjectContext, suggestion_id: int) -> dict[str, Any]:
    """Why a suggestion was made: score, matched keywords, nearest example or accepted excerpt."""
    with ctx.session(readonly=True) as s:
        row = coding_store.get_suggestion(s, suggestion_id)
        code = code_store.load_codebook(s).get(row.code_id)
        out = dict(row.explanation or {})
        out.setdefault("score", round(float(row.score), 4))
        out["code"] = code.name if code else row.code_id
        out["status"] = row.status
        out["model"] = row.model_id
    return out


# -- discovery -------------------------------------------------------------------------------
def discover_themes(ctx: ProjectContext, *, min_size: int = 5, max_themes: int = 8,
                    min_words: int = 6) -> list[dict[str, Any]]:
    """Candidate themes from codable excerpts that no coding or pending suggestion covers.

    Each theme: label, keywords, quotes (representative excerpts), excerpt_ids, size.
    """
    with ctx.session(readonly=True) as s:
        rows = [r for r in training.excerpt_rows(s) if r["codable"] and len(r["text"].split()) >= min_words]
        covered = training.coded_excerpts(s) | set(training.pending_by_excerpt(s, [r["id"] for r in rows]))
    rows = [r for r in rows if r["id"] not in covered]
    if len(rows) < min_size:
        return []
    vecs = embed_rows(ctx, rows)
    return cluster_themes([r["text"] for r in rows], vecs, [r["id"] for r in rows],
                          min_size=min_size, max_themes=max_themes)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "theme"


def promote_theme(ctx: ProjectContext, theme: dict[str, Any] | Any, *, code_id: str | None = None,
                  name: str | None = None) -> str:
    """Turn a discovered theme into a new code (examples from its quotes); audited.

    Returns the new code's id.
    """
    d = theme if isinstance(theme, dict) else vars(theme)
    keywords = list(d.get("keywords") or [])
    name = (name or "").strip() or (keywords[0].title() if keywords else "New theme")
    quotes = [q if isinstance(q, str) else str(q.get("text", q)) for q in (d.get("quotes") or d.get("examples") or [])]
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        cb = code_store.load_codebook(s)
        base = code_id or _slug(name)
        new_id, k = base, 2
        if code_id and cb.get(code_id) is not None:
            raise SuggestError(f"a code {code_id!r} already exists", hint="choose another id")
        while cb.get(new_id) is not None:
            new_id, k = f"{base}_{k}", k + 1
        code = Code(id=new_id, name=name, definition=f"Discovered theme: {', '.join(keywords[:6])}.",
                    examples=quotes[:3], keywords=keywords[:5])
        code_store.save_code(s, code)
        audit.record(s, "code_add", "code", new_id, coder_id=cid, before=None,
                     after={"id": new_id, "name": name, "definition": code.definition,
                            "examples": code.examples, "keywords": code.keywords, "source": "discovery"})
    return new_id

