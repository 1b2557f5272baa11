"""In Chromium, what walk 29 (two coders of a health programme, Agreement and REFI-QDA) found: with
independent coding off (the default) the second coder saw the first one's codes beside each excerpt,
in a line read as their own, and the Agreement page reported kappa as for a blind sample. Now adding
the coder says so, the colleague's codes stand in a block of their own, and Agreement warns.
"""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.services import coding
from qualcode.storage import documents
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_e2e import goto, shot
from tests.conftest import make_document

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_second_coder_is_told_coding_is_not_blind_and_agreement_says_so(tmp_path, start_app, page):
    project = tmp_path / "chw"
    ctx = services.init_project(project, coder="alice")
    try:
        with ctx.session() as s:
            ex = documents.load_document(s, documents.add_document(s, make_document())).excerpts
        ana, ben = ex[1], ex[2]
        coding.add_coding(ctx, ana.id, "trust")
        coding.add_coding(ctx, ben.id, "buy_in")
    finally:
        ctx.close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.locator(key("coder_new") + " input").fill("theo")
    page.locator(key("coder_add") + " button").click()
    page.get_by_text("Independent coding is off, so theo will see alice's codes beside each excerpt.").first.wait_for(
        timeout=60_000)
    wait_idle(page)
    shot(page, "walk29-theo-added")
    goto(page, "Code")
    block = page.locator(key(f"colleagues-{ana.id}"))
    block.wait_for(timeout=60_000)
    text = block.inner_text()
    assert "Colleagues' codes here" in text and "alice: Trust" in text, text
    shot(page, "walk29-colleagues-block")
    page.locator(key(f"focus-none-e{ana.id}") + " button").first.click()  # theo: nothing here, with alice's code shown
    page.locator(key(f"colleagues-{ben.id}")).wait_for(timeout=60_000)  # moved on to Ben's
    wait_idle(page)
    goto(page, "Agreement")
    note = page.get_by_text("Not a blind comparison: on 1 of the 1 excerpt all these coders finished")
    note.first.wait_for(timeout=60_000)
    shot(page, "walk29-not-blind")
