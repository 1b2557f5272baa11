"""The fourth new-user walk of the Import page (Chromium), replayed with Streamlit's AppTest:

1. a speaker's role set in one file's preview survives Import, even when the list of
   interviewers above was never applied (it used to override the choice, with yet another role);
2. a file already in the project, the same content or an edited copy with the same name,
   is flagged in the preview before import, not counted by the Import button, and an edited
   copy is imported only as the coder chooses (a second document "name (2)", or a replacement);
3. an attributes table without a file column names the uploaded file, not a temporary copy,
   and says which column names are read.
"""

from __future__ import annotations

import re

import pytest

from qualcode.services import coding, ingest
from tests.test_import_export_pages import _import, _upload
from tests.ui_helpers import no_exception, page

TXT = "text/plain"


def _labelled(who: str, said: str) -> bytes:
    """An interview whose interviewer is labelled "Interviewer" (the file says the role)."""
    return (f"Interviewer: How did the team work this year, {who}?\n\n{who}: {said}\n\n"
            f"Interviewer: Thank you. And the principals?\n\n{who}: They came along in the spring.\n").encode()


def _renata(who: str) -> bytes:
    """An interview whose interviewer, Renata, is only proposed (she talks like one)."""
    return (f"Renata: Thanks for joining. How did the team work this year, {who}?\n\n"
            f"{who}: It went well. We met every week and looked at the data together, and it took time.\n\n"
            f"Renata: What changed for the principals?\n\n"
            f"{who}: They came along once they saw the exit tickets and the scores moving in the spring.\n\n"
            f"Renata: And what would you keep?\n\n"
            f"{who}: The coaching cycles, because they changed how we plan lessons with each other.\n").encode()


def streamlit_typography(text: str) -> str:
    """What Streamlit's Markdown does to a text node (its frontend's replacements, 1.5x)."""
    for pat, sub in ((r"(^|\s)<->(\s|$)", "↔"), (r"(^|\s)->(\s|$)", "→"), (r"(^|\s)<-(\s|$)", "←"),
                     (r"(^|\s)--(\s|$)", "—"), (r"(^|\s)>=(\s|$)", "≥"), (r"(^|\s)<=(\s|$)", "≤"),
                     (r"(^|\s)~=(\s|$)", "≈")):
        text = re.sub(pat, lambda m, sub=sub: m.group(1) + sub + m.group(2), text)
    return text


def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown.replace("**", ""))




def _roles(ctx, name: str) -> dict[str, str]:
    (doc,) = [d for d in ingest.list_documents(ctx) if d["name"] == name]
    return {sp["label"]: sp["role"] for sp in ingest.show_document(ctx, doc["id"])["speakers"]}


# --- 1. a per-file choice wins ---------------------------------------------------------------

def test_a_role_set_in_a_files_preview_survives_import_without_apply(project):
    """The walk: three files; in b.txt's preview "Interviewer" is set to participant; the list
    above still holds "Interviewer" (pre-filled); Apply is never pressed; Import. The stored
    role is exactly what b.txt's preview shows (it was "facilitator")."""
    files = [(f"{n}.txt", _labelled(w, "We met every week."), TXT) for n, w in
             (("a", "Ana"), ("b", "Ben"), ("c", "Cleo"))]
    at = _upload(page("importing", project), files)
    assert at.multiselect(key="imp-iv-0").value == ["Interviewer"]
    at.selectbox(key="imp-role-1-Interviewer").set_value("participant")
    no_exception(at.run())
    shown = at.selectbox(key="imp-role-1-Interviewer").value
    assert shown == "participant"
    # the list says "in every file": the page says, before Import, that b.txt's choice stands
    assert [_plain(i.value) for i in at.info if "kept" in i.value] == [
        "The roles you set in a file's preview are kept, whatever the list of interviewers and facilitators "
        "above says: Interviewer in b.txt stays participant."]
    at = _import(at)
    assert _roles(project, "b") == {"Interviewer": shown, "Ben": "participant"}
    assert _roles(project, "a")["Interviewer"] == "interviewer" == _roles(project, "c")["Interviewer"]


