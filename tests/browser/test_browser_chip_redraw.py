"""In Chromium: a decided chip changes in one step, with nothing of the old chip left over.

A pending chip is two buttons (accept: the code and its percentage; reject: a cross). After a
click on either, the chip becomes one badge (accepted or rejected). Before, the page drew the
badge first and removed the other button only when the rest of the turn had been redrawn, so
for a moment a stray cross (or code button) stood beside the new badge, and a second click
there landed on a chip that had already been decided; and a decision on the open excerpt
made in the transcript left the sidebar (the same excerpt) showing the chip still pending. A
chip decided on another excerpt makes that excerpt the open one (the sidebar follows the coder,
and the background refresh leaves its chips alone) and the progress bar counts it at once. A reload keeps the document and the view.
A MutationObserver records every state
the page goes through between the click and the end of the redraw: in none of them may the
badge and one of the old buttons be visible together.

Set QUALCODE_SCREENSHOTS_DIR to keep screenshots.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import code_mode, key, suggested_project, to_first_suggestion, wait_idle
from tests.browser.test_browser_e2e import goto, ids_of, shot
from tests.browser.test_journey import choose
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

DOC = SAMPLES / "2018_interview_team_member_math.txt"
OTHER = SAMPLES / "2021_interview_team_lead_literacy.md"  # imported first: the page opens on it

# Records, on every DOM change, whether the decided chip's badge and one of its old buttons
# were both present. ``sid`` and ``state`` name the chip and the badge it turns into.
WATCH = """([sid, state]) => {
  window.__both = 0; window.__badge = 0;
  const check = () => {
    const badge = document.querySelector(`.st-key-chip-${sid}-${state}`);
    const old = [...document.querySelectorAll(`.st-key-acc-${sid}, .st-key-rej-${sid}`)]
      .some(e => e.checkVisibility());  // what the coder sees (a faded button counts)
    if (badge && badge.checkVisibility()) window.__badge += 1;
    if (badge && badge.checkVisibility() && old) window.__both += 1;
  };
  window.__obs && window.__obs.disconnect();
  window.__obs = new MutationObserver(check);
  window.__obs.observe(document.body, {childList: true, subtree: true, attributes: true});
}"""


def _decide_and_watch(page, sid: int, button: str, state: str) -> tuple[int, int]:
    page.evaluate(WATCH, [sid, state])
    page.locator(key(f"{button}-{sid}") + " button").first.click()
    page.wait_for_selector(key(f"chip-{sid}-{state}"))
    wait_idle(page)
    return page.evaluate("() => { window.__obs.disconnect(); return [window.__both, window.__badge]; }")


def test_a_decided_chip_leaves_no_stray_button(tmp_path, start_app, page):
    project = suggested_project(tmp_path / "study", [OTHER, DOC])
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Code")
    _choose_document(page, DOC.stem)
    code_mode(page, "Excerpts")
    page.wait_for_selector('[class*="st-key-chip-"][class*="-pending"]', timeout=60_000)
    to_first_suggestion(page)  # the page opens at the first excerpt from the top
    pending = ids_of(page, r"chip-(\d+)-pending")
    assert len(pending) >= 2, "the sample interview has cold suggestions to decide"

    # The open excerpt (in the sidebar) has chips of its own in the transcript: decide one there.
    in_sidebar = [s for s in ids_of(page, r"fchip-(\d+)") if s in pending]
    assert in_sidebar, "the open excerpt has a pending suggestion"
    first = in_sidebar[0]
    both, seen = _decide_and_watch(page, first, "acc", "accepted")
    shot(page, "chip-accepted")
    assert seen > 0, "the observer saw the accepted badge appear"
    assert both == 0, f"the accepted badge stood beside a button of the pending chip in {both} DOM states"
    # ... and the sidebar, which shows the same excerpt, says so too (no stale accept button)
    page.wait_for_selector(key(f"fchip-{first}") + " >> text=accepted")
    assert page.locator(key(f"facc-{first}")).count() == 0

    # A chip of another excerpt: that excerpt becomes the open one (sidebar), and the progress
    # bar above the transcript counts it at once.
    first_ex = _excerpt_of(page, first)
    other = next((s for s in ids_of(page, r"chip-(\d+)-pending") if _excerpt_of(page, s) != first_ex), None)
    assert other is not None, "another excerpt has a pending chip"
    before = _decided_count(page)
    both, seen = _decide_and_watch(page, other, "rej", "rejected")
    shot(page, "chip-rejected")
    assert seen > 0
    assert both == 0, f"the rejected badge stood beside a button of the pending chip in {both} DOM states"
    page.wait_for_selector(key(f"fchip-{other}") + " >> text=rejected")  # the sidebar followed
    assert page.locator(key(f"ex-{_excerpt_of(page, other)}")).first.evaluate(
        "e => getComputedStyle(e).borderStyle") != "none"  # and the excerpt is highlighted
    assert _decided_count(page) == before + 1

    # A reload comes back to the same document and view (the page's address keeps them).
    page.reload()
    wait_idle(page)
    page.wait_for_selector('[class*="st-key-chip-"]', timeout=60_000)  # chips: the Excerpts view
    assert _document_shown(page) == DOC.stem
    assert _decided_count(page) == before + 1


def _document_shown(page) -> str:
    """The document the Code page's selector shows. After a reload the selector is drawn empty
    for a moment and filled once the page's run gets there: wait for a value, whichever it is."""
    return page.wait_for_function(
        "() => { const box = document.querySelector('.st-key-code_doc'); if (!box) return null;"
        " const i = box.querySelector('input');"
        " const v = ((i && i.value) || (i ? '' : box.innerText) || '').trim(); return v || null; }",
        timeout=30_000).json_value()


def _choose_document(page, name: str) -> None:
    """Through the suite's one selectbox helper: it waits for the page's run to end and
    retries when a rerun redraws the list while it is open (a bare click right after the
    page opened once found no list on a loaded machine)."""
    choose(page, "code_doc", re.compile(re.escape(name)))


def _excerpt_of(page, sid: int) -> int:
    """The excerpt id of the chip ``sid`` (its ``ex-<id>`` container)."""
    cls = page.locator(f'[class*="st-key-chip-{sid}-"]').first.evaluate(
        "e => e.closest('[class*=\"st-key-ex-\"]').className")
    return int(re.search(r"st-key-ex-(\d+)", cls).group(1))


def _decided_count(page) -> int:
    text = page.locator('[data-testid="stProgress"]').first.inner_text()
    return int(re.search(r"(\d+) of \d+ excerpts decided", text).group(1))
