"""A second coder can always record their own decision on a suggestion chip, whether
independent coding is on or off (off is the default); the mode is one click away."""

from __future__ import annotations

import json

import pytest

from qualcode.services import coding, team, ui_support
from qualcode.services import suggest as suggest_svc
from qualcode.storage import coding as coding_store
from tests.ui_helpers import no_exception, page, run_script, seed


@pytest.fixture
def seeded(project):
    doc_id, sid = seed(project)
    return project, project.as_coder("bob"), doc_id, sid


def _alices_learned_evidence(alice, doc_id):
    """alice's learned model suggests "evidence" on every excerpt of the document that has a
    suggestion; returns those excerpts and the new rows' ids."""
    from qualcode.core import Suggestion

    with alice.session() as s:
        ex = sorted({sg.excerpt_id for sg in coding_store.list_suggestions(s, document_id=doc_id)})
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e, code_id="evidence", score=0.9,
                                                       model_id="m:384/h7-a", explanation={"model_of": "alice"})
                                            for e in ex])
        learned = [sg.id for sg in coding_store.list_suggestions(s, document_id=doc_id) if sg.code_id == "evidence"]
    return ex, learned


def _chips(ctx, doc_id):
    view = ui_support.transcript_view(ctx, doc_id)
    return {c.suggestion_id: c for e in view.excerpts() for c in e.state.chips}


@pytest.mark.parametrize("independent", [False, True])
def test_second_coder_sees_the_chip_open_and_decides(seeded, independent):
    alice, bob, doc_id, sid = seeded
    if independent:
        team.set_independent_coding(alice, True)
    coding.accept_suggestion(alice, sid["1:trust"])
    coding.reject_suggestion(alice, sid["1:buy_in"])
    chips = _chips(bob, doc_id)
    assert chips[sid["1:trust"]].status == "pending" and chips[sid["1:buy_in"]].status == "pending"
    assert chips[sid["1:trust"]].others == ("" if independent else "alice accepted")
    at = page("code", bob, code_mode="Excerpts")
    at.button(key=f"rej-{sid['1:trust']}").click().run()  # bob disagrees with alice
    at.button(key=f"acc-{sid['1:buy_in']}").click().run()
    no_exception(at)
    bob_chips, alice_chips = _chips(bob, doc_id), _chips(alice, doc_id)
    assert (bob_chips[sid["1:trust"]].status, bob_chips[sid["1:buy_in"]].status) == ("rejected", "accepted")
    # alice's own verdicts stand for her, even though the suggestion row now holds bob's
    assert (alice_chips[sid["1:trust"]].status, alice_chips[sid["1:buy_in"]].status) == ("accepted", "rejected")
    with bob.session(readonly=True) as s:
        codings = {(c.code_id, c.coder) for c in coding_store.list_codings(s, document_id=doc_id)}
    assert codings == {("trust", "alice"), ("buy_in", "bob")}
    result = team.agreement(alice, coders=["alice", "bob"])
    assert result["overall"]["same_codes"] == 0 and result["overall"]["excerpts"] == 1


def test_undo_gives_the_chip_back_to_its_coder(seeded):
    alice, bob, doc_id, sid = seeded
    coding.accept_suggestion(alice, sid["2:trust"])
    coding.reject_suggestion(bob, sid["2:trust"])
    coding.undo(bob)
    assert _chips(bob, doc_id)[sid["2:trust"]].status == "pending"


def test_independent_mode_is_on_the_project_page_with_two_coders(seeded):
    alice, bob, _, sid = seeded
    coding.accept_suggestion(bob, sid["1:trust"])
    at = no_exception(page("project", alice))
    toggle = at.toggle(key="proj_independent")
    assert toggle.value is False  # the default
    toggle.set_value(True).run()
    no_exception(at)
    assert team.independent_coding(alice) is True


def test_a_colleagues_refresh_adds_no_question_on_an_excerpt_already_decided(seeded):
    """Walk 7: once a second coder's model refreshed, excerpts the first coder had finished showed
    new Accept / Reject suggestions ("75 of 75 decided" above them). Suggestion rows are shared;
    a coder's own refresh never re-scores an excerpt they reviewed, so a suggestion stored after
    their review came from a colleague's model: the colleague sees it, this coder does not."""
    import time

    from qualcode.core import Suggestion

    alice, bob, doc_id, sid = seeded
    coding.accept_suggestion(alice, sid["1:trust"])  # alice finishes Ana's excerpt ...
    coding.reject_suggestion(alice, sid["1:buy_in"])
    with alice.session(readonly=True) as s:
        ana = coding_store.get_suggestion(s, sid["1:trust"]).excerpt_id
    time.sleep(0.01)
    with bob.session() as s:  # ... then bob's model stores its own suggestion there
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ana, code_id="evidence", score=0.7,
                                                       model_id="bobs-model")])
        late = [sg.id for sg in coding_store.list_suggestions(s, document_id=doc_id) if sg.model_id == "bobs-model"]
    (late,) = late
    assert late not in _chips(alice, doc_id)  # not a question on alice's finished excerpt
    view = ui_support.transcript_view(alice, doc_id)
    (ana_view,) = [e for e in view.excerpts() if e.id == ana]
    assert not ana_view.state.pending and ana_view.state.status() == "coded"
    assert _chips(bob, doc_id)[late].status == "pending"  # bob, who has not decided it, is asked
    # an excerpt alice has not reviewed still shows every suggestion, old or new
    assert all(c.status == "pending" for i, c in _chips(alice, doc_id).items() if i in (sid["2:trust"], sid["2:buy_in"]))


