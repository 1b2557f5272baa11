"""A codebook kept as a spreadsheet (.csv or .xlsx): one row per code.

Evaluators often keep their codebook in Excel (walk 49: a CSV was refused, "save it as
YAML"). The first row names the columns, in any order and case; only ``name`` is required:

- ``name`` (or ``code``, ``code name``), ``definition`` (or ``description``), ``parent`` (the
  parent's name or id; or ``group``), ``id`` (made from the name when absent; a name the project
  already has keeps that code's id, so a re-import updates it), ``codable`` (yes / no),
  ``color``, and the lists ``examples``, ``include``, ``exclude``, ``counterexamples``,
  ``keywords``: several in one cell, one per line or separated by ``;``.

The rows become the same mapping a YAML file holds, so one set of checks (``check_raw``,
``validate_codebook``) reports every problem with its row ("line" = the spreadsheet's row
number). A column no code field matches is named in a warning, not read.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from qualcode.codebook_io.validate import LIST_FIELDS, Lines, slugify
from qualcode.errors import Problem

TABLE_SUFFIXES = (".csv", ".xlsx")

COLUMNS = {
    "name": "name", "code": "name", "code name": "name", "label": "name",
    "id": "id", "code id": "id",
    "definition": "definition", "description": "definition", "meaning": "definition",
    "parent": "parent", "parent code": "parent", "group": "parent", "category": "parent", "theme": "parent",
    "codable": "codable", "colour": "color", "color": "color",
    "example": "examples", "examples": "examples",
    "include": "include", "inclusion": "include", "inclusion criteria": "include", "when to use": "include",
    "exclude": "exclude", "exclusion": "exclude", "exclusion criteria": "exclude", "when not to use": "exclude",
    "counterexample": "counterexamples", "counterexamples": "counterexamples",
    "keyword": "keywords", "keywords": "keywords",
}
NO = {"no", "n", "false", "0", "group", "not codable"}


def _rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = wb.worksheets[0]
            return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            wb.close()
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    # the separator the header row uses (Excel writes ";" where "," is the decimal comma); the
    # rows' cells may hold any of them, and line breaks, so only the first line is looked at
    first = text.split("\n", 1)[0]
    sep = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep)]


def _split(cell: str) -> list[str]:
    """Items one per line; in a cell of one line, separated by ";"."""
    return [p.strip() for p in re.split(r"\n" if "\n" in cell else ";", cell) if p.strip()]


def parse_table(path: str | Path, *, file: str | None = None,
                known_ids: dict[str, str] | None = None) -> tuple[dict[str, Any] | None, Lines, list[Problem]]:
    """``(data, lines, problems)`` as :func:`~qualcode.codebook_io.yaml_io.parse_yaml` gives them,
    from a spreadsheet. ``known_ids``: the project's code ids by name (casefolded)."""
    path = Path(path)
    file = file or str(path)
    try:
        rows = _rows(path)
    except UnicodeDecodeError as exc:
        return None, Lines(), [Problem(f"not UTF-8 text ({exc.reason}); save the spreadsheet as CSV UTF-8 "
                                       "or as .xlsx", file=file)]
    except Exception as exc:  # noqa: BLE001 - a damaged workbook: said, with the file, not a traceback
        return None, Lines(), [Problem(f"cannot be read as a spreadsheet ({type(exc).__name__}: {exc})", file=file)]
    header_at = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if header_at is None:
        return None, Lines(), [Problem("the spreadsheet is empty: its first row should name the columns "
                                       "(name, definition, parent, examples, …)", file=file)]
    header = [" ".join(c.split()).casefold() for c in rows[header_at]]
    fields = [COLUMNS.get(h) for h in header]
    problems: list[Problem] = []
    if "name" not in fields:
        return None, Lines(), [Problem(
            "no 'name' column: the first row should name the columns, one of them 'name' (the code's name)",
            file=file, line=header_at + 1)]
    unread = [rows[header_at][i].strip() for i, (h, f) in enumerate(zip(header, fields)) if h and f is None]
    if unread:
        problems.append(Problem(f"column{'s' if len(unread) > 1 else ''} {', '.join(repr(u) for u in unread)} "
                                "not read (a codebook has name, definition, parent, examples, include, exclude, "
                                "keywords, color, codable, id)", file=file, line=header_at + 1, severity="warning"))
    codes: list[dict[str, Any]] = []
    lines = Lines()
    for r, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = {f: (row[i] if i < len(row) else "") for i, f in enumerate(fields) if f}
        if not any(v.strip() for v in cells.values()):
            continue  # a blank row
        if not cells.get("name", "").strip():  # said once, as it is (walk 51: "code #1: missing 'id' (a
            # stable slug …)", "missing 'name'" and "the new code: missing name" for one row)
            problems.append(Problem("this row has no name: give the code a name in the 'name' column, or delete "
                                    "the row", file=file, line=r))
            continue
        code: dict[str, Any] = {}
        for f, raw in cells.items():
            v = raw.strip()
            if not v:
                continue
            if f in LIST_FIELDS:  # (unstripped: a line break at the end says "one item")
                code[f] = code.get(f, []) + _split(raw)
            elif f == "codable":
                code[f] = v.casefold() not in NO
            else:
                code[f] = v
        codes.append(code)
        lines.codes.append(r)
        for f in code:
            lines.fields[(len(codes) - 1, f)] = r
    known = dict(known_ids or {})
    taken = set(known.values()) | {c["id"] for c in codes if c.get("id")}
    by_name: dict[str, str] = {}
    for c in codes:  # ids: given, the project's for a name it has, else made from the name
        if not c.get("id") and c.get("name"):
            c["id"] = known.get(c["name"].casefold()) or slugify(c["name"], taken=taken)
            taken.add(c["id"])
        if c.get("name") and c.get("id"):
            by_name.setdefault(c["name"].casefold(), c["id"])
    ids = {c.get("id") for c in codes}
    for c in codes:  # a parent named by its name
        p = c.get("parent")
        if p and p not in ids:
            c["parent"] = by_name.get(p.casefold()) or known.get(p.casefold()) or p
    parents = {c.get("parent") for c in codes}
    for c in codes:  # a row with no definition that others sit under: a group (a code to hold others)
        if c.get("id") in parents and not c.get("definition") and "codable" not in c:
            c["codable"] = False
    return {"name": path.stem, "codes": codes}, lines, problems


