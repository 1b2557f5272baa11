"""The Code page's grid for surveys: one row per respondent, one question's answers at a time.

Each row shows the respondent and their attributes, the answer, and its codes as chips
(accept / reject suggestions, this coder's codes, add a code). Sorting and filters work on
the whole survey in pandas (:func:`qualcode.services.survey.filter_grid`); only a page of
rows is drawn, in one fragment, so a decision reruns that page and not the Code page, and
5,000 answers stay fast. Widget keys carry excerpt / suggestion ids (``srow-<excerpt id>``,
``sadd-<excerpt id>``) so the browser tests find them.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from qualcode.services import coding, ui_support
from qualcode.services import suggest as suggest_svc
from qualcode.services import survey as survey_svc
from qualcode.services.project import ProjectContext
from qualcode.services.ui_support import ExcerptView
from qualcode.ui.state import (after_decision, attempt, compute_suggestions, flash_undone, guarded, in_callback,
                               show_flash)
from qualcode.ui.text import md, plural
from qualcode.ui.transcript import chips, dirty, refresh, scroll_into_view

STATUSES = {"pending": "Has pending suggestions", "coded": "Coded by me", "reviewed": "Reviewed, no code",
            "open": "Not reviewed, no suggestions"}
PAGE_SIZES = [10, 25, 50, 100]
VIEWS = ["Transcripts", "Survey grid"]


GRID_PARAM = "kind"  # ?kind=survey in the page's address: a reload comes back to the grid
VIEW_KEPT = "code_view_kept"  # the view chosen, for coming back from another page
# ... and to the survey, question (its number, 1 = the first) and page of rows it was on
PLACE_PARAMS = {"sg_survey": "survey", "sg_question": "question", "sg_page": "rows_page", "sg_page_size": "rows"}


def render_if_chosen(ctx: ProjectContext) -> bool:
    """Offer the grid when the project holds surveys; draw it and return True when chosen."""
    surveys = attempt(survey_svc.list_surveys, ctx) or []
    if not surveys:
        return False
    if st.session_state.get("code_view") not in VIEWS:
        # back from another page (Streamlit forgot the widget: walk 44 came back to Transcripts), or
        # a new session, where the address says which (a reload)
        wanted = st.session_state.get(VIEW_KEPT) or (VIEWS[1] if st.query_params.get(GRID_PARAM) == "survey" else None)
        st.session_state["code_view"] = wanted or (VIEWS[0] if survey_svc.has_transcripts(ctx) else VIEWS[1])
    st.segmented_control("View", VIEWS, key="code_view", label_visibility="collapsed", required=True)
    st.session_state[VIEW_KEPT] = st.session_state.get("code_view")
    if st.session_state.get("code_view") != "Survey grid":
        for param in (GRID_PARAM, *PLACE_PARAMS.values()):
            if param in st.query_params:
                del st.query_params[param]
        return False
    st.query_params[GRID_PARAM] = "survey"
    grid(ctx, surveys)
    return True


def open_answer(ctx: ProjectContext, *, excerpt_id: int | None = None, document_id: int | None = None) -> bool:
    """From a callback: show a survey answer (or a respondent's first) where it is decided, the
    Survey grid at its survey and question, filters cleared, on the page that holds it (walk 35:
    "Open survey_youth · R001" beside a new code's line left the Transcript view where it was).
    False for a transcript's excerpt or document."""
    place = attempt(survey_svc.answer_place, ctx, excerpt_id=excerpt_id, document_id=document_id)
    if not place:
        return False
    name, question, excerpt_id = place
    g = attempt(survey_svc.survey_grid, ctx, name)
    if g is None:
        return False
    for k in [k for k in st.session_state if str(k).startswith("sg_f_")]:
        st.session_state[k] = []
    st.session_state.update(code_view="Survey grid", sg_survey=name, sg_question=question, sg_text="",
                            sg_status=[], sg_code=None, sg_sort="respondent", sg_desc=False,
                            sg_focus=excerpt_id)  # its row marked and brought into view (walk 40)
    shown = survey_svc.filter_grid(g.question(question), sort="respondent")
    at = list(shown["excerpt_id"]).index(excerpt_id)
    st.session_state["sg_page"] = at // int(st.session_state.get("sg_page_size", 25)) + 1
    return True


def add_code(ctx: ProjectContext, ex: ExcerptView, code_names: dict[str, str]) -> None:
    """on_change of a row's 'Add a code' box: code the whole answer, then clear the box. Codes of
    the codebook only: the box applies what is picked at once, so a half-typed name and Enter
    would have been a new code (walk 39: "Childc"); a new code is made on the Codebook page or in
    the Code page's side panel, where "Add code" says first what it will do."""
    excerpt_id = ex.id
    key = f"sadd-{excerpt_id}"
    code_id = st.session_state.get(key)
    if code_id in code_names:
        in_callback(coding.add_coding, ctx, excerpt_id, code_id)
        dirty().add(excerpt_id)
        after_decision(ctx)
    st.session_state[key] = None


def undo(ctx: ProjectContext) -> None:
    """on_click: the one undo, from the grid; the page's rows read their state again."""
    flash_undone(in_callback(coding.undo, ctx), ctx)
    st.session_state.pop("sg_views", None)
    after_decision(ctx)


def nothing_here_help(state: ui_support.ExcerptState) -> str:
    """What a row's "Nothing here" / "Nothing more here" does to this answer.

    >>> nothing_here_help(ui_support.ExcerptState())
    'No code applies to this answer: it counts as decided, with no code (the model learns that too).'
    """
    n = len(state.pending)
    open_ = f"the {plural(n, 'suggestion')} still open on it" if n else ""
    if state.codings:
        return f"Reject {open_}; your codes on this answer stay." if n else "Mark this answer done; your codes stay."
    rejected = f" ({open_} rejected)" if n else ""
    return f"No code applies to this answer: it counts as decided, with no code{rejected} (the model learns that too)."


def nothing_here(ctx: ProjectContext, excerpt_id: int) -> None:
    """on_click: this answer has no code: its open suggestions are rejected and it counts as
    reviewed (a negative example for the engine), as "Nothing here" on a transcript."""
    in_callback(coding.nothing_here, ctx, excerpt_id)
    dirty().add(excerpt_id)
    after_decision(ctx)


def _filters(g: survey_svc.SurveyGrid, rows: pd.DataFrame, code_names: dict[str, str]) -> dict[str, Any]:
    with st.expander("Sort and filter", icon=":material/filter_list:"):
        cols = st.columns(max(1, min(4, len(g.attributes))) or 1)
        where = {a: cols[i % len(cols)].multiselect(a.replace("_", " ").capitalize(),
                                                    sorted(v for v in rows[a].astype(str).unique() if v),
                                                    key=f"sg_f_{a}")
                 for i, a in enumerate(g.attributes)}
        c = st.columns([2, 2, 2, 2, 1], vertical_alignment="bottom")
        text = c[0].text_input("Answer contains", key="sg_text", placeholder="search words")
        status = c[1].multiselect("Status", list(STATUSES), format_func=STATUSES.get, key="sg_status")
        code = c[2].selectbox("Code", sorted(code_names, key=lambda k: code_names[k]), index=None,
                              format_func=lambda k: code_names[k], key="sg_code", placeholder="Any code")
        sort = c[3].selectbox("Sort by", ["respondent", *g.attributes, "status"], key="sg_sort",
                              format_func=lambda a: a.replace("_", " ").capitalize())
        desc = c[4].toggle("Desc.", key="sg_desc")
    return {"where": where, "text": text, "status": status, "code": code, "sort": sort, "descending": desc}


def _suggest_button(ctx: ProjectContext) -> None:
    if not st.button("Compute suggestions", key="sg_suggest", icon=":material/auto_awesome:",
                     help="Score every answer with the local model (the first time loads it)"):
        return
    compute_suggestions(suggest_svc.suggest_all, ctx)


def grid(ctx: ProjectContext, surveys: list[dict[str, Any]]) -> None:
    """The grid for one survey and one question (chosen at the top)."""
    names = [s["name"] for s in surveys]
    reload = False
    if st.session_state.get("sg_survey") not in names:  # a new session: the address's place (a reload)
        wanted = st.query_params.get(PLACE_PARAMS["sg_survey"])
        reload = wanted in names
        st.session_state["sg_survey"] = wanted if reload else names[0]
    top = st.columns([2, 3, 1.4], vertical_alignment="bottom")  # "Compute suggestions" in full
    top[0].selectbox("Survey", names, key="sg_survey",
                     format_func=lambda n: f"{n} ({next(s['respondents'] for s in surveys if s['name'] == n)} "
                                           "respondents)")
    g = _grid(ctx, st.session_state["sg_survey"])
    if g is None:
        return
    if reload:
        st.session_state["sg_question"] = g.questions[_number(PLACE_PARAMS["sg_question"], len(g.questions)) - 1]
        st.session_state["sg_page"] = _number(PLACE_PARAMS["sg_page"], 10**6)  # past the last: the last
        size = _number(PLACE_PARAMS["sg_page_size"], max(PAGE_SIZES))  # walk 44: page 2 of 10 rows was gone
        st.session_state["sg_page_size"] = size if size in PAGE_SIZES else PAGE_SIZES[1]
    elif st.session_state.get("sg_question") not in g.questions:
        st.session_state["sg_question"] = g.questions[0]
    top[1].selectbox("Question", g.questions, key="sg_question",
                     on_change=lambda: st.session_state.update(sg_page=1))
    with top[2]:
        if not int(g.rows["pending"].sum()) and not any(len(c) for c in g.rows["codes"]):
            _suggest_button(ctx)
    cb = attempt(ui_support.codebook, ctx)
    code_names = {c.id: c.name for c in cb.codable_codes()} if cb is not None else {}
    rows = g.question(st.session_state["sg_question"])
    f = _filters(g, rows, code_names)
    shown = survey_svc.filter_grid(rows, **f)
    if shown.empty:
        st.info("No answer matches these filters. Clear them to see every respondent.")
        return
    size = st.session_state.setdefault("sg_page_size", 25)
    pages = max(1, math.ceil(len(shown) / size))
    st.session_state["sg_page"] = min(max(1, int(st.session_state.get("sg_page", 1))), pages)
    page = st.session_state["sg_page"]
    part = shown.iloc[(page - 1) * size: page * size]
    st.session_state.pop("sg_views", None)  # a full run reloads the page's chips; the fragment reuses them
    grid_page(ctx, part[["excerpt_id", "start", "answer", "codable", "respondent", *g.attributes]]
              .to_dict("records"), g.attributes, code_names,
              question=(st.session_state["sg_survey"], st.session_state["sg_question"]))
    nav = st.container(horizontal=True, vertical_alignment="center", key="sg-pager")
    nav.number_input("Page", min_value=1, max_value=pages, key="sg_page", width=140)
    nav.caption(f"of {pages} · {len(shown)} answers")
    nav.selectbox("Rows per page", PAGE_SIZES, key="sg_page_size", width=140)
    _keep_place(g)


def _number(param: str, most: int) -> int:
    """The whole number 1..most in the page's address under ``param``, else 1."""
    raw = st.query_params.get(param, "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= most else 1


def _keep_place(g: survey_svc.SurveyGrid) -> None:
    """The survey, question, page of rows and rows per page in the page's address, so that a reload (or the
    address opened in a new tab) comes back to where the coder was, as the Transcripts view
    does with its document (walk 41: a new tab opened the grid on the first question)."""
    want = {PLACE_PARAMS["sg_survey"]: st.session_state["sg_survey"],
            PLACE_PARAMS["sg_question"]: str(g.questions.index(st.session_state["sg_question"]) + 1),
            PLACE_PARAMS["sg_page"]: str(st.session_state["sg_page"]),
            PLACE_PARAMS["sg_page_size"]: str(st.session_state["sg_page_size"])}
    for param, value in want.items():
        if st.query_params.get(param) != value:
            st.query_params[param] = value


def _grid(ctx: ProjectContext, name: str) -> survey_svc.SurveyGrid | None:
    """The survey's rows, reloaded only when something was decided or imported since."""
    key = (name, ctx.coder, survey_svc.grid_revision(ctx))
    cached = st.session_state.get("sg_grid")
    if cached and cached[0] == key:
        return cached[1]
    g = attempt(survey_svc.survey_grid, ctx, name)
    if g is not None:
        st.session_state["sg_grid"] = (key, g)
    return g


def _views(ctx: ProjectContext, rows: list[dict[str, Any]]) -> list[ExcerptView]:
    """Excerpt views (with chips) for one page of rows, kept for the fragment's reruns."""
    key = tuple(r["excerpt_id"] for r in rows)
    cached = st.session_state.get("sg_views")
    if cached and cached[0] == (key, ctx.coder):
        return cached[1]
    states = ui_support.excerpt_states(ctx, [(r["excerpt_id"], r["start"], r["answer"]) for r in rows])
    views = [ExcerptView(id=r["excerpt_id"], order=0, start=r["start"], end=r["start"] + len(r["answer"]),
                         text=r["answer"], codable=bool(r["codable"]), turn_order=0, state=states[r["excerpt_id"]])
             for r in rows]
    st.session_state["sg_views"] = ((key, ctx.coder), views)
    return views


@st.fragment
@guarded
def grid_page(ctx: ProjectContext, rows: list[dict[str, Any]], attributes: list[str],
              code_names: dict[str, str], question: tuple[str, str] | None = None) -> None:
    """One page of rows: respondent and attributes | answer | chips and 'add a code'; above
    them the question's progress, here so that each decision (a rerun of this fragment only)
    moves it."""
    views = _views(ctx, rows)
    st.session_state["sg_visible"] = [v.id for v in views]  # their chips stay while shown (after_decision)
    refresh(ctx, views)
    show_flash()
    if question is not None:
        g = _grid(ctx, question[0])  # reloaded only when something was decided since
        if g is not None:
            every = g.question(question[1])
            done = int((every["status"].isin(["coded", "reviewed"])).sum())
            st.progress(done / len(every) if len(every) else 0.0,
                        text=f"{done} of {len(every)} answers to this question decided by {ctx.coder}")
    line = st.container(horizontal=True, vertical_alignment="center")
    line.caption("A row's “Add a code” box applies a code of the codebook at once; a new code is made on the "
                 "Codebook page.")  # walk 40: a new name typed there found "No results", and nothing said why
    line.button("Undo", key="sg-undo", icon=":material/undo:", on_click=undo, args=(ctx,),
                help="Undo your last change (walk 41: a chip accepted by mistake in the grid stayed)")
    head = st.columns([2, 5, 4])
    head[0].markdown("**Respondent**")
    head[1].markdown("**Answer**")
    head[2].markdown("**Codes**")
    focus = st.session_state.pop("sg_focus", None)
    for r, ex in zip(rows, views):
        with st.container(border=True, key=f"srow-{ex.id}"):
            c = st.columns([2, 5, 4])
            c[0].markdown(f"**{md(str(r['respondent']))}**")
            if ex.id == focus:
                c[0].badge("Opened", icon=":material/arrow_forward:", color="blue")
            c[0].caption(" · ".join(md(str(r[a])) for a in attributes if str(r.get(a, "")).strip()))
            c[1].text(ex.text, width="stretch")
            if not ex.codable:
                c[2].caption("Not codable (its speaker's role is not coded in this project).")
                continue
            with c[2]:
                chips(ctx, ex, focus_button=False)
                tools = st.container(horizontal=True, gap="small", vertical_alignment="center")
                tools.selectbox("Add a code", list(code_names), index=None, format_func=code_names.get,
                                key=f"sadd-{ex.id}", placeholder="Add a code…", label_visibility="collapsed",
                                on_change=add_code, args=(ctx, ex, code_names), width=220)
                label, _, on = ex.state.nothing_here()
                if on:  # walk 42: it went with the first chip accepted, the others then one by one
                    tools.button(label, key=f"snone-{ex.id}", icon=":material/do_not_disturb_on:", type="tertiary",
                                 on_click=nothing_here, args=(ctx, ex.id), help=nothing_here_help(ex.state))
    if focus is not None and focus in {v.id for v in views}:
        scroll_into_view(f"srow-{focus}")
