"""In Chromium, what walk 28 (a food bank's survey and interviews) found:

- a survey answer keeps the chips the coder saw while they decide it: the refresh after the
  previous answer's decision had dropped its second chip, and accepting the first took the
  second away before the coder could accept it;
- after a rename, "Work on code" names the code by its new name (Streamlit kept the old label
  of the keyed box), and a split's message names the new code as the coder typed it.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from qualcode import services
from qualcode.core import Suggestion
from qualcode.services import codebook as cbs
from qualcode.services import survey as survey_svc
from qualcode.storage import coding as coding_store
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_e2e import goto, shot
from tests.test_survey import USEFUL, answer_id, small_survey

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


@contextmanager
def opened(project, *, new: bool = False):
    """The project as alice, beside the app (a new one with ``new``), closed after."""
    ctx = (services.init_project if new else services.open_project)(project, coder="alice")
    try:
        yield ctx
    finally:
        ctx.close()


def _suggest(project, excerpt_id: int, scores: dict[str, float], *, replace: bool = False) -> dict[str, int]:
    with opened(project) as ctx, ctx.session() as s:
        coding_store.upsert_suggestions(
            s, [Suggestion(excerpt_id=excerpt_id, code_id=c, score=p, model_id="test") for c, p in scores.items()],
            replace_pending_for=[excerpt_id] if replace else ())
        return {sg.code_id: sg.id for sg in coding_store.list_suggestions(s) if sg.excerpt_id == excerpt_id}


def test_an_answer_keeps_the_chips_the_coder_saw_while_deciding_it(tmp_path, start_app, page):
    project = tmp_path / "pantry"
    with opened(project, new=True) as ctx:
        survey_svc.save_survey(ctx, small_survey())
        r1 = answer_id(ctx, "r1", USEFUL)
    sugg = _suggest(project, r1, {"trust": 0.8, "evidence": 0.6})
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Code")
    page.wait_for_selector(key(f"acc-{sugg['evidence']}"), timeout=60_000)  # both chips drawn
    # what the background refresh after a decision on another answer does: evidence is dropped
    _suggest(project, r1, {"trust": 0.7}, replace=True)
    page.locator(key(f"acc-{sugg['trust']}") + " button").first.click()
    page.wait_for_selector(key(f"chip-{sugg['trust']}-accepted"), timeout=60_000)
    wait_idle(page)
    shot(page, "walk28-kept-chip")
    kept = page.locator(key(f"acc-{sugg['evidence']}-kept") + " button")
    assert kept.count() >= 1 and "Evidence" in kept.first.inner_text()  # still there, still clickable
    kept.first.click()
    page.wait_for_selector(key(f"srow-{r1}") + ' [class*="st-key-coding-"]', timeout=60_000)
    wait_idle(page)
    with opened(project) as ctx:
        codes = survey_svc.survey_grid(ctx, "fall").rows.set_index("excerpt_id").loc[r1, "codes"]
    assert sorted(codes) == ["evidence", "trust"]


def test_a_rename_shows_in_work_on_code_and_a_split_says_the_new_name(tmp_path, start_app, page):
    project = tmp_path / "pantry"
    with opened(project, new=True) as ctx:
        cbs.add_code(ctx, {"id": "kindness", "name": "Volunteer kindness", "definition": "Warmth of volunteers."})
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Codebook")
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Work on code")
    box.locator("input").first.click()
    page.get_by_role("option", name="Volunteer kindness (kindness)", exact=True).first.click()
    wait_idle(page)
    page.locator('[data-testid="stForm"] input[value="Volunteer kindness"]').fill("Staff and volunteer kindness")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved Staff and volunteer kindness.").first.wait_for(timeout=60_000)
    wait_idle(page)
    shot(page, "walk28-renamed")
    shown = box.first.evaluate(  # what the box shows: its text, or its input's value
        "e => e.textContent + ' | ' + [...e.querySelectorAll('input')].map(i => i.value).join(' | ')")
    assert "Staff and volunteer kindness (kindness)" in shown, shown
    assert "Volunteer kindness (kindness)" not in shown.replace("Staff and volunteer kindness", ""), shown
    page.get_by_role("tab", name="Move · merge · split · retire").click()
    page.locator(key("splitname-kindness") + " input").fill("Driver kindness")
    page.locator(key("splitname-kindness") + " input").press("Tab")
    wait_idle(page)
    shot(page, "walk28-split-named")
    page.locator(key("dosplit-kindness") + " button").click()
    page.get_by_text("Split Driver kindness out of Staff and volunteer kindness: 0 codings moved.").first.wait_for(
        timeout=60_000)