def _eid(ctx, doc_id, order):
    return next(e.id for e in ui_support.transcript_view(ctx, doc_id).excerpts() if e.order == order)


@pytest.mark.parametrize("independent", [False, True])
def test_nothing_here_stands_for_its_coder_after_another_coder_decides(seeded, independent):
    """Walk 10: eva pressed D ("Nothing here") on excerpts ben decided later; her chips came back
    "pending" (with Accept buttons), as if she had never decided."""
    alice, bob, doc_id, sid = seeded
    if independent:
        team.set_independent_coding(alice, True)
    assert coding.nothing_here(alice, _eid(alice, doc_id, 1)) == 2
    coding.accept_suggestion(bob, sid["1:trust"])
    coding.reject_suggestion(bob, sid["1:buy_in"])
    chips = _chips(alice, doc_id)
    assert (chips[sid["1:trust"]].status, chips[sid["1:buy_in"]].status) == ("rejected", "rejected")
    with alice.session(readonly=True) as s:
        assert coding_store.pending_for(s, _eid(alice, doc_id, 1), alice.coder_id(s)) == []
    assert sid["1:trust"] not in {sg.id for sg in team.visible_suggestions(alice, document_id=doc_id, status="pending")}
    bob_chips = _chips(bob, doc_id)
    assert (bob_chips[sid["1:trust"]].status, bob_chips[sid["1:buy_in"]].status) == ("accepted", "rejected")


def test_undo_of_an_earlier_coder_keeps_a_later_coders_verdict(seeded):
    """bob accepts, alice then rejects, bob undoes: alice's rejection stands (the row is not put back
    to pending under her); alice then undoes too: the chip is open for both."""
    alice, bob, doc_id, sid = seeded
    coding.accept_suggestion(bob, sid["2:trust"])
    coding.reject_suggestion(alice, sid["2:trust"])
    coding.undo(bob)
    assert _chips(alice, doc_id)[sid["2:trust"]].status == "rejected"
    assert _chips(bob, doc_id)[sid["2:trust"]].status == "pending"
    with alice.session(readonly=True) as s:
        assert coding_store.get_suggestion(s, sid["2:trust"]).status == "rejected"  # decided: no refresh replaces it
    coding.undo(alice)
    assert _chips(alice, doc_id)[sid["2:trust"]].status == "pending"
    assert _chips(bob, doc_id)[sid["2:trust"]].status == "pending"
    with alice.session(readonly=True) as s:
        assert coding_store.get_suggestion(s, sid["2:trust"]).status == "pending"


def test_status_counts_every_coders_own_verdicts_and_the_excerpts_to_code(seeded):
    """Walk 11: `qualcode status` said "3 accepted, 2 rejected" for 5 accepts and 4 rejects by two
    coders (a row holds the latest decider's verdict only); and the Project page's "Excerpts"
    counted the interviewer's lines that nobody codes."""
    from qualcode.services import project_status

    alice, bob, doc_id, sid = seeded
    coding.accept_suggestion(alice, sid["1:trust"])
    coding.reject_suggestion(alice, sid["1:buy_in"])
    coding.accept_suggestion(bob, sid["1:trust"])
    coding.accept_suggestion(bob, sid["1:buy_in"])
    coding.nothing_here(bob, _eid(bob, doc_id, 2))  # bob rejects excerpt 2's two
    coding.accept_suggestion(alice, sid["2:trust"])
    coding.undo(alice)  # taken back: not a verdict
    counts = project_status(alice)
    assert (counts["suggestions"]["accepted"], counts["suggestions"]["rejected"]) == (3, 3)
    view = ui_support.transcript_view(alice, doc_id)
    assert counts["codable_excerpts"] == sum(e.codable for e in view.excerpts()) < counts["excerpts"]


