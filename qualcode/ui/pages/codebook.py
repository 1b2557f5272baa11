"""Codebook page: the code tree with counts; edit, add, rename, move, merge, split,
retire (each confirmed, each undoable); the quotes behind a code; discovered themes."""

from __future__ import annotations

import zlib
from typing import Any

import pandas as pd
import streamlit as st

from qualcode.core import Code, Codebook
from qualcode.core.model import NO_DEFINITION
from qualcode.core.text import plural
from qualcode.errors import QualcodeError
from qualcode.services import codebook as cb_service
from qualcode.services import ui_support
from qualcode.services.project import ProjectContext
from qualcode.ui.state import attempt, error_text, flash, page_context
from qualcode.ui.text import md, wrong_kind
from qualcode.ui.transcript_view import code_colors

LISTS = ("include", "exclude", "examples", "counterexamples", "keywords")
# What the table's counts are (walk 40 read a parent's "Codings" against its Themes row, which
# counts the excerpts of its sub-codes too)
CODINGS_HELP = ("Times this code itself was applied, by every coder (two coders applying it to one excerpt "
                "count twice). A sub-code's codings are not in its parent's count; on the Themes page a "
                "code's row counts excerpts, its sub-codes' included.")
PENDING_HELP = "Suggestions of this code that nobody has accepted or rejected yet."


CODEBOOK_KINDS = tuple(s.lstrip(".") for s in cb_service.IMPORT_SUFFIXES)  # yaml, yml, qdc

def _tree_rows(cb: Codebook, usage: dict[str, int], pending: dict[str, int], *, show_retired: bool) -> list[dict]:
    rows: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for c in cb.children(parent):
            if c.retired and not show_retired:
                continue
            rows.append({"Code": "\u2003" * depth + ("▸ " if not c.codable else "") + c.name, "Id": c.id,
                         "Codings": usage.get(c.id, 0), "Pending": pending.get(c.id, 0),
                         "Status": "retired" if c.retired else ("group" if not c.codable else "active"),
                         "Definition": c.shown_definition if c.codable or c.definition else ""})
            walk(c.id, depth + 1)

    walk(None, 0)
    return rows


def _label(cb: Codebook):
    names = {c.id: c.name for c in cb.codes}
    return lambda cid: f"{names.get(cid, cid)} ({cid})" if cid else "(top level)"


def _undo(ctx: ProjectContext) -> None:
    """Undo this coder's latest codebook change and say which it was ("Undid: merge of …")."""
    try:
        done = cb_service.undo_codebook(ctx)
    except (QualcodeError, ValueError, KeyError, LookupError) as exc:
        flash(error_text(exc))
        return
    if done is None:
        flash("Nothing to undo: you have made no codebook change that is not undone yet.", kind="info", slot="undo")
    else:
        flash(done.get("message") or "Undid the last codebook change.", kind="info", slot="undo")
        if done.get("code_id"):  # the code the undo brought back, open under Work on code (walk 41)
            st.session_state[SELECT_CODE] = done["code_id"]


def _lines(text: str) -> list[str]:
    return [t.strip() for t in (text or "").splitlines() if t.strip()]


ADD_FIELDS = ("add_name", "add_id", "add_definition", "add_examples", "add_keywords")


def _add_form(ctx: ProjectContext, cb: Codebook) -> None:
    if st.session_state.pop("add_clear", False):  # after a code was added (a refused one keeps its text)
        for k in ADD_FIELDS:
            st.session_state[k] = ""
    with st.expander("Add a code", icon=":material/add:"):
        with st.form("add-code", border=False):
            name = st.text_input("Name", placeholder="Rapport", key="add_name")
            cid = st.text_input("Id (optional: made from the name)", placeholder="rapport", key="add_id")
            parent = st.selectbox("Under", [None, *[c.id for c in cb.active()]], format_func=_label(cb))
            definition = st.text_area("Definition", placeholder="When a participant describes …", key="add_definition")
            # Examples and keywords are what the suggestions start from (before any decision).
            cols = st.columns(2)
            examples = cols[0].text_area("Examples (one per line)", placeholder="She always asks how my week went.",
                                         help="Sentences a coder would give this code: the engine suggests it "
                                              "where excerpts are alike.", key="add_examples")
            keywords = cols[1].text_area("Keywords (one per line, or separated by commas)", placeholder="rapport",
                                         help="Words that point to this code.", key="add_keywords")
            codable = st.checkbox("Codable (off for a grouping code)", value=True)
            if st.form_submit_button("Add code", icon=":material/add:"):
                if not name.strip():  # walk 32: a name of spaces was "code '': missing name. Correct the file …"
                    st.error("Give the new code a name: the one coders will see on its chips.",
                             icon=":material/error:")
                    return
                if codable and not definition.strip():
                    st.error("Write a definition for the new code (what it covers), or untick Codable for a "
                             "grouping code.", icon=":material/error:")
                    return
                added = attempt(cb_service.add_code, ctx, {"id": cid.strip(), "name": name.strip(), "parent": parent,
                                                           "definition": definition, "codable": codable,
                                                           "examples": _lines(examples), "keywords": _lines(keywords)})
                if added is not None:
                    flash(cb_service.added_text(added), kind="success")
                    st.session_state["add_clear"] = True
                    st.session_state[SELECT_CODE] = added.id  # open under Work on code (walk 17: it kept the old one)
                    st.rerun()


