"""Live suggestions: after a decision the coder's model relearns and the stored suggestions
of their unreviewed excerpts are replaced, never the decided pairs nor the open excerpt.

A real project (SQLite) with the tiny fake embedder (unit speed); the real model runs in
tests/test_live_eval.py and bench/bench_live.py.
"""

from __future__ import annotations

import time

import pytest

from conftest import make_document
from qualcode.core import Code
from qualcode.services import analysis, coding, ingest
from qualcode.services import team as team_svc
from qualcode.services import codebook as codebook_svc
from qualcode.services import suggest as service
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from qualcode.storage import meta
from qualcode.suggest.embedder import HashEmbedder

TURNS = [
    ("Interviewer", "interviewer", "How did trust develop in the team?"),
    ("Ana", "participant", "We trust each other because we met at every convening."),
    ("Interviewer", "interviewer", "What did the data show?"),
    ("Ana", "participant", "The data showed that exit tickets improved after each cycle."),
    ("Ben", "participant", "Time was short, we never had enough time to plan."),
    ("Ana", "participant", "Our trust grew when the district kept its word about the data."),
    ("Ben", "participant", "There was no time in the schedule, time ran out every week."),
    ("Ana", "participant", "The cafeteria served pizza on Fridays and the students loved the pizza."),
]


CODEBOOK = """codes:
- {id: trust, name: Trust, definition: Trust between people., keywords: [trust]}
- {id: data, name: Evidence, definition: Data that shows progress., keywords: [data]}
- {id: time, name: Time pressure, definition: Not enough time., keywords: [time]}
"""


@pytest.fixture
def live_project(tmp_path):
    from qualcode import services

    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    project = services.init_project(tmp_path / "proj", codebook=tmp_path / "codebook.yaml", coder="alice")
    service.set_embedder(HashEmbedder())
    with project.session() as s:
        meta.set_setting(s, "threshold", 0.3)  # enough cold suggestions with the fake embedder
        docs = [doc_store.add_document(s, make_document(f"doc{k}", TURNS + [("Ana", "participant", f"Trust {k}.")]))
                for k in range(3)]
    yield project, docs
    service.wait_for_learning(project)
    service.set_embedder(None)
    project.close()


def _pending(ctx, **kw):
    with ctx.session(readonly=True) as s:
        return coding_store.list_suggestions(s, status="pending", **kw)


def _excerpts(ctx, doc_id):
    with ctx.session(readonly=True) as s:
        return [e.id for e in doc_store.load_document(s, doc_id).excerpts if e.codable]


def test_a_decision_relearns_and_replaces_pending_but_never_decided_pairs_or_the_open_excerpt(live_project):
    ctx, (d1, d2, d3) = live_project
    service.suggest_all(ctx)
    pend = _pending(ctx)
    assert pend and all(p.model_id.endswith("/cold") for p in pend)
    acc = next(p for p in pend if p.code_id == "trust")
    rej = next(p for p in pend if p.code_id != "trust" and p.excerpt_id != acc.excerpt_id)
    coding.accept_suggestion(ctx, acc.id)
    coding.reject_suggestion(ctx, rej.id)
    ex1 = _excerpts(ctx, d1)
    manual = next(e for e in ex1 if e not in (acc.excerpt_id, rej.excerpt_id))
    coding.add_coding(ctx, manual, "time")
    open_ex = next(e for e in _excerpts(ctx, d2) if any(p.excerpt_id == e for p in pend))
    before_open = sorted((p.id, p.code_id, p.model_id, p.score) for p in pend if p.excerpt_id == open_ex)

    t0 = time.perf_counter()
    service.on_decision(ctx, document_id=d1, exclude=[open_ex])
    assert time.perf_counter() - t0 < 0.2  # the click never waits
    service.wait_for_learning(ctx)

    with ctx.session(readonly=True) as s:
        a, r = coding_store.get_suggestion(s, acc.id), coding_store.get_suggestion(s, rej.id)
        reviewed = coding_store.reviewed_excerpts(s, coder_id=ctx.coder_id(s))
    assert (a.status, a.score, a.model_id) == ("accepted", acc.score, acc.model_id)
    assert (r.status, r.score, r.model_id) == ("rejected", rej.score, rej.model_id)
    now = _pending(ctx)
    # the open excerpt keeps exactly its chips
    assert sorted((p.id, p.code_id, p.model_id, p.score) for p in now if p.excerpt_id == open_ex) == before_open
    # unreviewed excerpts are re-scored by the learned model (a reviewed excerpt's leftover
    # pending suggestions are not re-scored: the coder has been there)
    others = [p for p in now if p.excerpt_id != open_ex and p.excerpt_id not in reviewed]
    assert others and all(p.model_id.split("/")[-1].startswith("h3-") for p in others)  # learned, not cold
    # reviewed excerpts get nothing new (undecided chips left there stay as they were)
    assert {p.id for p in now if p.excerpt_id in reviewed} <= {p.id for p in pend}
    assert not [p for p in now if (p.excerpt_id, p.code_id) in {(acc.excerpt_id, acc.code_id),
                                                                  (rej.excerpt_id, rej.code_id)}]
    st = service.learning_status(ctx)
    assert st["learned_from"] == 3 and st["busy"] == "" and st["updated_s"] is not None and st["updated_s"] < 60

    # the coder moves on: the excerpt left behind is refreshed, the new open one kept
    service.request_refresh(ctx, document_id=d2, exclude=[])
    service.wait_for_learning(ctx)
    with ctx.session(readonly=True) as s:
        reviewed = coding_store.reviewed_excerpts(s, coder_id=ctx.coder_id(s))
    assert all(not p.model_id.endswith("/cold") for p in _pending(ctx) if p.excerpt_id not in reviewed)


