"""The transcript view in Chromium: select to code (across sentences, inside a word), remove a
coding by clicking its highlight, keyboard-only coding, and transcript text that stays text."""

from __future__ import annotations

import os

import pytest

from qualcode import services
from qualcode.core import Suggestion
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from tests.browser.conftest import key, open_project, type_and_pick, wait_idle
from tests.test_transcript_view import sentence_document
from tests.ui_helpers import EVIL, seed

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

_RANGE = """  const sel = a.getRootNode().getSelection ? a.getRootNode().getSelection() : window.getSelection();
  const r = document.createRange();
  r.setStart(a.firstChild, aOff);
  r.setEnd(b.firstChild, bOff);
  sel.removeAllRanges();
  sel.addRange(r);
"""
SELECT = ("""([a, aOff, b, bOff]) => {
  if (!a.isConnected || !b.isConnected) return false;  // redrawn meanwhile: find them again
""" + _RANGE + """  a.closest('.qc-body').dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
  return true;
}""")
# words selected with no mouseup: no code box opens
SELECT_QUIETLY = "([a, aOff, b, bOff]) => {\n" + _RANGE + "}"


def codings(project):
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            doc = doc_store.load_document(s, 1)
            return doc.text, [(c.id, c.excerpt_id, c.start, c.end, c.code_id) for c in coding_store.list_codings(s)]
    finally:
        ctx.close()


