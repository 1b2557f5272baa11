"""In Chromium, what walk 29 (two coders of a health programme, Agreement and REFI-QDA) found: with
independent coding off (the default) the second coder saw the first one's codes beside each excerpt,
in a line read as their own, and the Agreement page reported kappa as for a blind sample. Now adding
the coder says so, the colleague's codes stand in a block of their own, and Agreement warns.
"""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.services import coding
from qualcode.storage import documents
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_e2e import goto, shot
from tests.conftest import make_document

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_second_coder_is_told_coding_is_not_blind_and_agreement_says_so(tmp_path, start_app, page):
    project = tmp_path / "chw"
    ctx = services.init_project(project, coder="alice")
    try:
        with ctx.session() as s:
            ex = documents.load_document(s, documents.add_document(s, make_document())).excerpts
        ana, ben = ex[1], ex[2]
        coding.add_coding(ctx, ana.id, "trust")
        coding.add_coding(ctx, ben.id, "buy_in")
    finally:
        ctx.close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.locator(key("coder_new") + " input").fill("theo")
    page.locator(key("coder_add") + " button").click()
    page.get_by_text("Independent coding is off, so theo will see alice's codes beside each excerpt.").first.wait_for(
        timeout=60_000)
    wait_idle(page)
    shot(page, "walk29-theo-added")
    goto(page, "Code")
    block = page.locator(key(f"colleagues-{ana.id}"))
    block.wait_for(timeout=60_000)
    text = block.inner_text()
    assert "Colleagues' codes here" in text and "alice: Trust" in text, text
    shot(page, "walk29-colleagues-block")
    page.locator(key(f"focus-none-e{ana.id}") + " button").first.click()  # theo: nothing here, with alice's code shown
    page.locator(key(f"colleagues-{ben.id}")).wait_for(timeout=60_000)  # moved on to Ben's
    wait_idle(page)
    goto(page, "Agreement")
    note = page.get_by_text("Not a blind comparison: on 1 of the 1 excerpt all these coders finished")
    note.first.wait_for(timeout=60_000)
    shot(page, "walk29-not-blind")


def _qdpx_of_two_coders(tmp_path):
    """A coded project's .qdpx (alice and bob on one transcript), a copy with a selection past the
    end of its text, and a truncated one."""
    import io
    import re
    import zipfile

    from qualcode.services import export as export_svc

    ctx = services.init_project(tmp_path / "source", coder="alice")
    try:
        with ctx.session() as s:
            ex = documents.load_document(s, documents.add_document(s, make_document("rosa"))).excerpts
        coding.add_coding(ctx, ex[1].id, "trust")
        coding.add_coding(ctx.as_coder("bob"), ex[1].id, "trust")
        coding.add_coding(ctx.as_coder("bob"), ex[2].id, "buy_in")
        raw = export_svc.qdpx_bytes(ctx)
    finally:
        ctx.close()
    good = tmp_path / "partner.qdpx"
    good.write_bytes(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "project.qde":
                data = re.sub(rb'endPosition="\d+"', b'endPosition="99999"', data, count=1)
            zout.writestr(item, data)
    past = tmp_path / "past_the_end.qdpx"
    past.write_bytes(out.getvalue())
    cut = tmp_path / "cut.qdpx"
    cut.write_bytes(raw[: len(raw) // 2])
    return good, past, cut


def test_a_new_project_opens_from_a_partners_qdpx(tmp_path, start_app, page):
    """Walk 29: a partner's coded project (.qdpx) could be merged into a project in the app, but a
    new project from one took the command line. The Create form now takes it: a broken file is
    refused by name and leaves no project; a selection past the text is said, not hidden."""
    good, past, cut = _qdpx_of_two_coders(tmp_path)
    folder = tmp_path / "from-partner"
    app = start_app(folder, coder="maya", direct=True)
    page.goto(app.url)
    wait_idle(page)
    page.get_by_text("There is no qualcode project in").wait_for()
    upload = page.locator(key("project_new_codebook_file")).locator('input[type="file"]')

    def create_from(file, says: str, clears: str | None = None) -> str:
        upload.set_input_files(str(file))
        if clears:  # the new file's rerun clears the last refusal: on a loaded machine the upload
            # could still be on its way when wait_idle looked, and Create, clicked meanwhile, was lost
            page.locator('[data-testid="stAlert"]').filter(has_text=clears).wait_for(state="detached")
        wait_idle(page)
        page.get_by_role("button", name="Create").click()
        wait_idle(page)
        alert = page.locator('[data-testid="stAlert"]').filter(has_text=says)
        alert.wait_for()
        return alert.inner_text()

    said = create_from(cut, "cut.qdpx")
    assert "not a .qdpx (zip) file" in said, said
    assert not (folder / "project.db").exists()
    text = create_from(past, "Created a project in", clears="cut.qdpx")
    # the one selection past the end held alice's and bob's trust: bob's buy-in alone comes in
    assert "from past_the_end.qdpx: 1 document," in text and "1 coding, 0 memos" in text, text
    assert "Not brought in:" in text and "outside the text" in text and "2 coding(s) were left out" in text, text
    shot(page, "walk29-created-from-qdpx")
    ctx = services.open_project(folder)
    try:
        from qualcode.services import team

        assert [(c.coder, c.code_id) for c in team.visible_codings(ctx)] == [("bob", "buy_in")]
    finally:
        ctx.close()
    # a folder that holds a project already is refused: a colleague's file is merged there instead
    page.get_by_text("Open or create a project").first.click()
    wait_idle(page)
    create_from(good, "holds a project already")