def test_the_line_names_the_model_of_the_suggestions_shown_not_the_one_still_writing(live_project, monkeypatch):
    """Walk 24: right after the first decision the line read "learned from your decisions on 1
    excerpt, updated 78 s ago": the new model was named as soon as it was fitted, while the
    suggestions on screen were still the codebook's of 78 s before. Until the refresh writes,
    the line speaks of the suggestions shown (and says it is updating); then of the new ones."""
    import threading

    ctx, (d1, d2, _) = live_project
    service.suggest_all(ctx)
    service.wait_for_learning(ctx)
    assert service.learning_status(ctx)["learned_from"] == 0
    gate, writing = threading.Event(), threading.Event()
    real = service._refresh

    def slow(*a, **kw):
        writing.set()
        assert gate.wait(30)
        return real(*a, **kw)

    monkeypatch.setattr(service, "_refresh", slow)
    coding.add_coding(ctx, _excerpts(ctx, d2)[0], "trust")
    service.on_decision(ctx, document_id=d2)
    try:
        assert writing.wait(30)
        info = service.learning_status(ctx)
        assert info["learned_from"] == 0 and info["busy"] == "refreshing"  # fitted, not written yet
    finally:
        gate.set()
    service.wait_for_learning(ctx)
    info = service.learning_status(ctx)
    assert info["learned_from"] == 1 and info["busy"] == "" and info["updated_s"] < 30


def test_refresh_progress_counts_the_coders_unreviewed_codable_excerpts(live_project):
    """Walk 8: "updating suggestions (86 of 378 excerpts)" in a project of 241 codable excerpts:
    the count took in the interviewer's lines. It counts what the coder has left to code."""
    project, docs = live_project
    ex = _excerpts(project, docs[0])  # the codable ones
    coding.add_coding(project, ex[1], "trust")
    service.wait_for_learning(project)
    seen = []
    service.refresh_suggestions(project, document_id=docs[0], progress=lambda d, t: seen.append((d, t)))
    codable = sum(len(_excerpts(project, d)) for d in docs)
    assert codable == 3 * 7 and seen[-1] == (codable - 1, codable - 1)
    scoring = [d for d, t in seen if t == codable - 1]  # (loading the engine reports its own steps first)
    assert scoring == [len(ex) - 1, codable - 1]  # this document first, then the rest


def test_nothing_here_rejects_pending_and_undo_puts_them_back(live_project):
    ctx, (d1, _, _) = live_project
    service.suggest_document(ctx, d1)
    ex = next(p.excerpt_id for p in _pending(ctx, document_id=d1))
    ids = {p.id for p in _pending(ctx, excerpt_ids=[ex])}
    assert coding.nothing_here(ctx, ex) == len(ids)
    with ctx.session(readonly=True) as s:
        assert {coding_store.get_suggestion(s, i).status for i in ids} == {"rejected"}
        assert ex in coding_store.reviewed_excerpts(s, coder_id=ctx.coder_id(s))
    assert service.learning_curve(ctx)[0]["rejected"] == len(ids)
    coding.undo(ctx, 1)
    with ctx.session(readonly=True) as s:
        assert {coding_store.get_suggestion(s, i).status for i in ids} == {"pending"}
        assert ex not in coding_store.reviewed_excerpts(s, coder_id=ctx.coder_id(s))


def test_a_role_change_withdraws_that_speakers_pending_suggestions(live_project):
    ctx, (d1, d2, _) = live_project
    service.suggest_all(ctx)
    with ctx.session(readonly=True) as s:
        doc = doc_store.load_document(s, d1)
    ben = {e.id for e in doc.excerpts if doc.turns[e.turn_order].speaker == "Ben"}
    ben_pending = [p for p in _pending(ctx) if p.excerpt_id in ben]
    assert ben_pending
    decided = ben_pending[0]
    coding.reject_suggestion(ctx, decided.id)
    counted = sum(codebook_svc.pending_usage(ctx).values())
    ingest.set_speaker_role(ctx, d1, "Ben", "interviewer")
    left = [p for p in _pending(ctx) if p.excerpt_id in ben]
    assert left == []
    with ctx.session(readonly=True) as s:
        assert coding_store.get_suggestion(s, decided.id).status == "rejected"  # decisions stay
    assert [p for p in _pending(ctx, document_id=d2) if p.excerpt_id not in ben]  # other documents untouched
    # they stop counting under include="pending"
    assert sum(codebook_svc.pending_usage(ctx).values()) == counted - (len(ben_pending) - 1)
    pairs = analysis.load_facts(ctx, include="pending").pairs
    assert not set(pairs["excerpt_id"]) & ben
    # and a refresh does not bring them back
    service.refresh_suggestions(ctx, document_id=d1)
    assert [p for p in _pending(ctx) if p.excerpt_id in ben] == []


def test_a_new_code_gets_suggestions_when_the_codebook_changes(live_project):
    ctx, (d1, _, _) = live_project
    service.suggest_all(ctx)
    assert service.follow_codebook(ctx, document_id=d1) is False  # nothing changed
    codebook_svc.add_code(ctx, Code(id="food", name="School food", definition="Meals and pizza at school.",
                                    keywords=["pizza", "cafeteria"]))
    assert service.follow_codebook(ctx, document_id=d1) is True
    assert service.learning_status(ctx)["codebook"]  # the page says the update is for the codebook
    service.wait_for_learning(ctx)
    assert any(p.code_id == "food" for p in _pending(ctx, document_id=d1))
    assert service.follow_codebook(ctx, document_id=d1) is False
    assert not service.learning_status(ctx)["codebook"]  # ... and no longer once it is done
    service.on_decision(ctx, document_id=d1)  # a decision's update is not a codebook one
    assert not service.learning_status(ctx)["codebook"]
    service.wait_for_learning(ctx)


