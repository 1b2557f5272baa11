"""The Import page's result after Import (what was imported and what was left out, and
why) and the Export page's downloads (named for the project and what they hold; tables as
xlsx unless the coder picks csv), with Streamlit's AppTest."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from qualcode import services
from qualcode.services import ingest
from tests.ui_helpers import no_exception, page, run_script, visit

TXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _interview(who: str, said: str) -> bytes:
    return (f"Interviewer: How did the team work this year, {who}?\n\n"
            f"{who}: {said}\n\nInterviewer: Thank you.\n").encode()


def _plain(markdown: str) -> str:
    """A Markdown message as the reader sees it (the page escapes file names and reasons)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _upload(at: AppTest, files: list[tuple[str, bytes, str]]) -> AppTest:
    at.file_uploader(key="imp_files_0").set_value(files)
    no_exception(at.run())
    at.checkbox(key="imp_suggest").uncheck()  # no model in these tests
    return no_exception(at.run())


def _import(at: AppTest) -> AppTest:
    at.button(key="imp_go").click()
    return no_exception(at.run())


def test_import_names_the_files_it_left_out_and_counts_every_upload(project):
    """The user's walk: 5 files, 2 refused in the preview with an error box each. After
    Import the result counts the 5 uploads and names the 2 left out, each with its reason in
    the preview's words; their full messages stay on the page."""
    files = [("ana.txt", _interview("Ana", "We met every week and trusted each other."), TXT),
             ("empty_notes.txt", b"", TXT),
             ("ben.txt", _interview("Ben", "The principals bought in after the exit tickets."), TXT),
             ("minutes_fake.docx", b"these are meeting minutes, not a Word file", DOCX),
             ("cleo.txt", _interview("Cleo", "Coaching cycles changed how we plan lessons."), TXT)]
    at = _upload(page("importing", project), files)
    previewed = [e.value for e in at.error]
    empty = next(e for e in previewed if e.startswith("empty_notes.txt"))
    fake = next(e for e in previewed if e.startswith("minutes_fake.docx"))
    assert "the file is empty" in empty and "not a readable Word .docx file" in fake
    assert at.button(key="imp_go").label == "Import 3 file(s)"

    at = _import(at)
    (summary,) = [_plain(w.value) for w in at.warning]
    assert summary.startswith("3 of 5 files imported; code them on the **Code** page. Not imported: "), summary
    assert ("Not imported: empty_notes.txt (line 1: the file is empty), minutes_fake.docx (not a readable "
            "Word .docx file (it is damaged, or another format renamed .docx)).") in summary, summary
    assert not at.success
    # the preview's messages, in full (with what to do), are still on the page
    assert [e.value for e in at.error] == [empty, fake]
    assert sorted(d["name"] for d in ingest.list_documents(project)) == ["ana", "ben", "cleo"]
    # the next run (any click) shows the page for new uploads, without the old result
    no_exception(at.run())
    assert not at.warning and not at.error


def test_a_kind_qualcode_cannot_read_is_refused_in_plain_words_and_holds_up_nothing(project):
    """Walk 16: an .rtf and a .pages file dropped with a transcript got Streamlit's "Error:
    application/rtf files are not allowed." (no advice; the file stayed listed). The uploader
    takes any file; the page names each one it cannot read, with what to do, and imports the rest."""
    at = page("importing", project)
    no_exception(at.run())
    assert at.file_uploader(key="imp_files_0").allowed_type == []  # no type list of its own: FORMATS decides
    files = [("notes.rtf", b"{\\rtf1\\ansi Interviewer: Why?\\par Ana: Trust.}", "application/rtf"),
             ("ana.txt", _interview("Ana", "We met every week and trusted each other."), TXT),
             ("mentor_log.pages", b"PK\x03\x04 not a zip", "application/x-iwork-pages-sffpages")]
    at = _upload(at, files)
    said = [e.value for e in at.error]
    assert said == [
        "notes.rtf: qualcode can't read .rtf files. Save it as .docx or .txt (in Word: File > Save As) and import "
        "that (transcripts can be .txt, .text, .md, .markdown, .docx, .vtt, .srt, .csv, .tsv, .xlsx or .pdf files).",
        "mentor_log.pages: qualcode can't read .pages files. Export it as .docx (in Pages: File > Export To > Word) "
        "and import that (transcripts can be .txt, .text, .md, .markdown, .docx, .vtt, .srt, .csv, .tsv, .xlsx or "
        ".pdf files)."], said
    assert not any("not allowed" in s or "--" in s for s in said)
    assert at.button(key="imp_go").label == "Import 1 file(s)"

    at = _import(at)
    (summary,) = [_plain(w.value) for w in at.warning]
    assert summary.startswith("1 of 3 files imported; code it on the **Code** page. Not imported: notes.rtf "
                              "(qualcode can't read .rtf files), mentor_log.pages (qualcode can't read .pages "
                              "files)."), summary
    assert [d["name"] for d in ingest.list_documents(project)] == ["ana"]


