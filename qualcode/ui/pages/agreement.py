"""Agreement page: figures per code with their units, the disagreements to resolve, a
colleague's work brought in (.qdpx or coding CSV, previewed, one undo), the audit log with
filters, and the team's settings (independent coding)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from qualcode.services import codebook as cb_service
from qualcode.services import team
from qualcode.services.project import ProjectContext
from qualcode.services.ui_support import format_ms
from qualcode.ui import colleague
from qualcode.ui.state import (BLIND_NOTE, attempt, blind_coder, flash, flash_undone, in_callback, open_on_code_page,
                               page_context)
from qualcode.ui.text import excerpts, md, shorten

PAGE_SIZE = 20
ALL_ROWS = 50  # the per-code table shows up to this many rows without scrolling


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def code_names(ctx: ProjectContext) -> dict[str, str]:
    try:
        return {c.id: c.shown_name for c in cb_service.get_codebook(ctx).codes}
    except Exception:  # names are a nicety; ids still work
        return {}


KAPPA_WORDS = "Kappa in words (Landis and Koch)"
ALPHA_WORDS = "Alpha: reliable? (Krippendorff)"
HELP = (
    "**How to read these figures.** Agreement is the share of units where the coders made the same "
    "call. Kappa and alpha discount the agreement expected by chance. " + team.SCALES.replace("\n", " ")
    + " Click a row of the table to read the excerpts behind it: the ones where some coders applied "
    "the code and others did not.")


def figures_table(result: dict[str, Any], names: dict[str, str]) -> pd.DataFrame:
    """One row per code (then Overall): units, units that differ, agreement, kappa, alpha, and
    the words for each figure on its own scale (kappa: Landis and Koch; alpha: Krippendorff)."""
    two = len(result["coders"]) == 2
    unit = "excerpts" if result["level"] == "excerpt" else "characters"
    rows = []
    for code_id, f in [*result["codes"].items(), ("", result["overall"])]:
        kappa = f.get("cohen_kappa") if two else f.get("fleiss_kappa")
        rows.append({
            "Code": names.get(code_id, f.get("name", code_id)) if code_id else "Overall (pooled over codes in use)",
            f"Units ({unit})": f["units"],
            # per code: units where the coders' calls on the code differ; Overall: excerpts whose sets differ
            f"{unit.capitalize()} that differ": f.get("units_differ", 0) if code_id else (
                f.get("differ") if unit == "excerpts" else None),
            "Agreement": _pct(f["percent_agreement"]),
            "Cohen's kappa" if two else "Fleiss' kappa": _num(kappa),
            "Krippendorff's alpha": _num(f["krippendorff_alpha"]),
            KAPPA_WORDS: team.kappa_label(kappa),
            ALPHA_WORDS: team.alpha_verdict(f["krippendorff_alpha"]),
            # Overall: each coder's applications pooled over the codes (it was an empty cell)
            **{f"Applied by {c}": f.get("applied", {}).get(c) if code_id else
               sum(g.get("applied", {}).get(c) or 0 for g in result["codes"].values()) for c in result["coders"]},
        })
    return pd.DataFrame(rows)


def two_by_two(fig: dict[str, Any], coders: list[str]) -> str:
    """A code's row for two coders as the four counts kappa is computed from (walk 19: checking
    kappa by hand needed "both applied", which the drill-down did not give), at the excerpt level.

    >>> two_by_two({"units": 45, "units_differ": 6, "applied": {"anna": 8, "ben": 8}}, ["anna", "ben"])
    'Of the 45 excerpts both reviewed: both applied it on 5, only anna on 3, only ben on 3, neither on 34.'
    """
    a, b = coders
    n_a, n_b = fig["applied"][a], fig["applied"][b]
    both = (n_a + n_b - fig["units_differ"]) // 2
    neither = fig["units"] - n_a - n_b + both
    return (f"Of the {fig['units']} excerpts both reviewed: both applied it on {both}, only {a} on {n_a - both}, "
            f"only {b} on {n_b - both}, neither on {neither}.")


def excerpt_label(d: dict[str, Any], *, document: bool = True) -> str:
    """An excerpt named as the coder finds it on the Code page (walk 24: "excerpt 4" was the
    stored order, counting lines that are not coded): the document, who speaks and when (when
    the transcript has times), and its place among the document's excerpts that are coded.
    ``d``: an item of ``team.disagreements``.

    >>> excerpt_label({"document": "westfield", "speaker": "Ana", "start_ms": 14000, "position": 3, "of": 18})
    'westfield · Ana, 0:14 · excerpt 3 of 18'
    >>> excerpt_label({"document": "w", "speaker": "Ana", "start_ms": None, "position": 1, "of": 1}, document=False)
    'Ana · excerpt 1 of 1'
    """
    who = ", ".join(x for x in (d.get("speaker"), format_ms(d.get("start_ms"))) if x)
    place = f"excerpt {d['position']} of {d['of']}" if d.get("position") else ""
    return " · ".join(x for x in (d["document"] if document else "", who, place) if x)


def _open_button(d: dict[str, Any], key: str, where: Any = st) -> None:
    """A button that opens the excerpt on the Code page, in view (as a memo's Open does)."""
    if where.button("Open on the Code page", key=key, icon=":material/open_in_new:", type="tertiary",
                    help="Go to this excerpt on the Code page, to read it in its place or change your codes"):
        open_on_code_page(d["document_id"], d["excerpt_id"])


def code_disagreements(items: list[dict[str, Any]], code_id: str | None, coders: list[str]) -> list[dict[str, Any]]:
    """The disagreements behind one row of the figures table: excerpts every one of ``coders``
    reviewed where some applied ``code_id`` and others did not (``None``: the Overall row,
    every excerpt whose sets of codes differ). ``items`` come from ``team.disagreements``
    with resolved ones included, as the figures count them too."""
    everyone = set(coders)
    return [d for d in items if everyone <= set(d["coders"])
            and (code_id is None or code_id in d["differing"])]


def _drilldown(ctx: ProjectContext, result: dict[str, Any], names: dict[str, str], row: int) -> None:
    code_ids = list(result["codes"])
    code_id = code_ids[row] if row < len(code_ids) else None
    people = [c for c in result["coders"] if c != team.ENGINE]
    label = names.get(code_id, code_id) if code_id else "any code"
    if len(people) < 2:
        st.info("The list compares people: choose two or more coders to read the excerpts behind a row.")
        return
    items = attempt(team.disagreements, ctx, coders=people, include_resolved=True) or []
    found = code_disagreements(items, code_id, people)
    if code_id is None:
        expected = result["overall"].get("differ")
    else:
        expected = result["codes"][code_id].get("units_differ")
    st.subheader(f"Disagreements on {label}")
    if team.ENGINE in result["coders"]:
        st.caption("The suggestion engine is included in the figures above; this list compares the people only.")
    elif result["level"] != "excerpt":
        st.caption("The figures count characters; this list shows the excerpts where the coders' codes differ. "
                   "Choose Units: Excerpts to see the count these excerpts add up to.")
    elif expected is not None:
        st.caption(f"{len(found)} excerpt{'s' * (len(found) != 1)}"
                   + (f" where some coders applied {label} and others did not" if code_id else
                      " where the coders' sets of codes differ")
                   + f" (the row's figures: {expected} that differ). Resolved ones are included, as the "
                   "figures count them; resolve the open ones on the Disagreements tab.")
        if code_id and len(people) == 2 and len(result["coders"]) == 2:
            st.caption(md(two_by_two(result["codes"][code_id], people)))
    if not found:
        st.success(f"The coders made the same call on {label} on every excerpt they all reviewed.")
        return
    # The words first, then who did what: with the text last it sat past the table's right edge
    # and the coder read only numbers (walk 6); shortened, so the coders' columns still show.
    table = pd.DataFrame([{
        "Document": d["document"], "Where": excerpt_label(d, document=False), "Text": shorten(d["text"], 120),
        **({f"{c} applied it": "yes" if code_id in codes else "no" for c, codes in d["coders"].items()
            if c in people} if code_id else {}),
        **{f"{c}'s codes": _codes_text(codes, names) for c, codes in d["coders"].items() if c in people},
        "Resolved": "yes" if d["resolved"] else "",
    } for d in found])
    event = st.dataframe(table, hide_index=True, width="stretch", key="agr-drill-table", on_select="rerun",
                         selection_mode="single-row",
                         column_config={"Text": st.column_config.TextColumn(width="large", help="The excerpt's words"),
                                        # who and when, not a number found nowhere else (walks 13, 24)
                                        "Where": st.column_config.TextColumn(
                                            help="Who speaks, when (if the transcript has times), and its "
                                                 "place among the document's excerpts that are coded, as on "
                                                 "the Code page. Select the row to read it whole and open it "
                                                 "there"),
                                        # a document's name read whole (walk 18: "2021_focus_gr…")
                                        "Document": st.column_config.TextColumn(width="medium")})
    _whole_excerpt(found, _selected_row(event), names, people)
    if code_id:
        st.button(f"Show only {shorten(label, 30)} on the Disagreements tab", key="agr-drill-filter",
                  icon=":material/filter_alt:", on_click=_filter_disagreements, args=(code_id,), type="tertiary")


def _whole_excerpt(found: list[dict[str, Any]], row: int | None, names: dict[str, str], people: list[str]) -> None:
    """The whole of the excerpt picked in the drill-down table (the table cuts its words at 120
    characters so that the coders' columns stay in view; walk 7 could not read a long one)."""
    if row is None or row >= len(found):
        if any(len(d["text"]) > 120 for d in found):
            st.caption("Click a row to read its whole excerpt here.")
        return
    d = found[row]
    with st.container(border=True, key="agr-drill-whole"):
        st.markdown(f"**{md(excerpt_label(d))}**")
        st.markdown("> " + md(d["text"]).replace("\n", "\n> "))
        st.caption(" · ".join(f"{md(c)}: {md(_codes_text(codes, names))}"
                              for c, codes in d["coders"].items() if c in people))
        _open_button(d, "agr-drill-open")


def _codes_text(codes: list[str], names: dict[str, str]) -> str:
    """A coder's codes on an excerpt, by name ("no code" when none)."""
    return ", ".join(names.get(x, x) for x in codes) or "no code"


def _filter_disagreements(code_id: str) -> None:
    """The drill-down's "Show only ... on the Disagreements tab": filter that tab and open it
    (walk 17: the button filtered it and left the coder on the Agreement tab)."""
    st.session_state["dis-code"] = code_id
    st.session_state["agr-tabs"] = "Disagreements"


def _agreement_tab(ctx: ProjectContext, names: dict[str, str]) -> None:
    people = attempt(team.reviewing_coders, ctx) or []
    if len(people) < 1:
        st.info("Nobody has reviewed excerpts yet. Agreement compares coders on the excerpts they "
                "all reviewed (accepted, rejected, coded, or marked 'nothing here').")
        st.markdown(colleague.HOW_TO)
        return
    if len(people) < 2:
        st.info(colleague.HOW_TO, icon=":material/group_add:")
    c1, c2, c3 = st.columns([3, 1.3, 1.2])
    # Everyone by default; kept in session state so a merge can add the new coders (see ui.colleague).
    kept = st.session_state.get("agr-coders")
    st.session_state["agr-coders"] = [p for p in kept if p in people] if kept is not None else people[:]
    chosen = c1.multiselect("Coders to compare", people, key="agr-coders")
    level = c2.radio("Units", ["excerpt", "character"], key="agr-level", horizontal=True,
                     format_func=lambda v: "Excerpts" if v == "excerpt" else "Characters")
    engine = c3.checkbox("Include the suggestion engine", key="agr-engine",
                         help="The engine's 'coding' is the suggestions it showed for each excerpt.")
    if len(chosen) + int(engine) < 2:
        st.info("Choose two or more coders (or one coder and the suggestion engine).")
        return
    result = attempt(team.agreement, ctx, coders=chosen, level=level, include_engine=engine)
    if result is None:
        return
    overall = result["overall"]
    st.markdown(md(overall["summary"]))
    m = st.columns(5)
    m[0].metric("Excerpts all reviewed", overall.get("excerpts", result["units"]))
    m[1].metric("Same codes", _pct(overall.get("excerpt_agreement")),
                help="Share of excerpts on which every coder gave exactly the same set of codes.")
    m[2].metric("Excerpts that differ", overall.get("differ", "–"),
                help="These are the excerpts listed under Disagreements (resolved ones included).")
    kappa = overall.get("cohen_kappa", overall.get("fleiss_kappa"))
    m[3].metric("Cohen's kappa (pooled)" if "cohen_kappa" in overall else "Fleiss' kappa (pooled)", _num(kappa),
                help="In words on Landis and Koch's scale: " + team.kappa_label(kappa) + ".")
    m[4].metric("Krippendorff's alpha (pooled)", _num(overall["krippendorff_alpha"]),
                help="Judged by Krippendorff's standard (0.8 reliable, 0.667 tentative): "
                     + team.alpha_verdict(overall["krippendorff_alpha"]) + ".")
    st.caption("'Same codes' counts whole excerpts. The table below goes code by code: agreement is the share "
               "of units where the coders made the same call on that code; the Overall row pools the "
               "decisions of the codes someone used (codes nobody used are left out). Kappa is put in words on "
               "Landis and Koch's scale (0.61–0.80 substantial, above 0.80 almost perfect); alpha is judged by "
               "Krippendorff's standard (0.8 or more reliable, 0.667–0.8 tentative, below 0.667 unreliable). "
               "Click a row to read its disagreements.")
    with st.expander("How to read these figures", icon=":material/help:"):
        st.markdown(HELP)
    result, unused = team.used_codes_only(result)
    blind = result.get("blind")
    if blind and blind["open"]:  # above the table: read before its kappa (walk 29)
        st.warning(not_blind_note(blind["open"], blind["compared"]), icon=":material/visibility:")
    for text in late_notes(result, names):  # above the table: read before its kappa (walk 19)
        st.warning(text, icon=":material/schedule:")
    if result.get("not_coded"):
        st.info(not_coded_text(result["not_coded"]), icon=":material/person_off:")  # walk 23: a caption went unseen
    table = figures_table(result, names)
    # every code and the Overall row in view (Streamlit's default shows 10 rows and scrolls inside)
    event = st.dataframe(table, hide_index=True, width="stretch", key="agr-figures", on_select="rerun",
                         selection_mode="single-row", height="content" if len(table) <= ALL_ROWS else "auto")
    if unused:
        st.caption(f"Not in the table: {len(unused)} code{'s' * (len(unused) != 1)} that none of these coders "
                   "applied to these excerpts (they agree trivially and are left out of the Overall row too): "
                   + ", ".join(md(names.get(c, c)) for c in unused) + ".")
    row = _selected_row(event)
    if row is not None and blind_coder(ctx) is not None:  # walk 36: each coder's codes per excerpt
        st.info(f"The excerpts behind this row, with each coder's codes, show once independent coding is off. "
                f"{BLIND_NOTE}", icon=":material/visibility_off:")
    elif row is not None:
        _drilldown(ctx, result, names, row)
    if result["pairs"]:
        st.subheader("Pairs")
        st.dataframe(pd.DataFrame([{
            "Coders": " vs ".join(p["coders"]), "Units": p["units"],
            "Agreement": _pct(p["overall"]["percent_agreement"]),
            "Cohen's kappa": _num(p["overall"].get("cohen_kappa")),
            KAPPA_WORDS: team.kappa_label(p["overall"].get("cohen_kappa")),
        } for p in result["pairs"]]), hide_index=True, width="stretch")


def not_coded_text(n: int) -> str:
    """Why excerpts every coder finished are not among the units (walk 22: a participant made
    interviewer after coding still counted, and the page did not say).

    >>> not_coded_text(5)
    "5 excerpts all the coders finished are left out: their speaker's words are not coded now (a role changed on the Documents page after they were coded). Codes on them still count on Themes."
    """
    return (f"{excerpts(n)} all the coders finished {'is' if n == 1 else 'are'} left out: their speaker's words are "
            "not coded now (a role changed on the Documents page after they were coded). Codes on them still count "
            "on Themes.")


def not_blind_note(opened: int, compared: int) -> str:
    """Why figures may flatter the coders (``team.blindness``; walk 29: a second coder saw the
    first one's codes beside each excerpt, and the page reported kappa as if they had not).

    >>> print(not_blind_note(9, 78))
    Not a blind comparison: on 9 of the 78 excerpts all these coders finished, one of them decided after a colleague had, while independent coding was off, with the colleague's codes beside the excerpt. There, agreement can be higher than coders working alone would reach. For a blind sample, turn independent coding on (Team tab, or the Project page) before the coders start on excerpts nobody has coded yet.
    """
    return (f"Not a blind comparison: on {opened} of the {excerpts(compared)} all these coders finished, one of them "
            "decided after a colleague had, while independent coding was off, with the colleague's codes beside "
            "the excerpt. There, agreement can be higher than coders working alone would reach. For a blind "
            "sample, turn independent coding on (Team tab, or the Project page) before the coders start on "
            "excerpts nobody has coded yet.")


def late_notes(result: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A warning per code added to the codebook after a coder had finished excerpts where a
    colleague then applied it (``team.agreement``'s ``late``): there the figures count a
    disagreement that may only mean the code was not there yet (walk 18).

    >>> print(late_notes({"codes": {"soc": {}}, "late": {"soc": {"anna": 1}}}, {"soc": "Social connection"})[0])
    Social connection was added to the codebook after anna had finished 1 excerpt where a colleague applied it: there it counts as a disagreement, though anna never had the code to consider. Read its figures with care, or ask anna to look at that excerpt again for it (click the row to list it; on the Code page, code it by hand where it applies).
    """
    out = []
    for code_id, who in sorted((result.get("late") or {}).items()):
        if code_id not in result.get("codes", {}):
            continue
        for coder, n in sorted(who.items()):
            out.append(f"{md(names.get(code_id, code_id))} was added to the codebook after {md(coder)} had finished "
                       f"{excerpts(n)} where a colleague applied it: there it counts as a disagreement, though "
                       f"{md(coder)} never had the code to consider. Read its figures with care, or ask {md(coder)} "
                       f"to look at {'that excerpt' if n == 1 else 'those excerpts'} again for it (click the row to list "
                       f"{'it' if n == 1 else 'them'}; on the Code page, code it by hand where it applies).")
    return out


def _selected_row(event: Any) -> int | None:
    try:
        rows = event.selection.rows
    except (AttributeError, KeyError):
        return None
    return rows[0] if rows else None


def resolve(ctx: ProjectContext, excerpt_id: int, key: str, names: dict[str, str] | None = None,
            where: str = "") -> None:
    """on_click: record the codes chosen in the multiselect ``key`` as the consensus; the
    Disagreements tab says so (where the coder is looking), with the codes' names."""
    codes = st.session_state.get(key) or []
    r = in_callback(team.resolve_disagreement, ctx, excerpt_id, codes)
    if r is not None:
        named = ", ".join((names or {}).get(c, c) for c in r["codes"]) or "no code"
        st.session_state["agr-resolved"] = f"Consensus recorded{' for ' + where if where else ''}: {named}."


def take_version(key: str, codes: list[str]) -> None:
    """on_click: fill the consensus choice with one coder's codes."""
    st.session_state[key] = list(codes)


def _disagreement_card(ctx: ProjectContext, d: dict[str, Any], names: dict[str, str], options: list[str]) -> None:
    with st.container(border=True):
        status = " · resolved" if d["resolved"] else ""
        head = st.container(horizontal=True, vertical_alignment="center")
        head.markdown(f"**{md(excerpt_label(d))}**{status}")
        _open_button(d, f"open-{d['excerpt_id']}", head)
        st.text(d["text"])
        cols = st.columns(len(d["coders"]))
        key = f"cons-{d['excerpt_id']}"
        for col, (coder, rolled) in zip(cols, d["coders"].items()):
            own = d.get("applied", {}).get(coder, rolled)  # the codes this coder put on it
            col.markdown(f"**{md(coder)}**")
            col.markdown(", ".join(md(names.get(c, c)) for c in own) or "_no code_")
            through = [c for c in rolled if c not in own]  # a parent, counted through its sub-code
            if through:
                col.caption("Counts for " + ", ".join(md(names.get(c, c)) for c in through) + " through its sub-code")
            for memo in d["memos"].get(coder, []):
                col.caption(f"Memo: {shorten(memo, 300)}")
            col.button(f"Use {shorten(coder, 20)}'s codes", key=f"take-{d['excerpt_id']}-{coder}",
                       on_click=take_version, args=(key, own), type="secondary")
        if key not in st.session_state:
            st.session_state[key] = d["consensus"] if d["consensus"] is not None else d["agreed"]
        all_options = list(dict.fromkeys([*options, *st.session_state[key]]))
        st.multiselect("Agreed codes", all_options, key=key, format_func=lambda c: names.get(c, c))
        st.button("Record consensus", key=f"resolve-{d['excerpt_id']}", icon=":material/handshake:",
                  on_click=resolve, args=(ctx, d["excerpt_id"], key, names, excerpt_label(d)), type="primary")


def _disagreements_tab(ctx: ProjectContext, names: dict[str, str]) -> None:
    if blind_coder(ctx) is not None:  # walk 36: a blind coder read each colleague's codes here
        st.info(f"Disagreements show each coder's codes excerpt by excerpt. {BLIND_NOTE}",
                icon=":material/visibility_off:")
        return
    people = attempt(team.reviewing_coders, ctx) or []
    c1, c2, c3 = st.columns([3, 2, 1])
    chosen = c1.multiselect("Coders", people, default=people, key="dis-coders")
    codes = sorted(names, key=lambda c: names[c].lower())
    if st.session_state.get("dis-code") not in (None, *codes):
        codes.append(st.session_state["dis-code"])  # a code used but not in the codebook
    code_id = c2.selectbox("Code", codes, index=None, key="dis-code", placeholder="Any code",
                           format_func=lambda c: names.get(c, c),
                           help="Only the excerpts where some coders applied this code and others did not.")
    show_resolved = c3.checkbox("Show resolved", key="dis-resolved")
    if len(chosen) < 2:
        st.info("Disagreements need two or more coders who reviewed the same excerpts.")
        return
    done = st.session_state.pop("agr-resolved", None)
    if done is not None:
        st.success(f"{done} It is kept as consensus codings, and Themes, the exports and the report now count these "
                   "codes for the excerpt; each coder's own codes stay as they were"
                   + ("." if show_resolved else "; tick Show resolved to see it again."), icon=":material/handshake:")
        # walk 46: the only way back was the Audit log tab's "Undo my last decision"
        st.button("Undo this consensus", key="dis-undo", icon=":material/undo:", on_click=_undo, args=(ctx,),
                  help="Take the consensus back: the excerpt is listed as a disagreement again")
    every = attempt(team.disagreements, ctx, coders=chosen, include_resolved=True) or []
    if code_id is not None:
        every = [d for d in every if code_id in d["differing"]]
    items = every if show_resolved else [d for d in every if not d["resolved"]]
    on_code = f" on {names.get(code_id, code_id)}" if code_id is not None else ""
    # the resolved ones left out are counted (walk 48: the per-code drill-down said 7 excerpts differ
    # on Facilitators, this tab 4, with nothing saying that 3 had been resolved)
    hidden = len(every) - len(items)
    hidden_note = f" ({hidden} more resolved by consensus: tick Show resolved)" if hidden else ""
    if not items:
        st.success(f"No open disagreements{on_code} between these coders{hidden_note}.")
        return
    n_resolved = sum(1 for d in items if d["resolved"])
    resolved_note = f" ({n_resolved} already resolved)" if n_resolved else hidden_note
    st.caption(f"{excerpts(len(items))} where the coders differ{on_code}{resolved_note}. Pick the agreed codes and "
               "record the consensus: it is kept as separate consensus codings, which pooled counts read for that "
               "excerpt from then on, and each coder's own work stays as it was.")
    pages = (len(items) - 1) // PAGE_SIZE + 1
    if st.session_state.get("dis-page", 1) > pages:  # a narrower filter has fewer pages
        st.session_state["dis-page"] = pages
    page = st.number_input("Page", 1, pages, 1, key="dis-page") if pages > 1 else 1
    options = sorted({c for d in items for codes in d["coders"].values() for c in codes}
                     | set(names), key=lambda c: names.get(c, c).lower())
    for d in items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        _disagreement_card(ctx, d, names, options)


def _undo(ctx: ProjectContext) -> None:
    flash_undone(in_callback(team.undo, ctx, 1), ctx)


def audit_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The audit log's table: each change in words first (``change``, from ``team.with_changes``),
    the stored record after it."""
    def brief(v: Any) -> str:
        return "" if v is None else shorten(str(v), 120)

    return pd.DataFrame([{
        "When": r["at"].astimezone().strftime("%Y-%m-%d %H:%M:%S") if r["at"] else "",
        "Who": r["coder"] or "", "Change": r.get("change") or r["action"], "Undone": r["undone"], "Action": r["action"],
        "What": f"{r['entity']} {r['entity_id']}", "Before": brief(r["before"]), "After": brief(r["after"]),
    } for r in rows], columns=["When", "Who", "Change", "Undone", "Action", "What", "Before", "After"])


def _audit_tab(ctx: ProjectContext) -> None:
    coders = [c["coder"] for c in attempt(team.coders_summary, ctx) or []]
    actions = attempt(team.audit_actions, ctx) or []
    c = st.columns([1.3, 2, 1.2, 1.2, 0.8])
    who = c[0].selectbox("Coder", ["Everyone", *coders], key="aud-coder")
    picked = c[1].multiselect("Actions", actions, key="aud-actions")
    since = c[2].date_input("From", value=None, key="aud-since")
    until = c[3].date_input("To (inclusive)", value=None, key="aud-until")
    limit = c[4].number_input("Show", 10, 5000, 200, step=50, key="aud-limit")
    filters: dict[str, Any] = {
        "coder": None if who == "Everyone" else who, "action": picked or None,
        "since": datetime.combine(since, time.min).astimezone() if isinstance(since, date) else None,
        "until": datetime.combine(until + timedelta(days=1), time.min).astimezone() if isinstance(until, date) else None,
    }
    everything = attempt(team.audit_log, ctx, **filters) or []  # newest first; the downloads take it all
    everything = attempt(team.with_changes, ctx, everything) or everything  # each in words, downloads too
    shown = everything[:int(limit)]
    st.dataframe(audit_frame(shown), hide_index=True, width="stretch",
                 height=420, column_config={"Change": st.column_config.TextColumn(width="large"),
                                            "Undone": st.column_config.CheckboxColumn(width="small",
                                                help="Taken back later with Undo")})
    d1, d2, d3 = st.columns([1, 1, 2])
    oldest_first = everything[::-1]
    d1.download_button("Download CSV", team.audit_text(oldest_first, fmt="csv"),
                       file_name="audit.csv", mime="text/csv", icon=":material/download:")
    d2.download_button("Download JSON", team.audit_text(oldest_first, fmt="json"),
                       file_name="audit.json", mime="application/json", icon=":material/download:")
    d3.button("Undo my last decision", key="aud-undo", icon=":material/undo:", on_click=_undo, args=(ctx,))


def _set_independent(ctx: ProjectContext) -> None:
    on = bool(st.session_state.get("team-independent"))
    if in_callback(team.set_independent_coding, ctx, on) is not None:
        flash("Independent coding is " + ("on: coders now see only their own codings." if on else "off."),
              kind="info")


def _settings_tab(ctx: ProjectContext) -> None:
    current = attempt(team.independent_coding, ctx)
    st.session_state["team-independent"] = bool(current)
    st.toggle("Independent coding", key="team-independent", on_change=_set_independent, args=(ctx,),
              help="Each coder sees only their own codings (and consensus codings) until you reconcile.")
    st.caption(f"You are coding as **{md(ctx.coder)}**. Every decision is recorded under this name.")
    rows = attempt(team.coders_summary, ctx) or []
    if rows:
        table = pd.DataFrame(rows)
        # a date and time to read (walk 48: "2026-12-07T22:28:18.955462")
        table["last_active"] = pd.to_datetime(table["last_active"], errors="coerce", utc=True)
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            "coder": "Coder", "codings": "Codings", "reviewed": "Excerpts reviewed", "events": "Changes",
            "last_active": st.column_config.DatetimeColumn("Last active", format="D MMM YYYY, HH:mm")})


def render() -> None:
    ctx = page_context("Agreement")
    if ctx is None:
        return
    names = code_names(ctx)
    # Keyed, so the open tab stays open when a message shows above it (a consensus recorded on
    # the Disagreements tab once put the coder back on the first tab, its message unseen).
    tabs = st.tabs(["Agreement", "Disagreements", "Bring in a colleague's work", "Audit log", "Team"],
                   key="agr-tabs", on_change="rerun")
    with tabs[0]:
        _agreement_tab(ctx, names)
    with tabs[1]:
        _disagreements_tab(ctx, names)
    with tabs[2]:
        colleague.render(ctx)
    with tabs[3]:
        _audit_tab(ctx)
    with tabs[4]:
        _settings_tab(ctx)