def test_one_coders_pending_suggestions_are_the_ones_their_code_page_offers(seeded):
    """Walk 12: eva's export "with pending suggestions" left out chips she still had to decide
    (ben had decided those rows) and listed a suggestion ben's model made after she had finished
    the excerpt; the Project page's pending count was the rows' shared one."""
    from qualcode.core import Suggestion
    from qualcode.services import analysis, export

    alice, bob, doc_id, sid = seeded
    coding.accept_suggestion(alice, sid["1:trust"])  # alice leaves 1:buy_in to decide
    coding.reject_suggestion(bob, sid["1:buy_in"])  # the row now holds bob's verdict
    ex1 = _eid(alice, doc_id, 1)
    with bob.session() as s:  # bob's refresh stores a code on the excerpt alice has finished
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex1, code_id="evidence", score=0.9,
                                                       model_id="bob-model")])
    offered = sorted((e.id, c.code_id) for e in ui_support.transcript_view(alice, doc_id).excerpts()
                     for c in e.state.pending)
    assert (ex1, "buy_in") in offered and (ex1, "evidence") not in offered
    table = export.excerpts_table(alice, include="pending", coder="alice")
    pending = sorted((int(e), c) for e, c, o in zip(table["excerpt_id"], table["code_id"], table["origin"])
                     if o == "pending")
    assert pending == offered
    f = analysis.frequencies(alice, include="pending", coder="alice")
    # buy_in: alice's open chips only (she has no buy_in coding; bob's rejection decides nothing for her)
    assert int(f.loc[f["code_id"] == "buy_in", "excerpts"].iloc[0]) == sum(c == "buy_in" for _, c in offered) == 2
    assert ui_support.open_count(alice) == len(offered)


def test_the_coder_list_offers_people_who_code_not_the_name_that_set_the_project_up(tmp_path):
    """Walk 12: `qualcode init` as root made a coder "coder" (the fallback name) that the Project
    page then offered beside the two people coding."""
    from qualcode import services
    from tests.ui_helpers import seed

    setup = services.init_project(tmp_path / "p", coder="coder")
    doc_id, sid = seed(setup)
    eva, ben = setup.as_coder("eva"), setup.as_coder("ben")
    coding.accept_suggestion(eva, sid["1:trust"])
    coding.nothing_here(ben, _eid(ben, doc_id, 2))
    team.add_coder(setup, "mo")  # added by name, not coding yet: offered
    assert "coder" in services.list_coders(setup)
    assert services.working_coders(setup) == ["ben", "eva", "mo"]
    assert services.project_status(setup)["coders"] == 3  # walk 14: `qualcode status` said 4
    at = no_exception(page("project", eva))
    assert at.selectbox(key="coder_pick").options == ["ben", "eva", "mo"]
    # a consensus recorded (and undone) is written under "consensus": never offered as a coder (walk 25)
    team.resolve_disagreement(eva, _eid(eva, doc_id, 1), ["trust"])
    coding.undo(eva, 1)
    assert "consensus" in services.list_coders(setup)
    assert services.working_coders(setup) == ["ben", "eva", "mo"]
    at = no_exception(page("project", eva))
    assert at.selectbox(key="coder_pick").options == ["ben", "eva", "mo"]


def test_a_coder_who_has_decided_nothing_is_told_every_suggestion_their_code_page_offers(seeded):
    """Walk 14: omar, new, read "Suggestions for you: 243" (the rows still pending) while his Code
    page offered 267: the rows lena had decided are open for him too."""
    alice, bob, doc_id, sid = seeded
    coding.accept_suggestion(alice, sid["1:trust"])
    coding.reject_suggestion(alice, sid["1:buy_in"])
    carol = alice.as_coder("carol")  # never wrote anything: no coder row yet
    offered = [c for e in ui_support.transcript_view(carol, doc_id).excerpts() for c in e.state.pending]
    assert ui_support.open_count(carol) == len(offered) == len(sid)


@pytest.mark.parametrize("independent", [False, True])
def test_with_independent_coding_the_project_page_shows_a_coder_nothing_of_a_colleagues_work(seeded, independent):
    """Walk 14: with independent coding on, omar's Project page showed "Reviewed by lena 19%",
    lena's decision count and lena's codes under "Codes in use" (quotes included)."""
    alice, bob, doc_id, sid = seeded
    if independent:
        team.set_independent_coding(alice, True)
    coding.accept_suggestion(alice, sid["1:trust"])
    coding.reject_suggestion(alice, sid["1:buy_in"])
    at = no_exception(page("project", bob))
    columns = list(at.dataframe[0].value.columns)
    seen = " ".join([*(c.value for c in at.caption), *(m.value for m in at.markdown)])
    codes = [df.value for df in at.dataframe if "code" in df.value.columns]
    if independent:
        assert "Reviewed: alice" not in columns and "Reviewed: bob" in columns
        assert "alice" not in seen and not codes  # no curve text naming her, no table of her codes
        assert any("No codings yet" in c.value for c in at.caption)
        # nor her total in the headline (walk 20: "Codings 84" before leo had coded anything)
        assert {m.label: m.value for m in at.metric}["Your codings"] == "0"
    else:
        assert "Reviewed: alice" in columns
        assert {m.label: m.value for m in at.metric}["Codings"] == "1"
        assert "alice" in seen and "Trust" in list(codes[0]["code"])  # (with its parent, Relationships)


