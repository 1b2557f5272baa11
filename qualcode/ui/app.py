"""Page setup and navigation: the pages, in the order a study goes."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

import streamlit as st

from qualcode.config import default_coder, get_setting
from qualcode.errors import QualcodeError
from qualcode.ui import signin
from qualcode.ui.text import md
from qualcode.ui.state import (adopt_last_coder, current_coder, guarded, open_project_name, restore_coder, show_flash,
                               restore_project)

# (module under qualcode.ui.pages, title, icon, url path)
PAGES = [
    ("project", "Project", ":material/folder_open:", "project"),
    ("importing", "Import", ":material/upload_file:", "import"),
    ("documents", "Documents", ":material/description:", "documents"),
    ("code", "Code", ":material/edit_note:", "code"),
    ("search", "Search", ":material/search:", "search"),
    ("codebook", "Codebook", ":material/account_tree:", "codebook"),
    ("themes", "Themes", ":material/insights:", "themes"),
    ("export", "Export", ":material/download:", "export"),
    ("agreement", "Agreement", ":material/groups:", "agreement"),
    ("memos", "Memos", ":material/sticky_note_2:", "memos"),
]
_BUILT: dict[str, st.Page] = {}
HOME = "project"  # the default page, at "/" (and at /project, which leads there)
HOME_KEY = "project-home"  # its url_path: Streamlit keys pages by it, so /project stays free for the alias


# `streamlit run app.py -- --project DIR` hands the script its own arguments: read as `qualcode
# --project DIR app` reads them (walk 24: they were ignored, and a new folder's Create form came up
# empty). Each becomes the setting it stands for, over the environment, as on the command line.
START_OPTIONS = {"--project": "QUALCODE_PROJECT", "-p": "QUALCODE_PROJECT", "--db": "QUALCODE_DATABASE_URL",
                 "--coder": "QUALCODE_CODER"}


def start_options(argv: Sequence[str]) -> dict[str, str]:
    """The settings in the script's arguments (``--project DIR`` or ``--project=DIR``), as
    environment variables; a project folder absolute, as ``qualcode app`` passes it. Anything
    else is left out, and said in the terminal.

    >>> start_options(["--project=/tmp/study", "--coder", "Ana", "--verbose"])
    {'QUALCODE_PROJECT': '/tmp/study', 'QUALCODE_CODER': 'Ana'}
    """
    out: dict[str, str] = {}
    args = list(argv)
    while args:
        arg = args.pop(0)
        name, eq, value = arg.partition("=")
        if name in START_OPTIONS and (eq or args):
            value = value if eq else args.pop(0)
            if START_OPTIONS[name] == "QUALCODE_PROJECT":
                value = str(Path(value).expanduser().resolve())
            out[START_OPTIONS[name]] = value
        else:
            logging.getLogger(__name__).warning(
                "qualcode app: %r is not read (the app reads --project DIR, --db URL and --coder NAME)", arg)
    return out


def _read_start_options() -> None:
    """The arguments after ``--`` of ``streamlit run app.py``: only when this script is the one
    started (under a test runner, sys.argv holds the runner's own)."""
    if sys.argv and Path(sys.argv[0]).name == "app.py":
        os.environ.update(start_options(sys.argv[1:]))


def page_for(url: str):
    """The navigation's page object for a url path (for st.switch_page from a page)."""
    return _BUILT[url]


def _render_fn(module: str) -> Callable[[], None]:
    """A page's render() (every page module is part of the package)."""
    return importlib.import_module(f"qualcode.ui.pages.{module}").render


def _coder_badge() -> None:
    """Which project is open and who is coding, on every page (decisions are recorded under
    this name)."""
    name = open_project_name()
    if name:
        st.sidebar.markdown(f":material/folder_open: Project **{md(name)}**")
    coder = current_coder() or default_coder()
    if coder:
        how = "signed in" if signin.signed_in() else "switch on the Project page"
        if st.session_state.get("coder_guessed") == "last":
            how = f"the last to code in this project; not {md(coder)}? Switch on the Project page"
        elif not signin.signed_in() and not st.session_state.get("coder") and get_setting("coder"):
            # walk 26: a new tab said "Coding as maria" although joseph had coded last, and nothing
            # said why: the coder was chosen when the app was started, so no tab second-guesses it
            how = "chosen when the app was started (the same in every new tab); switch on the Project page"
        st.sidebar.markdown(f":material/person: Coding as **{md(coder)}**  \n"
                            f":small[{how}]")


def main() -> None:
    # The tab's icon is an emoji, which the browser draws itself: a ":material/...:" icon here
    # makes every page fetch an image from Google's font server, and nothing may leave the machine.
    st.set_page_config(page_title="qualcode", page_icon="💬", layout="wide")
    _read_start_options()
    allowed = signin.require_sign_in()
    if allowed:
        try:
            restore_coder(signed_in=signin.signed_in())
            restore_project()
            adopt_last_coder(signed_in=signin.signed_in())
            _coder_badge()
        except QualcodeError as exc:  # walk 36: a database server stopped left a blank page
            show_flash()  # a click that failed on the way here says so first
            st.error(exc.for_app(), icon=":material/error:")
            st.stop()
    pages = [
        st.Page(guarded(_render_fn(module)), title=title, icon=icon, default=url == HOME,
                url_path=HOME_KEY if url == HOME else url)
        for module, title, icon, url in PAGES
    ]
    _BUILT.update({url: p for (_, _, _, url), p in zip(PAGES, pages)})
    home = _BUILT[HOME]
    # The Project page is the default, at "/"; its own address /project (typed by hand) would be
    # "Page not found", so a hidden page there sends the browser to "/", keeping the address's
    # parameters (the coder).
    alias = st.Page(lambda: st.switch_page(home, query_params=st.query_params.to_dict()), title="Project",
                    url_path=HOME, visibility="hidden")
    nav = st.navigation([*pages, alias], position="top" if allowed else "hidden")
    if not allowed:  # the page asked for is resolved first: signing in reruns it, not the home page
        signin.password_form()
    nav.run()
