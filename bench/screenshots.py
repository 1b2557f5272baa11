"""Screenshots of every page of the app on the demo project -> docs/screenshots/*.png.

Builds the demo project (sample transcripts, default codebook, suggestions), lets a
coder decide on some suggestions so the analysis pages have something to show, starts
`qualcode app` and photographs each page in Chromium.

Run: .venv/bin/python bench/screenshots.py [--project DIR] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qualcode import services  # noqa: E402
from qualcode.services import coding  # noqa: E402
from qualcode.storage import coding as coding_store  # noqa: E402
from tests.browser.conftest import ARGS, CHROMIUM, App, key, wait_idle  # noqa: E402

PAGES = ["Project", "Import", "Code", "Codebook", "Themes", "Export", "Agreement"]


def decide_some(project: Path) -> None:
    """Two coders accept the top suggestion of most excerpts, reject a few (demo data)."""
    for coder, every in (("alice", 1), ("bob", 2)):
        ctx = services.open_project(project, coder=coder)
        with ctx.session(readonly=True) as s:
            sugg = coding_store.list_suggestions(s, status="pending")
        seen: set[int] = set()
        for i, sg in enumerate(sugg):
            if sg.excerpt_id in seen or i % every:
                continue
            seen.add(sg.excerpt_id)
            if len(seen) > 160:
                break
            try:
                if sg.score >= 0.5 or i % 3:
                    coding.accept_suggestion(ctx, sg.id)
                else:
                    coding.reject_suggestion(ctx, sg.id)
            except Exception:  # noqa: BLE001 - demo data only
                pass
        ctx.close()


def nav(page, title: str) -> None:
    page.locator('[data-testid="stTopNavLink"]').filter(has_text=re.compile(rf"{title}\s*$")).first.click()
    page.wait_for_selector(f'h1:has-text("{title}")')
    wait_idle(page)


def settle(page) -> None:
    wait_idle(page)
    page.wait_for_timeout(1500)  # lazy widgets and charts finish drawing (for the picture only)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--project", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from qualcode.services.demo import build_demo

    tmp = tempfile.TemporaryDirectory(prefix="qualcode-shots-")
    project = args.project or Path(tmp.name) / "demo"
    if not (project / "project.db").exists():
        print(build_demo(project, coder="alice", progress=print))
        decide_some(project)
    args.out.mkdir(parents=True, exist_ok=True)
    app = App(project, coder="alice")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 960})
            page.set_default_timeout(120_000)
            page.goto(app.url)
            page.wait_for_selector('[data-testid="stTopNavLink"]')
            settle(page)
            for title in PAGES:
                if not page.locator('[data-testid="stTopNavLink"]').filter(
                        has_text=re.compile(rf"{title}\s*$")).count():
                    continue
                nav(page, title)
                if title == "Import":
                    sample = REPO / "transcripts_sample" / "2021_interview_team_lead_literacy.md"
                    if sample.exists():
                        page.locator('[class*="st-key-imp_files_"] input[type="file"]').set_input_files(str(sample))
                        page.wait_for_selector('[data-testid="stExpander"] >> text=speakers')
                if title == "Code":
                    page.wait_for_selector('[data-testid="stMain"] [data-testid="stText"]')
                    chip = page.locator('[class*="st-key-chip-"][class*="-pending"]').first
                    chip.scroll_into_view_if_needed()
                    page.mouse.wheel(0, -250)  # show the turn's header too
                if title == "Themes":
                    page.wait_for_selector('[data-testid="stMain"] [data-testid="stDataFrame"], '
                                           '[data-testid="stMain"] [data-testid="stAlert"]')
                settle(page)
                path = args.out / f"{title.lower()}.png"
                page.screenshot(path=str(path))
                print("wrote", path)
                if title == "Code":
                    cls = page.eval_on_selector('[class*="st-key-chip-"][class*="-pending"]', "e => e.className")
                    sid = int(re.search(r"st-key-chip-(\d+)-pending", cls).group(1))
                    page.locator(key(f"acc-{sid}") + " button").first.click()
                    page.wait_for_selector(key(f"chip-{sid}-accepted"))
                    page.mouse.wheel(0, -5000)
                    page.locator('[data-testid="stMain"] [data-testid="stExpander"]').first.click()  # filters
                    settle(page)
                    page.screenshot(path=str(args.out / "code-filters.png"))
            browser.close()
    finally:
        app.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
