"""The quotes behind every clickable number are exactly the units counted.

For every row of every table the Themes page lets one click (frequencies with and
without a grouping, compare cells, co-occurrence pairs at both levels), the quotes the
page shows (``services.analysis.quotes``) are as many excerpts / documents as the number.
And the UI passes its filters through: ``attempt(fn, where=...)`` once swallowed ``where``.
"""

from __future__ import annotations

import pytest

from qualcode.services import analysis, coding
from tests.analysis_helpers import build_small_project
from tests.ui_helpers import no_exception, run_script


@pytest.fixture
def small(project):
    return build_small_project(project)


@pytest.mark.parametrize("include", ["accepted", "pending"])
@pytest.mark.parametrize("by", [None, "year", "district", "role", "speaker.position"])
def test_every_frequency_row_drills_to_exactly_its_excerpts(project, small, by, include):
    attrs = analysis.attribute_names(project)
    if by == "speaker.position":
        by = "position"
        assert by in attrs["speaker"]
    freq = analysis.frequencies(project, by=by, include=include)
    rows = freq[freq["excerpts"] > 0]
    assert len(rows) >= 3
    for r in rows.to_dict("records"):
        where = {by: str(r[by])} if by else {}
        q = analysis.quotes(project, code_id=r["code_id"], where=where, include=include)
        assert len(q) == r["excerpts"] == q["excerpt_id"].nunique(), (by, r)
        assert q["document_id"].nunique() == r["documents"], (by, r)


def test_a_group_row_shows_only_that_groups_quotes(project, small):
    """The reported bug: '2021 · Trust' listed 2018 quotes too."""
    q = analysis.quotes(project, code_id="rel_trust", where={"year": "2021"})
    assert list(q["quote"]) == ["We trust the data now."]
    assert set(q["document"]) == {"D3"}


def test_every_compare_cell_drills_to_its_units(project, small):
    cmp = analysis.compare(project, by="year")
    for r in cmp.to_dict("records"):
        for year in ("2018", "2021"):
            q = analysis.quotes(project, code_id=r["code_id"], where={"year": year})
            assert q["document_id"].nunique() == r[f"{year} n"], (r["code_id"], year)


@pytest.mark.parametrize("level", ["excerpt", "document"])
def test_every_cooccurrence_pair_drills_to_its_units(project, small, level):
    pairs = analysis.cooccurrence(project, level=level, only_pairs=True)
    assert len(pairs) and (pairs["count"] > 0).all()
    assert list(pairs["count"]) == sorted(pairs["count"], reverse=True)
    for r in pairs.to_dict("records"):
        q = analysis.quotes(project, code_id=r["code_a"], also=r["code_b"], level=level, rollup=False)
        key = "excerpt_id" if level == "excerpt" else "document_id"
        assert q[key].nunique() == r["count"], (level, r)


def test_all_pairs_stay_available_in_codebook_order(project, small):
    every = analysis.cooccurrence(project)
    assert (every["count"] == 0).any()  # the API still lists pairs that never co-occur


def test_attempt_passes_where_to_the_service():
    from qualcode.ui.state import attempt

    seen = {}
    attempt(lambda **kw: seen.update(kw), where={"year": "2021"}, code_id="x")
    assert seen == {"where": {"year": "2021"}, "code_id": "x"}


def test_themes_page_quotes_for_a_group_row(project, small):
    script = (
        "from qualcode.ui.pages.themes import _quotes\n"
        "from qualcode.ui.state import current_context\n"
        "_quotes(current_context(), code_id='rel', where={'year': '2018'}, include='accepted')\n"
    )
    at = no_exception(run_script(script, project))
    shown = at.dataframe[0].value
    # rel rolls up trust and buy-in: 2018 has D1e1 (trust), D2e1 (buy-in), D2e2 (both: one row)
    assert sorted(shown["quote"]) == sorted(["We met the same people every time.", "Principals bought in early.",
                                             "Teachers trusted the coach."])
    assert set(shown["document"]) == {"D1", "D2"}
    assert any("3 excerpts from 2 documents" in c.value for c in at.caption)


