"""Walk 16 in Chromium: files qualcode cannot read (.rtf, .pages) dropped on the Import page
with transcripts are refused by name, in plain words, with what to do (Streamlit's own
refusal said "application/rtf files are not allowed." and nothing else), and do not hold up
the others; a .txt with a few bad bytes on line 3 is imported with a warning at that line
(it was refused as "line 1: this is not a text transcript").

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.services import ingest
from tests.browser.conftest import import_without_suggestions, wait_idle
from tests.browser.test_browser_e2e import open_import, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

BROKEN = (b"Interviewer: How was the summer trip?\nZainab: It was good, we went to the coast.\n"
          b"Zainab: The caf\xe9 was cheap \xff\xfe and \x81\x8d nice.\nInterviewer: Thanks.\n")


def test_unreadable_kinds_are_named_with_advice_and_bad_bytes_are_a_warning(tmp_path, start_app, page):
    project = tmp_path / "study"
    services.init_project(project, coder="alice").close()
    files = {"notes_from_meeting.rtf": b"{\\rtf1\\ansi Interviewer: Why?\\par Ana: Trust.}",
             "2025_north_broken_encoding.txt": BROKEN,
             "mentor_log.pages": b"PK\x03\x04 pages",
             "ana.txt": b"Interviewer: How did the team work?\n\nAna: We met every week.\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    app = start_app(project, coder="alice")
    open_import(page, app.url, [tmp_path / name for name in files])
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("notes_from_meeting.rtf: qualcode can't read .rtf files. Save it as .docx or .txt "
                     "(in Word: File > Save As) and import that").wait_for()
    wait_idle(page)
    main.get_by_text("mentor_log.pages: qualcode can't read .pages files. Export it as .docx").wait_for()
    # in the file's preview (folded): the warning at line 3, and no refusal
    assert main.get_by_text("2025_north_broken_encoding.txt, line 3: some bytes are not valid text and were "
                            "replaced by \ufffd").count() == 1
    body = main.inner_text()
    assert "not allowed" not in body and "not a text transcript" not in body, body
    assert main.get_by_text("Import 2 file(s)").count() == 1
    shot(page, "import-kinds-preview")
    said = import_without_suggestions(page, "2 of 4 files imported")
    assert ("Not imported: notes_from_meeting.rtf (qualcode can't read .rtf files), mentor_log.pages "
            "(qualcode can't read .pages files).") in said, said
    # the warning said again with the result, where it is seen
    main.get_by_text("2025_north_broken_encoding.txt, line 3: some bytes are not valid text").wait_for()
    shot(page, "import-kinds-result")
    ctx = services.open_project(project, coder="alice")
    try:
        assert sorted(d["name"] for d in ingest.list_documents(ctx)) == ["2025_north_broken_encoding", "ana"]
    finally:
        ctx.close()
