"""A findings report (Markdown, Word or HTML): the codebook, frequency tables, charts and
the strongest quotes per theme. Pure: takes frames and chart bytes, returns text or bytes.

"Strongest" quotes (see :func:`strongest_quotes`): excerpts that more coders agreed on,
then resolved by consensus, then with a higher model score, then of a readable length
(8-80 words), spoken by participants; a theme's quotes come from as many documents as it
has before a document gives a second one.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qualcode.core import Code, Codebook
from qualcode.export import codebook_docs
from qualcode.core.model import CONSENSUS_CODER
from qualcode.core.text import CONSENSUS_RULE, plural

FREQ_COLUMNS = {"code": "Code", "excerpts": "Excerpts", "documents": "Documents",
                "participants": "Participants", "pct_documents": "% of documents",
                "per_1000_words": "Per 1,000 participant words"}


@dataclass
class ReportData:
    title: str
    codebook: Codebook
    frequencies: pd.DataFrame
    quotes: dict[str, pd.DataFrame] = field(default_factory=dict)  # top-level code id -> rows
    by: str | None = None
    crosstab: pd.DataFrame | None = None
    charts: dict[str, bytes] = field(default_factory=dict)  # caption -> PNG (or SVG, see chart_format)
    include: str = "accepted"
    chart_format: str = "png"  # "png" or "svg": what ``charts`` holds
    coders: list[str] = field(default_factory=list)  # whose codings are counted (pooled when several)
    coder: str | None = None  # set when only this coder's codings are counted
    untouched: str | None = None  # which documents nobody (or ``coder``) has started, in a sentence
    source: str | None = None  # "transcripts" / "surveys": only those documents counted (None: all)
    sources: dict[str, int] = field(default_factory=dict)  # the project's transcripts and survey respondents


def strongest_quotes(rows: pd.DataFrame, codebook: Codebook, *, per_theme: int = 3) -> dict[str, pd.DataFrame]:
    """Top quotes per top-level theme (children rolled up), best first; see module docstring."""
    if rows.empty:
        return {}
    by_id = codebook.by_id()

    def top(cid: str) -> str:
        seen = set()
        while by_id.get(cid) and by_id[cid].parent and cid not in seen:
            seen.add(cid)
            cid = by_id[cid].parent
        return cid

    r = rows.copy()
    r["theme"] = [top(c) for c in r["code_id"]]
    # a survey answer's "speaker" is its question (itertuples cannot reach "speaker.question")
    if "speaker.question" in r and "speaker" in r:
        r["asked"] = [a if isinstance(a, str) and a == sp else "" for a, sp in zip(r["speaker.question"], r["speaker"])]
    words = r["quote"].str.split().str.len().fillna(0)
    r["_len_ok"] = ((words >= 8) & (words <= 80)).astype(int)
    r["_consensus"] = r["origin"].astype(str).str.contains("consensus").astype(int)
    # a consensus is the coders' agreement: pooled, a settled excerpt holds the consensus alone
    # (storage.analysis_queries.settled_excerpts), so its one "coder" ranks as two who agreed
    r["_agreed"] = np.where(r["_consensus"] == 1, np.maximum(r["n_coders"], 2), r["n_coders"])
    r["_participant"] = (~r["role"].isin(["interviewer", "facilitator"])).astype(int)
    r["_score"] = pd.to_numeric(r["score"], errors="coerce").fillna(0.0)
    r = r.sort_values(["_agreed", "_consensus", "_participant", "_len_ok", "_score", "excerpt_id"],
                      ascending=[False, False, False, False, False, True])
    out = {}
    for theme, grp in r.groupby("theme", sort=False):
        grp = grp.drop_duplicates("excerpt_id")
        # the same words twice (a line said again, a document imported twice) are one quote
        # (walk 39: a theme's three quotes were one sentence three times)
        said = grp["quote"].fillna("").astype(str).str.split().str.join(" ").str.casefold()
        grp = grp[~said.duplicated()]
        # Each document's best quote first, in the order above, then the second best of each...
        # (walk 16: 15 of a report's 17 quotes came from the one interview both coders had coded,
        # its excerpts ranked first by their two coders, though nine documents held the themes).
        nth = grp.groupby("document_id", sort=False).cumcount() if "document_id" in grp else 0
        grp = grp.assign(_nth=nth).sort_values("_nth", kind="stable")
        out[theme] = grp.head(per_theme).drop(columns=["_agreed", "_len_ok", "_consensus", "_participant", "_score", "_nth"])
    return out


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.1f}"
    return str(v)


def _md(text) -> str:
    """Project text for Markdown: a backslash before every ``<`` so that markup in a
    transcript (``<script>``, ``<img onerror=...>``) shows as text in Markdown viewers
    instead of being passed through as HTML."""
    return str(text).replace("<", "\\<")


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(_md(c).replace("|", "\\|") for c in cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_md(_fmt(v)).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
    return "\n".join(lines)


def _freq_table(freq: pd.DataFrame) -> pd.DataFrame:
    f = freq.copy()
    f["code"] = ["\u2003" * int(d) + str(n) for d, n in zip(f["depth"], f["code"])]
    return f[list(FREQ_COLUMNS)].rename(columns=FREQ_COLUMNS)


def _names(names: list[str]) -> str:
    """'ana', 'ana and ben', 'ana, ben and cem'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _counted(data: ReportData) -> str:
    """The report's opening line: which codings it counts, and whose.

    >>> _counted(ReportData("t", Codebook("cb"), pd.DataFrame(), coders=["ana", "ben"]))[:71]
    'Codings counted: accepted and manual. Coders counted: ana and ben, pool'
    """
    which = "accepted and manual" if data.include == "accepted" else "including pending suggestions"
    who = ""
    if data.coder:
        who = f" Coder counted: {data.coder} only (the other coders' codings are left out)."
    elif len(data.coders) > 1:
        who = (f" Coders counted: {_names(data.coders)}, pooled (an excerpt counts for a code when any of "
               "them applied it, so one excerpt can count for codes that different coders chose)."
               + (f" {CONSENSUS_RULE}" if CONSENSUS_CODER in data.coders else ""))
    left = f" {data.untouched}" if data.untouched else ""  # as on Themes (walk 14: shares quoted as final)
    return (f"Codings counted: {which}.{who}{_documents_counted(data)} Parent codes include their children (an "
            f"excerpt is counted once).{left}")


