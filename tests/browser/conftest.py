"""Real-browser fixtures: `qualcode app` as a subprocess, Chromium driven by Playwright.

Chromium comes from the system (/usr/bin/chromium; CI installs it); Playwright's own
browser download is not used. Tests skip, with the reason, only when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("QUALCODE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def suggested_project(path: Path, docs: list[Path], *, coder: str = "alice") -> Path:
    """A new project at ``path`` with ``docs`` imported and their first (cold) suggestions stored."""
    from qualcode import services
    from qualcode.services import ingest
    from qualcode.services import suggest as suggest_svc

    services.init_project(path, coder=coder).close()
    ctx = services.open_project(path, coder=coder)
    try:
        ingest.ingest_paths(ctx, docs)
        suggest_svc.suggest_all(ctx)
    finally:
        ctx.close()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """A running `qualcode --project DIR app` on a free port."""

    def __init__(self, project: Path, *, coder: str = "alice", cwd: Path = REPO, direct: bool = False) -> None:
        """``direct``: `streamlit run app.py` with QUALCODE_PROJECT, as the README's other way in
        (the CLI refuses a folder without a project; the app itself must say what to do there)."""
        self.project = project
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", QUALCODE_CODER=coder,
                   STREAMLIT_SERVER_FILE_WATCHER_TYPE="none", STREAMLIT_SERVER_RUN_ON_SAVE="false")
        qualcode = Path(sys.executable).with_name("qualcode")
        cmd = [str(qualcode)] if qualcode.exists() else [sys.executable, "-m", "qualcode.cli"]
        self.log = project.parent / f"app-{self.port}.log"
        # Its own process group: `qualcode app` runs streamlit as a child process, and
        # stopping must end both (terminating the parent alone leaves streamlit running).
        args = [*cmd, "--project", str(project), "app", "--port", str(self.port)]
        if direct:
            env["QUALCODE_PROJECT"] = str(project)
            args = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
                    "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1",
                    "--server.port", str(self.port)]
        self.proc = subprocess.Popen(args,
                                     cwd=cwd, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qualcode app exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"qualcode app did not answer on {self.url}")

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)  # the group this App started (pgid == its pid)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """Terminate the app's process group (qualcode and its streamlit), then kill it."""
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the streamlit child may outlive its parent briefly
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        self._signal_group(signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (install it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def start_app():
    apps: list[App] = []

    def start(project: Path, **kw) -> App:
        app = App(project, **kw)
        apps.append(app)
        return app

    start.apps = apps  # read by the failure report below
    yield start
    for app in apps:
        app.stop()


@pytest.fixture(scope="module")
def module_app(tmp_path_factory):
    """One app for a whole module's tests, each on its own project (``open_project``): an app
    started per test cost about 10 s of set-up and tear-down, and the transcript view's tests
    only need a fresh project, not a fresh server. Started on an empty project of its own."""
    home = tmp_path_factory.mktemp("module-app") / "home"
    from qualcode import services

    services.init_project(home, coder="alice").close()
    app = App(home, coder="alice")
    yield app
    app.stop()


def open_project(page, app: App, project: Path, path: str = "/code", *, more: str = "") -> None:
    """Open ``project`` in a new browser session of ``app``, on ``path``: the app opens the
    project named in the address (``?project=``), as a bookmark of a project opened on the
    Project page does. ``more``: further parameters of the address (``doc=1&ex=4``)."""
    from urllib.parse import quote

    page.goto(f"{app.url}{path}?project={quote(str(project))}" + (f"&{more}" if more else ""))
    wait_idle(page)


FAILURES = REPO / "tests" / "browser" / "artifacts" / "failures"
# The messages a failing test's page showed: Streamlit's alerts, toasts and exceptions.
ALERTS = """() => [...document.querySelectorAll(
  '[data-testid="stAlert"], [data-testid="stToast"], [data-testid="stException"], .qc-unsaved:not([hidden])')]
  .map(e => e.innerText.trim().slice(0, 300)).filter(Boolean).join(' | ')"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that fails leaves what the browser showed and what the app said: a
    screenshot and the page's text under tests/browser/artifacts/failures/ (git-ignored), and
    the tail of each app's log in the report (CI shows only the report)."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    pg = item.funcargs.get("page")
    if pg is not None:
        try:
            FAILURES.mkdir(parents=True, exist_ok=True)
            shot = FAILURES / f"{item.name}.png"
            pg.screenshot(path=str(shot), full_page=True, timeout=10_000)
            state = pg.evaluate("() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
                                " return [location.href, a && a.getAttribute('data-test-script-state'),"
                                " document.activeElement && document.activeElement.outerHTML.slice(0, 200),"
                                " document.body.innerText.slice(0, 4000)]; }")
            (FAILURES / f"{item.name}.txt").write_text("\n".join(str(x) for x in state), encoding="utf-8")
            shown = pg.evaluate(ALERTS)
            rep.sections.append(("browser at failure", f"screenshot: {shot}\nurl: {state[0]}\n"
                                 f"script state: {state[1]}\nfocus: {state[2]}\n"
                                 f"messages on the page: {shown or 'none'}\n"
                                 "browser events:\n" + "\n".join(getattr(pg, "qc_events", [])[-40:])))
        except Exception as exc:  # the report must not hide the failure itself
            rep.sections.append(("browser at failure", f"could not capture: {exc}"))
    apps = list(getattr(item.funcargs.get("start_app"), "apps", []))
    shared = item.funcargs.get("module_app")
    for app in apps + ([shared] if shared is not None else []):
        try:
            rep.sections.append((f"app log {app.port}", app.log.read_text(errors="replace")[-6000:]))
        except OSError:
            pass


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    # What the browser saw besides the page, for the report of a test that fails (CI shows only
    # the report): console errors and warnings, and the app's connection closing or failing.
    events: list[str] = []
    pg.qc_events = events
    stamp = time.monotonic()
    pg.on("console", lambda m: m.type in ("error", "warning")
          and events.append(f"{time.monotonic() - stamp:7.1f}s console {m.type}: {m.text[:300]}"))
    pg.on("pageerror", lambda e: events.append(f"{time.monotonic() - stamp:7.1f}s page error: {str(e)[:300]}"))

    def on_socket(ws) -> None:
        events.append(f"{time.monotonic() - stamp:7.1f}s websocket open {ws.url[-40:]}")
        ws.on("close", lambda _ws: events.append(f"{time.monotonic() - stamp:7.1f}s websocket closed"))
        ws.on("socketerror", lambda err: events.append(f"{time.monotonic() - stamp:7.1f}s websocket error: {err}"))

    pg.on("websocket", on_socket)
    yield pg
    context.close()


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script and drawing what it sent.

    The app root carries the script's run state (``data-test-script-state``: running or
    notRunning, the attribute Streamlit's own browser tests wait on); the 'Running…' status
    widget shows only after a delay, so it alone lets a test act while a rerun is still
    redrawing the page (a click on a widget being replaced is then lost). A short pause first
    lets a rerun that an action just requested begin. Only "notRunning" counts as done:
    "initial" (a page just loaded, its first run not begun) and "rerunRequested" (a click sent,
    its run not begun) are not.

    The run state says nothing about drawing: Streamlit loads most widgets' code on first use
    and shows a grey skeleton (``stSkeleton``) in their place meanwhile. After a reload on a
    busy machine the script had finished while the Code page's buttons were still skeletons
    for a second: N pressed then reached no button (its shortcut was not registered yet), a
    click on Themes' "Count from" hit a skeleton, and a table row clicked by position was the
    row above (the widgets over it grew when drawn). So the page must also hold no skeleton."""
    page.wait_for_timeout(150)
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " const w = document.querySelector('[data-testid=\"stStatusWidget\"]');"
        " const state = app && app.getAttribute('data-test-script-state');"
        " return (state === 'notRunning' || state === 'compilationError')"
        " && !(w && w.innerText.includes('Running'))"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]'); }",
        timeout=timeout)


