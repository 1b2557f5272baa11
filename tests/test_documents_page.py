"""Roles and attributes after import: one speaker's role in every document at once, a
table editor for many documents' attributes; all through services, audited."""

from __future__ import annotations

import pytest

from qualcode.errors import QualcodeError
from qualcode.services import documents_edit, ingest, team
from qualcode.storage import documents as doc_store
from tests.conftest import make_document
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
    at.selectbox(key="docs_everywhere_speaker").set_value("Jane Doe")
    at.selectbox(key="docs_everywhere_role").set_value("interviewer")
    at.button(key="docs_everywhere_set").click().run()
    no_exception(at)
    assert all(_codable(ctx, d) == [False, True] for d in ids)
    assert any("interviewer in 3 documents" in s.value for s in at.success)


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
