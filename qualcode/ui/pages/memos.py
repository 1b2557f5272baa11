"""Memos page: every memo (on documents, excerpts, codings and codes) in one list.

Filter by code, document and coder, search their words, download what is listed as a
spreadsheet; each memo says what it is about and opens where it is
anchored (the Code page at its excerpt, or the Codebook for a code memo). Write an analytic
memo on a code, a memo on a whole document or one on the project here; excerpt and coding memos
are written on the Code page, where the text is. Each memo can be edited or deleted (walk 31: a
memo saved with a mistake, or with words that must not stay, could not be changed); a delete says
so with an Undo beside it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from qualcode.services import coding, export, ingest, memos, ui_support
from qualcode.services.project import ProjectContext
from qualcode.services.search import plain
from qualcode.ui.pages.export import project_slug
from qualcode.ui.state import attempt, blind_coder, flash, in_callback, open_on_code_page, page_context
from qualcode.ui.text import distinct, md


def matching(rows: list[dict[str, Any]], words: str | None) -> list[dict[str, Any]]:
    """The memos whose text, anchor, document, code or coder hold every word of ``words``, in
    any case and with any accents, as the Search page reads (walk 41: "cafe" found no memo
    about the café).

    >>> [m["text"] for m in matching([{"text": "Met at the Café"}, {"text": "Cafeteria"}], "cafe met")]
    ['Met at the Café']
    """
    wanted = plain((words or "").casefold()).split()
    if not wanted:
        return rows
    fields = ("text", "anchor", "document", "code", "coder")
    return [m for m in rows
            if all(w in plain(" ".join(str(m.get(f) or "") for f in fields).casefold()) for w in wanted)]


def memos_xlsx(rows: list[dict[str, Any]]) -> bytes:
    return export.table_bytes(pd.DataFrame([{k: r.get(k) for k in export.MEMO_COLUMNS} for r in rows],
                                           columns=export.MEMO_COLUMNS), fmt="xlsx", sheet="memos")


def _open(memo: dict[str, Any]) -> None:
    from qualcode.ui.app import page_for

    if memo["kind"] == "code":  # "Work on code" opens on it (walk 31: it showed the first code)
        from qualcode.ui.pages.codebook import SELECT_CODE

        st.session_state[SELECT_CODE] = memo["code_id"]
        st.switch_page(page_for("codebook"))
    open_on_code_page(memo["document_id"], memo["excerpt_id"])


ABOUT = ["A code", "A document", "The project"]
WRITING = "memo_writing"  # whether the write form is open
DELETED = "memo_deleted"  # the memo just deleted, for the Undo beside its message
EDITING = "memo_editing"  # the memo whose text box is open


def _write(ctx: ProjectContext, code_names: dict[str, str], doc_names: dict[int, str]) -> None:
    # its open state is kept by key (walk 31: switching "A code" / "A document" closed it)
    with st.expander("Write a memo on a code, a document or the project", icon=":material/edit:", key=WRITING,
                     on_change="rerun"):
        on = st.segmented_control("About", ABOUT, default="A code", key="memo_on", required=True)
        target = None
        if on == "The project":
            st.caption("A memo on the study as a whole: design decisions, what the codebook is for, "
                       "what to look at next.")
        elif on == "A document":
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
    if target is None and on != "The project":
        flash("Choose what the memo is about first.", kind="warning")
        return
    kw = {} if on == "The project" else {"document_id": target} if on == "A document" else {"code_id": target}
    if in_callback(coding.add_memo, ctx, text, **kw) is not None:
        st.session_state["memo_text"] = ""
        st.session_state[WRITING] = False
        flash("Memo saved.", kind="success")


def _edit_save(ctx: ProjectContext, memo_id: int) -> None:
    text = st.session_state.get(f"memo-edit-text-{memo_id}") or ""
    if _done(coding.edit_memo, ctx, memo_id, text):  # an empty text: the error, the box kept open
        st.session_state.pop(EDITING, None)
        flash("Memo saved.", kind="success")


def _delete(ctx: ProjectContext, memo: dict[str, Any]) -> None:
    if _done(coding.delete_memo, ctx, memo["memo_id"]):
        st.session_state[DELETED] = memo
        st.session_state.pop(EDITING, None)


def _done(fn, *args: Any) -> bool:
    """Run a service call that returns nothing from a callback: whether it went through (an
    error is kept for the next run, as :func:`in_callback` keeps it)."""
    return in_callback(lambda: fn(*args) or True) is True


def _undo_delete(ctx: ProjectContext) -> None:
    memo = st.session_state.pop(DELETED, None)
    if memo is None:
        return
    done = in_callback(coding.undo_memo_delete, ctx)
    if done:
        flash(md(f"Memo brought back ({_about(memo)})."), kind="success")
    elif done == []:
        flash("Nothing to bring back: that delete was already undone.", kind="info")


def _deleted_note(ctx: ProjectContext) -> None:
    memo = st.session_state.get(DELETED)
    if not memo:
        return
    with st.container(border=True, key="memo-deleted"):
        row = st.container(horizontal=True, vertical_alignment="center")
        # what it was about, not its words: a memo is often deleted for what it said
        row.markdown(md(f"Memo deleted ({_about(memo)}, {_when(memo)})."))
        row.button("Undo", key="memo-undo-delete", icon=":material/undo:", on_click=_undo_delete, args=(ctx,))


def _about(memo: dict[str, Any]) -> str:
    return memos.KINDS.get(memo["kind"], memo["kind"]) + (f": {memo['anchor']}" if memo["anchor"] else "")


def _when(memo: dict[str, Any]) -> str:
    at = memo.get("created_at")
    return f"written by {memo['coder']}" + (f" on {at.strftime('%Y-%m-%d %H:%M')}" if at else "")


def render() -> None:
    ctx = page_context("Memos")
    if ctx is None:
        return
    cb = attempt(ui_support.codebook, ctx)
    code_names = {c.id: c.name for c in cb.codes if not c.retired} if cb is not None else {}
    docs = attempt(ingest.list_documents, ctx) or []
    doc_names = distinct({d["id"]: d["name"] for d in docs})  # two files of one name stay apart
    _write(ctx, code_names, doc_names)
    _deleted_note(ctx)
    everything = attempt(memos.list_memos, ctx) or []
    coders = sorted({m["coder"] for m in everything})
    cols = st.columns(3)
    code = cols[0].selectbox("Code", list(code_names), format_func=code_names.get, index=None, key="mf_code",
                             placeholder="Any code")
    doc = cols[1].selectbox("Document", list(doc_names), format_func=doc_names.get, index=None, key="mf_doc",
                            placeholder="Any document")
    coder = cols[2].selectbox("Coder", coders, index=None, key="mf_coder", placeholder="Any coder")
    shown = attempt(memos.list_memos, ctx, code_id=code, document_id=doc, coder=coder, coded_by=blind_coder(ctx)) or []
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
            anchor = f": {md(m['anchor'])}" if m["anchor"] else ""  # a project memo is about no one thing
            head.markdown(f"**{memos.KINDS.get(m['kind'], m['kind'])}**{anchor}{where}")
            if m["kind"] != "project" and head.button("Open", key=f"memo-open-{m['memo_id']}",
                                                      icon=":material/open_in_new:", type="tertiary",
                                                      help="Go to where this memo is anchored"):
                _open(m)
            mid = m["memo_id"]
            if st.session_state.get(EDITING) == mid:
                st.text_area("Memo text", value=m["text"], key=f"memo-edit-text-{mid}", label_visibility="collapsed")
                row = st.container(horizontal=True)
                row.button("Save", key=f"memo-edit-save-{mid}", icon=":material/save:", type="primary",
                           on_click=_edit_save, args=(ctx, mid))
                row.button("Cancel", key=f"memo-edit-cancel-{mid}",
                           on_click=lambda: st.session_state.pop(EDITING, None))
            else:
                st.text(m["text"])
            foot = st.container(horizontal=True, vertical_alignment="center")
            when = m["created_at"].strftime("%Y-%m-%d %H:%M") if m["created_at"] else ""
            foot.caption(f"{m['coder']} · {when}")
            if st.session_state.get(EDITING) != mid:
                foot.button("Edit", key=f"memo-edit-{mid}", icon=":material/edit:", type="tertiary",
                            on_click=lambda i=mid: st.session_state.__setitem__(EDITING, i))
            foot.button("Delete", key=f"memo-delete-{mid}", icon=":material/delete:", type="tertiary",
                        on_click=_delete, args=(ctx, m), help="Undo is offered at the top of the list")
