# WORK IN PROGRESS (issue 13): not collected by pytest until it passes end to end. The live
# refresh replaces pending suggestions on other excerpts after each decision, so the plan of
# suggestion ids made at the start goes stale; decide each excerpt from its current chips.
"""A newcomer's whole day in Chromium, one journey, a screenshot of each step.

`make run`'s demo start-up (the same ``qualcode demo`` code path, the server started by
the test); a fresh study: import three transcripts of our own (an Otter export with
``Name  00:13`` lines and a SUMMARY KEYWORDS header, a Zoom VTT whose interviewer is
"jane doe" in lowercase inside the cues, a plain ``Name: text`` file); make Jane Doe the
interviewer in every document at once; set years; code 20 excerpts (accept, reject, a
manual code, a narrower span, a memo, an undo); switch to a second coder, reload, and the
coder is unchanged; the second coder codes 10 of the same excerpts differently; Themes by
year: for every row, the quotes shown are as many as the count; the XLSX export agrees
with the Themes table; the Agreement headline matches the Disagreements list.

Screenshots go to tests/browser/artifacts/journey/ (git-ignored; the path is printed).
Elements are found by widget keys and visible text, never by pixel positions.
Reader problems (speakers not found) are collected and asserted at the end, so one
broken reader does not hide what the rest of the journey shows.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qualcode import services
from qualcode.cli import main
from qualcode.services import ingest
from qualcode.storage import coding as coding_store
from tests.browser.conftest import code_mode, key, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

DATA = Path(__file__).parent / "journey_data"
FILES = ["otter-call-luis.txt", "zoom-call-priya.vtt", "plain-call-sam.txt"]
ARTIFACTS = Path(__file__).parent / "artifacts" / "journey"
YEARS = {"otter-call-luis": "2022", "zoom-call-priya": "2022", "plain-call-sam": "2023"}
SPEAKERS = {"otter-call-luis": {"jane doe", "luis ortega"}, "zoom-call-priya": {"jane doe", "priya nair"},
            "plain-call-sam": {"jane doe", "sam lee"}}


class Shots:
    def __init__(self, page) -> None:
        self.page, self.n = page, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()
        print(f"\njourney screenshots: {ARTIFACTS}")

    def __call__(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(ARTIFACTS / f"{self.n:02d}-{name}.png"), full_page=True)


def goto(page, title: str) -> None:
    """Navigate with the app's own top navigation (keeps the browser session)."""
    page.locator('[data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(rf"(^|[a-z_])\s*{title}\s*$")).first.click()
    page.wait_for_selector(f'h1:has-text("{title}")')
    wait_idle(page)


def choose(page, widget_key: str, option: str | re.Pattern, *, tries: int = 3) -> None:
    """Pick ``option`` in the selectbox / multiselect with key ``widget_key`` (retried: on a
    loaded machine a rerun can redraw the list while it is open)."""
    text = option if isinstance(option, re.Pattern) else re.compile(rf"^\s*{re.escape(option)}\s*$")
    for attempt in range(tries):
        try:
            wait_idle(page)
            page.locator(key(widget_key)).first.click()
            try:
                page.get_by_role("option").first.wait_for(timeout=5_000)
            except Exception:  # a focused combobox that did not open: open it by keyboard
                page.locator(key(widget_key) + " input").first.press("ArrowDown")
            page.get_by_role("option").filter(has_text=text).first.click(timeout=15_000)
            page.keyboard.press("Escape")  # a multiselect stays open
            wait_idle(page)
            return
        except Exception:
            page.keyboard.press("Escape")
            if attempt == tries - 1:
                page.screenshot(path=str(ARTIFACTS / f"failed-choose-{widget_key}.png"))
                raise


def type_into(page, widget_key: str, text: str) -> None:
    box = page.locator(key(widget_key) + " input").first
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def click(page, widget_key: str) -> None:
    page.locator(key(widget_key) + " button").first.click()
    wait_idle(page)


def ids_of(page, pattern: str) -> list[int]:
    classes = page.eval_on_selector_all('[class*="st-key-"]', "els => els.map(e => e.className)")
    found = []
    for c in classes:
        for m in re.finditer(rf"st-key-{pattern}(?:\s|$)", c):
            found.append(int(m.group(1)))
    return list(dict.fromkeys(found))


def badge(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def suggestions(project: Path) -> dict:
    ctx = services.open_project(project, coder="alice")
    try:
        with ctx.session(readonly=True) as s:
            return {sg.id: sg for sg in coding_store.list_suggestions(s)}
    finally:
        ctx.close()


def wait_for(pred, timeout: float = 300, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def reviewed_by(ctx) -> set[int]:
    with ctx.session(readonly=True) as s:
        return set(coding_store.reviewed_excerpts(s, coder_id=ctx.coder_id(s)))


def nothing_here(page, ctx, doc_name: str, ex_id: int) -> None:
    """Open one excerpt in the side panel and mark it 'Nothing here'; wait until stored."""
    choose(page, "code_doc", doc_name)
    click(page, f"focus-{ex_id}")
    page.wait_for_selector(key(f"memo-{ex_id}"))  # the panel shows this excerpt
    page.locator('[data-testid="stSidebar"] ' + key("focus-none") + " button").first.click()
    wait_for(lambda: ex_id in reviewed_by(ctx), timeout=60, what=f"excerpt {ex_id} reviewed")
    wait_idle(page)


def decide_on_page(page, project: Path, doc_name: str, plan: dict[int, bool]) -> None:
    """On the Code page, open ``doc_name`` and click accept/reject for each suggestion."""
    choose(page, "code_doc", doc_name)
    for sid, accept in plan.items():
        page.locator(key(f"{'acc' if accept else 'rej'}-{sid}") + " button").first.click()
        page.wait_for_selector(key(f"chip-{sid}-{'accepted' if accept else 'rejected'}"))
        wait_idle(page)


def test_a_newcomers_day(tmp_path, start_app, page):
    shot = Shots(page)
    page.set_default_timeout(90_000)  # a loaded CI machine: reruns take seconds
    problems: list[str] = []  # reader problems, asserted at the end

    # 1. `make run`: the demo project through the same command, then the app on it.
    demo = tmp_path / "demo"
    r = CliRunner().invoke(main, ["demo", "--project", str(demo), "--no-app"])
    assert r.exit_code == 0, r.output
    app = start_app(demo, coder="alice")
    page.goto(app.url)
    page.wait_for_selector('h1:has-text("Project")')
    wait_idle(page)
    page.get_by_text("Demo: improvement collaboration").first.wait_for()
    page.get_by_text(re.compile("Review progress")).first.wait_for()  # the demo's documents are listed
    shot("demo-project")
    app.stop()

    # 2. A fresh study: import three transcripts through the uploader.
    project = tmp_path / "study"
    services.init_project(project, coder="alice").close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    page.wait_for_selector('h1:has-text("Project")')
    wait_idle(page)
    assert "Coding as alice" in badge(page)
    goto(page, "Import")
    page.locator('[class*="st-key-imp_files_"] input[type="file"]').set_input_files([str(DATA / f) for f in FILES])
    page.wait_for_selector('[data-testid="stExpander"] >> text=speakers')
    wait_idle(page)
    shot("import-preview")
    click(page, "imp_go")

    def imported() -> bool:
        ctx = services.open_project(project)
        try:
            return len(ingest.list_documents(ctx)) == 3 and bool(suggestions(project))
        finally:
            ctx.close()

    wait_for(imported, timeout=600, what="three documents with suggestions")
    page.wait_for_selector('[data-testid="stAlert"] >> text=imported', timeout=600_000)
    page.wait_for_function("() => !document.body.innerText.includes('Computing first suggestions')",
                           timeout=600_000)
    wait_idle(page, timeout=600_000)
    shot("imported")
    ctx = services.open_project(project, coder="alice")
    docs = {d["name"]: d["id"] for d in ingest.list_documents(ctx)}
    assert set(docs) == set(SPEAKERS)
    for name, wanted in SPEAKERS.items():
        found = {sp["label"].casefold() for sp in ingest.show_document(ctx, docs[name])["speakers"]}
        if found != wanted:
            problems.append(f"{name}: speakers {sorted(found)}, expected {sorted(wanted)}")

    # 3. Documents: Jane Doe is the interviewer in every document; years for all three.
    goto(page, "Documents")
    choose(page, "docs_everywhere_speaker", re.compile(r"^Jane Doe \("))
    choose(page, "docs_everywhere_role", "interviewer")
    click(page, "docs_everywhere_set")
    page.wait_for_selector('[data-testid="stAlert"] >> text=is now interviewer')
    shot("roles")
    for name in docs:
        roles = {sp["label"].casefold(): sp["role"] for sp in ingest.show_document(ctx, docs[name])["speakers"]}
        if roles.get("jane doe") != "interviewer":
            problems.append(f"{name}: Jane Doe is {roles.get('jane doe')!r} after 'every document', not interviewer")
    for year in sorted(set(YEARS.values())):
        for name in [n for n, y in YEARS.items() if y == year]:
            choose(page, "docs_bulk_docs", name)
        type_into(page, "docs_bulk_key", "year")
        type_into(page, "docs_bulk_value", year)
        click(page, "docs_bulk_set")
        page.wait_for_selector(f'[data-testid="stAlert"] >> text=year = {year}')
    assert {d["name"]: d["attributes"].get("year") for d in ingest.list_documents(ctx)} == YEARS
    shot("years")

    # 4. Code 20 excerpts as alice: accept and reject chips, then a manual code on a
    #    narrower span, a memo, and an undo whose message shows the excerpt's text.
    goto(page, "Code")
    code_mode(page, "Excerpts")  # chips on every sentence (the Transcript view has its own test)
    choose(page, "code_page_size", "50")
    sugg = suggestions(project)
    by_excerpt: dict[int, list] = {}
    for sg in sorted(sugg.values(), key=lambda s: -s.score):
        by_excerpt.setdefault(sg.excerpt_id, []).append(sg)
    doc_of = {e["id"]: name for name in docs for e in ingest.show_document(ctx, docs[name])["excerpts"]
              if e["codable"]}
    plan: dict[str, dict[int, bool]] = {name: {} for name in docs}
    alice: dict[int, tuple[int, bool]] = {}  # excerpt -> (suggestion, accepted)
    for i, (ex_id, chips) in enumerate(sorted((e, c) for e, c in by_excerpt.items() if e in doc_of)):
        if len(alice) == 20:
            break
        accept = i % 3 != 2
        plan[doc_of[ex_id]][chips[0].id] = accept
        alice[ex_id] = (chips[0].id, accept)
    assert len(alice) >= 12, f"only {len(alice)} excerpts with suggestions"
    for name, p in plan.items():
        if p:
            decide_on_page(page, project, name, p)
    # The rest of the 20 have no suggestion: 'Nothing here' in the excerpt panel.
    quiet = [e for e in sorted(doc_of) if e not in by_excerpt][: 20 - len(alice)]
    for ex_id in quiet:
        nothing_here(page, ctx, doc_of[ex_id], ex_id)
    assert len(reviewed_by(ctx) & (set(alice) | set(quiet))) == 20
    shot("alice-decisions")
    target = next(e for e, (_, acc) in alice.items() if not acc)
    choose(page, "code_doc", doc_of[target])
    click(page, f"focus-{target}")
    page.wait_for_selector(key(f"memo-{target}"))  # the panel shows this excerpt
    thumbs = page.locator(key(f"span-{target}") + ' [role="slider"]')
    if thumbs.count() == 2:  # narrow the span: move the end two words back, by keyboard
        thumbs.nth(1).focus()
        thumbs.nth(1).press("ArrowLeft")
        thumbs.nth(1).press("ArrowLeft")
        wait_idle(page)
    picker = page.locator(key(f"pick-{target}"))  # as the coder does: type to search the codebook
    picker.click()
    page.keyboard.type("Evidence")
    page.get_by_role("option", name=re.compile("^Evidence")).first.click()
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "picked-evidence.png"))
    click(page, f"addcode-{target}")

    def manual_codings():
        with ctx.session(readonly=True) as s:
            return [c for c in coding_store.list_codings(s) if c.origin.value == "manual"]

    wait_for(lambda: bool(manual_codings()), timeout=60, what="the manual coding")
    page.locator(key(f"memo-{target}") + " textarea").fill("Evidence in their own words.")
    click(page, f"savememo-{target}")
    page.wait_for_selector('[data-testid="stAlert"] >> text=Memo saved')
    shot("manual-code-and-memo")
    # One more decision, then Undo: the message shows the excerpt's own words.
    extra = next(e for e in sorted(doc_of) if e not in alice and e not in quiet)
    choose(page, "code_doc", doc_of[extra])
    if extra in by_excerpt:
        sid = by_excerpt[extra][0].id
        page.locator(key(f"acc-{sid}") + " button").first.click()
        page.wait_for_selector(key(f"chip-{sid}-accepted"))
    else:
        nothing_here(page, ctx, doc_of[extra], extra)
    wait_idle(page)
    click(page, "page-undo")
    note = page.locator('[data-testid="stAlert"]').filter(has_text="Undone:").first.inner_text()
    excerpt_text = next(e["text"] for e in ingest.show_document(ctx, docs[doc_of[extra]])["excerpts"]
                        if e["id"] == extra)
    assert " ".join(excerpt_text.split()[:4]) in note and "suggestion " not in note, note
    with ctx.session(readonly=True) as s:
        assert extra not in coding_store.reviewed_excerpts(s, coder_id=ctx.coder_id(s))
    shot("undo")
    manual = manual_codings()
    assert [(c.excerpt_id, c.code_id, c.coder) for c in manual] == [(target, "evidence", "alice")]
    excerpt = next(e for e in ingest.show_document(ctx, docs[doc_of[target]])["excerpts"] if e["id"] == target)
    # A narrower span: the select_slider's thumbs do not move by keyboard in headless
    # Chromium here, so the span is whole; tests/test_ui.py narrows it through AppTest.
    assert excerpt["start"] <= manual[0].start < manual[0].end <= excerpt["end"]

    # 5. A second coder: switch explicitly, reload, still the same coder.
    goto(page, "Project")
    type_into(page, "coder_new", "bob")
    click(page, "coder_add")
    try:
        page.locator('[data-testid="stSidebar"]').get_by_text("Coding as bob").wait_for(timeout=20_000)
    except Exception:  # the click landed during a rerun: once more
        type_into(page, "coder_new", "bob")
        click(page, "coder_add")
        page.locator('[data-testid="stSidebar"]').get_by_text("Coding as bob").wait_for()
    page.reload()
    page.wait_for_selector('h1:has-text("Project")')
    wait_idle(page)
    assert "Coding as bob" in badge(page), "a reload switched the coder"
    assert "coder=bob" in page.url
    shot("reload-keeps-bob")

    # 6. bob codes 10 of alice's excerpts the other way.
    goto(page, "Code")
    assert "Coding as bob" in badge(page)
    bob_plan: dict[str, dict[int, bool]] = {name: {} for name in docs}
    for ex_id, (sid, accepted) in list(alice.items())[:10]:
        bob_plan[doc_of[ex_id]][sid] = not accepted
    for name, p in bob_plan.items():
        if p:
            decide_on_page(page, project, name, p)
    shot("bob-decisions")
    with ctx.session(readonly=True) as s:
        mine = {(c.excerpt_id, c.code_id, c.coder) for c in coding_store.list_codings(s)}
    for ex_id, (sid, accepted) in list(alice.items())[:10]:
        code = sugg[sid].code_id
        assert ((ex_id, code, "alice") in mine) == accepted and ((ex_id, code, "bob") in mine) == (not accepted)

    # 7. Themes by year: every row's quotes are as many as its count.
    goto(page, "Themes")
    choose(page, "th_by", "year")
    page.locator(key("th_freq_pick")).first.click()
    try:
        page.get_by_role("option").first.wait_for(timeout=5_000)
    except Exception:  # focused but not open (as in choose()): open it by keyboard
        page.locator(key("th_freq_pick") + " input").first.press("ArrowDown")
        page.get_by_role("option").first.wait_for()
    labels = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    wait_idle(page)
    assert labels, "the Themes table has rows"
    rows = []
    for label in labels:
        m = re.match(r"year (\S+) · (.+) · (\d+) excerpts$", label.strip())
        assert m, label
        choose(page, "th_freq_pick", label.strip())
        caption = page.get_by_text(re.compile(r"^\d+ excerpts? from \d+ documents?\.$")).first.inner_text()
        shown = int(re.match(r"(\d+) excerpt", caption).group(1))
        assert shown == int(m.group(3)), f"{label}: {shown} quotes shown"
        rows.append((m.group(1), m.group(2), int(m.group(3))))
    shot("themes-by-year")

    # 8. The XLSX export agrees with the Themes table.
    goto(page, "Export")
    choose(page, "exp_by", "year")
    choose(page, "fmt-export_frequencies", "xlsx")
    click(page, "prep-export_frequencies")
    page.wait_for_selector(key("dl-export_frequencies") + " button")
    with page.expect_download() as dl:
        page.locator(key("dl-export_frequencies") + " button").first.click()
    table = pd.read_excel(dl.value.path())
    code_col = "code" if "code" in table.columns else next(c for c in table.columns if "code" in str(c).lower())
    exported = {(str(y), str(c), int(n)) for y, c, n in zip(table["year"], table[code_col], table["excerpts"])
                if int(n) > 0}
    assert set(rows) == exported
    shot("export")

    # 9. Agreement: the headline's count of differing excerpts is the Disagreements list's.
    goto(page, "Agreement")
    head = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text="The coders gave the same codes to").first.inner_text()
    m = re.search(r"same codes to (\d+) of (\d+) excerpts .*?; they differ on (\d+)", head)
    assert m, head
    shot("agreement")
    page.get_by_role("tab", name="Disagreements").click()
    wait_idle(page)
    listed = page.get_by_text(re.compile(r"^\d+ excerpts where the coders differ")).first.inner_text()
    assert int(re.match(r"(\d+)", listed).group(1)) == int(m.group(3)), (head, listed)
    assert int(m.group(2)) >= 10
    shot("disagreements")
    ctx.close()

    assert not problems, "reader problems:\n" + "\n".join(problems)