def _documents_counted(data: ReportData) -> str:
    """Which documents count, where a project holds transcripts and survey answers (walk 15: a
    report's "% of documents" was 2 of 44, the 40 survey respondents pooled with 4 interviews,
    without a word).

    >>> d = ReportData("t", Codebook("cb"), pd.DataFrame(), sources={"transcripts": 4, "surveys": 40})
    >>> _documents_counted(d)[:70]
    ' Documents counted: 4 transcripts and 40 survey respondents together ('
    >>> _documents_counted(ReportData("t", Codebook("cb"), pd.DataFrame(), source="transcripts",
    ...                               sources={"transcripts": 4, "surveys": 40}))
    ' Documents counted: transcripts only (4); the 40 survey respondents are left out.'
    """
    t, r = data.sources.get("transcripts", 0), data.sources.get("surveys", 0)
    if not (t and r):
        return ""
    if data.source == "transcripts":
        return (f" Documents counted: transcripts only ({t}); the {plural(r, 'survey respondent')} "
                f"{'is' if r == 1 else 'are'} left out.")
    if data.source == "surveys":
        return (f" Documents counted: survey answers only ({plural(r, 'respondent')}); the {plural(t, 'transcript')} "
                f"{'is' if t == 1 else 'are'} left out.")
    return (f" Documents counted: {plural(t, 'transcript')} and {plural(r, 'survey respondent')} together (each respondent "
            "is one document, so shares of documents mix both).")


def _speaker(q) -> tuple[str, str]:
    """(who, ", role") for a quote row; for a survey answer the question it answers (walk 42:
    "— What do you like most about the club?, participant, survey · 101" read the question as
    a person)."""
    asked = getattr(q, "asked", "")
    if isinstance(asked, str) and asked:
        return f"answer to \u201c{asked}\u201d", ""
    who = q.speaker if isinstance(q.speaker, str) and q.speaker else "unknown speaker"
    role = f", {q.role}" if isinstance(q.role, str) and q.role else ""
    return who, role