def test_a_transcript_with_a_few_bad_bytes_is_previewed_and_imported_with_a_warning_at_their_line(project):
    """Walk 16: a .txt, UTF-8 but for a few bad bytes on line 3, was refused as "line 1: this is
    not a text transcript". It is imported, the bad bytes shown as U+FFFD, with the file's
    warnings in the preview and again with the result (as a title line's are)."""
    data = (b"Interviewer: How was the summer trip?\nZainab: It was good, we went to the coast.\n"
            b"Zainab: The caf\xe9 was cheap \xff\xfe and \x81\x8d nice.\nInterviewer: Thanks.\n")
    at = _upload(page("importing", project), [("2025_north_broken_encoding.txt", data, TXT)])
    assert not at.error
    expected = "2025_north_broken_encoding.txt, line 3: some bytes are not valid text and were replaced by \ufffd"
    assert any(_plain(w.value).startswith(expected) and "save the file again as UTF-8" in _plain(w.value)
               for w in at.warning), [w.value for w in at.warning]
    at = _import(at)
    assert [_plain(s.value) for s in at.success] == [
        "1 of 1 file imported; code it on the **Code** page. 1 file imported with a warning (below)."]
    assert [_plain(w.value)[:len(expected)] for w in at.warning] == [expected]
    (doc,) = ingest.list_documents(project)
    assert "The caf\ufffd was cheap" in ingest.show_document(project, doc["id"])["text"]


def test_a_windows_1252_transcript_with_a_stray_byte_order_mark_is_warned_about_at_its_line(project):
    """Walk 30: Windows-1252 text (é, è) with the bytes of a UTF-16 byte-order mark in a sentence
    read as "ÿþ", valid cp1252, and imported without a word. The mark is replaced and named."""
    data = (b"Facilitator: Bonjour, how was it?\n\nZo\xe9: It was tr\xe8s bien, caf\xe9 after.\n\n"
            b"Zo\xe9: The bus \xff\xfe was late again.\n")
    at = _upload(page("importing", project), [("broken_encoding.txt", data, TXT)])
    expected = "broken_encoding.txt, line 5: some bytes are not valid text and were replaced by \ufffd"
    assert any(_plain(w.value).startswith(expected) for w in at.warning), [w.value for w in at.warning]
    at = _import(at)
    (doc,) = ingest.list_documents(project)
    text = ingest.show_document(project, doc["id"])["text"]
    assert "très bien, café after" in text and "The bus \ufffd was late again." in text


def test_import_result_is_in_upload_order_with_refusals_of_the_preview_and_of_the_save(project):
    """A file refused when saved (already imported), a caption file whose times cannot be
    read (not imported unless the coder asks for the text alone) and an empty file: each is
    named, in the order uploaded, and counted."""
    same = _interview("Ana", "We met every week and trusted each other.")
    files = [("first.txt", same, TXT), ("captions.vtt", b"WEBVTT\n\n00:xx --> yy\nhello there\n", "text/vtt"),
             ("again.txt", same, TXT), ("blank.txt", b"  \n\n", TXT)]
    at = _upload(page("importing", project), files)
    assert at.button(key="imp_go").label == "Import 2 file(s)"
    at = _import(at)
    (summary,) = [_plain(w.value) for w in at.warning]
    assert summary.startswith("1 of 4 files imported; code it on the **Code** page. Not imported: captions.vtt "
                              "(line 1: no caption cues "
                              "with a readable time found), again.txt ("), summary
    assert summary.endswith("blank.txt (line 1: the file is empty)."), summary
    assert [e.value.split(" ", 1)[0].rstrip(",:") for e in at.error] == ["captions.vtt", "again.txt", "blank.txt"]
    assert [d["name"] for d in ingest.list_documents(project)] == ["first"]