def test_why_is_plain_language(live_project):
    ctx, (d1, _, _) = live_project
    service.suggest_document(ctx, d1)
    sg = _pending(ctx, document_id=d1)[0]
    lines = service.why(ctx, sg.id)
    text = " ".join(lines)
    assert "sure" in text and "codebook only" in text
    assert "model:" not in text and "learned: False" not in text and "/cold" not in text
    assert service.learned_from("m:384/h12-abc") == 12 and service.learned_from("m:384/cold") == 0


def test_learning_curve_per_coder_and_window(live_project):
    ctx, (d1, d2, d3) = live_project
    service.suggest_all(ctx)
    pend = _pending(ctx)
    for p in pend[:6]:
        (coding.accept_suggestion if p.code_id == "trust" else coding.reject_suggestion)(ctx, p.id)
    coding.add_coding(ctx, _excerpts(ctx, d3)[-1], "data")
    curve = service.learning_curve(ctx, window=4)
    assert [c["decisions"] for c in curve] == [4, 7]
    assert all(c["coder"] == "alice" for c in curve)
    acc = sum(p.code_id == "trust" for p in pend[:6])
    assert sum(c["accepted"] for c in curve) == acc and sum(c["manual"] for c in curve) == 1
    assert curve[-1]["suggested_share"] is not None


def test_learning_curve_counts_a_suggested_code_coded_by_hand_as_suggested(live_project):
    """Coding by hand the code a pending suggestion offered there settles that suggestion:
    the curve counts it as a suggestion accepted, not as a code the engine missed."""
    ctx, docs = live_project
    service.suggest_all(ctx)
    p = _pending(ctx)[0]
    coding.add_coding(ctx, p.excerpt_id, p.code_id)
    (point,) = service.learning_curve(ctx)
    assert (point["accepted"], point["manual"], point["suggested_share"]) == (1, 0, 1.0)
    service.wait_for_learning(ctx)  # the refresh after the coding is done: nothing changes under us
    other = next(e for e in [e for d in docs for e in _excerpts(ctx, d)]
                 if not any(q.excerpt_id == e and q.code_id == p.code_id for q in _pending(ctx))
                 and e != p.excerpt_id)
    coding.add_coding(ctx, other, p.code_id)  # nothing was suggested there: by hand
    (point,) = service.learning_curve(ctx)
    assert (point["accepted"], point["manual"], point["suggested_share"]) == (1, 1, 0.5)


def test_warm_up_loads_the_engine_once_in_the_background(live_project):
    ctx, _ = live_project
    service._STATES.clear()
    assert service.warm_up(ctx) is True
    service.wait_for_learning(ctx)
    assert service.warm_up(ctx) is False  # loaded: nothing to do
    assert service.learning_status(ctx)["busy"] == ""


def test_a_refresh_keeps_the_id_of_a_code_it_proposes_again(live_project):
    """A chip on the coder's page stays clickable when the new model proposes its code again
    (same row, new score and model); a code it no longer proposes goes, a new one comes."""
    from qualcode.core import Suggestion

    ctx, (d1, _, _) = live_project
    e1, e2 = _excerpts(ctx, d1)[:2]
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e, code_id=c, score=0.6, model_id="m:1/cold")
                                            for e in (e1, e2) for c in ("trust", "data")])
    before = {(p.excerpt_id, p.code_id): p.id for p in _pending(ctx)}
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e1, code_id="trust", score=0.8, model_id="m:1/h1-a"),
                                            Suggestion(excerpt_id=e1, code_id="time", score=0.7, model_id="m:1/h1-a")],
                                        replace_pending_for=[e1])
    now = {(p.excerpt_id, p.code_id): p for p in _pending(ctx)}
    assert now[(e1, "trust")].id == before[(e1, "trust")]  # the same chip, re-scored
    assert (now[(e1, "trust")].score, now[(e1, "trust")].model_id) == (0.8, "m:1/h1-a")
    assert (e1, "data") not in now and now[(e1, "time")].id not in before.values()
    assert {k: p.id for k, p in now.items() if k[0] == e2} == {k: i for k, i in before.items() if k[0] == e2}
    with ctx.session(readonly=True) as s:
        from qualcode.storage import training

        assert training.newest_suggestion(s)["model_id"] == "m:1/h1-a"


def test_warm_up_after_cold_suggestions_prepares_the_first_learned_fit(live_project):
    """Suggestions computed in this process leave the engine loaded but its learned features
    not computed; the Code page's warm-up computes them, so the first decision only fits."""
    ctx, (d1, _, _) = live_project
    service._STATES.clear()
    service.suggest_document(ctx, d1)
    (st,) = [s for k, s in service._STATES.items() if k[1] == ctx.coder]
    assert not st.engine.is_warm(st.corpus)
    assert service.warm_up(ctx) is True
    service.wait_for_learning(ctx)
    assert st.engine.is_warm(st.corpus) and service.warm_up(ctx) is False


@pytest.mark.parametrize("p,words", [(0.95, "very sure"), (0.8, "fairly sure"), (0.59, "unsure, leaning towards yes"),
                                     (0.3, "not sure, leaning towards no"), (0.1, "far from sure")])
