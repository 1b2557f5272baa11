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

import atexit
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any, Callable, Sequence

import numpy as np

from qualcode.core import Code, Suggestion, learned_from, text_hash
from qualcode.core.text import plural
from qualcode.errors import SuggestError
from qualcode.services.project import ProjectContext
from qualcode.storage import codes as code_store
from qualcode.storage import coding as coding_store
from qualcode.storage import meta, training
from qualcode.suggest.corpus import Corpus, concat_corpus, make_corpus
from qualcode.suggest.discover import cluster_themes
from qualcode.suggest.engine import Engine
from qualcode.suggest.queue import smart_order

Progress = Callable[[int, int], None] | None
DEFAULT_THRESHOLD = 0.5
WRITE_CHUNK = 150  # excerpts per write transaction of a refresh (a coder's accept waits for one)
WRITE_PAUSE_S = 0.05  # between them, so that a waiting accept gets the write lock
WARM_IDLE_S = 3.0  # the Code page left alone this long: compute the learned features ahead

log = logging.getLogger(__name__)
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

    return get_embedder(project_dir=ctx.project_dir)


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


def prime_clauses(ctx: ProjectContext, corpus: Corpus) -> None:
    """Embed the clauses of the corpus's multi-clause excerpts (the cold prior scores an excerpt
    by its best clause too: ``suggest.prior.clauses``) through the project's cache, and hand
    them to the engine's in-process memory, so a restarted app does not encode them again."""
    from qualcode.suggest.embedder import remember
    from qualcode.suggest.prior import clauses

    texts = list(dict.fromkeys(c for t in corpus.texts for c in clauses(t)))
    if texts:
        vecs = embed_rows(ctx, [{"text": t, "text_hash": text_hash(t)} for t in texts])
        remember(embedder_for(ctx), texts, vecs)


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
    warming: threading.Thread | None = None  # computing the learned features (Engine.warm)
    codebook_rev: int = -1  # training.codebook_revision read with the codes of the latest _load_state


_STATES: dict[tuple, _State] = {}
_STATES_LOCK = threading.Lock()