def test_import_of_every_file_says_so_in_success(project):
    at = _upload(page("importing", project), [("ana.txt", _interview("Ana", "We met every week."), TXT)])
    at = _import(at)
    assert [s.value for s in at.success] == ["1 of 1 file imported; code it on the **Code** page."]
    assert not at.warning and not at.error


def test_the_import_page_lists_what_is_already_in_the_project_newest_first(project):
    """Walk 38: after the app stopped in the middle of an import, the Import page looked as
    before it; which files had come in was found out only by uploading them all again."""
    from tests.ui_helpers import seed

    at = no_exception(page("importing", project))
    assert not [e for e in at.expander if "Already in this project" in e.label]  # an empty project: nothing
    seed(project, name="first-interview")
    seed(project, name="second-interview", turns=[("Ben", "participant", "We met twice.")])
    at = no_exception(page("importing", project))
    (box,) = [e for e in at.expander if "Already in this project" in e.label]
    assert box.label == "Already in this project: 2 documents, the latest first"
    table = at.dataframe[0].value
    assert list(table["Document"]) == ["second-interview", "first-interview"]
    assert list(table.columns) == ["Document", "File", "Imported (UTC)", "Excerpts"]


def test_import_summary_counts_files_not_failed_suggestions():
    from qualcode.ui.pages.importing import result_summary

    results = [{"file": "a.txt", "result": "imported", "document id": 1},
               {"file": "b.txt", "result": "b.txt, line 1: the file is empty. Check the file.",
                "document id": None, "skipped": True},
               {"file": "suggestions for document 1", "result": "no model", "document id": 1,
                "suggestions": True}]
    assert _plain(result_summary(results)) == ("1 of 2 files imported; code it on the **Code** page. Not "
                                               "imported: b.txt (line 1: the file is empty).")
    assert result_summary(results[1:2]).startswith("0 of 1 file imported. Not imported: ")
    assert "Code" not in result_summary(results[1:2])


# --- Export -------------------------------------------------------------------------------


def _small(project):
    from tests.analysis_helpers import build_small_project

    return build_small_project(project)


def _ready(at, name):
    _settings, filename, data = at.session_state["exp_ready"][name]
    return filename, data


def test_export_tables_start_as_xlsx_and_keep_csv_available(project):
    from qualcode.ui.pages.export import exports

    at = no_exception(page("export", project))
    for export in exports():
        box = at.selectbox(key=f"fmt-{export.name}")
        if "xlsx" in export.formats:
            assert box.value == "xlsx" and "csv" in box.options, export.name
        else:
            assert box.value == export.formats[0], export.name  # Word report, YAML codebook, .qdpx


def test_export_downloads_are_named_for_the_project_and_what_they_hold(project):
    _small(project)
    at = no_exception(page("export", project))
    for name in ("export_qdpx", "export_excerpts", "export_memos", "export_report", "export_codebook"):
        at.button(key=f"prep-{name}").click().run()
    no_exception(at)
    names = {n: _ready(at, n)[0] for n in ("export_qdpx", "export_excerpts", "export_memos", "export_report",
                                           "export_codebook")}
    assert names == {"export_qdpx": "proj.qdpx", "export_excerpts": "proj-coded-excerpts.xlsx",
                     "export_memos": "proj-memos.xlsx", "export_report": "proj-report.docx",
                     "export_codebook": "proj-codebook.yaml"}
    filename, data = _ready(at, "export_excerpts")
    table = pd.read_excel(io.BytesIO(data))
    assert len(table) > 0 and "excerpt_id" in table.columns
    # grouped, and one coder's: the name says so
    at.selectbox(key="exp_by").set_value("year").run()
    at.selectbox(key="exp_coder").set_value("bob").run()
    at.button(key="prep-export_frequencies").click().run()
    filename, data = _ready(at, "export_frequencies")
    assert filename == "proj-code-frequencies-by-year-bob.xlsx"
    assert list(pd.read_excel(io.BytesIO(data)).columns)[0] == "year"
    # csv is still there
    at.selectbox(key="fmt-export_frequencies").set_value("csv").run()
    at.button(key="prep-export_frequencies").click().run()
    filename, data = _ready(at, "export_frequencies")
    assert filename == "proj-code-frequencies-by-year-bob.csv" and data.decode("utf-8-sig").startswith("year,")


