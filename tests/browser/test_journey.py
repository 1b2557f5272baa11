"""A newcomer's whole day in Chromium, one journey, a screenshot of each step.

`make run`'s demo start-up (the same ``qualcode demo`` code path, the server started by
the test); a fresh study: import three transcripts of our own (an Otter export with
``Name  00:13`` lines and a SUMMARY KEYWORDS header, a Zoom VTT whose interviewer is
"jane doe" in lowercase inside the cues, a plain ``Name: text`` file); make Jane Doe the
interviewer in every document (import proposes her; the Documents page makes sure); set years; code 20 excerpts (accept, reject, a
manual code, a narrower span, a memo, an undo); switch to a second coder, reload, and the
coder is unchanged; the second coder codes 10 of the same excerpts differently; the
Project page's "Codes in use": every row's quotes; Themes by year: for every row, the
quotes shown are exactly the excerpts counted (checked against the stored codings); the
XLSX export agrees with the Themes table; the Agreement headline matches the
Disagreements list, and both match the stored decisions.

Every decision is made from the chips the page shows at that moment (the Excerpts view):
the app replaces unreviewed excerpts' pending suggestions in the background after each
decision, so ids read at the start go stale. A click on a chip that was replaced meanwhile
is refused by the app ("replaced by newer ones") and the turn shows the excerpt's current
chips; the test then decides again from those.

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
from qualcode.services import ingest, ui_support
from qualcode.storage import coding as coding_store
from qualcode.storage import meta
from qualcode.ui.text import excerpts
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
        wait_idle(self.page)  # not a page caught mid-rerun, with the previous run's elements fading
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
            # A multiselect stays open: close it. Never Escape a selectbox: one with no default
            # (index=None) is cleared by it, and on a loaded machine its list can still be on the
            # page a moment after the click (a CI run: the Themes pick read "Read the quotes of…").
            multi = page.locator(key(widget_key) + ' [data-testid="stMultiSelect"]').count() > 0
            if multi and page.get_by_role("option").count():
                page.keyboard.press("Escape")
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


def frequencies_xlsx(page):
    """On the Export page: prepare and download the frequencies as xlsx; the table and its code
    column's name."""
    choose(page, "fmt-export_frequencies", "xlsx")
    click(page, "prep-export_frequencies")
    page.wait_for_selector(key("dl-export_frequencies") + " button")
    with page.expect_download() as dl:
        page.locator(key("dl-export_frequencies") + " button").first.click()
    table = pd.read_excel(dl.value.path())
    return table, "code" if "code" in table.columns else next(c for c in table.columns if "code" in str(c).lower())


def click(page, widget_key: str) -> None:
    page.locator(key(widget_key) + " button").first.click()
    wait_idle(page)


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


def reviewed_by(ctx, coder: str = "alice") -> set[int]:
    with ctx.session(readonly=True) as s:
        cid = meta.find_coder(s, coder)
        return set(coding_store.reviewed_excerpts(s, coder_id=cid)) if cid is not None else set()


def nothing_here(page, ctx, doc_name: str, ex_id: int) -> None:
    """Open one excerpt in the side panel and mark it 'Nothing here'; wait until stored."""
    choose(page, "code_doc", doc_name)
    for attempt in range(3):  # a click dropped by a rerun on a loaded machine: once more
        click(page, f"focus-{ex_id}")
        try:
            page.wait_for_selector(key(f"memo-{ex_id}"), timeout=30_000)  # the panel shows this excerpt
            break
        except Exception:
            if attempt == 2:
                raise
    for attempt in range(3):
        page.locator('[data-testid="stSidebar"] ' + key("focus-none") + " button").first.click()
        try:
            wait_for(lambda: ex_id in reviewed_by(ctx), timeout=30, what=f"excerpt {ex_id} reviewed")
            break
        except AssertionError:
            if attempt == 2:
                raise
            page.wait_for_selector(key(f"memo-{ex_id}"))
    wait_idle(page)


CHIP = re.compile(r"st-key-chip-(\d+)-(pending|accepted|rejected)(?:\s|$)")


def chips_shown(page, ex_id: int) -> list[tuple[int, str]]:
    """(suggestion id, status) of the chips the page shows on excerpt ``ex_id``, best first."""
    classes = page.eval_on_selector_all(f'{key(f"chips-{ex_id}")} [class*="st-key-chip-"]',
                                        "els => els.map(e => e.className)")
    return list(dict.fromkeys((int(m.group(1)), m.group(2)) for c in classes if (m := CHIP.search(c))))


