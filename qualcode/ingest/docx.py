"""Word transcripts (.docx, python-docx): paragraphs and transcription-service tables.

Speaker labels are found as in plain text (``Name: text``, ``[00:01] Name: text``, tab
separated) and also as a bold run at the start of a paragraph (**Maria** I think...).
Two- or three-column tables (time, speaker, text) become one turn per row. Line numbers
in problems count paragraphs and table rows in document order.
"""

from __future__ import annotations

import io

from qualcode.errors import IngestError
from qualcode.safezip import check_archive
from qualcode.ingest.encoding import normalise_text
from qualcode.ingest.model import RawTranscript
from qualcode.ingest.speakers import LabelMatch, parse_timestamp, plausible_label
from qualcode.ingest.text import Line, parse_lines


def _bold(run) -> bool:
    if run.bold:
        return True
    style = getattr(run, "style", None)
    return bool(style is not None and style.font is not None and style.font.bold and run.bold is not False)


def _paragraph_lines(par, number: int) -> list[Line]:
    text = normalise_text(par.text)
    if not text.strip():
        return [Line("", number)]
    lead = []
    for run in par.runs:
        if not run.text:
            continue
        if _bold(run):
            lead.append(run.text)
            continue
        break
    label_text = normalise_text("".join(lead))
    pieces = text.split("\n")
    lines = [Line(p, number) for p in pieces]
    if label_text.strip() and text.startswith(label_text):
        candidate = label_text.strip().rstrip(":").strip()
        rest = text[len(label_text):]
        # The colon may sit outside the bold run: "**Maria**: text".
        if rest.lstrip().startswith(":"):
            rest = rest.lstrip()[1:]
        ts = None
        if candidate.endswith(")") and "(" in candidate:
            ts = parse_timestamp(candidate[candidate.rindex("(") + 1:-1])
            if ts is not None:
                candidate = candidate[: candidate.rindex("(")].strip()
        if plausible_label(candidate):
            rest_lines = rest.strip(" \t").split("\n")
            # Otter's .docx: "**Name**  00:13" with the speech in the next paragraph.
            stamp = parse_timestamp(rest_lines[0]) if rest_lines[0].strip() else None
            if stamp is not None and ts is None:
                ts, rest_lines[0] = stamp, ""
            lines = [Line(rest_lines[0].strip(), number, LabelMatch(candidate, rest_lines[0].strip(), ts))]
            lines += [Line(p, number) for p in rest_lines[1:]]
    lines[-1].break_after = True
    return lines


def _table_lines(table, start_number: int) -> list[Line]:
    rows = []
    for row in table.rows:
        cells = []
        prev = None
        for cell in row.cells:
            if prev is not None and cell._tc is prev:  # merged cell repeated
                continue
            prev = cell._tc
            cells.append(normalise_text(cell.text).strip())
        rows.append(cells)
    width = max((len(r) for r in rows), default=0)
    if width not in (2, 3, 4) or not rows:
        return [Line(c, start_number + i, break_after=True) for i, r in enumerate(rows) for c in r if c]
    header = [c.lower() for c in rows[0]]
    known = {"time", "timestamp", "start", "speaker", "name", "text", "transcript", "utterance", "speech"}
    if sum(h in known for h in header) >= 2:
        rows = rows[1:]
        start_number += 1
    cols = list(range(width))
    time_col = next((i for i in cols if sum(parse_timestamp(r[i].strip("[]()")) is not None
                                            for r in rows if i < len(r) and r[i]) > len(rows) / 2), None)
    rest = [i for i in cols if i != time_col]
    avg = {i: sum(len(r[i]) for r in rows if i < len(r)) / max(1, len(rows)) for i in rest}
    text_col = max(rest, key=lambda i: avg[i])
    speaker_col = next((i for i in rest if i != text_col), None)
    lines: list[Line] = []
    for k, r in enumerate(rows):
        get = lambda i: r[i] if i is not None and i < len(r) else ""  # noqa: E731
        text = get(text_col)
        speaker = get(speaker_col).rstrip(":").strip()
        ms = parse_timestamp(get(time_col).strip("[]()")) if time_col is not None else None
        number = start_number + k
        if speaker and plausible_label(speaker):
            parts = text.split("\n")
            lines.append(Line(parts[0], number, LabelMatch(speaker, parts[0].strip(), ms)))
            lines += [Line(p, number) for p in parts[1:]]
        else:
            lines += [Line(p, number) for p in (text.split("\n") if text else [])]
        if lines:
            lines[-1].break_after = True
    return lines


def read_docx(data: bytes, *, file: str | None = None) -> RawTranscript:
    """A .docx transcript (bytes of the file)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_archive(data, file=file)  # a zip bomb stops at max_unzipped_mb before python-docx unzips it
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        children = list(body.iterchildren())
    except Exception:
        raise IngestError("not a readable Word .docx file (it is damaged, or another format renamed .docx)",
                          file=file, hint="open it in Word and save it again as .docx, or save it as .txt") from None
    lines: list[Line] = []
    number = 0
    for child in children:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            number += 1
            lines += _paragraph_lines(Paragraph(child, document), number)
        elif tag == "tbl":
            table = Table(child, document)
            lines += _table_lines(table, number + 1)
            number += len(table.rows)
    if not any(ln.text.strip() or ln.label for ln in lines):
        raise IngestError("the Word file has no text", file=file, line=1,
                          hint="check that you picked the right file; text in images or text boxes is not read")
    return parse_lines(lines, file=file)