def test_export_name_is_filename_safe(tmp_path):
    ctx = services.init_project(tmp_path / "Teacher study: 2021/22".replace("/", "-"), coder="alice")
    try:
        at = no_exception(page("export", ctx))
        at.button(key="prep-export_qdpx").click().run()
        assert _ready(no_exception(at), "export_qdpx")[0] == "Teacher-study-2021-22.qdpx"
    finally:
        ctx.close()


def test_export_project_name_from_a_database_without_a_folder(tmp_path):
    from types import SimpleNamespace

    from qualcode.services.project import DEFAULT_NAME
    from qualcode.ui.pages.export import exports, filename_for

    qdpx = next(e for e in exports() if e.name == "export_qdpx")
    # a project made on a database without a name is called DEFAULT_NAME: the database names it
    server = SimpleNamespace(project_dir=None, db=SimpleNamespace(url="postgresql://u:pw@db.example/pilot_study"))
    assert filename_for(server, qdpx, "qdpx", name=DEFAULT_NAME) == "pilot_study.qdpx"
    memory = SimpleNamespace(project_dir=None, db=SimpleNamespace(url="sqlite://"))
    assert filename_for(memory, qdpx, "qdpx", name=DEFAULT_NAME) == "qualcode-project.qdpx"
    # with a name of its own, the name
    assert filename_for(server, qdpx, "qdpx", name="Coaching pilot") == "Coaching-pilot.qdpx"
    # the same read from a real project on a database URL, made without a name
    ctx = services.init_project(f"sqlite:///{tmp_path / 'pilot_study.db'}", coder="alice")
    try:
        assert ctx.project_dir is None and services.project_name(ctx) == DEFAULT_NAME
        assert filename_for(ctx, qdpx, "qdpx") == "pilot_study.qdpx"
    finally:
        ctx.close()


def test_export_downloads_are_named_for_the_name_the_project_was_given(tmp_path):
    """Walk: a project created as "Bridges mentoring evaluation" in the folder myproj downloaded
    myproj-coded-excerpts.xlsx. Its name names the downloads; the settings still end them."""
    from tests.analysis_helpers import build_small_project

    ctx = services.init_project(tmp_path / "myproj", coder="alice", name="Bridges mentoring evaluation")
    try:
        build_small_project(ctx)
        at = no_exception(page("export", ctx))
        for name in ("export_qdpx", "export_excerpts", "export_codebook"):
            at.button(key=f"prep-{name}").click().run()
        names = {n: _ready(no_exception(at), n)[0] for n in ("export_qdpx", "export_excerpts", "export_codebook")}
        assert names == {"export_qdpx": "Bridges-mentoring-evaluation.qdpx",
                         "export_excerpts": "Bridges-mentoring-evaluation-coded-excerpts.xlsx",
                         "export_codebook": "Bridges-mentoring-evaluation-codebook.yaml"}
        at.selectbox(key="exp_by").set_value("year").run()
        at.selectbox(key="exp_include").set_value("pending").run()
        at.selectbox(key="exp_coder").set_value("bob").run()
        at.button(key="prep-export_frequencies").click().run()
        assert _ready(no_exception(at), "export_frequencies")[0] == (
            "Bridges-mentoring-evaluation-code-frequencies-by-year-with-pending-bob.xlsx")
    finally:
        ctx.close()


def _prepare_enabled(at) -> dict[str, bool]:
    from qualcode.ui.pages.export import exports

    return {e.name: not at.button(key=f"prep-{e.name}").disabled for e in exports()}