STALE = {"n": 0}  # how many clicks landed on a chip the background refresh had replaced


STUCK = {"n": 0}  # decisions stored whose turn was not redrawn (a full rerun showed them)

HAND: list[int] = []  # accepted chips whose suggestion was withdrawn: coded by hand with its code


def hand_codings(ctx, coder: str, ex_id: int) -> set[int]:
    """Ids of ``coder``'s manual codings on excerpt ``ex_id``."""
    with ctx.session(readonly=True) as s:
        return {c.id for c in coding_store.list_codings(s) if c.excerpt_id == ex_id and c.coder == coder
                and c.origin.value == "manual"}


def decide_from_chips(page, ctx, coder: str, ex_id: int, pick) -> tuple[int | None, bool] | None:
    """Decide excerpt ``ex_id`` (not yet reviewed by ``coder``) from the chips on the page:
    ``pick(chips)`` returns (suggestion id, accept) or None. Returns (the suggestion
    decided, accept), as the page shows it afterwards, or (None, True) when an accepted
    chip's suggestion had been withdrawn and the excerpt was coded by hand with its code.

    A chip the background refresh replaced meanwhile is decided on the current suggestion
    of the same code (a new id); when the model no longer suggests that code there, an
    accept codes the excerpt by hand with it (what the coder asked for) and a reject has
    nothing to reject, so the turn shows the excerpt's current chips and is picked again.

    On a loaded machine a rerun of another fragment (the learning line's timer; known, being
    fixed) may drop the click, or the turn's redraw after it, or leave a stray copy of the
    clicked button. So the test polls: what the page shows for this excerpt and whether the
    decision was stored. Nothing stored and the button still there after a while: click
    again. Stored but not shown: open the excerpt (a full rerun, as a coder clicking
    elsewhere would), and read the page again."""
    assert ex_id not in reviewed_by(ctx, coder)
    scope = key(f"chips-{ex_id}")
    said = ""
    for _ in range(6):
        wait_idle(page)
        page.wait_for_selector(scope)
        shown = chips_shown(page, ex_id)
        choice = pick(shown)
        if choice is None:
            return None
        sid, accept = choice
        want = "accepted" if accept else "rejected"
        button = f"{scope} {key(('acc' if accept else 'rej') + f'-{sid}')} button"
        before = hand_codings(ctx, coder, ex_id)
        page.locator(button).first.click()
        nudged = time.monotonic()
        deadline = nudged + 240
        while True:
            new = [i for i, status in chips_shown(page, ex_id) if status == want and (i, status) not in shown]
            stored = ex_id in reviewed_by(ctx, coder)
            if new and stored:
                return new[0], accept
            if accept and stored and hand_codings(ctx, coder, ex_id) - before:
                HAND.append(ex_id)
                return None, True
            if not stored and not page.locator(button).count():
                break  # refused (replaced meanwhile): the turn shows the current chips
            assert time.monotonic() < deadline, f"excerpt {ex_id}: the decision on {sid} never showed"
            if time.monotonic() - nudged > 30:
                nudged = time.monotonic()
                try:
                    if stored:
                        STUCK["n"] += 1
                        page.screenshot(path=str(ARTIFACTS / f"stuck-redraw-{ex_id}.png"), full_page=True)
                        print(f"journey: excerpt {ex_id}'s decision was stored but not shown; a full rerun")
                        page.locator(key(f"focus-{ex_id}") + " button").first.click(timeout=10_000)
                    else:
                        print(f"journey: a click on {button} was dropped; clicking again")
                        page.locator(button).first.click(timeout=10_000)
                except Exception as exc:  # noqa: BLE001 - the page is mid-rerun: next round
                    print(f"journey: nudge failed ({type(exc).__name__}); waiting")
            time.sleep(1)
        wait_idle(page)
        STALE["n"] += 1
        turn = page.locator(key(f"ex-{ex_id}")).locator("xpath=ancestor::*[contains(@class,'st-key-turn-')]")
        said = turn.first.inner_text()
        assert "replaced by newer ones" in said, said
    raise AssertionError(f"excerpt {ex_id}: no chip could be decided in six tries; the turn says: {said}")


def top_pending(accept: bool):
    def pick(shown):
        pending = [sid for sid, status in shown if status == "pending"]
        return (pending[0], accept) if pending else None
    return pick