def _sub_code(q, cb: Codebook | None, theme: str) -> str:
    """' · Barriers' when the quote is coded with a code under the theme, not the theme itself
    (walk 40: the report had quotes for top-level themes only, and did not say which of their
    codes each one was)."""
    cid = getattr(q, "code_id", None)
    code = cb.get(cid) if cb is not None and cid and cid != theme else None
    return f" \u00b7 {code.shown_name}" if code is not None else ""


def _by_note(by: str) -> str:
    """What the grouped table counts (walk 41: "Norte n" was read as excerpts, as Themes' grouped
    table leads with them).

    >>> _by_note("district")
    "n: documents with the code in that district; %: their share of that district's documents."
    """
    return f"n: documents with the code in that {by}; %: their share of that {by}'s documents."


def _quote_line(q, cb: Codebook | None = None, theme: str = "") -> str:
    who, role = _speaker(q)
    return f"\u201c{q.quote.strip()}\u201d \u2014 {who}{role}, {q.document}{_sub_code(q, cb, theme)}"


def markdown(data: ReportData, *, image_links: dict[str, str] | None = None) -> str:
    """The report as Markdown. Charts link to ``image_links[caption]`` when given, else
    are embedded as data URIs."""
    cb = data.codebook
    out = [f"# {_md(data.title)}", "", _counted(data), "", "## Codebook", ""]
    for depth, c in _listed(data):
        out.append(f"{'  ' * depth}- **{_md(c.shown_name)}** (`{c.id}`): {_md(c.shown_definition)}")
    out += ["", "## How often each theme comes up", "", _md_table(_freq_table(data.frequencies)), ""]
    if data.crosstab is not None and data.by:
        out += [f"## By {_md(data.by)}", "", _md(_by_note(data.by)), "",
                _md_table(data.crosstab.drop(columns=["code_id"])), ""]
    for caption, png in data.charts.items():
        link = (image_links or {}).get(caption) or "data:image/png;base64," + base64.b64encode(png).decode()
        out += [f"![{_md(caption)}]({link})", ""]
    out += ["## Strongest quotes per theme", ""]
    for theme, rows in data.quotes.items():
        code = cb.get(theme)
        out += [f"### {_md(code.shown_name if code else theme)}", ""]
        for q in rows.itertuples(index=False):
            out.append("> " + _md(_quote_line(q, cb, theme)).replace("\n", "\n> "))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def docx_bytes(data: ReportData) -> bytes:
    """The report as a Word document."""
    from docx import Document as DocxDocument
    from docx.shared import Inches

    doc = DocxDocument()
    doc.add_heading(data.title, level=0)
    doc.add_paragraph(_counted(data))
    doc.add_heading("Codebook", level=1)
    cb = data.codebook
    for depth, c in _listed(data):  # Word's template nests bullets three deep
        p = doc.add_paragraph(style="List Bullet" + ("" if depth == 0 else f" {min(depth + 1, 3)}"))
        p.add_run(c.shown_name).bold = True
        p.add_run(": " + c.shown_definition)
    doc.add_heading("How often each theme comes up", level=1)
    _docx_table(doc, _freq_table(data.frequencies))
    if data.crosstab is not None and data.by:
        doc.add_heading(f"By {data.by}", level=1)
        doc.add_paragraph(_by_note(data.by))
        _docx_table(doc, data.crosstab.drop(columns=["code_id"]))
    for caption, png in data.charts.items():
        doc.add_picture(io.BytesIO(png), width=Inches(6))
        doc.add_paragraph(caption, style="Caption")
    doc.add_heading("Strongest quotes per theme", level=1)
    for theme, rows in data.quotes.items():
        code = cb.get(theme)
        doc.add_heading(code.shown_name if code else theme, level=2)
        for q in rows.itertuples(index=False):
            doc.add_paragraph(_quote_line(q, cb, theme), style="Quote")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_table(doc, df: pd.DataFrame) -> None:
    t = doc.add_table(rows=1, cols=len(df.columns))
    t.style = "Light Grid Accent 1"
    for cell, col in zip(t.rows[0].cells, df.columns):
        cell.text = str(col)
    for row in df.itertuples(index=False):
        cells = t.add_row().cells
        for cell, v in zip(cells, row):
            cell.text = _fmt(v)


# ---- HTML -------------------------------------------------------------------------------