def test_why_says_how_sure_in_words_that_match_the_calibrated_probability(live_project, p, words):
    """A one-keyword hit can have a decision score near 1 and a modest probability ("The big
    social interview dot, dot PDF." for Empathy interviews): "Why?" and the chip speak from the
    probability, never the score."""
    from qualcode.core import Suggestion
    from qualcode.services import ui_support

    ctx, (d1, _, _) = live_project
    e1 = _excerpts(ctx, d1)[0]
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e1, code_id="trust", score=0.999, model_id="m:1/cold",
                                                       explanation={"probability": p, "matched_words": ["trust"]})])
    (sg,) = _pending(ctx, excerpt_ids=[e1])
    first = service.why(ctx, sg.id)[0]
    assert first == f"The model is {words}: about {round(100 * p)} in 100 excerpts like this get Trust."
    chip = ui_support.Chip(suggestion_id=sg.id, code_id="trust", code_name="Trust", score=sg.score,
                           status="pending", explanation=sg.explanation)
    assert chip.probability == p


def _new_process():
    """What a restarted app (or another process serving the same project) knows: nothing."""
    service._LIVE.clear()
    service._STATES.clear()


FOOD = Code(id="food", name="School food", definition="Meals and pizza at school.", keywords=["pizza", "cafeteria"])


def test_a_code_one_coder_adds_is_suggested_to_another_coder_who_opens_the_code_page(live_project):
    # walker adds a code on the Codebook page; bob opens the Code page later (first look in this
    # process) and must get suggestions for it, though he never changed the codebook himself
    ctx, (d1, _, _) = live_project
    bob = ctx.as_coder("bob")
    service.suggest_all(ctx)
    codebook_svc.add_code(ctx, FOOD)
    assert not any(p.code_id == "food" for p in _pending(ctx))
    assert service.follow_codebook(bob, document_id=d1) is True
    assert service.learning_status(bob)["codebook"]  # "suggesting your codebook changes (x of y)…"
    service.wait_for_learning(bob)
    assert any(p.code_id == "food" for p in _pending(ctx, document_id=d1))
    assert service.follow_codebook(bob, document_id=d1) is False  # done: not again
    # ... and in a new process, bob's stored suggestions say they were made with this codebook
    _new_process()
    assert service.follow_codebook(bob, document_id=d1) is False


def test_codebook_changes_are_followed_per_coder_across_processes(live_project):
    ctx, (d1, d2, _) = live_project
    bob = ctx.as_coder("bob")
    coding.nothing_here(bob, _excerpts(ctx, d2)[-1])  # bob has coded before
    service.refresh_suggestions(bob, document_id=d1)  # bob's suggestions, made with this codebook
    _new_process()  # walker's app runs in another process
    codebook_svc.add_code(ctx, FOOD)
    service.refresh_suggestions(ctx, document_id=d1)  # walker's own suggestions follow at once...
    _new_process()  # ... and bob opens the Code page in a third one: the newest stored suggestion
    # is newer than the codebook change, but bob's own suggestions are not
    assert service.follow_codebook(bob, document_id=d1) is True
    service.wait_for_learning(bob)
    assert service.follow_codebook(bob, document_id=d1) is False
    _new_process()
    assert service.follow_codebook(bob, document_id=d1) is False
    assert service.follow_codebook(ctx, document_id=d1) is False  # walker's were made after the change
    codebook_svc.edit_code(ctx, "food", definition="Meals, snacks and pizza at school.")
    assert service.follow_codebook(bob, document_id=d1) is True  # an edit counts too
    service.wait_for_learning(bob)


def test_why_says_when_the_suggestion_was_made_beside_the_pages_count(live_project):
    """The page's line counts the newest model (13 excerpts); a suggestion made earlier keeps
    its model (1 excerpt): "Why?" says both, so the two do not read as a contradiction."""
    from qualcode.core import Suggestion

    ctx, (d1, _, _) = live_project
    e1, e2 = _excerpts(ctx, d1)[:2]
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e1, code_id="trust", score=0.9,
                                                       model_id="m:384/h1-aaa", explanation={"probability": 0.8})])
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e2, code_id="data", score=0.9,
                                                       model_id="m:384/h13-bbb", explanation={"probability": 0.8})])
    # a model learned from 13 of this coder's decisions: they reviewed 13 excerpts (not e1, e2)
    reviewed = [e for d in live_project[1] for e in _excerpts(ctx, d) if e not in (e1, e2)][:13]
    assert len(reviewed) == 13
    with ctx.session() as s:
        for e in reviewed:
            coding_store.mark_reviewed(s, e, ctx.coder_id(s))
    assert service.learning_status(ctx)["learned_from"] == 13
    assert not service.learning_status(ctx)["colleague"]
    (old,) = _pending(ctx, excerpt_ids=[e1])
    assert service.why(ctx, old.id)[-1] == ("This suggestion was made when the model had learned from your decisions "
                                            "on 1 excerpt; it has learned from 13 excerpts now.")
    (new,) = _pending(ctx, excerpt_ids=[e2])
    assert service.why(ctx, new.id)[-1] == "Learned from your decisions on 13 excerpts."


def test_moving_a_code_under_another_rebuilds_the_engine(live_project):
    """The engine's codebook structure (a parent scores at least its children) follows a move:
    suggestions made after it are made with the new parent, not the old flat codebook."""
    ctx, (d1, _, _) = live_project
    service.suggest_all(ctx)
    before = service._load_state(ctx).engine
    assert not before._parents.any()
    codebook_svc.move_code(ctx, "time", "trust")
    assert service.follow_codebook(ctx, document_id=d1) is True
    service.wait_for_learning(ctx)
    after = service._load_state(ctx).engine
    assert after is not before
    assert after._parents.tolist() == [c.id == "trust" for c in service._load_state(ctx).codes]


