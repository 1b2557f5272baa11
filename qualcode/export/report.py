"""A findings report (Markdown or Word): the codebook, frequency tables, charts and the
strongest quotes per theme. Pure: takes frames and PNG bytes, returns text or bytes.

"Strongest" quotes (see :func:`strongest_quotes`): excerpts that more coders agreed on,
then resolved by consensus, then with a higher model score, then of a readable length
(8-80 words), spoken by participants.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qualcode.core import Codebook

FREQ_COLUMNS = {"code": "Code", "excerpts": "Excerpts", "documents": "Documents",
                "participants": "Participants", "pct_documents": "% of documents",
                "per_1000_words": "Per 1,000 words"}


@dataclass
class ReportData:
    title: str
    codebook: Codebook
    frequencies: pd.DataFrame
    quotes: dict[str, pd.DataFrame] = field(default_factory=dict)  # top-level code id -> rows
    by: str | None = None
    crosstab: pd.DataFrame | None = None
    charts: dict[str, bytes] = field(default_factory=dict)  # caption -> PNG
    include: str = "accepted"


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
    words = r["quote"].str.split().str.len().fillna(0)
    r["_len_ok"] = ((words >= 8) & (words <= 80)).astype(int)
    r["_consensus"] = r["origin"].astype(str).str.contains("consensus").astype(int)
    r["_participant"] = (~r["role"].isin(["interviewer", "facilitator"])).astype(int)
    r["_score"] = pd.to_numeric(r["score"], errors="coerce").fillna(0.0)
    r = r.sort_values(["n_coders", "_consensus", "_participant", "_len_ok", "_score", "excerpt_id"],
                      ascending=[False, False, False, False, False, True])
    out = {}
    for theme, grp in r.groupby("theme", sort=False):
        out[theme] = grp.drop_duplicates("excerpt_id").head(per_theme).drop(
            columns=["_len_ok", "_consensus", "_participant", "_score"])
    return out


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.1f}"
    return str(v)


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
    return "\n".join(lines)


def _freq_table(freq: pd.DataFrame) -> pd.DataFrame:
    f = freq.copy()
    f["code"] = ["\u2003" * int(d) + str(n) for d, n in zip(f["depth"], f["code"])]
    return f[list(FREQ_COLUMNS)].rename(columns=FREQ_COLUMNS)


def _quote_line(q) -> str:
    who = q.speaker if isinstance(q.speaker, str) and q.speaker else "unknown speaker"
    role = f", {q.role}" if isinstance(q.role, str) and q.role else ""
    return f"\u201c{q.quote.strip()}\u201d \u2014 {who}{role}, {q.document}"


def markdown(data: ReportData, *, image_links: dict[str, str] | None = None) -> str:
    """The report as Markdown. Charts link to ``image_links[caption]`` when given, else
    are embedded as data URIs."""
    cb = data.codebook
    out = [f"# {data.title}", "",
           f"Codings counted: {'accepted and manual' if data.include == 'accepted' else 'including pending suggestions'}. "
           "Parent codes include their children (an excerpt is counted once).", "",
           "## Codebook", ""]
    for c in cb.active():
        depth = 0
        p = c.parent
        while p and cb.get(p):
            depth, p = depth + 1, cb.get(p).parent
        out.append(f"{'  ' * depth}- **{c.name}** (`{c.id}`){': ' + c.definition if c.definition else ''}")
    out += ["", "## How often each theme comes up", "", _md_table(_freq_table(data.frequencies)), ""]
    if data.crosstab is not None and data.by:
        out += [f"## By {data.by}", "", _md_table(data.crosstab.drop(columns=["code_id"])), ""]
    for caption, png in data.charts.items():
        link = (image_links or {}).get(caption) or "data:image/png;base64," + base64.b64encode(png).decode()
        out += [f"![{caption}]({link})", ""]
    out += ["## Strongest quotes per theme", ""]
    for theme, rows in data.quotes.items():
        code = cb.get(theme)
        out += [f"### {code.name if code else theme}", ""]
        for q in rows.itertuples(index=False):
            out.append(f"> {_quote_line(q)}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def docx_bytes(data: ReportData) -> bytes:
    """The report as a Word document."""
    from docx import Document as DocxDocument
    from docx.shared import Inches

    doc = DocxDocument()
    doc.add_heading(data.title, level=0)
    doc.add_paragraph("Codings counted: " + ("accepted and manual" if data.include == "accepted"
                                             else "including pending suggestions")
                      + ". Parent codes include their children (an excerpt is counted once).")
    doc.add_heading("Codebook", level=1)
    cb = data.codebook
    for c in cb.active():
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(c.name).bold = True
        if c.definition:
            p.add_run(": " + c.definition)
    doc.add_heading("How often each theme comes up", level=1)
    _docx_table(doc, _freq_table(data.frequencies))
    if data.crosstab is not None and data.by:
        doc.add_heading(f"By {data.by}", level=1)
        _docx_table(doc, data.crosstab.drop(columns=["code_id"]))
    for caption, png in data.charts.items():
        doc.add_picture(io.BytesIO(png), width=Inches(6))
        doc.add_paragraph(caption, style="Caption")
    doc.add_heading("Strongest quotes per theme", level=1)
    for theme, rows in data.quotes.items():
        code = cb.get(theme)
        doc.add_heading(code.name if code else theme, level=2)
        for q in rows.itertuples(index=False):
            doc.add_paragraph(_quote_line(q), style="Quote")
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