def _codebook_sig(codes: list[Code]) -> int:
    return hash(tuple((c.id, c.parent, c.name, c.definition, tuple(c.include), tuple(c.exclude), tuple(c.examples),
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
        cb_rev = training.codebook_revision(s)  # what the suggestions it makes are made with
    if not codes:
        raise SuggestError("the codebook has no codable codes", hint="add codes on the Codebook page")
    emb = embedder_for(ctx)
    key = (ctx.db.url, ctx.coder, emb.model_id, _codebook_sig(codes))
    with _STATES_LOCK:
        st = _STATES.get(key)
    if st is not None and st.rev == rev:
        st.codebook_rev = cb_rev
        return st
    if st is not None and _extend(ctx, st, progress):
        st.codebook_rev = cb_rev
        return st
    with ctx.session(readonly=True) as s:  # the revision again, in the rows' own snapshot
        rev = training.corpus_revision(s)
        rows = training.excerpt_rows(s)
    keys = _row_keys(rows)
    if st is not None and st.row_keys == keys:  # e.g. an attribute was set: nothing to redo
        st.rev, st.codebook_rev = rev, cb_rev
        return st
    vecs = embed_rows(ctx, rows, progress=progress)
    corpus = make_corpus(_corpus_rows(rows), vecs)
    prime_clauses(ctx, corpus)
    engine = Engine(codes, emb).prepare(corpus)
    st = _State(engine=engine, corpus=corpus, row_of={r["id"]: i for i, r in enumerate(rows)},
                prepared_rows=len(rows), codes=codes, rev=rev, row_keys=keys, codebook_rev=cb_rev)
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
    prime_clauses(ctx, part)
    with st.lock:
        old = st.corpus
        corpus = concat_corpus(old, part)
        st.engine.extend(old, corpus)
        st.row_of.update({r["id"]: len(old) + i for i, r in enumerate(new)})
        st.corpus, st.rev = corpus, now
        st.row_keys = st.row_keys + _row_keys(new)
    return True


def _labels(ctx: ProjectContext, st: _State) -> tuple[np.ndarray, np.ndarray]:
    """The coder's decisions as training rows: 1 = coded, 0 = decided without it, NaN = an
    excerpt finished before that code was added and not looked at for it since (walk 19: a code
    added mid-way learned the coder's earlier excerpts as counter-examples, its own among them)."""
    with ctx.session(readonly=True) as s:
        cid = ctx.coder_id(s)
        labels = training.coder_labels(s, cid)
        late = training.unconsidered(s, [cid]).get(cid, {})
    ids = [e for e in labels if e in st.row_of]  # in decision order (the latest last)
    idx = np.array([st.row_of[e] for e in ids], dtype=int)
    code_pos = {c: j for j, c in enumerate(st.engine.code_ids)}
    Y = np.zeros((len(ids), len(code_pos)))
    at = {e: k for k, e in enumerate(ids)}
    for code, excerpts in late.items():
        if code in code_pos:
            for e in excerpts:
                if e in at:
                    Y[at[e], code_pos[code]] = np.nan
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


# -- live learning: relearn, then refresh the stored suggestions ------------------------------
@dataclass
class _Live:
    """One coder's background worker in this process: what was asked and what is done.

    ``wanted`` counts requests (decisions, codebook changes, refresh buttons); the worker runs
    until ``done`` catches up, relearning and then re-scoring the coder's unreviewed excerpts.
    """

    wanted: int = 0
    done: int = 0
    request: dict[str, Any] = field(default_factory=dict)
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    busy: str = ""  # "" | "learning" | "refreshing"
    progress: tuple[int, int] = (0, 0)
    updated_at: float | None = None  # time.time() of the last finished refresh
    model_id: str = ""
    codebook_rev: int = -1  # training.codebook_revision the last refresh saw
    codebook_gen: int = 0   # the request a codebook change made (its refresh is "for the codebook")
    error: str = ""


_LIVE: dict[tuple, _Live] = {}


def _live(ctx: ProjectContext) -> _Live:
    key = (ctx.db.url, ctx.coder)
    with _STATES_LOCK:
        return _LIVE.setdefault(key, _Live())


def _kick(ctx: ProjectContext, *, document_id: int | None, exclude: Sequence[int], refresh: bool,
          warm: bool = False, only: bool = False) -> None:
    """Ask for a relearn (and a refresh); start the worker unless it runs already (never blocks).
    ``only``: the refresh re-scores ``document_id`` alone (unless a waiting request wants more)."""
    live = _live(ctx)
    with live.lock:
        waiting = live.done < live.wanted and bool(live.request.get("refresh"))  # not dropped by a merge
        live.wanted += 1
        only = only and refresh and (not waiting or bool(live.request.get("only")))
        live.request = {"document_id": document_id, "exclude": tuple(int(e) for e in exclude if e is not None),
                        "refresh": refresh or waiting, "warm": warm and not waiting, "only": only}
        if live.thread is not None and live.thread.is_alive():
            return
        live.thread = threading.Thread(target=_work, args=(ctx, live), name="qualcode-relearn", daemon=True)
        live.thread.start()


def _work(ctx: ProjectContext, live: _Live) -> None:
    while True:
        with live.lock:
            if live.done >= live.wanted:
                live.thread, live.busy = None, ""
                return
            gen, req = live.wanted, dict(live.request)
        try:
            live.busy, live.error = ("loading" if req.get("warm") else "learning"), ""
            st = _load_state(ctx)
            engine = _fitted(ctx, st, recalibrate=True)
            if not req.get("refresh"):  # with a refresh, the line names the new model once its
                live.model_id = engine.model_id  # suggestions are written (walk 24: "learned from
                # your decisions on 1 excerpt, updated 78 s ago", the suggestions shown being older)
            if req.get("warm"):  # the first learned fit then only fits (seconds, not tens)
                _warm_features(st)
            if req.get("refresh"):
                live.busy = "refreshing"
                _refresh(ctx, st, engine, document_id=req.get("document_id"), exclude=req.get("exclude", ()),
                         live=live, gen=gen, only=bool(req.get("only")))
        except Exception as exc:  # noqa: BLE001 - background learning must never crash the app
            if _EXITING.is_set():  # the interpreter is closing (see _join_workers): nothing to say
                return
            # ...but a failure is logged with its traceback, and shown on the Code page
            log.exception("background relearning failed for coder %r on %s; suggestions keep the previous model",
                          ctx.coder, ctx.label)
            live.error = str(exc) or type(exc).__name__
        with live.lock:
            live.done = max(live.done, gen)


def on_decision(ctx: ProjectContext, *, document_id: int | None = None, exclude: Sequence[int] = (),
                refresh: bool = True, **_ignored: Any) -> None:
    """Call after every accept, reject, manual coding, "nothing here" or undo: cheap, never blocks.

    In a background thread (one per coder; requests that arrive meanwhile are merged) the
    coder's model relearns on their decisions, then the coder's unreviewed excerpts are
    re-scored and their pending suggestions replaced (decided pairs are never touched):
    ``document_id``'s excerpts first, then the rest. ``exclude``: excerpt ids left as they are
    (the one open in front of the coder: its chips must not change under their eyes).

    >>> on_decision(ctx, document_id=3, exclude=[41])   # doctest: +SKIP
    >>> wait_for_learning(ctx)                          # doctest: +SKIP
    """
    with _STATES_LOCK:
        states = [st for k, st in _STATES.items() if k[0] == ctx.db.url and k[1] == ctx.coder]
    for st in states:
        st.stale = True
    _kick(ctx, document_id=document_id, exclude=exclude, refresh=refresh)


HOLD_S = 900.0  # an open excerpt is held this long after the coder's page last ran
_HELD: dict[tuple[str, str], tuple[int, float]] = {}  # (database, coder) -> (open excerpt, when)
_HELD_LOCK = threading.Lock()


def hold(ctx: ProjectContext, excerpt_id: int | None) -> None:
    """The excerpt open in front of this coder now (None: none). No refresh rewrites its chips,
    a colleague's included: suggestion rows are shared, and walk 13 saw new chips appear on the
    excerpt being decided while a colleague coded the same transcript. Held in this process
    (the app's server, one for a team); the Code page says it on each run."""
    with _HELD_LOCK:
        if excerpt_id is None:
            _HELD.pop((ctx.db.url, ctx.coder), None)
        else:
            _HELD[(ctx.db.url, ctx.coder)] = (int(excerpt_id), time.monotonic())


def held_open(ctx: ProjectContext) -> set[int]:
    """The excerpts coders of this project have open (see :func:`hold`), this coder's own
    included: a refresh requested before the coder moved on must not re-score the excerpt they
    moved to (walk 24: "99%" shown, A pressed, "49% accepted": the refresh of the previous
    decision had re-scored the next excerpt while it was on screen)."""
    now = time.monotonic()
    with _HELD_LOCK:
        return {e for (url, _coder), (e, at) in _HELD.items() if url == ctx.db.url and now - at < HOLD_S}


def request_refresh(ctx: ProjectContext, *, document_id: int | None = None, exclude: Sequence[int] = (),
                    only: bool = False) -> None:
    """Re-score the coder's unreviewed excerpts in the background (after a codebook change,
    when the coder moves on from an excerpt, or on demand); see :func:`on_decision`.
    ``only``: ``document_id``'s excerpts alone."""
    _kick(ctx, document_id=document_id, exclude=exclude, refresh=True, only=only)


def wait_for_learning(ctx: ProjectContext, timeout: float = 60.0) -> None:
    """Block until background relearning and refreshing (and the warm-up's feature pass) are
    done (tests, CLI, evaluation)."""
    live = _live(ctx)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with live.lock:
            t = live.thread
            if live.done >= live.wanted and (t is None or not t.is_alive()):
                with _STATES_LOCK:
                    warming = [st.warming for k, st in _STATES.items() if k[0] == ctx.db.url and k[1] == ctx.coder
                               and st.warming is not None and st.warming.is_alive()]
                if not warming:
                    return
                t = warming[0]
        if t is not None:
            t.join(max(0.0, min(1.0, deadline - time.monotonic())))
        else:
            time.sleep(0.01)


def _refresh(ctx: ProjectContext, st: _State, engine: Engine, *, document_id: int | None,
             exclude: Sequence[int] = (), live: _Live | None = None, gen: int = 0,
             progress: Progress = None, chunk: int = 1500, only: bool = False) -> int:
    """Re-score this coder's unreviewed excerpts and replace their pending suggestions.

    The open document first, then the rest in chunks (written ``WRITE_CHUNK`` excerpts per
    transaction, so that a coder's accept never waits long for SQLite's write lock); the rest
    stops early when a newer request is waiting (the worker redoes it).
    Reviewed excerpts, decided pairs, ``exclude`` and the excerpts coders have open
    (:func:`hold`, this coder's own included) are never touched; that is checked again inside
    each write transaction, so a decision made while scoring always wins.
    Once every part is written, the project remembers which codebook revision this coder's
    suggestions were made with (``training.set_suggested_with``: :func:`follow_codebook` reads it).
    ``only``: ``document_id``'s excerpts alone (nothing remembered then: the rest is as it was).
    """
    threshold = default_threshold(ctx)
    made_with = st.codebook_rev  # read with the engine's codes (_load_state)
    with ctx.session(readonly=True) as s:
        cid = ctx.coder_id(s)
        reviewed = training.reviewed_by(s, cid)
    skip = reviewed | {int(e) for e in exclude} | held_open(ctx)
    rows = [i for i in range(len(st.corpus)) if st.corpus.ids[i] not in skip
            and not (only and st.corpus.docs[i] != document_id)]
    first = [i for i in rows if st.corpus.docs[i] == document_id]
    rest = [i for i in rows if st.corpus.docs[i] != document_id]
    parts = ([first] if first else []) + [rest[k:k + chunk] for k in range(0, len(rest), chunk)]
    # progress counts the excerpts a coder would code (walk 8: "86 of 378" in a project of 241
    # codable excerpts read as nonsense); the interviewer's lines are still written (withdrawn)
    codable = st.corpus.codable
    total, done, stored = sum(bool(codable[i]) for i in rows), 0, 0
    if live is not None:
        live.progress = (0, total)
    for n, part in enumerate(parts):
        if live is not None and n and live.wanted > gen:
            return stored  # a newer decision: the worker relearns and starts again
        stored += _store_part(ctx, st, engine, part, threshold, cid)
        done += sum(bool(codable[i]) for i in part)
        if live is not None:
            live.progress = (done, total)
            if n == 0:
                live.updated_at, live.model_id = time.time(), engine.model_id
        if progress:
            progress(done, total)
    if made_with >= 0 and not only:
        with ctx.session() as s:
            _remember_codebook(s, ctx, made_with)
    if live is not None:
        live.updated_at, live.model_id = time.time(), engine.model_id
        if not only:
            live.codebook_rev = max(live.codebook_rev, made_with)
    return stored


def _remember_codebook(s, ctx: ProjectContext, made_with: int) -> None:
    """This coder's suggestions are now made with codebook revision ``made_with`` (kept in the
    project for :func:`follow_codebook`). A coder who has written nothing yet has no row to
    keep it for: the time of the newest suggestion speaks for them (see follow_codebook)."""
    cid = meta.find_coder(s, ctx.coder)
    if cid is not None and made_with >= 0:
        training.set_suggested_with(s, cid, made_with)


def _signed(ctx: ProjectContext, explanation: dict[str, Any]) -> dict[str, Any]:
    """A suggestion's explanation with the coder whose model made it (``model_of``): rows are
    shared, so the coder who sees it may be another (see :func:`why`)."""
    return {**explanation, "model_of": ctx.coder}


def _store_part(ctx: ProjectContext, st: _State, engine: Engine, rows: list[int], threshold: float,
                cid: int) -> int:
    with st.lock:  # a concurrent fit must not change the head while it scores
        proposals = engine.suggest(st.corpus, np.array(rows, dtype=int), threshold=threshold)
    by_excerpt: dict[int, list] = {}
    for p in proposals:
        by_excerpt.setdefault(int(st.corpus.ids[p.row]), []).append(p)
    ids = [int(st.corpus.ids[i]) for i in rows]
    stored = 0
    # Written in short transactions with a pause between them: SQLite has one writer, and a
    # coder's accept waits for the write in progress (measured on 20 documents at load 13:
    # an accept took 1.4 s at the median during a refresh written 1,500 excerpts at a time,
    # 0.09 s otherwise). Each write re-checks what the coder decided meanwhile.
    for k in range(0, len(ids), WRITE_CHUNK):
        if k:
            time.sleep(WRITE_PAUSE_S)
        part = ids[k:k + WRITE_CHUNK]
        with ctx.session() as s:
            reviewed = training.reviewed_by(s, cid)  # again, inside the write: decisions win
            held = held_open(ctx)  # and an excerpt opened meanwhile (a colleague's, or this coder's next)
            part = [e for e in part if e not in reviewed and e not in held]
            blocked = training.blocked_pairs(s, part, cid)
            sugg = [Suggestion(excerpt_id=e, code_id=p.code_id, score=p.score, model_id=engine.model_id,
                               explanation=_signed(ctx, p.explanation)) for e in part for p in by_excerpt.get(e, ())
                    if (e, p.code_id) not in blocked]
            coding_store.upsert_suggestions(s, sugg, replace_pending_for=part, blind=coding_store.blind_coder(s, cid))
        stored += len(sugg)
    return stored


def refresh_suggestions(ctx: ProjectContext, *, document_id: int | None = None, exclude: Sequence[int] = (),
                        progress: Progress = None) -> int:
    """Relearn now and re-score every unreviewed excerpt of this coder (the open document
    first); returns how many suggestions were stored. The "Refresh suggestions" button."""
    engine, st = engine_for(ctx, progress=progress)
    live = _live(ctx)
    n = _refresh(ctx, st, engine, document_id=document_id, exclude=exclude, progress=progress)
    live.updated_at, live.model_id = time.time(), engine.model_id
    live.codebook_rev = max(live.codebook_rev, st.codebook_rev)
    return n


def _warm_features(st: _State) -> None:
    """Compute the engine's learned features in a quiet background thread once the coder has
    left the page alone for ``WARM_IDLE_S`` (each call restarts the wait): not a request of the
    coder's worker, so the Code page does not show it as busy, and not while the coder is
    clicking or typing (the pass is Python-heavy and slowed the page's reruns under load)."""
    if st.warming is not None and st.warming.is_alive():
        if isinstance(st.warming, _Later) and not st.warming.started_run:
            st.warming.cancel()  # the coder is active: wait again
        else:
            return  # computing now

    def run() -> None:
        try:
            with st.lock:
                st.engine.warm(st.corpus)
        except Exception:  # noqa: BLE001 - only a head start: the first fit computes them anyway
            log.exception("computing the learned features ahead of the first decision failed")

    st.warming = _Later(WARM_IDLE_S, run)
    st.warming.start()


_EXITING = threading.Event()


def _join_workers(timeout: float = 30.0) -> None:
    """At exit, let this module's background threads end (a warm-up not begun is cancelled):
    a daemon thread still inside the model when the interpreter tears down aborts the process
    ("terminate called without an active exception", exit status 134; seen once in four runs of
    a short test session whose last page had started a warm-up). A model load under way then
    fails fast (the embedder's thread pool takes no new work after shutdown) and says nothing."""
    _EXITING.set()
    deadline = time.monotonic() + timeout
    for th in threading.enumerate():
        if th is threading.current_thread() or not th.name.startswith("qualcode-") or not th.is_alive():
            continue
        if isinstance(th, _Later) and not th.started_run:
            th.cancel()
        th.join(max(0.0, deadline - time.monotonic()))


atexit.register(_join_workers)


class _Later(threading.Timer):
    """A timer that says whether its function has started."""

    def __init__(self, interval: float, fn: Callable[[], None]) -> None:
        super().__init__(interval, self._go, args=(fn,))
        self.daemon, self.name, self.started_run = True, "qualcode-warm", False

    def _go(self, fn: Callable[[], None]) -> None:
        self.started_run = True
        fn()


def warm_up(ctx: ProjectContext) -> bool:
    """Load this coder's engine and compute its learned features in the background if this
    process has not yet (the Code page calls it), so that the first decision waits neither for
    the model to load nor for the first learned fit's feature pass. Returns whether a warm-up
    was started."""
    with _STATES_LOCK:
        states = [st for k, st in _STATES.items() if k[0] == ctx.db.url and k[1] == ctx.coder]
        live = _LIVE.get((ctx.db.url, ctx.coder))
    if live is not None and (live.done < live.wanted or live.error):
        return False  # busy (it will fit anyway), or failing (the Code page says why)
    if states and all(st.engine.is_warm(st.corpus) for st in states):
        return False
    if states:  # the model is loaded: only the features, quietly, once the coder pauses
        for st in states:
            _warm_features(st)
        return True
    _kick(ctx, document_id=None, exclude=(), refresh=False, warm=True)
    return True


def _codebook_rev(ctx: ProjectContext) -> int:
    with ctx.session(readonly=True) as s:
        return training.codebook_revision(s)


def follow_codebook(ctx: ProjectContext, *, document_id: int | None = None, exclude: Sequence[int] = ()) -> bool:
    """Start a background refresh if the codebook changed since this coder's suggestions were
    made (a code added, edited or promoted from discovery, by any coder in any process, gets
    suggestions at once). Returns whether a refresh was started.

    The project remembers per coder which codebook revision their last full refresh was made
    with (``training.suggested_with``); a coder who never had one follows a codebook changed
    after the newest stored suggestion (suggestions computed by anyone), and one with no stored
    suggestions at all computes them on the Code page first. Cheap on every page run: one query
    while the revision is one this process has already followed for the coder.
    """
    live = _live(ctx)
    rev = _codebook_rev(ctx)
    if rev == live.codebook_rev:
        return False
    with ctx.session(readonly=True) as s:
        made_with = training.suggested_with(s, ctx.coder_id(s))
        if made_with is None:
            newest = training.newest_suggestion(s)
            stale = bool(newest) and training.codebook_changed_after(s, newest["created_at"])
        else:
            stale = made_with < rev
    live.codebook_rev = max(live.codebook_rev, rev)
    if not stale:
        return False
    request_refresh(ctx, document_id=document_id, exclude=exclude)
    with live.lock:
        live.codebook_gen = live.wanted
    return True


def learning_status(ctx: ProjectContext, *, document_id: int | None = None) -> dict[str, Any]:
    """What the coder is getting, for the Code page: decisions learned from, when updated.

    ``{"learned_from": N or 0, "model": id, "colleague": bool (the stored suggestions come from a
    colleague's model, this coder's own has not run yet), "made_by": that colleague's name (None:
    not recorded), "others": [(name or None, N), ...] (with ``document_id``: colleagues' learned
    models whose suggestions the document's excerpts this coder has not reviewed still hold, when
    this coder's own model has run), "hidden": bool (instead of "others" under independent
    coding: such suggestions are there, not shown to this coder; their own model re-scores
    those excerpts), "updated_s": seconds ago or None, "busy": "" |
    "learning" | "refreshing", "progress": (done, total), "codebook": bool (the update under
    way gives a new or edited code its suggestions), "error": str}``. From this
    process's worker if it ran, else from the newest stored suggestion.
    """
    live = _live(ctx)
    model, updated = live.model_id, live.updated_at
    colleague, made_by = False, None
    others: list[tuple[str | None, int]] = []
    hidden = False
    if not model or updated is None:  # this process has not refreshed yet: the stored ones say
        with ctx.session(readonly=True) as s:
            newest = training.newest_suggestion(s)
            cid = meta.find_coder(s, ctx.coder) if newest else None
            mine = training.reviewed_count(s, cid) if cid is not None else 0
            independent = bool(meta.get_setting(s, "independent_coding", False))
        if newest:
            model = model or newest["model_id"]
            ts = newest["created_at"]
            if updated is None and ts is not None:
                updated = ts.replace(tzinfo=ts.tzinfo or timezone.utc).timestamp()
            # suggestion rows are shared: the newest may come from a colleague's model (never
            # "learned from your decisions")
            owner = _colleague(ctx, model, newest["model_of"], mine)
            colleague, made_by = owner is not False, owner or None
            if colleague and independent and owner:  # not shown to a blind coder: their own model comes
                colleague, made_by, hidden, model = False, None, True, None
    elif document_id is not None:  # this coder's model has run: rows of the open document that
        # a colleague's model wrote since (rows are shared) are not "learned from your decisions"
        with ctx.session(readonly=True) as s:
            cid = meta.find_coder(s, ctx.coder)
            models = training.pending_models(s, document_id, cid)
            mine = training.reviewed_count(s, cid) if cid is not None else 0
            independent = bool(meta.get_setting(s, "independent_coding", False))
            # independent coding: a colleague's rows are hidden; newer than this coder's last
            # refresh, they stand where this coder's own model has not scored yet
            newest = training.newest_colleague_row(s, document_id, cid, ctx.coder) if independent else None
        hidden = newest is not None and (updated is None or newest.timestamp() > updated)
        for m, of in models.items():
            if m != model and not independent:
                owner = _colleague(ctx, m, of, mine)
                if owner is not False:
                    others.append((owner or None, learned_from(m)))
    return {"learned_from": 0 if colleague else learned_from(model), "model": model, "colleague": colleague,
            "made_by": made_by, "others": one_per_colleague(others),
            "hidden": hidden,
            "updated_s": None if updated is None else max(0.0, time.time() - updated),
            "busy": (live.busy or "learning") if live.done < live.wanted else "", "progress": live.progress,
            "codebook": live.done < live.codebook_gen,  # the update under way follows a codebook change
            "error": live.error}


def _colleague(ctx: ProjectContext, model_id: str | None, model_of: str | None, mine: int) -> str | bool:
    """Whose model ``model_id`` is, seen by this coder: False for their own or the codebook's
    (a cold model is the same for everyone), else the colleague's name, or "" when the row does
    not record it (stored before it did) and the model learned from more excerpts than this
    coder has reviewed (so not from theirs)."""
    if not learned_from(model_id):
        return False
    if model_of:
        return False if model_of == ctx.coder else model_of
    return "" if learned_from(model_id) > mine else False


def whose_model(name: str | None) -> str:
    """A colleague's model in words, for the Code page's line and "Why?" alike.

    >>> whose_model("bob"), whose_model(None)
    ("bob's model", "a colleague's model")
    """
    return f"{name}'s model" if name else "a colleague's model"


def where_suggested(ctx: ProjectContext, code_ids: Sequence[str]) -> dict[str, list[tuple[int, str, int]]]:
    """code id -> ``(document id, name, n)``: the documents where the code is suggested on excerpts
    this coder has not reviewed, most first (see ``storage.coding.pending_by_document``)."""
    with ctx.session(readonly=True) as s:
        cid = meta.find_coder(s, ctx.coder)
        return coding_store.pending_by_document(s, code_ids, cid, blind_to=coding_store.blind_coder(s, cid))


def one_per_colleague(others: list[tuple[str | None, int]]) -> list[tuple[str | None, int]]:
    """Colleagues' models behind a document's suggestions, one per colleague, the one learned from
    the most decisions, their latest (walk 48: "maria's model (learned from their decisions on 45
    excerpts), maria's model (... 46 excerpts)": rows of two of her refreshes).

    >>> one_per_colleague([("maria", 45), ("tom", 3), ("maria", 46), (None, 2)])
    [(None, 2), ('maria', 46), ('tom', 3)]
    """
    best: dict[str | None, int] = {}
    for who, k in others:
        best[who] = max(k, best.get(who, k))
    return sorted(best.items(), key=lambda o: o[0] or "")


def first_suggesting(ctx: ProjectContext, document_id: int, code_ids: Sequence[str]) -> int | None:
    """The document's first excerpt this coder has not reviewed with a suggestion of one of the
    codes (see ``storage.coding.first_suggesting``)."""
    with ctx.session(readonly=True) as s:
        return coding_store.first_suggesting(s, document_id, code_ids, meta.find_coder(s, ctx.coder))


LOOKED_AGAIN_KEY = "looked_again"  # setting "looked_again:<coder id>": {code id: when "Look again" ran}


def late_codes(ctx: ProjectContext, *, document_id: int | None = None) -> list[dict[str, Any]]:
    """Codes added to the codebook after this coder had finished some excerpts, which they have not
    looked at for it since (``training.unconsidered``), in codebook order: ``{"code_id", "name",
    "finished"`` (those excerpts), ``"looked"`` (whether "Look again" ran for it), ``"open"`` (its
    suggestions still open there), ``"first"`` (``(document id, name, excerpt id)`` of the first
    of them, in ``document_id`` if it has one, else in reading order), ``"spots"`` (all of them, in
    that order), ``"colleague"`` (of those
    excerpts, the ones a colleague applied it to that hold no open chip of it: "Look again" offers
    them; 0 under independent coding) ``}``. A code added mid-way is otherwise never suggested
    where the coder has been already (the refresh leaves finished excerpts alone), and its learning
    treats those excerpts as unknown, not as "no"."""
    with ctx.session(readonly=True) as s:
        cid = meta.find_coder(s, ctx.coder)
        if cid is None:
            return []
        late = training.unconsidered(s, [cid]).get(cid, {})
        if not late:
            return []
        cb = code_store.load_codebook(s)
        codes = [c for c in cb.tree_order() if c.id in late and c.codable and not c.retired]
        looked = meta.get_setting(s, f"{LOOKED_AGAIN_KEY}:{cid}", {}) or {}
        blind = coding_store.blind_coder(s, cid)
        pending = coding_store.pending_on(s, set().union(*late.values()), [c.id for c in codes], blind_to=blind)
        theirs = {c.id: set() if blind else coding_store.coded_by_others(s, late[c.id], c.id, cid) for c in codes}
    out = []
    for c in codes:
        spots = [(doc, name, e) for e, code, doc, name in pending if code == c.id and e in late[c.id]]
        here = [p for p in spots if p[0] == document_id]
        offered = {e for _doc, _name, e in spots}
        ordered = here + [p for p in spots if p[0] != document_id]
        out.append({"code_id": c.id, "name": c.shown_name, "finished": len(late[c.id]), "looked": c.id in looked,
                    "open": len(spots), "first": (ordered or [None])[0], "spots": ordered,
                    "colleague": len(theirs[c.id] - offered)})  # a colleague applied it there, not offered yet
    return out


def look_again(ctx: ProjectContext, code_id: str, *, progress: Progress = None) -> dict[str, int]:
    """"Look again for this code": score the excerpts this coder finished before ``code_id`` was
    added (and has not looked at for it since) for that code alone, and store its suggestions
    there, as pending chips on those finished excerpts; the coder accepts or rejects them as any
    other (both count as having looked: Agreement's note on the code goes, the learning gets a
    real "yes" or "no"). Returns ``{"finished", "stored"}``."""
    engine, st = engine_for(ctx, progress=progress)
    with ctx.session(readonly=True) as s:
        cid = meta.find_coder(s, ctx.coder)
        late = (training.unconsidered(s, [cid], code_ids=[code_id]).get(cid, {}).get(code_id, set())
                if cid is not None else set())
        # where a colleague applied it, it is offered whatever the model's score (walk 21: Agreement
        # named such an excerpt, and Look again, going by the model alone, never offered it); not
        # under independent coding, where a colleague's codes are not shown
        theirs = (set() if cid is None or not late or coding_store.blind_coder(s, cid)
                  else coding_store.coded_by_others(s, late, code_id, cid))
    rows = [st.row_of[e] for e in sorted(late) if e in st.row_of]
    if code_id not in engine.code_ids:
        raise SuggestError(f"the code {code_id!r} is not in the codebook the suggestions are made with",
                           hint="refresh the suggestions, then look again")
    with st.lock:
        proposals = engine.suggest_code(st.corpus, np.array(rows, dtype=int), code_id,
                                        threshold=default_threshold(ctx),
                                        also={st.row_of[e] for e in theirs if e in st.row_of})
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        excerpts = [int(st.corpus.ids[p.row]) for p in proposals]
        blocked = training.blocked_pairs(s, excerpts, cid)
        sugg = [Suggestion(excerpt_id=e, code_id=code_id, score=p.score, model_id=engine.model_id,
                           explanation=_signed(ctx, p.explanation))
                for e, p in zip(excerpts, proposals) if (e, code_id) not in blocked]
        coding_store.upsert_suggestions(s, sugg, blind=coding_store.blind_coder(s, cid))
        key = f"{LOOKED_AGAIN_KEY}:{cid}"
        meta.set_setting(s, key, {**(meta.get_setting(s, key, {}) or {}), code_id: time.time()})
    return {"finished": len(late), "stored": len(sugg)}


def suggested_codes(ctx: ProjectContext, document_id: int) -> set[str]:
    """The codes with a pending suggestion in the document (see ``storage.coding.suggested_codes``)."""
    with ctx.session(readonly=True) as s:
        return coding_store.suggested_codes(s, document_id)


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
                       model_id=engine.model_id, explanation=_signed(ctx, p.explanation)) for p in proposals]
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, sugg, replace_pending_for=[st.corpus.ids[i] for i in rows],
                                        blind=coding_store.blind_coder(s, cid))
        if document_ids is None:  # every unreviewed excerpt: made with this codebook
            _remember_codebook(s, ctx, st.codebook_rev)
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
                 limit: int = 50, document_ids: Sequence[int] | None = None) -> list[int]:
    """Excerpt ids to review next (not yet reviewed by this coder, codable ones).

    ``order="smart"``: what teaches the model most and covers the codebook (uncertainty,
    coverage of codes with few examples, diversity); ``"document"``: transcript order.
    """
    if order not in ("smart", "document"):
        raise SuggestError(f"unknown queue order {order!r}", hint="use smart or document")
    if document_id is not None:
        document_ids = [document_id]
    docs = None if document_ids is None else set(document_ids)
    if order == "document":
        with ctx.session(readonly=True) as s:
            rows = training.excerpt_rows(s, document_ids=sorted(docs) if docs is not None else None)
            reviewed = training.reviewed_by(s, ctx.coder_id(s))
        return [r["id"] for r in rows if r["codable"] and r["id"] not in reviewed][:limit]
    engine, st = engine_for(ctx)
    with ctx.session(readonly=True) as s:
        reviewed = training.reviewed_by(s, ctx.coder_id(s))
    cand = np.array([i for i in range(len(st.corpus)) if st.corpus.codable[i]
                     and st.corpus.ids[i] not in reviewed
                     and (docs is None or st.corpus.docs[i] in docs)], dtype=int)
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


