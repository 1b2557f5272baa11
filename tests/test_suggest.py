"""Suggestion engine: unit tests with a tiny fake embedder, service tests on a real project.

The real model is exercised in tests/test_suggest_model.py (session-scoped, marked slow).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from conftest import make_document
from qualcode.core import Code
from qualcode.services import coding
from qualcode.services import suggest as service
from qualcode.storage import audit
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from qualcode.suggest.corpus import build_context, make_corpus
from qualcode.suggest.embedder import HashEmbedder
from qualcode.suggest.engine import Engine
from qualcode.suggest.evaluate import score
from qualcode.suggest.queue import smart_order

# names unique across the project codebook (the default one has "Evidence"): the codebook stays valid
CODES = [
    Code(id="trust", name="Trust", definition="Trust between people.", keywords=["trust"]),
    Code(id="data", name="Data", definition="Data that shows progress.", keywords=["data"]),
    Code(id="time", name="Time pressure", definition="Not enough time.", keywords=["time"]),
]
TEMPLATES = {
    "trust": ["we could rely on each other at the convening", "people kept their word so we relied on them",
              "the partners were honest and we relied on them"],
    "data": ["the exit ticket numbers went up each cycle", "our scores and numbers improved this spring",
             "we charted the ticket numbers every week"],
    "time": ["there were never enough hours in the schedule", "the calendar was packed and hours ran out",
             "we had no hours left in the schedule"],
}


def synthetic(n_per: int = 30, seed: int = 0):
    """Rows for three codes whose words mostly differ from the codes' names (hard cold)."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    fillers = ["honestly", "you see", "in our district", "last year", "for sure"]
    for k in range(n_per):
        for cid, temps in TEMPLATES.items():
            t = temps[k % len(temps)] + " " + fillers[int(rng.integers(len(fillers)))]
            rows.append({"id": len(rows), "doc": k % 6, "turn": len(rows), "speaker": "P",
                         "role": "participant", "text": t, "codable": True})
            labels.append(cid)
    emb = HashEmbedder().encode([r["text"] for r in rows])
    return make_corpus(rows, emb), labels


def test_context_points_to_the_preceding_speakers_turn():
    rows = [
        {"id": 0, "doc": 1, "turn": 0, "speaker": "I", "role": "interviewer", "text": "Why trust?"},
        {"id": 1, "doc": 1, "turn": 1, "speaker": "A", "role": "participant", "text": "Because."},
        {"id": 2, "doc": 1, "turn": 1, "speaker": "A", "role": "participant", "text": "We met."},
        {"id": 3, "doc": 2, "turn": 0, "speaker": "A", "role": "participant", "text": "New doc."},
    ]
    ctx = build_context(rows)
    assert ctx[0]["prev"] == [] and ctx[1]["prev"] == [0] and ctx[2]["prev"] == [0]
    assert ctx[1]["prev_role"] == "interviewer" and ctx[1]["first_in_turn"] and not ctx[2]["first_in_turn"]
    assert ctx[3]["prev"] == []  # context never crosses documents


def test_cold_start_prefers_the_code_whose_keywords_match():
    rows = [{"id": i, "doc": 0, "turn": i, "speaker": "P", "role": "participant", "text": t, "codable": True}
            for i, t in enumerate(["We trust our partners a lot.", "The data shows progress.",
                                   "Lunch was fine.", "Time ran out again."]
                                  + [f"Nothing special about item {k} here." for k in range(16)])]
    corpus = make_corpus(rows, HashEmbedder().encode([r["text"] for r in rows]))
    eng = Engine(CODES, HashEmbedder()).prepare(corpus)
    S = eng.scores(corpus)
    assert S.shape == (20, 3)
    assert S[0].argmax() == 0 and S[1].argmax() == 1 and S[3].argmax() == 2
    props = eng.suggest(corpus)
    assert props and all(0.5 <= p.score <= 1 for p in props)
    trust = [p for p in props if p.row == 0 and p.code_id == "trust"]
    assert trust and "trust" in trust[0].explanation["keywords"]
    assert trust[0].explanation["nearest"]["source"] == "codebook"


def test_learning_improves_over_cold_start():
    corpus, labels = synthetic()
    ids = [c.id for c in CODES]
    Y = np.array([[lab == c for c in ids] for lab in labels], dtype=float)
    train = np.arange(0, 45)
    test = np.arange(45, len(labels))
    eng = Engine(CODES, HashEmbedder()).prepare(corpus)
    cold = score(Y[test], eng.decide(eng.scores(corpus, test)), ids)["macro_f1"]
    eng.fit(corpus, train, Y[train])
    learned = score(Y[test], eng.decide(eng.scores(corpus, test)), ids)["macro_f1"]
    assert learned > cold + 0.2, (cold, learned)
    assert learned > 0.8
    assert eng.model_id.startswith("hash:64/h45-")
    # explanations now point at accepted excerpts too
    props = eng.suggest(corpus, test[:6])
    assert any(p.explanation["nearest"]["source"] == "accepted" for p in props)