def test_independent_coding_never_shows_a_colleagues_learned_suggestions(seeded):
    """Walk 18: with independent coding on, anna's Code page said "some on this document come
    from ben's model" and offered them: a model learned from ben's decisions carries ben's
    judgments to a coder who must not see them. Under independent coding a colleague's learned
    model's open suggestions are not shown (the codebook's, and the coder's own, are); the Code
    page says so. With independent coding off they are shown, and named."""
    from qualcode.core import Suggestion
    from qualcode.services import suggest as suggest_svc
    from qualcode.ui.pages.code import learning_text

    alice, bob, doc_id, sid = seeded
    with alice.session() as s:  # bob's learned model re-scored excerpt 1 (rows are shared)
        ex1 = coding_store.list_suggestions(s, document_id=doc_id)[0].excerpt_id
        coding_store.upsert_suggestions(s, [Suggestion(
            excerpt_id=ex1, code_id="evidence", score=0.9, model_id="m:384/h7-abc123",
            explanation={"model_of": "bob"})], replace_pending_for=[ex1])
        mine = [Suggestion(excerpt_id=ex1, code_id="trust", score=0.7, model_id="m:384/h3-def456",
                           explanation={"model_of": "alice"})]
    def codes_for(ctx):
        view = ui_support.transcript_view(ctx, doc_id)
        return sorted(c.code_id for e in view.excerpts() if e.id == ex1 for c in e.state.chips)

    assert codes_for(alice) == ["evidence"]  # independent coding off: shown...
    assert "bob's model" in learning_text({**suggest_svc.learning_status(alice, document_id=doc_id), "busy": ""})
    team.set_independent_coding(alice, True)
    assert codes_for(alice) == [] and codes_for(bob) == ["evidence"]  # on: not to alice; bob's own stay
    assert [sg.code_id for sg in team.visible_suggestions(alice, document_id=doc_id) if sg.excerpt_id == ex1] == []
    with alice.session(readonly=True) as s:  # nor counted as open for her (the Project page, pending counts)
        assert not [c for _i, e, c in coding_store.open_for(s, alice.coder_id(s)) if e == ex1]
        assert [c for _i, e, c in coding_store.open_for(s, bob.coder_id(s)) if e == ex1] == ["evidence"]
    info = suggest_svc.learning_status(alice, document_id=doc_id)
    assert info["hidden"] and not info["colleague"] and info["made_by"] is None
    text = learning_text({**info, "busy": ""})
    assert "bob" not in text and "independent coding: suggestions a colleague's model made here are not shown" in text
    with alice.session() as s:  # alice's own learned model's rows are hers to see
        coding_store.upsert_suggestions(s, mine)
    assert codes_for(alice) == ["trust"]


def test_a_code_added_while_a_document_is_open_says_where_it_is_suggested(project, monkeypatch):
    """Walk 19: a code added on the Codebook page had its suggestions within a second, all in
    two other documents; the open Code page said nothing for two minutes (it offers only codes
    new to the open document). It now names where the new code is suggested, with a way there,
    or that it is suggested nowhere yet."""
    from qualcode.core import Suggestion
    from qualcode.services import codebook as cb_service
    from qualcode.storage import documents as doc_store

    doc1, _ = seed(project, name="first")
    doc2, _ = seed(project, name="second", turns=[("Interviewer", "interviewer", "And then?"),
                                                   ("Ana", "participant", "The young people came every week.")])
    # no engine here: the codebook counts as followed (patched for this test only: AppTest runs the
    # script in this process, and a patch made by the script itself outlived it, into later tests)
    monkeypatch.setattr(suggest_svc, "follow_codebook", lambda *a, **k: True)
    script = "from qualcode.ui.pages import code\ncode.render()\n"
    at = no_exception(run_script(script, project, code_doc=doc1, code_mode="Excerpts"))
    assert not [c for c in at.caption if c.value.startswith("New code")]
    new = cb_service.add_code(project, {"name": "Youth involvement", "definition": "Young people taking part."})
    at = no_exception(at.run())
    assert [c.value for c in at.caption if c.value.startswith("New code")] == [
        "New code Youth involvement: the model suggests it nowhere yet. Code a few excerpts with it by hand "
        "(T, or select words): it learns from them."]
    with project.session() as s:
        ex2 = [e.id for e in doc_store.load_document(s, doc2).excerpts if e.codable]
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e, code_id=new.id, score=0.7, model_id="m")
                                            for e in ex2])
    at = no_exception(at.run())
    assert [c.value for c in at.caption if c.value.startswith("New code")] == [
        "New code Youth involvement: suggested on 1 excerpt you have not reviewed, none in this document: "
        "second (1)."]
    at = no_exception(at.button(key=f"code-new-open-{new.id}").click().run())
    assert at.session_state["code_doc"] == doc2
    # under independent coding a colleague's learned model's suggestions are not counted either
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e, code_id=new.id, score=0.9, model_id="m:384/h5-x",
                                                       explanation={"model_of": "bob"}) for e in ex2])

    assert suggest_svc.where_suggested(project, [new.id]) == {new.id: [(doc2, "second", 2)]}
    team.set_independent_coding(project, True)
    assert suggest_svc.where_suggested(project, [new.id]) == {new.id: [(doc2, "second", 1)]}