def test_import_says_before_import_what_the_unapplied_list_changes_and_keeps_per_file_roles(project):
    """Renata is proposed in every file and pre-filled in the list; Apply is not pressed. The
    page says, above Import, that Import applies the list and to whom, and that the role set
    in b.txt's preview is kept; the stored roles are what it said."""
    files = [(f"{n}.txt", _renata(w), TXT) for n, w in (("a", "Ana"), ("b", "Ben"), ("c", "Cleo"))]
    at = _upload(page("importing", project), files)
    assert at.multiselect(key="imp-iv-0").value == ["Renata"]
    (note,) = [_plain(i.value) for i in at.info if "not applied yet" in i.value]
    assert "Import applies it first: Renata becomes interviewer in a.txt, b.txt, c.txt." in note, note
    at.selectbox(key="imp-role-1-Renata").set_value("unknown")
    no_exception(at.run())
    (note,) = [_plain(i.value) for i in at.info if "not applied yet" in i.value]
    assert "Import applies it first: Renata becomes interviewer in a.txt, c.txt." in note, note
    assert "The roles you set in a file's preview are kept (Renata in b.txt stays unknown)" in note, note
    assert "--" not in note
    at = _import(at)
    assert _roles(project, "a")["Renata"] == "interviewer" == _roles(project, "c")["Renata"]
    assert _roles(project, "b")["Renata"] == "unknown"


def test_apply_to_all_files_keeps_a_per_file_role_and_says_so(project):
    """Apply, then Renata is set back to participant in a.txt's preview, then Apply is pressed
    again: a.txt keeps the coder's choice, and the page says so."""
    files = [(f"{n}.txt", _renata(w), TXT) for n, w in (("a", "Ana"), ("b", "Ben"))]
    at = _upload(page("importing", project), files)
    at.button(key="imp-iv-go-0").click()
    no_exception(at.run())
    assert at.selectbox(key="imp-role-0-Renata").value == "interviewer"
    at.selectbox(key="imp-role-0-Renata").set_value("participant")
    no_exception(at.run())
    at.button(key="imp-iv-go-0").click()
    no_exception(at.run())
    assert at.selectbox(key="imp-role-0-Renata").value == "participant"
    assert at.selectbox(key="imp-role-1-Renata").value == "interviewer"
    assert any("except the roles you set in a file's preview: Renata in a.txt stays participant" in _plain(c.value)
               for c in at.caption)
    assert not [i for i in at.info if "not applied yet" in i.value]  # applied: nothing left to say
    at = _import(at)
    assert _roles(project, "a")["Renata"] == "participant" and _roles(project, "b")["Renata"] == "interviewer"


def test_the_unapplied_list_gives_a_listed_speaker_the_role_the_file_says(project):
    """A speaker labelled "Interviewer" who was set to participant in the preview and then put
    back on the list by Import (not touched by the coder since) is an interviewer again, as the
    file says, not a facilitator."""
    three = ("Interviewer: How did the team work this year?\n\nAna: We met every week.\n\n"
             "Ben: And we looked at the data.\n\nInterviewer: Thank you both.\n").encode()
    at = _upload(page("importing", project), [("group.txt", three, TXT)])
    at.session_state["imp-role-0-Interviewer"] = "participant"  # set by the page, not by the coder
    no_exception(at.run())
    at = _import(at)
    assert _roles(project, "group")["Interviewer"] == "interviewer"


# --- 2. files already in the project -----------------------------------------------------------

MENTOR = _labelled("Jordan", "Mentoring changed how I plan.")
EDITED = _labelled("Jordan", "Mentoring changed how I plan, and how I listen.")


def _with_mentor(project):
    doc_id = ingest.save_parsed(project, ingest.parse_bytes(MENTOR, "mentor_jordan_2023.txt"),
                                attributes={"year": "2023"})
    return doc_id


