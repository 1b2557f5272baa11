"""In Chromium: in the Code page's Excerpts view, a click on an excerpt's text opens it.

A new coder clicked an excerpt's words expecting it to become the open excerpt (the side
panel: its suggestions, any code, memo); only the small pencil button did that. Now a click
on the text (or the row) opens it, in the same page (no reload: a marker set in the page
survives), the side panel shows it and its row is outlined. Selecting words of an excerpt
with the mouse stays a selection (to copy a quote) and opens nothing; the chips' buttons
keep their own clicks. On an excerpt the coder coded, "Nothing more here" rejects the
suggestions still open on it, and is off (saying why) once nothing is left.

Set QUALCODE_SCREENSHOTS_DIR to keep screenshots.
"""

from __future__ import annotations

import pytest

from qualcode import services
from tests.browser.conftest import code_mode, key, suggested_project, wait_idle
from tests.browser.test_browser_e2e import goto, ids_of, shot
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

DOC = SAMPLES / "2018_interview_team_member_math.txt"


def _open_text(page) -> str:
    return page.locator(key("focus-text")).first.inner_text().strip()


def _text_of(page, ex: int):
    return page.locator(key(f"ex-{ex}") + ' [data-testid="stText"]').first


def _outlined(page, ex: int) -> bool:
    """A border the coder sees: drawn, and not transparent (every excerpt has a box of the same
    size, only the open one's border shows: ui.transcript.focus_style)."""
    return page.locator(key(f"ex-{ex}")).first.evaluate(
        "e => { const s = getComputedStyle(e); return s.borderStyle !== 'none' && s.borderTopWidth !== '0px'"
        " && !/^(transparent|rgba\\(.*,\\s*0\\))$/.test(s.borderTopColor); }")


def test_clicking_an_excerpt_opens_it_and_selecting_words_does_not(tmp_path, start_app, page):
    project = suggested_project(tmp_path / "study", [DOC])
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Code")
    code_mode(page, "Excerpts")
    page.wait_for_selector('[class*="st-key-chips-"]', timeout=60_000)
    page.wait_for_selector(key("focus-text"))
    codable = ids_of(page, r"chips-(\d+)")  # the excerpts a coder codes (each has a chips row)
    assert len(codable) >= 4, "the sample interview has several participant excerpts"
    first_open = _open_text(page)
    target = next(e for e in codable[1:] if _text_of(page, e).inner_text().strip() != first_open)
    wanted = _text_of(page, target).inner_text().strip()
    assert not _outlined(page, target)

    page.evaluate("() => { window.__sameDocument = true; }")
    _text_of(page, target).click()
    wait_idle(page)
    page.wait_for_function(
        "t => (document.querySelector('.st-key-focus-text') || {}).innerText?.trim() === t", arg=wanted)
    shot(page, "excerpt-clicked")
    assert _open_text(page) == wanted  # the side panel shows the clicked excerpt
    assert _outlined(page, target)
    assert page.evaluate("() => window.__sameDocument === true"), "the click reloaded the page"

    # Selecting words with the mouse in another excerpt: a selection, not a click to open it.
    other = next(e for e in codable if e != target and _text_of(page, e).inner_text().strip() != wanted)
    box = _text_of(page, other).bounding_box()
    y = box["y"] + min(10, box["height"] / 2)
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
    page.mouse.up()
    wait_idle(page)
    assert page.evaluate("() => window.getSelection().toString().trim()") != ""
    assert _open_text(page) == wanted, "selecting words opened the excerpt"
    assert not _outlined(page, other)

    # ... and a plain click on it opens it.
    page.evaluate("() => window.getSelection().removeAllRanges()")
    _text_of(page, other).click()
    wait_idle(page)
    page.wait_for_function(
        "t => (document.querySelector('.st-key-focus-text') || {}).innerText?.trim() === t",
        arg=_text_of(page, other).inner_text().strip())
    assert _outlined(page, other) and not _outlined(page, target)
    assert page.evaluate("() => window.__sameDocument === true")

    # "Nothing here" on an excerpt the coder has coded: "Nothing more here" rejects the
    # suggestions still open on it (it did nothing, silently, before), then it is off and says why.
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            from qualcode.storage import coding as coding_store

            pending = coding_store.list_suggestions(s, status="pending", excerpt_ids=codable)
    finally:
        ctx.close()
    per: dict[int, int] = {}
    for sg in pending:
        per[sg.excerpt_id] = per.get(sg.excerpt_id, 0) + 1
    two = next((e for e in codable if per.get(e, 0) >= 2), None)
    if two is None:
        pytest.skip("no excerpt with two suggestions in the sample")
    text = _text_of(page, two).inner_text().strip()
    _text_of(page, two).click()
    wait_idle(page)
    page.wait_for_function(
        "t => (document.querySelector('.st-key-focus-text') || {}).innerText?.trim() === t", arg=text)
    page.locator(key("focus-accept") + " button").first.click()  # coded with its top suggestion
    wait_idle(page)
    none = page.locator(key("focus-none") + " button").first
    page.wait_for_function("() => (document.querySelector('.st-key-focus-none') || {}).innerText?.includes("
                           "'Nothing more here')")
    assert none.is_enabled()
    none.click()
    wait_idle(page)
    page.wait_for_selector('[data-testid="stAlert"]:has-text("left on this excerpt")')
    shot(page, "nothing-more-here")
    _text_of(page, two).click()  # back to it: nothing is left to decide there
    wait_idle(page)
    page.wait_for_function(
        "t => (document.querySelector('.st-key-focus-text') || {}).innerText?.trim() === t", arg=text)
    assert page.locator(key("focus-none") + " button").first.is_enabled()  # D moves on, as A does
    assert page.get_by_text("Nothing left to decide", exact=False).count() >= 1
