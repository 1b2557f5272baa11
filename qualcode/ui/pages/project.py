"""Project page: open or create a project, pick the coder, see progress."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from qualcode import services
from qualcode.core.text import plural
from qualcode.core import CONSENSUS_CODER
from qualcode.errors import QualcodeError
from qualcode.services import codebook as cb_service
from qualcode.services import export as export_svc
from qualcode.services import suggest as suggest_svc
from qualcode.services import analysis as analysis_svc
from qualcode.services import project as project_svc
from qualcode.services import team, ui_support
from qualcode.ui import signin
from qualcode.ui.quotes import picked_row, show_quotes
from qualcode.ui.text import excerpts, md
from qualcode.ui.state import (attempt, blind_coder, current_coder, current_context, flash, forget_project,
                               project_ref, set_coder, show_flash)


def _switch(path: str, *, missing: str, opener, done) -> None:
    """Open (or create) the project in ``path`` with ``opener`` and make it this session's;
    ``done``: the message, "{path}" in it filled in, or a function of the path that makes it."""
    path = path.strip()
    if not path:
        st.session_state["_project_msg"] = ("error", missing)
        return
    try:
        opener(path).close()
    except QualcodeError as exc:
        st.session_state["_project_msg"] = ("error", exc.for_app())
        return
    forget_project()
    st.session_state["project"] = str(Path(path).expanduser().resolve())
    st.session_state["_project_msg"] = ("success", done(path) if callable(done) else done.format(path=path))


def _no_project_yet(folder: Path) -> str:
    """A folder with no project in it yet: a first step, not a failure (walk 15: a red "no
    qualcode project in ..." after Open on a new folder; walk 16: the same red box when the
    app was started on a folder meant for a new project)."""
    return (f"There is no qualcode project in {md(str(folder))} yet. Press **Create** to start one there "
            "(with the name and codebook above), or type the folder of an existing project.")


def _folder_without_project() -> Path | None:
    """The folder this session points at (typed, or the app's start setting) when it holds no
    project yet; None otherwise (no folder, a project there, or a team database)."""
    project, db_url = project_ref()
    if not project or db_url:
        return None
    folder = Path(project).expanduser()
    return None if project_svc.has_project(folder) else folder


def _open_existing(path: str) -> None:
    folder = Path(path.strip()).expanduser()
    if path.strip() and not project_svc.has_project(folder):
        st.session_state["_project_msg"] = ("info", _no_project_yet(folder))
        return
    _switch(path, missing="Type the folder of a project first.", opener=services.open_context,
            done="Opened {path}.")


def _codebook_label(cb: dict) -> str:
    """A shipped codebook in the Create list.

    >>> _codebook_label({"name": "Study", "codes": 17, "groups": 5, "examples": ["Trust", "Buy-in"]})
    'Study (17 codes in 5 groups: Trust, Buy-in, ...)'
    """
    groups = f" in {plural(cb['groups'], 'group')}" if cb.get("groups") else ""
    return f"{cb['name']} ({plural(cb['codes'], 'code')}{groups}: {', '.join(cb['examples'])}, ...)"


def _create(path: str, name: str) -> None:
    upload = st.session_state.get("project_new_codebook_file")
    if upload is not None and upload.name.lower().endswith(".qdpx"):
        _create_from_qdpx(path, name, upload)
        return
    if upload is not None:  # walk 27: a project of one's own codebook took a shipped one, then Replace
        _create_from_file(path, name, upload)
        return
    books = {str(cb["path"]): cb for cb in services.shipped_codebooks()}
    chosen = books.get(st.session_state.get("project_new_codebook") or "") or next(iter(books.values()))
    _switch(path, missing="Type a folder for the new project first.",
            opener=lambda p: services.init_project(p, name=name.strip() or None, codebook=chosen["path"],
                                                   coder=st.session_state.get("coder")),
            done=f"Created a project in {{path}} with the codebook {chosen['name']}. Edit its codes, or import "
                 "your own codebook, on the Codebook page.")


def _create_from_file(path: str, name: str, upload: Any) -> None:
    """A new project whose codebook is the coder's own file (YAML or .qdc), read and checked
    before anything is created: a refused file names its line and leaves no project behind."""
    made: dict[str, Any] = {}

    def opener(p: str) -> services.ProjectContext:
        with cb_service.uploaded_file(upload.getvalue(), upload.name) as book:
            ctx = services.init_project(p, name=name.strip() or None, codebook=book,
                                        coder=st.session_state.get("coder"))
        made["codes"] = len(cb_service.get_codebook(ctx).codable_codes())  # as the "Codes" figure counts
        return ctx

    _switch(path, missing="Type a folder for the new project first.", opener=opener,
            done=lambda p: f"Created a project in {p} with your codebook {md(upload.name)} ({made['codes']} "
                           "codes). Edit them on the Codebook page.")


def qdpx_created_text(path: str, filename: str, summary: dict[str, Any]) -> str:
    """What a project made from a .qdpx holds, and what the file held that did not come in (walk
    29: a partner's NVivo project could only be opened with the command line).

    >>> print(qdpx_created_text("/s", "partner.qdpx", {"documents": 4, "codes": 7, "codings": 109, "memos": 0,
    ...       "left_out": [], "problems": ["rosa (line 130 of the project file): a selection lies outside the text"]}))
    Created a project in /s from partner.qdpx: 4 documents, 7 codes, 109 codings, 0 memos. Not brought in: rosa (line 130 of the project file): a selection lies outside the text.

    The codes a coder can apply, as the Project page's "Codes" counts them; groups apart (walk 49):

    >>> print(qdpx_created_text("/s", "p.qdpx", {"documents": 3, "codes": 6, "code_groups": 1, "codings": 37,
    ...       "memos": 3}))
    Created a project in /s from p.qdpx: 3 documents, 6 codes (and 1 grouping code), 37 codings, 3 memos.
    """
    groups = summary.get("code_groups") or 0
    text = (f"Created a project in {path} from {filename}: {plural(summary['documents'], 'document')}, "
            f"{plural(summary['codes'], 'code')}" + (f" (and {plural(groups, 'grouping code')})" if groups else "")
            + f", {plural(summary['codings'], 'coding')}, {plural(summary['memos'], 'memo')}.")
    missing = [*summary.get("left_out", []), *summary.get("problems", [])]
    if missing:
        text += " Not brought in: " + "; ".join(missing[:5]) + (
            f"; and {len(missing) - 5} more" if len(missing) > 5 else "") + "."
    return text


def _create_from_qdpx(path: str, name: str, upload: Any) -> None:
    """A new project from a whole coded project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder or
    qualcode): its documents, codebook, codings and memos, in one transaction (a refused file
    leaves no project behind). A folder that holds a project already is refused: there, a
    colleague's file is merged on the Agreement page, with a preview."""
    made: dict[str, Any] = {}

    def opener(p: str) -> services.ProjectContext:
        if project_svc.has_project(Path(p).expanduser()):
            raise QualcodeError(f"{p} holds a project already",
                                app_hint="type a new folder to start a project from the file, or open this project "
                                         "and bring the file in on the Agreement page (Bring in a colleague's work)")
        data = io.BytesIO(upload.getvalue())
        data.name = upload.name  # the messages name the file, not "upload"
        made.update(export_svc.import_qdpx(p, data, coder=st.session_state.get("coder"), name=name.strip() or None))
        return services.open_context(p)

    _switch(path, missing="Type a folder for the new project first.", opener=opener,
            done=lambda p: qdpx_created_text(md(p), md(upload.name), {
                **made, "left_out": [md(x) for x in made.get("left_out", [])],
                "problems": [md(x) for x in made.get("problems", [])]}))
    msg = st.session_state.get("_project_msg")
    if msg and msg[0] == "success" and (made.get("left_out") or made.get("problems")):
        st.session_state["_project_msg"] = ("warning", msg[1])  # created, but not all of the file came in


def _team_database() -> None:
    """On a team server the project is the team's database: no folders to open or create."""
    st.caption("This app works on your team's shared database; projects are not opened or created from "
               "here. To start another project, ask whoever runs the server.")


def _open_or_create() -> str | None:
    """The form to open or create a project; returns the message it showed, if any."""
    project, db_url = project_ref()
    if db_url:
        _team_database()
        return None
    with st.expander("Open or create a project", expanded=not project or _folder_without_project() is not None,
                     icon=":material/folder_open:"):
        path = st.text_input("Project folder", value=project or "", key="project_path",
                             placeholder="/home/me/studies/collaboration-2024")
        name = st.text_input("Name (for a new project)", key="project_new_name", placeholder="My study")
        books = services.shipped_codebooks()
        st.selectbox("Codebook (for a new project)", [str(cb["path"]) for cb in books], key="project_new_codebook",
                     format_func=lambda p: _codebook_label(next(cb for cb in books if str(cb["path"]) == p)),
                     help="The codes suggested from the start. Either can be edited, and your own codebook "
                          "imported, on the Codebook page.",
                     disabled=st.session_state.get("project_new_codebook_file") is not None)
        st.file_uploader("Or your own codebook file (.xlsx, .csv, .yaml or .qdc), or a whole coded project (.qdpx), "
                         "for a new project", type=["xlsx", "csv", "yaml", "yml", "qdc", "qdpx"],
                         key="project_new_codebook_file",
                         help="A codebook as a spreadsheet (one row per code: columns name, definition, parent, "
                              "examples), in qualcode's YAML, or exported from NVivo, ATLAS.ti or MAXQDA as a "
                              "REFI-QDA codebook (.qdc): it is used instead of the codebook above. A REFI-QDA "
                              "project (.qdpx) from NVivo, ATLAS.ti, MAXQDA, QualCoder or qualcode: the new project "
                              "holds its documents, codebook, codings and memos.")
        cols = st.columns(2)
        cols[0].button("Open", key="project_open", on_click=lambda: _open_existing(st.session_state["project_path"]),
                       icon=":material/folder_open:", width="stretch")
        cols[1].button("Create", key="project_create",
                       on_click=lambda: _create(st.session_state["project_path"], st.session_state["project_new_name"]),
                       icon=":material/create_new_folder:", width="stretch")
    msg = st.session_state.pop("_project_msg", None)
    if msg:
        getattr(st, msg[0])(msg[1])
    return msg[1] if msg else None


def _switch_coder() -> None:
    set_coder(st.session_state.get("coder_pick") or "")


def _add_coder(ctx: services.ProjectContext) -> None:
    name = attempt(team.add_coder, ctx, st.session_state.get("coder_new", ""))
    if name:
        set_coder(name)
        st.session_state["coder_new"] = ""
        flash_not_blind(ctx, name)


def not_blind_text(name: str, others: list[str]) -> str:
    """What a coder added while independent coding is off should know (walk 29: the second coder
    read the first one's codes beside each excerpt, and nothing had said so).

    >>> not_blind_text("theo", ["maya"])
    "Coding as theo. Independent coding is off, so theo will see maya's codes beside each excerpt. To measure agreement on a blind sample, turn it on below before theo starts."
    """
    who = " and ".join([", ".join(others[:-1]), others[-1]] if len(others) > 1 else others)
    return (f"Coding as {name}. Independent coding is off, so {name} will see {who}'s codes beside each excerpt. "
            f"To measure agreement on a blind sample, turn it on below before {name} starts.")


def flash_not_blind(ctx: services.ProjectContext, name: str) -> None:
    others = [c for c in attempt(team.reviewing_coders, ctx) or [] if c != name]
    if others and not attempt(team.independent_coding, ctx):
        flash(not_blind_text(md(name), [md(o) for o in others]), kind="warning")


def _coder_picker(ctx: services.ProjectContext) -> None:
    st.subheader("Who is coding?")
    me = current_coder(ctx)
    if signin.signed_in():  # the coder is the signed-in user: no free choice
        st.caption(f"Signed in: coding as **{md(me)}**.")
        _independent_toggle(ctx)  # walk 36: a team with sign-in found it only on the Agreement page
        return
    coders = services.working_coders(ctx)
    if me not in coders:
        coders = sorted({*coders, me})
    st.caption(f"Coding as **{md(me)}**. Your decisions are stored under this name; it stays after a "
               "page reload (it is part of the page's address).")
    if st.session_state.get("_coder_pick_for") != me or st.session_state.get("coder_pick") not in coders:
        st.session_state["coder_pick"] = me  # the active coder changed (added, switched, URL): the list
        st.session_state["_coder_pick_for"] = me  # opens on them, never on the one before
    cols = st.columns([2, 1, 2, 1], vertical_alignment="bottom")
    # its value comes from the session state alone (an index= as well made Streamlit log a warning
    # with a stack trace on every run after a coder was added)
    picked = cols[0].selectbox("Coder", coders, key="coder_pick")
    cols[1].button(f"Code as {picked}" if picked != me else "Current coder", key="coder_switch",
                   on_click=_switch_coder, disabled=picked == me, icon=":material/switch_account:")
    cols[2].text_input("Add a coder", key="coder_new", placeholder="Your name")
    cols[3].button("Add", key="coder_add", on_click=_add_coder, args=(ctx,), icon=":material/person_add:")
    _independent_toggle(ctx)  # from the first coder on: a blind sample is set up before the second starts


def _set_independent(ctx: services.ProjectContext) -> None:
    attempt(team.set_independent_coding, ctx, bool(st.session_state.get("proj_independent")))


def _independent_toggle(ctx: services.ProjectContext) -> None:
    """How coders see each other's work, one click away (also on Agreement). Offered with one
    coder too (walk 13: it appeared only once a second coder existed, after the first had coded
    a whole transcript in the open)."""
    st.session_state["proj_independent"] = bool(attempt(team.independent_coding, ctx))
    st.toggle("Independent coding: coders don't see each other's decisions", key="proj_independent",
              on_change=_set_independent, args=(ctx,),
              help="Off (default): you see a colleague's verdict beside a suggestion and still record "
                   "your own. On: each coder sees only their own work (and consensus), as for "
                   "measuring agreement on a blind sample: turn it on before the second coder starts.")


OPEN_HELP = ("Suggestions on this document still open for you to accept or reject. A document you have "
             "reviewed in full can still have some: those you left open on an excerpt after deciding another "
             "of its suggestions (N on the Code page goes to them), and those of a code added after you "
             "finished it, once you looked again for it on the Code page.")


def _progress(ctx: services.ProjectContext, only: str | None = None) -> None:
    rows = ui_support.review_progress(ctx)
    if not rows:
        return
    coders = [only] if only else sorted({c for r in rows for c in r["reviewed"]})
    # consensus is not a coder: its column, last, says what it counts (walk 50: "Reviewed by
    # consensus 9%" stood among the coders)
    coders = [c for c in coders if c != CONSENSUS_CODER] + [c for c in coders if c == CONSENSUS_CODER]
    # yours to decide, as your Code page offers them (walk 19: every row's pending suggestions,
    # any coder's model's, stood beside "Reviewed 100%")
    mine = attempt(ui_support.open_per_document, ctx) or {}
    table = []
    for r in rows:
        row = {"Document": r["name"], "Codable excerpts": r["codable"], "Suggestions for you": mine.get(r["id"], 0)}
        for c in coders:
            row[f"Reviewed: {c}"] = (100.0 * r["reviewed"].get(c, 0) / r["codable"]) if r["codable"] else 0.0
        table.append(row)
    config = {f"Reviewed: {c}": st.column_config.ProgressColumn(f"Reviewed by {c}", min_value=0, max_value=100,
                                                                 format="%.0f%%") for c in coders}  # 15%, not 15.31%
    if CONSENSUS_CODER in coders:
        config[f"Reviewed: {CONSENSUS_CODER}"] = st.column_config.ProgressColumn(
            "Resolved by consensus", min_value=0, max_value=100, format="%.0f%%",
            help="The share of the document's excerpts whose disagreement was resolved on the Agreement page")
    # walk 42: "100% reviewed" beside "1 suggestion for you" read as a finished document with work left
    config["Suggestions for you"] = st.column_config.NumberColumn("Suggestions for you", help=OPEN_HELP)
    st.subheader("Review progress")
    # every document in view when there are not many (Streamlit's default shows 10 and scrolls inside)
    st.dataframe(pd.DataFrame(table), hide_index=True, column_config=config, width="stretch",
                 height="content" if len(table) <= ALL_ROWS else "auto")


def _codes_in_use(ctx: services.ProjectContext, only: str | None = None) -> None:
    """Each code's decided excerpts and documents (all coders, or ``only`` one's; a code counts
    its sub-codes, as on the Themes page); a click on a row shows exactly those excerpts' quotes."""
    st.subheader("Codes in use")
    df = attempt(analysis_svc.frequencies, ctx, include="accepted", coder=only)
    used = df[df["excerpts"] > 0].reset_index(drop=True) if df is not None and len(df) else None
    if used is None or used.empty:
        st.caption("No codings yet. Accept suggestions or code by hand on the Code page.")
        return
    used = used.sort_values(["excerpts", "code"], ascending=[False, True], kind="stable").reset_index(drop=True)
    whose = "Your decided codings only (independent coding is on)" if only else "Decided codings of every coder"
    st.caption(f"{whose}; a code includes its sub-codes. Click a row to read its quotes.")
    event = st.dataframe(used[["code", "excerpts", "documents"]], hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", key="proj_codes",
                         column_config={"code": st.column_config.TextColumn("Code"),
                                        "excerpts": st.column_config.NumberColumn("Excerpts"),
                                        "documents": st.column_config.NumberColumn("Documents")})
    records = used.to_dict("records")
    ids = [str(r["code_id"]) for r in records]
    labels = {i: f"{r['code']} · {excerpts(int(r['excerpts']))}" for i, r in zip(ids, records)}
    picked = picked_row(event, table_key="proj_codes", pick_key="proj_codes_pick", ids=ids, labels=labels,
                        label="Or pick a code", param="code")
    if picked is not None:
        r = records[ids.index(picked)]
        show_quotes(ctx, code_id=r["code_id"], where={}, include="accepted", key="proj_quotes",
                    title=f"{r['code']} · {excerpts(int(r['excerpts']))}", coder=only)


ALL_ROWS = 50  # the Review progress table shows up to this many documents without scrolling
WINDOW = 50  # decisions per point of the learning curve


def early_curve_text(curve: list[dict], me: str | None = None, window: int = WINDOW) -> str | None:
    """Before any coder has a full window of decisions: what the curve needs, in place of a
    lone dot. (A point per 10 decisions would be too noisy to read: one click moves a share by
    ten points.) None once someone has made ``window`` decisions. The coders whose decisions
    are counted are named; "you" is only ever ``me``, the coder of this session.

    >>> early_curve_text([{"coder": "alice", "decisions": 27}], "alice")
    'The curve draws a point per 50 decisions; you have made 27 so far.'
    >>> early_curve_text([{"coder": "ana", "decisions": 38}], "ben")
    'The curve draws a point per 50 decisions; so far ana has made 38 and you none.'
    >>> early_curve_text([{"coder": "alice", "decisions": 27}, {"coder": "bob", "decisions": 1}], "bob")
    'The curve draws a point per 50 decisions; so far alice has made 27, bob (you) 1.'
    >>> early_curve_text([{"coder": "Dana Reyes", "decisions": 3}, {"coder": "Bo Li", "decisions": 9}])
    'The curve draws a point per 50 decisions; so far Dana Reyes has made 3, Bo Li 9.'
    >>> early_curve_text([{"coder": "alice", "decisions": 50}, {"coder": "alice", "decisions": 61}]) is None
    True
    """
    made: dict[str, int] = {}
    for p in curve:
        made[p["coder"]] = max(made.get(p["coder"], 0), int(p["decisions"]))
    if not made or max(made.values()) >= window:
        return None
    head = f"The curve draws a point per {window} decisions; "
    if list(made) == [me]:
        return head + f"you have made {made[me]} so far."

    def who(c: str) -> str:
        return f"{c} (you)" if c == me else c
    (first, n_first), *rest = made.items()
    text = head + f"so far {who(first)} has made {n_first}" + "".join(f", {who(c)} {n}" for c, n in rest)
    return text + (" and you none." if me and me not in made else ".")


def _learning_curve(ctx: services.ProjectContext, only: str | None = None) -> None:
    """How the suggestions got better, from the stored decisions: per 50 decisions and coder
    (or ``only`` one), the share of shown suggestions accepted and the share of the coder's
    codes suggested."""
    curve = [p for p in suggest_svc.learning_curve(ctx, window=WINDOW) if only is None or p["coder"] == only]
    st.subheader("Learning curve")
    if not curve:
        st.caption("No decisions yet. As you accept and reject suggestions on the Code page, this shows how "
                   "often the suggestions were right.")
        return
    early = early_curve_text(curve, current_coder(ctx))
    if early:  # one dot says nothing yet: say what the curve needs
        st.caption(early + " As you accept and reject suggestions on the Code page, it shows how often "
                   "the suggestions were right.")
        return
    st.altair_chart(curve_chart(curve), width="stretch")
    st.caption(curve_caption(curve))


def codes_metric(cb) -> tuple[int, str]:
    """The "Codes" figure: the codes a coder can apply, the grouping codes said apart (walk 45
    read "Codes 22" against the 17 it could apply: 5 only hold others).

    >>> from qualcode.core import Code, Codebook
    >>> codes_metric(Codebook("cb", [Code("g", "Group", "", codable=False), Code("a", "A", "x", parent="g")]))
    (1, 'Codes a coder can apply (retired ones left out), and besides them 1 grouping code that only holds others.')
    """
    codes = [c for c in cb.codes if not c.retired] if cb is not None else []
    codable = sum(c.codable for c in codes)
    groups = len(codes) - codable
    text = "Codes a coder can apply (retired ones left out)"
    if groups:
        text += f", and besides them {plural(groups, 'grouping code')} that only hold{'s' if groups == 1 else ''} others"
    return codable, text + "."


def curve_chart(curve: list[dict[str, Any]]) -> alt.LayerChart:
    """The learning curve's chart: per coder a colour, the two measures by dash and point shape,
    a last window not full yet drawn with hollow points."""
    df = pd.DataFrame(curve)
    # a last window not full yet (9 decisions, say) is drawn hollow: walk 45 read its point, drawn
    # like the others, as a drop of the suggestions
    df["in_window"] = (df["decisions"] - df.groupby("coder")["decisions"].shift(1).fillna(0)).astype(int)
    df["full"] = df["in_window"] >= WINDOW
    long = df.melt(id_vars=["coder", "decisions", "in_window", "full"],
                   value_vars=["accepted_share", "suggested_share"], var_name="measure", value_name="share").dropna()
    long["measure"] = long["measure"].map({"accepted_share": "Suggestions shown that were accepted",
                                           "suggested_share": "Your codes that had been suggested"})
    # a colour per coder; the two measures by line dash and point shape (a coder with one
    # window has points and no line: the shape tells the measures apart)
    # from 0 to the next whole window past the last point, a tick per window (or per few): the
    # last point sat on the chart's edge, half cut, and only "50" was labelled (walk 6)
    last = int(df["decisions"].max())
    x_max = (last // WINDOW + 1) * WINDOW
    step = WINDOW * max(1, -(-x_max // (WINDOW * 10)))
    base = alt.Chart(long).encode(
        x=alt.X("decisions:Q", title="Decisions made", scale=alt.Scale(domain=[0, x_max], nice=False),
                axis=alt.Axis(format="d", values=list(range(0, x_max + 1, step)))),
        y=alt.Y("share:Q", title="Share", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("coder:N", title="Coder", legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(scheme="tableau10")),  # contrasting hues, not shades of one
        tooltip=["coder", "decisions", alt.Tooltip("in_window:Q", title="decisions in the window"), "measure",
                 alt.Tooltip("share:Q", format=".0%")])
    lines = base.mark_line(point=alt.OverlayMarkDef(size=70, filled=True)).encode(
        strokeDash=alt.StrokeDash("measure:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)),
        shape=alt.Shape("measure:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)))  # full labels
    # the points of a window not full yet: white inside (hollow), the coder's colour around
    points = base.transform_filter("!datum.full").mark_point(size=22, filled=True, opacity=1).encode(
        shape=alt.Shape("measure:N", legend=None), color=alt.value("white"))
    return (lines + points).properties(height=260)


def curve_caption(curve: list[dict[str, Any]]) -> str:
    """What a point of the learning curve is, and how many decisions an unfinished last window
    holds (walk 8: "a window of 50 decisions" over a last point of 39)."""
    text = f"Each point is a window of {WINDOW} decisions (accept, reject, code by hand, nothing here)"
    last: dict[str, int] = {}
    for p in curve:
        last[p["coder"]] = int(p["decisions"])
    partial = {c: n % WINDOW for c, n in last.items() if n % WINDOW}
    if partial:
        text += "; a hollow last point holds only the decisions made since the one before: " + ", ".join(
            f"{n} for {c}" for c, n in sorted(partial.items()))
    return text + "."


def render() -> None:
    st.title("Project")
    show_flash()
    shown = _open_or_create()
    folder = _folder_without_project()
    if folder is not None:  # the form above is open: say what to press, not a red error
        if shown != _no_project_yet(folder):  # not twice (Open on the same folder says it already)
            st.info(_no_project_yet(folder))
        return
    ctx = current_context()
    if ctx is None:
        st.info("No project is open. Type a folder above and **Create** a new project "
                "(or **Open** an existing one).")
        return
    st.subheader(services.project_name(ctx))
    st.caption(ctx.label)
    counts = services.project_status(ctx, verdicts=False)  # the page shows no accepted / rejected
    cols = st.columns(5)
    cols[0].metric("Documents", counts["documents"])
    cols[1].metric("Codable excerpts", counts["codable_excerpts"],
                   help=f"Excerpts a coder can code, decided or not ({counts['excerpts']} in all): an interviewer's "
                        "lines are not coded, so they are left out here, on the Code page and in the shares of "
                        "excerpts (Themes, exports). Each coder's progress is on the Code page.")
    n_codes, codes_help = codes_metric(attempt(cb_service.get_codebook, ctx, include_retired=False))
    cols[2].metric("Codes", n_codes, help=codes_help)
    if blind_coder(ctx):  # walk 20: a blind coder read the colleague's 84 codings here before coding any
        cols[3].metric("Your codings", attempt(ui_support.own_coding_count, ctx) or 0,
                       help="Independent coding is on: your own codings only")
    else:
        cols[3].metric("Codings", counts["codings"])
    cols[4].metric("Suggestions for you", attempt(ui_support.open_count, ctx) or 0,
                   help=f"Suggestions you have not decided yet, in every document ({ctx.coder}'s; a colleague's "
                        "decisions do not decide them for you)")
    _coder_picker(ctx)
    if not counts["documents"]:
        st.info("This project has no transcripts yet. Import some on the **Import** page.",
                icon=":material/upload_file:")
        return
    only = blind_coder(ctx)
    _progress(ctx, only)
    _learning_curve(ctx, only)
    _codes_in_use(ctx, only)