def test_an_edited_copy_of_an_imported_file_is_flagged_and_not_imported_silently(project):
    old = _with_mentor(project)
    at = _upload(page("importing", project), [("mentor_jordan_2023.txt", EDITED, TXT),
                                             ("ana.txt", _labelled("Ana", "We met."), TXT)])
    flags = [_plain(w.value) for w in at.warning if "already in this project" in w.value]
    assert len(flags) == 1, flags
    assert flags[0].startswith(f"A document named mentor_jordan_2023 is already in this project (document {old}), "
                               "with other content. mentor_jordan_2023.txt is not imported unless you choose: ")
    assert "second document, named mentor_jordan_2023 (2)" in flags[0] and "Replace documents already imported" \
        in flags[0] and "its codings go with it" in flags[0]
    # not a green file, and not counted by the button
    (exp,) = [e for e in at.expander if e.label.startswith("mentor_jordan_2023.txt")]
    assert "not imported" in exp.label
    assert at.button(key="imp_go").label == "Import 1 file(s)"
    at = _import(at)
    (summary,) = [_plain(w.value) for w in at.warning]
    assert summary.startswith("1 of 2 files imported; code it on the Code page. Not imported: "
                              "mentor_jordan_2023.txt (a document named "
                              "mentor_jordan_2023 is already in this project"), summary
    assert sorted(d["name"] for d in ingest.list_documents(project)) == ["ana", "mentor_jordan_2023"]


def test_an_edited_copy_is_imported_as_a_second_document_when_the_coder_says_so(project):
    _with_mentor(project)
    at = _upload(page("importing", project), [("mentor_jordan_2023.txt", EDITED, TXT)])
    assert at.button(key="imp_go").disabled and at.button(key="imp_go").label == "Nothing to import"
    assert at.button(key="imp_go").help.startswith("Every file here is held back")
    at.checkbox(key="imp-second-0-0-mentor_jordan_2023.txt").check()
    no_exception(at.run())
    assert any("is imported as a second document, named mentor_jordan_2023 (2)" in _plain(w.value)
               for w in at.warning)
    assert at.button(key="imp_go").label == "Import 1 file(s)"
    at = _import(at)
    assert [_plain(s.value) for s in at.success] == [
        "1 of 1 file imported; code it on the Code page. mentor_jordan_2023.txt was added as a second document "
        "named mentor_jordan_2023 (2)."]
    assert sorted(d["name"] for d in ingest.list_documents(project)) == ["mentor_jordan_2023",
                                                                         "mentor_jordan_2023 (2)"]


def test_an_edited_copy_replaces_the_document_when_replace_is_ticked(project):
    old = _with_mentor(project)
    excerpt = next(e for e in ingest.show_document(project, old)["excerpts"] if e["codable"])
    coding.code_selection(project, old, excerpt["start"], excerpt["end"], "trust")
    at = page("importing", project)
    at.checkbox(key="imp_replace").check()
    at = _upload(no_exception(at.run()), [("mentor_jordan_2023.txt", EDITED, TXT)])
    assert any(f"Importing replaces it with mentor_jordan_2023.txt, and its codings go with it" in _plain(w.value)
               for w in at.warning)
    assert at.button(key="imp_go").label == "Import 1 file(s)"
    at = _import(at)
    assert any(f"replaced document {old} (its codings went with it)" in _plain(s.value) for s in at.success)
    (doc,) = ingest.list_documents(project)
    assert doc["name"] == "mentor_jordan_2023"
    assert "how I listen" in ingest.show_document(project, doc["id"])["text"]


def test_an_identical_file_already_imported_is_flagged_in_the_preview_and_not_counted(project):
    old = _with_mentor(project)
    at = _upload(page("importing", project), [("mentor_jordan_2023.txt", MENTOR, TXT),
                                             ("ana.txt", _labelled("Ana", "We met."), TXT)])
    (flag,) = [_plain(w.value) for w in at.warning if "already in this project" in w.value]
    assert flag.startswith(f"mentor_jordan_2023.txt is already in this project as document {old} "
                           "(mentor_jordan_2023), with the same content, so it is not imported again."), flag
    assert "tick 'Replace documents already imported' under Options" in flag
    (exp,) = [e for e in at.expander if e.label.startswith("mentor_jordan_2023.txt")]
    assert "already in this project" in exp.label
    assert at.button(key="imp_go").label == "Import 1 file(s)"
    # ticking Replace counts it again, and says what it replaces
    at.checkbox(key="imp_replace").check()
    no_exception(at.run())
    assert at.button(key="imp_go").label == "Import 2 file(s)"
    assert any("Importing replaces that document, and its codings go with it" in _plain(w.value)
               for w in at.warning)


