"""Roles and attributes after import: one speaker's role in every document at once, a
table editor for many documents' attributes; all through services, audited."""

from __future__ import annotations

import pytest

from qualcode.errors import QualcodeError
from qualcode.services import commands as executor
from qualcode.services import documents_edit, ingest, team
from qualcode.storage import documents as doc_store
from tests.conftest import make_document
from tests.pg_helpers import db_url, pg_server  # noqa: F401
from tests.ui_helpers import no_exception, page


@pytest.fixture
def three(project):
    """Three interviews by the same interviewer, whose label differs in case in one."""
    ids = []
    with project.session() as s:
        for i, who in enumerate(["Jane Doe", "jane doe", "Jane Doe"]):
            d = make_document(f"call-{i}", [(who, "participant", "How did it go?"),
                                            ("Sam", "participant", f"It went well in year {i}.")])
            ids.append(doc_store.add_document(s, d))
    return project, ids


def _codable(ctx, doc_id):
    return [e["codable"] for e in ingest.show_document(ctx, doc_id)["excerpts"]]


def test_one_speaker_becomes_interviewer_in_every_document(three):
    ctx, ids = three
    assert all(_codable(ctx, d) == [True, True] for d in ids)
    r = documents_edit.set_role_everywhere(ctx, "JANE DOE", "interviewer")
    assert sorted(r["documents"]) == ["call-0", "call-1", "call-2"]
    assert all(_codable(ctx, d) == [False, True] for d in ids)
    assert team.audit_log(ctx, action="set_roles")[0]["coder"] == "alice"
    again = documents_edit.set_role_everywhere(ctx, "jane doe", "interviewer")
    assert again["documents"] == []
    with pytest.raises(QualcodeError):
        documents_edit.set_role_everywhere(ctx, "Nobody", "interviewer")
    with pytest.raises(QualcodeError):
        documents_edit.set_role_everywhere(ctx, "Sam", "boss")


def test_speakers_list_counts_documents_per_person(three):
    ctx, _ = three
    rows = documents_edit.speakers(ctx)
    assert len(rows) == 6
    assert {r["documents"] for r in rows if r["label"].lower() == "jane doe"} == {3}


def test_bulk_attributes_in_one_go_and_all_or_nothing(three):
    ctx, ids = three
    n = documents_edit.set_document_attributes(ctx, {ids[0]: {"year": "2022"}, ids[1]: {"year": "2023"},
                                                     ids[2]: {"year": "", "district": "North"}})
    assert n == 3
    rows, types = documents_edit.attributes_table(ctx)
    assert types == {"district": "text", "year": "integer"}
    assert [r["year"] for r in rows] == ["2022", "2023", ""]
    with pytest.raises(QualcodeError):  # a year that is not a number: nothing saved
        documents_edit.set_document_attributes(ctx, {ids[2]: {"year": "soon", "district": "South"}})
    rows, _ = documents_edit.attributes_table(ctx)
    assert rows[2]["district"] == "North"


def test_documents_page_sets_a_role_everywhere(three):
    ctx, ids = three
    at = no_exception(page("documents", ctx))
    at.selectbox(key="docs_everywhere_speaker").set_value("Jane Doe").run()
    at.selectbox(key="docs_everywhere_role").set_value("interviewer").run()  # the button is on once both are picked
    at.button(key="docs_everywhere_set").click().run()
    no_exception(at)
    assert all(_codable(ctx, d) == [False, True] for d in ids)
    assert any("interviewer in 3 documents" in s.value for s in at.success)
    # walk 30: what the role means for coding, said with the change and under the heading
    assert any("Speakers marked interviewer: their words are not coded" in s.value for s in at.success)
    assert any(c.value.startswith("Coded: the words of participant and unknown speakers.") for c in at.caption)
    at.selectbox(key="docs_everywhere_role").set_value("unknown").run()
    at.button(key="docs_everywhere_set").click().run()
    assert all(_codable(ctx, d) == [True, True] for d in ids)
    assert any("Jane Doe is now unknown in 3 documents. Speakers marked unknown: their words are coded." in s.value
               for s in at.success)


