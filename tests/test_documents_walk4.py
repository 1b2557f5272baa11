"""Documents page, fourth new-user walk: a document imported by mistake can be renamed or
deleted (the delete says what goes with it, asks again, and can be undone); the speaker-merge
message counts only the moved turns' excerpts; saving attributes says what was saved, beside
the button that saved it."""

from __future__ import annotations

import pytest

from qualcode.core import commands as cmd
from qualcode.errors import QualcodeError
from qualcode.services import analysis, coding, documents_edit, ingest, team
from qualcode.services import commands as executor
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from tests.conftest import make_document
from tests.pg_helpers import db_url, pg_server  # noqa: F401
from tests.test_commands import snapshot
from tests.ui_helpers import no_exception, page, seed

TURNS = [("Interviewer", "interviewer", "How did the team work together this year?"),
         ("Ana", "participant", "We trusted each other after the second convening."),
         ("Ben", "participant", "The principals bought in when they saw the exit tickets."),
         ("Ana", "participant", "Our coach checked in every week on the cycle.")]


@pytest.fixture
def twice(project):
    """An interview and, imported by mistake, a second copy of it (another file name, the same
    words but one): both coded by alice and bob, with memos and pending suggestions."""
    a, _ = seed(project, name="interview-1", turns=TURNS)
    b, _ = seed(project, name="interview-1 (copy)", turns=[*TURNS[:3], (*TURNS[3][:2], TURNS[3][2] + " Mostly.")])
    bob = project.as_coder("bob")
    for did in (a, b):
        ex = [e["id"] for e in ingest.show_document(project, did)["excerpts"]]
        coding.add_coding(project, ex[1], "trust")
        coding.add_coding(project, ex[2], "buy_in")
        coding.add_coding(bob, ex[1], "trust")
        coding.add_memo(project, "Trust after the convening.", excerpt_id=ex[1])
        coding.add_memo(bob, "A copy?", document_id=did)
    return project, {"original": a, "copy": b}


def _trust(ctx) -> int:
    f = analysis.frequencies(ctx)
    return int(f.loc[f["code_id"] == "trust", "documents"].iloc[0]) if (f["code_id"] == "trust").any() else 0


def test_footprint_counts_what_goes_with_a_document(twice):
    ctx, ids = twice
    f = documents_edit.document_footprint(ctx, ids["copy"])
    assert (f["name"], f["turns"], f["excerpts"], f["codings"], f["coders"], f["memos"]) == (
        "interview-1 (copy)", 4, 4, 3, ["alice", "bob"], 2)
    with ctx.session(readonly=True) as s:
        from qualcode.storage import documents as doc_store

        codable = sum(e.codable for e in doc_store.load_document(s, ids["copy"]).excerpts)
    assert f["codable"] == codable and 0 < codable < f["excerpts"]  # the interviewer's lines are not coded
    assert f["suggestions"] > 0


def test_rename_refuses_another_documents_name_and_undo_puts_the_old_name_back(twice):
    ctx, ids = twice
    with pytest.raises(QualcodeError, match="already called"):
        documents_edit.rename_document(ctx, ids["copy"], "  INTERVIEW-1 ")  # case and spacing ignored
    with pytest.raises(QualcodeError, match="needs a name"):
        documents_edit.rename_document(ctx, ids["copy"], "   ")
    r = documents_edit.rename_document(ctx, ids["copy"], "interview-1, second file")
    assert r == {"document_id": ids["copy"], "before": "interview-1 (copy)", "name": "interview-1, second file"}
    assert [d["name"] for d in documents_edit.documents(ctx)] == ["interview-1", "interview-1, second file"]
    assert team.audit_log(ctx, action="document_rename")[0]["coder"] == "alice"
    assert executor.undo(ctx, 1) == [{"action": "document_rename", "entity": "document",
                                      "entity_id": str(ids["copy"])}]
    assert [d["name"] for d in documents_edit.documents(ctx)] == ["interview-1", "interview-1 (copy)"]
    # the page's undo reaches renames and deletes only
    documents_edit.rename_document(ctx, ids["copy"], "second file")
    coding.add_memo(ctx, "later work stays")
    assert documents_edit.undo_document_change(ctx)["action"] == "document_rename"
    assert [d["name"] for d in documents_edit.documents(ctx)] == ["interview-1", "interview-1 (copy)"]
    assert documents_edit.undo_document_change(ctx) is None