def _import_form(ctx: ProjectContext) -> None:
    """A codebook file (YAML, REFI-QDA .qdc, or a spreadsheet) brought in whole or not at all; a refused
    file (damaged, or built to exhaust memory) is a message with its line, never a traceback."""
    nonce = st.session_state.get("cb_import_nonce", 0)
    with st.expander("Import a codebook file", icon=":material/upload_file:"):
        st.caption("A spreadsheet (.xlsx or .csv, one row per code: columns name, definition, parent, examples, "
                   "include, exclude, keywords), YAML (qualcode's format) or REFI-QDA .qdc from NVivo, ATLAS.ti or "
                   "MAXQDA. Codes are matched by id (in a spreadsheet without ids, by name): new ones are added, "
                   "changed ones updated, the rest left alone, or retired if you replace the codebook. **Undo last "
                   "change** takes the whole import back.")
        sheet = attempt(cb_service.codebook_spreadsheet, ctx)
        if sheet is not None:  # the codebook as a spreadsheet: edit it in Excel and import it back
            st.download_button("Download this codebook as a spreadsheet (.csv)", sheet,
                               file_name="codebook.csv", mime="text/csv", icon=":material/download:",
                               key="cb_template", help="One row per code, the columns the import reads: a "
                               "template to fill in, or your codebook to edit in Excel and import back")
        upload = st.file_uploader("Codebook file (.xlsx, .csv, .yaml or .qdc)", key=f"cb_import_{nonce}")
        refused = upload and wrong_kind(upload.name, CODEBOOK_KINDS, "A codebook file",
                                        "Save it as a spreadsheet (.xlsx or .csv) or as YAML, or export the codebook "
                                        "from NVivo, ATLAS.ti or MAXQDA as a REFI-QDA codebook (.qdc),")
        if refused:
            st.error(md(refused), icon=":material/error:")
        # walk 16: a project's own codebook, imported, merged with the default one, and the coder
        # retired its 21 codes one by one (every one then went to NVivo in the .qdpx)
        replace = st.checkbox("Replace the codebook: retire the codes that are not in the file", key="cb_import_replace",
                              help="Use your codebook instead of the one the project started with. Codes that "
                                   "excerpts are coded with stay (merge or retire them yourself); retired codes "
                                   "can be restored one by one (pick one, then Move · merge · split · retire), or all "
                                   "at once with **Undo last change**.")
        if upload is None or refused or not st.button("Import codebook", key="cb-import-go", icon=":material/download_done:"):
            return
        try:
            result = cb_service.import_codebook_upload(ctx, upload.getvalue(), upload.name, replace=replace)
        except QualcodeError as exc:
            st.error(md(error_text(exc)), icon=":material/error:")  # the file's words, shown literally
            problems = getattr(exc, "problems", [])
            if len(problems) > 1:
                st.markdown("\n".join(f"- {md(str(p))}" for p in problems[:50])
                            + (f"\n- … and {len(problems) - 50} more" if len(problems) > 50 else ""))
            return
        st.session_state["cb_import_nonce"] = nonce + 1
        names = {c.id: c.name for c in cb_service.get_codebook(ctx).codes}
        flash(f"Imported {upload.name}: {md(cb_service.import_summary(result, names))}", kind="success")
        for w in result["warnings"][:20]:
            flash(w, kind="warning")
        st.rerun()