FAR_FROM_SURE = 0.25  # below this calibrated probability a suggestion is shown muted ("far from sure")
LIKELY = 0.5  # from this one the model leans towards yes ("Accept the N likely" takes these only)


def sureness(p: float) -> str:
    """How sure the model is, in words, for a calibrated probability (of suggestions like this,
    about ``p`` are right): the words promise no more than the number does.

    >>> [sureness(p) for p in (0.95, 0.8, 0.6, 0.3, 0.1)]
    ['very sure', 'fairly sure', 'unsure, leaning towards yes', 'not sure, leaning towards no', 'far from sure']
    """
    if p >= 0.9:
        return "very sure"
    if p >= 0.7:
        return "fairly sure"
    if p >= LIKELY:
        return "unsure, leaning towards yes"
    if p >= FAR_FROM_SURE:
        return "not sure, leaning towards no"
    return "far from sure"


def _quote(value: Any) -> str:
    text = value.get("text", "") if isinstance(value, dict) else str(value or "")
    text = " ".join(text.split())
    return text if len(text) <= 240 else text[:237] + "..."


def why(ctx: ProjectContext, suggestion_id: int) -> list[str]:
    """Why a suggestion was made, in plain sentences for the coder (no model internals).

    Uses the engine's ``matched_words``, ``closest_example``, ``closest_accepted`` and
    ``probability`` when it stored them, else ``keywords``, ``nearest`` and ``score``.

    >>> why(ctx, 12)  # doctest: +SKIP
    ['The model is fairly sure: about 81 in 100 excerpts like this get Trust.', 'Words that matched ...', ...]
    """
    info = explain(ctx, suggestion_id)
    p = info.get("probability")
    if isinstance(p, (int, float)):
        lines = [f"The model is {sureness(float(p))}: about {round(100 * float(p))} in 100 excerpts like this "
                 f"get {info['code']}."]
    else:  # stored without a calibrated probability: the score is no probability, say only that
        lines = [f"How sure the model is was not recorded for this suggestion (its score is "
                 f"{float(info.get('score', 0)):.2f}; 0.50 is where it starts suggesting, and a score is no probability)."]
    words = info.get("matched_words") or info.get("keywords") or []
    if isinstance(words, str):
        words = [words]
    if words:
        lines.append("Words that matched the code: " + ", ".join(str(w) for w in words[:8]) + ".")
    example = info.get("closest_example") or info.get("nearest_example")
    accepted = info.get("closest_accepted") or info.get("nearest_accepted")
    nearest = info.get("nearest")
    if not example and not accepted and isinstance(nearest, dict):
        if nearest.get("source") == "accepted":
            accepted = nearest
        else:
            example = nearest
    n, model, model_of = learned_from(info.get("model")), info.get("model"), info.get("model_of")
    status = learning_status(ctx)
    owner: str | bool = False  # rows are shared: the model may be a colleague's (a walk: alice's
    # "Why?" said "your decisions on 42 excerpts", and those were bob's, made while his page was open)
    if n and (model_of or model != status["model"]):
        owner = _colleague(ctx, model, model_of, 0 if model_of else _reviewed_count(ctx))
    if accepted:
        who = "you" if owner is False else owner or "a colleague"
        lines.append(f"Closest excerpt {who} coded {info['code']}: “{_quote(accepted)}”")
    if example:
        lines.append(_closest_in_codebook(example, info["code"]))
    lines.append(_learned_line(n, status["learned_from"]) if owner is False
                 else _colleague_line(owner or None, n, status["learned_from"]))
    return lines


