"""Document and speaker attributes: ``key=value`` options and sidecar CSV files.

Types are text, integer or date (ISO ``YYYY-MM-DD``). ``--attr year=2021`` infers integer;
``--attr year:text=2021`` says so explicitly. A sidecar CSV has a ``file`` column (the
transcript's file name, with or without extension) and one column per attribute; each
column's type is inferred from all its values. With a ``speaker`` column too, a row sets
that speaker's attributes (a focus group member's role, say) instead of the document's.

>>> parse_attr("year=2021"), parse_attr("date=2021-03-04").type.value, parse_attr("district=North").type.value
(Attribute(key='year', value='2021', type=<AttrType.INTEGER: 'integer'>), 'date', 'text')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, NamedTuple

from qualcode.core import Attribute, AttrType
from qualcode.errors import IngestError
from qualcode.ingest.encoding import csv_dialect, csv_rows

_INT = re.compile(r"^[+-]?\d+$")
FILE_COLUMNS = ("file", "filename", "file_name", "document", "source")


def _is_date(v: str) -> bool:
    try:
        date.fromisoformat(v)
        return len(v) == 10
    except ValueError:
        return False


def infer_type(values: Iterable[str]) -> AttrType:
    vals = [v.strip() for v in values if v is not None and str(v).strip()]
    if vals and all(_INT.match(v) for v in vals):
        return AttrType.INTEGER
    if vals and all(_is_date(v) for v in vals):
        return AttrType.DATE
    return AttrType.TEXT


def check_value(key: str, value: str, type: AttrType | str) -> str:
    """Validate ``value`` for ``type``; returns it normalised (stripped)."""
    t = AttrType(type)
    value = str(value).strip()
    if t is AttrType.INTEGER and not _INT.match(value):
        raise IngestError(f"attribute {key!r}: {value!r} is not a whole number", hint="give a number, or type text")
    if t is AttrType.DATE and not _is_date(value):
        raise IngestError(f"attribute {key!r}: {value!r} is not a date", hint="write dates as YYYY-MM-DD, or type text")
    return value


def parse_attr(spec: str) -> Attribute:
    """``key=value`` or ``key:type=value`` -> :class:`Attribute`."""
    if "=" not in spec:
        raise IngestError(f"attribute {spec!r} has no '='", hint="write --attr key=value, e.g. --attr year=2021")
    key, value = spec.split("=", 1)
    key = key.strip()
    explicit = None
    if ":" in key:
        key, t = (p.strip() for p in key.split(":", 1))
        if t not in {a.value for a in AttrType}:
            raise IngestError(f"unknown attribute type {t!r}", hint="use text, integer or date")
        explicit = AttrType(t)
    if not key:
        raise IngestError(f"attribute {spec!r} has no name", hint="write --attr key=value")
    t = explicit or infer_type([value])
    return Attribute(key, check_value(key, value, t), t)


def parse_attrs(specs: Iterable[str] | dict | None) -> dict[str, Attribute]:
    """Attributes from ``key=value`` strings or a dict (values typed by inference)."""
    if not specs:
        return {}
    if isinstance(specs, dict):
        out = {}
        for k, v in specs.items():
            if isinstance(v, Attribute):
                out[k] = v
            else:
                a = parse_attr(f"{k}={v}")
                out[a.key] = a
        return out
    return {a.key: a for a in map(parse_attr, specs)}


@dataclass
class Sidecar:
    path: str
    documents: dict[str, dict[str, Attribute]] = field(default_factory=dict)  # file key -> attrs
    speakers: dict[str, dict[str, dict[str, Attribute]]] = field(default_factory=dict)  # file -> label -> attrs
    used: set[str] = field(default_factory=set)
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)  # file key -> (name as written, first line)
    columns: list[str] = field(default_factory=list)  # the attribute columns, in table order
    cells: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # column -> (line, value) as typed

    def odd_values(self) -> list[tuple[str, int, str, str]]:
        """(column, line, value, what the column holds) for each value unlike the rest of its
        column: a column of whole numbers (or dates) with a few cells that are not one. The column
        is then read as text, and the slip forms a group of its own in every comparison (walk 31:
        a year typed "twenty23" passed without a word). Only where at least two thirds of the
        column's values, and at least two of them, are of the one kind.

        >>> car = Sidecar("t.csv", cells={"year": [(2, "2023"), (3, "twenty23"), (4, "2024")]})
        >>> car.odd_values()
        [('year', 3, 'twenty23', 'whole numbers')]
        """
        out = []
        for col, cells in self.cells.items():
            vals = [(line, v) for line, v in cells if v]
            for kind, ok in (("whole numbers", _INT.match), ("dates (YYYY-MM-DD)", _is_date)):
                good = sum(1 for _, v in vals if ok(v))
                if good >= 2 and good < len(vals) and good * 3 >= len(vals) * 2:
                    out += [(col, line, v, kind) for line, v in vals if not ok(v)]
                    break
        return out

    def close_columns(self, known: Iterable[str]) -> list[tuple[str, str]]:
        """(column, attribute) for each column that is not one of the ``known`` attributes but
        is spelt close to one (case aside): a typing slip would start a new attribute, and the
        documents would fall under "(not set)" for the one meant (walk 24: ``yeer``). Empty
        when nothing is known, and for a new attribute with a name unlike any known one.

        >>> Sidecar("t.csv", columns=["yeer", "site", "region"]).close_columns(["Year", "site"])
        [('yeer', 'Year')]
        """
        names = {k.casefold(): k for k in known if k}
        out = []
        for col in self.columns:
            if col.casefold() in names:
                continue
            match = difflib.get_close_matches(col.casefold(), list(names), n=1, cutoff=0.75)
            if match:
                out.append((col, names[match[0]]))
        return out

    @staticmethod
    def _keys(filename: str) -> list[str]:
        name = Path(filename).name.casefold()
        return [name, Path(name).stem]

    def for_file(self, filename: str) -> tuple[dict[str, Attribute], dict[str, dict[str, Attribute]]]:
        for k in self._keys(filename):
            if k in self.documents or k in self.speakers:
                self.used.add(k)
                return dict(self.documents.get(k, {})), dict(self.speakers.get(k, {}))
        return {}, {}

    def unused(self) -> list[str]:
        return sorted((set(self.documents) | set(self.speakers)) - self.used)

    def unused_rows(self) -> list[tuple[str, int]]:
        """(file name as the table writes it, its first line) of the rows naming no file read, in
        table order: what a message about them names (walk 10: "1 row(s) of the table name no
        uploaded file" said neither which row nor which name)."""
        return sorted((self.rows.get(k, (k, 0)) for k in self.unused()), key=lambda r: r[1])

    def unmatched(self, candidates: Iterable[str] = ()) -> list["UnmatchedRow"]:
        """The rows naming no file read (see :meth:`unused_rows`), each with the document
        attributes it holds and, among ``candidates`` (the transcripts no row names), the one
        spelt closest to it, if any (walk 26: 'hilcrest_...' for 'hillcrest_...').

        >>> car = Sidecar("t.csv", documents={"hilcrest.vtt": {"year": Attribute("year", "2025", AttrType.INTEGER)}},
        ...               rows={"hilcrest.vtt": ("hilcrest.vtt", 3)})
        >>> car.unmatched(["hillcrest.vtt", "riverside.txt"])
        [UnmatchedRow(written='hilcrest.vtt', line=3, meant='hillcrest.vtt', attributes={'year': '2025'})]
        """
        out = []
        for k in self.unused():
            written, line = self.rows.get(k, (k, 0))
            attrs = {a: str(getattr(v, "value", v)) for a, v in self.documents.get(k, {}).items()}
            out.append(UnmatchedRow(written, line, close_file(written, candidates), attrs))
        return sorted(out, key=lambda r: r.line)

    def unused_message(self, name: str, *, after_import: bool = False, candidates: Iterable[str] = ()) -> str:
        """The rows naming no file read, with the table's name and their lines: one sentence for
        one row; one sentence for several (walk 18: five sentences ran together, one per row),
        and, when no row matches at all, that the table may be for other files. A row spelt
        close to one of the ``candidates`` asks whether that transcript was meant.

        >>> car = Sidecar("t.csv", documents={"a.txt": {}, "b.txt": {}, "c.txt": {}},
        ...               rows={"a.txt": ("A.txt", 2), "b.txt": ("b.txt", 3), "c.txt": ("c.txt", 4)}, used={"c.txt"})
        >>> car.unused_message("t.csv")
        "t.csv: 2 rows match none of the transcripts, so their attributes are not used: line 2 ('A.txt'), line 3 ('b.txt'). Check the spelling of the file names, or add those transcripts too."
        """
        return unmatched_message(name, self.unmatched(candidates), imported={} if after_import else None,
                                 matched_any=bool(self.used))


class UnmatchedRow(NamedTuple):
    """A row of an attributes table that names none of the transcripts."""

    written: str  # the file name as the table writes it
    line: int  # its first line in the table
    meant: str | None = None  # the transcript spelt closest to it (no row names that one), if any
    attributes: dict[str, str] = {}  # the document attributes the row holds


def close_file(written: str, candidates: Iterable[str]) -> str | None:
    """The one of ``candidates`` (file names) spelt closest to ``written``, case aside, compared
    with its extension when ``written`` has one; None when none is close.

    >>> close_file("hilcrest_chw_focusgroup_2025.vtt", ["riverside_dho_2025.txt", "hillcrest_chw_focusgroup_2025.vtt"])
    'hillcrest_chw_focusgroup_2025.vtt'
    >>> close_file("Anna", ["ana.txt"]), close_file("ana.txt", ["ben.txt"])
    ('ana.txt', None)
    """
    by: dict[str, str] = {}
    with_ext = "." in Path(written).name
    for c in candidates:
        n = Path(c).name
        by.setdefault(n.casefold() if with_ext else Path(n).stem.casefold(), c)
    match = difflib.get_close_matches(Path(written).name.casefold(), list(by), n=1, cutoff=0.8)
    return by[match[0]] if match else None


def _pairs(attrs: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in attrs.items())


def row_values_missing(row: UnmatchedRow, typed: dict[str, str]) -> dict[str, str]:
    """The values of ``row`` that the attributes ``typed`` for the transcript it meant lack
    (names compared case aside).

    >>> row_values_missing(UnmatchedRow("a.vtt", 2, "aa.vtt", {"site": "North", "year": "2025"}), {"Site": "North"})
    {'year': '2025'}
    """
    have = {k.casefold(): str(v).strip() for k, v in typed.items()}
    return {k: v for k, v in row.attributes.items() if have.get(k.casefold()) != str(v).strip()}


def _imported_instead(name: str, row: UnmatchedRow, typed: dict[str, str]) -> str:
    """After the import: what the transcript a misspelt row probably meant was stored with (walk
    26: the page said "its attributes are not used ... upload that transcript with the table
    again" of a transcript imported with the same attributes typed in its own box)."""
    text = (f"{name}, line {row.line}: {row.written!r} matched none of the transcripts, so its attributes were not "
            f"used; {row.meant}, the transcript it probably meant, ")
    missing = row_values_missing(row, typed)
    if typed:
        text += f"was imported with the attributes typed in its box ({_pairs(typed)})"
        if row.attributes and not missing:
            return text + ", which hold the row's values too."
        text += "."
    else:
        text += "was imported without attributes."
    if missing:
        it = "it" if len(missing) == 1 else "them"
        text += (f" The row's {_pairs(missing)} {'was' if len(missing) == 1 else 'were'} not stored: to add {it}, "
                 "use the Documents page.")
    return text


def unmatched_message(name: str, rows: list[UnmatchedRow], *, imported: dict[str, dict[str, str]] | None = None,
                      matched_any: bool = True) -> str:
    """What the Import page says of the table's ``rows`` that name no transcript (see
    :meth:`Sidecar.unused_message`): before the import (``imported`` None), or after it, with
    ``imported`` the transcripts imported and the attributes each was stored with. A row whose
    probable transcript was imported says what that transcript got instead of asking to upload
    it again.

    >>> row = UnmatchedRow("hilcrest.vtt", 3, "hillcrest.vtt", {"site": "Hillcrest"})
    >>> unmatched_message("t.csv", [row])
    "t.csv, line 3: 'hilcrest.vtt' matches none of the transcripts; its attributes are not used. Did you mean 'hillcrest.vtt'? If so, correct the name in the table and upload the table again; if not, add that transcript too."
    >>> unmatched_message("t.csv", [row], imported={"hillcrest.vtt": {"site": "Hillcrest", "year": "2025"}})
    "t.csv, line 3: 'hilcrest.vtt' matched none of the transcripts, so its attributes were not used; hillcrest.vtt, the transcript it probably meant, was imported with the attributes typed in its box (site=Hillcrest, year=2025), which hold the row's values too."
    """
    after = imported is not None
    said = [_imported_instead(name, r, imported[r.meant]) for r in rows
            if after and r.meant is not None and r.meant in imported]
    rest = [r for r in rows if not (after and r.meant is not None and r.meant in imported)]
    if not rest:
        return " ".join(said)
    # said again with the import's result, when the table has been cleared (walk 19: "add
    # those transcripts too" sent the coder to upload them alone, and they came in bare)
    later = "The table is cleared after each import: to use {it}, upload {that} with the table again."
    if len(rest) == 1:
        (written, line, meant, _a), = rest
        text = f"{name}, line {line}: {written!r} matches none of the transcripts; its attributes are not used. "
        if after:
            text += later.format(it="its row", that="that transcript")
        elif meant:
            text += (f"Did you mean {meant!r}? If so, correct the name in the table and upload the table again; "
                     "if not, add that transcript too.")
        else:
            text += "Check the spelling of the file name, or add that transcript too."
        return " ".join([*said, text])

    def one(r: UnmatchedRow) -> str:
        return f"line {r.line} ({r.written!r}" + (f", did you mean {r.meant!r}?" if r.meant and not after else "") + ")"

    listed = ", ".join(one(r) for r in rest[:8])
    more = f" and {len(rest) - 8} more" if len(rest) > 8 else ""
    text = (f"{name}: {len(rest)} rows match none of the transcripts, so their attributes are not used: "
            f"{listed}{more}.")
    if after:
        text += " " + later.format(it="those rows", that="those transcripts")
    elif not matched_any:
        text += (" No row matches any transcript chosen: if the table is for other files, remove it (the × beside "
                 "its name, under Attributes table).")
    else:
        text += " Check the spelling of the file names, or add those transcripts too."
    return " ".join([*said, text])


def _check_widths(numbered: list[tuple[int, list[str]]], header: list[str], file: str) -> None:
    """Refuse a ragged table: a row with fewer values than the header has columns, or more
    (a comma inside an unquoted value), would give its file partial or shifted attributes
    (walk 24: silently). Empty cells at a row's end hold nothing and are no error; nor is a
    header's trailing comma.

    >>> _check_widths([(1, ["file", "year", "site"]), (2, ["ana", "2021"]), (3, ["ben", "2022", "North", ""])],
    ...               ["file", "year", "site"], "t.csv")
    Traceback (most recent call last):
    qualcode.errors.IngestError: t.csv, line 2: 2 values for 3 columns (file, year, site). Correct the line, then import again.
    """
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    bad = []
    for number, r in numbered[1:]:
        cells = len(r)
        while cells > width and not r[cells - 1].strip():
            cells -= 1
        if cells != width:
            bad.append((number, cells))
    if not bad:
        return
    columns = f"{width} column{'s' * (width != 1)} ({', '.join(header[:width])})"
    if len(bad) == 1:
        (number, cells), = bad
        raise IngestError(f"{cells} value{'s' * (cells != 1)} for {columns}", file=file, line=number,
                          hint="correct the line, then import again",
                          app_hint="correct the line and upload the table again")
    listed = ", ".join(f"line {n} has {c}" for n, c in bad[:8]) + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
    raise IngestError(f"{len(bad)} lines do not have one value for each of the {columns}: {listed}", file=file,
                      hint="correct those lines, then import again",
                      app_hint="correct those lines and upload the table again")


def load_sidecar(path: str | Path) -> Sidecar:
    """Read an attributes CSV keyed by file name (see the module docstring)."""
    from qualcode.ingest.encoding import decode_bytes

    p = Path(path)
    if not p.exists():
        raise IngestError("attributes file not found", file=str(p), hint="check the path given to --attributes")
    text = decode_bytes(p.read_bytes(), file=str(p))
    # blank lines keep their numbers; a quote that runs on is refused where it opens
    numbered = [(last, r) for _first, last, r in
                csv_rows(text, csv_dialect(text.split("\n", 1)[0], delimiters=",;\t"), file=str(p),
                         app_hint="close the quote at the end of that cell (or remove it), then upload the "
                                  "table again")]
    rows = [r for _, r in numbered]
    header = [h.strip().lower() for h in rows[0]] if rows else []
    fcol = next((header.index(c) for c in FILE_COLUMNS if c in header), None)
    if fcol is None:
        columns = ", ".join(h for h in header if h)
        raise IngestError(f"no file column (the columns are: {columns})" if columns else "the table is empty",
                          file=str(p), line=1,
                          hint="add a column named 'file' or 'document' holding each transcript's file name "
                               f"({', '.join(FILE_COLUMNS[1:3] + FILE_COLUMNS[4:])} are read too)",
                          app_hint="add a column named file or document that holds each transcript's file name "
                                   "(for example ana.txt or ana), then upload the table again")
    _check_widths(numbered, header, str(p))
    scol = header.index("speaker") if "speaker" in header else None
    attr_cols = [i for i in range(len(header)) if i not in (fcol, scol) and header[i]]
    types = {i: infer_type(r[i] for r in rows[1:] if i < len(r)) for i in attr_cols}
    car = Sidecar(str(p), columns=[header[i] for i in attr_cols])
    for number, r in numbered[1:]:
        fname = r[fcol].strip() if fcol < len(r) else ""
        if not fname:
            raise IngestError("a row without a file name", file=str(p), line=number,
                              hint=f"fill in the {header[fcol]} column",
                              app_hint=f"fill in the {header[fcol]} column, then upload the table again")
        attrs = {header[i]: Attribute(header[i], r[i].strip(), types[i]) for i in attr_cols
                 if i < len(r) and r[i].strip()}
        for k, a in attrs.items():
            car.cells.setdefault(k, []).append((number, a.value))
        key = Sidecar._keys(fname)[0] if "." in Path(fname).name else Path(fname).name.casefold()
        car.rows.setdefault(key, (fname, number))
        speaker = r[scol].strip() if scol is not None and scol < len(r) else ""
        if speaker:
            car.speakers.setdefault(key, {}).setdefault(speaker, {}).update(attrs)
        else:
            car.documents.setdefault(key, {}).update(attrs)
    return car