def codings_by_coder(ctx) -> dict[str, dict[int, set[str]]]:
    with ctx.session(readonly=True) as s:
        out: dict[str, dict[int, set[str]]] = {}
        for c in coding_store.list_codings(s):
            out.setdefault(c.coder, {}).setdefault(c.excerpt_id, set()).add(c.code_id)
        return out


def expected_counts(ctx, docs: dict[str, int], years: dict[str, str]) -> dict[tuple[str, str], tuple[set, set]]:
    """From the stored codings, not through the analysis code: (year, code id) -> (excerpts,
    documents) coded with the code or a code under it, by any coder ("Decided codings")."""
    cb = ui_support.codebook(ctx)
    parent = {c.id: c.parent for c in cb.codes}
    doc_of = {e["id"]: name for name, d in docs.items() for e in ingest.show_document(ctx, d)["excerpts"]}
    out: dict[tuple[str, str], tuple[set, set]] = {}
    for per_excerpt in codings_by_coder(ctx).values():
        for ex_id, codes in per_excerpt.items():
            for code in codes:
                while code is not None:
                    ex, dd = out.setdefault((years[doc_of[ex_id]], code), (set(), set()))
                    ex.add(ex_id)
                    dd.add(doc_of[ex_id])
                    code = parent.get(code)
    return out