def test_delete_removes_everything_from_the_counts_and_undo_brings_it_all_back(twice):
    ctx, ids = twice
    start = snapshot(ctx)
    assert _trust(ctx) == 2
    gone = documents_edit.delete_document(ctx, ids["copy"])
    assert (gone["excerpts"], gone["codings"], gone["coders"], gone["memos"]) == (4, 3, ["alice", "bob"], 2)
    assert [d["name"] for d in documents_edit.documents(ctx)] == ["interview-1"]
    assert _trust(ctx) == 1  # Themes' frequencies no longer count the copy
    assert set(analysis.frequencies(ctx)["documents"]) <= {0, 1}
    with ctx.session(readonly=True) as s:
        assert not coding_store.list_suggestions(s, document_id=ids["copy"])
        assert all(c.excerpt_id in {e.id for e in doc_store.load_document(s, ids["original"]).excerpts}
                   for c in coding_store.list_codings(s))
    with ctx.session(readonly=True) as s:
        assert len(coding_store.list_memos(s)) == 2  # the original's; the copy's went with it
    with pytest.raises(QualcodeError):
        documents_edit.document_footprint(ctx, ids["copy"])
    done = documents_edit.undo_document_change(ctx)
    assert done == {"action": "document_delete", "entity": "document", "entity_id": str(ids["copy"])}
    assert snapshot(ctx) == start  # every row back, with its id
    assert _trust(ctx) == 2


def test_undo_of_a_delete_is_refused_when_the_transcript_was_imported_again(twice):
    ctx, ids = twice
    with ctx.session(readonly=True) as s:
        again = doc_store.load_document(s, ids["copy"])
    documents_edit.delete_document(ctx, ids["copy"])
    with ctx.session() as s:
        again.id = None
        doc_store.add_document(s, again)
    before = snapshot(ctx)
    with pytest.raises(QualcodeError, match="imported again"):
        documents_edit.undo_document_change(ctx)
    assert snapshot(ctx) == before  # nothing half-restored


def test_delete_and_undo_restore_every_row_on_both_backends(db_url):  # noqa: F811
    """Undo inserts the document's rows again under their old ids (PostgreSQL included), and
    a new document after that gets a fresh id."""
    from qualcode import services

    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        a, _ = seed(ctx, name="one", turns=TURNS)
        ex = [e["id"] for e in ingest.show_document(ctx, a)["excerpts"]]
        cid = coding.add_coding(ctx, ex[1], "trust")
        coding.add_memo(ctx, "on the coding", coding_id=cid)
        coding.add_memo(ctx, "on the document", document_id=a)
        ingest.set_speaker_attribute(ctx, a, "Ana", "district", "North")
        documents_edit.set_document_attributes(ctx, {a: {"year": "2024"}})
        start = snapshot(ctx)
        documents_edit.delete_document(ctx, a)
        assert documents_edit.documents(ctx) == []
        documents_edit.undo_document_change(ctx)
        assert snapshot(ctx) == start
        b, _ = seed(ctx, name="two", turns=TURNS[:2])
        assert b != a and [d["name"] for d in documents_edit.documents(ctx)] == ["one", "two"]
    finally:
        ctx.close()


def test_the_new_commands_round_trip_their_payload_and_have_handlers():
    for c in (cmd.RenameDocument(document=3, name="x"), cmd.DeleteDocumentUndoable(document=3)):
        assert cmd.from_payload(c.action, c.payload()) == c
        h = executor.handler_for(type(c))
        assert hasattr(h, "apply") and hasattr(h, "revert") and type(c).undoable


# --- the page ---------------------------------------------------------------------------------

