"""In Chromium: the suggestions the coder sees follow their decisions and the codebook.

A project with two sample interviews and their first (cold) suggestions; the coder decides
a run of suggestions in the Code page's excerpt panel. Then the stored suggestions of a
later excerpt come from a learned model (their model id moves off ``cold``), the page says
so ("learned from your decisions on N excerpts") and shows the new chips; the excerpt being decided
kept its chips. A code added to the codebook gets suggestions without anyone asking, for the coder
and for a second coder who opens the Code page after another coder added it.

Set QUALCODE_SCREENSHOTS_DIR to keep screenshots.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from qualcode import services
from qualcode.core import Code
from qualcode.services import suggest as suggest_svc
from qualcode.storage import coding as coding_store
from qualcode.storage import training
from tests.browser.conftest import code_mode, key, suggested_project, to_first_suggestion, wait_idle
from tests.browser.test_browser_e2e import goto, ids_of, shot
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

DOCS = [SAMPLES / "2018_interview_team_member_math.txt", SAMPLES / "2021_interview_team_member_literacy.srt"]


def _pending(project: Path, **kw):
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            return coding_store.list_suggestions(s, status="pending", **kw), training.reviewed_by(s, ctx.coder_id(s))
    finally:
        ctx.close()


def _likely(sg) -> bool:
    """What "Accept the N likely" takes (``ui.transcript.turn_block``)."""
    p = (sg.explanation or {}).get("probability")
    return (p if isinstance(p, (int, float)) else sg.score) >= suggest_svc.LIKELY


def _decided(project: Path) -> int:
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            return sum(sg.status.value != "pending" for sg in coding_store.list_suggestions(s))
    finally:
        ctx.close()


def _ids_in(locator, pattern: str) -> list[int]:
    """Ids in the st-key-... classes matching ``pattern`` inside ``locator``."""
    classes = locator.locator('[class*="st-key-"]').evaluate_all("els => els.map(e => e.className)")
    return list(dict.fromkeys(int(m.group(1)) for c in classes for m in re.finditer(rf"st-key-{pattern}(?:\s|$)", c)))


def _poll(fn, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = fn()
        if out:
            return out
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _add_code(project, code: Code) -> None:
    """Add a code to the project's codebook from outside the app (another process, as alice)."""
    from qualcode.services import codebook as codebook_svc

    ctx = services.open_project(project, coder="alice")
    try:
        codebook_svc.add_code(ctx, code)
    finally:
        ctx.close()


