"""Walk 26 in Chromium, the Import page: the attributes table's uploader is in sight without
opening Options, a misspelt file name in the table asks which transcript was meant, and a cue
timing line that cannot be read is drawn exactly as in the file ("->", not an arrow, and with
no invisible character: a copy of it is found in the file).

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import pytest

from qualcode import services
from tests.browser.conftest import import_without_suggestions, key, wait_idle
from tests.browser.test_browser_e2e import goto, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

VTT = (b"WEBVTT\n\n1\n00:01:18.000 --> 00:01:23.000\nFacilitator: Tell me about the supplies you receive.\n\n"
       b"2\n00:01:24.000 -> 00:01:34000\nSamuel: The bags are good but medicines come late.\n\n"
       b"3\n00:01:35.000 --> 00:01:42.000\nSamuel: We had no zinc for two months.\n")
TABLE = b"document,site,year\nhilcrest_chw_focusgroup_2025.vtt,Hillcrest,2025\n"


def test_the_table_is_in_sight_and_a_bad_cue_line_is_quoted_as_in_the_file(tmp_path, start_app, page):
    project = tmp_path / "study"
    services.init_project(project, coder="alice").close()
    (tmp_path / "hillcrest_chw_focusgroup_2025.vtt").write_bytes(VTT)
    (tmp_path / "attributes.csv").write_bytes(TABLE)
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')
    goto(page, "Import")
    main = page.locator('[data-testid="stMain"]')
    # in sight with Options folded, with a line saying what the table is
    table = page.locator(key("imp_table_0"))
    assert table.is_visible() and table.get_by_text("Attributes table (optional)").is_visible()
    assert main.get_by_text("one row per transcript, a column naming its file").is_visible()
    page.locator('[class*="st-key-imp_files_"] input[type="file"]').set_input_files(
        str(tmp_path / "hillcrest_chw_focusgroup_2025.vtt"))
    page.wait_for_selector('[data-testid="stExpander"] >> text=speakers')
    wait_idle(page)
    table.locator('input[type="file"]').set_input_files(str(tmp_path / "attributes.csv"))
    asked = main.locator('[data-testid="stAlert"]').filter(has_text="Did you mean")
    asked.wait_for()
    wait_idle(page)
    assert "Did you mean 'hillcrest_chw_focusgroup_2025.vtt'?" in asked.inner_text()
    # the timing line as in the file: "->" drawn as typed, no hidden character, in code
    cue = main.locator('[data-testid="stAlert"]').filter(has_text="cue timing")
    assert cue.count() == 1
    said = cue.inner_text()
    assert "cue timing 00:01:24.000 -> 00:01:34000 cannot be read" in said, said
    assert "\u2060" not in said and "→" not in said
    assert cue.locator("code").inner_text() == "00:01:24.000 -> 00:01:34000"
    shot(page, "walk26-import-preview")
    said = import_without_suggestions(page, "1 of 1 file imported")
    cue = main.locator('[data-testid="stAlert"]').filter(has_text="cue timing")
    assert cue.locator("code").inner_text() == "00:01:24.000 -> 00:01:34000"
    after = main.locator('[data-testid="stAlert"]').filter(has_text="Attributes table").inner_text()
    assert "the transcript it probably meant, was imported without attributes" in after, after
    shot(page, "walk26-import-result")
