"""Code page layout: turns per page remembered per coder across sessions, A always does
something, context before an excerpt starts at a word."""

from __future__ import annotations

from qualcode.services import coding, prefs
from qualcode.ui.text import shorten, tail
from tests.ui_helpers import focus_button, long_turns, no_exception, page, seed


def test_turns_per_page_survives_a_new_session(project):
    seed(project, turns=long_turns(3000))
    at = no_exception(page("code", project, code_mode="Excerpts"))  # the paged view
    assert at.selectbox(key="code_page_size").value == 10
    at.selectbox(key="code_page_size").set_value(20).run()
    no_exception(at)
    assert prefs.get_pref(project, "turns_per_page") == 20
    fresh = no_exception(page("code", project, code_mode="Excerpts"))  # a new browser session
    assert fresh.selectbox(key="code_page_size").value == 20
    other = no_exception(page("code", project.as_coder("bob"), code_mode="Excerpts"))  # each coder has their own
    assert other.selectbox(key="code_page_size").value == 10


def test_a_moves_on_when_the_excerpt_is_decided(project):
    doc_id, sid = seed(project)
    coding.accept_suggestion(project, sid["1:trust"])
    coding.reject_suggestion(project, sid["1:buy_in"])
    from qualcode.storage import documents as doc_store

    with project.session(readonly=True) as s:
        ex = doc_store.load_document(s, doc_id).excerpts
    at = no_exception(page("code", project, code_focus=ex[1].id))
    button = at.sidebar.button(key="focus-accept-next")
    assert "next" in button.label.lower()
    assert any("A moves to the next excerpt" in c.value for c in at.sidebar.caption)
    button.click().run()
    no_exception(at)
    assert at.session_state["code_focus"] == ex[2].id


def test_d_moves_on_when_the_only_suggestion_is_rejected(project):
    """A walk: after the coder rejected an excerpt's only suggestion, D ("Nothing here") did
    nothing but say "Already done ... A moves to the next excerpt". With nothing left to decide,
    D moves on, as A does, and decides nothing."""
    from qualcode.storage import audit
    from qualcode.storage import documents as doc_store

    doc_id, sid = seed(project, codes=("trust",))
    coding.reject_suggestion(project, sid["1:trust"])
    with project.session(readonly=True) as s:
        ex = doc_store.load_document(s, doc_id).excerpts
        events = len(audit.list_events(s))
    at = no_exception(page("code", project, code_focus=ex[1].id))
    assert any("Already done" in c.value for c in at.sidebar.caption)  # why nothing is left, still said
    button = at.sidebar.button(key=f"focus-none-e{ex[1].id}")
    assert not button.disabled
    button.click().run()
    no_exception(at)
    assert at.session_state["code_focus"] == ex[2].id
    with project.session(readonly=True) as s:
        assert len(audit.list_events(s)) == events  # moved on, decided nothing


def test_context_and_short_texts_end_at_words():
    text = "We met the same people at every convening and that built trust over the years"
    assert tail(text, 30) == "…built trust over the years"  # text[-30:] starts mid-word ("at built")
    assert shorten(text, 40) == "We met the same people at every…"  # text[:39] ends mid-word


def test_the_learning_line_counts_excerpts_and_says_what_runs():
    from qualcode.ui.pages.code import learning_text

    base = {"updated_s": 4.2, "busy": "", "progress": (0, 0), "error": ""}
    assert learning_text({**base, "learned_from": 0}) == "Suggestions from the codebook only, updated 4 s ago"
    assert learning_text({**base, "learned_from": 1}).startswith("Suggestions learned from your decisions on 1 excerpt,")
    assert learning_text({**base, "learned_from": 6, "busy": "refreshing", "progress": (40, 200)}) == (
        "Suggestions learned from your decisions on 6 excerpts, updated 4 s ago · updating suggestions "
        "(40 of 200 excerpts)…")
    assert learning_text({**base, "learned_from": 6, "busy": "refreshing", "progress": (40, 200),
                          "codebook": True}).endswith("· suggesting your codebook changes (40 of 200 excerpts)…")
    # before the first batch is stored: not "0 of the 200", which read as stuck (walk 15)
    assert learning_text({**base, "learned_from": 6, "busy": "refreshing", "progress": (0, 200)}).endswith(
        "· updating suggestions for 200 excerpts: starting…")