def test_export_of_an_empty_project_says_nothing_is_coded_and_offers_the_codebook_and_qdpx(project):
    """Walk: on a new project every Prepare made a file (headers, zeros, an empty report) without
    a word, where Themes says plainly that nothing is coded yet. The page says it too, with what
    to do; the exports that are empty without codings (or memos) cannot be prepared, the codebook
    and the REFI-QDA project can."""
    from tests.ui_helpers import seed

    at = no_exception(page("export", project))
    (note,) = [i.value for i in at.info]
    assert note.startswith("Nothing is coded yet") and "**Import** page" in note
    seed(project)  # a document, its suggestions pending, nothing coded
    at = no_exception(page("export", project))
    (note,) = [i.value for i in at.info]
    assert note.startswith("Nothing is coded yet, so the tables and the report would be empty.")
    assert "**Code** page" in note and "*Bring in a colleague's work*" in note
    assert "choose *Codings + pending suggestions* in **Count**" in note
    enabled = _prepare_enabled(at)
    assert enabled == {"export_excerpts": False, "export_frequencies": False, "export_crosstab": False,
                       "export_compare": False, "export_cooccurrence": False, "export_matrix": False,
                       "export_memos": False, "export_report": False, "export_qdpx": True,
                       "export_codebook": True}
    for name in ("export_qdpx", "export_codebook"):
        at.button(key=f"prep-{name}").click().run()
    no_exception(at)
    assert _ready(at, "export_qdpx")[1][:2] == b"PK" and _ready(at, "export_codebook")[1]
    # counting the pending suggestions, the tables and the report have something to hold
    at.selectbox(key="exp_include").set_value("pending").run()
    (note,) = [i.value for i in no_exception(at).info]
    pending = services.project_status(project, verdicts=False)["suggestions"]["pending"]
    assert pending and f"count the {pending} pending suggestions only" in note, note
    enabled = _prepare_enabled(at)
    assert enabled["export_excerpts"] and enabled["export_report"] and not enabled["export_memos"]
    at.button(key="prep-export_excerpts").click().run()
    assert len(pd.read_excel(io.BytesIO(_ready(no_exception(at), "export_excerpts")[1]))) > 0


def test_export_of_a_coded_project_has_no_empty_notice(project):
    _small(project)
    at = no_exception(page("export", project))
    assert not [i.value for i in at.info]
    at.selectbox(key="exp_by").set_value("year").run()  # the crosstab and the comparison want one
    assert all(_prepare_enabled(no_exception(at)).values())


def test_export_format_choice_is_kept_across_reruns_and_pages(project):
    _small(project)
    script = ("import streamlit as st\n"
              "from qualcode.ui.pages import export, themes\n"
              "(export if st.session_state.get('on', 'export') == 'export' else themes).render()\n")
    at = no_exception(run_script(script, project))
    at.selectbox(key="fmt-export_excerpts").set_value("csv").run()
    no_exception(at.run())
    assert at.selectbox(key="fmt-export_excerpts").value == "csv"
    assert at.selectbox(key="fmt-export_matrix").value == "xlsx"
    assert not [s for s in visit(at, "themes").selectbox if s.key == "fmt-export_excerpts"]
    assert visit(at, "export").selectbox(key="fmt-export_excerpts").value == "csv"
    assert at.selectbox(key="fmt-export_matrix").value == "xlsx"


@pytest.mark.parametrize("name", ["export_excerpts", "export_crosstab"])
def test_export_default_xlsx_downloads_open_as_spreadsheets(project, name):
    _small(project)
    at = no_exception(page("export", project))
    at.selectbox(key="exp_by").set_value("year").run()
    at.button(key=f"prep-{name}").click().run()
    filename, data = _ready(no_exception(at), name)
    assert filename.endswith(".xlsx") and data[:2] == b"PK"
    assert len(pd.read_excel(io.BytesIO(data))) > 0


