"""Memos page: every memo (on documents, excerpts, codings and codes) in one list.

Filter by code, document and coder, search their words, download what is listed as a
spreadsheet; each memo says what it is about and opens where it is
anchored (the Code page at its excerpt, or the Codebook for a code memo). Write an analytic
memo on a code or a memo on a whole document here; excerpt and coding memos are written on
the Code page, where the text is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from qualcode.services import coding, export, ingest, memos, ui_support
from qualcode.services.project import ProjectContext
from qualcode.ui.pages.export import project_slug
from qualcode.ui.state import attempt, flash, in_callback, open_on_code_page, page_context
from qualcode.ui.text import distinct, md


def matching(rows: list[dict[str, Any]], words: str | None) -> list[dict[str, Any]]:
    """The memos whose text, anchor, document, code or coder hold every word of ``words``
    (case and accents as typed do not matter: casefolded)."""
    wanted = (words or "").casefold().split()
    if not wanted:
        return rows
    fields = ("text", "anchor", "document", "code", "coder")
    return [m for m in rows if all(w in " ".join(str(m.get(f) or "") for f in fields).casefold() for w in wanted)]


def memos_xlsx(rows: list[dict[str, Any]]) -> bytes:
    return export.table_bytes(pd.DataFrame([{k: r.get(k) for k in export.MEMO_COLUMNS} for r in rows],
                                           columns=export.MEMO_COLUMNS), fmt="xlsx", sheet="memos")


def _open(memo: dict[str, Any]) -> None:
    from qualcode.ui.app import page_for

    if memo["kind"] == "code":
        st.session_state["cb_focus"] = memo["code_id"]
        st.switch_page(page_for("codebook"))
    open_on_code_page(memo["document_id"], memo["excerpt_id"])


def _write(ctx: ProjectContext, code_names: dict[str, str], doc_names: dict[int, str]) -> None:
    with st.expander("Write a memo on a code or a document", icon=":material/edit:"):
        on = st.segmented_control("About", ["A code", "A document"], default="A code", key="memo_on")
        if on == "A document":
            target = st.selectbox("Document", list(doc_names), format_func=doc_names.get, key="memo_doc",
                                  index=None, placeholder="Choose a document")
        else:
            target = st.selectbox("Code", list(code_names), format_func=code_names.get, key="memo_code",
                                  index=None, placeholder="Choose a code")
        st.text_area("Memo", key="memo_text", placeholder="What are you noticing? Why does it matter?")
        st.button("Save memo", key="memo_save", icon=":material/sticky_note_2:", on_click=_save,
                  args=(ctx, on, target))


def _save(ctx: ProjectContext, on: str | None, target: Any) -> None:
    text = st.session_state.get("memo_text") or ""
    if target is None:
        flash("Choose what the memo is about first.", kind="warning")
        return
    kw = {"document_id": target} if on == "A document" else {"code_id": target}
    if in_callback(coding.add_memo, ctx, text, **kw) is not None:
        st.session_state["memo_text"] = ""
        flash("Memo saved.", kind="success")


def render() -> None:
    ctx = page_context("Memos")
    if ctx is None:
        return
    cb = attempt(ui_support.codebook, ctx)
    code_names = {c.id: c.name for c in cb.codes if not c.retired} if cb is not None else {}
    docs = attempt(ingest.list_documents, ctx) or []
    doc_names = distinct({d["id"]: d["name"] for d in docs})  # two files of one name stay apart
    _write(ctx, code_names, doc_names)
    everything = attempt(memos.list_memos, ctx) or []
    coders = sorted({m["coder"] for m in everything})
    cols = st.columns(3)
    code = cols[0].selectbox("Code", list(code_names), format_func=code_names.get, index=None, key="mf_code",
                             placeholder="Any code")
    doc = cols[1].selectbox("Document", list(doc_names), format_func=doc_names.get, index=None, key="mf_doc",
                            placeholder="Any document")
    coder = cols[2].selectbox("Coder", coders, index=None, key="mf_coder", placeholder="Any coder")
    shown = attempt(memos.list_memos, ctx, code_id=code, document_id=doc, coder=coder) or []
    if not everything:
        st.info("No memos yet. Write one above, or on the Code page beside an excerpt, a coding or a document.",
                icon=":material/sticky_note_2:")
        return
    words = st.text_input("Search the memos", key="mf_text", placeholder="Words in a memo or in what it is about",
                          icon=":material/search:")
    shown = matching(shown, words)
    bar = st.container(horizontal=True, vertical_alignment="center")
    bar.caption(f"{len(shown)} of {len(everything)} memos")
    if shown:  # the memos as listed (filters and search applied), as a spreadsheet
        bar.download_button("Download these memos", memos_xlsx(shown), key="mf_download",
                            file_name=f"{project_slug(ctx)}-memos.xlsx", icon=":material/download:",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    for m in shown:
        with st.container(border=True, key=f"memo-{m['memo_id']}"):
            head = st.container(horizontal=True, vertical_alignment="center")
            where = f" · {md(m['document'])}" if m["document"] and m["kind"] != "document" else ""
            head.markdown(f"**{memos.KINDS.get(m['kind'], m['kind'])}**: {md(m['anchor'])}{where}")
            if m["kind"] != "project" and head.button("Open", key=f"memo-open-{m['memo_id']}",
                                                      icon=":material/open_in_new:", type="tertiary",
                                                      help="Go to where this memo is anchored"):
                _open(m)
            st.text(m["text"])
            when = m["created_at"].strftime("%Y-%m-%d %H:%M") if m["created_at"] else ""
            st.caption(f"{m['coder']} · {when}")