def _edit(ctx: ProjectContext, cb: Codebook, code: Code) -> None:
    with st.form(f"edit-{code.id}", border=False):
        name = st.text_input("Name", value=code.name)
        if code.codable and code.shown_definition == NO_DEFINITION:  # as the report says (walk 40)
            st.caption("No definition yet: this one only repeats the name (a code made while coding). Write what "
                       "the code covers and what it leaves out; the suggestions learn from it.")
        definition = st.text_area("Definition", value=code.definition)
        cols = st.columns([1, 3], vertical_alignment="bottom")
        codable = cols[0].checkbox("Codable", value=code.codable)
        # the colour its codings have in the transcript (transcript_view.code_colors): automatic
        # colours come close once twenty or so are in use (walk 45); a chosen one is the code's own
        shown = code_colors(cb.codable_codes()).get(code.id, code.color or "#9e9e9e")
        color = cols[1].color_picker("Colour in the transcript", value=shown, key=f"edit-color-{code.id}",
                                     help="Its codings are highlighted in this colour on the Code page. Until you "
                                          "choose one, it follows the code's place in the codebook.")
        values = {}
        cols = st.columns(2)
        for i, f in enumerate(LISTS):
            how = " (one per line, or separated by commas)" if f == "keywords" else " (one per line)"
            values[f] = cols[i % 2].text_area(f.capitalize() + how, value="\n".join(getattr(code, f)), height=100)
        if st.form_submit_button("Save changes", icon=":material/save:"):
            fields = {"definition": definition, "codable": codable, **values}
            if color.lower() != shown.lower():
                fields["color"] = color
            ok = True
            if name.strip() != code.name:
                ok = attempt(cb_service.rename_code, ctx, code.id, name.strip()) is not None
            if ok and attempt(cb_service.edit_code, ctx, code.id, **fields) is not None:
                flash(f"Saved {name}.", kind="success")
                st.rerun()


def _quotes(ctx: ProjectContext, code: Code) -> list[dict]:
    rows = ui_support.excerpts_with_code(ctx, code.id)
    if not rows:
        st.caption("No excerpt is coded with this code yet.")
        return rows
    st.dataframe(pd.DataFrame(rows)[["document", "coder", "origin", "text"]], hide_index=True, width="stretch",
                 column_config={"text": st.column_config.TextColumn("Quote", width="large")})
    return rows


def _structure(ctx: ProjectContext, cb: Codebook, code: Code, quotes: list[dict], used: int) -> None:
    """Move, merge, split, retire (or restore) ``code``; ``used``: its codings, all coders."""
    others = [c.id for c in cb.active() if c.id != code.id]
    label = _label(cb)
    st.markdown("**Move**")
    cols = st.columns([3, 1], vertical_alignment="bottom")
    parents = [None, *[c for c in others if c not in cb.descendants(code.id)]]
    # its parent now, so that Move without a choice changes nothing (walk 44: "(top level)" for a sub-code)
    parent = cols[0].selectbox("New parent", parents, index=parents.index(code.parent) if code.parent in parents else 0,
                               format_func=label, key=f"move-{code.id}")
    if cols[1].button("Move", key=f"domove-{code.id}", icon=":material/drive_file_move:"):
        if attempt(cb_service.move_code, ctx, code.id, parent) is not None:
            flash(f"Moved {code.name}.", kind="success")
            st.rerun()
    st.markdown("**Merge into another code**")
    # the button on a line of its own, under its confirmation (walk 42: beside the box it read "Me…")
    target = st.selectbox("Target", others, format_func=label, index=None, key=f"merge-{code.id}",
                          placeholder="Pick the code that absorbs this one")
    sure = st.checkbox(f"Yes, merge {code.name} into the target (its codings move; it is retired)",
                       key=f"mergeok-{code.id}")
    if st.button("Merge", key=f"domerge-{code.id}", icon=":material/merge:", disabled=not (target and sure)):
        summary = attempt(cb_service.merge_codes, ctx, code.id, target)
        if summary is not None:
            flash(cb_service.merge_text(code.name, label(target), summary) + ". Undo with 'Undo last change'.",
                  kind="success")
            # the code that absorbed it, not the list's first (walk 41: "Yes, merge Experiences
            # into the target" stood ready after a merge and its undo)
            st.session_state[SELECT_CODE] = target
            for key in [k for k in st.session_state if str(k).startswith(("merge-", "mergeok-"))]:
                del st.session_state[key]  # no merge stands confirmed for the next code (walk 42)
            st.rerun()
    st.markdown("**Split off a new code**")
    new_name = st.text_input("New code's name", key=f"splitname-{code.id}")
    options = {q["excerpt_id"]: f"{q['document']}: {q['text'][:80]}" for q in quotes}
    moved = st.multiselect("Excerpts that move to it", list(options), format_func=options.get,
                           key=f"splitex-{code.id}")
    if st.button("Split", key=f"dosplit-{code.id}", icon=":material/call_split:", disabled=not new_name.strip()):
        summary = attempt(cb_service.split_code, ctx, code.id,
                          {"id": "", "name": new_name.strip(), "definition": f"Split from {code.name}."}, moved)
        if summary is not None:
            flash(cb_service.split_text(code.name, summary) + ".", kind="success")
            st.rerun()
    st.markdown("**Retire**")
    if code.retired:
        if st.button("Restore", key=f"restore-{code.id}", icon=":material/restore:"):
            restored = attempt(cb_service.restore_code, ctx, code.id)
            if restored is not None:
                flash(cb_service.restored_text(restored, used), kind="success")
                st.rerun()
        return
    # walk 33: with codings, "Yes, retire" alone led to "code 'peer_shadowing' is used by 1
    # coding ... or retire it anyway", naming the id and no box: the box is asked for up front
    force = False
    if used:
        many = plural(used, "coding")
        st.caption(f"{many} use{'s' if used == 1 else ''} {code.name}. Merging it into another code moves "
                   "them; retiring keeps them, under the retired code.")
        force = st.checkbox(f"Retire even though {many} use{'s' if used == 1 else ''} it",
                            key=f"force-{code.id}")
    sure = st.checkbox(f"Yes, retire {code.name}", key=f"retireok-{code.id}")
    if st.button("Retire", key=f"doretire-{code.id}", icon=":material/archive:",
                 disabled=not sure or bool(used and not force),
                 help="Tick both boxes above first" if used and not force else None):
        if attempt(cb_service.retire_code, ctx, code.id, force=force) is not None:
            flash(f"Retired {code.name}.", kind="success")
            st.rerun()