def test_a_colleagues_model_is_never_read_as_your_decisions(live_project):
    """Suggestion rows are shared: a coder who has decided nothing yet, whose own model has not
    run in this process, sees rows a colleague's model made; the line says so, not "learned from
    your decisions on 13 excerpts"."""
    from qualcode.core import Suggestion
    from qualcode.ui.pages.code import learning_text

    ctx, (d1, _, _) = live_project
    (e1,) = _excerpts(ctx, d1)[:1]
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e1, code_id="data", score=0.9,
                                                       model_id="m:384/h13-bbb", explanation={"probability": 0.8})])
    info = service.learning_status(ctx.as_coder("newcomer"))
    assert info["colleague"] and info["learned_from"] == 0
    assert learning_text(info).startswith("Suggestions from a colleague's model so far")


def test_a_document_without_suggestions_says_so_and_computes_them_for_every_document(live_project):
    """Walk 11: the first import's suggestions were cut short (the tab closed); the Code page
    offered only "Compute suggestions for this document", unexplained, one document at a time."""
    from tests.ui_helpers import no_exception, page

    ctx, docs = live_project
    at = no_exception(page("code", ctx))
    assert any("No suggestions for this document yet" in c.value for c in at.caption)
    assert not _pending(ctx)
    at.button(key="suggest-all").click().run()
    no_exception(at)
    with ctx.session(readonly=True) as s:
        made = {doc_store.load_document(s, d).id for d in docs}
        per_doc = {d: [sg for sg in coding_store.list_suggestions(s, document_id=d)] for d in made}
    assert all(per_doc[d] for d in docs), {d: len(v) for d, v in per_doc.items()}  # every document, one click


def test_the_ticking_learning_line_never_restarts_the_feature_warm_up(live_project):
    """The feature warm-up waits for WARM_IDLE_S of quiet and each warm_up call restarts that
    wait; the Code page's status line ticks every 2 s, so a tick that called warm_up would put
    the warm-up off for as long as the page is open. The page's own runs call it; ticks do not."""
    from tests.ui_helpers import no_exception, run_script

    ctx, (d1, _, _) = live_project
    assert service.WARM_IDLE_S > 2.0  # the tick (run_every=2.0) comes sooner than the wait
    script = ("from qualcode.services import suggest as svc\n"
              "from qualcode.ui.pages import code\n"
              "import streamlit as st\n"
              "calls = st.session_state.setdefault('warm_calls', [])\n"
              "real, svc.warm_up = svc.warm_up, lambda ctx: calls.append(1) or False\n"
              "try:\n"
              "    ctx = code.page_context('Code')\n"
              f"    for _ in range(3):\n        code._learning_status(ctx, {d1})\n"
              "finally:\n"
              "    svc.warm_up = real\n")
    at = no_exception(run_script(script, ctx))
    assert at.session_state["warm_calls"] == []


def test_a_colleagues_refresh_leaves_the_excerpt_a_coder_has_open_alone(live_project):
    """Walk 13: while bob coded the same transcript, new chips appeared on the excerpt alice was
    deciding (suggestion rows are shared, and bob's refresh re-scored every excerpt he had not
    reviewed). The excerpt alice's Code page holds open keeps its chips; the others are bob's."""
    alice, (d1, d2, d3) = live_project
    service.suggest_all(alice)
    pend = _pending(alice)
    open_ex = next(e for e in _excerpts(alice, d2) if any(p.excerpt_id == e for p in pend))
    before_open = sorted((p.id, p.code_id, p.model_id, p.score) for p in pend if p.excerpt_id == open_ex)
    bob = alice.as_coder("bob")
    try:
        service.hold(alice, open_ex)
        ex = _excerpts(bob, d1)
        coding.add_coding(bob, ex[0], "trust")
        coding.add_coding(bob, ex[1], "data")
        coding.nothing_here(bob, ex[5])
        service.on_decision(bob, document_id=d2)
        service.wait_for_learning(bob)
        now = _pending(alice)
        assert sorted((p.id, p.code_id, p.model_id, p.score) for p in now if p.excerpt_id == open_ex) == before_open
        others = [p for p in now if p.excerpt_id != open_ex and p.excerpt_id in _excerpts(alice, d2)]
        assert others and all(not p.model_id.endswith("/cold") for p in others)  # bob's model re-scored them
        service.hold(alice, None)  # alice moved on (or left): bob's next refresh reaches it
        service.request_refresh(bob, document_id=d2)
        service.wait_for_learning(bob)
        assert all(not p.model_id.endswith("/cold") for p in _pending(alice) if p.excerpt_id == open_ex)
    finally:
        service.hold(alice, None)
        service.wait_for_learning(bob)