def test_the_same_speaker_box_opens_with_nothing_chosen(three):
    """No speaker and no role picked at first, and the button is off until both are: one
    click must not make anyone an interviewer everywhere."""
    ctx, ids = three
    at = no_exception(page("documents", ctx))
    assert at.selectbox(key="docs_everywhere_speaker").value is None
    assert at.selectbox(key="docs_everywhere_role").value is None
    assert at.button(key="docs_everywhere_set").disabled
    at.selectbox(key="docs_everywhere_speaker").set_value("Sam").run()
    assert at.button(key="docs_everywhere_set").disabled  # a role is still missing
    no_exception(at)
    assert all(_codable(ctx, d) == [True, True] for d in ids)
    at.selectbox(key="docs_everywhere_role").set_value("interviewer").run()
    assert not at.button(key="docs_everywhere_set").disabled


def test_documents_page_saves_attributes_from_the_table(three):
    ctx, ids = three
    documents_edit.set_document_attributes(ctx, {ids[0]: {"year": "2020"}})
    at = no_exception(page("documents", ctx))
    tables = [d.value for d in at.dataframe]  # AppTest lists st.data_editor among dataframes
    attrs = next(t for t in tables if "year" in t.columns)
    assert list(attrs["year"]) == ["2020", "", ""]
    # AppTest cannot type into st.data_editor; the page's save path is the same service
    # call, checked here with the values the editor would hand over.
    assert documents_edit.set_document_attributes(ctx, {ids[1]: {"year": "2021"}, ids[2]: {"year": "2022"}}) == 2
    at.run()
    no_exception(at)


def test_documents_page_sets_one_value_for_several_documents(three):
    ctx, ids = three
    at = no_exception(page("documents", ctx))
    at.multiselect(key="docs_bulk_docs").set_value(["call-0", "call-2"])
    at.text_input(key="docs_bulk_key").input("year")
    at.text_input(key="docs_bulk_value").input("2023")
    at.button(key="docs_bulk_set").click().run()
    no_exception(at)
    rows, types = documents_edit.attributes_table(ctx)
    assert [r["year"] for r in rows] == ["2023", "", "2023"] and types["year"] == "integer"


# --- one person written several ways (issue 15) ------------------------------------------------

@pytest.fixture
def split_people(project):
    """Zoom's "Ana (2)" next to "Ana" in one focus group; "Speaker 1" / "SPEAKER 1" across two
    interviews of one transcription service; pending suggestions on every codable excerpt."""
    from tests.ui_helpers import seed

    fg, _ = seed(project, name="focus-group", turns=[
        ("Facilitator", "interviewer", "What changed at your site this spring?"),
        ("Ana", "participant", "We protected one planning slot every week."),
        ("Ana (2)", "participant", "Sorry, my video froze. The slot was on Thursdays."),
        ("Ben", "participant", "Ours moved twice, which hurt."),
        ("Ana (2)", "participant", "And the principal guarded it for us.")])
    a, _ = seed(project, name="interview-a", turns=[
        ("Speaker 1", "unknown", "How did the first cycle go?"),
        ("Rosa", "participant", "Slowly. Nobody wanted to look at the data.")])
    seed(project, name="interview-c", turns=[  # two interviews' interviewers: not one person (walk 10)
        ("INTERVIEWER", "interviewer", "What did the coach do?"),
        ("Lena", "participant", "She kept the meetings short.")])
    b, _ = seed(project, name="interview-b", turns=[
        ("SPEAKER 1", "unknown", "And the second cycle?"),
        ("Tomas", "participant", "Faster, once the coach cut the agenda."),
        ("Interviewer", "interviewer", "Thank you both.")])
    return project, {"fg": fg, "a": a, "b": b}


def _labels(ctx, doc_id):
    return [t["speaker"] for t in ingest.show_document(ctx, doc_id)["turns"]]


