"""In Chromium: a second coder's work, coded in another program (a REFI-QDA .qdpx with a BOM
and CRLF, as NVivo for Windows writes it), is brought into the open project from the
Agreement page: preview first (nothing written), then merge, agreement has units for both
coders, and one undo takes the merge back (issue 13 point 6, issue 15).

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qualcode import services
from qualcode.services import coding
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from tests.browser.conftest import key, shot, wait_idle
from tests.conftest import make_document
from tests.refi_helpers import C_TRUST, U_NADIA, U_OMAR, Src, build_qdpx, span

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def _codings(project: Path) -> list[tuple[str, str]]:
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            return sorted((c.coder, c.code_id) for c in coding_store.list_codings(s))
    finally:
        ctx.close()


def test_merge_a_colleagues_qdpx_from_the_agreement_page(tmp_path, start_app, page):
    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    with ctx.session() as s:
        doc_id = doc_store.add_document(s, make_document("Reyes interview"))
    with ctx.session(readonly=True) as s:
        doc = doc_store.load_document(s, doc_id)
    coding.add_coding(ctx, doc.excerpts[1].id, "trust")
    coding.mark_reviewed(ctx, doc.excerpts[2].id)
    ctx.close()
    written = "\ufeff" + doc.text.replace("\n", "\r\n")
    qdpx = tmp_path / "nadia-nvivo.qdpx"
    qdpx.write_bytes(build_qdpx([Src("11111111-2222-4333-8444-555555555555", "Reyes interview.docx",
                                     written.encode("utf-8"),
                                     [(*span(written, "That built trust."), [(C_TRUST, U_NADIA)]),
                                      (*span(written, "bought in once"), [(C_TRUST, U_OMAR)])])],
                                codes=f'<Codes><Code guid="{C_TRUST}" name="Trust" isCodable="true"/></Codes>',
                                folder="Sources", qde_name="Study.qde"))
    before = _codings(project)

    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.locator('[data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(r"Agreement\s*$")).first.click()
    page.wait_for_selector('h1:has-text("Agreement")')
    wait_idle(page)
    # one coder so far: the page says how to bring a colleague's work in
    page.wait_for_selector("text=bring their work into this project")
    shot(page, "merge-1-agreement-one-coder")
    page.get_by_role("tab", name="Bring in a colleague's work").click()
    page.locator('[class*="st-key-colleague-file-"] input[type="file"]').set_input_files(str(qdpx))
    page.wait_for_selector("h3:has-text(\"What will be merged\")", timeout=60_000)
    page.wait_for_selector('[data-testid="stTable"] >> text=Omar', timeout=60_000)
    wait_idle(page)
    shot(page, "merge-2-preview")
    assert _codings(project) == before  # the preview wrote nothing
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "New codings" in body and "Nadia" in body and "Omar" in body
    page.locator(key("colleague-merge") + " button").first.click()
    page.wait_for_selector('[data-testid="stAlert"] >> text=Merged nadia-nvivo.qdpx', timeout=60_000)
    wait_idle(page)
    # said in the tab where the coder clicked (walk 22: above the tabs, it went unseen)
    assert page.locator('[role="tabpanel"] [data-testid="stAlert"]').filter(
        has_text="Merged nadia-nvivo.qdpx").first.is_visible()
    shot(page, "merge-3-merged")
    after = _codings(project)
    assert ("Nadia", "trust") in after and ("Omar", "trust") in after and len(after) == len(before) + 2

    # Agreement now compares alice with the colleague's coders on the excerpts they all reviewed
    page.get_by_role("tab", name="Agreement").first.click()
    wait_idle(page)
    page.wait_for_selector("text=Excerpts all reviewed")
    page.wait_for_selector(key("agr-coders") + " >> text=Nadia")  # the new coders are compared
    page.wait_for_selector(key("agr-coders") + " >> text=Omar")
    shot(page, "merge-4-agreement")

    # one undo takes the whole merge back
    page.get_by_role("tab", name="Bring in a colleague's work").click()
    page.locator(key("colleague-undo") + " button").first.click()
    page.wait_for_selector('[data-testid="stAlert"] >> text=Undone: merge', timeout=60_000)
    wait_idle(page)
    assert _codings(project) == before
    # walk 36: the button stayed, and a second click would have undone alice's own latest coding
    assert page.locator(key("colleague-undo")).count() == 0