def stored_with(project, code_id: str, timeout: float = 30.0) -> list[tuple]:
    """The codings once one of ``code_id`` is stored (or as they are after ``timeout`` s)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        _, stored = codings(project)
        if any(c == code_id for *_, c in stored) or time.monotonic() > deadline:
            return stored
        time.sleep(0.2)


def run(page, text: str):
    return page.locator(".qc-run", has_text=text).first


def select(page, a_text: str, a_off: int, b_text: str, b_off: int) -> None:
    for _ in range(20):  # the transcript may be redrawn between finding a run and selecting in it
        wait_idle(page)
        if page.evaluate(SELECT, [run(page, a_text).element_handle(), a_off,
                                  run(page, b_text).element_handle(), b_off]):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"could not select {a_text!r}..{b_text!r}")


def apply_code(page, query: str, project, count_before: int) -> None:
    """Type a code in the picker, press Enter; wait until the coding is stored and redrawn."""
    import time

    page.locator(".qc-picker input").wait_for(state="visible")
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    page.locator(".qc-hl").nth(count_before).wait_for(timeout=30_000)  # drawn at once...
    deadline = time.monotonic() + 30
    while len(codings(project)[1]) <= count_before and time.monotonic() < deadline:
        time.sleep(0.2)  # ...and stored by the rerun
    wait_idle(page)


@pytest.fixture
def app_page(tmp_path, module_app, page):
    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    doc = sentence_document()
    with ctx.session() as s:
        doc_id = doc_store.add_document(s, doc)
        ex = doc_store.load_document(s, doc_id).excerpts
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[3].id, code_id="buy_in", score=0.7,
                                                       model_id="test-model")])
    seed(ctx, name="evil", turns=[("Ana <b>x</b>", "participant", EVIL)])
    ctx.close()
    # open at the excerpt with the suggestion (a document opens at its first excerpt from the top)
    open_project(page, module_app, project, more=f"doc={doc_id}&ex={ex[3].id}")
    page.locator(".qc-run").first.wait_for(timeout=60_000)
    return project, page


def test_select_across_sentences_inside_a_word_and_remove_by_click(app_page):
    project, page = app_page
    # Across two sentences: from inside "same people" to after "built".
    select(page, "We met the same people", len("We met the "), "That built trust", len("That built"))
    apply_code(page, "Trust", project, 0)
    page.locator(".qc-hl").nth(1).wait_for()
    text, stored = codings(project)
    assert [text[s:e] for _, _, s, e, _ in stored] == ["same people at every convening.", "That built"]
    assert {c for *_, c in stored} == {"trust"}
    # Inside a word: "ver" of "over" (after an emoji: offsets count code points).
    page.locator(".qc-run", has_text="over time.").first.wait_for()
    r = run(page, "over time.")
    txt = r.inner_text()
    # DOM ranges count UTF-16 units (the emoji is two); the stored offsets count code points.
    u16 = len(txt[:txt.index("over")].encode("utf-16-le")) // 2
    select(page, "over time.", u16 + 1, "over time.", u16 + 4)
    apply_code(page, "Evidence", project, 2)
    text, stored = codings(project)
    assert sorted(text[s:e] for _, _, s, e, _ in stored) == sorted(["same people at every convening.", "That built",
                                                                    "ver"])
    # The highlight shows the code's name on hover, and a click opens it in the sidebar.
    hl = page.locator(".qc-hl", has_text="That built").first
    assert "Trust" in (hl.get_attribute("title") or "")
    hl.click()
    wait_idle(page)
    (coding_id,) = [cid for cid, _, s, e, _ in stored if text[s:e] == "That built"]
    page.locator(key(f"uncode-at-{coding_id}") + " button").click()
    page.locator(".qc-hl", has_text="That built").wait_for(state="detached")
    text, stored = codings(project)
    assert sorted(text[s:e] for _, _, s, e, _ in stored) == sorted(["same people at every convening.", "ver"])


def test_keyboard_only_coding_of_three_excerpts(app_page):
    project, page = app_page
    page.locator(".qc-body").first.focus()  # as Tab would: the caret waits at the open excerpt
    for i in range(3):
        if i:
            before = page.locator(".qc-focus").first.inner_text()
            page.keyboard.press("n")
            page.locator(".qc-focus").filter(has_not_text=before).first.wait_for()
            wait_idle(page)
            page.wait_for_timeout(1000)  # the rerun's caret placement lands before the keys
        for attempt in range(3):  # a background rerun may redraw mid-keystrokes: the coder tries again
            for _ in range(4):
                page.keyboard.press("Shift+ArrowRight")
            page.keyboard.press("Enter")
            if page.locator(".qc-picker input").is_visible():
                break
            page.locator(".qc-body").first.focus()
        apply_code(page, "Evidence", project, i)
    text, stored = codings(project)
    assert len(stored) == 3
    assert len({ex for _, ex, *_ in stored}) == 3  # three different excerpts
    # Each is the start of its excerpt, as far as four Shift+Right presses reach (white space at
    # the end is left out of a coding; a caret the browser keeps at the end of the turn before
    # costs one press).
    for _, ex_id, s, e, _ in stored:
        words = text[s:e]
        assert 2 <= len(words) <= 4 and words.strip() == words, words
        assert text[s - 1] in " \n" or s == 0, words


def test_n_in_the_transcript_skips_decided_excerpts_as_the_next_button_does(app_page):
    """Walk 10: with the keyboard in the transcript, N stepped to the very next excerpt, decided
    or not (and after D, which moves on by itself, N skipped an undecided one). N goes to the
    next excerpt that needs a decision, as the side panel's Next does; P goes back to the one
    open before."""
    from qualcode.services import coding as coding_service

    project, page = app_page
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            ex = doc_store.load_document(s, 1).excerpts
        coding_service.nothing_here(ctx, ex[4].id)  # "They saw the exit tickets." is decided
    finally:
        ctx.close()
    page.reload()
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.wait_for_timeout(1000)
    page.locator(".qc-body").first.focus()
    page.keyboard.press("n")
    page.locator(".qc-focus", has_text="I agree with Ana.").first.wait_for(timeout=30_000)
    wait_idle(page)
    page.wait_for_timeout(1000)
    page.locator(".qc-body").first.focus()
    page.keyboard.press("p")
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for(timeout=30_000)


def test_transcript_text_stays_text_in_the_transcript_view(app_page):
    _, page = app_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.locator(key("code_doc")).click()
    page.get_by_role("option", name="evil").click()
    wait_idle(page)
    page.locator(".qc-run", has_text="<script>alert(1)</script>").first.wait_for()
    assert page.locator(".qc-root script").count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('a[href^="http://evil"]').count() == 0
    assert page.locator(".qc-root b").count() == 0
    assert page.locator(".qc-speaker", has_text="Ana <b>x</b>").count() == 1  # the name, literally
    assert not dialogs


VISIBLE_RUN = """(body) => {
  // A participant's excerpt well inside the visible part of the scrolled transcript box.
  const box = body.getBoundingClientRect();
  for (const run of body.querySelectorAll('.qc-run[data-ex]:not(.qc-focus)')) {
    const r = run.getBoundingClientRect();
    if (r.top > box.top + box.height / 3 && r.bottom < box.bottom - 40 && run.textContent.trim().length > 30
        && !run.closest('.qc-not-coded')) return [Number(run.dataset.ex), run.textContent];
  }
  return null;
}"""


def test_coding_a_selection_opens_its_excerpt_and_keeps_the_scroll(tmp_path, module_app, page):
    """Select words far down a long transcript, press Enter and pick a code: the view stays
    where it was (no jump to the top) and the side panel opens the excerpt just coded."""
    from tests.ui_helpers import long_turns

    project = tmp_path / "long"
    ctx = services.init_project(project, coder="alice")
    _, sid = seed(ctx, name="long", turns=long_turns(3000), codes=("trust",))
    ctx.close()
    open_project(page, module_app, project)
    page.locator(".qc-run").first.wait_for(timeout=60_000)
    body = page.locator(".qc-body").first
    body.evaluate("b => { b.scrollTop = Math.floor(b.scrollHeight / 2); }")
    before = body.evaluate("b => b.scrollTop")
    assert before > 500  # a long transcript, scrolled well away from the top
    first_open = page.locator(".qc-focus").first.get_attribute("data-ex")
    ex_id, text = body.evaluate(VISIBLE_RUN)
    assert str(ex_id) != first_open
    handle = page.locator(f'.qc-run[data-ex="{ex_id}"]').first.element_handle()
    assert page.evaluate(SELECT, [handle, 0, handle, len(text.split()[0]) + 1 + len(text.split()[1])])
    apply_code(page, "Evidence", project, 0)
    _, stored = codings(project)
    assert [ex for _, ex, *_ in stored] == [ex_id]
    page.locator(f'.qc-focus[data-ex="{ex_id}"]').first.wait_for()  # the coded excerpt is the open one...
    page.locator(key("focus-text"), has_text=text.strip()[:40]).first.wait_for()  # ...in the side panel too
    after = body.evaluate("b => b.scrollTop")
    assert abs(after - before) < 200, (before, after)  # and the transcript did not jump


def test_letters_typed_right_after_t_go_into_the_code_box_never_to_the_shortcuts(app_page):
    """Walk 8: T pressed outside the transcript opened the code box only after a rerun, and the
    letters typed meanwhile were one-key shortcuts: the "u" of a code's name undid the coder's
    last coding, a "d" marked the excerpt "nothing here". The box now opens at once, in the
    browser, and names the excerpt the code will go on; on an interviewer's line it opens to
    say the line is not coded, so the typing still goes nowhere else."""
    from qualcode.services import coding as coding_service

    project, page = app_page
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            ex = doc_store.load_document(s, 1).excerpts
        coding_service.add_coding(ctx, ex[0].id, "trust")  # what a stray U would undo
    finally:
        ctx.close()
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for()
    wait_idle(page)
    page.locator("h1").first.click()  # the page has the keyboard focus, not the transcript
    page.keyboard.press("t")
    page.keyboard.type("Buy-in", delay=30)  # no wait: a coder types straight on
    assert page.locator(".qc-picker input").input_value() == "Buy-in"
    assert page.locator(".qc-what").inner_text() == "Code “Our principals bought in.”"
    if os.environ.get("QUALCODE_SCREENSHOTS_DIR"):
        page.screenshot(path=os.path.join(os.environ["QUALCODE_SCREENSHOTS_DIR"], "picker-names-excerpt.png"))
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('.qc-picker') || document.querySelector('.qc-picker').hidden")
    wait_idle(page)
    stored = stored_with(project, "buy_in")
    assert sorted((e, c) for _, e, _, _, c in stored) == sorted([(ex[0].id, "trust"), (ex[3].id, "buy_in")])

    # An interviewer's line: the box opens to say so; what is typed goes into it, nowhere else.
    run(page, "Say more?").click()
    page.locator(".qc-focus", has_text="Say more?").first.wait_for()
    wait_idle(page)
    page.locator("h1").first.click()
    page.keyboard.press("t")
    page.keyboard.type("undo", delay=30)
    assert "This line is not coded" in page.locator(".qc-what").inner_text()
    if os.environ.get("QUALCODE_SCREENSHOTS_DIR"):
        page.screenshot(path=os.path.join(os.environ["QUALCODE_SCREENSHOTS_DIR"], "picker-not-coded.png"))
    assert page.locator(".qc-picker input").input_value() == "undo"
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('.qc-picker') || document.querySelector('.qc-picker').hidden")
    wait_idle(page)
    page.wait_for_timeout(1000)
    assert sorted((e, c) for _, e, _, _, c in codings(project)[1]) == sorted(
        [(ex[0].id, "trust"), (ex[3].id, "buy_in")])
    assert page.locator(".qc-focus", has_text="Say more?").count() >= 1  # no N either


def test_enter_on_a_groups_name_applies_nothing_until_a_code_is_chosen(app_page):
    """Walk 10: T, "Relationships" (a group, which is not applied itself) and Enter coded Buy-in,
    the group's first code, without a word. Enter now says it is a group and which code a second
    Enter applies (the highlighted one)."""
    project, page = app_page
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for()
    wait_idle(page)
    page.locator("h1").first.click()
    page.keyboard.press("t")
    page.keyboard.type("Relationships", delay=20)
    page.keyboard.press("Enter")
    page.locator(".qc-what", has_text="is a group").wait_for(timeout=5_000)
    assert page.locator(".qc-picker input").is_visible()  # still open, the typing kept
    if os.environ.get("QUALCODE_SCREENSHOTS_DIR"):
        page.screenshot(path=os.path.join(os.environ["QUALCODE_SCREENSHOTS_DIR"], "picker-group.png"))
    page.wait_for_timeout(1000)
    assert codings(project)[1] == []  # nothing coded
    first = page.locator(".qc-option").nth(0).get_attribute("data-code")
    first_name = page.locator(".qc-option").nth(0).locator("span").nth(1).inner_text()
    assert f"Enter codes {first_name}" in page.locator(".qc-what").inner_text()
    page.keyboard.press("Enter")  # walk 11: the code the message names (↓ then Enter skipped it)
    import time

    deadline = time.monotonic() + 30
    while not codings(project)[1] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [c for *_, c in codings(project)[1]] == [first]
    # the same code again: nothing changes, and the page says so (it used to stay silent)
    wait_idle(page)
    page.locator("h1").first.click()
    page.keyboard.press("t")
    page.keyboard.type(first_name, delay=20)
    page.keyboard.press("Enter")
    page.get_by_text("already have", exact=False).first.wait_for(timeout=30_000)
    assert [c for *_, c in codings(project)[1]] == [first]


def test_the_code_box_opens_above_words_near_the_bottom_of_the_window(app_page):
    """Walk 12: on the last excerpt the code box's list ran off the bottom of the window (only two
    of a group's codes showed). Near the bottom it opens above the words."""
    project, page = app_page
    page.set_viewport_size({"width": 1400, "height": 700})
    target = run(page, "I agree with Ana.")
    target.click()
    page.locator(".qc-focus", has_text="I agree with Ana.").first.wait_for()
    wait_idle(page)
    target = run(page, "I agree with Ana.")
    box = target.bounding_box()
    page.mouse.wheel(0, box["y"] - 560)  # the words low in the window, as at the end of a document
    page.wait_for_timeout(500)
    box = run(page, "I agree with Ana.").bounding_box()
    assert box["y"] > 450, box
    page.keyboard.press("t")  # the transcript has the keyboard (the click), nothing scrolls
    picker = page.locator(".qc-picker")
    picker.wait_for(state="visible")
    p = picker.bounding_box()
    dbg = picker.evaluate("p => { const r = p.parentElement.getBoundingClientRect(); return [p.style.top, p.offsetHeight, r.top, window.innerHeight, p.parentElement.querySelector('.qc-body').scrollTop]; }")
    assert p["y"] + p["height"] <= 700, (p, box, dbg)  # the whole list is in the window
    assert page.locator(".qc-option").count() >= 5