def _texts(at, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def test_page_renames_a_document_and_refuses_a_clash(twice):
    ctx, ids = twice
    at = no_exception(page("documents", ctx))
    at.selectbox(key="docs_manage_doc").set_value(ids["copy"]).run()
    assert any("3 codings by 2 coders" in c and "2 memos" in c for c in _texts(at, "caption"))
    at.text_input(key="docs_rename_name").input("interview-1")
    at.button(key="docs_rename_go").click().run()
    no_exception(at)
    assert any("already called" in e for e in _texts(at, "error"))
    assert [d["name"] for d in documents_edit.documents(ctx)] == ["interview-1", "interview-1 (copy)"]
    at.text_input(key="docs_rename_name").input("interview-1 second file")
    at.button(key="docs_rename_go").click().run()
    no_exception(at)
    assert any("is now called" in s for s in _texts(at, "success"))
    assert [d["name"] for d in documents_edit.documents(ctx)] == ["interview-1", "interview-1 second file"]
    at.button(key="docs_manage_undo").click().run()
    no_exception(at)
    assert [d["name"] for d in documents_edit.documents(ctx)] == ["interview-1", "interview-1 (copy)"]
    assert any("old name again" in i for i in _texts(at, "info"))


def test_page_deletes_only_after_a_confirmation_that_says_what_goes(twice):
    ctx, ids = twice
    at = no_exception(page("documents", ctx))
    at.selectbox(key="docs_manage_doc").set_value(ids["copy"]).run()
    at.button(key="docs_delete_ask_btn").click().run()
    no_exception(at)
    assert len(documents_edit.documents(ctx)) == 2  # nothing deleted on the first click
    warning = next(w for w in _texts(at, "warning") if "Delete" in w)
    assert "4 excerpts \\(3 codable\\), 3 codings by 2 coders and 2 memos" in warning and "undo" in warning
    at.button(key="docs_delete_cancel").click().run()
    assert len(documents_edit.documents(ctx)) == 2
    assert not any("Delete" in w for w in _texts(at, "warning"))
    at.button(key="docs_delete_ask_btn").click().run()
    at.button(key="docs_delete_go").click().run()
    no_exception(at)
    assert [d["name"] for d in documents_edit.documents(ctx)] == ["interview-1"]
    assert any("Deleted" in s and "3 codings by 2 coders" in s for s in _texts(at, "success"))
    assert [b for b in at.selectbox if b.label == "Document"][0].value is None  # nothing picked after a delete
    at.button(key="docs_manage_undo").click().run()
    no_exception(at)
    assert len(documents_edit.documents(ctx)) == 2 and _trust(ctx) == 2


# --- the merge message counts the moved turns' excerpts (finding 2) ---------------------------

@pytest.fixture
def dev(project):
    """Dev has 8 turns, "Dev S." (the same person) 2, in one interview."""
    turns = [("Interviewer", "interviewer", "Tell me about the cycle.")]
    for i in range(8):
        turns.append(("Dev", "participant", f"Dev's point number {i} about the cycle."))
    turns += [("Dev S.", "participant", "Sorry, I dropped off. The cycle was short."),
              ("Dev S.", "participant", "And the coach helped.")]
    did, _ = seed(project, name="interview-dev", turns=turns)
    return project, did


def test_merge_counts_the_moved_turns_excerpts_only(dev):
    ctx, _ = dev
    r = documents_edit.merge_speakers_moved(ctx, ["Dev", "Dev S."], "Dev")
    assert (r["turns"], r["moved_excerpts"], r["moved_codable_before"], r["moved_codable"]) == (2, 2, 2, 2)
    assert (r["codable_before"], r["codable"]) == (10, 10)  # the preview's count: both speakers


def test_page_merge_message_counts_the_moved_turns_excerpts_only(dev):
    ctx, did = dev
    at = no_exception(page("documents", ctx))
    at.multiselect(key="docs_merge_pick").set_value(["Dev", "Dev S."]).run()
    at.button(key="docs_merge_go").click().run()
    no_exception(at)
    msg = next(s for s in _texts(at, "success") if "Merged" in s)
    assert "2 turns moved to Dev" in msg and "their 2 excerpts are offered for coding" in msg, msg
    assert "10" not in msg


# --- saving attributes says what was saved, beside the button (finding 3) ---------------------

@pytest.fixture
def three(project):
    ids = []
    with project.session() as s:
        for i in range(3):
            ids.append(doc_store.add_document(s, make_document(f"call-{i}", [
                ("Interviewer", "interviewer", "How did it go?"), ("Sam", "participant", f"Well in year {i}.")])))
    return project, ids


def _after(at, heading: str) -> list:
    """The page's elements after the subheader ``heading``, in order."""
    out, seen, flat = [], False, []

    def walk(n):
        flat.append(n)
        for c in getattr(n, "children", {}).values():
            walk(c)
    walk(at.main)
    for n in flat:
        if getattr(n, "type", "") == "subheader" and n.value == heading:
            seen = True
        elif seen:
            out.append(n)
    return out


def test_set_one_value_says_what_was_saved_beside_the_button(three):
    ctx, ids = three
    at = no_exception(page("documents", ctx))
    at.multiselect(key="docs_bulk_docs").set_value(["call-0", "call-1", "call-2"])
    at.text_input(key="docs_bulk_key").input("year")
    at.text_input(key="docs_bulk_value").input("2024")
    at.button(key="docs_bulk_set").click().run()
    no_exception(at)
    near = [n.value.replace("\\", "") for n in _after(at, "Document attributes") if getattr(n, "type", "") == "success"]
    assert any("year = 2024 set on 3 documents" in v for v in near), near
    at.run()  # shown once
    assert not any("year = 2024" in s for s in _texts(at, "success"))
    # a bad value is said beside the button too, and nothing is saved
    documents_edit.set_document_attributes(ctx, {ids[0]: {"size": "12"}})
    at.run()
    at.multiselect(key="docs_bulk_docs").set_value(["call-1"])
    at.text_input(key="docs_bulk_key").input("size")
    at.text_input(key="docs_bulk_value").input("big")
    at.button(key="docs_bulk_set").click().run()
    no_exception(at)
    assert any(getattr(n, "type", "") == "error" for n in _after(at, "Document attributes"))


def test_saving_the_attribute_table_says_what_was_saved_beside_the_button(three):
    ctx, ids = three
    at = no_exception(page("documents", ctx))
    at.text_input(key="docs_new_attr").input("year")
    at.button(key="docs_add_column").click().run()
    # the editor's rows are by name (call-0, call-1, call-2); AppTest seeds an edit like a coder's
    at.session_state["docs_attrs"] = {"edited_rows": {1: {"year": "2021"}, 2: {"year": "2021"}},
                                      "added_rows": [], "deleted_rows": []}
    at.run()
    no_exception(at)
    assert at.button(key="docs_attrs_save").label == "Save 2 attribute values"
    at.button(key="docs_attrs_save").click().run()
    no_exception(at)
    rows, _ = documents_edit.attributes_table(ctx)
    assert [r["year"] for r in rows] == ["", "2021", "2021"]
    near = [n.value.replace("\\", "") for n in _after(at, "Document attributes") if getattr(n, "type", "") == "success"]
    assert any("Saved 2 attribute values: year = 2021 set on 2 documents" in v for v in near), near


def test_a_role_change_says_that_codings_on_those_words_stay_and_count(project):
    """Walk 5: setting a speaker to interviewer left a coding on their turn counting in Themes,
    and the message did not say so. Nothing is thrown away unasked; the page says what stays."""
    doc_id, _ = seed(project, turns=[("Interviewer", "participant", "How are the home visits going?"),
                                     ("Maya", "participant", "The visits help families a lot.")])
    with project.session(readonly=True) as s:
        ex = doc_store.load_document(s, doc_id).excerpts
    coding.add_coding(project, ex[0].id, "trust")
    at = no_exception(page("documents", project))
    at.selectbox(key="docs_everywhere_speaker").set_value("Interviewer").run()
    at.selectbox(key="docs_everywhere_role").set_value("interviewer").run()
    at.button(key="docs_everywhere_set").click().run()
    no_exception(at)
    said = [w.value for w in at.warning]
    assert any("1 coding on their turns stays and still counts" in w for w in said), said
    assert int(analysis.frequencies(project).set_index("code_id").loc["trust", "excerpts"]) == 1  # kept
    # back to participant: no warning (their words are coded again)
    r = documents_edit.set_role_everywhere(project, "Interviewer", "participant")
    assert r["codings_kept"] == 0
    assert documents_edit.codings_on_uncoded(project, [(doc_id, "Maya", "participant")]) == 0