THEMES_OPEN = "cb_themes_open"  # the Discovered themes expander's state (open or not), kept across reruns
THEMES_REOPEN = "cb_themes_reopen"  # set by a run that must leave it open (after Discover, after a promotion)
SELECT_CODE = "cb_select_code"  # a code for "Work on code" on the next run (a promoted code, to define it)


def _theme_key(d: dict, i: int) -> str:
    """A theme's widget keys: from its best excerpt, so they stay with the theme when another
    theme is promoted (and leaves the list)."""
    ids = d.get("excerpt_ids") or []
    return f"theme-{ids[0]}" if ids else f"theme-n{i}"


def _theme_card(ctx: ProjectContext, d: dict, i: int) -> None:
    key = _theme_key(d, i)
    words = d.get("keywords") or []
    content = d.get("content_words") or []  # the top words less function words and numbers
    title = d.get("label") or ", ".join(words) or f"Theme {i + 1}"
    examples = cb_service.theme_examples(d)
    with st.container(border=True):
        st.markdown(f"**{md(title)}** · {d.get('size', len(d.get('excerpt_ids', [])))} excerpts")
        if words:
            st.caption("Words that set these excerpts apart: " + md(", ".join(words)))
        st.caption("Its most typical excerpts (they become the new code's examples):")
        for ex in examples:
            st.text(ex, width="stretch")
        # Enter in the name box must not promote before the keywords are looked at (a walk)
        with st.form(f"promote-form-{key}", border=False, enter_to_submit=False):
            name = st.text_input("Name for the new code", key=f"{key}-name",
                                 placeholder="What do these excerpts share?")
            definition = st.text_input("Definition (optional: you can write it later)", key=f"{key}-definition",
                                       placeholder="When a participant describes …")
            keywords = st.text_input(
                "Keywords (optional, comma-separated)", value=", ".join(content[:3]), key=f"{key}-keywords",
                help="Words that point to this code wherever they appear. Keep only words that really "
                     "mean this theme: a common word such as \"every\" would put the code on every "
                     "sentence that has it. The examples above are what the suggestions start from.")
            if not st.form_submit_button("Promote to code", key=f"{key}-promote", icon=":material/upgrade:"):
                return
        if not name.strip():
            st.error("Name the new code first: say in a few words what these excerpts share.",
                     icon=":material/error:")
            return
        made = attempt(cb_service.promote_theme, ctx, d, name=name, definition=definition, keywords=keywords)
        if made is None:
            return
    kept = f"keywords {', '.join(made.keywords)}" if made.keywords else "no keywords"
    defined = ("the definition you wrote" if definition.strip()
               else f"the definition “{made.definition}” (just its name for now)")
    flash(f"Created the code {made.name} from this theme: {defined}, {len(made.examples)} of its most typical "
          f"excerpts as examples, and {kept}. It is open under Work on code: write in Edit what it covers, "
          "so that coders and the suggestions know what belongs. The Code page suggests it on the excerpts "
          "you have not reviewed.", kind="success")
    themes = st.session_state.get("themes_found") or []
    st.session_state["themes_found"] = [t for j, t in enumerate(themes) if j != i]
    st.session_state[SELECT_CODE] = made.id
    st.session_state[THEMES_REOPEN] = True
    st.rerun()


