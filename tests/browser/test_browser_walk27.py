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
from tests.browser.conftest import import_without_suggestions, key, wait_idle
from tests.browser.test_browser_e2e import open_import, shot
from tests.test_walk27 import WALKED

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_csv_with_a_quote_never_closed_is_refused_by_name_and_line(tmp_path, start_app, page):
    project = tmp_path / "study"
    services.init_project(project, coder="rita").close()
    (tmp_path / "broken_rows.csv").write_bytes(WALKED)
    (tmp_path / "northside_2024.txt").write_bytes(
        b"Interviewer: How was the course?\n\nPat: Good, the tutor was kind and patient with me.\n")
    app = start_app(project, coder="rita")
    open_import(page, app.url, [tmp_path / "broken_rows.csv", tmp_path / "northside_2024.txt"])
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


BOOK = b"""name: Digital skills for seniors
codes:
  - id: confidence
    name: Confidence with devices
    definition: Feeling able, or unable, to use a phone, tablet or computer without help.
  - id: scams
    name: Fear of scams
    definition: Worry about fraud, fake messages or losing money online.
  - id: tutor
    name: Tutor relationship
    definition: How the learner and the volunteer tutor got on.
"""


def test_a_new_project_starts_from_the_coders_own_codebook_file(tmp_path, start_app, page):
    """Walk 27: the Create form offered only the shipped codebooks; a project of one's own codes
    took one of them, then the Codebook page's Replace, which left its codes retired in the
    project. A broken file is refused by name and line, and no project is made."""
    folder = tmp_path / "seniors"
    (tmp_path / "broken.yaml").write_bytes(b"name: x\ncodes:\n  - id: a\n    name: [unclosed\n")
    (tmp_path / "seniors.yaml").write_bytes(BOOK)
    app = start_app(folder, coder="rita", direct=True)
    page.goto(app.url)
    wait_idle(page)
    page.get_by_text("There is no qualcode project in").wait_for()
    upload = page.locator(key("project_new_codebook_file")).locator('input[type="file"]')
    upload.set_input_files(str(tmp_path / "broken.yaml"))
    wait_idle(page)
    page.get_by_role("button", name="Create").click()
    wait_idle(page)
    error = page.locator('[data-testid="stAlert"]').filter(has_text="broken.yaml")
    error.wait_for()
    assert "line" in error.inner_text() and "qualcode-codebook-" not in error.inner_text(), error.inner_text()
    assert not (folder / "project.db").exists()
    upload.set_input_files(str(tmp_path / "seniors.yaml"))
    # the new file's rerun clears the refusal: on a loaded machine the upload could still be on
    # its way when wait_idle looked, and Create, clicked meanwhile, was lost in that rerun
    error.wait_for(state="detached")
    wait_idle(page)
    page.get_by_role("button", name="Create").click()
    wait_idle(page)
    page.get_by_text("Created a project in").wait_for()
    said = page.locator('[data-testid="stAlert"]').filter(has_text="Created a project in").inner_text()
    assert "with your codebook seniors.yaml (3 codes)" in said, said
    shot(page, "walk27-created-from-own-codebook")
    ctx = services.open_project(folder)
    try:
        from qualcode.services import codebook as cb_service
        book = cb_service.get_codebook(ctx)
        assert book.name == "Digital skills for seniors"
        assert sorted(c.id for c in book.codes) == ["confidence", "scams", "tutor"]  # nothing retired
    finally:
        ctx.close()


def test_an_attributes_table_with_a_quote_never_closed_is_refused_where_it_opens(tmp_path, start_app, page):
    """After walk 27: the attributes table gave ana the site "North" and the next rows' text, and
    ben no site, without a word. The Import page now names the table and the line of the quote,
    and the transcripts imported then get no attributes from it."""
    project = tmp_path / "study"
    services.init_project(project, coder="rita").close()
    for name, said in (("ana.txt", b"Good, the tutor was patient."), ("ben.txt", b"Hard at first, then fine.")):
        (tmp_path / name).write_bytes(b"Interviewer: How was the course?\n\nPat: " + said + b"\n")
    (tmp_path / "sites.csv").write_bytes(b'file,site\nana.txt,"North\nben.txt,South\n')
    app = start_app(project, coder="rita")
    open_import(page, app.url, [tmp_path / "ana.txt", tmp_path / "ben.txt"])
    page.wait_for_selector('[data-testid="stExpander"] >> text=speakers')
    wait_idle(page)
    page.locator(key("imp_table_0")).locator('input[type="file"]').set_input_files(str(tmp_path / "sites.csv"))
    main = page.locator('[data-testid="stMain"]')
    error = main.locator('[data-testid="stAlert"]').filter(has_text="Attributes table: sites.csv, line 2")
    error.wait_for()
    said = error.inner_text()
    assert "a quote (\") opens a cell here and is never closed, so line 3 would be read as part of this cell" \
        in said, said
    assert "then upload the table again" in said and "qualcode-attrs-" not in said, said
    shot(page, "walk27-attributes-quote")
    import_without_suggestions(page, "2 of 2 files imported")
    ctx = services.open_project(project)
    try:
        docs = ingest.list_documents(ctx)
        assert sorted(d["name"] for d in docs) == ["ana", "ben"]
        assert all("site" not in (d.get("attributes") or {}) for d in docs), docs
    finally:
        ctx.close()