def test_n_then_t_at_once_codes_the_excerpt_n_opened(app_page):
    """Walk 9: N, then T, a code and Enter within a second coded the excerpt before (the
    sidebar already showed the next one; the transcript, drawn last, still marked the old).
    The box opens at once and takes its excerpt from the draw N brings."""
    project, page = app_page
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for()
    wait_idle(page)
    page.locator("h1").first.click()
    page.keyboard.press("n")
    page.keyboard.press("t")
    page.keyboard.type("Evidence")  # no pause at all: faster than the page can redraw
    page.keyboard.press("Enter")
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text, stored = codings(project)
        if stored:
            break
        time.sleep(0.2)
    wait_idle(page)
    focus = page.locator(".qc-focus").first.inner_text()
    assert focus != "Our principals bought in."  # N moved on
    assert [(text[s:e], c) for _, _, s, e, c in stored] == [(focus, "evidence")]


def test_a_and_x_in_the_transcript_decide_the_suggestion_the_buttons_name(app_page):
    """Walk 13: the panel lists chips by the probability shown and its buttons name the most
    likely one, but A and X pressed in the transcript took the highest raw score: "Accept Trust"
    on screen, Learning zone accepted. Here Buy-in shows 70% and Trust (raw score 0.75) 20%."""
    project, page = app_page
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session() as s:
            ex = doc_store.load_document(s, 1).excerpts
            coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[3].id, code_id="trust", score=0.75,
                                                           model_id="test-model", explanation={"probability": 0.2})])
    finally:
        ctx.close()
    page.reload()
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Reject Buy-in").wait_for(timeout=30_000)
    wait_idle(page)
    page.wait_for_timeout(1000)
    page.locator(".qc-body").first.focus()
    page.keyboard.press("x")
    page.get_by_role("button", name="Reject Trust").wait_for(timeout=30_000)
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            status = {sg.code_id: sg.status.value for sg in coding_store.list_suggestions(s, excerpt_ids=[ex[3].id])}
    finally:
        ctx.close()
    assert status == {"buy_in": "rejected", "trust": "pending"}