def codebook_csv(cb) -> str:
    """The codebook as a spreadsheet :func:`parse_table` reads back (a template to fill in too):
    one row per code not retired, its parent by name, lists one item per line of a cell.

    >>> from qualcode.core import Code, Codebook
    >>> cb = Codebook("c", [Code("g", "Barriers", "", codable=False), Code("cost", "Cost", "Money.", parent="g",
    ...                                                                    examples=["Too dear.", "No bus fare."])])
    >>> print(codebook_csv(cb).replace("\\r", ""))
    name,definition,parent,codable,examples,include,exclude,counterexamples,keywords,color,id
    Barriers,,,no,,,,,,,g
    Cost,Money.,Barriers,yes,"Too dear.
    No bus fare.",,,,,,cost
    <BLANKLINE>
    """
    names = {c.id: c.name for c in cb.codes}

    def cell(items: list[str]) -> str:  # one item holding a ";" ends with a line break: read as one
        return "\n".join(items) + ("\n" if len(items) == 1 and ";" in items[0] else "")

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["name", "definition", "parent", "codable", "examples", "include", "exclude", "counterexamples",
                "keywords", "color", "id"])
    for c in cb.codes:
        if c.retired:
            continue
        w.writerow([c.name, c.definition, names.get(c.parent, c.parent or ""), "yes" if c.codable else "no",
                    cell(c.examples), cell(c.include), cell(c.exclude), cell(c.counterexamples), cell(c.keywords),
                    c.color or "", c.id])
    return out.getvalue()