def _closest_in_codebook(example: Any, code: str) -> str:
    """Which codebook text of the code the excerpt is nearest: its definition, an inclusion
    criterion or an example (walk 17: the definition was called "Closest example").

    >>> _closest_in_codebook({"text": "Trust: families rely on the CHW.", "kind": "definition"}, "Trust")
    'Closest in the codebook: the definition of Trust, “Trust: families rely on the CHW.”'
    """
    kind = example.get("kind") if isinstance(example, dict) else None
    what = {"definition": f"the definition of {code}", "include": f"what {code} includes",
            "example": f"an example of {code}"}.get(kind or "", f"a text of {code}")
    return f"Closest in the codebook: {what}, “{_quote(example)}”"


def _reviewed_count(ctx: ProjectContext) -> int:
    with ctx.session(readonly=True) as s:
        cid = meta.find_coder(s, ctx.coder)
        return training.reviewed_count(s, cid) if cid is not None else 0


def _colleague_line(name: str | None, n: int, now: int) -> str:
    """What a colleague's model behind a suggestion had learned, beside what this coder's own
    model has (the page's line): suggestion rows are shared, and a colleague's refresh re-scores
    the excerpts neither has reviewed.

    >>> _colleague_line("bob", 42, 163)
    "This suggestion was made by bob's model, learned from their decisions on 42 excerpts; yours has learned from your decisions on 163 excerpts."
    >>> _colleague_line(None, 13, 0)
    "This suggestion was made by a colleague's model, learned from their decisions on 13 excerpts; yours has not learned from your decisions yet."
    """
    yours = (f"yours has learned from your decisions on {plural(now, 'excerpt')}" if now
             else "yours has not learned from your decisions yet")
    return (f"This suggestion was made by {whose_model(name)}, learned from their decisions on "
            f"{plural(n, 'excerpt')}; {yours}.")