def _themes(ctx: ProjectContext, cb: Codebook) -> None:
    if st.session_state.pop(THEMES_REOPEN, False):  # before the expander exists: it opens with this run
        st.session_state[THEMES_OPEN] = True
    # A stateful expander (key, on_change): whether it is open is kept in the session, so the
    # rerun after Discover or a promotion does not fold it away with its results.
    with st.expander("Discovered themes (from excerpts no code covers)", icon=":material/travel_explore:",
                     key=THEMES_OPEN, on_change="rerun"):
        if st.button("Discover themes", key="discover", icon=":material/travel_explore:"):
            from qualcode.services import suggest as suggest_svc  # the model stack loads only when asked

            with st.spinner("Clustering uncoded excerpts…"):
                found = attempt(suggest_svc.discover_themes, ctx)
            if found is not None:
                st.session_state["themes_found"] = found
                st.session_state["themes_searched"] = True
                st.session_state[THEMES_REOPEN] = True
                st.rerun()
        themes = st.session_state.get("themes_found") or []
        if not themes:
            if st.session_state.get("themes_searched"):
                st.info("No recurring theme found: too few excerpts that no code or suggestion covers yet, "
                        "or none that are alike. Try again after importing or coding more.")
            else:
                st.caption("Press Discover to look for recurring ideas that no code covers yet.")
        for i, th in enumerate(themes):
            _theme_card(ctx, th if isinstance(th, dict) else vars(th), i)


def _work_on(cb: Codebook, ids: list[str]) -> str:
    """"Work on code": the chosen code's id, kept in ``cb_code``. The box's key carries the codes'
    names: Streamlit keeps a keyed box's shown label, so after a rename it still read "Volunteer
    kindness (kindness)" above a Name box saying "Staff and volunteer kindness" (walk 28)."""
    current = st.session_state.pop(SELECT_CODE, None)  # a code just added or promoted: open it
    if current in ids:
        # a new box, that shows it: the same box, its state dropped, went on showing its old choice
        # in the browser (walk 42: "Improvement cycles (PDSA)" above the Evidence it was merged into)
        st.session_state["cb_code_gen"] = st.session_state.get("cb_code_gen", 0) + 1
    else:
        current = st.session_state.get("cb_code")
    names = "\x1f".join(f"{c.id}\x1e{c.name}" for c in cb.codes)
    key = f"cb_code-{zlib.crc32(names.encode()):08x}-{st.session_state.get('cb_code_gen', 0)}"
    cid = st.selectbox("Work on code", ids, index=ids.index(current) if current in ids else 0,
                       format_func=_label(cb), key=key)
    st.session_state["cb_code"] = cid
    return cid


def render() -> None:
    ctx = page_context("Codebook")
    if ctx is None:
        return
    cb = attempt(cb_service.get_codebook, ctx)
    if cb is None:
        return
    usage = attempt(cb_service.code_usage, ctx) or {}
    pending = attempt(cb_service.pending_usage, ctx) or {}
    top = st.container(horizontal=True, vertical_alignment="center")
    show_retired = top.toggle("Show retired codes", key="cb_retired")
    top.button("Undo last change", key="cb-undo", icon=":material/undo:", on_click=_undo, args=(ctx,))
    if not cb.codes:
        st.info("This codebook is empty. Add a first code below, or import a codebook file.")
    _add_form(ctx, cb)
    _import_form(ctx)
    left, right = st.columns([3, 2])
    with left:
        rows = _tree_rows(cb, usage, pending, show_retired=show_retired)
        # a short codebook without empty rows under it (walk 18); a long one scrolls inside
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height="content" if len(rows) <= 15 else 560,
                     column_config={"Definition": st.column_config.TextColumn(width="large"),
                                    "Codings": st.column_config.NumberColumn("Codings", help=CODINGS_HELP),
                                    "Pending": st.column_config.NumberColumn("Pending", help=PENDING_HELP)})
    with right:
        ids = [r["Id"] for r in rows]
        if not ids:
            return
        cid = _work_on(cb, ids)
        code = cb.get(cid)
        if code is None:
            return
        # keyed: a message above it (shown once) moved it, and the next click went back to Edit
        tabs = st.tabs(["Edit", "Quotes", "Move · merge · split · retire"], key="cb_tabs")
        with tabs[0]:
            _edit(ctx, cb, code)
        with tabs[1]:
            quotes = _quotes(ctx, code)
        with tabs[2]:
            _structure(ctx, cb, code, quotes, usage.get(code.id, 0))
    _themes(ctx, cb)