def test_suggestions_follow_decisions_and_a_new_code_in_the_browser(tmp_path, start_app, page):
    if not all(p.exists() for p in DOCS):
        pytest.skip("sample transcripts not in the repository")
    project = suggested_project(tmp_path / "live", DOCS)
    cold, _ = _pending(project)
    assert cold and all(sg.model_id.endswith("/cold") for sg in cold)

    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Code")
    page.wait_for_selector(key("code-learning"))
    assert "codebook only" in page.locator(key("code-learning")).inner_text()
    shot(page, "live-cold")
    code_mode(page, "Excerpts")  # the chips under every sentence
    to_first_suggestion(page)  # the page opens at the first excerpt from the top
    page.wait_for_selector('[class*="st-key-fchip-"]')

    # A run of decisions on the transcript's chips (accept, reject, ...), each stored at once.
    tried: set[int] = set()
    for _ in range(40):
        if _decided(project) >= 6:
            break
        wait_idle(page)
        chips = [i for i in ids_of(page, r"chip-(\d+)-pending") if i not in tried]
        if not chips:  # the page is between runs: look again
            time.sleep(0.5)
            continue
        sid = chips[0]
        tried.add(sid)
        button = f"acc-{sid}" if len(tried) % 2 else f"rej-{sid}"
        if page.locator(key(button)).count():  # a refresh may just have replaced it
            page.locator(key(button) + " button").first.dispatch_event("click")
            time.sleep(0.3)
    assert _decided(project) >= 6

    # A later excerpt, not reviewed: its stored suggestions come from a learned model.
    def learned():
        pend, reviewed = _pending(project)
        return [sg for sg in pend if sg.excerpt_id not in reviewed and not sg.model_id.endswith("/cold")]

    fresh = _poll(learned, 300, "learned suggestions on unreviewed excerpts")
    assert all(suggest_svc.learned_from(sg.model_id) >= 1 for sg in fresh)

    def settled() -> bool:  # the page, drawn again, says the refresh is done
        goto(page, "Code")
        text = page.locator(key("code-learning")).inner_text()
        return "learned from" in text and not any(w in text for w in ("updating", "learning from your", "loading"))

    _poll(settled, 300, "the background refresh to finish")
    page.wait_for_function("() => document.querySelector('.st-key-code-learning')"
                           " && document.querySelector('.st-key-code-learning').innerText.includes('learned from')",
                           timeout=60_000)
    goto(page, "Code")
    on_page = set(ids_of(page, r"chip-(\d+)-pending"))
    assert on_page & {sg.id for sg in fresh}, "the page shows the learned suggestions"
    shot(page, "live-learned")

    # The open excerpt keeps its chips until the coder moves on. Open an undecided excerpt (its
    # pencil button), then decide a whole other turn ("Accept all": the open excerpt stays
    # open): the coder's model relearns and every other unreviewed excerpt is re-scored by it,
    # but the open one keeps the chips it is showing.
    pend1, reviewed = _pending(project)
    by_ex: dict[int, list] = {}
    for sg in pend1:
        if sg.excerpt_id not in reviewed:
            by_ex.setdefault(sg.excerpt_id, []).append(sg)
    turns = {t: _ids_in(page.locator(key(f"turn-{t}")).first, r"ex-(\d+)") for t in ids_of(page, r"accall-(\d+)")}
    # a turn whose "Accept the N likely" takes a chip on an excerpt not reviewed yet (it accepts
    # only chips of 50% or more: those on reviewed excerpts add no decided excerpt to learn from)
    target = next(t for t, exs in turns.items() if any(_likely(sg) for e in exs for sg in by_ex.get(e, [])))
    opened = next(e for t, exs in turns.items() if t != target for e in exs
                  if e in by_ex and page.locator(key(f"focus-{e}")).count())
    page.locator(key(f"focus-{opened}") + " button").first.click()
    wait_idle(page)
    page.wait_for_selector(key(f"fchip-{by_ex[opened][0].id}"))  # the sidebar shows it
    open_before = sorted((sg.id, sg.code_id, sg.model_id) for sg in by_ex[opened])
    learned_before = max(suggest_svc.learned_from(sg.model_id) for sg in pend1 if not sg.model_id.endswith("/cold"))
    page.locator(key(f"accall-{target}") + " button").first.click()
    wait_idle(page)

    def relearned():
        pend, reviewed = _pending(project)
        return [sg for sg in pend if sg.excerpt_id not in reviewed and sg.excerpt_id != opened
                and not sg.model_id.endswith("/cold") and suggest_svc.learned_from(sg.model_id) > learned_before]

    _poll(relearned, 300, "the other excerpts re-scored after the turn's decisions")
    _poll(settled, 300, "the background refresh to finish")
    pend2, _ = _pending(project)
    assert sorted((sg.id, sg.code_id, sg.model_id) for sg in pend2 if sg.excerpt_id == opened) == open_before, \
        "the open excerpt kept its chips"

    # A new code gets suggestions at once (the Code page follows the codebook).
    _add_code(project, Code(id="math_talk", name="Math talk",
                            definition="Talk about mathematics: math lessons, fractions, problems, "
                                       "students' math work and math teachers.",
                            keywords=["math", "mathematics", "fractions"]))
    # the page as it is, no click (walk 10: the open Code page showed nothing of a new code's
    # suggestions for 95 s, until the coder clicked): it follows the change by itself

    def new_code():
        pend, _ = _pending(project)
        return [sg for sg in pend if sg.code_id == "math_talk"]

    _poll(new_code, 300, "suggestions for the new code")
    offer = page.locator(key("code-new-suggestions"))
    offer.wait_for(timeout=120_000)
    assert "Math talk" in offer.inner_text()
    offer.scroll_into_view_if_needed()
    shot(page, "live-new-code-offer")
    offer.locator("button").click()
    offer.wait_for(state="detached", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('.st-key-code-learning')"
                           " || !document.querySelector('.st-key-code-learning').innerText.includes('updating')",
                           timeout=120_000)
    goto(page, "Code")
    shot(page, "live-new-code")
    made = new_code()
    assert made and all(suggest_svc.learned_from(sg.model_id) >= 1 for sg in made)  # by the learned model
    assert "learned from" in page.locator(key("code-learning")).inner_text()

    # A code another coder adds (here in another process) is suggested to a second coder as soon
    # as they open the Code page: bob's first look in the app's process, after alice's change.
    _add_code(project, Code(id="family_outreach", name="Family outreach",
                            definition="Reaching families at home: calls to parents, videos and "
                                       "messages for families, meal pickups.",
                            keywords=["families", "parents", "WhatsApp"]))
    bob = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        bob.goto(f"{app.url}/?coder=bob")
        wait_idle(bob)
        goto(bob, "Code")
        bob.wait_for_selector(key("code-learning"))

        def for_bob():  # pending rows are shared: bob's own cold model or alice's page (which follows
            # the codebook by itself now) may be the first to make them; either way bob is offered them
            pend, _ = _pending(project)
            return [sg for sg in pend if sg.code_id == "family_outreach"]

        _poll(for_bob, 300, "bob's suggestions for the code alice added")
        wait_idle(bob)
        shot(bob, "live-second-coder")
        # bob has decided nothing: the line never says his decisions taught a model, and names whose did
        line = bob.locator(key("code-learning")).inner_text()
        assert "your decisions on" not in line and ("codebook only" in line or "alice's model" in line), line
    finally:
        bob.context.close()


