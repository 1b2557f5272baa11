"""Charts with Altair (bars, heatmaps, trends across years) and PNG/SVG rendering.

Each function takes a frame from :mod:`qualcode.analysis` and returns an ``alt.Chart``;
:func:`render` turns any chart into PNG or SVG bytes offline (vl-convert), for download
buttons and reports.

>>> chart = bars(frequencies(facts))  # doctest: +SKIP
>>> png = render(chart, fmt="png")  # doctest: +SKIP
"""

from __future__ import annotations

import altair as alt
import pandas as pd

MEASURE_TITLES = {
    "excerpts": "Coded excerpts",
    "documents": "Documents with the code",
    "participants": "Participants",
    "pct_documents": "% of documents",
    "per_1000_words": "Excerpts per 1,000 participant words",
}

COUNTS = {"excerpts", "documents", "participants", "count", "n"}


def count_axis(measure: str, title: str | None = None) -> alt.Axis:
    """Whole-number ticks for counts (no "0.5 documents"), plain ticks otherwise."""
    if measure in COUNTS:
        return alt.Axis(title=title, format="d", tickMinStep=1)
    return alt.Axis(title=title)


def bars(freq: pd.DataFrame, *, measure: str = "documents", by: str | None = None,
         title: str | None = None) -> alt.Chart:
    """Horizontal bars of ``measure`` per code (grouped by ``by`` when given)."""
    data = freq.copy()
    # a sub-code drawn under its parent as such ("↳ Trust"), not as one more code (walk 6)
    depth = data["depth"].fillna(0).astype(int) if "depth" in data else pd.Series(0, index=data.index)
    data["label"] = ["\u00a0\u00a0" * max(d - 1, 0) + ("↳ " if d > 0 else "") + str(c)
                     for d, c in zip(depth, data["code"])]
    enc = {
        # whole code names (Vega-Lite cuts labels at 180 px: "Volunteer recruit…", walk 6)
        "y": alt.Y("label:N", sort=list(dict.fromkeys(data["label"])), title=None, axis=alt.Axis(labelLimit=360)),
        "x": alt.X(f"{measure}:Q", axis=count_axis(measure, MEASURE_TITLES.get(measure, measure))),
        "tooltip": ["code", alt.Tooltip(f"{measure}:Q", format=",.4g")],
    }
    if by:
        data[by] = data[by].astype(str)
        enc["color"] = alt.Color(f"{by}:N", title=by)
        enc["yOffset"] = alt.YOffset(f"{by}:N")
        enc["tooltip"] = [by, *enc["tooltip"]]
    return alt.Chart(data, title=title or MEASURE_TITLES.get(measure, measure)).mark_bar().encode(**enc)


def heatmap(matrix: pd.DataFrame, *, title: str = "Co-occurrence", value_title: str = "count",
            labels: "dict[str, str] | None" = None, diagonal: bool = True) -> alt.Chart:
    """A heatmap of a square (or any) frame: rows x columns -> value.

    ``diagonal=False`` leaves the cells of a code with itself empty: in a co-occurrence
    matrix they hold each code's own count, which would swamp the colour scale of the
    real pairs.
    """
    labels = labels or {}
    long = matrix.copy()
    long.index = [labels.get(str(i), str(i)) for i in long.index]
    long.columns = [labels.get(str(c), str(c)) for c in long.columns]
    order = list(long.index)
    x_order = list(long.columns)
    long = long.rename_axis("row").reset_index().melt(id_vars="row", var_name="column", value_name="value")
    if not diagonal:
        long = long[long["row"] != long["column"]]
    legend = alt.Legend(format="d", tickMinStep=1) if value_title in COUNTS else alt.Legend()
    base = alt.Chart(long, title=title).encode(
        # whole code names on both axes (walk 38: "Trust in health w…" was cut at Vega's 180 px)
        x=alt.X("column:N", sort=x_order, title=None, axis=alt.Axis(labelLimit=360, labelAngle=-45)),
        y=alt.Y("row:N", sort=order, title=None, axis=alt.Axis(labelLimit=360)),
    )
    rect = base.mark_rect().encode(color=alt.Color("value:Q", title=value_title, legend=legend),
                                   tooltip=["row", "column", alt.Tooltip("value:Q", format=",.3g")])
    return rect


def trend(freq_by: pd.DataFrame, *, by: str = "year", measure: str = "pct_documents",
          codes: "list[str] | None" = None, title: str | None = None) -> alt.Chart:
    """Lines of ``measure`` across the values of ``by`` (years), one line per code."""
    data = freq_by.copy()
    if codes:
        data = data[data["code_id"].isin(codes)]
    data[by] = data[by].astype(str)
    return alt.Chart(data, title=title or f"{MEASURE_TITLES.get(measure, measure)} by {by}").mark_line(point=True).encode(
        x=alt.X(f"{by}:O", sort=list(dict.fromkeys(data[by])), title=by),
        y=alt.Y(f"{measure}:Q", axis=count_axis(measure, MEASURE_TITLES.get(measure, measure))),
        color=alt.Color("code:N", title="Code"),
        tooltip=["code", by, alt.Tooltip(f"{measure}:Q", format=",.4g")],
    )


def render(chart: alt.Chart, *, fmt: str = "png", scale: float = 2.0) -> bytes:
    """PNG or SVG bytes of a chart, rendered locally (no browser, no network)."""
    import vl_convert as vlc

    spec = chart.to_json()
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError("fmt must be 'png' or 'svg'")