def test_already_in_project_by_content_file_and_name(project):
    old = _with_mentor(project)
    again = ingest.parse_bytes(MENTOR, "mentor_jordan_2023.txt")
    edited = ingest.parse_bytes(EDITED, "mentor_jordan_2023.txt")
    new = ingest.parse_bytes(_labelled("Ana", "We met."), "ana.txt")
    found = ingest.already_in_project(project, {"again": again, "edited": edited, "new": new})
    assert set(found) == {"again", "edited"}
    assert found["again"].same_content == old and found["again"].same_name == ()
    assert found["edited"].same_content is None and found["edited"].same_name == (old,)
    assert found["edited"].second_name == "mentor_jordan_2023 (2)"
    # a second document takes the next free number; replacing by name is one transaction
    ingest.save_parsed(project, edited, second=True)
    third = ingest.parse_bytes(EDITED + b"\nInterviewer: One more thing.\n", "mentor_jordan_2023.txt")
    assert ingest.already_in_project(project, {0: third})[0].second_name == "mentor_jordan_2023 (3)"
    new_id = ingest.save_parsed(project, third, replaces=old)
    names = sorted(d["name"] for d in ingest.list_documents(project))
    assert names == ["mentor_jordan_2023", "mentor_jordan_2023 (2)"]
    assert "One more thing" in ingest.show_document(project, new_id)["text"]


# --- 3. the attributes table's message -----------------------------------------------------------

def test_attributes_table_without_a_file_column_names_the_upload_and_the_columns_read(project):
    at = page("importing", project)
    at = _upload(at, [("ana.txt", _labelled("Ana", "We met."), TXT)])
    at.file_uploader(key="imp_table_0").set_value(("attributes_nofile.csv", b"interviewee,year,site\nana,2021,North\n",
                                                 "text/csv"))
    no_exception(at.run())
    (msg,) = [e.value for e in at.error if e.value.startswith("Attributes table")]
    assert msg.startswith("Attributes table: attributes_nofile.csv, line 1: no file column (the columns are: "
                          "interviewee, year, site)."), msg
    assert "a column named file or document" in msg and "upload the table again" in msg
    assert "/tmp" not in msg and "qualcode-attrs" not in msg and "--" not in msg
    # walk 6: Import went ahead without the table's attributes, unsaid
    assert any("get no attributes from this table" in c.value for c in at.caption)
    # a document column is read
    at.file_uploader(key="imp_table_0").set_value(("attributes.csv", b"document,year\nana,2021\n", "text/csv"))
    no_exception(at.run())
    assert not [e for e in at.error if e.value.startswith("Attributes table")]
    assert not any("get no attributes from this table" in c.value for c in at.caption)


