"""Codebook page in Chromium: merge a code into another, and the page works on the code that
absorbed it, its name in the "Work on code" box (walk 42: the box went on showing the merged,
now retired code above the target's merge form, "Yes, merge Evidence into the target"); Undo
brings the merged code back, and the box names it."""

from __future__ import annotations

import re

import pytest

from qualcode import services
from qualcode.services import codebook as cb_service
from qualcode.services import coding
from qualcode.storage import documents as doc_store
from tests.browser.conftest import key, shot, wait_idle
from tests.conftest import make_document

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

WORK_ON = '[class*="st-key-cb_code-"]'


def _pick(page, box: str, option: str) -> None:
    page.locator(box).first.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(option.split(" (")[0])
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click(timeout=10_000)
    wait_idle(page)


def _shown(page) -> str:
    return page.locator(WORK_ON + " input").first.input_value()


def reyes_project(tmp_path, codes: list[str]) -> tuple:
    """A project with one interview whose first codable excerpts carry ``codes`` (alice's):
    its folder and the document's id."""
    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    try:
        with ctx.session() as s:
            doc_id = doc_store.add_document(s, make_document("Reyes interview"))
        with ctx.session(readonly=True) as s:
            ex = [e.id for e in doc_store.load_document(s, doc_id).excerpts if e.codable]
        for e, code in zip(ex, codes):
            coding.add_coding(ctx, e, code)
    finally:
        ctx.close()
    return project, doc_id


def test_after_a_merge_the_work_on_box_names_the_code_that_absorbed_it(tmp_path, start_app, page):
    project, _doc = reyes_project(tmp_path, ["trust", "buy_in"])
    app = start_app(project, coder="alice")
    page.goto(app.url + "/codebook?coder=alice")
    page.wait_for_selector('h1:has-text("Codebook")')
    wait_idle(page)
    _pick(page, WORK_ON, "Buy-in (buy_in)")
    assert _shown(page) == "Buy-in (buy_in)"
    page.get_by_role("tab", name=re.compile("merge")).first.click()
    wait_idle(page)
    _pick(page, key("merge-buy_in"), "Trust (trust)")
    page.locator(key("mergeok-buy_in")).get_by_text("Yes, merge Buy-in").click()
    wait_idle(page)
    page.locator(key("domerge-buy_in") + " button").first.click()
    page.locator('[data-testid="stAlert"]').filter(has_text="Merged Buy-in").first.wait_for(timeout=60_000)
    wait_idle(page)
    shot(page, "codebook-merged")
    ctx = services.open_project(project, coder="alice")
    try:
        assert cb_service.get_codebook(ctx).get("buy_in").retired
    finally:
        ctx.close()
    assert _shown(page) == "Trust (trust)"
    page.get_by_role("tab", name=re.compile("merge")).first.click()
    wait_idle(page)
    assert page.locator(key("mergeok-trust")).get_by_text("Yes, merge Trust").count() == 1
    assert not page.locator(key("mergeok-trust") + " input").first.is_checked()
    page.locator(key("cb-undo") + " button").first.click()
    page.locator('[data-testid="stAlert"]').filter(has_text="merge").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert _shown(page) == "Buy-in (buy_in)"  # the code the undo brought back
