"""Files from the real world in Chromium (issue 15): a hand-edited caption file with broken
timing lines is previewed with a warning per broken line and imported; an empty file and a
file renamed .docx uploaded with them are refused in the preview, and after Import the result
still names them, with their reasons; a participant Zoom
wrote twice ("Marisol Quintero" and "Marisol Quintero (2)") is merged on the Documents page
with a preview, and the merge is undone and done again.

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode import services
from qualcode.services import ingest
from tests.browser.conftest import import_without_suggestions, key, wait_idle
from tests.browser.test_browser_e2e import goto, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

REAL = Path(__file__).resolve().parents[1] / "data" / "real-world"


def _speakers(project: Path) -> dict[str, list[str]]:
    ctx = services.open_project(project, coder="alice")
    try:
        return {d["name"]: [t["speaker"] for t in ingest.show_document(ctx, d["id"])["turns"]]
                for d in ingest.list_documents(ctx)}
    finally:
        ctx.close()


def test_broken_caption_times_and_a_speaker_merge_in_the_browser(tmp_path, start_app, page):
    project = tmp_path / "study"
    services.init_project(project, coder="alice").close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')

    # Import: the broken timing lines are named in the preview, and the file is importable;
    # an empty file and a file that is no Word file are refused, each with an error box.
    empty, fake = tmp_path / "empty_notes.txt", tmp_path / "minutes_fake.docx"
    empty.write_bytes(b"")
    fake.write_bytes(b"minutes of the May meeting, saved as text and renamed")
    goto(page, "Import")
    page.locator('[class*="st-key-imp_files_"] input[type="file"]').set_input_files(
        [str(REAL / "zoom_hand_edited.vtt"), str(empty), str(REAL / "zoom_rejoined.vtt"), str(fake)])
    page.wait_for_selector('[data-testid="stExpander"] >> text=speakers')
    wait_idle(page)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("empty_notes.txt, line 1: the file is empty.").wait_for()
    main.get_by_text("minutes_fake.docx: not a readable Word .docx file").wait_for()
    assert main.get_by_text("Import 2 file(s)").count() == 1
    # each timing line quoted as in the file, in code (walk 26), a warning each
    cues = main.locator('[data-testid="stAlert"]').filter(has_text="cue timing")
    cues.first.wait_for()
    said = "\n".join(c.inner_text() for c in cues.all())
    assert ("zoom_hand_edited.vtt, line 20: cue timing 00:00:22.600 --> 00:00:3O.400 cannot be read; "
            "its words are kept, without a time, after the cue at 0:19") in said, said
    assert said.count("line 28: cue timing 00:00:37.000 --> 00:00:3 ends before it starts") == 1, said
    assert said.count("line 36: cue timing") == 1, said
    assert [c.inner_text() for c in cues.locator("code").all()][:2] == [
        "00:00:22.600 --> 00:00:3O.400", "00:00:37.000 --> 00:00:3"]
    assert main.get_by_text("Import the text without times").count() == 0  # not refused
    shot(page, "real-world-import-preview")
    # counted over the 4 uploads (was "2 of 2 file(s) imported": the refused files were not
    # counted nor named), and each refused file named with the preview's reason
    said = import_without_suggestions(page, "2 of 4 files imported")
    assert "Not imported: empty_notes.txt (line 1: the file is empty), minutes_fake.docx (not a readable " \
           "Word .docx file (it is damaged, or another format renamed .docx))." in said, said
    # the full messages, with what to do, are still on the page after the import
    assert main.get_by_text("empty_notes.txt, line 1: the file is empty.").count() == 1
    assert main.get_by_text("minutes_fake.docx: not a readable Word .docx file").count() == 1
    speakers = _speakers(project)
    assert speakers["zoom_hand_edited"].count("Keiko Marchetti") == 4
    assert "Marisol Quintero (2)" in speakers["zoom_rejoined"]

    # Documents: the proposal is ready; name the person, see the preview, merge, undo, merge.
    goto(page, "Documents")
    box = page.locator('[data-testid="stMain"]')
    box.get_by_text("One person written several ways").wait_for()
    box.get_by_text("May be one person").wait_for()
    page.locator(key("docs_merge_into") + " input").fill("Marisol Quintero")
    page.locator(key("docs_merge_into") + " input").press("Enter")
    wait_idle(page)
    box.get_by_text("these speakers become").wait_for()
    assert box.get_by_text("Merge in 1 document").count() == 1
    shot(page, "real-world-merge-preview")
    page.locator(key("docs_merge_go") + " button").first.click()
    page.wait_for_selector('[data-testid="stAlert"] >> text=2 turns moved to Marisol Quintero')
    wait_idle(page)
    shot(page, "real-world-merged")
    after = _speakers(project)["zoom_rejoined"]
    assert "Marisol Quintero (2)" not in after and after.count("Marisol Quintero") == 3
    page.locator(key("docs_merge_undo") + " button").first.click()
    page.wait_for_selector('[data-testid="stAlert"] >> text=The merge is undone')
    wait_idle(page)
    assert _speakers(project)["zoom_rejoined"] == speakers["zoom_rejoined"]
    page.locator(key("docs_merge_go") + " button").first.click()  # the proposal is back: merge again
    page.wait_for_selector('[data-testid="stAlert"] >> text=2 turns moved to Marisol Quintero')
    wait_idle(page)
    assert "Marisol Quintero (2)" not in _speakers(project)["zoom_rejoined"]