def test_a_new_code_suggested_in_the_open_document_is_not_said_to_be_suggested_nowhere(project, monkeypatch):
    """Walk 40: "New code Transport: the model suggests it nowhere yet" stayed at the top of the
    page while the open document showed Transport's chip (stored before the page's last run)."""
    from qualcode.core import Suggestion
    from qualcode.services import codebook as cb_service
    from qualcode.storage import documents as doc_store

    doc1, _ = seed(project, name="first")
    monkeypatch.setattr(suggest_svc, "follow_codebook", lambda *a, **k: True)
    script = "from qualcode.ui.pages import code\ncode.render()\n"
    at = no_exception(run_script(script, project, code_doc=doc1, code_mode="Excerpts"))
    new = cb_service.add_code(project, {"name": "Transport", "definition": "Getting there."})
    at = no_exception(at.run())
    assert [c.value for c in at.caption if c.value.startswith("New code Transport")]  # nowhere yet: true
    with project.session() as s:
        ex1 = [e.id for e in doc_store.load_document(s, doc1).excerpts if e.codable]
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex1[-1], code_id=new.id, score=0.7, model_id="m")])
    for _ in range(2):  # the run that learns of it, and the next
        at = no_exception(at.run())
        assert not [c.value for c in at.caption if c.value.startswith("New code Transport")]


def test_a_document_whose_suggestions_are_all_a_colleagues_is_scored_by_the_coders_own_model(seeded, monkeypatch):
    """Walk 19: under independent coding, a document whose suggestions a colleague's model had
    re-scored said "the local model has not scored it" (its rows were hidden). The page says
    what is going on, and has the coder's own model score that document."""
    from qualcode.core import Suggestion

    alice, bob, doc_id, _sid = seeded
    team.set_independent_coding(alice, True)
    with alice.session() as s:
        ex = [sg.excerpt_id for sg in coding_store.list_suggestions(s, document_id=doc_id)]
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e, code_id="evidence", score=0.9,
                                                       model_id="m:384/h9-abc", explanation={"model_of": "bob"})
                                            for e in set(ex)], replace_pending_for=set(ex))
    import streamlit as st

    monkeypatch.setattr(suggest_svc, "follow_codebook", lambda *a, **k: True)
    monkeypatch.setattr(suggest_svc, "request_refresh", lambda ctx, **kw: st.session_state.setdefault(
        "asked", []).append((ctx.coder, kw["document_id"], kw.get("only"))))
    script = "from qualcode.ui.pages import code\ncode.render()\n"
    at = no_exception(run_script(script, alice, code_doc=doc_id, code_mode="Excerpts"))
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Independent coding: the suggestions on this document were made by a colleague's model")
               for c in captions), captions
    assert not any(c.startswith("No suggestions for this document yet") for c in captions)
    assert ("alice", doc_id, True) in at.session_state["asked"]


def test_two_models_rows_for_one_excerpt_and_code_count_once(seeded):
    """Under independent coding each coder's model keeps its own rows, so one excerpt may hold
    two pending suggestions of the same code: pooled counts and quotes "with pending" take the
    pair once, and a coder's page shows one chip for it."""
    from qualcode.core import Suggestion
    from qualcode.services import analysis

    alice, bob, doc_id, sid = seeded
    with alice.session() as s:
        ex = sorted({sg.excerpt_id for sg in coding_store.list_suggestions(s, document_id=doc_id)})
    before = analysis.frequencies(alice, include="pending").set_index("code_id").loc["evidence", "excerpts"]
    with alice.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[0], code_id="evidence", score=0.9,
                                                       model_id=f"m:384/h{k}-{who}", explanation={"model_of": who})
                                            for k, who in ((3, "alice"), (4, "bob"))])
    f = analysis.frequencies(alice, include="pending").set_index("code_id")
    assert f.loc["evidence", "excerpts"] == before + 1
    q = analysis.quotes(alice, code_id="evidence", include="pending")
    assert len(q) == before + 1
    view = ui_support.transcript_view(alice, doc_id)
    chips = [c for e in view.excerpts() if e.id == ex[0] for c in e.state.chips if c.code_id == "evidence"]
    assert len(chips) == 1 and chips[0].explanation["model_of"] == "alice"


