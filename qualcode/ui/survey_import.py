"""The Import page's survey mode: upload a spreadsheet, choose the question columns in a
preview, import the whole survey in one transaction (see :mod:`qualcode.services.survey`)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from qualcode.services import suggest as suggest_svc
from qualcode.services import survey as survey_svc
from qualcode.services.project import ProjectContext
from qualcode.ui.state import error_text
from qualcode.ui.text import md, wrong_kind

KINDS = ["Transcripts", "Survey spreadsheet"]
NO_ID = "(number the rows)"


def render_if_chosen(ctx: ProjectContext) -> bool:
    """Let the user pick what they import; draw the survey import and return True if chosen."""
    if st.session_state.get("imp_kind") not in KINDS:
        st.session_state["imp_kind"] = KINDS[0]
    st.segmented_control("What are you importing?", KINDS, key="imp_kind", required=True)
    if st.session_state.get("imp_kind") != "Survey spreadsheet":
        return False
    render(ctx)
    return True


def _refused(name: str, message: str) -> None:
    """A file that could not be read: the message, named by the file."""
    st.error(message if str(message).startswith(name) else f"{name}: {message}", icon=":material/error:")


def _table(name: str, data: bytes, sheet: str | None = None) -> tuple[str, Any]:
    cache = st.session_state.setdefault("srv_tables", {})
    key = (name, hashlib.sha256(data).hexdigest(), sheet)
    if key not in cache:
        try:
            if len(cache) > 8:
                cache.clear()
            cache[key] = ("ok", survey_svc.preview_survey(data, name, sheet=sheet))
        except Exception as exc:  # noqa: BLE001 - shown as a message
            cache[key] = ("error", error_text(exc))
    return cache[key]


def render(ctx: ProjectContext) -> None:
    done = st.session_state.pop("srv_result", None)
    if done:
        st.success(f"Imported the survey “{md(done['survey'])}”: {done['respondents']} respondents, {done['answers']} "
                   "answers. Code them on the **Code** page (Survey grid).", icon=":material/check_circle:")
        for p in done["problems"]:
            st.warning(p)
    nonce = st.session_state.get("srv_nonce", 0)
    up = st.file_uploader("Survey responses (csv, tsv or xlsx: one row per respondent)", key=f"srv_file_{nonce}")
    refused = up and wrong_kind(up.name, ("csv", "tsv", "xlsx"), "A survey spreadsheet",
                                "Save it as .xlsx or .csv (in Excel or Google Sheets: File > Save As or Download)")
    if refused:
        st.error(md(refused), icon=":material/error:")
        return
    if up is None:
        st.info("Drop a survey spreadsheet above: one row per respondent, the open answers in some columns and "
                "who answered (district, role, year...) in the others. You choose the question columns in a "
                "preview before anything is saved.", icon=":material/table_view:")
        return
    data = up.getvalue()
    kind, table = _table(up.name, data)
    if kind == "error":
        _refused(up.name, table)
        return
    digest = hashlib.sha256(data).hexdigest()[:10]
    sheet = None
    if len(table.sheets) > 1:  # walk 35: a workbook's second sheet was left out without a word
        sheet = st.selectbox("Sheet", table.sheets, key=f"srv_sheet_{digest}",
                             help="The sheet holding one row per respondent. One sheet is imported at a time: "
                                  "import each sheet as its own survey.")
        st.info(f"This workbook has {len(table.sheets)} sheets ({', '.join(map(md, table.sheets))}); "
                f"the preview shows **{md(sheet)}**. Choose another sheet above to import it.",
                icon=":material/tab:")
        if sheet != table.sheet:
            kind, table = _table(up.name, data, sheet)
            if kind == "error":
                _refused(up.name, table)
                return
        digest = f"{digest}_{table.sheets.index(sheet)}"  # another sheet, other columns: new boxes
    cols = st.columns([2, 2])
    name = cols[0].text_input("Survey name", value=Path(up.name).stem, key=f"srv_name_{digest}")
    id_options = [NO_ID, *table.columns]
    guess_id = table.guess_id_column()
    id_col = cols[1].selectbox("Respondent id column", id_options,
                               index=id_options.index(guess_id) if guess_id else 0, key=f"srv_id_{digest}")
    questions = st.multiselect("Open questions (columns holding the answers to code)", table.columns,
                               default=[q for q in table.guess_questions() if q != guess_id],
                               key=f"srv_q_{digest}")
    others = [c for c in table.columns if c not in questions and c != id_col]
    attributes = st.multiselect("Respondent attributes (kept with every answer)", others, default=others,
                                key=f"srv_attrs_{digest}_{len(questions)}")
    for p in table.problems:
        st.warning(md(str(p)))
    head = pd.DataFrame([cells for _, cells in table.rows[:100]], columns=table.columns)
    config = {c: st.column_config.TextColumn(("Q · " if c in questions else "") + c,
                                             width="large" if c in questions else "medium") for c in table.columns}
    st.dataframe(head, hide_index=True, width="stretch", height=260, column_config=config,
                 column_order=[*questions, *(c for c in table.columns if c not in questions)])
    st.caption(f"{len(table.rows)} rows" + (" (first 100 shown)" if len(table.rows) > 100 else "")
               + ". The open questions (marked 'Q ·') come first.")
    parsed = None
    if questions:
        try:
            parsed = survey_svc.parse_survey(data, up.name, questions=questions,
                                             id_column="" if id_col == NO_ID else id_col, attributes=attributes,
                                             name=name, sheet=sheet)
        except Exception as exc:  # noqa: BLE001 - the coder fixes the choice
            st.error(error_text(exc), icon=":material/error:")
        else:
            summary = parsed.summary()
            st.markdown(f"**{summary['respondents']} respondents, {summary['answers']} answers** — "
                        + "; ".join(f"{md(q)}: {n}" for q, n in summary["questions"].items()))
            shown = {str(p) for p in table.problems}
            for p in parsed.problems:
                if str(p) not in shown:  # the sheet's own findings are shown above already
                    st.warning(md(str(p)))
    else:
        st.warning("Choose at least one column that holds open answers.")
    suggest = st.checkbox("Compute suggestions after importing", value=True, key="srv_suggest")
    replace = st.checkbox("Replace a survey of the same name (its codings are deleted)", key="srv_replace")
    if st.button("Import survey", type="primary", key="srv_go", icon=":material/download_done:",
                 disabled=parsed is None):
        _save(ctx, parsed, suggest=suggest, replace=replace)


def _save(ctx: ProjectContext, parsed: Any, *, suggest: bool, replace: bool) -> None:
    with st.status(f"Importing {parsed.answers} answers…", expanded=True) as status:
        try:
            result = survey_svc.save_survey(ctx, parsed, replace=replace)
        except Exception as exc:  # noqa: BLE001 - nothing was saved; say why, beside the button
            status.update(label="Nothing was imported.", state="error", expanded=False)
            failed = error_text(exc)
        else:
            failed = None
    if failed:
        st.error(failed, icon=":material/error:")
        return
    with st.status("Survey imported.", expanded=True) as status:
        if suggest:
            status.update(label="Computing first suggestions with the local model (the first time loads it)…")
            bar = st.progress(0.0)
            try:
                suggest_svc.suggest_all(ctx, progress=lambda done, total, *a: bar.progress(min(1.0, done / total))
                                        if total else None)
            except Exception as exc:  # noqa: BLE001 - the survey is in; suggestions can come later
                st.warning(f"Suggestions: {error_text(exc)}")
        status.update(label="Survey imported.", state="complete")
    st.session_state["srv_result"] = result.to_dict()
    st.session_state["srv_nonce"] = st.session_state.get("srv_nonce", 0) + 1
    st.session_state["code_view"] = "Survey grid"
    st.rerun()
