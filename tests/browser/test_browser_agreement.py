"""In Chromium: a row of the Agreement page's per-code table drills down to exactly the
excerpts it counts as differing, and its button narrows the Disagreements tab to that code.

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import re

import pytest

from qualcode import services
from qualcode.services import team
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_merge import shot
from tests.browser.test_journey import choose
from tests.test_agreement_drilldown import two_coders

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

ROW_PX = 35  # Streamlit's dataframe: header and rows are 35 px high


def _click_row(page, table_key: str, row: int) -> None:
    """Click the row marker (the checkbox column) of data row ``row`` of a dataframe."""
    frame = page.locator(key(table_key) + ' [data-testid="stDataFrame"]').first
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 15, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)
    wait_idle(page)


def test_a_code_row_opens_its_disagreements_and_filters_the_tab(tmp_path, start_app, page):
    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    try:
        alice, _, ex = two_coders(ctx)
        result = team.agreement(alice, coders=["alice", "bob"])
        row = list(team.used_codes_only(result)[0]["codes"]).index("buy_in")  # the table's rows: codes in use
        differ = result["codes"]["buy_in"]["units_differ"]
    finally:
        ctx.close()
    assert differ == 3

    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.locator('[data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(r"Agreement\s*$")).first.click()
    page.wait_for_selector('h1:has-text("Agreement")')
    page.wait_for_selector(key("agr-figures"))
    wait_idle(page)
    assert page.locator(key("agr-drill-table")).count() == 0  # nothing drilled before a click
    _click_row(page, "agr-figures", row)
    page.wait_for_selector('h3:has-text("Disagreements on Buy-in")')
    caption = page.locator("text=where some coders applied Buy-in and others did not").first
    caption.wait_for()
    assert caption.inner_text().startswith(f"{differ} excerpts")
    assert f"the row's figures: {differ} that differ" in caption.inner_text()
    shot(page, "agreement-1-buy-in-row")
    # a row of the drill-down shows its whole excerpt and each coder's codes under the table
    assert page.locator(key("agr-drill-whole")).count() == 0
    _click_row(page, "agr-drill-table", 2)
    shot(page, "agreement-1a-drill-click")
    whole = page.locator(key("agr-drill-whole")).first
    whole.wait_for()
    # named as on the Code page: speaker and place among the coded excerpts (walk 24)
    assert ex[12].text in whole.inner_text() and "doc · Ana · excerpt 13 of 15" in whole.inner_text()
    shot(page, "agreement-1b-whole-excerpt")

    page.locator(key("agr-drill-filter") + " button").first.click()
    wait_idle(page)  # the button opens the tab it names (walk 17: it stayed on Agreement)
    page.wait_for_selector("text=3 excerpts where the coders differ on Buy-in")
    assert page.get_by_role("tab", name=re.compile("Disagreements")).first.get_attribute("aria-selected") == "true"
    # the tab lists exactly those excerpts' resolve buttons
    page.wait_for_function(
        f"() => document.querySelectorAll('[class*=\"st-key-resolve-\"]').length === {differ}")
    shown = page.evaluate(
        "() => [...document.querySelectorAll('[class*=\"st-key-resolve-\"]')]"
        ".map(e => [...e.classList].find(c => c.startsWith('st-key-resolve-')))")
    assert sorted(shown) == sorted(f"st-key-resolve-{ex[i].id}" for i in (9, 10, 12))
    shot(page, "agreement-2-disagreements-on-buy-in")

    # Record a consensus: the Disagreements tab stays open and says it was recorded (it once went
    # back to the first tab with no word); the resolved excerpt leaves the list.
    page.locator(key(f"resolve-{ex[9].id}") + " button").first.click()
    wait_idle(page)
    # said with the document, the excerpt and the codes' names (not their ids), once
    notice = page.get_by_text(re.compile(r"^Consensus recorded for .+ · excerpt \d+ of \d+: .+\. It is kept as consensus codings"))
    notice.first.wait_for()
    assert notice.count() == 1 and "_" not in notice.first.inner_text().split(":")[1].split(".")[0]
    assert page.get_by_role("tab", name=re.compile("Disagreements")).first.get_attribute("aria-selected") == "true"
    page.wait_for_function(
        f"() => document.querySelectorAll('[class*=\"st-key-resolve-\"]').length === {differ - 1}")

    # walk 24: a card's "Use alice's codes" is drawn as a button, not as plain text
    use = page.locator(key(f"take-{ex[10].id}-alice") + " button").first
    assert use.get_attribute("data-testid") == "stBaseButton-secondary"
    # and its "Open on the Code page" goes there, the excerpt open
    page.locator(key(f"open-{ex[10].id}") + " button").first.click()
    page.wait_for_selector('h1:has-text("Code")')
    page.locator(".qc-focus", has_text=ex[10].text).first.wait_for(timeout=60_000)
    shot(page, "agreement-3-opened-on-the-code-page")

    # Themes, pooled, reads the consensus for the excerpt it settled: excerpt 10 (alice Trust and
    # Buy-in, bob Trust) was agreed as Trust, so Buy-in counts on 11, 12 and 13 only, not 4 (walk 43)
    page.locator('[data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(r"Themes\s*$")).first.click()
    page.wait_for_selector(key("th_freq_pick"))
    choose(page, "th_freq_pick", re.compile(r"Buy-in · 3 excerpts\s*$"))
    page.locator("h3").filter(has_text=re.compile(r"^Quotes: .*Buy-in · 3 excerpts")).first.wait_for()
    page.get_by_text("Where a disagreement was resolved, only the agreed codes count for that excerpt.").first.wait_for()
    shot(page, "agreement-4-themes-reads-the-consensus")
