"""The live engine state in services.suggest: extended on import, rebuilt when the corpus
changes, kept when nothing it depends on changed (tiny fake embedder; the real model is
exercised in tests/test_evaluate.py and bench/bench_suggest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.core import Code
from qualcode.services import coding
from qualcode.services import ingest
from qualcode.services import suggest as service
from qualcode.suggest.corpus import concat_corpus, make_corpus
from qualcode.suggest.embedder import HashEmbedder
from qualcode.suggest.engine import Engine

CODES = [
    Code(id="trust", name="Trust", definition="Trust between people.", keywords=["trust"]),
    Code(id="data", name="Evidence", definition="Data that shows progress.", keywords=["data"]),
    Code(id="time", name="Time pressure", definition="Not enough time.", keywords=["time"]),
]


def _rows(doc: int, texts: list[str], start: int = 0) -> list[dict]:
    return [{"id": start + i, "doc": doc, "turn": i // 2, "speaker": "IP"[i % 2 == 0 or i // 2 % 3 == 0],
             "role": "participant", "text": t, "codable": True} for i, t in enumerate(texts)]


def test_engine_extend_scores_new_rows_as_the_extended_corpus_would():
    a_texts = [f"We trust the partners in meeting {k}." if k % 3 == 0 else
               f"The data from cycle {k} shows progress." if k % 3 == 1 else
               f"There was no time in week {k}." for k in range(60)]
    b_texts = [f"Honestly the data in term {k} was weak." for k in range(15)] + ["We trust them now."] * 3
    emb = HashEmbedder()
    a = make_corpus(_rows(1, a_texts), emb.encode(a_texts))
    b = make_corpus(_rows(2, b_texts, start=100), emb.encode(b_texts))
    eng = Engine(CODES, emb).prepare(a)
    Y = np.array([[k % 3 == j for j in range(3)] for k in range(40)], dtype=float)
    eng.fit(a, np.arange(40), Y)
    eng.scores(a)  # fills the per-corpus caches that extend carries over
    ab = concat_corpus(a, b)
    assert len(ab) == len(a) + len(b) and ab.docs[-1] == 2 and ab.ids[-1] == 117
    eng.extend(a, ab)
    got = eng.scores(ab)
    # the same calibration and model, computed from scratch for every row of the new corpus
    X = eng._features(ab, np.arange(len(ab)))
    Z = eng.prior.z(eng.prior.raw(ab.emb, ab.lemma_sets))
    want = eng.head.proba(X, Z, ab.roles)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[:len(a)], eng.scores(a), rtol=1e-5, atol=1e-6)


@pytest.fixture
def live(project, tmp_path, monkeypatch):
    from qualcode.storage import codes as code_store

    service.set_embedder(HashEmbedder())
    with project.session() as s:
        for i, c in enumerate(CODES):
            code_store.save_code(s, c, sort_order=100 + i)
    calls: list[int] = []
    real = service.make_corpus
    monkeypatch.setattr(service, "make_corpus", lambda rows, vecs: calls.append(len(rows)) or real(rows, vecs))
    yield project, tmp_path, calls
    service.set_embedder(None)


def _import(ctx, folder, name: str, lines: list[str]) -> int:
    path = folder / f"{name}.txt"
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    report = ingest.ingest_paths(ctx, [path])
    assert not report.failed, report.to_dict()
    return report.document_ids[0]


FIRST = ["Interviewer: How did the team build trust?",
         "Maria Lopez: We trust each other now. The data from the tickets helped.",
         "Interviewer: And time?",
         "Maria Lopez: There was never enough time. We met on Fridays anyway."]
SECOND = ["Interviewer: What changed this year?",
          "Ben Okafor: The data showed progress in every cycle. Teachers trusted the process.",
          "Interviewer: Anything else?",
          "Ben Okafor: Time ran out in spring. We planned better in the fall."]


def _state(ctx):
    engine, st = service.engine_for(ctx)
    return st


def test_an_import_extends_the_live_engine_and_relearning_recalibrates(live):
    ctx, folder, calls = live
    d1 = _import(ctx, folder, "first", FIRST)
    assert service.suggest_document(ctx, d1) > 0
    st = _state(ctx)
    engine, n1 = st.engine, len(st.corpus)
    assert calls == [n1] and st.prepared_rows == n1
    d2 = _import(ctx, folder, "second", SECOND)
    calls.clear()
    n = service.suggest_document(ctx, d2)
    st2 = _state(ctx)
    n2 = len(st2.corpus) - n1
    assert st2 is st and st.engine is engine  # extended, not rebuilt
    assert calls == [n2] and n2 > 0  # only the new document's excerpts were prepared
    assert set(st.corpus.docs[n1:]) == {d2} and st.prepared_rows == n1
    pend = _pending_all(ctx, document_id=d2)
    assert n == len(pend) > 0 and all(st.corpus.docs[st.row_of[sg.excerpt_id]] == d2 for sg in pend)
    # a decision relearns in the background, and then calibrates on the whole corpus
    ex = service.review_queue(ctx, document_id=d2, order="document")
    coding.add_coding(ctx, ex[0], "data")
    service.on_decision(ctx)
    service.wait_for_learning(ctx)
    st3 = _state(ctx)
    assert st3 is st and st.prepared_rows == len(st.corpus) and st.engine is not engine
    assert st.engine.head.n >= 1


def test_a_deletion_or_role_change_rebuilds_and_an_attribute_change_does_not(live):
    ctx, folder, calls = live
    d1 = _import(ctx, folder, "first", FIRST)
    d2 = _import(ctx, folder, "second", SECOND)
    service.suggest_all(ctx)
    st = _state(ctx)
    ingest.set_document_attribute(ctx, d1, "year", 2024, "integer")
    assert _state(ctx) is st  # attributes are not part of the corpus
    ingest.set_speaker_role(ctx, d2, "Ben Okafor", "interviewer")
    st2 = _state(ctx)
    assert st2 is not st
    ben = [i for i, d in enumerate(st2.corpus.docs) if d == d2 and st2.corpus.roles[i] == "interviewer"]
    assert len(ben) == sum(d == d2 for d in st2.corpus.docs) and not st2.corpus.codable[ben].any()
    ingest.delete_document(ctx, d1)
    st3 = _state(ctx)
    assert st3 is not st2 and set(st3.corpus.docs) == {d2}


def test_de_identification_leaves_no_old_text_in_the_live_engine(live):
    ctx, folder, _ = live
    d1 = _import(ctx, folder, "first", FIRST)
    service.suggest_document(ctx, d1)
    ex = service.review_queue(ctx, document_id=d1, order="document")
    fridays = next(e for e, i in _state(ctx).row_of.items() if "Fridays" in _state(ctx).corpus.texts[i])
    coding.add_coding(ctx, ex[0], "trust")
    coding.add_coding(ctx, fridays, "time")
    service.on_decision(ctx)
    service.wait_for_learning(ctx)
    assert any("Fridays" in t for t in _state(ctx).engine.accepted["time"][0])
    assert any("Fridays" in t for t in _state(ctx).corpus.texts)
    ingest.deidentify_document(ctx, d1, names=["Maria Lopez", "Fridays"])
    st = _state(ctx)
    assert not any("Fridays" in t for t in st.corpus.texts)
    for texts, _ in st.engine.accepted.values():  # shown as "nearest accepted excerpt"
        assert not any("Fridays" in t for t in texts)
    n = service.suggest_document(ctx, d1)
    info = [service.explain(ctx, sg.id) for sg in _pending_all(ctx)]
    assert n >= 0 and not any("Fridays" in str(i) for i in info)


def _pending_all(ctx, **kw):
    from qualcode.storage import coding as coding_store

    with ctx.session(readonly=True) as s:
        return coding_store.list_suggestions(s, status="pending", **kw)


def test_the_engine_learns_from_decisions_in_the_order_they_were_made(live):
    """Training rows are the coder's decisions in decision order (an undone and redone one
    moves to the end), not in excerpt order: the calibration window is the latest decisions,
    and the learner's solver is not indifferent to row order, so this is also the order the
    in-memory evaluation trains in (``--live`` must reproduce it exactly)."""
    from qualcode.services import commands
    from qualcode.storage import training

    ctx, folder, _ = live
    _import(ctx, folder, "first", FIRST)
    _import(ctx, folder, "second", SECOND)
    service.suggest_all(ctx)
    ex = service.review_queue(ctx, order="document", limit=100)
    assert len(ex) >= 6
    coding.add_coding(ctx, ex[4], "time")
    coding.nothing_here(ctx, ex[0])
    coding.add_coding(ctx, ex[1], "trust")
    commands.undo(ctx)  # ex[1] is undecided again ...
    coding.add_coding(ctx, ex[5], "data")
    coding.add_coding(ctx, ex[1], "trust")  # ... and decided last
    coding.add_coding(ctx, ex[4], "data")  # a second code on an earlier decision keeps its place
    with ctx.session(readonly=True) as s:
        labels = training.coder_labels(s, ctx.coder_id(s))
    assert list(labels) == [ex[4], ex[0], ex[5], ex[1]]
    assert labels[ex[4]] == {"time", "data"} and labels[ex[0]] == set()
    service.on_decision(ctx)
    service.wait_for_learning(ctx)
    st = _state(ctx)
    idx, Y = service._labels(ctx, st)
    assert [st.corpus.ids[i] for i in idx] == [ex[4], ex[0], ex[5], ex[1]]
    # the model the app learned is the one an engine fitted on the decisions in that order is
    want = Engine(st.codes, st.engine.embedder).prepare(st.corpus).fit(st.corpus, idx, Y)
    assert st.engine.model_id == want.model_id
    assert service.learning_status(ctx)["model"] == want.model_id