def test_the_coders_own_refresh_leaves_the_excerpt_they_moved_to_alone(live_project):
    """Walk 24: "99%" on the open excerpt, A pressed, "49% accepted": the refresh that the
    previous decision asked for (leaving that previous excerpt alone) re-scored the excerpt the
    coder had moved on to, under their eyes. The excerpt the coder's page holds open keeps its
    chips whatever refresh is running; once they move on, the next refresh reaches it."""
    alice, (d1, d2, d3) = live_project
    service.suggest_all(alice)
    pend = _pending(alice)
    ex = _excerpts(alice, d2)
    decided = ex[:3]
    open_ex = next(e for e in ex[3:] if any(p.excerpt_id == e for p in pend))
    before_open = sorted((p.id, p.code_id, p.model_id, p.score) for p in pend if p.excerpt_id == open_ex)
    try:
        service.hold(alice, open_ex)  # the page moved on to it
        coding.add_coding(alice, decided[0], "trust")
        coding.add_coding(alice, decided[1], "data")
        coding.nothing_here(alice, decided[2])
        service.on_decision(alice, document_id=d2, exclude=[decided[2]])  # the decision's own excerpt
        service.wait_for_learning(alice)
        now = _pending(alice)
        assert sorted((p.id, p.code_id, p.model_id, p.score) for p in now if p.excerpt_id == open_ex) == before_open
        others = [p for p in now if p.excerpt_id not in (open_ex, *decided) and p.excerpt_id in ex]
        assert others and all(not p.model_id.endswith("/cold") for p in others)  # the rest was re-scored
        service.hold(alice, None)
        service.request_refresh(alice, document_id=d2)
        service.wait_for_learning(alice)
        assert all(not p.model_id.endswith("/cold") for p in _pending(alice) if p.excerpt_id == open_ex)
    finally:
        service.hold(alice, None)
        service.wait_for_learning(alice)


def test_why_names_a_colleagues_model_and_the_line_says_so_too(live_project):
    """A walk: on alice's app (her model learned from 163 excerpts) the coder switched to bob and
    opened his Code page; his model re-scored the excerpts neither had reviewed (suggestion rows
    are shared). Back as alice, the line said "learned from your decisions on 163 excerpts" and
    "Why?" said the chip was made "when the model had learned from your decisions on 42
    excerpts": it was bob's model, learned from his. "Why?" names whose model made it, the line
    says the open document holds some of it, and alice's own refresh makes them hers again."""
    from qualcode.ui.pages.code import learning_text

    alice, (d1, d2, _) = live_project
    bob = alice.as_coder("bob")
    ex, ex2 = _excerpts(alice, d1), _excerpts(alice, d2)
    service.suggest_all(alice)
    coding.add_coding(alice, ex[0], "trust")
    coding.add_coding(alice, ex[1], "data")
    coding.nothing_here(alice, ex[5])
    service.refresh_suggestions(alice, document_id=d1)  # alice's model: 3 excerpts
    coding.add_coding(bob, ex[0], "trust")
    coding.nothing_here(bob, ex[5])
    service.refresh_suggestions(bob, document_id=d2)  # bob's Code page: his model, 2 excerpts
    theirs = [p for p in _pending(alice) if p.excerpt_id in ex2]
    assert theirs and {service.learned_from(p.model_id) for p in theirs} == {2}
    lines = service.why(alice, theirs[0].id)
    assert lines[-1] == ("This suggestion was made by bob's model, learned from their decisions on 2 excerpts; "
                         "yours has learned from your decisions on 3 excerpts.")
    assert not any("you coded" in line for line in lines)  # the closest accepted excerpt is bob's
    assert service.why(bob, theirs[0].id)[-1] == "Learned from your decisions on 2 excerpts."
    info = service.learning_status(alice, document_id=d2)
    assert info["learned_from"] == 3 and info["others"] == [("bob", 2)]
    assert learning_text(info).endswith(" · some on this document come from bob's model "
                                        "(learned from their decisions on 2 excerpts)")
    assert service.learning_status(bob, document_id=d2)["others"] == []  # his own

    # a restarted app: the stored rows say whose model made them, though alice has decided more
    _new_process()
    info = service.learning_status(alice)
    assert info["colleague"] and info["made_by"] == "bob" and info["learned_from"] == 0
    assert learning_text(info).startswith("Suggestions from bob's model so far")

    # alice's own refresh re-scores her unreviewed excerpts: hers again, and said so
    service.refresh_suggestions(alice, document_id=d2)
    mine = [p for p in _pending(alice) if p.excerpt_id in ex2]
    assert mine and {service.learned_from(p.model_id) for p in mine} == {3}
    assert service.why(alice, mine[0].id)[-1] == "Learned from your decisions on 3 excerpts."
    assert service.learning_status(alice, document_id=d2)["others"] == []
    info = service.learning_status(bob, document_id=d2)  # his model has not run in this process
    assert info["colleague"] and info["made_by"] == "alice"


def test_why_names_which_codebook_text_is_closest(live_project):
    """Walk 17: "Closest example in the codebook" quoted the code's definition. The line says
    whether the nearest codebook text is the definition, an inclusion criterion or an example,
    and that is what the quoted text is."""
    from qualcode.services import codebook as cbs

    ctx, (d1, _, _) = live_project
    service.suggest_document(ctx, d1)
    codes = {c.id: c for c in cbs.get_codebook(ctx).codes}
    seen = set()
    for sg in _pending(ctx, document_id=d1):
        near = service.explain(ctx, sg.id).get("closest_example")
        if not near:
            continue
        code = codes[sg.code_id]
        kind, text = near["kind"], near["text"]
        said = next(line for line in service.why(ctx, sg.id) if line.startswith("Closest in the codebook: "))
        expected = {"definition": f"the definition of {code.name}", "include": f"what {code.name} includes",
                    "example": f"an example of {code.name}"}[kind]
        assert said.startswith(f"Closest in the codebook: {expected}, “"), said
        if kind == "definition":
            assert text == f"{code.name}: {code.definition}".strip().rstrip(":")
        else:
            assert text in {"include": code.include, "example": code.examples}[kind]
        seen.add(kind)
    assert "definition" in seen, seen
    # which text is which, for a code with all three
    from qualcode.core import Code
    from qualcode.suggest.prior import profile_texts

    prof = profile_texts(Code(id="t", name="Trust", definition="Families rely on the CHW.",
                              include=["Relying on advice"], examples=["She listens to me.", "I call her first."]))
    assert list(zip(prof.kinds_for, prof.texts_for)) == [
        ("definition", "Trust: Families rely on the CHW."), ("include", "Relying on advice"),
        ("example", "She listens to me."), ("example", "I call her first.")]
    assert service._closest_in_codebook({"text": "I call her first.", "kind": "example"}, "Trust") == (
        "Closest in the codebook: an example of Trust, “I call her first.”")