def _key_on_the_first_excerpt(page, button: str, k: str) -> None:
    """Once the first excerpt ("Our principals bought in.") is open with its ``button`` drawn,
    press ``k`` in the transcript."""
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for(timeout=60_000)
    page.get_by_role("button", name=button).wait_for(timeout=30_000)
    wait_idle(page)
    page.wait_for_timeout(1000)
    page.locator(".qc-body").first.focus()
    page.keyboard.press(k)


def test_a_with_nothing_left_to_accept_moves_on_in_the_transcript(app_page):
    """Walk 15: the side panel says "All decided: next (A)", but A pressed in the transcript only
    said "press N for the next one". A there moves on too (to the next excerpt that needs a
    decision, as the panel's button does)."""
    project, page = app_page
    _key_on_the_first_excerpt(page, "Accept Buy-in", "a")  # accepts Buy-in: nothing left to decide here
    page.get_by_role("button", name="All decided: next").wait_for(timeout=30_000)
    wait_idle(page)
    page.wait_for_timeout(1000)
    page.locator(".qc-body").first.focus()
    page.keyboard.press("a")
    page.locator(".qc-focus", has_text="They saw the exit tickets.").first.wait_for(timeout=30_000)
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            coded = [c.code_id for c in coding_store.list_codings(s)]
    finally:
        ctx.close()
    assert coded == ["buy_in"]  # the second A accepted nothing


