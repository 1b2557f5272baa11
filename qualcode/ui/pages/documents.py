"""Documents page: after import, fix speakers' roles (one speaker in every document at
once), merge one person written several ways (``Ana`` / ``Ana (2)``, ``Speaker 1`` /
``SPEAKER 1``, in one document or across them: a preview first, one undo), and enter
document attributes for many documents in one table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.core import Role
from qualcode.services import documents_edit
from qualcode.services.project import ProjectContext
from qualcode.ui.state import attempt, flash, in_callback, page_context
from qualcode.ui.text import md

ROLES = [r.value for r in Role]


def _role_everywhere(ctx: ProjectContext) -> None:
    label = st.session_state.get("docs_everywhere_speaker")
    role = st.session_state.get("docs_everywhere_role")
    if not label or not role:
        return
    r = in_callback(documents_edit.set_role_everywhere, ctx, label, role)
    if r is not None:
        where = f"{len(r['documents'])} document{'s' * (len(r['documents']) != 1)}"
        flash(f"{label} is now {role} in {where}." if r["documents"] else f"{label} was already {role} everywhere.",
              kind="success")


def _in_documents(label: str, n: int) -> str:
    return f"{label} ({n} document{'s' * (n != 1)})"


def _speakers(ctx: ProjectContext) -> None:
    st.subheader("Speakers and roles")
    st.caption("Interviewers' and facilitators' turns are not coded; participants' are. Fix a role here "
               "when import guessed wrong.")
    rows = attempt(documents_edit.speakers, ctx) or []
    if not rows:
        st.caption("No speakers yet.")
        return
    people: dict[str, tuple[str, int]] = {}
    for r in rows:
        people.setdefault(" ".join(r["label"].split()).casefold(), (r["label"], r["documents"]))
    with st.container(border=True):
        st.markdown("**The same speaker in every document**")
        cols = st.columns([3, 2, 2], vertical_alignment="bottom")
        options = sorted(people.values(), key=lambda p: (-p[1], p[0].lower()))
        # Nothing chosen at first: one click must never change a role nobody picked.
        who = cols[0].selectbox("Speaker", [p[0] for p in options], key="docs_everywhere_speaker", index=None,
                                placeholder="Pick a speaker",
                                format_func=lambda lab: _in_documents(lab, people[' '.join(lab.split()).casefold()][1]))
        role = cols[1].selectbox("Role", ROLES, key="docs_everywhere_role", index=None, placeholder="Pick a role")
        ready = bool(who and role)
        cols[2].button("Set in every document", key="docs_everywhere_set", on_click=_role_everywhere, args=(ctx,),
                       icon=":material/done_all:", type="primary" if ready else "secondary", disabled=not ready,
                       help=None if ready else "Pick a speaker and a role first")
    _merge(ctx, rows)
    frame = pd.DataFrame([{"Document": r["document"], "Speaker": r["name"], "Role": r["role"]} for r in rows])
    edited = st.data_editor(frame, key="docs_roles", hide_index=True, width="stretch", disabled=["Document", "Speaker"],
                            column_config={"Role": st.column_config.SelectboxColumn("Role", options=ROLES,
                                                                                    required=True)})
    changes = [(r["document_id"], r["label"], new) for r, new in zip(rows, edited["Role"]) if new != r["role"]]
    if st.button(f"Save {len(changes)} role change{'s' * (len(changes) != 1)}", key="docs_roles_save",
                 disabled=not changes, icon=":material/save:"):
        n = attempt(documents_edit.set_roles, ctx, changes)
        if n is not None:
            flash(f"Saved {n} role change{'s' * (n != 1)}.", kind="success")
            st.session_state.pop("docs_roles", None)
            st.rerun()


MERGE_PICK, MERGE_INTO, MERGE_DONE = "docs_merge_pick", "docs_merge_into", "docs_merge_done"


def _merge_now(ctx: ProjectContext) -> None:
    labels = list(st.session_state.get(MERGE_PICK) or [])
    into = " ".join(str(st.session_state.get(MERGE_INTO) or "").split()) or (labels[0] if labels else "")
    r = in_callback(documents_edit.merge_speakers_in, ctx, labels, into)
    if r is None:
        return
    n = len(r["documents"])
    others = [lab for lab in labels if lab != into]
    st.session_state[MERGE_DONE] = (
        f"Merged {md(', '.join(others) or labels[0])} into **{md(into)}** in {n} document{'s' * (n != 1)} "
        f"({md(', '.join(r['documents']))}): {r['turns']} turn{'s' * (r['turns'] != 1)} moved to {md(into)}; "
        + (f"their {r['codable']} excerpts are offered for coding, as before." if r["codable"] == r["codable_before"]
           else f"{r['codable']} of their excerpts are offered for coding (before: {r['codable_before']})."))
    st.session_state["docs_merge_last"] = (labels, st.session_state.get(MERGE_INTO) or "")
    st.session_state[MERGE_PICK] = []
    st.session_state[MERGE_INTO] = ""
    for key in ("docs_roles", "docs_everywhere_speaker"):  # speakers changed: widgets start afresh
        st.session_state.pop(key, None)


def _undo_merge(ctx: ProjectContext) -> None:
    done = in_callback(documents_edit.undo_merge, ctx)
    st.session_state.pop(MERGE_DONE, None)
    if done is not None:
        flash("The merge is undone: the speakers are back as they were.", kind="success")
        last = st.session_state.pop("docs_merge_last", None)
        if last:  # the pickers hold the undone merge again, to adjust or redo
            st.session_state[MERGE_PICK], st.session_state[MERGE_INTO] = list(last[0]), last[1]
        for key in ("docs_roles", "docs_everywhere_speaker"):
            st.session_state.pop(key, None)


def _merge(ctx: ProjectContext, rows: list[dict]) -> None:
    """One person written several ways: pick the labels and the name to keep, see what
    changes in which document, merge; the undo button takes it back."""
    docs_of: dict[str, set[int]] = {}
    for r in rows:
        docs_of.setdefault(r["label"], set()).add(r["document_id"])
    labels = sorted(docs_of, key=str.lower)
    groups = attempt(documents_edit.merge_candidates, ctx) or []
    with st.container(border=True):
        st.markdown("**One person written several ways**")
        done = st.session_state.get(MERGE_DONE)
        if done:
            st.success(done, icon=":material/merge:")
            st.button("Undo the merge", key="docs_merge_undo", on_click=_undo_merge, args=(ctx,),
                      icon=":material/undo:")
        if groups:
            st.caption("May be one person: " + "; ".join(" / ".join(md(lab) for lab in g) for g in groups))
        if MERGE_PICK not in st.session_state and groups:
            st.session_state[MERGE_PICK] = list(groups[0])
        st.session_state[MERGE_PICK] = [lab for lab in st.session_state.get(MERGE_PICK) or [] if lab in docs_of]
        cols = st.columns([3, 2], vertical_alignment="bottom")
        picked = cols[0].multiselect(
            "Speakers who are one person", labels, key=MERGE_PICK,
            format_func=lambda lab: _in_documents(lab, len(docs_of[lab])))
        cols[1].text_input("Name to keep", key=MERGE_INTO, placeholder=picked[0] if picked else "")
        into = " ".join(str(st.session_state.get(MERGE_INTO) or "").split()) or (picked[0] if picked else "")
        plan = attempt(documents_edit.merge_preview, ctx, picked, into) if picked else []
        if picked and not plan:
            st.caption("Pick at least two speakers, or type a new name for one.")
        if plan:
            st.markdown(f"**Preview**: in {len(plan)} document{'s' * (len(plan) != 1)}, these speakers "
                        f"become **{md(into)}**:")
            st.dataframe(pd.DataFrame([{
                "Document": p["document"],
                "Speakers now": ", ".join(f"{lab} ({v['role']}, {v['turns']} turn{'s' * (v['turns'] != 1)})"
                                          for lab, v in p["speakers"].items()),
                "After the merge": f"{p['into']} ({p['role']})",
                "Codable excerpts": f"{p['codable_before']} → {p['codable_after']}",
            } for p in plan]), hide_index=True, width="stretch")
            lost = sum(max(0, p["codable_before"] - p["codable_after"]) for p in plan)
            if lost:
                st.warning(f"{lost} excerpt{'s' * (lost != 1)} will no longer be offered for coding, because the "
                           "merged speaker keeps the role shown; their pending suggestions are withdrawn.",
                           icon=":material/warning:")
            st.caption("Turns, excerpts, codings and memos stay; the transcript text keeps the names as "
                       "written. You can undo the merge.")
        n = len(plan or [])
        st.button(f"Merge in {n} document{'s' * (n != 1)}" if n else "Merge", key="docs_merge_go", type="primary",
                  on_click=_merge_now, args=(ctx,), disabled=not plan, icon=":material/merge:")


def _attributes(ctx: ProjectContext) -> None:
    st.subheader("Document attributes")
    st.caption("Year, district, format…: what Themes can group by. Type in the table (or paste a column "
               "from a spreadsheet), then save. Add a column for a new attribute.")
    got = attempt(documents_edit.attributes_table, ctx)
    if got is None:
        return
    rows, types = got
    if not rows:
        st.caption("No documents yet.")
        return
    _same_value(ctx, rows, types)
    extra = st.session_state.setdefault("docs_new_columns", [])
    keys = [*types, *[k for k in extra if k not in types]]
    cols = st.columns([3, 1], vertical_alignment="bottom")
    cols[0].text_input("New attribute", key="docs_new_attr", placeholder="year")

    def add_column() -> None:
        name = (st.session_state.get("docs_new_attr") or "").strip()
        if name and name not in keys:
            extra.append(name)
        st.session_state["docs_new_attr"] = ""

    cols[1].button("Add column", key="docs_add_column", on_click=add_column, icon=":material/add:")
    frame = pd.DataFrame([{"Document": r["document"], **{k: r.get(k, "") for k in keys}} for r in rows],
                         columns=["Document", *keys])
    edited = st.data_editor(frame, key="docs_attrs", hide_index=True, width="stretch", disabled=["Document"],
                            column_config={k: st.column_config.TextColumn(f"{k} ({types.get(k, 'new')})")
                                           for k in keys})
    values: dict[int, dict[str, str]] = {}
    for r, (_, e) in zip(rows, edited.iterrows()):
        for k in keys:
            new = "" if pd.isna(e[k]) else str(e[k]).strip()
            if new and new != r.get(k, ""):
                values.setdefault(r["document_id"], {})[k] = new
    n = sum(len(v) for v in values.values())
    if st.button(f"Save {n} attribute value{'s' * (n != 1)}", key="docs_attrs_save", disabled=not n,
                 icon=":material/save:"):
        done = attempt(documents_edit.set_document_attributes, ctx, values)
        if done is not None:
            flash(f"Saved {done} attribute value{'s' * (done != 1)}.", kind="success")
            st.session_state.pop("docs_attrs", None)
            st.session_state["docs_new_columns"] = []
            st.rerun()


def _set_same_value(ctx: ProjectContext, ids: dict[str, int]) -> None:
    docs = st.session_state.get("docs_bulk_docs") or []
    key = (st.session_state.get("docs_bulk_key") or "").strip()
    value = (st.session_state.get("docs_bulk_value") or "").strip()
    if not docs or not key or not value:
        flash("Pick documents, an attribute and a value first.", kind="warning")
        return
    n = in_callback(documents_edit.set_document_attributes, ctx, {ids[d]: {key: value} for d in docs})
    if n is not None:
        flash(f"{key} = {value} for {len(docs)} document{'s' * (len(docs) != 1)} ({n} changed).", kind="success")
        st.session_state["docs_bulk_docs"] = []
        st.session_state.pop("docs_attrs", None)


def _same_value(ctx: ProjectContext, rows: list[dict], types: dict[str, str]) -> None:
    """One value for several documents at once (e.g. year 2023 for a batch)."""
    ids = {r["document"]: r["document_id"] for r in rows}
    with st.container(border=True):
        st.markdown("**One value for several documents**")
        cols = st.columns([4, 2, 2, 2], vertical_alignment="bottom")
        cols[0].multiselect("Documents", list(ids), key="docs_bulk_docs")
        cols[1].text_input("Attribute", key="docs_bulk_key", placeholder="year")
        cols[2].text_input("Value", key="docs_bulk_value", placeholder="2023")
        cols[3].button("Set", key="docs_bulk_set", on_click=_set_same_value, args=(ctx, ids),
                       icon=":material/edit:", type="primary")


def render() -> None:
    ctx = page_context("Documents")
    if ctx is None:
        return
    _speakers(ctx)
    _attributes(ctx)
    st.caption(md("Changes are recorded in the audit log with who made them."))
