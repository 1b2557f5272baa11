"""The 24th new-user walk (Chromium), replayed with Streamlit's AppTest:

1. the Import page's attributes table: a column spelt like one of the project's attributes
   (``yeer`` beside ``year``) is named with what it may have meant, not taken silently; a
   ragged table (a line with fewer or more values than the header has columns) is refused,
   naming the file and the lines, instead of giving partial attributes;
2. the app started with ``streamlit run app.py -- --project FOLDER`` on a folder with no
   project yet opens the Project page on that folder, ready to Create (the option was ignored);
3. the Documents page confirms a role saved from the speakers table, where the coder is
   looking, naming who is now what where.
"""

from __future__ import annotations

import sys

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.errors import IngestError
from qualcode.ingest.attributes import load_sidecar
from qualcode.services import documents_edit, ingest
from qualcode.storage import documents as doc_store
from tests.conftest import make_document
from tests.test_import_export_pages import _import, _upload
from tests.test_import_walk4 import _labelled
from tests.ui_helpers import APP_PY, no_exception, page

TXT = "text/plain"


# --- 1. the attributes table ---------------------------------------------------------------------

def _with_year(ctx) -> None:
    """A document in the project with the attributes year and site."""
    with ctx.session() as s:
        did = doc_store.add_document(s, make_document("ana"))
    documents_edit.set_document_attributes(ctx, {did: {"year": "2022", "site": "North"}})


def _table_page(ctx, table: bytes, name: str = "attributes.csv") -> AppTest:
    at = _upload(page("importing", ctx), [("ben.txt", _labelled("Ben", "We met."), TXT)])
    at.file_uploader(key="imp_table_0").set_value((name, table, "text/csv"))
    return no_exception(at.run())


def _said(at: AppTest, kind: str = "warning") -> list[str]:
    return [e.value.replace("\\", "") for e in getattr(at, kind) if e.value.startswith("Attributes table")]


def test_a_column_spelt_like_an_attribute_of_the_project_is_named_with_the_one_meant(project):
    """Walk 24: ``filename,yeer,site`` was taken silently; ben got yeer=2023 and fell under year
    "(not set)" in Themes."""
    _with_year(project)
    at = _table_page(project, b"filename,yeer,site\nben.txt,2023,South\n")
    assert _said(at) == ["Attributes table: attributes.csv: the column 'yeer' is not an attribute of this project; "
                         "did you mean 'year'? Rename the column and upload the table again, or go on to add "
                         "'yeer' as a new attribute."]
    assert not _said(at, "error")
    # going on adds the new attribute, as said
    at = _import(at)
    (ben,) = [d for d in ingest.list_documents(project) if d["name"] == "ben"]
    assert ben["attributes"] == {"yeer": "2023", "site": "South"}


def test_a_new_attribute_with_a_name_of_its_own_or_in_a_new_project_is_not_questioned(project):
    at = _table_page(project, b"filename,yeer,site\nben.txt,2023,South\n")  # nothing to compare with yet
    assert not _said(at) and not _said(at, "error")
    _with_year(project)
    at = _table_page(project, b"file,Year,cohort,site\nben.txt,2023,B,South\n")  # case aside, the same
    assert not _said(at) and not _said(at, "error")


def test_a_ragged_table_is_refused_naming_the_file_and_the_line(project):
    """Walk 24: line 2 with fewer values than the header, line 3 with more, gave partial
    attributes without a word. Nothing from the table is applied; the page says which lines."""
    at = _table_page(project, b"filename,year,site\nben.txt,2021\n")
    assert _said(at, "error") == ["Attributes table: attributes.csv, line 2: 2 values for 3 columns "
                                  "(filename, year, site). Correct the line and upload the table again."]
    assert any("get no attributes from this table" in c.value for c in at.caption)
    table = b"filename,year,site\nben.txt,2021\nana.txt,2022,North,extra\n\n\n"  # blank lines at the end: fine
    at = _table_page(project, table, "sites.csv")
    assert _said(at, "error") == ["Attributes table: sites.csv: 2 lines do not have one value for each of the 3 "
                                  "columns (filename, year, site): line 2 has 2, line 3 has 4. Correct those "
                                  "lines and upload the table again."]
    at = _import(at)
    (ben,) = ingest.list_documents(project)
    assert ben["attributes"] == {}


def test_a_table_whose_rows_end_in_empty_cells_is_read(tmp_path):
    """Empty cells at a row's end (or a header's trailing comma) hold nothing: no error."""
    path = tmp_path / "attributes.csv"
    path.write_text("file,year,site,\nana.txt,2021,,\nben.txt,2022,North\n\n")
    car = load_sidecar(path)
    assert {k: {a: v.value for a, v in d.items()} for k, d in car.documents.items()} == {
        "ana.txt": {"year": "2021"}, "ben.txt": {"year": "2022", "site": "North"}}
    path.write_text("file,year,site\nana.txt,2021,North,x\n")
    with pytest.raises(IngestError) as err:
        load_sidecar(path)
    assert err.value.line == 2 and "4 values for 3 columns (file, year, site)" in str(err.value)


# --- 2. the app started on a folder meant for a new project ------------------------------------

