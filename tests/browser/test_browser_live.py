"""In Chromium: the suggestions the coder sees follow their decisions and the codebook.

A project with two sample interviews and their first (cold) suggestions; the coder decides
a run of suggestions in the Code page's excerpt panel. Then the stored suggestions of a
later excerpt come from a learned model (their model id moves off ``cold``), the page says
so ("learned from your decisions on N excerpts") and shows the new chips; the excerpt being decided
kept its chips. A code added to the codebook gets suggestions without anyone asking.

Set QUALCODE_SCREENSHOTS_DIR to keep screenshots.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qualcode import services
from qualcode.core import Code
from qualcode.storage import coding as coding_store
from qualcode.storage import training
from tests.browser.conftest import code_mode, key, wait_idle
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


def _decided(project: Path) -> int:
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            return sum(sg.status.value != "pending" for sg in coding_store.list_suggestions(s))
    finally:
        ctx.close()


def _poll(fn, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = fn()
        if out:
            return out
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_suggestions_follow_decisions_and_a_new_code_in_the_browser(tmp_path, start_app, page):
    if not all(p.exists() for p in DOCS):
        pytest.skip("sample transcripts not in the repository")
    from qualcode.services import ingest
    from qualcode.services import suggest as suggest_svc

    project = tmp_path / "live"
    ctx = services.init_project(project, coder="alice")
    ingest.ingest_paths(ctx, DOCS)
    suggest_svc.suggest_all(ctx)
    ctx.close()
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
    # The open excerpt (the side panel's): its chips must not change under the coder's eyes.
    page.wait_for_selector('[class*="st-key-fchip-"]')
    open_chips = set(ids_of(page, r"fchip-(\d+)"))
    pend0, _ = _pending(project)
    open_before = sorted((sg.id, sg.code_id, sg.model_id) for sg in pend0 if sg.id in open_chips)
    assert open_before and len({sg.excerpt_id for sg in pend0 if sg.id in open_chips}) == 1

    # A run of decisions on the transcript's chips of other excerpts (accept, reject, ...),
    # each stored at once.
    tried: set[int] = set(open_chips)
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
    pend1, _ = _pending(project)
    assert sorted((sg.id, sg.code_id, sg.model_id) for sg in pend1 if sg.id in open_chips) == open_before, \
        "the open excerpt kept its chips (still the codebook's)"
    page.wait_for_function("() => document.querySelector('.st-key-code-learning')"
                           " && document.querySelector('.st-key-code-learning').innerText.includes('learned from')",
                           timeout=60_000)
    goto(page, "Code")
    on_page = set(ids_of(page, r"chip-(\d+)-pending"))
    assert on_page & {sg.id for sg in fresh}, "the page shows the learned suggestions"
    shot(page, "live-learned")

    # A new code gets suggestions at once (the Code page follows the codebook).
    ctx = services.open_project(project, coder="alice")
    from qualcode.services import codebook as codebook_svc

    codebook_svc.add_code(ctx, Code(id="math_talk", name="Math talk",
                                    definition="Talk about mathematics: math lessons, fractions, problems, "
                                               "students' math work and math teachers.",
                                    keywords=["math", "mathematics", "fractions"]))
    ctx.close()
    goto(page, "Code")

    def new_code():
        pend, _ = _pending(project)
        return [sg for sg in pend if sg.code_id == "math_talk"]

    _poll(new_code, 300, "suggestions for the new code")
    page.wait_for_function("() => !document.querySelector('.st-key-code-learning')"
                           " || !document.querySelector('.st-key-code-learning').innerText.includes('updating')",
                           timeout=120_000)
    goto(page, "Code")
    shot(page, "live-new-code")
    made = new_code()
    assert made and all(suggest_svc.learned_from(sg.model_id) >= 1 for sg in made)  # by the learned model
    assert "learned from" in page.locator(key("code-learning")).inner_text()