def picker_labels(page, widget_key: str) -> list[str]:
    """The options of a selectbox, read by opening it."""
    wait_idle(page)
    page.locator(key(widget_key)).first.click()
    try:
        page.get_by_role("option").first.wait_for(timeout=5_000)
    except Exception:  # focused but not open (as in choose()): open it by keyboard
        page.locator(key(widget_key) + " input").first.press("ArrowDown")
        page.get_by_role("option").first.wait_for()
    labels = [t.strip() for t in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    wait_idle(page)
    return labels


def quotes_caption(page, title: str, expected: tuple[int, int]) -> tuple[int, int]:
    """(excerpts, documents) of the drill-down's "N excerpts from M documents." line, once
    the drill-down titled ``title`` is shown. While a rerun draws, the previous pick's
    caption may still stand under the new title for a moment: read until it says
    ``expected`` or 30 s have passed, and return what it says then."""
    page.get_by_text(f"Quotes: {title}").first.wait_for()
    wait_idle(page)
    deadline = time.monotonic() + 30
    while True:
        caption = page.get_by_text(re.compile(r"^\d+ excerpts? from \d+ documents?\.$")).first.inner_text()
        m = re.match(r"(\d+) excerpts? from (\d+) document", caption)
        got = int(m.group(1)), int(m.group(2))
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(1)


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
    # Import applied its proposal (Jane Doe asks the questions) unless it missed a file:
    # either way, after this every document has her as the interviewer.
    page.locator('[data-testid="stAlert"]').filter(
        has_text=re.compile(r"Jane Doe (is now|was already) interviewer")).first.wait_for()
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

    # 4. Code 20 excerpts as alice, each from the chips on the page at that moment: accept
    #    and reject chips ("Nothing here" where an excerpt has none), then a manual code on a
    #    narrower span, a memo, and an undo whose message shows the excerpt's text.
    goto(page, "Code")
    code_mode(page, "Excerpts")  # chips on every sentence (the Transcript view has its own test)
    choose(page, "code_page_size", "50")
    codable = {name: [e["id"] for e in ingest.show_document(ctx, docs[name])["excerpts"] if e["codable"]]
               for name in docs}
    doc_of = {e: name for name, ids in codable.items() for e in ids}
    alice: dict[int, tuple[int, bool]] = {}  # excerpt -> (suggestion decided, accepted)
    quiet: list[int] = []  # excerpts marked "Nothing here"
    for name in sorted(docs):
        choose(page, "code_doc", name)
        for ex_id in codable[name][:7]:
            if len(alice) + len(quiet) + len(HAND) == 20:
                break
            decided = decide_from_chips(page, ctx, "alice", ex_id, top_pending(accept=len(alice) % 3 != 2))
            if decided is None:
                nothing_here(page, ctx, name, ex_id)
                quiet.append(ex_id)
            elif decided[0] is not None:
                alice[ex_id] = decided
    assert len(alice) >= 12, f"only {len(alice)} excerpts had suggestions"
    assert len(reviewed_by(ctx) & (set(alice) | set(quiet) | set(HAND))) == len(alice) + len(quiet) + len(HAND) == 20
    mine = codings_by_coder(ctx)["alice"]
    sugg = suggestions(project)
    for ex_id, (sid, accepted) in alice.items():
        assert sugg[sid].excerpt_id == ex_id  # the chip clicked was this excerpt's
        assert (sugg[sid].code_id in mine.get(ex_id, set())) == accepted
    shot("alice-decisions")
    # an excerpt where alice turned a chip down, and not an "evidence" chip: she codes it
    # "evidence" by hand below, which would contradict that decision (step 6 checks it)
    target = next(e for e, (sid, acc) in alice.items() if not acc and sugg[sid].code_id != "evidence")
    choose(page, "code_doc", doc_of[target])
    click(page, f"focus-{target}")
    page.wait_for_selector(key(f"memo-{target}"))  # the panel shows this excerpt
    thumbs = page.locator(key(f"span-{target}") + ' [role="slider"]')
    if thumbs.count() == 2:  # narrow the span: move the end two words back, by keyboard
        thumbs.nth(1).focus()
        thumbs.nth(1).press("ArrowLeft")
        thumbs.nth(1).press("ArrowLeft")
        wait_idle(page)

    def manual_codings():
        with ctx.session(readonly=True) as s:
            return [c for c in coding_store.list_codings(s) if c.origin.value == "manual" and c.excerpt_id not in HAND]

    for attempt in range(3):  # as the coder does: type to search the codebook, then Add code
        picker = page.locator(key(f"pick-{target}"))
        picker.click()
        page.keyboard.type("Evidence")
        try:  # a rerun may redraw the open list under the click (its option detached): try again
            page.get_by_role("option", name=re.compile("^Evidence")).first.click(timeout=20_000)
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            wait_idle(page)
            continue
        wait_idle(page)
        click(page, f"addcode-{target}")
        try:  # a rerun of the learning line may drop the pick on a loaded machine (known)
            wait_for(lambda: bool(manual_codings()), timeout=20, what="the manual coding")
            break
        except AssertionError:
            if attempt == 2:
                raise
    page.locator(key(f"memo-{target}") + " textarea").fill("Evidence in their own words.")
    click(page, f"savememo-{target}")
    page.wait_for_selector('[data-testid="stAlert"] >> text=Memo saved')
    shot("manual-code-and-memo")
    # One more decision, then Undo: the message shows the excerpt's own words.
    extra = next(e for name in sorted(docs) for e in codable[name] if e not in alice and e not in quiet
                 and e not in HAND)
    choose(page, "code_doc", doc_of[extra])
    if decide_from_chips(page, ctx, "alice", extra, top_pending(accept=True)) is None:
        nothing_here(page, ctx, doc_of[extra], extra)
    assert extra in reviewed_by(ctx)
    click(page, "page-undo")
    note = page.locator('[data-testid="stAlert"]').filter(has_text="Undone:").first.inner_text()
    excerpt_text = next(e["text"] for e in ingest.show_document(ctx, docs[doc_of[extra]])["excerpts"]
                        if e["id"] == extra)
    assert " ".join(excerpt_text.split()[:4]) in note and "suggestion " not in note, note
    assert extra not in reviewed_by(ctx)
    shot("undo")
    manual = manual_codings()
    assert [(c.excerpt_id, c.code_id, c.coder) for c in manual] == [(target, "evidence", "alice")]
    excerpt = next(e for e in ingest.show_document(ctx, docs[doc_of[target]])["excerpts"] if e["id"] == target)
    # A narrower span: the select_slider's thumbs do not move by keyboard in headless
    # Chromium here, so the span may be whole; tests/test_ui.py narrows it through AppTest.
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

    # 6. bob codes 10 of alice's excerpts the other way: on each, the chip alice decided
    #    (decided chips keep their ids) gets bob's opposite decision.
    goto(page, "Code")
    assert "Coding as bob" in badge(page)
    code_mode(page, "Excerpts")  # a reload starts a new browser session: the view is chosen again
    choose(page, "code_page_size", "50")
    bobs = list(alice.items())[:10]
    for name in sorted(docs):
        mine_here = [(e, d) for e, d in bobs if doc_of[e] == name]
        if not mine_here:
            continue
        choose(page, "code_doc", name)
        for ex_id, (sid, accepted) in mine_here:
            def opposite(shown, sid=sid, accepted=accepted):
                assert (sid, "pending") in shown, (ex_id, sid, shown)  # bob's own decision is open
                return sid, not accepted
            assert decide_from_chips(page, ctx, "bob", ex_id, opposite) == (sid, not accepted)
    shot("bob-decisions")
    by_coder = codings_by_coder(ctx)
    for ex_id, (sid, accepted) in bobs:
        code = sugg[sid].code_id
        assert (code in by_coder["alice"].get(ex_id, set())) == accepted
        assert (code in by_coder["bob"].get(ex_id, set())) == (not accepted)

    # 6b. The Project page's "Codes in use": every row's quotes are its count.
    goto(page, "Project")
    totals: dict[str, tuple[set, set]] = {}
    for (_, code), (ex, dd) in expected_counts(ctx, docs, YEARS).items():
        t = totals.setdefault(code, (set(), set()))
        t[0].update(ex)
        t[1].update(dd)
    names = {c.id: c.name for c in ui_support.codebook(ctx).codes}
    in_use = picker_labels(page, "proj_codes_pick")
    assert sorted(in_use) == sorted(f"{names[c]} · {excerpts(len(ex))}" for c, (ex, _) in totals.items()), in_use
    for label in in_use:
        choose(page, "proj_codes_pick", label)
        code = next(c for c in totals if label == f"{names[c]} · {excerpts(len(totals[c][0]))}")
        want = (len(totals[code][0]), len(totals[code][1]))
        assert quotes_caption(page, label, want) == want, label
    shot("codes-in-use")

    # 7. Themes by year: every row's quotes are exactly the excerpts counted for that year
    #    (as many excerpts, from as many documents, as the stored codings give).
    goto(page, "Themes")
    choose(page, "th_by", "year")
    expected = {(y, names[c]): (len(ex), len(dd)) for (y, c), (ex, dd) in expected_counts(ctx, docs, YEARS).items()}
    labels = picker_labels(page, "th_freq_pick")
    assert labels, "the Themes table has rows"
    rows, zeros = [], []
    for label in labels:
        m = re.match(r"year (\S+) · (.+) · (\d+) excerpts?$", label)
        assert m, label
        year, code, n = m.group(1), m.group(2), int(m.group(3))
        assert expected.get((year, code), (0, 0))[0] == n, (label, expected.get((year, code)))
        if n == 0:  # a code counted in another year keeps its 0 here (walk 28); codes used nowhere have no row
            assert any(c == code for _, c in expected), label
            zeros.append(label)
            continue
        choose(page, "th_freq_pick", label)
        assert quotes_caption(page, f"{code} · year {year} · {excerpts(n)}", expected[(year, code)]) == expected[(year, code)], label
        rows.append((year, code, n))
    assert {(y, c) for y, c, _ in rows} == set(expected), "every counted (year, code) is a row"
    if zeros:  # a 0 drills down to no quote
        choose(page, "th_freq_pick", zeros[0])
        page.get_by_text("No quotes behind this number.").first.wait_for()
    shot("themes-by-year")

    # 8. The XLSX export agrees with the Themes table.
    goto(page, "Export")
    choose(page, "exp_by", "year")
    table, code_col = frequencies_xlsx(page)
    exported = {(str(y), str(c), int(n)) for y, c, n in zip(table["year"], table[code_col], table["excerpts"])
                if int(n) > 0}
    assert set(rows) == exported
    shot("export")

    # 9. Agreement: the headline's count of differing excerpts is the Disagreements list's,
    #    and both are what the stored decisions say.
    with ctx.session(readonly=True) as s:
        both = set(coding_store.reviewed_excerpts(s, coder_id=meta.find_coder(s, "alice"))) & set(
            coding_store.reviewed_excerpts(s, coder_id=meta.find_coder(s, "bob")))
    by_coder = codings_by_coder(ctx)
    differ = {e for e in both if by_coder["alice"].get(e, set()) != by_coder["bob"].get(e, set())}
    goto(page, "Agreement")
    head = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text="The coders gave the same codes to").first.inner_text()
    m = re.search(r"same codes to (\d+) of (\d+) excerpts .*?; they differ on (\d+)", head)
    assert m, head
    assert (int(m.group(2)), int(m.group(3))) == (len(both), len(differ)), head
    assert int(m.group(1)) == len(both) - len(differ) and len(both) >= 10
    shot("agreement")
    page.get_by_role("tab", name="Disagreements").click()
    wait_idle(page)
    listed = page.get_by_text(re.compile(r"^\d+ excerpts? where the coders differ")).first.inner_text()
    assert int(re.match(r"(\d+)", listed).group(1)) == len(differ), (head, listed)
    shot("disagreements")
    print(f"journey: {STALE['n']} clicks on chips replaced meanwhile, decided again from the current chips; "
          f"{STUCK['n']} stored decisions whose turn was not redrawn")
    ctx.close()

    assert not problems, "reader problems:\n" + "\n".join(problems)