def test_d_after_rejecting_the_only_suggestion_moves_on_in_the_transcript(app_page):
    """A walk: after the coder rejected an excerpt's only suggestion (X), D ("Nothing here") did
    nothing but say "Already done ... A moves to the next excerpt". With nothing left to decide
    there, D moves on, as A does, and decides nothing."""
    from qualcode.storage import audit

    project, page = app_page
    _key_on_the_first_excerpt(page, "Reject Buy-in", "x")  # the only suggestion: nothing left to decide here
    page.get_by_role("button", name="All decided: next").wait_for(timeout=30_000)
    wait_idle(page)
    page.wait_for_timeout(1000)
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            events = len(audit.list_events(s))
    finally:
        ctx.close()
    page.locator(".qc-body").first.focus()
    page.keyboard.press("d")
    page.locator(".qc-focus", has_text="They saw the exit tickets.").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert not page.locator('[data-testid="stAlert"]:has-text("Already done")').count()  # moved on, not told
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            assert len(audit.list_events(s)) == events  # decided nothing
            ex = doc_store.load_document(s, 1).excerpts
            status = {sg.code_id: sg.status.value for sg in coding_store.list_suggestions(s, excerpt_ids=[ex[3].id])}
    finally:
        ctx.close()
    assert status == {"buy_in": "rejected"}


