"""Spreadsheet transcripts (.csv, .tsv, .xlsx): one turn per row.

Columns are found by their usual names (speaker / text, utterance, transcript / time,
timestamp, start) or named explicitly (``speaker_column=``, ``text_column=``,
``time_column=``). A ``role`` column with interviewer/participant values sets roles. A
table with a ``file`` column and no text column is an attributes sidecar, not a
transcript: :class:`SidecarFile` says so.

>>> raw = read_csv("speaker,utterance\\nInterviewer,Why?\\nAna,Trust.\\n")
>>> [(t.speaker, t.text, t.line) for t in raw.turns]
[('Interviewer', 'Why?', 2), ('Ana', 'Trust.', 3)]
"""

from __future__ import annotations

import io
import re
from typing import Any, Iterable, Sequence

from qualcode.core import Role
from qualcode.errors import IngestError
from qualcode.safezip import check_archive
from qualcode.ingest.attributes import FILE_COLUMNS
from qualcode.ingest.encoding import csv_dialect, csv_rows, line_list, normalise_text
from qualcode.ingest.model import RawTranscript, RawTurn
from qualcode.ingest.speakers import parse_timestamp
from qualcode.ingest.text import UNKNOWN_SPEAKER

SPEAKER_NAMES = ("speaker", "speaker_name", "speaker_label", "name", "who", "participant", "person", "voice")
TEXT_NAMES = ("text", "utterance", "transcript", "transcription", "content", "speech", "dialogue", "dialog",
              "message", "line", "sentence", "comment", "response", "words", "caption")
TIME_NAMES = ("timestamp", "time", "start", "start_time", "starttime", "begin", "start_ms", "time_start", "in")
END_NAMES = ("end", "end_time", "endtime", "stop", "end_ms", "time_end", "out")


class SidecarFile(IngestError):
    """The table is an attributes sidecar (file, attribute columns), not a transcript."""


def _norm(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower().lstrip("\ufeff"))


def _find(header: list[str], wanted: str | None, names: Sequence[str], *, file: str | None,
          option: str) -> int | None:
    if wanted:
        w = _norm(wanted)
        if w in header:
            return header.index(w)
        raise IngestError(f"no column named {wanted!r} (columns: {', '.join(header)})", file=file, line=1,
                          hint=f"pass one of the existing column names to {option}")
    for n in names:
        if n in header:
            return header.index(n)
    return None


def _ms(value: Any, *, in_ms: bool) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    if hasattr(value, "hour") and hasattr(value, "minute"):  # datetime.time from Excel
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + getattr(value, "microsecond", 0) // 1000
    if isinstance(value, (int, float)):
        return int(value) if in_ms else int(round(float(value) * 1000))
    text = str(value).strip().strip("[]()")
    ms = parse_timestamp(text)
    if ms is not None:
        return ms
    try:
        return int(float(text)) if in_ms else int(round(float(text) * 1000))
    except ValueError:
        return None