def test_merge_candidates_preview_merge_and_undo_restore_everything(split_people):
    from tests.test_commands import snapshot

    ctx, ids = split_people
    assert documents_edit.merge_candidates(ctx) == [["Ana", "Ana (2)"], ["Speaker 1", "SPEAKER 1"]]
    start = snapshot(ctx)
    plan = documents_edit.merge_preview(ctx, ["Ana (2)", "Ana"], "Ana")
    assert [(p["document"], p["turns"], p["role"], p["codable_before"], p["codable_after"]) for p in plan] == [
        ("focus-group", 2, "participant", 3, 3)]
    assert snapshot(ctx) == start  # a preview writes nothing
    r = documents_edit.merge_speakers_in(ctx, ["Ana (2)", "Ana"], "Ana")
    assert r == {"into": "Ana", "documents": ["focus-group"], "turns": 2, "codable_before": 3, "codable": 3}
    assert _labels(ctx, ids["fg"]) == ["Facilitator", "Ana", "Ana", "Ben", "Ana"]
    assert documents_edit.undo_merge(ctx)["action"] == "merge_speakers_in"
    assert snapshot(ctx) == start
    # across documents, into an interviewer: their excerpts leave coding, pending suggestions go
    r = documents_edit.merge_speakers_in(ctx, ["Speaker 1", "SPEAKER 1"], "Interviewer")
    assert sorted(r["documents"]) == ["interview-a", "interview-b"]
    assert _labels(ctx, ids["a"])[0] == _labels(ctx, ids["b"])[0] == "Interviewer"
    documents_edit.set_roles(ctx, [(ids["a"], "Interviewer", "interviewer"), (ids["b"], "Interviewer", "interviewer")])
    with ctx.session(readonly=True) as s:
        from qualcode.storage import coding as coding_store

        pending = {g.excerpt_id for g in coding_store.list_suggestions(s)}
    first = {d: ingest.show_document(ctx, d)["excerpts"][0] for d in (ids["a"], ids["b"])}
    assert not any(e["codable"] for e in first.values()) and not pending & {e["id"] for e in first.values()}
    assert team.audit_log(ctx, action="merge_speakers_in")[0]["coder"] == "alice"
    assert [u["action"] for u in executor.undo(ctx, 2)] == ["set_roles", "merge_speakers_in"]
    assert snapshot(ctx) == start
    assert documents_edit.undo_merge(ctx) is None
    with pytest.raises(QualcodeError, match="nothing to merge"):
        documents_edit.merge_speakers_in(ctx, ["Ana"], "Ana")


def test_merging_into_a_role_that_is_not_coded_withdraws_pending_suggestions_and_undo_puts_them_back(split_people):
    from tests.test_commands import snapshot

    ctx, ids = split_people
    start = snapshot(ctx)
    plan = documents_edit.merge_preview(ctx, ["Ana (2)", "Facilitator"], "Facilitator")
    assert [(p["role"], p["codable_before"], p["codable_after"]) for p in plan] == [("interviewer", 2, 0)]
    documents_edit.merge_speakers_in(ctx, ["Ana (2)", "Facilitator"], "Facilitator")
    d = ingest.show_document(ctx, ids["fg"])
    assert [e["codable"] for e in d["excerpts"]] == [False, True, False, True, False]
    with ctx.session(readonly=True) as s:
        from qualcode.storage import coding as coding_store

        on = {g.excerpt_id for g in coding_store.list_suggestions(s, document_id=ids["fg"])}
    assert on == {d["excerpts"][1]["id"], d["excerpts"][3]["id"]}
    documents_edit.undo_merge(ctx)
    assert snapshot(ctx) == start


def test_merge_and_undo_restore_everything_on_both_backends(db_url):  # noqa: F811
    """Undo re-creates the merged speakers under their old ids (PostgreSQL included), with
    their attributes, turns and withdrawn suggestions."""
    from qualcode import services
    from tests.test_commands import snapshot
    from tests.ui_helpers import seed

    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        fg, _ = seed(ctx, name="focus-group", turns=[
            ("Facilitator", "interviewer", "What changed at your site this spring?"),
            ("Ana", "participant", "We protected one planning slot every week."),
            ("Ana (2)", "participant", "Sorry, my video froze. The slot was on Thursdays.")])
        ingest.set_speaker_attribute(ctx, fg, "Ana (2)", "district", "North Ridge")
        start = snapshot(ctx)
        documents_edit.merge_speakers_in(ctx, ["Ana (2)", "Facilitator"], "Facilitator")
        assert snapshot(ctx) != start
        assert documents_edit.undo_merge(ctx)["action"] == "merge_speakers_in"
        assert snapshot(ctx) == start
        ingest.merge_speakers(ctx, fg, ["Ana", "Ana (2)"], "Ana Ruiz")
        assert executor.undo(ctx, 1) == [{"action": "merge_speakers", "entity": "document", "entity_id": str(fg)}]
        assert snapshot(ctx) == start
    finally:
        ctx.close()