def test_a_table_row_naming_no_uploaded_file_is_named_with_its_line_before_and_after_import(project):
    """Walk 10: "1 row(s) of the table name no uploaded file." named neither the row nor the file,
    and was not said again once the import was done."""
    at = page("importing", project)
    at = _upload(at, [("ana.txt", _labelled("Ana", "We met."), TXT)])
    table = b"file,year\nana.txt,2021\n\n2024_Mountain_FG_missing.txt,2024\n"
    at.file_uploader(key="imp_table_0").set_value(("sites.csv", table, "text/csv"))
    no_exception(at.run())
    expected = ("Attributes table: sites.csv, line 4: '2024_Mountain_FG_missing.txt' matches none of the "
                "transcripts; its attributes are not used. Check the spelling")
    (msg,) = [w.value.replace("\\", "") for w in at.warning if w.value.startswith("Attributes table")]
    assert msg.startswith(expected), msg
    at = _import(at)
    after = ("Attributes table: sites.csv, line 4: '2024_Mountain_FG_missing.txt' matches none of the transcripts; "
             "its attributes are not used. The table is cleared after each import: to use its row, upload that "
             "transcript with the table again.")
    assert after in [w.value.replace("\\", "") for w in at.warning], [w.value for w in at.warning]
    (doc,) = ingest.list_documents(project)
    assert ingest.show_document(project, doc["id"])["attributes"].get("year") in ("2021", 2021)
    # walk 18: the table stayed loaded (in the folded Options) and was read against the next
    # upload, with a warning per row; after an import it is cleared, as the transcripts are
    assert [u.key for u in at.file_uploader] == ["imp_files_1", "imp_table_1"]
    assert at.file_uploader(key="imp_table_1").value is None
    at.file_uploader(key="imp_files_1").set_value([("ben.txt", _labelled("Ben", "We left."), TXT)])
    at = no_exception(at.run())
    assert "ben" in " ".join(e.label for e in at.expander)  # the new file's preview
    # walk 19: the table uploaded again with the next file named the one already imported as
    # matching nothing; a row for a document in the project is not "unmatched"
    at.file_uploader(key="imp_table_1").set_value(("sites.csv", b"file,year\nana.txt,2021\nben.txt,2022\n", "text/csv"))
    at = no_exception(at.run())
    assert not [w for w in at.warning if w.value.startswith("Attributes table")], [w.value for w in at.warning]
    # walk 33: uploaded again with every row matched, the page said nothing: was it read?
    assert [_plain(x.value) for x in at.success if x.value.startswith("Attributes table")] == [
        "Attributes table: sites.csv: the transcript gets attributes from it (year). Each preview below shows "
        "what its transcript gets."]


def test_the_table_says_how_many_transcripts_it_gives_attributes_and_names_those_it_does_not(project):
    """Walk 33: a table read without a problem said nothing at all, so a coder who uploaded it
    again could not tell it had been read, nor which transcripts it had missed."""
    at = page("importing", project)
    at = _upload(at, [("ana.txt", _labelled("Ana", "We met."), TXT), ("bo.txt", _labelled("Bo", "We left."), TXT),
                      ("codebook.yaml", b"codes: []\n", "application/x-yaml")])
    table = b"file,year,site,speaker,grade\nana.txt,2021,North,,\nana.txt,,,Ana,5\n"
    at.file_uploader(key="imp_table_0").set_value(("sites.csv", table, "text/csv"))
    at = no_exception(at.run())
    # the codebook sent to its own page is no transcript: not "1 of 3"; one missed is no success
    assert not [x for x in at.success if x.value.startswith("Attributes table")]
    assert [_plain(x.value) for x in at.info if x.value.startswith("Attributes table")] == [
        "Attributes table: sites.csv: 1 of 2 transcripts gets attributes from it (grade, site, year); bo.txt gets "
        "none. Each preview below shows what its transcript gets."]
    at.file_uploader(key="imp_table_0").set_value(("sites.csv", b"file,year\nana.txt,2021\nbo.txt,2022\n", "text/csv"))
    at = no_exception(at.run())
    assert [_plain(x.value) for x in at.success if x.value.startswith("Attributes table")] == [
        "Attributes table: sites.csv: both transcripts get attributes from it (year). Each preview below shows "
        "what its transcript gets."]
    # a table that gives none of them anything says so by its rows (a warning), not a success
    at.file_uploader(key="imp_table_0").set_value(("sites.csv", b"file,year\ncarla.txt,2021\n", "text/csv"))
    at = no_exception(at.run())
    assert not [x for x in at.success if x.value.startswith("Attributes table")]
    assert [w for w in at.warning if w.value.startswith("Attributes table")]


