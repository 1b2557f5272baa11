"""In Chromium: a second coder under independent coding gets suggestions on the excerpts the
first coder finished.

Walk 26: maria decided a run of excerpts; her model's suggestions there (hidden from a blind
colleague) were all decided. joseph, the second coder of a blind sample, then coded 18 of those
excerpts in a row with no chip at all: every pair maria had decided was blocked for his own
model too. Here maria's learned model's suggestions on three excerpts are cleared by her with
"Nothing here"; joseph opens the transcript, accepts the first chip of the excerpt the page opens,
and his own model's suggestions appear on maria's three finished excerpts, on his page and not
on hers.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qualcode import services
from qualcode.core import Suggestion
from qualcode.services import coding, team
from qualcode.storage import coding as coding_store
from tests.browser.conftest import code_mode, key, suggested_project, to_first_suggestion, wait_idle
from tests.browser.test_browser_e2e import goto, ids_of, shot
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

DOC = SAMPLES / "2018_interview_team_member_math.txt"


def _rows(project: Path, excerpts: set[int]) -> list[Suggestion]:
    ctx = services.open_project(project, coder="maria")
    try:
        with ctx.session(readonly=True) as s:
            return [sg for sg in coding_store.list_suggestions(s, excerpt_ids=sorted(excerpts))]
    finally:
        ctx.close()


def test_a_blind_second_coder_gets_suggestions_where_the_first_finished(tmp_path, start_app, page):
    if not DOC.exists():
        pytest.skip(f"sample transcript {DOC.name} not in the repository")
    project = suggested_project(tmp_path / "blind", [DOC], coder="maria")
    maria = services.open_project(project, coder="maria")
    try:
        with maria.session(readonly=True) as s:
            pending = coding_store.list_suggestions(s, status="pending")
        order = list(dict.fromkeys(sg.excerpt_id for sg in sorted(pending, key=lambda sg: sg.excerpt_id)))
        targets = set(order[1:4])  # joseph accepts on the first; maria finished the next three
        # maria's learned model re-scored them (a refresh re-stamps the rows it proposes again)
        learned = [Suggestion(excerpt_id=sg.excerpt_id, code_id=sg.code_id, score=sg.score,
                              model_id=sg.model_id.replace("/cold", "/h9-5eed0001"),
                              explanation={**sg.explanation, "model_of": "maria"})
                   for sg in pending if sg.excerpt_id in targets]
        with maria.session() as s:
            coding_store.upsert_suggestions(s, learned, replace_pending_for=sorted(targets))
        for e in sorted(targets):
            coding.nothing_here(maria, e)
        team.set_independent_coding(maria, True)
    finally:
        maria.close()
    hidden = {(sg.excerpt_id, sg.code_id) for sg in _rows(project, targets)}
    assert hidden and all(sg.status.value == "rejected" for sg in _rows(project, targets))

    app = start_app(project, coder="joseph")
    page.goto(app.url)
    wait_idle(page)
    goto(page, "Code")
    code_mode(page, "Excerpts")
    to_first_suggestion(page)  # the page opens at the first excerpt from the top
    page.wait_for_selector(key("focus-accept") + " button")
    on_page = set(ids_of(page, r"chip-(\d+)-pending"))
    assert not on_page & {sg.id for sg in _rows(project, targets)}  # maria's rows: not shown to joseph
    page.locator(key("focus-accept") + " button").first.click()  # joseph's first decision
    wait_idle(page)

    def his() -> list[Suggestion]:
        return [sg for sg in _rows(project, targets)
                if sg.status.value == "pending" and sg.explanation.get("model_of") == "joseph"]

    deadline = time.monotonic() + 240
    while not his() and time.monotonic() < deadline:
        time.sleep(1)
    mine = his()
    assert mine, "joseph's own model suggests nothing on the excerpts maria finished"
    assert {(sg.excerpt_id, sg.code_id) for sg in mine} & hidden  # the very pairs maria had decided

    deadline = time.monotonic() + 120
    shown: set[int] = set()
    while time.monotonic() < deadline:
        goto(page, "Code")
        shown = set(ids_of(page, r"chip-(\d+)-pending")) & {sg.id for sg in his()}
        if shown:
            break
        time.sleep(2)
    assert shown, "joseph's page shows his model's chips on maria's finished excerpts"
    shot(page, "blind-second-coder")

    maria_page = start_app(project, coder="maria")  # and maria's own page does not offer them
    page.goto(maria_page.url)
    wait_idle(page)
    goto(page, "Code")
    code_mode(page, "Excerpts")
    wait_idle(page)
    assert not set(ids_of(page, r"chip-(\d+)-pending")) & {sg.id for sg in his()}
