"""In Chromium, what walk 31 (a mentoring programme's interviews, memos and comparisons) found: a
memo could not be edited or deleted anywhere in the app, there was no project memo, and "Open" on a
code memo showed the Codebook at its first code. Now the Memos page writes a project memo, edits a
memo, deletes one with Undo beside the delete, and opens a code memo's code.
"""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.services import coding, memos
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_e2e import goto, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def _texts(project) -> list[str]:
    ctx = services.open_project(project, coder="alice")
    try:
        return sorted(m["text"] for m in memos.list_memos(ctx))
    finally:
        ctx.close()


def test_memos_are_written_edited_deleted_and_brought_back_in_the_browser(tmp_path, start_app, page):
    project = tmp_path / "mentoring"
    ctx = services.init_project(project, coder="alice")
    try:
        typo = coding.add_memo(ctx, "Trust grows after the secnd visit.", code_id="trust")
        gone = coding.add_memo(ctx, "Names the principal: must go.", code_id="evidence")
    finally:
        ctx.close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Memos")
    # a project memo
    page.get_by_text("Write a memo on a code, a document or the project").first.click()
    page.locator(key("memo_on")).get_by_text("The project").click()
    wait_idle(page)
    page.locator(key("memo_text") + " textarea").fill("Round 2: ask the Riverside mentors about family nights.")
    page.locator(key("memo_save") + " button").click()
    page.get_by_text("Memo saved.").first.wait_for(timeout=60_000)
    wait_idle(page)
    # an edit
    page.locator(key(f"memo-edit-{typo}") + " button").first.click()
    box = page.locator(key(f"memo-edit-text-{typo}") + " textarea")
    box.wait_for(timeout=60_000)
    box.fill("Trust grows after the second visit.")
    page.locator(key(f"memo-edit-save-{typo}") + " button").click()
    page.locator(key(f"memo-edit-text-{typo}")).wait_for(state="detached", timeout=60_000)
    wait_idle(page)
    # a delete, then its Undo
    page.locator(key(f"memo-delete-{gone}") + " button").first.click()
    page.locator(key("memo-undo-delete")).wait_for(timeout=60_000)
    wait_idle(page)
    assert _texts(project) == ["Round 2: ask the Riverside mentors about family nights.",
                               "Trust grows after the second visit."]
    shot(page, "walk31-memo-deleted")
    page.locator(key("memo-undo-delete") + " button").first.click()
    page.get_by_text("Memo brought back").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert _texts(project) == ["Names the principal: must go.",
                               "Round 2: ask the Riverside mentors about family nights.",
                               "Trust grows after the second visit."]
    shot(page, "walk31-memos")
    # Open on the Evidence memo: the Codebook at Evidence, not at its first code
    page.locator(key(f"memo-open-{gone}") + " button").first.click()
    page.get_by_text("Work on code").first.wait_for(timeout=60_000)
    wait_idle(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Work on code").first
    chosen = box.locator("input").first.input_value()
    assert chosen == "Evidence (evidence)", chosen  # the memo's code, not the first one
    shot(page, "walk31-open-code-memo")