def rows_to_transcript(rows: Iterable[tuple[int, list[Any]]], *, file: str | None = None,
                       speaker_column: str | None = None, text_column: str | None = None,
                       time_column: str | None = None, delimiter: str | None = None) -> RawTranscript:
    """Turns from (line number, cells) rows whose first row is the header.

    ``delimiter`` (a CSV's): a row with more filled cells than the header has columns, where the
    text is the last column, keeps the extra cells as part of the text (walk 27: "Pat,I liked
    it,extra,column" kept "I liked it" only, without a word), with a warning naming the lines.
    """
    it = iter(rows)
    try:
        _n, first = next(it)
    except StopIteration:
        raise IngestError("the file is empty", file=file, line=1, hint="check that you picked the right file") from None
    header = [_norm(c) for c in first]
    ti = _find(header, text_column, TEXT_NAMES, file=file, option="--text-column")
    if ti is None:
        if any(n in header for n in FILE_COLUMNS):
            raise SidecarFile("this table has a file column and no text column: it looks like an attributes "
                              "file, not a transcript", file=file, line=1,
                              hint="pass it with --attributes FILE instead")
        raise IngestError(f"no text column found (columns: {', '.join(h or '?' for h in header)})", file=file,
                          line=1, hint="name the column that holds the speech with --text-column NAME; a survey "
                          "(one row per respondent) imports with: qualcode ingest-survey FILE",
                          app_hint="a transcript table needs a column of what was said (named text, "
                          "utterance or similar). If this is a survey, one row per respondent, choose "
                          "Survey spreadsheet at the top of this page")
    si = _find(header, speaker_column, SPEAKER_NAMES, file=file, option="--speaker-column")
    mi = _find(header, time_column, TIME_NAMES, file=file, option="--time-column")
    ei = _find(header, None, END_NAMES, file=file, option="")
    ri = header.index("role") if "role" in header else None
    raw = RawTranscript()

    def cell(row: list[Any], i: int | None) -> Any:
        return row[i] if i is not None and i < len(row) else None

    over: list[int] = []
    for number, row in it:
        text = cell(row, ti)
        if len(row) > len(header) and any(str(c).strip() for c in row[len(header):] if c is not None):
            over.append(number)
            if delimiter is not None and ti == len(header) - 1:
                text = delimiter.join("" if c is None else str(c) for c in row[ti:])
        text = "" if text is None else re.sub(r"\s*\n\s*", " ", str(text)).strip()
        if not text:
            continue
        speaker = cell(row, si)
        speaker = str(speaker).strip() if speaker is not None and str(speaker).strip() else None
        start_raw = cell(row, mi)
        start = _ms(start_raw, in_ms=mi is not None and header[mi].endswith("_ms"))
        if start_raw not in (None, "") and start is None:
            raw.warn(f"time {start_raw!r} not understood; left empty", file=file, line=number)
        end = _ms(cell(row, ei), in_ms=ei is not None and header[ei].endswith("_ms"))
        raw.turns.append(RawTurn(speaker or UNKNOWN_SPEAKER, text, start_ms=start, end_ms=end, line=number,
                                 labelled=speaker is not None))
        role = str(cell(row, ri) or "").strip().lower()
        if speaker and role in {r.value for r in Role}:
            raw.roles.setdefault(speaker, role)
    if over:
        also = f" (also {line_list(over[1:])})" if len(over) > 1 else ""
        if delimiter is not None and ti == len(header) - 1:
            raw.warn(f"more cells than the header has columns{also}: a {_said(delimiter)} in the text, with "
                     "no quotes around it; the extra cells are kept as part of the text. Check the text in "
                     "the preview", file=file, line=over[0])
        else:
            raw.warn(f"more cells than the header has columns{also}; the extra cells are left out. Put "
                     "quotes around text that holds the separator, or save the sheet again as CSV, and "
                     "import the file again", file=file, line=over[0])
    if not raw.turns:
        raise IngestError("the table has a header but no rows with text", file=file, line=2,
                          hint="check that the text column is filled")
    if si is None:
        for t in raw.turns:
            t.labelled = False
        raw.roles[UNKNOWN_SPEAKER] = "unknown"
        # in words for the app and the command line alike (walk 16: the app's preview said "--speaker-column")
        raw.warn("no speaker column found: every row is an unknown speaker (head the column of speaker names "
                 "\"speaker\" and import the file again)", file=file, line=1)
    elif any(not t.labelled for t in raw.turns):
        raw.roles[UNKNOWN_SPEAKER] = "unknown"
        first = next(t.line for t in raw.turns if not t.labelled)
        raw.warn("rows without a speaker are attributed to an unknown speaker", file=file, line=first)
        for t in raw.turns:
            t.labelled = True
    return raw


def _said(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(delimiter, repr(delimiter))


def read_csv(text: str, *, file: str | None = None, **columns: str | None) -> RawTranscript:
    """A CSV/TSV transcript (already decoded); the delimiter is sniffed.

    A quote opened and never closed is refused, naming its line (read leniently, it swallowed
    the rows after it into one cell); a row with more cells than the header, see
    ``rows_to_transcript``.
    """
    dialect = csv_dialect(text[:5000].split("\n", 1)[0])
    rows = csv_rows(text, dialect, file=file)
    return rows_to_transcript(((last, cells) for _first, last, cells in rows), file=file,
                              delimiter=dialect.delimiter, **columns)


def _cell(value: Any) -> Any:
    # Same text as the .csv of the same sheet: NFC and one kind of line ending.
    return normalise_text(value) if isinstance(value, str) else value


def read_xlsx(data: bytes, *, file: str | None = None, sheet: str | None = None, **columns: str | None) -> RawTranscript:
    """An Excel transcript: the first sheet (or ``sheet``), one turn per row.

    The archive is checked against the ``max_unzipped_mb`` cap first; a damaged workbook
    (bad sheet XML, a DTD, odd cell references, no worksheet) is one clean IngestError.
    """
    import openpyxl

    check_archive(data, file=file)
    damaged = IngestError("not a readable Excel .xlsx file (it may be damaged or another format)", file=file,
                          line=None, hint="open it in Excel and save it again as .xlsx, or export it as CSV")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise damaged from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise IngestError(f"no sheet named {sheet!r} (sheets: {', '.join(wb.sheetnames)})", file=file,
                              hint="pass one of the sheet names")
        if not sheet and not wb.worksheets:
            raise IngestError("the workbook has no worksheet", file=file,
                              hint="open it in Excel and check that it holds the transcript sheet")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = [(i, [_cell(c) for c in r]) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)
                if any(c is not None and str(c).strip() for c in r)]
    except IngestError:
        raise
    except Exception:  # openpyxl raises ParseError, ValueError, IndexError, KeyError... on damaged sheets
        raise damaged from None
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001 - closing a damaged archive must not hide the real error
            pass
    return rows_to_transcript(rows, file=file, **columns)
