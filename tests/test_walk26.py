"""The 26th new-user walk (Chromium), the Import page, replayed with Streamlit's AppTest:

1. the attributes table's uploader is in sight under the transcripts' uploader, with a line
   saying what the table is (folded in Options, a new coder saw only each file's own box);
2. a table row whose file name is misspelt asks whether the transcript spelt closest was meant;
3. after the import, that row's message says what the transcript it meant was stored with
   (it said "its attributes are not used ... upload that transcript with the table again" of a
   transcript imported with those attributes typed in its own box);
4. a cue timing line that cannot be read is quoted exactly as in the file, in inline code:
   no invisible word joiner between '-' and '>' (a copy of it was not found in the file).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.ingest.attributes import Sidecar, UnmatchedRow, close_file, unmatched_message
from qualcode.services import ingest
from qualcode.ui.text import md_quoting
from tests.test_import_export_pages import _import, _upload
from tests.ui_helpers import no_exception, page

TXT = "text/plain"
HILL = "hillcrest_chw_focusgroup_2025.txt"
DHO = "riverside_dho_2025.txt"
TABLE = (b"document,site,year,role\nhilcrest_chw_focusgroup_2025.txt,Hillcrest,2025,chw\n"
         b"riverside_dho_2025.txt,Riverside,2025,district officer\n")
BOX = "Attributes (key=value, comma separated)"


def _talk(who: str) -> bytes:
    return (f"Interviewer: How are the supplies, {who}?\n\n{who}: The bags are good but medicines come late.\n\n"
            f"Interviewer: Thank you.\n\n{who}: We had no zinc for two months.\n").encode()


def _files() -> list[tuple[str, bytes, str]]:
    return [(HILL, _talk("Samuel"), TXT), (DHO, _talk("Grace"), TXT)]


def _said(at: AppTest, kind: str = "warning") -> list[str]:
    return [e.value.replace("\\", "") for e in getattr(at, kind) if e.value.startswith("Attributes table")]


def _with_table(ctx) -> AppTest:
    at = _upload(page("importing", ctx), _files())
    at.file_uploader(key="imp_table_0").set_value(("attributes.csv", TABLE, "text/csv"))
    return no_exception(at.run())


def _attrs(ctx, name: str) -> dict[str, str]:
    (doc,) = [d for d in ingest.list_documents(ctx) if d["name"] == name]
    return {k: str(v) for k, v in ingest.show_document(ctx, doc["id"])["attributes"].items()}


# --- 1. the table's uploader in sight ---------------------------------------------------------------

def test_the_attributes_table_uploader_is_in_sight_under_the_transcripts_not_in_options(project):
    at = no_exception(page("importing", project).run())
    (options,) = [e for e in at.expander if e.label == "Options"]
    assert "imp_table_0" not in [u.key for u in options.get("file_uploader")]
    assert [r.key for r in options.get("radio")] == ["imp_unit"]  # (the look-up finds what Options holds)
    assert [u.key for u in at.main.get("file_uploader")] == ["imp_files_0", "imp_table_0"]
    # a line says what the table is: one row per transcript, a column naming its file
    (said,) = [c.value for c in at.caption if "one row per transcript" in c.value]
    assert "a column naming its file" in said
    assert at.file_uploader(key="imp_table_0").label == "Attributes table (optional)"


# --- 2. a misspelt file name: did you mean ... ------------------------------------------------------

def test_close_file_names_the_transcript_spelt_closest_or_none():
    files = ["riverside_supervisor_2024.docx", "hillcrest_chw_focusgroup_2025.vtt", "riverside_dho_2025.txt"]
    assert close_file("hilcrest_chw_focusgroup_2025.vtt", files) == "hillcrest_chw_focusgroup_2025.vtt"
    assert close_file("Hilcrest_CHW_focusgroup_2025", files) == "hillcrest_chw_focusgroup_2025.vtt"  # no extension
    assert close_file("2024_Mountain_FG_missing.txt", files) is None
    assert close_file("ana.txt", ["ben.txt"]) is None  # short names alike in their extension only


def test_a_misspelt_row_asks_whether_the_transcript_spelt_closest_was_meant():
    car = Sidecar("attributes.csv", documents={"hilcrest_chw_focusgroup_2025.vtt": {}},
                  rows={"hilcrest_chw_focusgroup_2025.vtt": ("hilcrest_chw_focusgroup_2025.vtt", 3)})
    said = car.unused_message("attributes.csv", candidates=["hillcrest_chw_focusgroup_2025.vtt"])
    assert said == ("attributes.csv, line 3: 'hilcrest_chw_focusgroup_2025.vtt' matches none of the transcripts; "
                    "its attributes are not used. Did you mean 'hillcrest_chw_focusgroup_2025.vtt'? If so, correct "
                    "the name in the table and upload the table again; if not, add that transcript too.")
    assert "--" not in said  # plain words, no command-line option
    # several rows: each with the name it may mean
    two = [UnmatchedRow("hilcrest.vtt", 3, "hillcrest.vtt"), UnmatchedRow("zed.txt", 5)]
    assert unmatched_message("t.csv", two) == (
        "t.csv: 2 rows match none of the transcripts, so their attributes are not used: line 3 ('hilcrest.vtt', "
        "did you mean 'hillcrest.vtt'?), line 5 ('zed.txt'). Check the spelling of the file names, or add those "
        "transcripts too.")


def test_the_import_page_asks_whether_the_transcript_spelt_closest_was_meant(project):
    at = _with_table(project)
    assert _said(at) == ["Attributes table: attributes.csv, line 2: 'hilcrest_chw_focusgroup_2025.txt' matches none "
                         "of the transcripts; its attributes are not used. Did you mean "
                         "'hillcrest_chw_focusgroup_2025.txt'? If so, correct the name in the table and upload the "
                         "table again; if not, add that transcript too."]


# --- 3. after the import: what the transcript meant got --------------------------------------------

def test_after_import_the_row_says_what_the_transcript_it_meant_was_stored_with(project):
    at = _with_table(project)
    boxes = [t for t in at.text_input if t.label == BOX]
    assert boxes[1].value == "site=Riverside, year=2025, role=district officer"  # from the table
    assert boxes[0].value == ""  # the misspelt row gave hillcrest nothing: the coder types it
    boxes[0].set_value("site=Hillcrest, year=2025, role=chw")
    at = _import(no_exception(at.run()))
    assert _attrs(project, "hillcrest_chw_focusgroup_2025") == {"site": "Hillcrest", "year": "2025", "role": "chw"}
    assert not _said(at), _said(at)  # nothing of the table was lost: no warning
    assert _said(at, "info") == [
        "Attributes table: attributes.csv, line 2: 'hilcrest_chw_focusgroup_2025.txt' matched none of the "
        "transcripts, so its attributes were not used; hillcrest_chw_focusgroup_2025.txt, the transcript it "
        "probably meant, was imported with the attributes typed in its box (site=Hillcrest, year=2025, role=chw), "
        "which hold the row's values too."]
    assert not [e for e in [*at.warning, *at.info] if "upload that transcript with the table again" in e.value]


def test_after_import_a_row_whose_transcript_came_in_bare_says_what_was_not_stored(project):
    at = _import(_with_table(project))
    assert _attrs(project, "hillcrest_chw_focusgroup_2025") == {}
    assert _said(at) == [
        "Attributes table: attributes.csv, line 2: 'hilcrest_chw_focusgroup_2025.txt' matched none of the "
        "transcripts, so its attributes were not used; hillcrest_chw_focusgroup_2025.txt, the transcript it "
        "probably meant, was imported without attributes. The row's site=Hillcrest, year=2025, role=chw were not "
        "stored: to add them, use the Documents page."]


def test_after_import_typed_values_other_than_the_rows_are_named():
    row = UnmatchedRow("hilcrest.vtt", 3, "hillcrest.vtt", {"site": "Hillcrest", "year": "2025"})
    said = unmatched_message("t.csv", [row], imported={"hillcrest.vtt": {"site": "Hillcrest"}})
    assert said.endswith("was imported with the attributes typed in its box (site=Hillcrest). The row's year=2025 "
                         "was not stored: to add it, use the Documents page.")
    # the transcript meant was not imported: the row is still to be used with it
    assert unmatched_message("t.csv", [row], imported={}).endswith(
        "The table is cleared after each import: to use its row, upload that transcript with the table again.")


# --- 4. a cue timing line quoted exactly as in the file ----------------------------------------------

def test_a_files_quoted_words_are_inline_code_exactly_as_written():
    shown = md_quoting("h.vtt, line 44: cue timing '00:01:24.000 -> 00:01:34000' cannot be read; the file's cue")
    assert shown == "h\\.vtt, line 44\\: cue timing `00:01:24.000 -> 00:01:34000` cannot be read; the file\\'s cue"
    assert "\u2060" not in shown
    assert md_quoting("""label "it's -> here" ok""") == "label `it's -> here` ok"  # repr's double quotes
    assert md_quoting("a 'x`y' b") == "a ``x`y`` b"  # a backtick inside: a longer fence


def test_the_bad_cue_warning_quotes_the_timing_line_as_in_the_file_before_and_after_import(project):
    vtt = (b"WEBVTT\n\n1\n00:01:18.000 --> 00:01:23.000\nFacilitator: Tell me about the supplies you receive.\n\n"
           b"2\n00:01:24.000 -> 00:01:34000\nSamuel: The bags are good but medicines come late.\n\n"
           b"3\n00:01:35.000 --> 00:01:42.000\nSamuel: We had no zinc for two months.\n")
    at = _upload(page("importing", project), [("hillcrest.vtt", vtt, "text/vtt")])
    (before,) = [w.value for w in at.warning if "cue timing" in w.value]
    assert "cue timing `00:01:24.000 -> 00:01:34000` cannot be read" in before
    assert "\u2060" not in before
    at = _import(at)
    (after,) = [w.value for w in at.warning if "cue timing" in w.value]
    assert "cue timing `00:01:24.000 -> 00:01:34000` cannot be read" in after and "\u2060" not in after