def test_show_them_opens_the_first_excerpt_with_a_new_codes_suggestion(project):
    """Walk 19: "New suggestions for Water: show them" only removed the button; nothing pointed to
    the two new chips. It opens the first excerpt holding one, scrolled into view. (The offer
    itself shows on the ticking line's own runs, which AppTest does not make: the browser test
    test_browser_live clicks it; here its callback.)"""
    from qualcode.core import Suggestion
    from qualcode.services import codebook as cb_service
    from qualcode.storage import documents as doc_store

    doc1, _ = seed(project, name="first")
    new = cb_service.add_code(project, {"name": "Water", "definition": "Taps, hoses, watering."})
    with project.session() as s:
        ex = [e.id for e in doc_store.load_document(s, doc1).excerpts if e.codable]
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e, code_id=new.id, score=0.8, model_id="m")
                                            for e in ex])
    coding.mark_reviewed(project, ex[0])  # decided already: not where it takes the coder
    script = ("import streamlit as st\n"
              "from qualcode.ui.pages import code\nfrom qualcode.ui.state import current_context\n"
              f"code._show_new(current_context(), {doc1}, [{new.id!r}])\n")
    at = no_exception(run_script(script, project))
    assert (at.session_state["code_focus"], at.session_state["code_jump"]) == (ex[1], True)


def test_the_project_page_counts_the_suggestions_left_for_the_coder_per_document(seeded):
    """Walk 19: the Review progress table's "Pending suggestions" counted every pending row, any
    coder's model's, so a document anna had finished read "Reviewed 100%" beside "1" pending. It
    counts what the coder's own Code page offers."""
    from qualcode.core import Suggestion

    alice, bob, doc_id, sid = seeded
    for key in sid:
        coding.reject_suggestion(alice, sid[key])
    with alice.session() as s:
        ex = sorted({sg.excerpt_id for sg in coding_store.list_suggestions(s, document_id=doc_id)})
        for e in ex:
            coding_store.mark_reviewed(s, e, alice.coder_id(s))
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[0], code_id="evidence", score=0.9,
                                                       model_id="m:384/h4-b", explanation={"model_of": "bob"})])
    at = no_exception(page("project", alice))
    (progress,) = [d.value for d in at.dataframe if "Suggestions for you" in d.value.columns]
    assert progress["Suggestions for you"].tolist() == [0]
    # the column says why a document reviewed in full can still have some (walk 42)
    (table,) = [d for d in at.dataframe if "Suggestions for you" in d.value.columns]
    assert "added after you finished it" in json.loads(table.proto.columns)["Suggestions for you"]["help"]
    at = no_exception(page("project", bob))
    (progress,) = [d.value for d in at.dataframe if "Suggestions for you" in d.value.columns]
    assert progress["Suggestions for you"].tolist() == [len(sid) + 1]  # bob's to decide: every one, and his model's


def test_a_colleagues_learned_suggestions_they_rejected_are_not_left_for_a_blind_coder(seeded):
    """Walk 20: under independent coding, the suggestions maya's learned model made and maya then
    rejected read as "suggestions for you" on leo's Project page (11 and 8, in documents leo had
    finished) while his Code page rightly showed none: a colleague's learned model's rows are not
    offered to a blind coder, whatever the colleague decided on them."""
    from qualcode.services import ui_support

    alice, bob, doc_id, sid = seeded
    team.set_independent_coding(alice, True)
    ex, learned = _alices_learned_evidence(alice, doc_id)
    for key in sid:  # the shared cold rows: bob decides them himself
        coding.reject_suggestion(bob, sid[key])
    for s_id in learned:
        coding.reject_suggestion(alice, s_id)
    for e in ex:  # bob codes each excerpt himself (walk 20: "you coded this excerpt and no suggestion
        coding.add_coding(bob, e, "trust")  # on it is open"), so his verdicts never touch alice's rows
        coding.mark_reviewed(bob, e)
    assert not any(c.status == "pending" for c in _chips(bob, doc_id).values())  # his Code page: none open
    assert ui_support.open_count(bob) == 0
    at = no_exception(page("project", bob))
    (progress,) = [d.value for d in at.dataframe if "Suggestions for you" in d.value.columns]
    assert progress["Suggestions for you"].tolist() == [0]