def key(k: str) -> str:
    """CSS selector of the element Streamlit created with widget/container key ``k``."""
    return f".st-key-{k}"


def type_and_pick(page, widget_key: str, text: str, *, tries: int = 3) -> None:
    """Open the selectbox with key ``widget_key``, type ``text`` and click the first option that
    matches it, as a coder does in the code picker. Retried: on a loaded machine (a CI run) the
    open list was redrawn as the typing filtered it and the option found was detached before the
    click; a coder then opens the list again, and so does this."""
    for attempt in range(tries):
        try:
            wait_idle(page)
            page.locator(key(widget_key)).first.click()
            page.keyboard.press("Control+A")
            page.keyboard.type(text)
            page.get_by_role("option", name=re.compile(re.escape(text))).first.click(timeout=10_000)
            wait_idle(page)
            return
        except Exception:
            if attempt == tries - 1:
                raise


def import_without_suggestions(page, expect: str) -> str:
    """On the Import page with files chosen: Options > suggestions off, Import; wait for the
    result that says ``expect`` and return its text."""
    page.locator('[data-testid="stExpander"]', has_text="Options").first.locator("summary").click()
    page.locator(key("imp_suggest")).get_by_text("Compute suggestions after importing").click()
    wait_idle(page)
    page.locator(key("imp_go") + " button").first.click()
    result = page.locator('[data-testid="stAlert"]').filter(has_text=expect)
    result.wait_for(timeout=120_000)
    wait_idle(page)
    return result.first.inner_text()


def code_mode(page, name: str) -> None:
    """Choose how the Code page shows a document: Transcript, Excerpts or Review queue.

    Waits for the address to name the view (the page writes it as it draws that view): on a
    busy machine the click's rerun had not begun when ``wait_idle`` looked, so the test went on
    in the old view (T opened the Transcript's code box there, and the Excerpts view, drawn a
    moment later, took the box and the code typed into it away)."""
    page.locator('[data-testid="stButtonGroup"] button', has_text=name).first.click()
    page.wait_for_function("(v) => new URLSearchParams(location.search).get('view') === v", arg=name)
    wait_idle(page)


def to_first_suggestion(page, *, most: int = 15) -> None:
    """On the Code page, move the open excerpt on to the first one with a suggestion to decide:
    a document opens at its first excerpt needing a decision from the top (walk 45), which may
    have none; A ("No suggestions: next") moves past it without deciding anything."""
    either = f'{key("focus-accept")} button, {key("focus-accept-next")} button'
    for _ in range(most):
        page.locator(either).first.wait_for()
        wait_idle(page)
        skip = page.locator(key("focus-accept-next") + " button")
        if not skip.count() or "No suggestions" not in skip.first.inner_text():
            return
        skip.first.click()
        wait_idle(page)
    raise AssertionError(f"no excerpt with a suggestion within {most} of the top")


def shot(page, name: str) -> None:
    """A full-page screenshot ``name``.png in QUALCODE_SCREENSHOTS_DIR, when it is set."""
    out = os.environ.get("QUALCODE_SCREENSHOTS_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(out) / f"{name}.png"), full_page=True)
