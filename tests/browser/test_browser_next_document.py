"""The Code page at the end of a document (walk 17: it said "Every excerpt of this document has a
decision" and stopped; A, D and N had nowhere to go and nothing named the next document): it offers
the next document with excerpts to decide, and the button (or N) opens it."""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.services import coding, ui_support
from qualcode.storage import documents as doc_store
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_e2e import goto
from tests.conftest import make_document

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]


def test_a_finished_document_offers_the_next_one(tmp_path, start_app, page):
    project = tmp_path / "chw"
    ctx = services.init_project(project, coder="alice")
    try:
        ids = {}
        for name, said in (("north_grace", ["Families trust me now.", "The clinic is far."]),
                           ("river_esther", ["We walk two hours to the clinic.", "The stipend is late.",
                                             "My supervisor visits monthly."])):
            turns = [("Dana", "interviewer", "How are the visits going?")] + [("Grace", "participant", t) for t in said]
            with ctx.session() as s:
                ids[name] = doc_store.add_document(s, make_document(name, turns))
        with ctx.session() as s:
            first = [e for e in doc_store.load_document(s, ids["north_grace"]).excerpts if e.codable]
        for e in first:
            coding.mark_reviewed(ctx, e.id)
    finally:
        ctx.close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Code")
    done = page.locator(key("code-doc-done"))
    done.wait_for(timeout=60_000)
    assert "Every excerpt of this document has a decision." in done.inner_text()
    button = page.locator(key("code-next-doc") + " button").first
    label = button.inner_text().strip()
    assert "Next document: river_esther (3 excerpts to decide)" in label and label.endswith("N")  # its key shown
    button.click()
    page.locator(".qc-focus", has_text="We walk two hours to the clinic.").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(key("code-doc-done")).count() == 0
    assert page.locator(key("code_doc") + " input").first.input_value() == "river_esther"
    # Walk 34: a document chosen in the picker kept the keyboard, so D went into it as a letter
    # ("No results") and nothing was decided. Chosen by typing and Enter, or by a click on the
    # list, the picker gives the keyboard back to the page.
    picker = page.locator(key("code_doc") + " input").first
    picker.click()
    page.keyboard.type("north")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !(document.activeElement && document.activeElement.closest('.st-key-code_doc'))")
    wait_idle(page)
    assert picker.input_value() == "north_grace"
    picker.click()
    page.get_by_role("option").filter(has_text="river_esther").first.click()
    page.wait_for_function("() => !(document.activeElement && document.activeElement.closest('.st-key-code_doc'))")
    wait_idle(page)
    page.locator(".qc-focus", has_text="We walk two hours to the clinic.").first.wait_for(timeout=60_000)
    page.keyboard.press("d")  # "Nothing here" on the open excerpt
    page.locator(".qc-focus", has_text="The stipend is late.").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert picker.input_value() == "river_esther"
    ctx = services.open_project(project, coder="alice")
    try:
        view = ui_support.transcript_view(ctx, ids["river_esther"])
        reviewed = [e.text for e in view.excerpts() if e.state.reviewed]
    finally:
        ctx.close()
    assert reviewed == ["We walk two hours to the clinic."]
    # Walk 38: on a finished document, N (the keyboard's way on) opens the next one to decide, as
    # the button does; D six times had left a keyboard coder on the last excerpt
    picker.click()
    page.keyboard.type("north")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !(document.activeElement && document.activeElement.closest('.st-key-code_doc'))")
    wait_idle(page)
    page.locator(key("code-next-doc")).wait_for()
    page.keyboard.press("n")
    page.locator(".qc-focus", has_text="The stipend is late.").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert picker.input_value() == "river_esther"