def test_the_app_started_with_project_after_its_script_opens_the_create_form_on_that_folder(tmp_path, monkeypatch):
    """Walk 24: `streamlit run app.py -- --project /tmp/x/study` showed "No project is open" and
    an empty folder box: the option was not read. Now the box holds the folder, the page says
    there is no project there yet, and Create makes one there (the folders above it too)."""
    folder = tmp_path / "x" / "study"
    monkeypatch.setenv("QUALCODE_PROJECT", str(tmp_path / "elsewhere"))  # the option wins, as in the CLI
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "argv", [str(APP_PY), "--project", str(folder)])
    at = no_exception(AppTest.from_file(str(APP_PY), default_timeout=60).run())
    assert at.text_input(key="project_path").value == str(folder)
    told = [i.value for i in at.info if "no qualcode project in" in i.value]
    assert len(told) == 1 and str(folder) in told[0].replace("\\", "") and "Press **Create**" in told[0], \
        [i.value for i in at.info]
    assert not [i for i in at.info if "No project is open" in i.value]
    at.text_input(key="project_new_name").input("Study").run()
    at.button(key="project_create").click().run()
    no_exception(at)
    assert (folder / "project.db").exists()
    assert any("Study" in h.value for h in at.subheader)


def test_the_apps_own_arguments_are_read_as_the_cli_reads_them(tmp_path):
    from qualcode.ui.app import start_options

    assert start_options(["--project", str(tmp_path / "a"), "--db=sqlite:///x.db", "-p", str(tmp_path / "b")]) == {
        "QUALCODE_PROJECT": str(tmp_path / "b"), "QUALCODE_DATABASE_URL": "sqlite:///x.db"}
    assert start_options(["--project"]) == {}  # no folder given: nothing taken


# --- 3. the Documents page confirms a role saved in the speakers table ---------------------------

def test_saving_a_role_in_the_speakers_table_says_who_is_now_what_where_beside_the_button(project):
    """Walk 24: after "Save 1 role change" nothing confirmed it; the button just read "Save 0 role
    changes" (a message went to the page's top, scrolled away). Said under the table, with what
    stays of the codings on those words, and as a toast."""
    from qualcode.services import coding
    from tests.test_documents_walk4 import _after

    with project.session() as s:
        doc_store.add_document(s, make_document("D1", [("Interviewer", "interviewer", "How did it go?"),
                                                       ("Ben", "participant", "It went well.")]))
        d2 = doc_store.add_document(s, make_document("D2"))
        (ben,) = [e for e in doc_store.load_document(s, d2).excerpts if e.turn_order == 2]
    coding.add_coding(project, ben.id, "trust")
    at = no_exception(page("documents", project))
    rows = documents_edit.speakers(project)
    (row,) = [i for i, r in enumerate(rows) if (r["document"], r["label"]) == ("D2", "Ben")]
    at.session_state["docs_roles"] = {"edited_rows": {row: {"Role": "interviewer"}}, "added_rows": [],
                                      "deleted_rows": []}
    at.run()
    assert at.button(key="docs_roles_save").label == "Save 1 role change"
    at.button(key="docs_roles_save").click().run()
    no_exception(at)
    assert [r["role"] for r in documents_edit.speakers(project) if (r["document"], r["label"]) == ("D2", "Ben")] == [
        "interviewer"]
    table = [n for n in _after(at, "Speakers and roles") if n not in _after(at, "Document attributes")]
    said = [(n.type, n.value.replace("\\", "")) for n in table if getattr(n, "type", "") in ("success", "warning")]
    note = " Speakers marked interviewer: their words are not coded (the context of the others' answers)."
    assert said[0] == ("success", "Saved 1 role change: Ben is now interviewer in D2." + note), said
    assert said[1][0] == "warning" and "1 coding on their turns stays and still counts" in said[1][1], said
    assert [t.value.replace("\\", "") for t in at.toast] == ["Saved 1 role change: Ben is now interviewer in D2." + note]
    assert at.button(key="docs_roles_save").label == "Save 0 role changes"
    at.run()  # said once: the next run of the page has moved on
    assert not [n for n in _after(at, "Speakers and roles") if getattr(n, "type", "") == "success"]


def test_a_value_unlike_the_rest_of_its_column_is_named_with_its_line(project):
    """Walk 31: a year typed "twenty23" among 2023s and 2024s passed without a word, read the
    column as text, and would have been a group of its own in every comparison. The preview names
    it with its line; going on imports it as typed. A column of words is never questioned."""
    table = (b"filename,year,site\nben.txt,2023,South\nana.txt,twenty23,North\ncai.txt,2024,North\n"
             b"dev.txt,2024,South\n")
    at = _table_page(project, table)
    assert _odd(at) == ["Attributes table: attributes.csv, line 3: the column 'year' holds whole numbers, but this "
                         "row has 'twenty23', which would make a group of its own in every comparison. Correct it "
                         "and upload the table again, or go on if it is meant."]
    at = _table_page(project, b"filename,year,site\nben.txt,2023,South\nana.txt,2024,North\ncai.txt,n/a,North\n"
                              b"dev.txt,2023,East\n")
    assert [s.split(": the column")[0] for s in _odd(at)] == ["Attributes table: attributes.csv, line 4"]
    at = _table_page(project, b"filename,year,site\nben.txt,2023,South\nana.txt,later,North\n")  # 1 of 2: no pattern
    assert not _odd(at)


def _odd(at: AppTest) -> list[str]:
    return [s for s in _said(at) if " holds " in s]
