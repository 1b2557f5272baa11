"""Decisions: accept, reject, manual coding, memos, undo, and their audit trail."""

from __future__ import annotations

import pytest

from qualcode.core import Suggestion
from qualcode.errors import NotFoundError
from qualcode.services import coding
from qualcode.storage import audit, documents
from qualcode.storage import coding as store
from tests.conftest import make_document


@pytest.fixture
def doc_with_suggestions(project):
    with project.session() as s:
        doc_id = documents.add_document(s, make_document())
        ex = documents.load_document(s, doc_id).excerpts
        store.upsert_suggestions(s, [
            Suggestion(excerpt_id=ex[1].id, code_id="trust", score=0.8, model_id="m"),
            Suggestion(excerpt_id=ex[2].id, code_id="buy_in", score=0.6, model_id="m"),
        ])
        sugg = store.list_suggestions(s, document_id=doc_id)
    return doc_id, ex, {sg.code_id: sg.id for sg in sugg}


def test_accept_creates_coding_reject_keeps_suggestion(project, doc_with_suggestions):
    doc_id, ex, sid = doc_with_suggestions
    coding_id = coding.accept_suggestion(project, sid["trust"])
    coding.reject_suggestion(project, sid["buy_in"])
    with project.session(readonly=True) as s:
        codings = store.list_codings(s, document_id=doc_id)
        sugg = {sg.code_id: sg for sg in store.list_suggestions(s, document_id=doc_id)}
        reviewed = store.reviewed_excerpts(s)
        events = audit.list_events(s)
    assert [(c.id, c.code_id, c.origin.value, c.coder) for c in codings] == [(coding_id, "trust", "suggestion", "alice")]
    assert sugg["trust"].status.value == "accepted" and sugg["trust"].decided_by == "alice"
    assert sugg["buy_in"].status.value == "rejected"  # kept, not deleted
    assert reviewed == {ex[1].id, ex[2].id}
    assert [e.action for e in events] == ["reject", "accept"]


def test_rejecting_a_suggestion_the_coder_had_accepted_takes_its_coding_away(project, doc_with_suggestions):
    """Walk 38: accepted in one tab, then rejected from a second tab still showing it pending:
    the suggestion read rejected while the coding its acceptance made stayed ("rejected, then
    coded by you"), counted as coded and learned from as a rejection. The reject now takes the
    acceptance back, coding included; one undo restores both. A hand coding of the same code is
    not the suggestion's and stays."""
    doc_id, ex, sid = doc_with_suggestions
    coding.accept_suggestion(project, sid["trust"])
    assert coding.reject_suggestion(project, sid["trust"], excerpt_id=ex[1].id, code_id="trust") == 1
    with project.session(readonly=True) as s:
        assert [c for c in store.list_codings(s, document_id=doc_id) if c.code_id == "trust"] == []
        assert {sg.code_id: sg.status.value for sg in store.list_suggestions(s, document_id=doc_id)}["trust"] == \
            "rejected"
    coding.undo(project)
    with project.session(readonly=True) as s:
        assert [(c.code_id, c.origin.value) for c in store.list_codings(s, document_id=doc_id)] == \
            [("trust", "suggestion")]
        assert {sg.code_id: sg.status.value for sg in store.list_suggestions(s, document_id=doc_id)}["trust"] == \
            "accepted"
    # rejected, then coded by hand: the hand coding is the coder's own, and a second reject keeps it
    coding.reject_suggestion(project, sid["buy_in"])
    coding.add_coding(project, ex[2].id, "buy_in")
    assert coding.reject_suggestion(project, sid["buy_in"]) == 0
    with project.session(readonly=True) as s:
        assert [(c.code_id, c.origin.value) for c in store.list_codings(s, document_id=doc_id)
                if c.code_id == "buy_in"] == [("buy_in", "manual")]


