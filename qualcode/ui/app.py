"""Page setup and navigation: the pages, in the order a study goes."""

from __future__ import annotations

import importlib
from typing import Callable

import streamlit as st

from qualcode.config import default_coder
from qualcode.ui import signin
from qualcode.ui.text import md
from qualcode.ui.state import (adopt_last_coder, current_coder, guarded, open_project_name, restore_coder,
                               restore_project)

# (module under qualcode.ui.pages, title, icon, url path)
PAGES = [
    ("project", "Project", ":material/folder_open:", "project"),
    ("importing", "Import", ":material/upload_file:", "import"),
    ("documents", "Documents", ":material/description:", "documents"),
    ("code", "Code", ":material/edit_note:", "code"),
    ("codebook", "Codebook", ":material/account_tree:", "codebook"),
    ("themes", "Themes", ":material/insights:", "themes"),
    ("export", "Export", ":material/download:", "export"),
    ("agreement", "Agreement", ":material/groups:", "agreement"),
    ("memos", "Memos", ":material/sticky_note_2:", "memos"),
]
_BUILT: dict[str, st.Page] = {}
HOME = "project"  # the default page, at "/" (and at /project, which leads there)
HOME_KEY = "project-home"  # its url_path: Streamlit keys pages by it, so /project stays free for the alias


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
        if st.session_state.get("coder_guessed"):
            how = f"the last to code in this project; not {md(coder)}? Switch on the Project page"
        st.sidebar.markdown(f":material/person: Coding as **{md(coder)}**  \n"
                            f":small[{how}]")


def main() -> None:
    # The tab's icon is an emoji, which the browser draws itself: a ":material/...:" icon here
    # makes every page fetch an image from Google's font server, and nothing may leave the machine.
    st.set_page_config(page_title="qualcode", page_icon="💬", layout="wide")
    allowed = signin.require_sign_in()
    if allowed:
        restore_coder(signed_in=signin.signed_in())
        restore_project()
        adopt_last_coder(signed_in=signin.signed_in())
        _coder_badge()
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
