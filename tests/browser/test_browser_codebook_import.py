"""The Codebook page: a project's own codebook brought in to replace the one it started with
(walk 16: imported, it merged with the default codebook, and the coder retired its 21 other codes
one by one; all of them then went to NVivo in the .qdpx), and a file of another kind refused in
plain words."""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.services import codebook as cbs
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_e2e import goto

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

OURS = ("name: Mentoring study\ncodes:\n"
        "  - id: mentoring\n    name: Mentoring relationship\n    definition: The bond between mentor and mentee.\n"
        "  - id: rapport\n    name: Trust and rapport\n    parent: mentoring\n"
        "    definition: The mentee feels safe with the mentor.\n"
        "  - id: barriers\n    name: Practical barriers\n    definition: Buses, schedules, money.\n")


def _open_import(page, app) -> None:
    """The Codebook page of ``app``, its "Import a codebook file" box open."""
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Codebook")
    page.locator('[data-testid="stExpander"]', has_text="Import a codebook file").first.locator("summary").click()
    wait_idle(page)


def test_import_a_codebook_that_replaces_the_default_one_and_undo(tmp_path, start_app, page):
    project = tmp_path / "mentoring"
    services.init_project(project, coder="alice").close()
    (tmp_path / "ours.yaml").write_text(OURS, encoding="utf-8")
    _open_import(page, start_app(project, coder="alice"))
    # a codebook saved as Word's .rtf: named in plain words, with what to do, not Streamlit's
    # "application/rtf files are not allowed", and no Import button
    (tmp_path / "ours.rtf").write_bytes(b"{\\rtf1\\ansi Mentoring relationship\\par}")
    page.locator('input[type="file"]').first.set_input_files(str(tmp_path / "ours.rtf"))
    refused = page.locator('[data-testid="stAlert"]').filter(has_text="ours.rtf: a codebook file must be a .yaml")
    refused.wait_for(timeout=60_000)
    assert "Save it as a spreadsheet (.xlsx or .csv) or as YAML, or export the codebook from NVivo" in refused.inner_text()
    assert page.get_by_text("not allowed").count() == 0 and page.locator(key("cb-import-go")).count() == 0
    page.locator('input[type="file"]').first.set_input_files(str(tmp_path / "ours.yaml"))
    page.locator(key("cb-import-go")).wait_for(timeout=60_000)  # the run that took the .yaml
    wait_idle(page)
    assert refused.count() == 0
    wait_idle(page)
    page.locator(key("cb_import_replace")).get_by_text("Replace the codebook").click()
    wait_idle(page)
    page.locator(key("cb-import-go") + " button").first.click()
    said = page.locator('[data-testid="stAlert"]').filter(has_text="Imported ours.yaml")
    said.wait_for(timeout=60_000)
    wait_idle(page)
    text = said.first.inner_text()
    assert "3 codes added, 0 updated, 0 unchanged; 22 codes not in the file retired." in text, text
    ctx = services.open_context(project)
    try:
        assert {c.id for c in cbs.get_codebook(ctx).codes if not c.retired} == {"mentoring", "rapport", "barriers"}
    finally:
        ctx.close()
    # one step back brings the default codebook back whole
    page.get_by_role("button", name="Undo last change").first.click()
    wait_idle(page)
    ctx = services.open_context(project)
    try:
        cb = cbs.get_codebook(ctx)
        assert not any(c.retired for c in cb.codes) and cb.get("mentoring") is None and cb.get("trust") is not None
    finally:
        ctx.close()


def test_a_codebook_kept_in_excel_is_imported_and_downloads_as_a_spreadsheet(tmp_path, start_app, page):
    """Walk 49: the evaluator's codebook was a spreadsheet, refused ("save it as YAML"), with no
    template to start from. The page now takes .xlsx (one row per code, parents by name) and
    offers the codebook as a spreadsheet to edit and bring back."""
    from openpyxl import Workbook

    project = tmp_path / "arts"
    services.init_project(project, coder="alice").close()
    wb = Workbook()
    for row in (["Code", "Definition", "Parent", "Examples"],
                ["Co-planning", "Artist and teacher plan lessons together.", "Trust", "We met every Tuesday."],
                ["Student voice", "Students shape the work.", "", "They chose the colours; they argued about it."]):
        wb.active.append(row)
    wb.save(tmp_path / "Arts codebook.xlsx")
    _open_import(page, start_app(project, coder="alice"))
    with page.expect_download() as got:
        page.locator(key("cb_template") + " button").first.click()
    sheet = got.value.path().read_bytes().decode("utf-8")
    assert sheet.startswith("name,definition,parent,") and "Trust," in sheet
    page.locator('input[type="file"]').first.set_input_files(str(tmp_path / "Arts codebook.xlsx"))
    page.locator(key("cb-import-go")).wait_for(timeout=60_000)
    wait_idle(page)
    page.locator(key("cb-import-go") + " button").first.click()
    said = page.locator('[data-testid="stAlert"]').filter(has_text="Imported Arts codebook.xlsx")
    said.wait_for(timeout=60_000)
    assert "2 codes added, 0 updated" in said.first.inner_text()
    ctx = services.open_context(project)
    try:
        cb = cbs.get_codebook(ctx)
    finally:
        ctx.close()
    assert cb.get("co_planning").parent == "trust"
    assert cb.get("student_voice").examples == ["They chose the colours", "they argued about it."]