def test_esc_takes_the_keyboard_out_of_a_box_so_n_moves_on(app_page):
    """Walk 15: after picking from a list (the document, a code to add) the box kept the
    keyboard, N went into it as a letter, and Esc did not help. Esc now hands the keyboard back
    to the page."""
    project, page = app_page
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for(timeout=60_000)
    wait_idle(page)
    box = page.locator(key("code_doc") + " input").first
    box.click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert not box.evaluate("el => el === document.activeElement")
    page.keyboard.press("n")
    page.locator(".qc-focus", has_text="They saw the exit tickets.").first.wait_for(timeout=30_000)
    assert box.input_value() == "sel"  # the document still chosen, no letter typed into its box


DROP_CODE_SENDS = """(n) => {  // the next n codes the transcript sends are lost on the way (as walk 18 saw)
  window.qcDropped = 0;
  const root = window.qcTranscriptRoot;
  const real = root.qcSend;
  root.qcSend = (name, value) => {
    if (name === 'code' && window.qcDropped < n) { window.qcDropped += 1; return; }
    real(name, value);
  };
}"""


def _stored_codes(project) -> list[tuple[int, str]]:
    return sorted((e, c) for _, e, _, _, c in codings(project)[1])


def test_a_typed_code_lost_on_the_way_is_sent_again_and_saved_once(app_page):
    """Walk 18: about one code in ten typed with T, then Enter, never reached the project, and
    nothing said so. The page now confirms each code it receives; the transcript sends an
    unconfirmed one again (saved once), and says so when it still cannot get it through."""
    import time

    project, page = app_page
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            ex = doc_store.load_document(s, 1).excerpts
    finally:
        ctx.close()
    page.locator(".qc-focus", has_text="Our principals bought in.").first.wait_for()
    wait_idle(page)
    page.locator("h1").first.click()
    page.evaluate(DROP_CODE_SENDS, 1)  # the first send is lost
    page.keyboard.press("t")
    page.keyboard.type("Trust", delay=20)
    page.keyboard.press("Enter")
    deadline = time.monotonic() + 40
    while not codings(project)[1] and time.monotonic() < deadline:
        time.sleep(0.3)
    assert page.evaluate("window.qcDropped") == 1
    wait_idle(page)
    page.wait_for_timeout(3000)  # a later send again would code nothing twice
    assert _stored_codes(project) == [(ex[3].id, "trust")]
    assert page.locator(".qc-unsaved").is_hidden()

    # every send lost: the transcript says the code may not be saved, never silence
    wait_idle(page)
    page.locator("h1").first.click()
    page.evaluate(DROP_CODE_SENDS, 99)
    page.keyboard.press("t")
    page.keyboard.type("Evidence", delay=20)
    page.keyboard.press("Enter")
    note = page.locator(".qc-unsaved")
    note.wait_for(state="visible", timeout=40_000)
    assert note.inner_text().startswith("Evidence may not have been saved")
    if os.environ.get("QUALCODE_SCREENSHOTS_DIR"):
        page.screenshot(path=os.path.join(os.environ["QUALCODE_SCREENSHOTS_DIR"], "code-not-saved.png"))
    assert _stored_codes(project) == [(ex[3].id, "trust")]