def test_compare_reads_as_sentences(project, small):
    from tests.analysis_helpers import start_d4

    start_d4(project, small)  # D4 looked at, no code: a 2021 document without any
    cmp = analysis.compare(project, by="year")
    shown = analysis.readable_comparison(cmp, by="year")
    assert "p_adjusted" not in shown.columns and "min_expected" not in shown.columns
    assert {"Code", "year 2018", "year 2021", "Test", "p", "Adjusted p", "Finding"} <= set(shown.columns)
    text = " ".join(shown["Finding"])
    assert "None" not in text and "nan" not in text
    assert all(f.endswith(".") for f in shown["Finding"])
    trust = shown[shown["Code"] == "Trust (rel)"].iloc[0]
    assert trust["year 2018"] == "2 of 2 (100%)" and trust["year 2021"] == "1 of 2 (50%)"
    # the test's own p beside the adjusted one (walk 38), each the compare table's
    assert shown["p"].equals(cmp["p"].reset_index(drop=True).rename("p"))  # (NaN where nothing is testable)
    assert shown["Adjusted p"].equals(cmp["p_adjusted"].reset_index(drop=True).rename("Adjusted p"))
    assert shown["p"].notna().any()


def test_counts_have_whole_number_ticks_and_the_heatmap_no_diagonal(project, small):
    bars = analysis.chart_bars(project, measure="documents", by="year").to_dict()
    assert bars["encoding"]["x"]["axis"]["format"] == "d"
    assert bars["encoding"]["x"]["axis"]["tickMinStep"] == 1
    heat = analysis.chart_heatmap(project)
    data = heat.data
    assert len(data) and not (data["row"] == data["column"]).any()
    # long code names are not cut at Vega's default 180 px (walk 38: "Trust in health w…")
    enc = heat.to_dict()["encoding"]
    assert enc["x"]["axis"]["labelLimit"] >= 360 and enc["y"]["axis"]["labelLimit"] >= 360


CODES_IN_USE = ("from qualcode.ui.pages.project import _codes_in_use\n"
                "from qualcode.ui.state import current_context\n"
                "_codes_in_use(current_context())\n")


def test_project_codes_in_use_drill_to_exactly_their_quotes(project, small):
    """The Project page's "Codes in use": every count is clickable and shows its own quotes."""
    at = no_exception(run_script(CODES_IN_USE, project))
    table = at.dataframe[0].value
    freq = analysis.frequencies(project, include="accepted")
    freq = freq[freq["excerpts"] > 0]
    assert sorted(zip(table["code"], table["excerpts"], table["documents"])) == sorted(
        zip(freq["code"], freq["excerpts"], freq["documents"]))
    assert list(table["excerpts"]) == sorted(table["excerpts"], reverse=True)
    assert len(table) >= 3
    pick = at.selectbox(key="proj_codes_pick")
    for r in table.to_dict("records"):
        at = no_exception(pick.set_value(freq[freq["code"] == r["code"]]["code_id"].iloc[0]).run())
        pick = at.selectbox(key="proj_codes_pick")
        assert len(at.dataframe) == 2  # the table, then the quotes
        shown = at.dataframe[1].value
        code_id = freq[freq["code"] == r["code"]]["code_id"].iloc[0]
        expected = analysis.quotes(project, code_id=code_id, include="accepted")
        assert len(shown) == r["excerpts"] and sorted(shown["quote"]) == sorted(expected["quote"]), r
        assert shown["document"].nunique() == r["documents"], r
        assert any(f"{r['excerpts']} excerpt" in c.value for c in at.caption), r


def test_project_codes_in_use_box_keeps_its_code_when_the_order_changes(project, small):
    """The table is sorted by count: when new codings move the picked code up, the box and
    the quotes still show that code (with its new count), not whichever code took its place."""
    at = no_exception(run_script(CODES_IN_USE, project))
    table = at.dataframe[0].value
    last = table.to_dict("records")[-1]
    code_id = analysis.frequencies(project).set_index("code").loc[last["code"], "code_id"]
    at = no_exception(at.selectbox(key="proj_codes_pick").set_value(code_id).run())
    for order in (1, 2):  # two more excerpts of that code (D2's turns): it moves up
        coding.add_coding(project, small.ex[("D2", order)], code_id)
    at = no_exception(at.run())
    now = at.dataframe[0].value
    assert list(now["code"]).index(last["code"]) < len(now) - 1, "the code moved up"
    n = int(now.set_index("code").loc[last["code"], "excerpts"])
    assert n > last["excerpts"]
    pick = at.selectbox(key="proj_codes_pick")
    assert pick.value == code_id and pick.options[pick.index] == f"{last['code']} · {n} excerpts"
    expected = analysis.quotes(project, code_id=code_id, include="accepted")
    assert sorted(at.dataframe[1].value["quote"]) == sorted(expected["quote"]) and len(expected) == n


