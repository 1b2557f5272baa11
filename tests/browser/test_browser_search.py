"""In Chromium: the Search page finds a phrase in every transcript, the coder unticks a hit
that is not about it (with the keyboard: Tab to its tick, Space), codes the rest at once with a
code typed in the box, opens a hit in its transcript, and one Undo takes the coding back.

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qualcode import services
from qualcode.services import search as search_svc
from qualcode.storage import coding as coding_store
from tests.browser.conftest import key, open_project, shot, type_and_pick, wait_idle
from tests.test_search import TURNS_A, TURNS_B
from tests.ui_helpers import seed

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def _coded(project: Path, code_id: str, *, count: int | None = None, timeout: float = 30.0) -> list[int]:
    """The excerpts coded with ``code_id`` (once there are ``count`` of them, or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        ctx = services.open_project(project, coder="alice")
        try:
            with ctx.session(readonly=True) as s:
                got = sorted(c.excerpt_id for c in coding_store.list_codings(s) if c.code_id == code_id)
        finally:
            ctx.close()
        if count is None or len(got) == count or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_search_untick_code_open_and_undo(tmp_path, module_app, page):
    from qualcode.ui.pages.search import _table_key

    project = tmp_path / "clinics"
    ctx = services.init_project(project, coder="alice")
    seed(ctx, name="clinic-a", turns=TURNS_A)
    seed(ctx, name="clinic-b", turns=TURNS_B)
    interviewer, ana, ben = (int(i) for i in search_svc.search(ctx, "stock-out*").rows["excerpt_id"])
    ctx.close()
    open_project(page, module_app, project, "/search")
    page.get_by_text("Type a word or phrase above").wait_for()
    box = page.locator(key("srch_q") + " input")
    box.fill("stock-out*")
    box.press("Enter")
    page.get_by_text("3 hits in 3 excerpts of 2 documents").first.wait_for()
    wait_idle(page)
    shot(page, "search-1-hits")
    table = _table_key("stock-out*", True, False)
    # the interviewer's line is listed apart, with no tick
    assert page.locator(key(f"{table}_{interviewer}")).count() == 0
    assert page.locator('[data-testid="stExpander"]').get_by_text("1 hit on 1 line not coded").count() == 1
    # keyboard: focus Ana's tick, Tab on to Ben's (past Ana's Open button), Space unticks it
    ben_tick = page.locator(key(f"{table}_{ben}") + " input")
    ben_tick.focus()
    page.keyboard.press("Space")
    wait_idle(page)
    page.locator(key("srch_apply") + " button", has_text="Code 1 excerpt").wait_for()
    type_and_pick(page, "srch_code", "Evidence")
    page.locator(key("srch_apply") + " button").first.click()
    page.get_by_text("Coded 1 excerpt with Evidence. Undo takes it back.").wait_for()
    assert _coded(project, "evidence", count=1) == [ana]
    wait_idle(page)
    page.locator(key(f"srch_hit_{ana}")).get_by_text("Your codes here: Evidence").wait_for()
    shot(page, "search-2-coded")
    # Open: Ana's hit in its transcript, open in the Code page's side panel
    page.locator(key(f"srch_open_{ana}") + " button").first.click()
    page.wait_for_url("**/code**")
    page.locator('[data-testid="stSidebar"]').get_by_text("The stock-out of malaria tests").first.wait_for()
    shot(page, "search-3-opened")
    page.get_by_role("link", name="Search").click()  # back: the same search, its hits and ticks
    page.get_by_text("3 hits in 3 excerpts of 2 documents").first.wait_for()
    wait_idle(page)
    shot(page, "search-4-back")
    assert not ben_tick.is_checked() and page.locator(key(f"{table}_{ana}") + " input").is_checked()
    page.locator(key("srch_apply") + " button", has_text="Code 1 excerpt").wait_for()
    page.locator(key("srch_undo") + " button").first.click()
    page.get_by_text("Undone: coding the search hits").first.wait_for()
    assert _coded(project, "evidence", count=0) == []
    # NOT in capitals leaves out the excerpts holding a word: Ana's malaria line goes
    box.fill("stock-out* NOT malaria")
    box.press("Enter")
    page.get_by_text("2 hits in 2 excerpts of 2 documents (1 hit on 1 line not coded").first.wait_for()
    wait_idle(page)
    assert page.locator(key(f"srch_hit_{ana}")).count() == 0 and page.locator(key(f"srch_hit_{ben}")).count() == 1
    shot(page, "search-5-not")


def test_open_on_a_survey_answer_brings_its_row_into_view(tmp_path, module_app, page):
    """Walk 40: Open on a survey answer's hit showed the grid at its question, the row 1,700 px
    below, unmarked. The row opened is marked and scrolled into view; back on Search, the same
    search."""
    from qualcode.services import survey as survey_svc

    q = "What would you change?"
    lines = ["Respondent,District,What was useful?," + q]
    for i in range(1, 26):
        said = "The creche closed too early for us." if i == 23 else f"More time for planning in week {i}."
        lines.append(f"r{i:02d},{'North' if i % 2 else 'South'},Talking with others {i}.,{said}")
    project = tmp_path / "surveyed"
    ctx = services.init_project(project, coder="alice")
    survey_svc.save_survey(ctx, survey_svc.parse_survey("\n".join(lines).encode(), "spring.csv",
                                                        questions=["What was useful?", q]))
    (target,) = search_svc.search(ctx, "crèche").rows["excerpt_id"]  # accents aside
    ctx.close()
    open_project(page, module_app, project, "/search")
    box = page.locator(key("srch_q") + " input")
    box.fill("crèche")
    box.press("Enter")
    page.get_by_text("1 hit in 1 excerpt of 1 document").first.wait_for()
    wait_idle(page)
    page.locator(key(f"srch_open_{target}") + " button").first.click()
    page.wait_for_url("**/code**")
    row = page.locator(key(f"srow-{target}"))
    row.wait_for()
    row.get_by_text("Opened").wait_for()
    wait_idle(page)
    deadline = time.monotonic() + 10
    while True:  # brought into view (the component scrolls once the row is drawn)
        box_ = row.bounding_box()
        inside = box_ is not None and box_["y"] >= 0 and box_["y"] + box_["height"] <= page.viewport_size["height"]
        if inside or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    shot(page, "search-5-survey-row")
    assert inside, box_
    page.get_by_role("link", name="Search").click()
    page.get_by_text("1 hit in 1 excerpt of 1 document").first.wait_for()
