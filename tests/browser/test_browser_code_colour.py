"""Codebook page in Chromium: a coder gives a code its own colour (the swatch beside Codable,
in Edit), saves, and its codings on the Code page are drawn in that colour."""

from __future__ import annotations

import re

import pytest

from qualcode import services
from qualcode.services import codebook as cb_service
from tests.browser.conftest import key, shot, wait_idle
from tests.browser.test_browser_codebook_merge import WORK_ON, _pick, reyes_project

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_code_gets_its_own_colour_and_the_transcript_draws_it(tmp_path, start_app, page):
    project, doc_id = reyes_project(tmp_path, ["trust"])
    ctx = services.open_project(project, coder="alice")
    try:
        before = cb_service.get_codebook(ctx).get("trust").color
    finally:
        ctx.close()
    assert before.lower() != "#123abc"
    app = start_app(project, coder="alice")
    page.goto(app.url + "/codebook?coder=alice")
    page.wait_for_selector('h1:has-text("Codebook")')
    wait_idle(page)
    _pick(page, WORK_ON, "Trust (trust)")
    page.get_by_role("tab", name=re.compile(r"^Edit")).first.click()
    picker = page.locator(key("edit-color-trust"))
    picker.wait_for()
    shot(page, "colour-1-edit")
    picker.locator('[data-testid="stColorPickerBlock"]').first.click()
    hexbox = page.locator('[data-testid="stColorPicker"] input, .chrome-picker input, [role="dialog"] input').first
    hexbox.wait_for(timeout=10_000)
    shot(page, "colour-2-picker-open")
    hexbox.fill("123abc")
    hexbox.press("Enter")
    page.mouse.click(10, 10)  # close the picker
    wait_idle(page)
    page.get_by_role("button", name=re.compile("Save changes")).first.click()
    page.get_by_text("Saved Trust.").first.wait_for(timeout=30_000)
    ctx = services.open_project(project, coder="alice")
    try:
        assert cb_service.get_codebook(ctx).get("trust").color == "#123abc"
    finally:
        ctx.close()
    shot(page, "colour-3-saved")
    # the Code page highlights the Trust coding in it
    page.goto(app.url + f"/code?coder=alice&doc={doc_id}")
    mark = page.locator(".qc-hl[title='Trust']").first
    mark.wait_for(timeout=60_000)
    assert mark.evaluate("e => getComputedStyle(e).backgroundColor").startswith("rgba(18, 58, 188")
    shot(page, "colour-4-code-page")