def test_retraining_on_2000_decisions():
    rng = np.random.default_rng(1)
    n = 2400
    rows = [{"id": i, "doc": i // 100, "turn": i // 2, "speaker": "AB"[i % 2], "role": ["interviewer", "participant"][i % 2],
             "text": f"sentence {i}", "codable": True} for i in range(n)]
    emb = rng.normal(size=(n, 384)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    corpus = make_corpus(rows, emb)
    codes = [Code(id=f"c{j}", name=f"Code {j}", definition=f"definition {j}") for j in range(20)]
    eng = Engine(codes, HashEmbedder(384)).prepare(corpus)
    Y = (rng.random((2000, 20)) < 0.08).astype(float)
    eng.fit(corpus, np.arange(2000), Y)  # its speed is measured in bench/bench_suggest.py
    assert eng.head.n == 2000 and eng.version.startswith("h2000-")
    assert eng.scores(corpus, np.arange(2000, n)).shape == (400, 20)


def test_repeating_the_previous_speaker_shows_in_the_hand_features():
    from qualcode.suggest.corpus import HAND_FEATURES

    rows = [{"id": i, "doc": 0, "turn": i, "speaker": sp, "role": sp, "text": t, "codable": True}
            for i, (sp, t) in enumerate([("S", "I think it is twelve because six and six."),
                                         ("T", "You think it is twelve because six and six."),
                                         ("S", "Lunch was at noon today."),
                                         ("T", "Open your books please.")])]
    corpus = make_corpus(rows, HashEmbedder().encode([r["text"] for r in rows]))
    jac, mine = HAND_FEATURES.index("prev_word_jaccard"), HAND_FEATURES.index("prev_pairs_of_mine")
    assert corpus.hand.shape == (4, len(HAND_FEATURES))
    assert corpus.hand[1, jac] > 0.6 and corpus.hand[1, mine] > 0.6   # restates the student
    assert corpus.hand[3, jac] == 0.0 and corpus.hand[3, mine] == 0.0   # says something new
    assert corpus.hand[0, jac] == 0.0                                   # nothing before it


def test_role_share_counts_neighbours_of_the_same_role_within_a_document():
    from qualcode.suggest.corpus import HAND_FEATURES, role_share

    roles = ["teacher", "student", "student", "student", "teacher", "student"]
    rows = [{"id": i, "doc": 0, "turn": i, "speaker": r, "role": r, "text": f"Sentence {i}.", "codable": True}
            for i, r in enumerate(roles)]
    rows.append({"id": 6, "doc": 1, "turn": 0, "speaker": "s", "role": "student", "text": "Alone.", "codable": True})
    share = role_share(rows, nearby=1)
    # one neighbour each side, never across the document boundary (row 6 has none: 1.0)
    assert share.tolist() == [0.0, 0.5, 1.0, 0.5, 0.0, 0.0, 1.0]
    corpus = make_corpus(rows, HashEmbedder().encode([r["text"] for r in rows]))
    col = HAND_FEATURES.index("role_share_nearby")
    # the default window (10 each side) sees the whole first document: per row, the share
    # of the five other rows in its own role
    expected = [0.0] * len(roles)
    for i, r in enumerate(roles):
        others = [x for k, x in enumerate(roles) if k != i]
        expected[i] = sum(x == r for x in others) / len(others)
    assert np.allclose(corpus.hand[:6, col], expected) and corpus.hand[6, col] == 1.0


def _two_role_corpus(n_turns: int = 60, seed: int = 0):
    """Teacher/student turns; "ask" = teacher questions, "claim" = student answers."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    asks = ["why does that work", "how do you know that", "can you explain why"]
    claims = ["it is twelve", "the answer is five", "I got seven"]
    other = ["okay", "let us look at the board", "turn the page"]
    for k in range(n_turns):
        teacher = k % 2 == 0
        pick = rng.random() < 0.5
        pool = (asks if pick else other) if teacher else (claims if pick else other)
        rows.append({"id": k, "doc": k // 20, "turn": k, "speaker": "T" if teacher else "S",
                     "role": "teacher" if teacher else "student", "codable": True,
                     "text": pool[int(rng.integers(3))] + ("?" if teacher and pick else ".")})
        labels.append(("ask" if teacher else "claim") if pick else None)
    return make_corpus(rows, HashEmbedder().encode([r["text"] for r in rows])), labels


def test_role_gate_keeps_codes_on_the_roles_the_coder_used_them_on():
    corpus, labels = _two_role_corpus()
    codes = [Code(id="ask", name="Asking", definition="Teacher asks."),
             Code(id="claim", name="Claim", definition="Student claims.")]
    Y = np.array([[lab == "ask", lab == "claim"] for lab in labels], dtype=float)
    eng = Engine(codes, HashEmbedder()).prepare(corpus)
    eng.fit(corpus, np.arange(40), Y[:40])
    S = eng.scores(corpus)
    roles = np.array(corpus.roles)
    assert eng.head.gates == {0: {"student"}, 1: {"teacher"}}
    assert (S[roles == "student", 0] < 0.5).all() and (S[roles == "teacher", 1] < 0.5).all()
    pred = eng.decide(S[40:])
    ids = [c.id for c in codes]
    assert score(Y[40:], pred, ids)["macro_f1"] > 0.8  # the lexical features learn both codes


def test_text_features_fit_on_tiny_or_empty_projects():
    from qualcode.suggest.corpus import TextFeatures

    assert TextFeatures().fit(["Why?"]).transform(["Why not?", ""]).shape[0] == 2
    assert TextFeatures().fit(["", ""]).transform(["x"]).shape == (1, 0)


def test_queue_is_diverse_and_prefers_uncertain():
    S = np.array([[0.5, 0.0], [0.5, 0.0], [0.02, 0.0], [0.45, 0.0]])
    emb = np.array([[1, 0], [1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
    order = smart_order(S, emb, np.array([10, 10]), limit=3)
    assert order[0] in (0, 1) and order[1] == 3  # the duplicate waits
    assert len(order) == 3


# -- services on a real project with the fake embedder ---------------------------------------
TURNS = [
    ("Interviewer", "interviewer", "How did trust develop in the team?"),
    ("Ana", "participant", "We trust each other because we met at every convening."),
    ("Interviewer", "interviewer", "What did the data show?"),
    ("Ana", "participant", "The data showed that exit tickets improved after each cycle."),
    ("Interviewer", "interviewer", "Was time an issue?"),
    ("Ana", "participant", "Time was short, we never had enough time to plan."),
    ("Ana", "participant", "The cafeteria served pizza on Fridays and the students loved the pizza."),
    ("Ana", "participant", "Pizza on Fridays was a good tradition, everyone loved pizza lunch."),
]


@pytest.fixture
def fake_engine():
    service.set_embedder(HashEmbedder())
    yield
    service.set_embedder(None)


@pytest.fixture
def small_project(project, fake_engine):
    from qualcode.storage import codes as code_store

    with project.session() as s:
        for i, c in enumerate(CODES):
            code_store.save_code(s, c, sort_order=100 + i)
        doc_ids = [doc_store.add_document(
            s, make_document(f"doc{k}", TURNS + [("Ana", "participant", f"That was interview {k}.")])) for k in range(2)]
    return project, doc_ids


def _pending(ctx, **kw):
    with ctx.session(readonly=True) as s:
        return coding_store.list_suggestions(s, status="pending", **kw)


def test_suggest_stores_pending_with_explanations(small_project):
    ctx, (d1, d2) = small_project
    seen = []
    n = service.suggest_document(ctx, d1, progress=lambda done, total: seen.append((done, total)))
    assert n > 0 and seen and seen[-1][0] == seen[-1][1]
    pend = _pending(ctx, document_id=d1)
    assert len(pend) == n and not _pending(ctx, document_id=d2)
    for sg in pend:
        assert sg.model_id.startswith("hash:64/")
        assert {"score", "keywords", "nearest"} <= set(sg.explanation)
    info = service.explain(ctx, pend[0].id)
    assert info["status"] == "pending" and "score" in info and "code" in info
    assert service.suggest_all(ctx) >= n
    assert service.default_threshold(ctx) == 0.5


def test_clauses_are_embedded_through_the_project_cache(small_project):
    from qualcode.core import text_hash
    from qualcode.storage import training

    ctx, (d1, _) = small_project
    service.suggest_document(ctx, d1)
    clauses = ["Time was short", "we never had enough time to plan."]  # one excerpt, two clauses
    with ctx.session(readonly=True) as s:
        cached = training.cached_vectors(s, [text_hash(t) for t in clauses], "hash:64")
    assert len(cached) == 2  # a restarted app reads them instead of encoding them again


def test_refreshing_never_touches_decided_suggestions(small_project):
    ctx, (d1, _) = small_project
    service.suggest_document(ctx, d1)
    pend = _pending(ctx, document_id=d1)
    acc, rej = pend[0], pend[-1]
    assert acc.id != rej.id
    coding.accept_suggestion(ctx, acc.id)
    coding.reject_suggestion(ctx, rej.id)
    service.on_decision(ctx)
    service.wait_for_learning(ctx)
    service.suggest_all(ctx)
    with ctx.session(readonly=True) as s:
        a = coding_store.get_suggestion(s, acc.id)
        r = coding_store.get_suggestion(s, rej.id)
        assert (a.status, a.score) == ("accepted", acc.score)
        assert (r.status, r.score) == ("rejected", rej.score)
        again = [x for x in coding_store.list_suggestions(s, status="pending")
                 if (x.excerpt_id, x.code_id) in {(acc.excerpt_id, acc.code_id), (rej.excerpt_id, rej.code_id)}]
    assert again == []


def test_queue_excludes_reviewed_excerpts(small_project):
    ctx, (d1, _) = small_project
    q = service.review_queue(ctx, document_id=d1, limit=50)
    with ctx.session(readonly=True) as s:
        codable = [e.id for e in doc_store.load_document(s, d1).excerpts if e.codable]
    assert sorted(q) == sorted(codable)
    coding.mark_reviewed(ctx, q[0])
    coding.add_coding(ctx, q[1], "trust")
    q2 = service.review_queue(ctx, document_id=d1)
    assert q[0] not in q2 and q[1] not in q2 and len(q2) == len(q) - 2
    doc_order = service.review_queue(ctx, document_id=d1, order="document")
    assert doc_order == [e for e in codable if e not in (q[0], q[1])]
    assert len(service.review_queue(ctx, limit=3)) == 3


def test_on_decision_is_cheap_and_learns_in_the_background(small_project):
    ctx, (d1, _) = small_project
    service.suggest_document(ctx, d1)
    ex = service.review_queue(ctx, document_id=d1, order="document")
    coding.add_coding(ctx, ex[0], "trust")
    t0 = time.perf_counter()
    service.on_decision(ctx)
    assert time.perf_counter() - t0 < 0.2
    service.wait_for_learning(ctx)
    engine, _ = service.engine_for(ctx)
    assert engine.head.n >= 1 and engine.version != "cold"


def test_discover_and_promote_theme(small_project):
    ctx, _ = small_project
    more = [("P", "participant", f"The pizza lunch on Friday number {i} was loved by everyone here") for i in range(8)]
    more += [("P", "participant", f"Bus routes changed in winter {i} and students waited in the cold") for i in range(8)]
    with ctx.session() as s:
        doc_store.add_document(s, make_document("themes", more))
    themes = service.discover_themes(ctx, min_size=4, max_themes=4)
    assert themes
    t = themes[0]
    assert {"label", "keywords", "quotes", "excerpt_ids", "size"} <= set(t) and t["size"] >= 4
    words = {w for th in themes for w in th["keywords"]}
    assert {"pizza", "bus"} & words
    new_id = service.promote_theme(ctx, t, code_id=None, name="Lunch culture")
    with ctx.session(readonly=True) as s:
        from qualcode.storage import codes as code_store

        code = code_store.load_codebook(s).get(new_id)
        events = audit.list_events(s, action="code_add")
    assert code is not None and code.name == "Lunch culture" and code.examples == t["quotes"][:3]
    assert events and events[0].entity_id == new_id


def test_rejected_prior_suggestions_raise_that_codes_threshold():
    from qualcode.suggest.learner import FALSE_ALARMS, LinearHead, cold_proba

    # code 0 is prior-only (no positives); the prior fires on rows 0-3 (z high), the coder
    # rejects rows 0-2 and never uses the code; row 3 was not decided and scores highest.
    Z = np.zeros((10, 3))
    Z[:4, 0] = [3.0, 3.2, 3.4, 4.5]
    Z[4:, 1] = 3.0  # code 1 gets positives (rows 4-9) so that some learning happens
    Y = np.zeros((9, 3))
    Y[3:9, 1] = 1
    decided = np.r_[0, 1, 2, 4, 5, 6, 7, 8, 9]
    X = np.eye(10)[decided]
    roles = ["participant"] * 9
    head = LinearHead(["a", "b", "c"]).fit(X, Y, Z[decided], roles)
    p0 = cold_proba(Z)[:, 0]
    assert head.thresholds[0] == pytest.approx(p0[2] + 0.01)  # just past the best rejected one
    assert head.thresholds[1] == 0.5 and head.thresholds[2] == 0.5  # learned / never shown
    S = head.proba(np.eye(10), Z, ["participant"] * 10)
    assert (S[:3, 0] < 0.5).all() and S[3, 0] >= 0.5  # the rejected stop; a stronger one stays
    # fewer rejections than FALSE_ALARMS: unchanged
    few = LinearHead(["a", "b", "c"]).fit(X[1:], Y[1:], Z[decided][1:], roles[1:])
    assert FALSE_ALARMS == 3 and few.thresholds[0] == 0.5
    # a suggestion the coder accepted bounds the raise (one positive: still prior-only)
    Y2 = Y.copy()
    Y2[0, 0] = 1
    acc = LinearHead(["a", "b", "c"]).fit(np.vstack([X, np.eye(10)[3]]), np.vstack([Y2, [0, 0, 0]]),
                                          np.vstack([Z[decided], Z[3]]), roles + ["participant"])
    assert acc.thresholds[0] == pytest.approx(p0[0])
    # no decisions at all: cold start untouched
    assert (LinearHead(["a", "b", "c"]).fit(np.zeros((0, 10)), np.zeros((0, 3)), np.zeros((0, 3)), [])
            .thresholds == 0.5).all()


def test_promote_theme_is_a_valid_unique_ordered_undoable_code(project):
    """A theme named "2021 goals" becomes a valid id; a name in use gets " (2)"; the codebook
    stays valid for later changes; the promotion is audited as a command and undoable."""
    from qualcode.services import codebook as cbs
    from qualcode.services import coding

    theme = {"keywords": ["goals", "targets"], "quotes": ["We set 2021 goals.", "Targets were clear."]}
    first = service.promote_theme(project, theme, name="2021 goals")
    second = service.promote_theme(project, theme, name="2021 Goals")
    cb = cbs.get_codebook(project)
    assert (first, second) == ("c_2021_goals", "c_2021_goals_2")
    assert [cb.get(first).name, cb.get(second).name] == ["2021 goals", "2021 Goals (2)"]
    assert [c.id for c in cb.codes][-2:] == [first, second]  # ordered last, in promotion order
    cbs.rename_code(project, "trust", "Trust between partners")  # later changes still validate
    with project.session(readonly=True) as s:
        ev = audit.list_events(s, action="code_add")[0]
    assert ev.entity_id == second and ev.after["source"] == "discovery"
    assert [u["action"] for u in coding.undo(project, 3)] == ["code_rename", "code_add", "code_add"]
    assert cbs.get_codebook(project).get(first) is None


def test_background_relearning_failure_is_logged_not_swallowed(small_project, monkeypatch, caplog):
    ctx, (d1, _) = small_project
    service.suggest_document(ctx, d1)

    def broken(*a, **kw):
        raise RuntimeError("head exploded")

    monkeypatch.setattr(service, "_fitted", broken)
    with caplog.at_level("ERROR", logger="qualcode.services.suggest"):
        service.on_decision(ctx)
        service.wait_for_learning(ctx)
    failures = [r for r in caplog.records if "background relearning failed" in r.getMessage()]
    assert failures and "head exploded" in str(failures[0].exc_info[1])


# -- the cold rule, calibration, explanations ------------------------------------------------
def _text_axes(texts):
    """A fake encoder: each distinct text is one axis (e0, e1, ... in order of first use), so a
    code whose profile texts are all its name ("Broad") has one profile vector."""
    axes: dict[str, int] = {}
    for t in texts:
        axes.setdefault(t, len(axes))
    return np.eye(len(texts), 4, dtype=np.float32)[[axes[t] for t in texts]]


def _prior_for(sims: np.ndarray):
    """A Prior over one code whose profile has cosine ``sims[i]`` with excerpt i (no keywords)."""
    from qualcode.suggest.prior import Prior

    code = Code(id="broad", name="Broad", definition="")
    prior = Prior.build([code], _text_axes)
    prior.profiles[0].keywords = set()
    emb = np.zeros((len(sims), 4), dtype=np.float32)
    emb[:, 0] = sims  # profile vector is e0
    return prior, emb


def test_cold_rule_suggests_a_broad_code_for_every_excerpt_that_fits():
    from qualcode.suggest.learner import cold_proba

    rng = np.random.default_rng(0)
    sims = np.r_[rng.uniform(0.40, 0.50, 60), rng.uniform(0.0, 0.10, 40)]  # 60% fit well
    prior, emb = _prior_for(sims)
    raw = prior.raw(emb)
    prior.fit_stats(raw)
    p = cold_proba(prior.z(raw))[:, 0]
    assert (p[:60] >= 0.5).all() and (p[60:] < 0.5).all()  # a z-score rule would take ~2%


def test_cold_rule_stays_quiet_when_nothing_fits():
    from qualcode.suggest.learner import cold_proba

    rng = np.random.default_rng(1)
    sims = rng.uniform(0.0, 0.15, 100)
    sims[7] = 0.19  # stands out (z > 3) but is still a poor fit
    prior, emb = _prior_for(sims)
    raw = prior.raw(emb)
    prior.fit_stats(raw)
    assert prior.z(raw)[7, 0] < 2.0 and (cold_proba(prior.z(raw)) < 0.5).all()


def test_parent_code_scores_at_least_its_best_child():
    from qualcode.suggest.prior import Prior

    codes = [Code(id="aid", name="Aid", definition=""), Code(id="water", name="Water", definition="", parent="aid")]
    prior = Prior.build(codes, _text_axes)
    emb = np.array([[0, 0.9, 0, 0], [0.3, 0, 0, 0]], dtype=np.float32)  # row 0 = water's profile
    raw = prior.raw(emb)
    assert raw[0, 0] >= raw[0, 1] and raw[1, 0] > raw[1, 1]
    assert prior.profiles[0].descendants == [1] and prior.profiles[1].descendants == []


def test_definition_phrases_and_clauses():
    from qualcode.suggest.prior import clauses, definition_phrases

    food = Code(id="food", name="Food", definition="Food: hunger, lack of food, requests for food.")
    assert definition_phrases(food) == ["Food", "hunger", "lack of food", "requests for food", "Food"]
    assert definition_phrases(Code(id="x", name="Broad", definition="")) == ["Broad"]
    assert clauses("Please send food to Delmas, we have no clean water here. The children are sick.") == [
        "Please send food to Delmas", "we have no clean water here.", "The children are sick."]
    assert clauses("We need food, now.") == []  # one clause of three words or more: the whole counts


def test_an_excerpt_fits_a_code_through_its_best_clause():
    from qualcode.suggest.prior import CLAUSE_WEIGHT, Prior

    codes = [Code(id="water", name="Water", definition=""), Code(id="food", name="Food", definition="")]
    prior = Prior.build(codes, _text_axes)
    for p in prior.profiles:
        p.keywords = set()
    whole = np.array([[0.3, 0.3, 0, 0]], dtype=np.float32)  # a blend of the two topics
    clause_vecs = np.array([[0.8, 0.1, 0, 0], [0.1, 0.7, 0, 0]], dtype=np.float32)
    plain = prior.raw(whole)
    both = prior.raw(whole, None, (clause_vecs, np.array([0, 0])))
    assert np.allclose(plain, [[0.3, 0.3]])
    assert np.allclose(both, [[0.3 + CLAUSE_WEIGHT * 0.5, 0.3 + CLAUSE_WEIGHT * 0.4]])
    # a clause that fits worse than the whole never lowers the score
    worse = prior.raw(whole, None, (np.array([[0.1, 0.0, 0, 0]], dtype=np.float32), np.array([0])))
    assert np.allclose(worse, plain)


def test_cold_cap_shows_a_fourth_chip_only_when_confident():
    from qualcode.suggest.engine import EXTRA_CHIP_SCORE

    codes = [Code(id=f"c{i}", name=f"Code {i}", definition="") for i in range(6)]
    eng = Engine(codes, HashEmbedder(dim=32))
    assert eng.max_per_excerpt == 3 and 0.8 < EXTRA_CHIP_SCORE < 0.85
    S = np.array([[0.95, 0.9, 0.9, 0.6, 0.55, 0.1],      # 4th best is unsure: 3 chips
                  [0.95, 0.9, 0.9, 0.85, 0.84, 0.1]],   # 4th best is confident: 4 chips, never 5
                 dtype=np.float32)
    out = eng.decide(S)
    assert out[0].tolist() == [True, True, True, False, False, False]
    assert out[1].tolist() == [True, True, True, True, False, False]


def test_calibrator_is_monotone_and_learns_from_decisions():
    from qualcode.suggest.calibrate import Calibrator

    grid = np.linspace(0.01, 0.99, 50)[:, None]
    cold = Calibrator()(grid)[:, 0]
    assert (np.diff(cold) > 0).all() and cold.max() < 0.9  # cold: modest, never 0.97
    rng = np.random.default_rng(0)
    s = rng.uniform(0.05, 0.95, (400, 3))
    y = rng.uniform(size=s.shape) < s * 0.5  # right about half as often as the score says
    cal = Calibrator().fit(s, y, n_decisions=10_000)  # many decisions: the Platt fit speaks
    assert cal.source == "decisions"
    p = cal(grid)[:, 0]
    assert (np.diff(p) > 0).all() and abs(float(cal(np.array([[0.8]]))[0, 0]) - 0.4) < 0.1
    # few decisions (a biased review-queue sample): shrunk towards the score, more so the fewer
    at = [float(Calibrator().fit(s, y, n_decisions=n)(np.array([[0.8]]))[0, 0]) for n in (100, 400, 10_000)]
    assert 0.8 > at[0] > at[1] > at[2]
    assert Calibrator().fit(s[:10], y[:10], n_decisions=10).source == "codebook"  # too few


def test_ece_and_reliability_on_a_hand_example():
    from qualcode.suggest.calibrate import ece, reliability

    p = np.array([0.95, 0.95, 0.15, 0.15])
    y = np.array([1, 0, 0, 0])
    # bin [0.9, 1): mean 0.95, right 0.5 -> 0.45 x 1/2; bin [0.1, 0.2): 0.15 vs 0 -> 0.15 x 1/2
    assert ece(p, y) == pytest.approx(0.30)
    table = reliability(p, y)
    assert [r["n"] for r in table] == [0, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert table[9]["share_right"] == 0.5 and table[1]["mean_p"] == pytest.approx(0.15)
    assert ece(np.array([0.7] * 10), np.array([1] * 7 + [0] * 3)) == pytest.approx(0.0)


def test_explanation_exposes_words_examples_accepted_and_probability():
    corpus, labels = synthetic()
    eng = Engine(CODES, HashEmbedder()).prepare(corpus)
    idx = np.arange(0, 60)
    Y = np.array([[lab == c.id for c in CODES] for lab in labels[:60]], dtype=float)
    eng.fit(corpus, idx, Y)
    props = eng.suggest(corpus, np.arange(60, len(corpus)))
    assert props
    for p in props:
        e = p.explanation
        assert {"score", "model", "learned", "keywords", "nearest"} <= set(e)  # the old keys stay
        assert e["matched_words"] == e["keywords"]
        assert set(e["closest_example"]) == {"text", "similarity", "kind"}
        assert e["closest_example"]["kind"] in ("definition", "include", "example")
        assert 0.0 <= e["probability"] <= 1.0 and p.probability == pytest.approx(e["probability"], abs=1e-4)
    acc = [p for p in props if p.explanation["closest_accepted"]]
    assert acc
    for p in acc:
        ca = p.explanation["closest_accepted"]
        assert ca["excerpt_id"] in corpus.ids[:60] and ca["text"] == corpus.texts[corpus.ids.index(ca["excerpt_id"])]
        assert labels[corpus.ids.index(ca["excerpt_id"])] == p.code_id


def test_prior_is_a_feature_only_where_it_ranks_the_decisions_well():
    from sklearn.metrics import roc_auc_score

    from qualcode.suggest.learner import LinearHead, auc, auc_low

    rng = np.random.default_rng(0)
    n = 300
    Y = (rng.uniform(size=(n, 2)) < 0.2).astype(float)
    Z = np.stack([2.0 + 2.0 * (Y[:, 0] - 0.5) + rng.normal(0, 1.0, n),  # code 0: the prior knows
                  2.0 + rng.normal(0, 1.0, n)], axis=1)                   # code 1: it does not
    X = rng.normal(size=(n, 5))
    assert abs(auc(Z[:, 1], Y[:, 1]) - roc_auc_score(Y[:, 1], Z[:, 1])) < 1e-9
    assert auc_low(Z[:, 0], Y[:, 0]) < auc(Z[:, 0], Y[:, 0])
    head = LinearHead(["known", "unknown"]).fit(X, Y, Z, ["participant"] * n)
    assert head.prior_auc[0] >= 0.8 and head.prior_auc[1] < 0.5
    assert list(head.prior_scale) == [1.0, 0.0]
    assert head.wz[0] > 0 and head.wz[1] == 0
    few = LinearHead(["known", "unknown"]).fit(X[:12], Y[:12], Z[:12], ["participant"] * 12)
    assert not few.wz.any()  # a handful of positives proves nothing: no prior feature yet


def test_a_prior_better_than_chance_is_fitted_shrunk_and_applied_in_full():
    """Between chance and PRIOR_MIN_AUC the regression sees the prior shrunk (so a doubtful
    prior cannot steer the fit) and the suggestions apply its coefficient to the whole prior."""
    from qualcode.suggest.learner import PRIOR_CHANCE_AUC, PRIOR_MIN_AUC, LinearHead, prior_feature, prior_scale

    assert list(prior_scale(np.array([0.3, PRIOR_CHANCE_AUC, 0.6, PRIOR_MIN_AUC, 0.9]))) == pytest.approx(
        [0.0, 0.0, 0.5, 1.0, 1.0])
    rng = np.random.default_rng(1)
    n = 400
    y = (rng.uniform(size=n) < 0.25).astype(float)
    Z = (2.0 + 0.6 * (y - 0.5) + rng.normal(0, 1.0, n))[:, None]  # a weak prior: AUC about 0.65
    X = rng.normal(size=(n, 5))
    head = LinearHead(["weak"]).fit(X, y[:, None], Z, ["participant"] * n)
    s = float(head.prior_scale[0])
    assert 0.0 < s < 1.0 and head.wz[0] > 0
    # what the fit saw: the feature times s; what the suggestions use: the feature in full
    lin = X @ head.W[:, 0] + head.b[0] + prior_feature(Z[:, 0]) * head.wz[0]
    p = head.proba(X, Z, ["participant"] * n)[:, 0]
    assert np.allclose(p, 1.0 / (1.0 + np.exp(-lin)), atol=1e-5)


def test_learned_cap_is_the_most_codes_the_coder_gave_one_excerpt():
    corpus, labels = synthetic(n_per=10)
    one = np.array([[lab == c.id for c in CODES] for lab in labels], dtype=float)
    eng = Engine(CODES, HashEmbedder()).prepare(corpus)
    assert eng.fit(corpus, np.arange(30), one[:30]).head.max_per_excerpt == 1  # single-label: one chip
    several = one.copy()
    several[0] = 1.0  # one excerpt with all three codes: a multi-label scheme is not cut to fewer
    assert eng.fit(corpus, np.arange(30), several[:30]).head.max_per_excerpt == 3  # 95th percentile: 1



def test_a_learned_code_is_not_read_with_the_codebooks_mapping_before_decisions_calibrate():
    """Before 50 decisions calibrate, a learned code's probability is the mean of the codebook's
    mapping and its own score (the codebook's mapping alone read a learned 0.8 as 17%: a code
    just accepted on the same words dropped from 86% to 17%); cold codes keep the mapping."""
    corpus, labels = synthetic()
    eng = Engine(CODES, HashEmbedder()).prepare(corpus)
    idx = np.arange(0, 30)
    Y = np.array([[lab == c.id for c in CODES] for lab in labels[:30]], dtype=float)
    eng.fit(corpus, idx, Y)
    assert eng.calibrator.source == "codebook" and eng.head.stack
    S = eng.scores(corpus, np.arange(30, len(corpus)))
    P, mapped = eng.probabilities(S), eng.calibrator(S)
    for j in range(len(CODES)):
        want = 0.5 * mapped[:, j] + 0.5 * S[:, j] if j in eng.head.stack else mapped[:, j]
        assert np.allclose(P[:, j], want, atol=1e-6)
    cols = sorted(eng.head.stack)
    hi = S[:, cols] >= 0.5  # suggested by the learned head
    assert hi.any() and (P[:, cols][hi] > mapped[:, cols][hi]).all()  # it reads higher than the mapping said


def test_once_decisions_calibrate_a_code_the_prior_alone_speaks_for_keeps_the_codebooks_mapping():
    """The decisions' Platt fit is made on the learned head's scores; a code without a learned
    head (one just added to the codebook, or with too few positives) is read with the codebook's
    mapping, as cold; learned codes with the decisions' fit."""
    from qualcode.suggest.calibrate import Calibrator

    corpus, labels = synthetic(n_per=40)
    eng = Engine(CODES, HashEmbedder()).prepare(corpus)
    Y = np.array([[lab == c.id for c in CODES] for lab in labels], dtype=float)
    Y[:, 2] = 0.0  # the coder never used the third code: the prior alone speaks for it
    for n in (30, 60, 90):  # decisions come in; each fit records what the model showed before them
        eng.fit(corpus, np.arange(n), Y[:n])
    assert eng.calibrator.source == "decisions" and 2 not in eng.head.stack and {0, 1} <= set(eng.head.stack)
    S = eng.scores(corpus, np.arange(90, len(corpus)))
    P, cold, learned = eng.probabilities(S), Calibrator()(S), eng.calibrator(S)
    assert np.allclose(P[:, 2], cold[:, 2], atol=1e-6)
    assert np.allclose(P[:, :2], learned[:, :2], atol=1e-6)
    assert not np.allclose(cold[:, 2], learned[:, 2], atol=1e-3)  # the two mappings differ here
    row, j = 0, 2  # "Why?" says the same probability as the chip
    info = eng.explain(corpus, 90 + row, j, float(S[row, j]))
    assert abs(info["probability"] - float(P[row, j])) < 1e-4


def test_unknown_labels_are_left_out_of_that_codes_fit_gate_and_threshold():
    """NaN = the coder's decision says nothing about that code (an excerpt finished before the code
    was added): the code's regression is fitted as if those rows were not there, its role gate and
    its rejected-suggestion threshold ignore them, and the other codes still learn from them."""
    from qualcode.suggest.learner import LinearHead

    rng = np.random.default_rng(3)
    n, d = 60, 12
    X = rng.normal(size=(n, d))
    Y = np.zeros((n, 2))
    Y[:, 0] = X[:, 0] > 0.3
    Y[:, 1] = X[:, 1] > 0.3
    Z = rng.normal(size=(n, 2))
    roles = ["participant"] * n
    late = np.arange(n) < 25  # finished before code 1 was added: 9 of these fit it, unknown
    Yn = Y.copy()
    Yn[late, 1] = np.nan
    head = LinearHead(["a", "b"]).fit(X, Yn, Z, roles)
    only = LinearHead(["a", "b"]).fit(X[~late], Y[~late], Z[~late], roles[25:])
    full = LinearHead(["a", "b"]).fit(X, Y, Z, roles)
    assert np.allclose(head.W[:, 1], only.W[:, 1]) and head.b[1] == pytest.approx(only.b[1])
    assert np.allclose(head.W[:, 0], full.W[:, 0])  # code 0 learns from every row
    assert head.n_pos[1] == int(Y[~late, 1].sum())
    # the late rows read as "no" (the old rule) make a different, worse-informed fit
    zeros = Y.copy()
    zeros[late, 1] = 0
    assert not np.allclose(LinearHead(["a", "b"]).fit(X, zeros, Z, roles).W[:, 1], head.W[:, 1])
    # a gate: a code never used on a role is gated there only on known rows
    roles2 = ["student"] * 20 + ["participant"] * 40
    Y3 = np.zeros((n, 2))
    Y3[20:, 1] = X[20:, 1] > 0.3
    Y3[:20, 1] = np.nan  # every student row finished before the code existed
    assert 1 not in LinearHead(["a", "b"]).fit(X, Y3, Z, roles2).gates
    Y3[:20, 1] = 0  # ... and known: gated on students
    assert LinearHead(["a", "b"]).fit(X, Y3, Z, roles2).gates.get(1) == {"student"}


def test_the_codebook_alone_is_never_very_sure():
    """Walk 24: a code just added, whose name held the study's subject, showed "96% chance,
    very sure" on every excerpt that said "mentor". The codebook's mapping says at most
    COLD_MAX (on the dev sets, cold suggestions over 0.8 were right about 0.7 of the time);
    a coder's own decisions, once they calibrate, may say more."""
    from qualcode.suggest.calibrate import COLD_MAX, Calibrator

    S = np.array([[0.5, 0.9, 0.999, 0.99999]])
    cold = Calibrator()(S)
    assert 0.7 < cold.max() <= COLD_MAX <= 0.8
    assert (np.diff(cold[0]) > 0).all()  # in order still: the chips are sorted by it, A takes the first
    rng = np.random.default_rng(0)
    s = rng.uniform(0.01, 0.99, 400)
    learned = Calibrator().fit(s, (rng.uniform(size=400) < s).astype(int), n_decisions=400)
    assert learned.source == "decisions" and learned(S).max() > 0.9


def test_an_engine_prepared_on_an_empty_project_learns_once_documents_are_added():
    """The hand features' scaling of an empty corpus (the mean of no rows, NaN) was cached, so the
    documents added later had NaN features and the first fit failed ("Input X contains NaN")."""
    from qualcode.suggest.corpus import concat_corpus

    full, labels = synthetic()
    empty = make_corpus([], np.zeros((0, full.emb.shape[1]), dtype=np.float32))
    eng = Engine(CODES, HashEmbedder()).prepare(empty)
    assert eng._X(empty, np.arange(0)).shape[0] == 0
    grown = concat_corpus(empty, full)
    eng.extend(empty, grown)
    X = eng._X(grown, np.arange(len(grown)))
    assert np.isfinite(X.toarray()).all()
    Y = np.array([[lab == c.id for c in CODES] for lab in labels[:60]], dtype=float)
    S = eng.fit(grown, np.arange(60), Y).scores(grown)
    assert np.isfinite(S).all()
