"""A code the coder already has on an excerpt is never offered to them again as a pending
suggestion: coding by hand or by a selection settles that coder's open suggestion of the
same code there (one undo brings it back), and a pending row made later (another coder's
background refresh) is not offered to them either."""

from __future__ import annotations

import pytest

from qualcode.core import Suggestion
from qualcode.services import coding, ui_support
from qualcode.storage import coding as store
from qualcode.storage import documents, training
from tests.conftest import make_document


@pytest.fixture
def doc(project):
    with project.session() as s:
        doc_id = documents.add_document(s, make_document())
        ex = documents.load_document(s, doc_id).excerpts
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[1].id, code_id="trust", score=0.8, model_id="m"),
                                     Suggestion(excerpt_id=ex[1].id, code_id="evidence", score=0.6, model_id="m")])
    return doc_id, ex


def _state(ctx, e):
    return ui_support.excerpt_states(ctx, [(e.id, e.start, e.text)])[e.id]


def _pending(ctx, e):
    with ctx.session(readonly=True) as s:
        return sorted(store.get_suggestion(s, i).code_id for i in store.pending_for(s, e.id, ctx.coder_id(s)))


@pytest.mark.parametrize("how", ["whole", "part", "selection"])
def test_coding_by_hand_settles_the_pending_suggestion_of_that_code(project, doc, how):
    _, ex = doc
    e = ex[1]
    if how == "whole":
        coding.add_coding(project, e.id, "trust")
    elif how == "part":
        coding.add_coding(project, e.id, "trust", start=e.start, end=e.start + 5)
    else:
        coding.code_selection(project, e.document_id, e.start, e.start + 5, "trust")
    st = _state(project, e)
    assert [c.code_name for c in st.pending] == ["Evidence"]  # Trust is no longer offered (nor "Accept Trust")
    assert {c.code_id: c.status for c in st.chips}["trust"] == "accepted"
    assert _pending(project, e) == ["evidence"]
    with project.session(readonly=True) as s:
        assert (e.id, "trust") in training.blocked_pairs(s, [e.id], 999)  # a decided pair: no refresh touches it
        assert [sg.status.value for sg in store.list_suggestions(s, excerpt_ids=[e.id]) if sg.code_id == "trust"] \
            == ["accepted"]  # not counted as pending
    coding.undo(project)  # one undo: the coding goes, the suggestion is open again
    st = _state(project, e)
    assert sorted(c.code_id for c in st.pending) == ["evidence", "trust"] and not st.codings


def test_a_pending_row_made_after_the_coding_is_not_offered_to_that_coder(project, doc):
    _, ex = doc
    e = ex[2]
    coding.add_coding(project, e.id, "buy_in")
    ben = project.as_coder("ben")
    with project.session() as s:  # ben's background refresh: ben has not coded this excerpt
        store.upsert_suggestions(s, [Suggestion(excerpt_id=e.id, code_id="buy_in", score=0.7, model_id="ben")],
                                 replace_pending_for=[e.id])
    assert _state(project, e).pending == [] and _pending(project, e) == []
    assert [c.code_id for c in _state(ben, e).pending] == ["buy_in"]  # still open for ben
    coding.nothing_here(project, e.id)  # "nothing more here" rejects nothing alice has coded
    assert [c.code_id for c in _state(ben, e).pending] == ["buy_in"]


def test_another_coders_later_decision_does_not_reopen_it(project, doc):
    _, ex = doc
    e = ex[1]
    coding.add_coding(project, e.id, "trust")
    ben = project.as_coder("ben")
    sid = next(c.suggestion_id for c in _state(ben, e).chips if c.code_id == "trust")
    coding.reject_suggestion(ben, sid)
    assert "trust" not in [c.code_id for c in _state(project, e).pending]


@pytest.mark.parametrize("again", [True, False])
def test_a_colleagues_refresh_leaves_a_half_decided_excerpts_open_chips(project, doc, again):
    """Walk 11: eva accepted one suggestion of an excerpt and had another still to decide; ben's
    background refresh re-proposed it (its row got a new time, read as "made after your review")
    or dropped it, and it vanished for eva ("All decided: next") though she never decided it."""
    _, ex = doc
    e = ex[1]
    trust = next(c.suggestion_id for c in _state(project, e).chips if c.code_id == "trust")
    coding.accept_suggestion(project, trust)
    assert [c.code_id for c in _state(project, e).pending] == ["evidence"]
    ben = project.as_coder("ben")
    proposals = [Suggestion(excerpt_id=e.id, code_id="buy_in", score=0.7, model_id="ben")]
    if again:
        proposals.append(Suggestion(excerpt_id=e.id, code_id="evidence", score=0.55, model_id="ben"))
    with project.session() as s:  # ben's refresh: ben has not reviewed this excerpt
        store.upsert_suggestions(s, proposals, replace_pending_for=[e.id])
    assert [c.code_id for c in _state(project, e).pending] == ["evidence"]  # still eva's to decide
    assert "evidence" in [c.code_id for c in _state(ben, e).pending]


def test_a_colleagues_refresh_replaces_its_own_stale_suggestions_on_excerpts_others_reviewed(project, doc):
    """Walk 17: bob coded his own document while alice had reviewed the others; on alice's
    excerpts, each of bob's refreshes added its suggestions and none of the old ones went (17 of
    37 excerpts carried a code from bob's model of 12 decisions when he had made 29). A row made
    after every review of the excerpt is no one's to decide: the next refresh replaces it. One
    made before the review (a chip alice may still have to decide) stays, as above."""
    _, ex = doc
    e = ex[1]
    trust = next(c.suggestion_id for c in _state(project, e).chips if c.code_id == "trust")
    coding.accept_suggestion(project, trust)  # alice reviewed e; "evidence" still hers to decide
    ben = project.as_coder("ben")
    with project.session() as s:  # ben's model at 12 decisions
        store.upsert_suggestions(s, [Suggestion(excerpt_id=e.id, code_id="buy_in", score=0.7, model_id="ben-12")],
                                 replace_pending_for=[e.id])
    assert {"buy_in", "evidence"} <= {c.code_id for c in _state(ben, e).pending}
    with project.session() as s:  # ben's model at 29 decisions proposes nothing new there
        store.upsert_suggestions(s, [], replace_pending_for=[e.id])
    seen = {c.code_id for c in _state(ben, e).pending}
    assert "buy_in" not in seen and "evidence" in seen  # buy_in was ben's own, stale
    assert [c.code_id for c in _state(project, e).pending] == ["evidence"]  # alice's chip stays