def test_the_import_result_says_again_the_warnings_of_the_files_it_imported(project):
    """Walk 13: a caption file with an unreadable timing line was imported, and the result said
    only "2 of 2 files imported": the preview's warning naming the line had gone with it."""
    vtt = (b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Maria>How did the shifts go?\n\n"
           b"00:00:05.000 --> 00:00:0x.000\n<v Tom>Slowly at first.\n\n"
           b"00:00:09.000 --> 00:00:12.000\n<v Maria>Thanks.\n")
    files = [("ana.txt", _interview("Ana", "We met every week."), TXT), ("debrief.vtt", vtt, "text/vtt")]
    at = _import(_upload(page("importing", project), files))
    (summary,) = [_plain(s.value) for s in at.success]
    assert summary == ("2 of 2 files imported; code them on the **Code** page. 1 file imported with a "
                       "warning (below).")
    warned = [_plain(w.value) for w in at.warning]
    assert len(warned) == 1 and warned[0].startswith("debrief.vtt, line 6: cue timing"), warned
    assert "correct that line in the file and import it again" in warned[0]


@pytest.mark.parametrize("where, key, state, said", [
    ("codebook", "cb_import_0", {},
     "codes.rtf: a codebook file must be a .yaml, .yml, .qdc, .csv or .xlsx file, and this is a .rtf file. Save it "
     "as a spreadsheet (.xlsx or .csv) or as YAML, or export the codebook from NVivo, ATLAS.ti or MAXQDA as a "
     "REFI-QDA codebook (.qdc), and upload it again."),
    ("importing", "imp_table_0", {},
     "Attributes table: codes.rtf: an attributes table must be a .csv, .tsv or .txt file, and this is a .rtf file. "
     "Save it as .csv (in Excel: File > Save As > CSV UTF-8) and upload it again."),
    ("importing", "srv_file_0", {"imp_kind": "Survey spreadsheet"},
     "codes.rtf: a survey spreadsheet must be a .csv, .tsv or .xlsx file, and this is a .rtf file. Save it as .xlsx "
     "or .csv (in Excel or Google Sheets: File > Save As or Download) and upload it again."),
])
def test_every_uploader_takes_any_file_and_refuses_a_wrong_kind_in_plain_words(project, where, key, state, said):
    """Walk 16 left the codebook, attributes-table and survey uploaders with Streamlit's type
    filter, whose refusal ("application/rtf files are not allowed") gives no advice. Each takes
    any file and says, by name, which kinds it reads and what to do; nothing is imported."""
    at = no_exception(page(where, project, **state).run())
    uploader = at.file_uploader(key=key)
    assert uploader.allowed_type == []
    uploader.set_value(("codes.rtf", b"{\\rtf1\\ansi trust\\par}", "application/rtf"))
    at = no_exception(at.run())
    assert [_plain(e.value) for e in at.error] == [said]
    assert not [b for b in at.button if b.key in ("cb-import-go", "srv_go")]  # nothing offered to import
    assert ingest.list_documents(project) == []


def test_the_colleague_uploader_refuses_a_wrong_kind_in_plain_words(project):
    """The Agreement page's 'Bring in a colleague's work': a .docx of their codes is named,
    with what to export instead; no preview, nothing merged."""
    at = no_exception(page("agreement", project).run())
    uploader = at.file_uploader(key="colleague-file-0")
    assert uploader.allowed_type == []
    uploader.set_value(("their_codes.docx", b"PK\x03\x04", DOCX))
    at = no_exception(at.run())
    assert [_plain(e.value) for e in at.error] == [
        "their_codes.docx: a colleague's work must be a .qdpx or .csv file, and this is a .docx file. Export their "
        "project from NVivo, ATLAS.ti, MAXQDA or qualcode as a REFI-QDA project (.qdpx), or save their codings "
        "table as .csv, and upload it again."]
    assert not [b for b in at.button if b.key == "colleague-merge"]