def test_documents_page_merges_speakers_with_a_preview_and_undoes(split_people):
    ctx, ids = split_people
    at = no_exception(page("documents", ctx))
    assert any("May be one person" in c.value and "Ana \\(2\\)" in c.value for c in at.caption)
    pick = at.multiselect(key="docs_merge_pick")
    assert pick.value == ["Ana", "Ana (2)"]  # the first proposal, ready to merge
    at.text_input(key="docs_merge_into").input("Ana Ruiz").run()
    no_exception(at)
    preview = next(d.value for d in at.dataframe if "After the merge" in d.value.columns)
    assert preview.to_dict("records") == [{
        "Document": "focus-group", "Speakers now": "Ana (participant, 1 turn), Ana (2) (participant, 2 turns)",
        "After the merge": "Ana Ruiz (participant)", "Codable excerpts": "3 → 3"}]
    assert at.button(key="docs_merge_go").label == "Merge in 1 document"
    at.button(key="docs_merge_go").click().run()
    no_exception(at)
    assert _labels(ctx, ids["fg"]) == ["Facilitator", "Ana Ruiz", "Ana Ruiz", "Ben", "Ana Ruiz"]
    msg = next(s.value for s in at.success if "Merged" in s.value)
    assert "into **Ana Ruiz** in 1 document" in msg and "3 turns moved to Ana Ruiz" in msg
    at.button(key="docs_merge_undo").click().run()
    no_exception(at)
    assert _labels(ctx, ids["fg"]) == ["Facilitator", "Ana", "Ana (2)", "Ben", "Ana (2)"]
    assert any("merge is undone" in s.value for s in at.success)
    assert at.multiselect(key="docs_merge_pick").value == ["Ana", "Ana (2)"]  # ready to adjust or redo
    assert at.text_input(key="docs_merge_into").value == "Ana Ruiz"
    # across documents: a spelling only, in the document that has it
    at.multiselect(key="docs_merge_pick").set_value(["Speaker 1", "SPEAKER 1"])
    at.text_input(key="docs_merge_into").set_value("").run()  # the first label's spelling
    preview = next(d.value for d in at.dataframe if "After the merge" in d.value.columns)
    assert list(preview["Document"]) == ["interview-b"]
    at.button(key="docs_merge_go").click().run()
    no_exception(at)
    assert _labels(ctx, ids["b"])[0] == "Speaker 1" and _labels(ctx, ids["a"])[0] == "Speaker 1"
    rows = documents_edit.speakers(ctx)
    assert {r["documents"] for r in rows if r["label"] == "Speaker 1"} == {2}


def test_a_surveys_questions_are_not_speakers_with_a_role(three):
    """Walk 22: the Speakers and roles list offered "What was most useful…? (12 documents)", a
    survey's question, for a role. A survey's respondents have no speakers to set."""
    from qualcode.services import survey as survey_svc
    from tests.test_survey import USEFUL, small_survey

    ctx, _ = three
    survey_svc.save_survey(ctx, small_survey())
    rows = documents_edit.speakers(ctx)
    assert len(rows) == 6 and not any(USEFUL in r["label"] for r in rows)
    assert not any(USEFUL in lab for g in documents_edit.merge_candidates(ctx) for lab in g)
    with pytest.raises(QualcodeError):
        documents_edit.set_role_everywhere(ctx, USEFUL, "interviewer")


def test_speaker_attributes_are_set_in_the_app_and_themes_group_by_them(three):
    """Walk 30: a focus group's tutors, parents and students could be told apart only with the
    command line or an attributes table at import. The Documents page's speaker table sets them,
    in one save, and Themes' frequencies group by them."""
    from qualcode.services import analysis, coding

    ctx, ids = three
    at = no_exception(page("documents", ctx))
    at.text_input(key="spk_new_attr").input("group")
    at.button(key="spk_add_column").click().run()
    rows, types = documents_edit.speaker_attributes_table(ctx)
    assert types == {} and [(r["document"], r["label"]) for r in rows][:2] == [("call-0", "Jane Doe"), ("call-0", "Sam")]
    at.session_state["spk_attrs"] = {"edited_rows": {1: {"group": "parent"}, 2: {"group": "tutor"}},
                                     "added_rows": [], "deleted_rows": []}
    at.run()
    no_exception(at)
    assert at.button(key="spk_attrs_save").label == "Save 2 speaker attribute values"
    at.button(key="spk_attrs_save").click().run()
    no_exception(at)
    rows, types = documents_edit.speaker_attributes_table(ctx)
    assert types == {"group": "text"}
    assert [(r["document"], r["label"], r["group"]) for r in rows] == [
        ("call-0", "Jane Doe", ""), ("call-0", "Sam", "parent"), ("call-1", "Sam", "tutor"),
        ("call-1", "jane doe", ""), ("call-2", "Jane Doe", ""), ("call-2", "Sam", "")]
    from tests.test_documents_walk4 import _after

    near = [n.value.replace("\\", "") for n in _after(at, "Speaker attributes") if getattr(n, "type", "") == "success"]
    assert any("Saved 2 attribute values: group = parent set on Sam (call-0); group = tutor set on Sam (call-1)" in v
               for v in near), near
    for d in ids[:2]:  # Sam's answer coded in call-0 and call-1
        sam = [e for e in ingest.show_document(ctx, d)["excerpts"] if e["text"].startswith("It went")][0]
        coding.add_coding(ctx, sam["id"], "trust")
    freq = analysis.frequencies(ctx, by="group")
    trust = freq[freq.code_id == "trust"].set_index("group")["excerpts"]
    assert trust.to_dict() == {"parent": 1, "tutor": 1, "(not set)": 0}