def test_blind_coders_each_keep_their_own_models_suggestions(live_project):
    """Independent coding (walks 18, 19): rows a colleague's learned model wrote are hidden from
    this coder, and a refresh leaves them to their coder (walk 19: each coder's refresh wiped
    the other's suggestions; the page then said the document had not been scored). The Code
    page has this coder's own model re-score the open document, and that one alone (``only``),
    when a colleague's rows there are newer than this coder's last refresh."""
    from qualcode.services import team, ui_support

    alice, (d1, d2, d3) = live_project
    service.suggest_all(alice)
    bob = alice.as_coder("bob")
    team.set_independent_coding(alice, True)
    try:
        ex = _excerpts(bob, d1)
        coding.add_coding(bob, ex[0], "trust")
        coding.add_coding(bob, ex[1], "data")
        service.on_decision(bob, document_id=d2)
        service.wait_for_learning(bob)

        def rows(doc, whose):
            return [p for p in _pending(alice) if p.excerpt_id in _excerpts(alice, doc)
                    and (p.explanation or {}).get("model_of") == whose and service.learned_from(p.model_id)]

        def chips(ctx, doc):
            view = ui_support.transcript_view(ctx, doc)
            return [c for e in view.excerpts() for c in e.state.chips]

        assert rows(d2, "bob") and rows(d3, "bob")  # bob's model re-scored both
        assert not chips(alice, d2) and any(e.state.hidden for e in ui_support.transcript_view(alice, d2).excerpts())
        assert service.learning_status(alice, document_id=d2)["hidden"]
        ex_a = _excerpts(alice, d1)
        coding.add_coding(alice, ex_a[2], "trust")  # alice's model learns too
        service.on_decision(alice, document_id=d1)
        service.wait_for_learning(alice)
        service.request_refresh(alice, document_id=d2, only=True)
        service.wait_for_learning(alice)
        assert rows(d2, "alice") and rows(d2, "bob")  # both coders' own suggestions stand side by side
        assert chips(alice, d2) and all((c.explanation or {}).get("model_of") == "alice" for c in chips(alice, d2))
        assert all((c.explanation or {}).get("model_of") == "bob" for c in chips(bob, d2) if c.status == "pending")
        assert not service.learning_status(alice, document_id=d2)["hidden"]  # her model has scored it since
        service.on_decision(bob, document_id=d3)  # bob relearns: alice's rows are left to her
        service.wait_for_learning(bob)
        assert rows(d2, "alice")
    finally:
        service.wait_for_learning(bob)


def test_a_code_added_mid_way_learns_nothing_from_excerpts_finished_before_it(live_project):
    """Walk 19's "Water and infrastructure": a code added after the coder had finished excerpts
    learned those excerpts as counter-examples, its own excerpts among them. They are unknown for
    it (NaN) until the coder looks at them for it; a real "no" after that (a rejected chip) counts."""
    import numpy as np

    ctx, (d1, d2, _) = live_project
    ex1 = _excerpts(ctx, d1)
    for e in ex1:
        coding.mark_reviewed(ctx, e)
    coding.add_coding(ctx, ex1[1], "trust")
    time.sleep(0.01)
    codebook_svc.add_code(ctx, Code(id="food", name="School food", definition="Meals and pizza at school.",
                                    keywords=["pizza", "cafeteria"]))
    engine, st = service.engine_for(ctx)
    idx, Y = service._labels(ctx, st)
    food = engine.code_ids.index("food")
    assert len(idx) == len(ex1) and np.isnan(Y[:, food]).all()  # finished before it: unknown
    assert not np.isnan(np.delete(Y, food, axis=1)).any()  # the other codes: as decided
    ex2 = _excerpts(ctx, d2)
    coding.mark_reviewed(ctx, ex2[0])  # finished after it was added: a real "no"
    coding.add_coding(ctx, ex2[-2], "food")
    idx, Y = service._labels(ctx, st)
    rows = {st.corpus.ids[i]: k for k, i in enumerate(idx)}
    assert Y[rows[ex2[0]], food] == 0 and Y[rows[ex2[-2]], food] == 1
    assert np.isnan(Y[rows[ex1[0]], food])
    # "Look again": chips of the new code on the finished excerpts it fits, and only there
    late = service.late_codes(ctx, document_id=d1)
    assert [(c["code_id"], c["finished"], c["looked"], c["open"]) for c in late] == [("food", len(ex1), False, 0)]
    got = service.look_again(ctx, "food")
    assert got["finished"] == len(ex1) and got["stored"] >= 1
    chips = [p for p in _pending(ctx, document_id=d1) if p.code_id == "food"]
    assert chips and {p.excerpt_id for p in chips} <= set(ex1)
    pizza = next(p for p in chips if "pizza" in _text(ctx, p.excerpt_id))
    (late,) = service.late_codes(ctx, document_id=d1)
    assert late["looked"] and late["open"] == len(chips) and late["first"][0] == d1
    for p in chips:
        (coding.accept_suggestion if p.id == pizza.id else coding.reject_suggestion)(ctx, p.id)
    idx, Y = service._labels(ctx, st)
    rows = {st.corpus.ids[i]: k for k, i in enumerate(idx)}
    assert Y[rows[pizza.excerpt_id], food] == 1
    assert (~np.isnan(Y[:, food])).sum() == 2 + len(chips)  # d2's two, and every chip decided
    (late,) = service.late_codes(ctx, document_id=d1)
    assert late["finished"] == len(ex1) - len(chips) and late["open"] == 0
    # "Not on any of them": the rest count as looked at, each a "no" for the code; undo brings them back
    assert coding.not_on_the_rest(ctx, "food") == len(ex1) - len(chips)
    assert service.late_codes(ctx, document_id=d1) == []
    idx, Y = service._labels(ctx, st)
    rows = {st.corpus.ids[i]: k for k, i in enumerate(idx)}
    assert not np.isnan(Y[[rows[e] for e in ex1], food]).any()
    assert Y[rows[pizza.excerpt_id], food] == 1 and Y[[rows[e] for e in ex1], food].sum() == 1
    assert coding.not_on_the_rest(ctx, "food") == 0  # nothing left: nothing recorded
    done = coding.undo(ctx, 1)
    assert [d["action"] for d in done] == ["not_on_the_rest"]
    from qualcode.services import messages
    # in the button's words (walk 45: 'Undone: “not on the others” “Cost to families”.')
    assert messages.undone_message(ctx, done) == ("Undone: “Not on any of them” for “School food”. Its line is back: "
                                                  "the excerpts you had finished before it was added wait to be looked "
                                                  "at for it.")
    assert messages.undone_place(ctx, done) is None
    (late,) = service.late_codes(ctx, document_id=d1)
    assert late["finished"] == len(ex1) - len(chips)