def test_look_again_for_a_code_added_after_excerpts_were_finished(tmp_path, start_app, page):
    """Walk 19: a code added mid-way was suggested only where the coder had not been yet; the
    excerpts they had finished were never looked at for it (and Agreement counted them as "not
    applied"). The Code page says so and "Look again for <code>" puts that code's chips on those
    finished excerpts; "Show them" opens the first, and accepting it codes a finished excerpt."""
    if not DOCS[0].exists():
        pytest.skip("sample transcripts not in the repository")
    from qualcode.services import coding, suggest as suggest_svc
    from qualcode.storage import documents as doc_store

    project = suggested_project(tmp_path / "late", DOCS[:1])
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            (doc,) = doc_store.list_documents(s)
            excerpts = [e.id for e in doc_store.load_document(s, doc["id"]).excerpts if e.codable]
        finished = excerpts[:20]
        for e in finished:
            coding.mark_reviewed(ctx, e)
    finally:
        ctx.close()
    time.sleep(0.05)
    _add_code(project, Code(id="math_talk", name="Math talk",
                            definition="Talk about mathematics: math lessons, algebra, students' math "
                                       "and math teachers.", keywords=["math", "algebra"]))
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Code")
    line = page.locator(key("code-late-math_talk"))
    line.wait_for(timeout=120_000)
    assert "Math talk was added after you had finished 20 excerpts" in line.inner_text()
    line.scroll_into_view_if_needed()
    shot(page, "late-code-line")
    line.locator("button").first.click()
    show = page.locator(key("code-late-show-math_talk"))
    show.wait_for(timeout=300_000)
    wait_idle(page)
    assert any("Math talk: suggested on" in t for t in page.locator('[data-testid="stAlert"]').all_inner_texts())
    chips, _ = _pending(project)
    again = [sg for sg in chips if sg.code_id == "math_talk" and sg.excerpt_id in finished]
    assert again, "the new code's chips on finished excerpts"
    assert f"Math talk is suggested on {len(again)} excerpt" in line.inner_text()
    ordered = sorted(again, key=lambda sg: excerpts.index(sg.excerpt_id))
    line.scroll_into_view_if_needed()
    shot(page, "late-code-looked")
    # "Show them" opens the first; with one of them open already (the page opens on the first
    # suggestion), the next one (walk 23: it did nothing then)
    open_now = [sg for sg in ordered if page.locator(key(f"fchip-{sg.id}")).count()]
    first = ordered[(ordered.index(open_now[0]) + 1) % len(ordered)] if open_now else ordered[0]
    show.locator("button").first.click()
    wait_idle(page)
    page.wait_for_selector(key(f"fchip-{first.id}"), timeout=60_000)  # the sidebar opened it
    shot(page, "late-code-shown")
    page.locator(key(f"facc-{first.id}") + " button").first.click()
    wait_idle(page)

    def coded():
        c = services.open_project(project, coder="alice")
        try:
            with c.session(readonly=True) as s:
                return [x for x in coding_store.list_codings(s, excerpt_ids=[first.excerpt_id])
                        if x.code_id == "math_talk" and x.coder == "alice"]
        finally:
            c.close()

    _poll(coded, 60, "the accepted chip coded the finished excerpt")
    c = services.open_project(project, coder="alice")
    try:
        (late,) = suggest_svc.late_codes(c)
        assert late["finished"] == 19 and late["open"] == len(again) - 1
        for sg in again:  # the other chips turned down, as the coder would one by one
            if sg.id != first.id:
                coding.reject_suggestion(c, sg.id)
        rest = 20 - len(again)
    finally:
        c.close()
    # what the model left unflagged: "Not on any of them" settles it (walk 21), and the line goes
    goto(page, "Code")
    none = page.locator(key("code-late-none-math_talk"))
    none.wait_for(timeout=60_000)
    assert f"nothing more was flagged on the {rest} excerpt" in line.inner_text()
    line.scroll_into_view_if_needed()
    shot(page, "late-code-rest")
    none.locator("button").first.click()
    wait_idle(page)
    line.wait_for(state="detached", timeout=60_000)
    assert any(f"{rest} excerpt" in t and "now count as looked at" in t
               for t in page.locator('[data-testid="stAlert"]').all_inner_texts())
    c = services.open_project(project, coder="alice")
    try:
        assert suggest_svc.late_codes(c) == []
    finally:
        c.close()