def test_a_bad_value_in_the_speaker_table_names_the_speaker_and_saves_nothing(three):
    """A speaker attribute typed as a number (age) refuses text typed into its column in the
    app: the error names the speaker and document and says what the column holds, in the app's
    words; nothing of that save is written (the good value beside it neither)."""
    ctx, ids = three
    documents_edit.set_speaker_attributes(ctx, {(ids[0], "Sam"): {"age": "34"}})
    at = no_exception(page("documents", ctx))
    rows, types = documents_edit.speaker_attributes_table(ctx)
    assert types == {"age": "integer"}
    at.session_state["spk_attrs"] = {"edited_rows": {2: {"age": "thirty"}, 3: {"age": "41"}},
                                     "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="spk_attrs_save").click().run()
    no_exception(at)
    errors = [e.value for e in at.error]
    assert any("Sam in “call-1”: attribute 'age': 'thirty' is not a whole number" in e
               and "The age column holds whole numbers" in e for e in errors), errors
    assert not any("--" in e for e in errors)
    after, _ = documents_edit.speaker_attributes_table(ctx)
    assert [r["age"] for r in after] == ["", "34", "", "", "", ""]


def test_a_bad_value_in_the_document_table_names_the_document(three):
    ctx, ids = three
    documents_edit.set_document_attributes(ctx, {ids[0]: {"year": "2020"}})
    with pytest.raises(QualcodeError) as err:
        documents_edit.set_document_attributes(ctx, {ids[1]: {"year": "twenty23"}, ids[2]: {"year": "2022"}})
    assert err.value.for_app().startswith("“call-1”: attribute 'year': 'twenty23' is not a whole number")
    assert [r["year"] for r in documents_edit.attributes_table(ctx)[0]] == ["2020", "", ""]


def test_merging_a_de_identified_person_across_documents_renames_them_everywhere(project):
    """Walk 43: Grace was "Participant 7" in a focus group and "Participant 10" in her interview
    (written "Grace M." and "Grace Mwangi"); merging 10 into 7 changed the speaker's label, but
    the pseudonym every page and export shows stayed "Participant 10". Undo puts it back."""
    from qualcode.services import analysis, coding

    docs = []
    for name, turns in (("group", [("Dana", "interviewer", "How do families see you?"),
                                   ("Grace M.", "participant", "They trust me now.")]),
                        ("interview", [("Dana", "interviewer", "And at home?"),
                                       ("Grace Mwangi", "participant", "Trust took a year.")])):
        with project.session() as s:
            docs.append(doc_store.add_document(s, make_document(name, turns)))
        ingest.deidentify_document(project, docs[-1], names=["Grace M.", "Grace Mwangi"])

    def shown(doc_id):
        with project.session(readonly=True) as s:
            return {sp.label: sp.pseudonym for sp in doc_store.load_document(s, doc_id).speakers
                    if sp.role.value == "participant"}

    (seven,), (ten,) = shown(docs[0]), shown(docs[1])
    assert seven != ten
    with project.session(readonly=True) as s:
        codable = [e.id for d in docs for e in doc_store.load_document(s, d).excerpts if e.codable]
    for e in codable:
        coding.add_coding(project, e, "trust")
    assert analysis.frequencies(project).set_index("code_id").loc["trust", "participants"] == 2
    documents_edit.merge_speakers_in(project, [ten, seven], seven)
    assert shown(docs[1]) == {seven: seven}  # the pseudonym shown, not only the label
    assert set(analysis.quotes(project, code_id="trust")["speaker"]) == {seven}
    assert analysis.frequencies(project).set_index("code_id").loc["trust", "participants"] == 1
    assert documents_edit.undo_merge(project)["action"] == "merge_speakers_in"
    assert shown(docs[1]) == {ten: ten}