def test_t_in_the_excerpts_view_opens_the_excerpt_in_the_transcript_with_its_code_box(app_page):
    """Walk 25: in the Excerpts view T did nothing, and the letters typed next ran as shortcuts
    (P, N, D...). T there opens the same excerpt in the Transcript view with its code box; the
    code typed goes on that excerpt."""
    from tests.browser.conftest import code_mode

    project, page = app_page
    code_mode(page, "Excerpts")
    page.locator(".st-key-focus-code button").first.wait_for()
    shown = page.locator(".st-key-focus-text").first.inner_text().strip()
    page.locator("h1").first.click()
    page.keyboard.press("t")
    page.locator(".qc-picker input").wait_for(state="visible", timeout=60_000)
    assert page.locator(".qc-what").inner_text() == f"Code “{shown}”"
    page.keyboard.type("Evidence", delay=30)
    page.keyboard.press("Enter")
    wait_idle(page)
    assert [c for *_, c in stored_with(project, "evidence")] == ["evidence"]


def test_a_code_name_typed_after_a_selection_never_reaches_the_shortcuts(app_page):
    """Walk 37: a drag that let go past the text left the words selected and opened no code box;
    the coder typed "Dignity" as the page's hint says, and D recorded "nothing here" on the open
    excerpt, N moved on, T opened the box on a third excerpt. A drag let go outside the text now
    opens the box on the words it covered, and a letter typed while words are selected starts
    the code's name in the box."""
    from qualcode.services import team

    project, page = app_page
    ctx = services.open_project(project, coder="alice")
    try:
        def nothing_heres():
            return len(team.audit_log(ctx, action="nothing_here"))

        # 1. a drag from inside a sentence to past the transcript's right edge
        run(page, "Our principals bought in.").wait_for()
        body = page.locator(".qc-body").first.bounding_box()
        words = run(page, "Our principals bought in.").bounding_box()
        assert body["x"] + body["width"] + 30 < 1400, body  # room to let go outside the text
        y = words["y"] + words["height"] / 2
        page.mouse.move(words["x"] + 2, y)
        page.mouse.down()
        page.mouse.move(words["x"] + words["width"] / 2, y, steps=4)
        page.mouse.move(body["x"] + body["width"] + 25, y, steps=4)
        page.mouse.up()
        page.locator(".qc-picker input").wait_for(state="visible", timeout=10_000)
        page.keyboard.type("Evidence")
        page.keyboard.press("Enter")
        stored = stored_with(project, "evidence")
        text, _ = codings(project)
        coded = [text[s:e] for _, _, s, e, c in stored if c == "evidence"]
        assert coded and coded[0].startswith("Our principals bought in."), coded
        assert nothing_heres() == 0
        wait_idle(page)
        # 2. words selected with no box open (however that came about): letters go to a box
        select_from = run(page, "I agree with Ana.").element_handle()
        page.evaluate(SELECT_QUIETLY, [select_from, 0, select_from, len("I agree")])
        assert page.locator(".qc-picker input").is_hidden()
        page.keyboard.type("Trust")  # T, r, u (undo!), s, t
        page.locator(".qc-picker input").wait_for(state="visible")
        assert page.locator(".qc-picker input").input_value() == "Trust"
        page.keyboard.press("Enter")
        stored = stored_with(project, "trust")
        text, _ = codings(project)
        assert [text[s:e] for _, _, s, e, c in stored if c == "trust"] == ["I agree"]
        assert nothing_heres() == 0
        assert len(team.audit_log(ctx, action="undo")) == 0
    finally:
        ctx.close()