def test_accepts_of_one_click_are_one_undo_and_only_that_click(project, doc_with_suggestions):
    """"Accept all" on a turn: its accepts share a batch; one undo takes them all back, and
    not the decision made before the click (walk 9: each accept was its own undo)."""
    doc_id, ex, sid = doc_with_suggestions
    coding.add_coding(project, ex[0].id, "evidence")  # before the click
    for code in ("trust", "buy_in"):
        coding.accept_suggestion(project, sid[code], batch="click-1")
    (undone,) = coding.undo(project)
    assert undone["action"] == "accept" and undone["more"] == 1
    with project.session(readonly=True) as s:
        sugg = {sg.code_id: sg.status.value for sg in store.list_suggestions(s, document_id=doc_id)}
        codings = [c.code_id for c in store.list_codings(s, document_id=doc_id)]
        assert store.reviewed_excerpts(s) == {ex[0].id}
    assert sugg == {"trust": "pending", "buy_in": "pending"} and codings == ["evidence"]
    assert [u["action"] for u in coding.undo(project)] == ["code"]  # the next undo: the step before


def test_manual_span_coding_must_lie_inside_excerpt(project, doc_with_suggestions):
    _, ex, _ = doc_with_suggestions
    e = ex[1]
    cid = coding.add_coding(project, e.id, "evidence", start=e.start, end=e.start + 7)
    with project.session(readonly=True) as s:
        c = store.get_coding(s, cid)
        assert (c.start, c.end) == (e.start, e.start + 7)
    with pytest.raises(ValueError):
        coding.add_coding(project, e.id, "evidence", start=e.start, end=e.end + 5)


def test_coding_twice_is_one_coding(project, doc_with_suggestions):
    _, ex, _ = doc_with_suggestions
    a = coding.add_coding(project, ex[1].id, "trust")
    b = coding.add_coding(project, ex[1].id, "trust")
    assert a == b


def test_undo_reverses_last_decisions_and_is_audited(project, doc_with_suggestions):
    doc_id, ex, sid = doc_with_suggestions
    coding.accept_suggestion(project, sid["trust"])
    coding.add_coding(project, ex[2].id, "evidence")
    memo = coding.add_memo(project, "interesting", excerpt_id=ex[2].id)
    undone = coding.undo(project, 2)
    assert [u["action"] for u in undone] == ["memo", "code"]
    with project.session(readonly=True) as s:
        assert [c.code_id for c in store.list_codings(s, document_id=doc_id)] == ["trust"]
        assert store.list_memos(s, document_id=doc_id) == []
        assert ex[2].id not in store.reviewed_excerpts(s)
    coding.undo(project, 1)
    with project.session(readonly=True) as s:
        assert store.list_codings(s, document_id=doc_id) == []
        sg = {x.code_id: x for x in store.list_suggestions(s, document_id=doc_id)}
        assert sg["trust"].status.value == "pending"
        actions = [e.action for e in audit.list_events(s)]
    assert actions.count("undo") == 3
    assert coding.undo(project, 5) == []  # everything already undone: nothing is undone twice
    assert memo


def test_undo_is_per_coder(project, doc_with_suggestions):
    _, ex, _ = doc_with_suggestions
    bob = project.as_coder("bob")
    coding.add_coding(project, ex[1].id, "trust")
    coding.add_coding(bob, ex[1].id, "trust")
    coding.undo(bob, 1)
    with project.session(readonly=True) as s:
        assert [c.coder for c in store.list_codings(s)] == ["alice"]


def test_remove_and_undo_restores(project, doc_with_suggestions):
    _, ex, _ = doc_with_suggestions
    cid = coding.add_coding(project, ex[1].id, "trust")
    coding.remove_coding(project, cid)
    coding.undo(project, 1)
    with project.session(readonly=True) as s:
        assert [c.code_id for c in store.list_codings(s)] == ["trust"]


def test_empty_memo_refused(project):
    from qualcode.errors import QualcodeError

    with pytest.raises(QualcodeError):
        coding.add_memo(project, "   ")