def test_a_blind_coder_gets_suggestions_on_pairs_only_a_colleagues_hidden_rows_settled(seeded):
    """Walk 26: under independent coding joseph coded 18 excerpts maria had finished with no chip
    at all: every pair maria had accepted or rejected on her learned model's rows (hidden from
    him) was blocked for his own model too. A colleague's hidden decision no longer settles the
    pair for the blind coder; a decision he can see (the shared codebook rows), or his own, does."""
    from qualcode.core import Suggestion
    from qualcode.storage import training

    alice, bob, doc_id, sid = seeded
    ex, learned = _alices_learned_evidence(alice, doc_id)
    for s_id in learned:
        coding.reject_suggestion(alice, s_id)
    for key in sid:  # the shared cold rows: alice decides them too (bob sees those, decided or not)
        coding.reject_suggestion(alice, sid[key])
    for e in ex:
        coding.mark_reviewed(alice, e)

    def blocked(ctx):  # in a write session, as the refresh asks (the coder's row exists there)
        with ctx.session() as s:
            return training.blocked_pairs(s, ex, ctx.coder_id(s))

    assert {(e, "evidence") for e in ex} <= blocked(bob)  # independent coding off: her decision is shared
    team.set_independent_coding(alice, True)
    assert {(e, "evidence") for e in ex} <= blocked(alice)
    assert not {(e, "evidence") for e in ex} & blocked(bob)  # on: hidden from bob, so not settled for him
    with alice.session(readonly=True) as s:
        shared = {(sg.excerpt_id, sg.code_id) for sg in coding_store.list_suggestions(s, document_id=doc_id)
                  if sg.id in set(sid.values())}
    assert shared <= blocked(bob)  # the codebook's rows he is shown: decided is decided

    # bob's own model proposes evidence there: stored for him, and on his Code page
    with bob.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[0], code_id="evidence", score=0.8,
                                                       model_id="m:384/h2-b", explanation={"model_of": "bob"})],
                                        replace_pending_for=[ex[0]], blind="bob")
    chips = [c for c in _chips(bob, doc_id).values() if c.code_id == "evidence" and c.status == "pending"]
    assert len(chips) == 1
    assert not [c for c in _chips(alice, doc_id).values() if c.code_id == "evidence" and c.status == "pending"]


def test_nothing_here_under_independent_coding_leaves_a_colleagues_model_rows_alone(seeded):
    """Walk 34: under independent coding Ana's "Nothing here" rejected, in her name, the rows Ben's
    learned model had stored on the excerpt: her Code page then listed his model's codes as chips
    she had rejected, and the rows held her verdict instead of being open to Ben. Her D rejects
    only what her page offers her; Ben's rows stay pending, and Ben still decides them."""
    from qualcode.core import Suggestion

    alice, bob, doc_id, sid = seeded
    team.set_independent_coding(alice, True)
    with alice.session() as s:
        ex = sorted({sg.excerpt_id for sg in coding_store.list_suggestions(s, document_id=doc_id)})
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[0], code_id="evidence", score=0.8,
                                                       model_id="m:384/h9-bob", explanation={"model_of": "bob"})])
        (bobs,) = [sg.id for sg in coding_store.list_suggestions(s, document_id=doc_id)
                   if sg.excerpt_id == ex[0] and sg.code_id == "evidence"]
        mine = coding_store.pending_for(s, ex[0], alice.coder_id(s))
    assert mine and bobs not in mine
    assert coding.nothing_here(alice, ex[0]) == len(mine)
    with alice.session(readonly=True) as s:
        row = coding_store.get_suggestion(s, bobs)
        assert (row.status, row.decided_by) == ("pending", None)
    alice_chips = {c.suggestion_id for e in ui_support.transcript_view(alice, doc_id).excerpts()
                   if e.id == ex[0] for c in e.state.chips}
    assert bobs not in alice_chips and alice_chips >= set(mine)
    bob_chips = _chips(bob, doc_id)
    assert bob_chips[bobs].status == "pending"
    coding.reject_suggestion(bob, bobs)
    assert _chips(bob, doc_id)[bobs].status == "rejected"
    # a stale chip of Alice's resolves to her own open row, never to Ben's model's
    with alice.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[1], code_id="evidence", score=0.8,
                                                       model_id="m:384/h9-bob", explanation={"model_of": "bob"})])
        found = coding_store.pending_suggestion_for(s, ex[1], "evidence", alice.coder_id(s))
        assert found is None or (found.explanation or {}).get("model_of") != "bob"
    with pytest.raises(Exception, match="replaced by newer ones"):
        coding.reject_suggestion(alice, 10**6, excerpt_id=ex[1], code_id="evidence")


