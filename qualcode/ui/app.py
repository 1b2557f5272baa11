"""Page setup and navigation."""

from __future__ import annotations

import streamlit as st

from qualcode.ui.pages import project as project_page


def main() -> None:
    st.set_page_config(page_title="qualcode", page_icon=":material/forum:", layout="wide")
    pages = [
        st.Page(project_page.render, title="Project", icon=":material/folder_open:", url_path="project", default=True),
    ]
    st.navigation(pages).run()