def _learned_line(n: int, now: int) -> str:
    """What the model behind a suggestion had learned, beside what the newest model has (the
    page's line counts the newest; a suggestion keeps the model that made it until refreshed).

    >>> _learned_line(1, 13)
    'This suggestion was made when the model had learned from your decisions on 1 excerpt; it has learned from 13 excerpts now.'
    >>> _learned_line(0, 0)
    'From the codebook only: the model has not learned from your decisions yet.'
    """
    def ex(k: int) -> str:
        return plural(k, "excerpt")
    if now > n:
        made = (f"when the model had learned from your decisions on {ex(n)}" if n else
                "from the codebook only, before the model learned from your decisions")
        return f"This suggestion was made {made}; it has learned from {ex(now)} now."
    return (f"Learned from your decisions on {ex(n)}." if n else
            "From the codebook only: the model has not learned from your decisions yet.")


def learning_curve(ctx: ProjectContext, *, window: int = 50) -> list[dict[str, Any]]:
    """The learning curve from the stored decisions, per coder and per ``window`` decisions.

    Each point: ``coder``, ``decisions`` (the window's last decision), ``accepted_share`` (of
    the suggestions shown and decided in the window, the share accepted; "nothing here"
    rejects the excerpt's pending ones, and coding by hand a code suggested there accepts it)
    and ``suggested_share`` (of the codes the coder applied
    in the window, the share that had been suggested); None where the window had none.

    >>> learning_curve(ctx)[0]  # doctest: +SKIP
    {'coder': 'alice', 'decisions': 50, 'accepted_share': 0.42, 'suggested_share': 0.61, ...}
    """
    with ctx.session(readonly=True) as s:
        events = training.decision_events(s)
    by_coder: dict[str, list[dict[str, Any]]] = {}
    for ev in events:
        by_coder.setdefault(ev["coder"], []).append(ev)
    out = []
    for coder, evs in sorted(by_coder.items()):
        for k in range(0, len(evs), window):
            part = evs[k:k + window]
            by_hand = [e for e in part if e["action"] in ("code", "code_selection", "code_excerpts")
                       and e["origin"] != "suggestion"]
            # coding by hand a code that was suggested there settles (accepts) that suggestion
            acc = sum(e["action"] == "accept" for e in part) + sum(bool(e.get("settled")) for e in by_hand)
            rej = sum(e["action"] == "reject" for e in part) + sum(e["rejected"] for e in part)
            manual = sum(not e.get("settled") for e in by_hand)
            out.append({"coder": coder, "decisions": k + len(part), "accepted": acc, "rejected": rej,
                        "manual": manual,
                        "accepted_share": round(acc / (acc + rej), 4) if acc + rej else None,
                        "suggested_share": round(acc / (acc + manual), 4) if acc + manual else None})
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


def promote_theme(ctx: ProjectContext, theme: dict[str, Any] | Any, *, code_id: str | None = None,
                  name: str | None = None) -> str:
    """Turn a discovered theme into a new code (for Python users; the app's Codebook page
    calls :func:`qualcode.services.codebook.promote_theme` with the coder's own definition and
    keywords). The theme's top words are not made keywords; without a name, its first
    content word names it. Returns the new code's id."""
    from qualcode.services import codebook as codebook_service
    from qualcode.suggest.discover import content_words

    d = theme if isinstance(theme, dict) else vars(theme)
    words = content_words([str(k) for k in (d.get("keywords") or [])])
    name = (name or "").strip() or (words[0].title() if words else "New theme")
    return codebook_service.promote_theme(ctx, d, name=name, code_id=code_id).id