def test_show_them_for_a_late_code_makes_a_and_x_decide_that_codes_chip(project, monkeypatch):
    """Walk 42: "Look again for Device access", then "Show them", opened an excerpt where A and X
    acted on another, likelier chip ("Opening hours"). The code whose suggestions the coder is
    going through is the one they decide, until its suggestions are decided."""
    import time

    from qualcode.core import Suggestion
    from qualcode.services import codebook as cb_service
    from qualcode.storage import documents as doc_store

    doc1, sid = seed(project, name="first")  # trust 0.8 and buy_in 0.7 on each excerpt
    with project.session() as s:
        ex1 = [e.id for e in doc_store.load_document(s, doc1).excerpts if e.codable]
    coding.mark_reviewed(project, ex1[0])  # finished before the code existed
    time.sleep(0.05)
    late = cb_service.add_code(project, {"name": "Device access", "definition": "Laptops and wifi."})
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex1[0], code_id=late.id, score=0.55, model_id="m")])
        late_sid = next(sg.id for sg in coding_store.list_suggestions(s, document_id=doc1) if sg.code_id == late.id)
    monkeypatch.setattr(suggest_svc, "follow_codebook", lambda *a, **k: True)
    assert [x["code_id"] for x in suggest_svc.late_codes(project, document_id=doc1)] == [late.id]
    at = no_exception(run_script("from qualcode.ui.pages import code\ncode.render()\n", project, code_doc=doc1,
                                 code_mode="Excerpts", code_focus=ex1[0]))
    assert at.button(key=f"focus-accept-s{sid['1:trust']}").label.startswith("Accept Trust")  # the likeliest
    at.button(key=f"code-late-show-{late.id}").click().run()
    no_exception(at)
    assert at.session_state["code_focus"] == ex1[0]
    accept = at.button(key=f"focus-accept-s{late_sid}")
    assert accept.label == "Accept Device access"
    accept.click().run()
    no_exception(at)
    with project.session(readonly=True) as s:
        assert [c.code_id for c in coding_store.list_codings(s, excerpt_ids=[ex1[0]])] == [late.id]
    # its suggestions decided, A and X go back to the likeliest chip
    assert at.button(key=f"focus-accept-s{sid['1:trust']}").label.startswith("Accept Trust")


def test_a_late_codes_quiet_line_can_be_hidden_and_comes_back_with_a_suggestion(project, monkeypatch):
    """Walk 47: "Funding: nothing more was flagged on the 37 excerpts you had finished before it was
    added ..." stood on every document, its only button a sign-off ("Not on any of them") on
    excerpts the coder never saw. "Hide" takes the line away and decides nothing; a suggestion of
    the code there later brings it back."""
    import time

    from qualcode.core import Suggestion
    from qualcode.services import codebook as cb_service
    from qualcode.storage import documents as doc_store
    from qualcode.storage import meta

    doc1, _ = seed(project, name="first")
    with project.session() as s:
        ex1 = [e.id for e in doc_store.load_document(s, doc1).excerpts if e.codable]
    for e in ex1:
        coding.mark_reviewed(project, e)  # finished before the code existed
    time.sleep(0.05)
    late = cb_service.add_code(project, {"name": "Funding", "definition": "Money, grants, stipends."})
    with project.session() as s:  # "Look again" ran and flagged nothing
        cid = project.coder_id(s)
        meta.set_setting(s, f"{suggest_svc.LOOKED_AGAIN_KEY}:{cid}", {late.id: time.time()})
    monkeypatch.setattr(suggest_svc, "follow_codebook", lambda *a, **k: True)
    at = no_exception(run_script("from qualcode.ui.pages import code\ncode.render()\n", project, code_doc=doc1))
    assert any("Funding: nothing more was flagged" in c.value for c in at.caption)
    at.button(key=f"code-late-hide-{late.id}").click().run()
    no_exception(at)
    assert not any("Funding" in c.value for c in at.caption)
    assert f"code-late-none-{late.id}" not in [b.key for b in at.button]
    assert any("Line hidden" in i.value for i in at.info)
    (still,) = suggest_svc.late_codes(project, document_id=doc1)  # nothing decided: still not looked at
    assert still["finished"] == len(ex1)
    at = no_exception(run_script("from qualcode.ui.pages import code\ncode.render()\n", project, code_doc=doc1))
    assert not any("Funding" in c.value for c in at.caption)  # a new session: still hidden
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex1[0], code_id=late.id, score=0.7, model_id="m")])
    at = no_exception(at.run())
    assert any("Funding is suggested on 1 excerpt" in c.value for c in at.caption)


def test_the_project_page_says_consensus_is_not_a_coder(seeded):
    """Walk 50: the Review progress table had a "Reviewed by consensus 9%" column among the coders.
    It now comes last, as "Resolved by consensus"."""
    alice, bob, doc_id, sid = seeded
    coding.accept_suggestion(alice, sid["1:trust"])
    coding.reject_suggestion(bob, sid["1:trust"])
    ex_id = team.disagreements(alice)[0]["excerpt_id"]
    team.resolve_disagreement(alice, ex_id, ["trust"])
    at = no_exception(page("project", alice))
    table = at.dataframe[0]
    columns = list(table.value.columns)
    assert columns[-1] == "Reviewed: consensus" and "Reviewed: alice" in columns, columns
    assert '"Resolved by consensus"' in table.proto.columns and '"Reviewed by consensus"' not in table.proto.columns