def test_picked_rows_are_kept_across_pages_and_reloads(project, small):
    """A code picked under "Codes in use" (Project) and a row picked on Themes are still open
    after a visit to another page (Streamlit forgets the widgets) and after a reload (a new
    session: the page's address brings them back)."""
    from streamlit.testing.v1 import AppTest

    script = ("import streamlit as st\n"
              "from qualcode.ui.pages import export, project, themes\n"
              "{'export': export, 'themes': themes}.get(st.session_state.get('on'), project).render()\n")
    at = no_exception(run_script(script, project))
    at.selectbox(key="proj_codes_pick").set_value("rel_buyin").run()
    at.session_state["on"] = "themes"
    no_exception(at.run())
    at.selectbox(key="th_freq_pick").set_value("evid").run()
    heads = {"project": "Quotes: Buy-in (rel) · 3 excerpts", "themes": "Quotes: Evidence (test) · 2 excerpts"}
    assert [h.value for h in at.subheader if h.value.startswith("Quotes")] == [heads["themes"]]
    params = {}
    for where in ("project", "themes"):
        at.session_state["on"] = "export"  # away: the boxes are forgotten
        no_exception(at.run())
        at.session_state["on"] = where
        no_exception(at.run())
        assert [h.value for h in at.subheader if h.value.startswith("Quotes")] == [heads[where]], where
        params[where] = {k: v[0] if isinstance(v, list) else v for k, v in dict(at.query_params).items()}
    for where, key in (("project", "proj_codes_pick"), ("themes", "th_freq_pick")):
        again = AppTest.from_string(f"from qualcode.ui.pages.{where} import render\nrender()\n", default_timeout=60)
        again.session_state["project"], again.session_state["coder"] = str(project.project_dir), project.coder
        again.query_params.update(params[where])
        no_exception(again.run())
        assert [h.value for h in again.subheader if h.value.startswith("Quotes")] == [heads[where]], where


def test_a_document_attribute_called_role_leaves_the_speakers_role_as_speaker_role(project, small):
    """Walk 8: the documents carried an attribute "role" (CHW, nurse): Group by offered one
    "role", the attribute, and the speakers' role was out of reach. Both are offered; "role"
    is the attribute, "speaker role" the speakers' (interviewer, participant, ...)."""
    from qualcode.services import ingest

    assert analysis.attribute_names(project)["speaker"][0] == "role"  # nothing shadows it yet
    by_speaker = analysis.frequencies(project, by="role")
    for doc_id, value in zip([small.doc[n] for n in ("D1", "D2", "D3", "D4")], ["teacher-led", "teacher-led", "principal-led", "principal-led"]):
        ingest.set_document_attribute(project, doc_id, "role", value)
    attrs = analysis.attribute_names(project)
    assert "role" in attrs["document"] and attrs["speaker"][0] == "speaker role"
    by_doc = analysis.frequencies(project, by="role")
    assert set(by_doc["role"]) == {"teacher-led", "principal-led"}
    again = analysis.frequencies(project, by="speaker role")
    assert again.drop(columns="speaker role").equals(by_speaker.drop(columns="role"))
    assert list(again["speaker role"]) == list(by_speaker["role"])
    for r in again[again["excerpts"] > 0].to_dict("records"):
        q = analysis.quotes(project, code_id=r["code_id"], where={"speaker role": r["speaker role"]})
        assert len(q) == r["excerpts"] and set(q["role"]) == {r["speaker role"]}


@pytest.mark.parametrize("include", ["accepted", "pending"])
def test_each_quote_names_the_other_codes_on_its_excerpt(project, small, include):
    """Walk 28: the drill-down's codes column named only the clicked code; R15 also carried
    Dignity and stigma and nothing said so. "Also coded" lists the excerpt's other codes."""
    every = analysis.retrieve(project, include=include, rollup=False)
    on: dict[int, set[str]] = {}
    for ex, name in zip(every["excerpt_id"], every["code"]):
        on.setdefault(int(ex), set()).add(name)
    assert any(len(v) > 1 for v in on.values())  # the small project has excerpts with two codes
    freq = analysis.frequencies(project, include=include)
    seen_other = False
    for code_id in freq[freq["excerpts"] > 0]["code_id"]:
        q = analysis.quotes(project, code_id=code_id, include=include)
        for ex, counted, also in zip(q["excerpt_id"], q["code"], q["also_coded"]):
            shown = set(also.split("; ")) if also else set()
            assert shown == on[int(ex)] - set(counted.split("; ")), (code_id, ex)
            seen_other |= bool(shown)
    assert seen_other