def test_a_files_problem_quotes_its_words_literally(project):
    """Walk 8: the warning about a damaged timing line showed the file's "->" as an arrow (the
    message went to Markdown as it was); a file's words are escaped, so they show as written."""
    vtt = ("WEBVTT\n\n1\n00:00:02.000 --> 00:00:06.500\n<v Interviewer>Can you describe your role?</v>\n\n"
           "2\n00:02:7x.00 -> 00:01:?? [see](http://x)\n<v Grace>I supervise fourteen workers.</v>\n\n"
           "3\n00:00:17.000 --> 00:00:25.500\n<v Grace>The plan says every two weeks.</v>\n").encode()
    at = _upload(page("importing", project), [("grace.vtt", vtt, "text/vtt")])
    (warning,) = [w.value for w in at.warning if "cue timing" in w.value]
    # walk 26: in inline code, exactly as in the file: no link, no arrow (Streamlit rewrites
    # only text, not code), and no invisible joiner to stop a copy being found in the file
    assert "`00:02:7x.00 -> 00:01:?? [see](http://x)`" in warning and "\u2060" not in warning
    outside = re.sub(r"`[^`]*`", "", warning)
    assert streamlit_typography(_plain(outside)) == _plain(outside) and "[see]" not in outside


@pytest.mark.parametrize("words", ["we went from 3 -> 5 visits", "x <= 5 and y >= 2", "yes -- no", "a <-> b",
                                   "about ~= 10", "go back <- there"])
def test_people_s_words_in_markdown_keep_their_arrows_and_signs(words):
    """Streamlit's Markdown rewrites " -> ", " <= ", " -- " ... into arrows, signs and a dash:
    a transcript's words shown through ``md`` stay as they were written."""
    from qualcode.ui.text import md

    shown = _plain(md(words))
    assert streamlit_typography(shown) == shown and shown.replace("\u2060", "") == words
    assert "\u2060" not in md("00:00:22.600 --> 00:00:30.400")  # left alone where nothing rewrites it


def test_a_file_with_a_problem_opens_its_preview_so_the_problem_is_read(project):
    """Walk 20: a file without speaker labels ("imported as one unknown speaker") sat second in the
    list, its preview closed, and would have been imported unread. A file with a problem opens."""
    notes = b"The bus was late again.\nWe met in the library.\nEveryone brought snacks.\n"
    at = _upload(page("importing", project), [("ana.txt", _labelled("Ana", "We met."), TXT),
                                             ("site_visit_notes.txt", notes, TXT)])
    (second,) = [e for e in at.expander if e.label.startswith("site_visit_notes.txt")]
    assert second.label.startswith("site_visit_notes.txt — 1 speaker, 1 turn, 3 codable excerpts")  # singular
    assert second.proto.expanded and "no speaker labels" in " ".join(w.value for w in second.warning)


def test_a_title_above_the_first_speaker_is_a_note_not_a_warning(project):
    """Walk 20: a .docx title heading gave an otherwise clean file a yellow warning icon (and, with
    problems opening their preview, would open every such file). Said in grey; the file stays green."""
    titled = b"Mentoring focus group, spring 2025\n\n" + _labelled("Ana", "We met.")
    at = _upload(page("importing", project), [("first.txt", _labelled("Ben", "Hello."), TXT),
                                             ("titled.txt", titled, TXT)])
    (exp,) = [e for e in at.expander if e.label.startswith("titled.txt")]
    assert exp.proto.icon == ":material/check_circle:" and not exp.proto.expanded
    assert not exp.warning and any("kept as a header" in c.value for c in exp.caption)


def test_a_renamed_copy_is_said_to_be_the_document_already_there_under_its_name(project):
    """Walk 31: a copy of a transcript uploaded under another file name was said to be "already in
    this project as document 2 (2023_extra_copy)", the copy's own name, where document 2 is
    named after the original file."""
    old = _with_mentor(project)
    found = ingest.already_in_project(project, {0: ingest.parse_bytes(MENTOR, "extra_copy.txt")})
    assert found[0].same_content == old and found[0].same_content_name == "mentor_jordan_2023"
    at = _upload(page("importing", project), [("extra_copy.txt", MENTOR, TXT)])
    (flag,) = [_plain(w.value) for w in at.warning if "already in this project" in w.value]
    assert flag.startswith(f"extra_copy.txt is already in this project as document {old} "
                           "(mentor_jordan_2023), with the same content"), flag
