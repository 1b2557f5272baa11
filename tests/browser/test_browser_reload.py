"""A new user's walk, in Chromium: open a second project in the app, code an excerpt by hand,
reload. Found by someone trying the app on their own files:

- a project opened on the Project page was lost on reload (the app went back to the one it was
  started on, and the next upload went there);
- "Add code" left at the whole excerpt coded from the second "I've" of an excerpt that says
  "I've" twice (Streamlit's slider sends the word back, not its position);
- a reload put the coder back at the document's first excerpt;
- P (previous) did nothing unless the transcript had the keyboard;
- every page fetched its tab icon from Google's font server (nothing may leave the machine).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from qualcode import services
from qualcode.services import ingest
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from tests.browser.conftest import code_mode, key, type_and_pick, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

SAID_TWICE = "I've been teaching eight years at Juniper, and I've been on the team since the beginning."
TRANSCRIPT = f"""Interviewer: How long have you been on the team?
Bethany Cole: {SAID_TWICE}
Interviewer: What changed this year?
Bethany Cole: We started looking at student work together every week.
"""


SHOWS_DOCUMENT = "() => document.body.innerText.includes('looking at student work together')"


def goto(page, title: str) -> None:
    page.locator('[data-testid="stTopNavLink"]').filter(has_text=re.compile(rf"{title}\s*$")).first.click()
    page.wait_for_selector(f'h1:has-text("{title}")')
    wait_idle(page)


def pick_code(page, excerpt: int, name: str) -> None:
    type_and_pick(page, f"pick-{excerpt}", name)


def codings_of(project, excerpt: int):
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            return [c for c in coding_store.list_codings(s) if c.excerpt_id == excerpt]
    finally:
        ctx.close()


def test_a_second_project_an_excerpt_coded_by_hand_and_a_reload(tmp_path, start_app, page):
    first, second = tmp_path / "first-study", tmp_path / "juniper-study"
    services.init_project(first, coder="alice").close()
    services.init_project(second, coder="alice").close()
    source = tmp_path / "juniper_team_interview.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    ctx = services.open_project(second, coder="alice")
    try:
        ingest.ingest_paths(ctx, [source])
        with ctx.session(readonly=True) as s:
            (doc,) = doc_store.list_documents(s)
            excerpts = doc_store.load_document(s, doc["id"]).excerpts
    finally:
        ctx.close()
    twice = next(e for e in excerpts if SAID_TWICE in e.text)
    ex_start = twice.start + twice.text.index(SAID_TWICE)

    hosts: set[tuple[str, str | None]] = set()
    page.on("request", lambda r: hosts.add((urlparse(r.url).scheme, urlparse(r.url).hostname)))
    app = start_app(first, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')

    # Open the second project on the Project page.
    if page.locator(key("project_path") + " input").count() == 0 or not page.locator(
            key("project_path") + " input").is_visible():
        page.get_by_text("Open or create a project").first.click()
    page.locator(key("project_path") + " input").fill(str(second))
    page.locator(key("project_path") + " input").press("Enter")
    wait_idle(page)
    page.locator(key("project_open") + " button").click()
    wait_idle(page)
    page.wait_for_function("() => location.search.includes('project=')")

    # Code the excerpt by hand, leaving the words at "the whole excerpt".
    goto(page, "Code")
    code_mode(page, "Excerpts")
    page.wait_for_function(SHOWS_DOCUMENT)  # the second project's document
    page.locator(key(f"focus-{twice.id}") + " button").first.click()
    wait_idle(page)
    pick_code(page, twice.id, "Trust")
    page.locator(key(f"addcode-{twice.id}") + " button").first.click()
    page.locator('[data-testid="stSidebar"]').get_by_text("Your codes here").wait_for()
    wait_idle(page)
    (whole,) = codings_of(second, twice.id)
    assert (whole.start, whole.end) == (twice.start, twice.end), "the whole excerpt, from its first word"

    # Narrow the words to start at the second "I've" (keyboard on the slider's first handle).
    page.locator(key(f"span-{twice.id}") + ' input[type="range"]').first.focus()
    for _ in range(SAID_TWICE.split().index("I've", 1)):
        page.keyboard.press("ArrowRight")
    wait_idle(page)
    pick_code(page, twice.id, "Buy-in")
    page.locator(key(f"addcode-{twice.id}") + " button").first.click()
    wait_idle(page)
    for _ in range(50):  # a loaded machine: the click's rerun may not have saved it yet
        narrowed = [c for c in codings_of(second, twice.id) if c.code_id != whole.code_id]
        if narrowed:
            break
        page.wait_for_timeout(200)
    assert len(narrowed) == 1
    assert narrowed[0].start == ex_start + SAID_TWICE.index("I've", 1)
    assert narrowed[0].end == twice.end

    # Reload: the same project, document, view and open excerpt.
    params = parse_qs(urlparse(page.url).query)
    assert params.get("project") == [str(second.resolve())] and params.get("ex") == [str(twice.id)]
    page.reload()
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Code")')
    page.wait_for_function(SHOWS_DOCUMENT)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Your codes here").wait_for()
    assert sidebar.get_by_text(SAID_TWICE).count() >= 1  # the excerpt the coder had open

    # N moves on, P comes back to where the coder was (P once did nothing outside the transcript).
    page.locator("h1").first.click()
    page.keyboard.press("n")
    page.locator(key("focus-text")).filter(has_text="looking at student work").wait_for()
    wait_idle(page)
    page.keyboard.press("p")
    page.locator(key("focus-text")).filter(has_text="I've been teaching eight years").wait_for()
    wait_idle(page)

    # T, a code's name, Enter: a hand code on the whole open excerpt from the keyboard alone (the
    # sidebar's code box took about 20 Tabs to reach and dropped fast typing).
    code_mode(page, "Transcript")
    page.locator(".qc-body").wait_for()
    wait_idle(page)
    page.locator("h1").first.click()
    page.keyboard.press("t")
    picker = page.locator(".qc-picker input")
    picker.wait_for(state="visible")
    picker.press_sequentially("team comp")
    picker.press("Enter")
    page.wait_for_function("() => !document.querySelector('.qc-picker') || document.querySelector('.qc-picker').hidden")
    wait_idle(page)
    for _ in range(50):
        keyed = [c for c in codings_of(second, twice.id) if c.code_id == "team_composition"]
        if keyed:
            break
        page.wait_for_timeout(200)
    assert [(c.start, c.end) for c in keyed] == [(twice.start, twice.end)]
    goto(page, "Project")
    assert page.get_by_text(str(second.resolve())).count() + page.locator(
        f'input[value="{second.resolve()}"]').count() >= 1

    # Nothing left the machine: every request went to the app itself.
    assert {h for scheme, h in hosts if scheme not in ("data", "blob")} == {"127.0.0.1"}, hosts


def test_the_excerpts_view_opens_where_the_open_excerpt_is(tmp_path, start_app, page):
    """Walk 15: the Excerpts view opened at the top of its page while the open excerpt (from
    the address, or moved to by N) sat below the window's edge."""
    from tests.ui_helpers import long_turns, seed

    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    try:
        doc_id, _ = seed(ctx, name="long", turns=long_turns(2500), codes=())
        with ctx.session(readonly=True) as s:
            excerpts = [e for e in doc_store.load_document(s, doc_id).excerpts if e.codable]
    finally:
        ctx.close()
    # the last excerpt of the view's first page (20 turns), far below the page's top
    far = [e for e in excerpts if e.turn_order < 20][-1]
    in_view = ("(sel) => { const el = document.querySelector(sel); if (!el) return false;"
               " const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }")
    app = start_app(project, coder="alice")
    page.goto(f"{app.url}/code?doc={doc_id}&view=Excerpts&ex={far.id}")
    wait_idle(page)
    page.locator(key(f"ex-{far.id}")).first.wait_for()
    page.wait_for_function(in_view, arg=key(f"ex-{far.id}"), timeout=10_000)  # without the coder scrolling
    # N opens the next one, the first of the next page: it comes into view too
    nxt = excerpts[excerpts.index(far) + 1]
    page.locator("h1").first.click()
    page.keyboard.press("n")
    page.wait_for_function(f"() => location.search.includes('ex={nxt.id}')")
    wait_idle(page)
    page.wait_for_function(in_view, arg=key(f"ex-{nxt.id}"), timeout=10_000)