def _text(ctx, excerpt_id):
    with ctx.session(readonly=True) as s:
        from qualcode.storage.models import ExcerptRow

        return s.get(ExcerptRow, excerpt_id).text


def _food_added_after_finishing(ctx, doc_id: int) -> int:
    """The coder finishes ``doc_id``, then "School food" is added; returns an excerpt of it the
    model would not flag (no pizza, no trust)."""
    ex1 = _excerpts(ctx, doc_id)
    for e in ex1:
        coding.mark_reviewed(ctx, e)
    time.sleep(0.01)
    codebook_svc.add_code(ctx, Code(id="food", name="School food", definition="Meals and pizza at school.",
                                    keywords=["pizza", "cafeteria"]))
    return next(e for e in ex1 if "pizza" not in _text(ctx, e) and "Trust" not in _text(ctx, e))


def test_look_again_offers_the_excerpts_a_colleague_applied_the_code_to(live_project):
    """Walk 21: Agreement named an excerpt ana had finished before Transport was added and ben
    had coded with it; "Look again", going by the model alone, never offered it, so ana could
    not say yes or no there. It is offered whatever the model's score, except under independent
    coding (a colleague's codes are not shown there)."""
    ctx, (d1, _, _) = live_project
    far = _food_added_after_finishing(ctx, d1)
    bob = ctx.as_coder("bob")
    coding.add_coding(bob, far, "food")
    team_svc.set_independent_coding(ctx, True)
    service.look_again(ctx, "food")
    assert far not in {p.excerpt_id for p in _pending(ctx, document_id=d1) if p.code_id == "food"}
    (late,) = service.late_codes(ctx)
    assert late["looked"] and late["colleague"] == 0  # blind: a colleague's codes are not counted
    team_svc.set_independent_coding(ctx, False)
    (late,) = service.late_codes(ctx)
    assert late["colleague"] == 1  # the Code page's line offers Look again for it
    service.look_again(ctx, "food")
    chips = {p.excerpt_id: p for p in _pending(ctx, document_id=d1) if p.code_id == "food"}
    assert far in chips and chips[far].score < 0.5  # below the model's threshold, offered anyway
    coding.reject_suggestion(ctx, chips[far].id)  # ana's "no" there: looked at
    assert "food" not in team_svc.agreement(ctx, coders=["alice", "bob"])["late"]


def test_not_on_the_rest_settles_agreements_late_note_under_independent_coding(live_project):
    """Blind, ana cannot be offered the excerpt bob coded with a code added after she had finished
    it; "Not on any of them" is her considered "no" there, and Agreement's late note goes."""
    ctx, (d1, _, _) = live_project
    far = _food_added_after_finishing(ctx, d1)
    coding.add_coding(ctx.as_coder("bob"), far, "food")
    team_svc.set_independent_coding(ctx, True)
    assert team_svc.agreement(ctx, coders=["alice", "bob"])["late"]["food"] == {"alice": 1}
    service.look_again(ctx, "food")
    for p in _pending(ctx, document_id=d1):
        if p.code_id == "food":
            coding.reject_suggestion(ctx, p.id)
    (late,) = service.late_codes(ctx)
    assert late["looked"] and not late["open"] and not late["colleague"]
    assert "food" in team_svc.agreement(ctx, coders=["alice", "bob"])["late"]
    assert coding.not_on_the_rest(ctx, "food") == late["finished"]
    assert "food" not in team_svc.agreement(ctx, coders=["alice", "bob"])["late"]
    coding.undo(ctx, 1)
    assert "food" in team_svc.agreement(ctx, coders=["alice", "bob"])["late"]
