"""Bring a colleague's work into the open project (Agreement page): a REFI-QDA project
(.qdpx from NVivo, ATLAS.ti, MAXQDA or another qualcode project) or a coding spreadsheet
(.csv), with a preview of what will be merged, then a confirm. One undo takes it back."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import streamlit as st

from qualcode.core.text import plural
from qualcode.services import export as export_svc
from qualcode.services import merge as merge_svc
from qualcode.services import team
from qualcode.services.project import ProjectContext
from qualcode.ui.state import attempt, flash_undone, in_callback
from qualcode.ui.text import md, wrong_kind

RULES = {
    "documents": "Every excerpt of the documents they coded",
    "excerpts": "Only the excerpts they coded",
    "none": "None (their codings do not count for agreement)",
}

HOW_TO = ("To compare your coding with a colleague's, bring their work into this project: a REFI-QDA "
          "project (.qdpx) exported from NVivo, ATLAS.ti, MAXQDA or their own qualcode project, or a "
          "spreadsheet of codings (.csv with the columns document, start, end, code, coder). "
          "Use **Bring in a colleague's work** above; you see what will be merged before anything is saved.")


def _upload(up) -> io.BytesIO:
    buf = io.BytesIO(up.getvalue())
    buf.name = up.name
    return buf


def _preview(ctx: ProjectContext, up, rule: str) -> dict[str, Any] | None:
    key = (up.name, up.size, rule, ctx.coder)
    kept = st.session_state.get("colleague-preview")
    if kept and kept["key"] == key:
        return kept["summary"]
    if up.name.lower().endswith(".csv"):
        summary = attempt(export_svc.import_codings, ctx, _upload(up), reviews=rule, dry_run=True)
    else:
        summary = attempt(merge_svc.merge_qdpx, ctx, _upload(up), reviews=rule, dry_run=True)
    if summary is not None:
        st.session_state["colleague-preview"] = {"key": key, "summary": summary}
    return summary


def _merge(ctx: ProjectContext, up, rule: str) -> None:
    if up.name.lower().endswith(".csv"):
        done = in_callback(export_svc.import_codings, ctx, _upload(up), reviews=rule)
        if done is not None:
            _said(f"Merged {done['added']} codings from {up.name} ({done['skipped']} were already here); "
                  f"{done['reviews']} excerpts now count as reviewed. Undo takes the whole merge back.")
    else:
        done = in_callback(merge_svc.merge_qdpx, ctx, _upload(up), reviews=rule)
        if done is not None:
            _said(f"Merged {up.name}: {done['codings']} codings, {len(done['documents']['added'])} new "
                  f"documents, {len(done['codes']['added'])} new codes. Undo takes the whole merge back.")
    if done is not None:
        st.session_state.pop("colleague-preview", None)
        _compare_everyone(ctx)
        st.session_state["colleague-nonce"] = st.session_state.get("colleague-nonce", 0) + 1


def _said(text: str) -> None:
    """The merge's outcome, shown in this tab, where the coder clicked (walk 22: said at the top
    of the page, above the tabs, it went unseen) and as a toast."""
    st.session_state["colleague-done"] = text


def _undo(ctx: ProjectContext) -> None:
    flash_undone(in_callback(team.undo, ctx, 1))
    _compare_everyone(ctx)


def _compare_everyone(ctx: ProjectContext) -> None:
    """After a merge or its undo the Agreement tab compares everyone who reviewed excerpts."""
    people = in_callback(team.reviewing_coders, ctx)
    if people is not None:
        st.session_state["agr-coders"] = people


def _show_qdpx_preview(p: dict[str, Any]) -> int:
    docs, codes = p["documents"], p["codes"]
    m = st.columns(4)
    m[0].metric("New codings", p["codings"])
    m[1].metric("Documents already here", len(docs["matched"]))
    m[2].metric("New documents", len(docs["added"]))
    m[3].metric("New codes", len(codes["added"]))
    lines = [f"{p['already_there']} of the file's codings are already in this project and are skipped.",
             f"{p['reviews']} excerpts will count as reviewed by the file's coders.",
             f"New memos: {p['memos']}."]
    if docs["added"]:
        lines.append("New documents: " + ", ".join(docs["added"][:10]) + (" …" if len(docs["added"]) > 10 else ""))
    for d in codes.get("differ") or []:
        what = " and ".join(w for w, on in (("name", d["name"]), ("definition", d["definition"])) if on)
        lines.append(f"The file's code {d['file']} is {d['here']} here (the same code, another {what}): "
                     f"this project's {what} {'is' if ' and ' not in what else 'are'} kept. To take the file's, "
                     "edit the code on the Codebook page.")
    st.markdown("\n".join(f"- {md(x)}" for x in lines))
    if p["coders"]:
        st.table(pd.DataFrame([{"Coder": n, "Codings in the file": v["codings"], "New": v["new"]}
                               for n, v in sorted(p["coders"].items())]).set_index("Coder"))
    for item in p["left_out"]:
        st.warning(f"Left out: {item}", icon=":material/warning:")
    if p["problems"]:
        with st.expander(f"{plural(len(p['problems']), 'problem')} found in the file"):
            st.markdown("\n".join(f"- {md(x)}" for x in p["problems"][:200]))
    return p["codings"] + len(docs["added"]) + p["reviews"] + p["memos"] + len(codes["added"])


def _show_csv_preview(p: dict[str, Any]) -> int:
    m = st.columns(3)
    m[0].metric("New codings", p["added"])
    m[1].metric("Already here", p["skipped"])
    m[2].metric("Excerpts newly reviewed", p["reviews"])
    if p["coders"]:
        st.table(pd.DataFrame([{"Coder": n, "Codings in the file": v}
                               for n, v in sorted(p["coders"].items())]).set_index("Coder"))
    return p["added"] + p["reviews"]


def render(ctx: ProjectContext) -> None:
    """The 'Bring in a colleague's work' tab."""
    st.markdown("Import a colleague's coding into **this** project to compare it with yours: a REFI-QDA "
                "project (.qdpx) from NVivo, ATLAS.ti, MAXQDA or qualcode, or a spreadsheet of codings "
                "(.csv with the columns document, start, end, code, coder). Documents are matched by their "
                "text, codes by name; each of their coders keeps their own name, and nothing is duplicated. "
                "You see what will be merged before anything is saved.")
    done = st.session_state.pop("colleague-done", None)
    if done:
        st.success(md(done), icon=":material/merge:")
        st.toast(md(done), icon=":material/merge:")
    nonce = st.session_state.get("colleague-nonce", 0)
    up = st.file_uploader("Their file (.qdpx or .csv)", key=f"colleague-file-{nonce}")
    refused = up and wrong_kind(up.name, ("qdpx", "csv"), "A colleague's work",
                                "Export their project from NVivo, ATLAS.ti, MAXQDA or qualcode as a REFI-QDA project "
                                "(.qdpx), or save their codings table as .csv,")
    if refused:
        st.error(md(refused), icon=":material/error:")
        up = None
    rule = st.radio("Which excerpts count as reviewed by them (for agreement)", list(RULES),
                    format_func=RULES.get, key="colleague-rule",
                    help="Work from another program does not say which excerpts your colleague looked at and "
                         "left uncoded. By default every excerpt of a document they coded counts as reviewed. "
                         "A file from qualcode says it itself.")
    if up is None:
        if attempt(team.latest_change, ctx) == merge_svc.MERGE:  # only while Undo would take back a merge
            st.button("Undo the last merge", key="colleague-undo", icon=":material/undo:", on_click=_undo,
                      args=(ctx,), help="Takes the merge back as a whole: its documents, codes, codings and memos.")
        return
    with st.spinner("Reading the file…"):
        preview = _preview(ctx, up, rule)
    if preview is None:
        return
    st.subheader("What will be merged")
    is_csv = up.name.lower().endswith(".csv")
    changes = _show_csv_preview(preview) if is_csv else _show_qdpx_preview(preview)
    if not changes:
        st.info("Everything in this file is already in the project; there is nothing to merge.")
        return
    st.button("Merge into this project", key="colleague-merge", type="primary", icon=":material/merge:",
              on_click=_merge, args=(ctx, up, rule))
