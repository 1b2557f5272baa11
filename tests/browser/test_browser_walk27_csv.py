"""Walk 27 in Chromium, the Import page: a CSV transcript whose quote is never closed was
previewed with a green tick ("2 speakers, 3 turns") and the participant's last answer shown as the
interviewer's. It is now refused with an error box naming the file and the line where the quote
opens, and only the good file is offered for import and stored.

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.services import ingest
from tests.browser.conftest import import_without_suggestions, wait_idle
from tests.browser.test_browser_e2e import goto, shot
from tests.test_walk27 import WALKED

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_csv_with_a_quote_never_closed_is_refused_by_name_and_line(tmp_path, start_app, page):
    project = tmp_path / "study"
    services.init_project(project, coder="rita").close()
    (tmp_path / "broken_rows.csv").write_bytes(WALKED)
    (tmp_path / "northside_2024.txt").write_bytes(
        b"Interviewer: How was the course?\n\nPat: Good, the tutor was kind and patient with me.\n")
    app = start_app(project, coder="rita")
    page.goto(app.url)
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')
    goto(page, "Import")
    page.locator('[class*="st-key-imp_files_"] input[type="file"]').set_input_files(
        [str(tmp_path / "broken_rows.csv"), str(tmp_path / "northside_2024.txt")])
    page.wait_for_selector('[data-testid="stExpander"] >> text=speakers')
    wait_idle(page)
    main = page.locator('[data-testid="stMain"]')
    error = main.locator('[data-testid="stAlert"]').filter(has_text="broken_rows.csv, line 4")
    error.wait_for()
    said = error.inner_text()
    assert "a quote (\") opens a cell here and is never closed" in said, said
    assert "Close the quote at the end of that cell" in said, said
    assert main.get_by_text("Import 1 file(s)").count() == 1
    shot(page, "walk27-broken-csv")
    import_without_suggestions(page, "1 of 2 files imported")
    ctx = services.open_project(project)
    try:
        assert [d["name"] for d in ingest.list_documents(ctx)] == ["northside_2024"]
    finally:
        ctx.close()