def test_a_grouped_table_keeps_a_codes_zero_in_the_other_groups(project, small):
    """Walk 28: grouped by site, a code used at one site had no row at the other, so the two
    sites could not be compared row by row. Codes used nowhere stay out."""
    freq = analysis.frequencies(project, by="district")
    per_code = freq.groupby("code_id")["excerpts"]
    some_zero = freq[(freq["excerpts"] == 0) & (per_code.transform("sum") > 0)]
    assert len(some_zero)  # the small project has a code used in one district only
    script = (
        "from qualcode.ui.pages.themes import _frequencies\n"
        "from qualcode.ui.state import current_context\n"
        "_frequencies(current_context(), by='district', include='accepted')\n"
    )
    at = no_exception(run_script(script, project))
    table = next(df.value for df in at.dataframe if "district" in df.value.columns)
    rows = {(str(y), c) for y, c in zip(table["district"], table["code"])}
    for r in some_zero.to_dict("records"):
        assert (str(r["district"]), r["code"]) in rows, r
    unused = set(freq.loc[per_code.transform("sum") == 0, "code"])
    assert unused and not unused & set(table["code"])


def test_the_quotes_read_whole_as_full_text(project, small):
    """Walk 34: the drill-down table cut long quotes at the column's edge. "Full text" shows each
    quote whole, exactly the rows the table holds, each under where it is from."""
    from qualcode.storage import documents as doc_store
    from tests.conftest import make_document
    from qualcode.ui.text import md
    from tests.ui_helpers import page

    long_quote = ("We kept meeting the same district staff every month, and over two years that steady contact "
                  "is what made the principals willing to share their own data with us in the end.")
    doc = make_document("long one", [("Ana", "participant", long_quote)])
    with project.session() as s:
        doc_id = doc_store.add_document(s, doc)
        (ex,) = doc_store.load_document(s, doc_id).excerpts
    coding.add_coding(project, ex.id, "evid")
    at = no_exception(page("themes", project))
    at = no_exception(at.selectbox(key="th_freq_pick").set_value("evid").run())
    table = at.dataframe[-1].value
    at = no_exception(at.segmented_control(key="th_quotes_as").set_value("Full text").run())
    # walk 47: a second click on "Full text" switched it off (neither view highlighted, a table shown)
    assert at.segmented_control(key="th_quotes_as").proto.required
    texts = [t.value for t in at.text]
    expected = analysis.quotes(project, code_id="evid", include="accepted")
    assert sorted(expected["quote"]) == sorted(table["quote"]) and long_quote in list(expected["quote"])
    assert sorted(t for t in texts if t in set(expected["quote"])) == sorted(expected["quote"])
    assert md("long one · Ana (participant) · counted as Evidence (test) · by alice") in [c.value for c in at.caption]


def test_a_row_picked_in_the_box_is_the_row_ticked_in_the_table(project, small):
    """Walk 47: a row picked under "Or pick a row" showed its quotes while the table's tick stayed
    on the row clicked before. The table ticks the row the box picked."""
    from tests.ui_helpers import page

    at = no_exception(page("project", project))
    table = next(df.value for df in at.dataframe if list(df.value.columns) == ["code", "excerpts", "documents"])
    at.session_state["proj_codes"] = {"selection": {"rows": [0], "columns": []}}  # a click on the first row
    no_exception(at.run())
    first = at.selectbox(key="proj_codes_pick").value
    other = next(o for o in at.selectbox(key="proj_codes_pick").options if not o.startswith(table["code"][0] + " ·"))
    at = no_exception(at.selectbox(key="proj_codes_pick").select(other).run())
    picked = at.selectbox(key="proj_codes_pick").value
    assert picked != first
    (row,) = at.session_state["proj_codes"]["selection"]["rows"]
    assert f"{table['code'][row]} ·" in other
    heads = [h.value for h in at.subheader if h.value.startswith("Quotes")]
    assert len(heads) == 1 and heads[0].startswith(f"Quotes: {table['code'][row]}"), heads