def test_a_project_or_codebook_file_is_sent_to_its_page(project):
    """Walk 22: a .qdpx dropped here was told "qualcode can't read .qdpx files. Save the transcript
    as .txt…". A coded project goes to the Agreement page, a codebook to the Codebook page; the
    transcript beside them is imported as usual."""
    files = [("colleague.qdpx", b"PK\x03\x04 a project", "application/octet-stream"),
             ("ana.txt", _interview("Ana", "We met every week and trusted each other."), TXT),
             ("codes.qdc", b"<CodeBook/>", "application/xml")]
    at = _upload(page("importing", project), files)
    said = [_plain(w.value) for w in at.warning]
    assert any("colleague.qdpx is a coded project (REFI-QDA), not a transcript" in s and "**Agreement** page" in s
               for s in said), said
    assert any("codes.qdc is a codebook, not a transcript" in s and "**Codebook** page" in s for s in said), said
    assert not any("can't read" in e.value for e in at.error)
    assert at.button(key="imp_go").label == "Import 1 file(s)"
    at = _import(at)
    (summary,) = [_plain(w.value) for w in at.warning]
    assert summary == ("1 of 3 files imported; code it on the **Code** page. Not imported: colleague.qdpx (a coded "
                       "project: it goes on the Agreement page), codes.qdc (a codebook: it goes on the Codebook page).")
    assert [d["name"] for d in ingest.list_documents(project)] == ["ana"]
    # only a project and a codebook: each is sent to its page, and no "Import 0 file(s)" (walk 23)
    at = _upload(page("importing", project), [files[0], files[2]])
    assert len([w for w in at.warning if "not a transcript" in w.value]) == 2
    assert not [b for b in at.button if b.key == "imp_go"]


def test_the_merge_preview_says_which_codes_keep_this_projects_name(project, tmp_path):
    """Walk 22: the preview said "New codes 1" and nothing of the colleague's renamed code,
    matched to this project's and merged under this project's name."""
    from qualcode import services
    from qualcode.services import codebook as cbs
    from qualcode.services import export as ex
    from tests.analysis_helpers import build_small_project

    build_small_project(project)
    ex.import_qdpx(tmp_path / "bob", ex.qdpx_bytes(project), coder="bob")
    bob = services.open_project(tmp_path / "bob", coder="bob")
    try:
        cbs.rename_code(bob, "evid", "Proof")
        theirs = ex.qdpx_bytes(bob)
    finally:
        bob.close()
    at = no_exception(page("agreement", project).run())
    at.file_uploader(key="colleague-file-0").set_value(("bob.qdpx", theirs, "application/octet-stream"))
    at = no_exception(at.run())
    said = " ".join(_plain(m.value) for m in at.markdown)
    assert ("The file's code Proof is Evidence (test) here (the same code, another name): this project's name is "
            "kept.") in said, said


def test_the_export_page_says_what_a_consensus_does_to_pooled_counts(project):
    """Walk 46: Themes said that a resolved excerpt counts its agreed codes alone; the Export page,
    whose tables and report count the same, said only "an excerpt counts for a code when any of
    them applied it"."""
    from qualcode.core.text import CONSENSUS_RULE
    from qualcode.services import coding, team
    from qualcode.storage import documents
    from tests.ui_helpers import seed

    doc, _ = seed(project)
    with project.session() as s:
        ex = documents.load_document(s, doc).excerpts
    bob = project.as_coder("bob")
    coding.add_coding(project, ex[1].id, "trust")
    coding.add_coding(bob, ex[1].id, "evidence")
    at = no_exception(page("export", project))
    assert not any(CONSENSUS_RULE in c.value for c in at.caption)  # no consensus yet: not said
    team.resolve_disagreement(bob, ex[1].id, ["trust"])
    at = no_exception(page("export", project))
    assert any(c.value.startswith("Counts pool 2 coders (alice, bob) and the consensus") and CONSENSUS_RULE in c.value
               for c in at.caption), [c.value for c in at.caption]


def test_a_short_files_preview_is_as_tall_as_its_turns(project, monkeypatch):
    """Walk 47: the preview of a two-turn file stood above four empty rows (a fixed height); a
    short file's table is as tall as its rows, a long one's keeps its height and scrolls."""
    import streamlit as st

    heights, shown = [], st.dataframe

    def spy(data=None, *args, **kw):
        if data is not None and "text" in getattr(data, "columns", []):
            heights.append((len(data), kw.get("height", "auto")))
        return shown(data, *args, **kw)

    monkeypatch.setattr(st, "dataframe", spy)
    short = b"Interviewer: How is the program?\nParticipant: It is good but the stipend is late.\n"
    long = b"".join(b"Interviewer: And then?\nParticipant: We walked on, turn %d.\n" % i for i in range(10))
    no_exception(_upload(page("importing", project), [("short.txt", short, TXT), ("long.txt", long, TXT)]))
    assert set(heights) == {(2, "content"), (20, 240)}, heights  # (the upload runs the page twice)