def test_a_new_code_is_made_where_the_coder_codes(app_page):
    """Walk 37: coding inductively, a name the codebook did not hold gave "No code matches" and
    Enter did nothing; each new code meant leaving for the Codebook page. The box now offers
    "New code “…”": Enter adds it to the codebook (the words its first example) and codes them."""
    from qualcode.services import codebook as codebook_svc

    project, page = app_page
    select(page, "They saw the exit tickets.", len("They saw "), "They saw the exit tickets.", len("They saw the exit"))
    page.locator(".qc-picker input").wait_for(state="visible")
    page.keyboard.type("Feeling respected")
    page.locator(".qc-option", has_text="New code “Feeling respected”").first.wait_for()
    page.keyboard.press("Enter")
    ctx = services.open_project(project, coder="alice")
    try:
        import time

        deadline = time.monotonic() + 30
        made = None
        while made is None and time.monotonic() < deadline:
            made = next((c for c in codebook_svc.get_codebook(ctx).codes if c.name == "Feeling respected"), None)
            time.sleep(0.2)
        assert made is not None and made.codable and made.examples == ["the exit"]
        stored = stored_with(project, made.id)
        text, _ = codings(project)
        assert [text[s:e] for _, _, s, e, c in stored if c == made.id] == ["the exit"]
    finally:
        ctx.close()
    page.get_by_text("New code “Feeling respected” added to the codebook").first.wait_for()
    # the next box lists it as any other code, and offers no second one of that name
    select(page, "I agree with Ana.", 0, "I agree with Ana.", len("I agree"))
    page.locator(".qc-picker input").wait_for(state="visible")
    page.keyboard.type("feeling respected")
    page.locator(".qc-option", has_text="Feeling respected").first.wait_for()
    assert page.locator(".qc-option", has_text="New code").count() == 0


def test_add_a_code_in_the_side_panel_makes_a_new_code_too(app_page):
    """Walk 37 left alone: the side panel's "Add a code" only searched the codebook, so the
    mouse user (or one coding a whole excerpt) still had to leave for the Codebook page. A name
    it does not hold is offered as a new option; "Add code" adds it and codes the excerpt."""
    from qualcode.services import codebook as codebook_svc

    project, page = app_page
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            (excerpt,) = [x.id for x in doc_store.load_document(s, 1).excerpts if x.text == "They saw the exit tickets."]
    finally:
        ctx.close()
    run(page, "They saw the exit tickets.").click()
    page.locator('[data-testid="stSidebar"] ' + key(f"pick-{excerpt}")).wait_for()  # open in the side panel
    type_and_pick(page, f"pick-{excerpt}", "Visible evidence")  # the option reads "Add: Visible evidence"
    page.locator('[data-testid="stSidebar"]').get_by_text("is not in the codebook: Add code adds it").wait_for()
    page.locator(key(f"addcode-{excerpt}") + " button").first.click()
    page.get_by_text("New code “Visible evidence” added to the codebook").first.wait_for()
    ctx = services.open_project(project, coder="alice")
    try:
        (made,) = [c for c in codebook_svc.get_codebook(ctx).codes if c.name == "Visible evidence"]
        assert made.codable and made.examples == ["They saw the exit tickets."]
    finally:
        ctx.close()
    stored = stored_with(project, made.id)
    assert [(x, c) for _, x, _, _, c in stored if c == made.id] == [(excerpt, made.id)]