def _one_excerpt_suggested(project):
    """Ana's excerpt (1) has no suggestion, Ben's (2) has one pending: nothing decided yet."""
    from qualcode.core import Suggestion
    from qualcode.storage import coding as coding_store
    from qualcode.storage import documents as doc_store

    doc_id, _ = seed(project, codes=())
    with project.session() as s:
        ex = doc_store.load_document(s, doc_id).excerpts
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[2].id, code_id="trust", score=0.8,
                                                       model_id="test-model")])
    return doc_id, ex


def test_a_on_an_excerpt_without_suggestions_says_so_not_all_decided(project):
    doc_id, ex = _one_excerpt_suggested(project)
    at = no_exception(page("code", project, code_focus=ex[1].id))
    button = at.sidebar.button(key="focus-accept-next")
    assert button.label == "No suggestions: next"  # not "All decided": there was nothing to decide
    assert any("No suggestions on this excerpt" in c.value for c in at.sidebar.caption)
    _accept_all(project, ex[2].id)
    at = no_exception(page("code", project, code_focus=ex[2].id))
    assert at.sidebar.button(key="focus-accept-next").label == "All decided: next"


def _accept_all(project, excerpt_id):
    from qualcode.storage import coding as coding_store

    with project.session(readonly=True) as s:
        ids = [sg.id for sg in coding_store.list_suggestions(s) if sg.excerpt_id == excerpt_id]
    for i in ids:
        coding.accept_suggestion(project, i)


def test_the_review_queue_opens_on_an_excerpt_to_decide(project):
    """The engine's order may rank first an excerpt it suggests nothing for (the user saw
    "0 of 14 decided" and no suggestion to decide); the queue opens on one with a suggestion."""
    doc_id, ex = _one_excerpt_suggested(project)
    queued = {"doc": doc_id, "coder": project.coder, "ids": [ex[1].id, ex[2].id]}  # the engine's order
    at = no_exception(page("code", project, code_mode="Review queue", code_queue=queued))
    assert at.session_state["code_focus"] == ex[2].id
    assert focus_button(at, "accept")
    # from the transcript, where the coder had opened Ana's excerpt, the queue still starts there
    at = no_exception(page("code", project, code_focus=ex[1].id))
    at.session_state["code_queue"] = queued
    at.session_state["code_mode"] = "Review queue"
    no_exception(at.run())
    assert at.session_state["code_focus"] == ex[2].id
    # ... and once in the queue, the coder's own moves stand: N to Ana's excerpt stays there
    at.session_state["code_focus"] = ex[1].id
    no_exception(at.run())
    assert at.session_state["code_focus"] == ex[1].id


def test_d_on_an_excerpt_coded_meanwhile_in_another_tab_says_so(project):
    """Walk 34: a second tab, stale, pressed D on an excerpt the first tab had just coded; it moved
    on without a word. The codes stay, the suggestion left is rejected, and the page says what
    happened (the tab had not shown the codes)."""
    from qualcode.storage import coding as coding_store
    from qualcode.storage import documents as doc_store

    doc_id, sid = seed(project, codes=("trust", "buy_in"))
    with project.session(readonly=True) as s:
        ex = doc_store.load_document(s, doc_id).excerpts
    at = no_exception(page("code", project, code_focus=ex[1].id))
    button = at.sidebar.button(key=f"focus-none-e{ex[1].id}")
    assert button.label == "Nothing here"
    coding.accept_suggestion(project, sid["1:trust"])  # the other tab
    button.click().run()
    no_exception(at)
    said = [m.value for m in at.info]
    assert ("This excerpt had been coded in another tab or window (Trust); its codes stay, and the 1 suggestion "
            "left on it was rejected. U undoes it.") in said, said
    with project.session(readonly=True) as s:
        assert {c.code_id for c in coding_store.list_codings(s, document_id=doc_id)} == {"trust"}
        by_code = {sg.code_id: sg.status.value for sg in coding_store.list_suggestions(s, document_id=doc_id)
                   if sg.excerpt_id == ex[1].id}
    assert by_code == {"trust": "accepted", "buy_in": "rejected"}
    assert at.session_state["code_focus"] == ex[2].id
