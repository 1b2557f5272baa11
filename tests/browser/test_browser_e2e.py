"""End to end in Chromium: a coder's day, checked in the project's storage and the export.

Start `qualcode app` on a fresh project; import a sample transcript through the Import
page's uploader; accept one suggestion and reject another; add a code by hand; write a
memo; download the coded excerpts from the Export page (named for the project's name; before
anything is coded the page says so). Also: transcript text that looks
like HTML or Markdown stays inert text in the browser.

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each page (docs/screenshots/).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
from playwright.sync_api import expect
import pytest

from qualcode import services
from qualcode.storage import coding as coding_store
from tests.browser.conftest import code_mode, key, type_and_pick, wait_idle
from tests.conftest import SAMPLES
from tests.ui_helpers import EVIL

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]

SAMPLE = SAMPLES / "2018_interview_team_member_math.txt"


def shot(page, name: str) -> None:
    out = os.environ.get("QUALCODE_SCREENSHOTS_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(out) / f"{name}.png"))


def goto(page, title: str) -> None:
    """Navigate with the app's own top navigation (keeps the browser session)."""
    page.locator('[data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(rf"(^|[a-z_0-9])\s*{title}\s*$")).first.click()
    page.wait_for_selector(f'h1:has-text("{title}")')
    wait_idle(page)


def open_import(page, url: str, files: list) -> None:
    """Open the app at ``url``, go to the Import page and drop ``files`` on its transcripts' uploader."""
    page.goto(url)
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')
    goto(page, "Import")
    page.locator('[class*="st-key-imp_files_"] input[type="file"]').set_input_files([str(f) for f in files])


def ids_of(page, pattern: str) -> list[int]:
    """Ids in the st-key-... classes matching ``pattern`` (e.g. 'chip-(\\d+)-pending')."""
    classes = page.eval_on_selector_all('[class*="st-key-"]', "els => els.map(e => e.className)")
    found = []
    for c in classes:
        for m in re.finditer(rf"st-key-{pattern}(?:\s|$)", c):
            found.append(int(m.group(1)))
    return list(dict.fromkeys(found))


def read_state(project: Path):
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            sugg = {sg.id: sg for sg in coding_store.list_suggestions(s)}
            codings = coding_store.list_codings(s)
            memos = coding_store.list_memos(s)
        return sugg, codings, memos, services.project_status(ctx)
    finally:
        ctx.close()


def test_a_coders_day_in_the_browser(tmp_path, start_app, page):
    if not SAMPLE.exists():
        pytest.skip(f"sample transcript {SAMPLE.name} not in the repository")
    project = tmp_path / "study"
    services.init_project(project, coder="alice", name="Bridges mentoring evaluation").close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')
    shot(page, "project-empty")

    # Nothing coded yet: the Export page says so, and offers only what is not empty.
    goto(page, "Export")
    page.locator('[data-testid="stAlert"]').filter(has_text="Nothing is coded yet").wait_for()
    assert page.locator(key("prep-export_excerpts") + " button").first.is_disabled()
    assert page.locator(key("prep-export_codebook") + " button").first.is_enabled()

    # Import through the uploader: preview, then save (and first suggestions).
    goto(page, "Import")
    page.locator('[class*="st-key-imp_files_"] input[type="file"]').set_input_files(str(SAMPLE))
    page.wait_for_selector('[data-testid="stExpander"] >> text=speakers')
    wait_idle(page)
    page.locator(key("imp_table_0") + ' input[type="file"]').set_input_files(str(SAMPLES / "attributes.csv"))
    page.wait_for_function("() => [...document.querySelectorAll('input')].some(i => i.value.includes('year=2018'))")
    wait_idle(page)
    shot(page, "import")
    page.locator(key("imp_go") + " button").first.click()
    page.wait_for_selector('[data-testid="stAlert"] >> text=imported', timeout=240_000)
    wait_idle(page)
    _, _, _, counts = read_state(project)
    assert counts["documents"] == 1
    from qualcode.services import ingest

    ctx = services.open_project(project)
    (doc,) = ingest.list_documents(ctx)
    ctx.close()
    assert doc["attributes"].get("year") == "2018" and doc["attributes"].get("format")  # from the table

    # Code: accept one chip, reject another; each stored at once.
    goto(page, "Code")
    code_mode(page, "Excerpts")  # chips on every sentence
    page.wait_for_selector('[class*="st-key-chip-"][class*="-pending"]', timeout=60_000)
    pending = ids_of(page, r"chip-(\d+)-pending")
    assert len(pending) >= 2, "the imported transcript has suggestions to review"
    first, second = pending[0], pending[1]
    page.locator(key(f"acc-{first}") + " button").first.click()
    page.wait_for_selector(key(f"chip-{first}-accepted"))
    wait_idle(page)
    # the cross says what it does to a screen reader ("Reject <code>", not the icon's "close")
    # and is drawn as a cross alone, as narrow as before
    cross = page.locator(key(f"rej-{second}") + " button").first
    name = page.evaluate("""(sid) => {
        const b = document.querySelector(`.st-key-rej-${sid} button`);
        return [b.innerText, b.getBoundingClientRect().width]; }""", second)
    assert "Reject " in name[0] and name[1] < 60, name
    expect(cross).to_have_accessible_name(re.compile(r"\bReject \w"))
    cross.click()
    page.wait_for_selector(key(f"chip-{second}-rejected"))
    wait_idle(page)
    sugg, codings, _, _ = read_state(project)
    assert sugg[first].status.value == "accepted" and sugg[first].decided_by == "alice"
    assert sugg[second].status.value == "rejected"
    accepted_code = sugg[first].code_id
    assert any(c.suggestion_id == first and c.code_id == accepted_code for c in codings)
    shot(page, "code")

    # Add a code by hand to an excerpt, then a memo, in the excerpt panel.
    excerpt = ids_of(page, r"focus-(\d+)")[-1]
    page.locator(key(f"focus-{excerpt}") + " button").first.click()
    wait_idle(page)
    type_and_pick(page, f"pick-{excerpt}", "Evidence")
    page.locator(key(f"addcode-{excerpt}") + " button").first.click()
    page.locator('[data-testid="stSidebar"]').get_by_text("Your codes here").wait_for()  # what the coder sees
    wait_idle(page)
    page.locator(key(f"memo-{excerpt}") + " textarea").fill("Team used exit tickets as evidence.")
    page.locator(key(f"savememo-{excerpt}") + " button").first.click()
    page.wait_for_selector('[data-testid="stAlert"] >> text=Memo saved')
    _, codings, memos, _ = read_state(project)
    manual = [c for c in codings if c.origin.value == "manual"]
    assert [(c.excerpt_id, c.code_id, c.coder) for c in manual] == [(excerpt, manual[0].code_id, "alice")]
    assert manual[0].code_id.startswith("evidence") or "evidence" in manual[0].code_id
    assert [(m.excerpt_id, m.text) for m in memos] == [(excerpt, "Team used exit tickets as evidence.")]
    shot(page, "code-panel")

    for title in ("Codebook", "Themes"):
        goto(page, title)
        shot(page, title.lower())

    # Export the coded excerpts and read the downloaded file.
    goto(page, "Export")
    page.locator(key("prep-export_excerpts") + " button").first.click()
    page.wait_for_selector(key("dl-export_excerpts") + " button")
    # the button says what it saves (walk 23: a row of bare "Download" buttons)
    assert page.locator(key("dl-export_excerpts") + " button").inner_text().strip().endswith("Download .xlsx")
    # ... in full (walk 47: "Download .d…", the label cut at the button's edge)
    assert page.locator(key("dl-export_excerpts") + " button").first.evaluate(
        "b => [b, ...b.querySelectorAll('*')].every(e => e.scrollWidth <= e.clientWidth + 1)"), "the label is cut"
    shot(page, "export")
    with page.expect_download() as dl:
        page.locator(key("dl-export_excerpts") + " button").first.click()
    # named for the project (the name it was given, not its folder's) and what it holds; a
    # spreadsheet unless csv is chosen
    assert dl.value.suggested_filename == "Bridges-mentoring-evaluation-coded-excerpts.xlsx"
    rows = pd.read_excel(dl.value.path(), dtype=str).fillna("").to_dict("records")
    code_col = "code_id" if rows and "code_id" in rows[0] else next(k for k in rows[0] if "code" in k.lower())
    exported = {(int(r["excerpt_id"]), r[code_col]) for r in rows}
    assert (sugg[first].excerpt_id, accepted_code) in exported
    assert (excerpt, manual[0].code_id) in exported
    assert (sugg[second].excerpt_id, sugg[second].code_id) not in exported or any(
        c.excerpt_id == sugg[second].excerpt_id and c.code_id == sugg[second].code_id for c in codings)

    # The download belongs to the settings it was made with: counting pending suggestions too
    # takes its Download button away (it would still serve the decided codings only); Prepare
    # makes the new one.
    page.locator(key("exp_include")).first.click()
    page.get_by_role("option").filter(has_text="Codings + pending suggestions").first.click()
    page.locator(key("dl-export_excerpts") + " button").wait_for(state="detached")
    page.locator(key("prep-export_excerpts") + " button").first.click()
    page.wait_for_selector(key("dl-export_excerpts") + " button")


def test_transcript_text_stays_text_in_the_browser(tmp_path, start_app, page):
    project = tmp_path / "study"
    ctx = services.init_project(project, coder="alice")
    from tests.ui_helpers import seed

    _, sid = seed(ctx, turns=[("Interviewer", "interviewer", "What did you say?"),
                              ("Ana <b>x</b>", "participant", EVIL)])
    ctx.close()
    app = start_app(project, coder="alice")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(app.url + "/code")
    wait_idle(page)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text(EVIL, exact=True).first.wait_for()
    assert main.locator("script").count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('a[href^="http://evil"]').count() == 0
    assert page.locator("b", has_text="x").count() == 0
    assert main.get_by_text("Ana <b>x</b>").count() >= 1  # the speaker name, literally
    assert not dialogs

    # Keyboard: A accepts the open excerpt's top suggestion, U undoes it (seen on the chips).
    code_mode(page, "Excerpts")
    page.wait_for_selector(key("focus-accept") + " kbd")
    page.locator('[data-testid="stMain"]').click(position={"x": 10, "y": 300})  # focus: page, not a field
    page.keyboard.press("a")
    page.wait_for_selector(key(f"chip-{sid['1:trust']}-accepted"))
    wait_idle(page)
    sugg, _, _, _ = read_state(project)
    assert sugg[sid["1:trust"]].status.value == "accepted"
    page.keyboard.press("u")
    page.wait_for_selector(key(f"chip-{sid['1:trust']}-pending"))
    sugg, _, _, _ = read_state(project)
    assert sugg[sid["1:trust"]].status.value == "pending"