def test_a_stale_chip_decides_nothing_else(project, doc_with_suggestions):
    """A background refresh replaced an excerpt's pending suggestions while its chip was on
    screen; SQLite then hands the deleted id to the next new suggestion, another excerpt's.
    A click on the stale chip (the app passes the chip's excerpt and code) must not decide
    that one; with the code no longer suggested there, nothing is recorded."""
    doc_id, ex, sid = doc_with_suggestions
    stale = sid["buy_in"]  # ex[2]'s chip, the newest row
    with project.session() as s:  # two refreshes: ex[2]'s codes withdrawn, then a new one on ex[1]
        store.upsert_suggestions(s, [], replace_pending_for=[ex[2].id])
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[1].id, code_id="evidence", score=0.7, model_id="m2")])
        reused = {sg.id: sg.excerpt_id for sg in store.list_suggestions(s, document_id=doc_id)}
    assert reused.get(stale) == ex[1].id  # the hazard is real: the id now names ex[1]'s suggestion
    for accept in (True, False):
        with pytest.raises(NotFoundError, match="replaced by newer ones") as err:
            coding.decide(project, stale, accept, excerpt_id=ex[2].id, code_id="buy_in")
        assert "--" not in err.value.for_app()
        with pytest.raises(NotFoundError, match="replaced by newer ones"):  # the excerpt alone is checked too
            coding.decide(project, stale, accept, excerpt_id=ex[2].id)
    with pytest.raises(NotFoundError, match="replaced by newer ones"):  # gone altogether
        coding.accept_suggestion(project, 10_000, excerpt_id=ex[1].id, code_id="buy_in")
    with project.session(readonly=True) as s:
        assert store.list_codings(s, document_id=doc_id) == [] and not store.reviewed_excerpts(s)
        assert all(sg.status.value == "pending" for sg in store.list_suggestions(s, document_id=doc_id))
    assert coding.decide(project, stale, True, excerpt_id=ex[1].id, code_id="evidence")  # its own chip works


def test_a_stale_chip_decides_the_same_code_suggested_anew(project, doc_with_suggestions):
    """The refresh re-suggested the same code on the same excerpt under a new id: the click
    means that decision, and it is recorded (and undone) on the current suggestion."""
    doc_id, ex, sid = doc_with_suggestions
    with project.session() as s:  # withdrawn by one refresh, suggested again by the next
        store.upsert_suggestions(s, [], replace_pending_for=[ex[1].id])
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[1].id, code_id="trust", score=0.9, model_id="m2")])
        now = {sg.code_id: sg.id for sg in store.list_suggestions(s, document_id=doc_id, status="pending")}
    assert now["trust"] != sid["trust"]
    coding_id = coding.accept_suggestion(project, sid["trust"], excerpt_id=ex[1].id, code_id="trust")
    with project.session(readonly=True) as s:
        c = store.get_coding(s, coding_id)
        assert (c.excerpt_id, c.code_id) == (ex[1].id, "trust")
        assert {sg.id: sg.status.value for sg in store.list_suggestions(s, document_id=doc_id)}[now["trust"]] == "accepted"
    coding.undo(project, 1)
    with project.session(readonly=True) as s:
        assert {sg.id: sg.status.value for sg in store.list_suggestions(s, document_id=doc_id)}[now["trust"]] == "pending"
        assert store.list_codings(s, document_id=doc_id) == []


def test_a_chip_whose_id_now_names_another_code_decides_nothing(project, doc_with_suggestions):
    doc_id, ex, sid = doc_with_suggestions
    with pytest.raises(NotFoundError, match="replaced by newer ones"):
        coding.accept_suggestion(project, sid["trust"], excerpt_id=ex[1].id, code_id="evidence")
    assert coding.accept_suggestion(project, sid["trust"], excerpt_id=ex[1].id, code_id="trust")


