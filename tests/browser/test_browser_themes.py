"""In Chromium: the Themes page's defaults read as words, and the row whose quotes are open
stays the same row (not the same place in the table) when the coder changes.

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import re

import pytest

from qualcode import services
from qualcode.services import analysis, coding
from qualcode.ui.text import excerpts
from tests.analysis_helpers import build_small_project
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_agreement import ROW_PX
from tests.browser.test_browser_merge import shot
from tests.browser.test_journey import choose

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def _shown(page, widget_key: str) -> str:
    """The choice a selectbox shows (empty when it shows only its placeholder)."""
    return page.locator(key(widget_key) + " input").first.input_value().strip()


def _quotes_heading(page) -> str:
    heads = page.locator("h3").filter(has_text=re.compile(r"^Quotes: "))
    heads.first.wait_for()
    return heads.first.inner_text().strip()


def test_themes_defaults_and_the_open_row_follow_the_row(tmp_path, start_app, page):
    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    try:
        small = build_small_project(ctx)
        cy = ctx.as_coder("cy")  # a third coder who used Buy-in and Evidence, not Trust
        coding.add_coding(cy, small.ex[("D3", 2)], "rel_buyin")
        coding.add_coding(cy, small.ex[("D1", 3)], "evid")
        counts = {who: {r["code"]: int(r["excerpts"])
                        for r in analysis.frequencies(ctx, coder=who).to_dict("records") if r["excerpts"]}
                  for who in (None, "cy")}
    finally:
        ctx.close()
    pooled_rows, cy_rows = list(counts[None]), list(counts["cy"])
    row = "Buy-in (rel)"
    # the case this is about: the row has another place in cy's table, and its place there
    # holds another code
    assert pooled_rows.index(row) != cy_rows.index(row) and cy_rows[pooled_rows.index(row)] != row

    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.locator('[data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(r"Themes\s*$")).first.click()
    page.wait_for_selector(key("th_coder"))
    wait_idle(page)
    assert _shown(page, "th_by") == "(no grouping)"
    assert _shown(page, "th_coder") == "All coders, pooled"
    shot(page, "themes-1-defaults")

    # a click on the table's row opens it, and the box below names it
    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 15, box["y"] + ROW_PX * (pooled_rows.index(row) + 1) + ROW_PX / 2)
    wait_idle(page)
    label = f"{row} · {excerpts(counts[None][row])}"
    assert _quotes_heading(page) == f"Quotes: {label}"
    assert _shown(page, "th_freq_pick") == label
    shot(page, "themes-2-pooled-row")

    choose(page, "th_coder", "cy")
    wait_idle(page)
    label = f"{row} · {excerpts(counts['cy'][row])}"
    assert _shown(page, "th_freq_pick") == label
    assert _quotes_heading(page) == f"Quotes: {label}"
    shot(page, "themes-3-cy-same-row")

    # the grouping and the coder stay chosen after a visit to another page (walk 18: back from
    # Export, the counts were pooled again without a word)
    choose(page, "th_by", "district")
    wait_idle(page)
    _nav(page, "Export")
    page.wait_for_selector(key("th_by"), state="detached")
    wait_idle(page)
    _nav(page, "Themes")
    page.wait_for_selector(key("th_coder"))
    wait_idle(page)
    assert (_shown(page, "th_by"), _shown(page, "th_coder")) == ("district", "cy")
    shot(page, "themes-3b-kept-after-export")


def _nav(page, name: str) -> None:
    page.locator('[data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(rf"{name}\s*$")).first.click()


def test_a_case_matrix_cell_shows_that_documents_quotes(tmp_path, start_app, page):
    """The case matrix in Chromium: only the codes that occur somewhere are columns, and a cell
    (reached by a click, then the arrow keys) shows that document's quotes of that code."""
    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    try:
        build_small_project(ctx)
        d2 = analysis.quotes(ctx, code_id="rel_trust", document_id=2)
        every = analysis.quotes(ctx, code_id="rel_trust")
    finally:
        ctx.close()
    assert len(d2) == 1 and len(every) > 1

    app = start_app(project, coder="alice")
    page.goto(f"{app.url}/themes?themes_view=Case+matrix")
    wait_idle(page)
    grid = page.locator(key("th_matrix") + ' [data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    wait_idle(page)
    box = grid.bounding_box()
    assert box is not None
    # D2's first cell, then right along the row: document, district, format, year, then the codes
    page.mouse.click(box["x"] + 30, box["y"] + ROW_PX * 2 + ROW_PX / 2)
    wait_idle(page)
    columns = ["document", "district", "format", "year", "Relationships (test)", "Trust (rel)"]
    for _ in columns[1:]:
        page.keyboard.press("ArrowRight")
        wait_idle(page)
    # the grid sends each move's selection a moment after the key: wait for the last one's quotes
    page.locator("h3").filter(has_text=re.compile(r"^Quotes: Trust \(rel\) · D2$")).wait_for()
    wait_idle(page)
    assert _quotes_heading(page) == "Quotes: Trust (rel) · D2"
    shot(page, "themes-4-matrix-cell")
    # the grid's cells (its accessible table, read by text_content) are drawn a moment after it
    page.wait_for_function("(q) => document.querySelector('[data-testid=\"stMain\"]').textContent.includes(q)",
                           arg=d2["quote"].iloc[0], timeout=30_000)  # D2's quote of the code ...
    main = page.locator('[data-testid="stMain"]').text_content()
    assert not any(q in main for q in every["quote"] if q not in set(d2["quote"]))  # ... and no other document's
    assert "Learning zone" not in main  # a default code no document has: no column


def test_the_rate_keeps_a_speaker_made_interviewer_after_coding(tmp_path, start_app, page):
    """Walk 20: a participant made interviewer after their turns were coded kept their codings in
    the counts but lost their words from the per-1,000-words base (45 / 2,450: two bases). In the
    app: Ben (D2, 4 words, Buy-in by alice) becomes an interviewer on the Documents page; the page
    says his coding still counts, not in the rate, and the exported rate keeps one base: the
    excerpts of participant speech over participant words."""
    from tests.browser.test_journey import click, frequencies_xlsx

    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    try:
        build_small_project(ctx)
    finally:
        ctx.close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    _nav(page, "Documents")
    page.wait_for_selector(key("docs_everywhere_speaker"))
    choose(page, "docs_everywhere_speaker", re.compile(r"^Ben \("))
    choose(page, "docs_everywhere_role", "interviewer")
    click(page, "docs_everywhere_set")
    said = page.locator('[data-testid="stAlert"]').filter(has_text="1 coding on their turns stays and still counts")
    said.first.wait_for()
    assert "not in the rate per 1,000 participant words" in said.first.inner_text()
    shot(page, "themes-rate-1-role")
    _nav(page, "Export")
    table, code_col = frequencies_xlsx(page)
    rate_col = next(c for c in table.columns if "1,000" in str(c) or "per_1000" in str(c))
    row = table[table[code_col] == "Buy-in (rel)"].iloc[0]
    # 3 excerpts (Ben's among them); the rate: the 2 in participant speech over their 27 words
    assert int(row["excerpts"]) == 3
    assert float(row[rate_col]) == pytest.approx(1000 * 2 / 27, abs=0.01)
    shot(page, "themes-rate-2-export")
    # Themes says why Excerpts and the rate differ (walk 23: nothing on the page did)
    _nav(page, "Themes")
    note = page.get_by_text("1 excerpt is on a speaker made interviewer after coding")
    note.wait_for(timeout=60_000)
    assert "not in the rate per 1,000 participant words" in note.inner_text()
    note.scroll_into_view_if_needed()
    shot(page, "themes-rate-3-note")