#: No scripts, no external fetches: even if markup slipped into the page, a browser would
#: not run it (defence in depth; every text is escaped anyway).
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.8rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}
code{background:#f6f8fa;padding:0 .2rem;border-radius:3px}
figure{margin:1.5rem 0}figure img{max-width:100%;height:auto}figcaption{color:#57606a;font-size:.9rem}
blockquote{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #8c959f;background:#f6f8fa}
blockquote p{margin:0;white-space:pre-wrap}blockquote footer{color:#57606a;font-size:.9rem;margin-top:.25rem}
""".strip()


def _e(value) -> str:
    """Escape any value for HTML text and attribute values (quotes included)."""
    return html.escape(_fmt(value), quote=True)


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = "".join(
            f'<td class="num">{_e(v)}</td>' if isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, bool) else f"<td>{_e(v)}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _listed(data: "ReportData") -> list[tuple[int, Code]]:
    """``(depth, code)`` for the codes the report's codebook section defines, each parent
    followed by its subtree (walk 37: the Word report's list was flat, and the Markdown one
    indented a sub-code wherever the codebook's order put it): the active ones and, marked
    retired, those retired but counted in its tables (walk 12: a retired code was counted in
    the results and defined nowhere)."""
    f = data.frequencies
    used = set(f["code_id"]) if f is not None and "code_id" in getattr(f, "columns", ()) else set()
    return codebook_docs.ordered(data.codebook, used=used)


def _html_codebook(data: "ReportData") -> str:
    """The codes of :func:`_listed` as nested lists (children under their parent)."""
    out, depth = [], -1
    for d, c in _listed(data):
        if d > depth:
            out.append("<ul>" * (d - depth))
        else:
            out.append("</li>" + "</ul></li>" * (depth - d))
        depth = d
        definition = f": {_e(c.shown_definition)}"
        out.append(f"<li><strong>{_e(c.shown_name)}</strong> (<code>{_e(c.id)}</code>){definition}")
    if depth >= 0:
        out.append("</li>" + "</ul></li>" * depth + "</ul>")
    return "".join(out)


def _html_chart(caption: str, data: bytes, fmt: str) -> str:
    # Charts go in as <img> data URIs: an SVG shown through <img> cannot run scripts or
    # load anything, whatever text (code names) it contains.
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    uri = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
    return f'<figure><img src="{uri}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>'


def _html_quote(q, cb: Codebook | None = None, theme: str = "") -> str:
    who, role = _speaker(q)
    return (f"<blockquote><p>\u201c{_e(str(q.quote).strip())}\u201d</p>"
            f"<footer>\u2014 {_e(who)}{_e(role)}, {_e(q.document)}{_e(_sub_code(q, cb, theme))}</footer></blockquote>")


def html_document(data: ReportData) -> str:
    """The report as one self-contained HTML page (styles inline, charts as data URIs).

    Every piece of project text (transcript quotes, speaker names, code names and
    definitions, attribute values, the title) is escaped with :func:`html.escape`, so a
    quote such as ``<script>alert(1)</script>`` shows as text and never runs; a
    Content-Security-Policy that forbids scripts is added as a second line of defence.

    >>> page = html_document(report_data(ctx, by="year", chart_format="svg"))  # doctest: +SKIP
    """
    cb = data.codebook
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(data.title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{_e(data.title)}</h1>",
        f"<p>{_e(_counted(data))}</p>",
        "<h2>Codebook</h2>", _html_codebook(data),
        "<h2>How often each theme comes up</h2>", _html_table(_freq_table(data.frequencies)),
    ]
    if data.crosstab is not None and data.by:
        parts += [f"<h2>By {_e(data.by)}</h2>", f"<p>{_e(_by_note(data.by))}</p>",
                  _html_table(data.crosstab.drop(columns=["code_id"]))]
    for caption, chart in data.charts.items():
        parts.append(_html_chart(caption, chart, data.chart_format))
    parts.append("<h2>Strongest quotes per theme</h2>")
    for theme, rows in data.quotes.items():
        code = cb.get(theme)
        parts.append(f"<h3>{_e(code.shown_name if code else theme)}</h3>")
        parts += [_html_quote(q, cb, theme) for q in rows.itertuples(index=False)]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