def test_nothing_more_here_on_a_coded_excerpt_rejects_what_is_still_open_for_this_coder(project, doc_with_suggestions):
    # alice accepted the suggestion; bob coded the excerpt by hand. For bob the chip is still
    # open (a row holds only the latest decision; each coder records their own), so his
    # "Nothing more here" rejects it: one audited decision, undone as one, alice's kept
    from qualcode.services import ui_support

    _, ex, sid = doc_with_suggestions
    e = ex[1]
    bob = project.as_coder("bob")
    coding.accept_suggestion(project, sid["trust"])
    coding.add_coding(bob, e.id, "evidence")

    def chips(ctx):
        state = ui_support.excerpt_states(ctx, [(e.id, e.start, e.text)])[e.id]
        return {c.code_id: c.status for c in state.chips}, state

    seen, state = chips(bob)
    assert seen == {"trust": "pending"} and state.codings and state.reviewed
    assert state.nothing_here()[0::2] == ("Nothing more here", True)
    with project.session(readonly=True) as s:
        before = len(audit.list_events(s))
    assert coding.nothing_here(bob, e.id) == 1
    with project.session(readonly=True) as s:
        events = audit.list_events(s)
    assert len(events) == before + 1 and events[0].action == "nothing_here" and events[0].coder == "bob"
    seen, state = chips(bob)
    assert seen == {"trust": "rejected"} and [c.code_id for c in state.codings] == ["evidence"]
    assert state.nothing_here() == ("Nothing more here", state.nothing_here()[1], False)  # nothing left: off
    assert chips(project)[0] == {"trust": "accepted"}  # alice's verdict stands for her
    coding.undo(bob)
    assert chips(bob)[0] == {"trust": "pending"}
    assert chips(project)[0] == {"trust": "accepted"}
    with project.session(readonly=True) as s:
        row = store.get_suggestion(s, sid["trust"])
        assert (row.status, row.decided_by) == ("accepted", project.coder_id(s))  # alice's row, as it was


def test_nothing_here_says_why_it_is_off(project, doc_with_suggestions):
    from qualcode.services import ui_support

    _, ex, sid = doc_with_suggestions
    e = ex[2]

    def state():
        return ui_support.excerpt_states(project, [(e.id, e.start, e.text)])[e.id]

    label, help_text, on = state().nothing_here()
    assert (label, on) == ("Nothing here", True) and "reject the 1 suggestion" in help_text
    coding.nothing_here(project, e.id)
    label, help_text, on = state().nothing_here()
    assert (label, on) == ("Nothing here", False) and "Already done" in help_text
    coding.accept_suggestion(project, sid["buy_in"])  # the coder changes their mind
    label, help_text, on = state().nothing_here()
    assert (label, on) == ("Nothing more here", False) and "no suggestion on it is open" in help_text


def test_rejecting_every_suggestion_is_not_called_nothing_here(project, doc_with_suggestions):
    """A walk: after rejecting an excerpt's only suggestion the panel said "you marked this
    excerpt as having nothing to code"; the coder had pressed X, not Nothing here."""
    from qualcode.services import ui_support

    _, ex, sid = doc_with_suggestions
    e = ex[2]
    pending = ui_support.excerpt_states(project, [(e.id, e.start, e.text)])[e.id].pending
    for chip in pending:
        coding.reject_suggestion(project, chip.suggestion_id)
    label, help_text, on = ui_support.excerpt_states(project, [(e.id, e.start, e.text)])[e.id].nothing_here()
    assert (label, on) == ("Nothing here", False)
    assert "you marked" not in help_text and "every suggestion on it is decided" in help_text


def test_a_colleagues_codes_show_beside_mine_unless_coding_is_independent(project, doc_with_suggestions):
    """A walk: with independent coding off (the default, "you see a colleague's verdict"), Ben
    saw nothing of Ana's codings on the excerpt. They are listed, read-only, and hidden when
    independent coding is on."""
    from qualcode.services import team, ui_support

    _, ex, sid = doc_with_suggestions
    e = ex[1]
    coding.accept_suggestion(project, sid["trust"])           # alice, through the suggestion
    coding.add_coding(project, e.id, "buy_in")                 # and by hand
    bob = project.as_coder("bob")

    def seen(ctx):
        return ui_support.excerpt_states(ctx, [(e.id, e.start, e.text)])[e.id]

    state = seen(bob)
    assert state.colleagues == {"alice": ["Trust", "Buy-in"]} and state.codings == []
    assert seen(project).colleagues == {}                      # her own codes are hers, not a colleague's
    team.set_independent_coding(project, True)
    assert seen(bob).colleagues == {}


