"""Documents page: after import, fix speakers' roles (one speaker in every document at
once), merge one person written several ways (``Ana`` / ``Ana (2)``, ``Speaker 1`` /
``SPEAKER 1``, in one document or across them: a preview first, one undo), enter
document and speaker attributes in tables, and rename or delete a document
(a delete says what goes with it and asks again; both can be undone)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from qualcode.core import Role
from qualcode.errors import QualcodeError
from qualcode.services import documents_edit
from qualcode.services import ingest as ingest_svc
from qualcode.services.project import ProjectContext
from qualcode.ui.state import attempt, error_text, flash, in_callback, page_context
from qualcode.ui.text import md, plural

ROLES = [r.value for r in Role]
ROLES_DONE = "docs_roles_done"  # what the last Save in the speakers table did, said under it once


def _role_everywhere(ctx: ProjectContext) -> None:
    label = st.session_state.get("docs_everywhere_speaker")
    role = st.session_state.get("docs_everywhere_role")
    if not label or not role:
        return
    r = in_callback(documents_edit.set_role_everywhere, ctx, label, role)
    if r is not None:
        where = f"{len(r['documents'])} document{'s' * (len(r['documents']) != 1)}"
        coded = attempt(ingest_svc.codable_roles, ctx) or ()
        flash((f"{label} is now {role} in {where}." if r["documents"] else f"{label} was already {role} everywhere.")
              + " " + role_note([role], coded), kind="success")
        _kept_codings(r.get("codings_kept", 0))


def _kept_codings(n: int) -> None:
    """Codings on words that are no longer coded stay (nothing is thrown away unasked), and count."""
    if n:
        flash(_kept_text(n), kind="warning")


def _kept_text(n: int) -> str:
    return (f"{plural(n, 'coding')} on their turns stay{'s' * (n == 1)} and still count{'s' * (n == 1)} "
            "on Themes and in exports (not in the rate per 1,000 participant words, which no longer counts "
            "that speaker's words). If these words should not count, remove "
            f"{'it' if n == 1 else 'them'} on the Code page.")


def roles_saved(n: int, changed: list[tuple[str, str, str]]) -> str:
    """What Save did in the speakers table: who is now what, in which documents (walk 24: only
    the button's count, back to 0, said anything). ``changed``: (speaker, role, document).

    >>> roles_saved(3, [("Ben", "interviewer", "D2"), ("Jane", "interviewer", "D1"), ("Jane", "interviewer", "D3")])
    'Saved 3 role changes: Ben is now interviewer in D2; Jane is now interviewer in D1 and D3.'
    """
    where: dict[tuple[str, str], list[str]] = {}
    for who, role, doc in changed:
        where.setdefault((who, role), []).append(doc)
    said = [f"{who} is now {role} in {', '.join(docs[:-1]) + ' and ' if len(docs) > 1 else ''}{docs[-1]}"
            for (who, role), docs in where.items()]
    more = f"; and {len(said) - 6} more" if len(said) > 6 else ""
    return f"Saved {n} role change{'s' * (n != 1)}: {'; '.join(said[:6])}{more}."


def role_note(roles: list[str], coded: tuple[str, ...]) -> str:
    """Whether the words of speakers given ``roles`` are coded (walk 30: "unknown" said nothing of
    it; the coder learned it from the codable count, which did not move).

    >>> role_note(["unknown"], ("participant", "unknown"))
    'Speakers marked unknown: their words are coded.'
    >>> role_note(["interviewer", "participant", "interviewer"], ("participant", "unknown"))
    "Speakers marked interviewer: their words are not coded (the context of the others' answers). Speakers marked participant: their words are coded."
    """
    return " ".join(f"Speakers marked {role}: their words are "
                    + ("coded." if role in coded else "not coded (the context of the others' answers).")
                    for role in dict.fromkeys(roles))


def roles_caption(coded: tuple[str, ...]) -> str:
    """What the roles mean for coding, under the speakers' heading.

    >>> roles_caption(("participant", "unknown"))
    'Coded: the words of participant and unknown speakers. Interviewer and facilitator turns are not coded: they are the context of the answers (shown, never suggested or counted per 1,000 words).'
    """
    other = [r for r in ROLES if r not in coded]
    return (f"Coded: the words of {' and '.join(coded)} speakers. "
            + (f"{' and '.join(other).capitalize()} turns are not coded: they are the context of the answers "
               "(shown, never suggested or counted per 1,000 words)." if other else ""))


def _in_documents(label: str, n: int) -> str:
    return f"{label} ({n} document{'s' * (n != 1)})"


def _speakers(ctx: ProjectContext) -> None:
    st.subheader("Speakers and roles")
    # one caption, from the project's coded roles (the one before it named them fixed, and both showed)
    st.caption(roles_caption(attempt(ingest_svc.codable_roles, ctx) or ()) + " Fix a role here when import "
               "guessed wrong.")
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
    changed = [(r, new) for r, new in zip(rows, edited["Role"]) if new != r["role"]]
    changes = [(r["document_id"], r["label"], new) for r, new in changed]
    if st.button(f"Save {len(changes)} role change{'s' * (len(changes) != 1)}", key="docs_roles_save",
                 disabled=not changes, icon=":material/save:"):
        n = attempt(documents_edit.set_roles, ctx, changes)
        if n is not None:
            done = roles_saved(n, [(r["name"], new, r["document"]) for r, new in changed]) + " " + role_note(
                [new for _r, new in changed], attempt(ingest_svc.codable_roles, ctx) or ())
            kept = attempt(documents_edit.codings_on_uncoded, ctx, changes) or 0
            # said under the button, where the coder is (the page's top is scrolled away), and as a toast
            st.session_state[ROLES_DONE] = (done, _kept_text(kept) if kept else None)
            flash(md(done), kind="toast")
            st.session_state.pop("docs_roles", None)
            st.rerun()
    saved = st.session_state.pop(ROLES_DONE, None)
    if saved:
        st.success(md(saved[0]), icon=":material/check_circle:")
        if saved[1]:
            st.warning(saved[1])


MERGE_PICK, MERGE_INTO, MERGE_DONE = "docs_merge_pick", "docs_merge_into", "docs_merge_done"


def _merge_now(ctx: ProjectContext) -> None:
    labels = list(st.session_state.get(MERGE_PICK) or [])
    into = " ".join(str(st.session_state.get(MERGE_INTO) or "").split()) or (labels[0] if labels else "")
    r = in_callback(documents_edit.merge_speakers_moved, ctx, labels, into)
    if r is None:
        return
    n = len(r["documents"])
    others = [lab for lab in labels if lab != into]
    # "their" excerpts are the moved turns' alone, not the kept speaker's own as well
    moved, now, before = r["moved_excerpts"], r["moved_codable"], r["moved_codable_before"]
    are = "are" if (moved if now == moved else now) != 1 else "is"
    if now == before == moved:
        offered = f"their {moved} excerpt{'s' * (moved != 1)} {are} offered for coding, as before."
    elif now == before:
        offered = f"{now} of their {moved} excerpts {are} offered for coding, as before."
    else:
        offered = f"{now} of their {moved} excerpts {are} offered for coding (before: {before})."
    st.session_state[MERGE_DONE] = (
        f"Merged {md(', '.join(others) or labels[0])} into **{md(into)}** in {n} document{'s' * (n != 1)} "
        f"({md(', '.join(r['documents']))}): {r['turns']} turn{'s' * (r['turns'] != 1)} moved to {md(into)}; "
        + offered)
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
    got = _section(ctx, "Document attributes",
                   "Year, district, format…: what Themes can group by. Type in the table (or paste a column "
                   "from a spreadsheet), then save. Add a column for a new attribute.",
                   documents_edit.attributes_table, "No documents yet.")
    if got is None:
        return
    rows, types = got
    _same_value(ctx, rows, types)
    values = _attribute_grid(rows, types, {"Document": "document"}, prefix="docs", placeholder="year",
                             owner=lambda r: r["document_id"])
    _save_grid(ctx, values, prefix="docs", label="attribute value", save=documents_edit.set_document_attributes,
               names={r["document_id"]: r["document"] for r in rows}, unit="document", saved=ATTRS_SAVED)


def _section(ctx: ProjectContext, title: str, caption: str, table, empty: str):
    """A heading, what it is for, and ``table(ctx)``'s (rows, types); None (said) when it has no rows."""
    st.subheader(title)
    st.caption(caption)
    got = attempt(table, ctx)
    if got is not None and not got[0]:
        st.caption(empty)
        return None
    return got


def _save_grid(ctx: ProjectContext, values: dict[Any, dict[str, str]], *, prefix: str, label: str, save,
               names: dict[Any, str], unit: str, saved: str) -> None:
    """The grid's Save button (its count of values typed), the save, and its message beside it."""
    n = sum(len(v) for v in values.values())
    if st.button(f"Save {plural(n, label)}", key=f"{prefix}_attrs_save", disabled=not n, icon=":material/save:"):
        done = attempt(save, ctx, values)
        if done is not None:
            st.session_state[saved] = (time.monotonic(), _saved(values, names, done, unit=unit))
            st.session_state.pop(f"{prefix}_attrs", None)  # redrawn from the project, no new columns pending
            st.session_state[f"{prefix}_new_columns"] = []
            st.rerun()
    # Said until the next edit (or for a minute): the grid redrawn after a save sends its state once
    # more, and a message shown once was gone within a second (seen in Chromium, walk 30).
    kept = st.session_state.get(saved)
    if kept and (n or time.monotonic() - kept[0] > SAVED_FOR_S):
        st.session_state.pop(saved, None)
    elif kept:
        st.success(kept[1], icon=":material/check_circle:")


def _attribute_grid(rows: list[dict[str, Any]], types: dict[str, str], fixed: dict[str, str], *, prefix: str,
                    placeholder: str, owner) -> dict[Any, dict[str, str]]:
    """An editable table of attributes: the ``fixed`` columns (title: row key), shown only, then
    one column per attribute and per new one added with its box; returns the values typed that
    differ from the rows', ``{owner(row): {key: value}}``. Widget keys start with ``prefix``."""
    extra = st.session_state.setdefault(f"{prefix}_new_columns", [])
    keys = [*types, *[k for k in extra if k not in types]]
    cols = st.columns([3, 1], vertical_alignment="bottom")
    cols[0].text_input("New attribute", key=f"{prefix}_new_attr", placeholder=placeholder)

    def add_column() -> None:
        name = (st.session_state.get(f"{prefix}_new_attr") or "").strip()
        if name and name not in keys:
            extra.append(name)
        st.session_state[f"{prefix}_new_attr"] = ""

    cols[1].button("Add column", key=f"{prefix}_add_column", on_click=add_column, icon=":material/add:")
    frame = pd.DataFrame([{**{t: r[c] for t, c in fixed.items()}, **{k: r.get(k, "") for k in keys}} for r in rows],
                         columns=[*fixed, *keys])
    edited = st.data_editor(frame, key=f"{prefix}_attrs", hide_index=True, width="stretch", disabled=list(fixed),
                            column_config={k: st.column_config.TextColumn(f"{k} ({types.get(k, 'new')})")
                                           for k in keys})
    values: dict[Any, dict[str, str]] = {}
    for r, (_, e) in zip(rows, edited.iterrows()):
        for k in keys:
            new = "" if pd.isna(e[k]) else str(e[k]).strip()
            if new and new != r.get(k, ""):
                values.setdefault(owner(r), {})[k] = new
    return values


def _speaker_attributes(ctx: ProjectContext) -> None:
    """Speaker attributes in the app (walk 30: a focus group's tutors, parents and students could
    be told apart only with the command line or an attributes table at import)."""
    got = _section(ctx, "Speaker attributes",
                   "Who each speaker is: group (tutor, parent, student), position, age band… Themes can group by "
                   "these as by document attributes. Type in the table, then save; add a column for a new attribute.",
                   documents_edit.speaker_attributes_table, "No speakers yet.")
    if got is None:
        return
    rows, types = got
    values = _attribute_grid(rows, types, {"Document": "document", "Speaker": "name", "Role": "role"},
                             prefix="spk", placeholder="group", owner=lambda r: (r["document_id"], r["label"]))
    _save_grid(ctx, values, prefix="spk", label="speaker attribute value", save=documents_edit.set_speaker_attributes,
               names={(r["document_id"], r["label"]): f"{r['name']} ({r['document']})" for r in rows},
               unit="speaker", saved=SPEAKER_ATTRS_SAVED)


#: what the attribute table's Save and the "one value" box's Set just saved, shown beside them
#: (a message at the top of the page is out of sight down here)
ATTRS_SAVED, BULK_SAVED, SPEAKER_ATTRS_SAVED = "docs_attrs_saved", "docs_bulk_saved", "spk_attrs_saved"
SAVED_FOR_S = 60.0  # how long a table's "Saved ..." stays beside its button without a new edit


def _confirm(key: str) -> None:
    """Show, once, the message kept under ``key`` (next to the button it is about): a
    confirmation, or ``(kind, message)`` for a warning or an error."""
    done = st.session_state.pop(key, None)
    if isinstance(done, (tuple, list)):
        kind, text = done
        if kind == "info":
            st.info(text, icon=":material/undo:")
        else:
            (st.error if kind == "error" else st.warning)(text, icon=":material/warning:")
    elif done:
        st.success(done, icon=":material/check_circle:")


def _documents(n: int) -> str:
    return f"{n} document{'s' * (n != 1)}"


def _saved(values: dict[Any, dict[str, str]], names: dict[Any, str], changed: int, *, unit: str = "document") -> str:
    """"year = 2024 set on 3 documents; district = North set on call-2." from the values saved.

    >>> print(_saved({(1, "Ana"): {"group": "parent"}, (1, "Ben"): {"group": "parent"}}, {}, 2, unit="speaker"))
    Saved 2 attribute values: group \\= parent set on 2 speakers.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for did, attrs in values.items():
        for k, v in attrs.items():
            groups.setdefault((k, v), []).append(str(names.get(did, did)))
    parts = [f"{k} = {v} set on " + (docs[0] if len(docs) == 1 else plural(len(docs), unit))
             for (k, v), docs in sorted(groups.items())]
    shown = "; ".join(parts[:6]) + (f"; and {len(parts) - 6} more" if len(parts) > 6 else "")
    return f"Saved {changed} attribute value{'s' * (changed != 1)}: {md(shown)}."


def _set_same_value(ctx: ProjectContext, ids: dict[str, int]) -> None:
    docs = st.session_state.get("docs_bulk_docs") or []
    key = (st.session_state.get("docs_bulk_key") or "").strip()
    value = (st.session_state.get("docs_bulk_value") or "").strip()
    if not docs or not key or not value:
        st.session_state[BULK_SAVED] = ("warning", "Pick documents, an attribute and a value first.")
        return
    try:
        n = documents_edit.set_document_attributes(ctx, {ids[d]: {key: value} for d in docs})
    except (QualcodeError, ValueError, KeyError, LookupError) as exc:  # shown beside the button
        st.session_state[BULK_SAVED] = ("error", error_text(exc))
        return
    if n is not None:
        same = len(docs) - n
        st.session_state[BULK_SAVED] = md(f"{key} = {value} set on {_documents(len(docs))}") + (
            f" ({same} already had it)." if same > 0 else ".")
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
        _confirm(BULK_SAVED)


# --- a document imported by mistake: rename it or delete it ------------------------------------

DOC_PICK, DOC_NAME, DOC_ASK = "docs_manage_doc", "docs_rename_name", "docs_delete_ask"
#: the latest rename or delete (kept, with its Undo button, until the next one or its undo);
#: a one-off message about this box (an error, an undo) is shown once
DOC_DONE, DOC_MSG = "docs_manage_done", "docs_manage_msg"


def _goes_with(f: dict) -> str:
    """"64 excerpts (50 codable), 3 codings by 2 coders and 1 memo" (what goes with a document;
    walk 20: "64 excerpts" read against the 50 that Import and the Project page count).

    >>> _goes_with({"excerpts": 64, "codable": 50, "codings": 3, "coders": ["a", "b"], "memos": 1})
    '64 excerpts (50 codable), 3 codings by 2 coders and 1 memo'
    >>> _goes_with({"excerpts": 4, "codable": 4, "codings": 0, "coders": [], "memos": 0})
    '4 excerpts, 0 codings and 0 memos'
    """
    coders = len(f["coders"])
    codings = plural(f["codings"], "coding") + (f" by {plural(coders, 'coder')}" if f["codings"] else "")
    codable = f" ({f['codable']} codable)" if f.get("codable", f["excerpts"]) != f["excerpts"] else ""
    return f"{plural(f['excerpts'], 'excerpt')}{codable}, {codings} and {plural(f['memos'], 'memo')}"


def _pick_key() -> str:
    """The document picker's key: a new one after each rename or delete. Its options' names
    change then, and Chromium kept showing the old name in the same widget while the page had
    dropped the choice (the rename and delete controls vanished under a picked document)."""
    n = st.session_state.get("docs_manage_n", 0)
    return DOC_PICK if not n else f"{DOC_PICK}-{n}"


def _new_picker(did: int | None = None) -> None:
    st.session_state.pop(_pick_key(), None)
    st.session_state["docs_manage_n"] = st.session_state.get("docs_manage_n", 0) + 1
    if did is not None:  # the same document stays picked, under its new name
        st.session_state[_pick_key()] = did


def _fresh_widgets() -> None:
    """Documents were renamed or deleted: the other boxes, which hold names and rows, start afresh."""
    for key in ("docs_roles", "docs_attrs", "docs_bulk_docs", "docs_everywhere_speaker"):
        st.session_state.pop(key, None)


def _rename(ctx: ProjectContext, did: int) -> None:
    name = " ".join(str(st.session_state.get(DOC_NAME) or "").split())
    if not name:
        st.session_state[DOC_MSG] = ("warning", "Type the new name first.")
        return
    try:
        r = documents_edit.rename_document(ctx, did, name)
    except (QualcodeError, ValueError, KeyError, LookupError) as exc:
        st.session_state[DOC_MSG] = ("error", error_text(exc))
        return
    if r["before"] == r["name"]:
        st.session_state[DOC_MSG] = ("warning", md(f"“{r['name']}” already has that name."))
        return
    st.session_state[DOC_DONE] = md(f"“{r['before']}” is now called “{r['name']}”.")
    st.session_state[DOC_NAME] = ""
    _new_picker(did)
    _fresh_widgets()


def _ask_delete(did: int) -> None:
    st.session_state[DOC_ASK] = did


def _cancel_delete() -> None:
    st.session_state.pop(DOC_ASK, None)


def _delete(ctx: ProjectContext, did: int) -> None:
    st.session_state.pop(DOC_ASK, None)
    try:
        gone = documents_edit.delete_document(ctx, did)
    except (QualcodeError, ValueError, KeyError, LookupError) as exc:
        st.session_state[DOC_MSG] = ("error", error_text(exc))
        return
    st.session_state[DOC_DONE] = md(f"Deleted “{gone['name']}” with its {_goes_with(gone)}. ") + \
        "It no longer counts anywhere. Undo brings it all back."
    _new_picker()
    _fresh_widgets()


def _undo_document(ctx: ProjectContext) -> None:
    st.session_state.pop(DOC_ASK, None)
    try:
        done = documents_edit.undo_document_change(ctx)
    except (QualcodeError, ValueError, KeyError, LookupError) as exc:
        st.session_state[DOC_MSG] = ("error", error_text(exc))
        return
    st.session_state.pop(DOC_DONE, None)
    picked = st.session_state.get(_pick_key())
    _new_picker(picked if done is not None and done["action"] == "document_rename" else None)
    if done is None:
        st.session_state[DOC_MSG] = ("info", "Nothing to undo.")
    elif done["action"] == "document_rename":
        st.session_state[DOC_MSG] = ("info", "Undone: the document has its old name again.")
    else:
        st.session_state[DOC_MSG] = ("info", "Undone: the document is back, with its excerpts, codings and memos.")
    _fresh_widgets()


def _manage(ctx: ProjectContext) -> None:
    """Rename a document, or delete one imported by mistake (a second copy of an interview):
    the delete says what goes with it and asks again; both can be undone."""
    st.subheader("Rename or delete a document")
    st.caption("A document imported by mistake (a second copy of an interview, say) counts in every number "
               "until you delete it.")
    docs = attempt(documents_edit.documents, ctx)
    if docs is None:
        return
    if not docs:
        st.caption("No documents yet.")
        return
    names = {d["document_id"]: d["name"] for d in docs}
    if st.session_state.get(_pick_key()) not in names:
        st.session_state.pop(_pick_key(), None)
    with st.container(border=True):
        done = st.session_state.get(DOC_DONE)
        if done:
            st.success(done, icon=":material/check_circle:")
            st.button("Undo", key="docs_manage_undo", on_click=_undo_document, args=(ctx,), icon=":material/undo:")
        _confirm(DOC_MSG)
        did = st.selectbox("Document", list(names), key=_pick_key(), index=None, placeholder="Pick a document",
                           format_func=lambda d: names.get(d, str(d)))
        if did is None:
            return
        f = attempt(documents_edit.document_footprint, ctx, did)
        if f is None:
            return
        st.caption(md(f"{plural(f['turns'], 'turn')}, {_goes_with(f)}"
                      + (f" (coded by {', '.join(f['coders'])})" if f["coders"] else "") + "."))
        cols = st.columns([3, 2], vertical_alignment="bottom")
        cols[0].text_input("New name", key=DOC_NAME, placeholder=names[did])
        cols[1].button("Rename", key="docs_rename_go", on_click=_rename, args=(ctx, did), icon=":material/edit:")
        if st.session_state.get(DOC_ASK) != did:
            st.button("Delete this document…", key="docs_delete_ask_btn", on_click=_ask_delete, args=(did,),
                      icon=":material/delete:")
            return
        st.warning(md(f"Delete “{names[did]}”? With it go its {_goes_with(f)}") + (
            md(f" (coded by {', '.join(f['coders'])})") if f["coders"] else "") +
            ". They will no longer count on Themes, Agreement or in the exports. You can undo the delete "
            "right after (its text is kept in the project's history for that); to keep a copy as well, "
            "export the project first.", icon=":material/warning:")
        cols = st.columns(2)
        cols[0].button(md(f"Yes, delete “{names[did]}”"), key="docs_delete_go", type="primary", on_click=_delete,
                       args=(ctx, did), icon=":material/delete_forever:")
        cols[1].button("Cancel", key="docs_delete_cancel", on_click=_cancel_delete)


def render() -> None:
    ctx = page_context("Documents")
    if ctx is None:
        return
    _speakers(ctx)
    _attributes(ctx)
    _speaker_attributes(ctx)
    _manage(ctx)
    st.caption(md("Changes are recorded in the audit log with who made them."))