def test_a_decision_pressed_twice_is_one_decision_and_one_undo(project, doc_with_suggestions):
    """Walk 6 / Chromium: A pressed twice before the page redrew reached the same suggestion
    twice; the second press must not be a second event (U would then undo nothing visible
    first) nor move the decision's time (decisions train in the order they were made)."""
    doc_id, ex, sid = doc_with_suggestions
    coding.accept_suggestion(project, sid["trust"])
    coding.reject_suggestion(project, sid["buy_in"])
    with project.session(readonly=True) as s:
        at = {sg.code_id: sg.decided_at for sg in store.list_suggestions(s, document_id=doc_id)}
    coding.accept_suggestion(project, sid["trust"])  # pressed again
    coding.reject_suggestion(project, sid["buy_in"])
    with project.session(readonly=True) as s:
        events = audit.list_events(s)
        again = {sg.code_id: sg.decided_at for sg in store.list_suggestions(s, document_id=doc_id)}
    assert [e.action for e in events] == ["reject", "accept"]
    assert again == at
    coding.undo(project, 1)  # the reject
    coding.undo(project, 1)  # the accept
    with project.session(readonly=True) as s:
        assert {sg.status.value for sg in store.list_suggestions(s, document_id=doc_id)} == {"pending"}
        assert not store.list_codings(s, document_id=doc_id)
    # a change of mind is still a decision: rejected, then accepted after all
    coding.reject_suggestion(project, sid["trust"])
    coding.accept_suggestion(project, sid["trust"])
    with project.session(readonly=True) as s:
        assert [e.action for e in audit.list_events(s)][:2] == ["accept", "reject"]


def _chip_status(ctx, doc_id, excerpt_id, code_id):
    from qualcode.services import ui_support

    view = ui_support.transcript_view(ctx, doc_id)
    state = next(e.state for e in view.excerpts() if e.id == excerpt_id)
    return next(c.status for c in state.chips if c.code_id == code_id), [c.code_id for c in state.codings]


def test_removing_an_accepted_suggestions_coding_rejects_it_and_undo_accepts_again(project, doc_with_suggestions):
    """Walk 13: after "Remove" on a code the coder had accepted from a suggestion, the chip still
    read "accepted" beside no code. The coder said no to that code there: the suggestion is now
    rejected by them; undo brings back both the coding and the accept."""
    doc_id, ex, sid = doc_with_suggestions
    cid = coding.accept_suggestion(project, sid["trust"])
    coding.remove_coding(project, cid)
    assert _chip_status(project, doc_id, ex[1].id, "trust") == ("rejected", [])
    with project.session(readonly=True) as s:
        assert store.own_decisions(s, 1, [sid["trust"]]) == {sid["trust"]: "rejected"}
    coding.undo(project, 1)
    assert _chip_status(project, doc_id, ex[1].id, "trust") == ("accepted", ["trust"])
    with project.session(readonly=True) as s:
        assert store.own_decisions(s, 1, [sid["trust"]]) == {sid["trust"]: "accepted"}


def test_removing_one_of_two_codings_of_a_code_keeps_its_accept(project, doc_with_suggestions):
    doc_id, ex, sid = doc_with_suggestions
    coding.accept_suggestion(project, sid["trust"])
    other = coding.add_coding(project, ex[1].id, "trust", start=ex[1].start, end=ex[1].start + 4)
    coding.remove_coding(project, other)
    assert _chip_status(project, doc_id, ex[1].id, "trust") == ("accepted", ["trust"])


def test_recoding_an_accepted_suggestions_coding_rejects_it_and_undo_accepts_again(project, doc_with_suggestions):
    doc_id, ex, sid = doc_with_suggestions
    cid = coding.accept_suggestion(project, sid["trust"])
    coding.recode(project, cid, "evidence")
    assert _chip_status(project, doc_id, ex[1].id, "trust") == ("rejected", ["evidence"])
    coding.undo(project, 1)
    assert _chip_status(project, doc_id, ex[1].id, "trust") == ("accepted", ["trust"])
