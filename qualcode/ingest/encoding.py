"""Bytes to normalised text: encoding detection, NFC, one kind of line ending.

Order of trust: a byte-order mark (UTF-8, UTF-16, UTF-32); strict UTF-8; UTF-16 without a
BOM (every other byte zero, as some Windows tools write it); UTF-8 with a few damaged bytes
(more valid UTF-8 characters than bad bytes); cp1252, the encoding of Word-era Windows text,
when every byte reads as cp1252; else UTF-8 again. Bytes that do not decode are replaced by
U+FFFD and :func:`decode_text` names the lines where that happened (a warning, not a
refusal). NUL bytes, many control characters or over a fifth of the characters replaced mean
a binary file, which is refused (at the NUL's line, else for the whole file) rather than
imported as garbage.

>>> normalise_text("Cafe\\u0301\\r\\nok\\rdone")
'Café\\nok\\ndone'
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field

from qualcode.errors import IngestError, Problem

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")  # bytes no cp1252 text has
_MAX_REPLACED = 0.2  # a file with more of its characters replaced than this is not text
# What a file of another kind begins with, to name it (walk 45: a photo renamed .txt was "line 3:
# this is not a text transcript", a line of an image)
_KINDS = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF", "a PDF"), (b"PK\x03\x04", "a zipped file (a Word .docx, an Excel .xlsx or a .zip)"),
          (b"\xd0\xcf\x11\xe0", "an old Word or Excel file (.doc or .xls)"), (b"{\\rtf", "an RTF document"))
# Byte-order marks inside a file read as cp1252 ("\xff\xfe" reads as "ÿþ"): never prose, always
# a stray mark (files joined together, a UTF-16 fragment); replaced and named like bad bytes (walk 30)
_STRAY_MARKS = re.compile("\u00ff\u00fe|\u00fe\u00ff|\u00ef\u00bb\u00bf")


def normalise_text(text: str) -> str:
    """NFC, ``\\n`` line endings, no BOM, no NULs; what every offset counts into."""
    text = text.lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.replace("\x00", "")
    return unicodedata.normalize("NFC", text)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_zero = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_zero = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd_zero > 0.4 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.4 and odd_zero < 0.05:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> str:
    """The encoding name used by :func:`decode_bytes` (for reports and tests)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name + ("-sig" if name == "utf-8" else "")
    if b"\x00" in data[:4000]:  # NULs are valid UTF-8, but in text they mean UTF-16
        guess = _utf16_without_bom(data)
        if guess:
            return guess
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    guess = _utf16_without_bom(data)
    if guess:
        return guess
    if _mostly_utf8(data) or _CP1252_UNDEFINED.search(data):
        return "utf-8"  # with its bad bytes replaced: neither strict UTF-8 nor cp1252 reads it
    return "cp1252"


def _mostly_utf8(data: bytes) -> bool:
    """Whether ``data`` (not strict UTF-8) has more valid non-ASCII UTF-8 characters than
    bad bytes: UTF-8 with a little damage, not cp1252 (whose accents are bad UTF-8 bytes)."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    ascii_bytes = len(data) - len(data.translate(None, bytes(range(128))))
    good = len(text) - ascii_bytes - text.count("\ufffd")
    return good > bad


def _decode(data: bytes, encoding: str) -> tuple[str, bool]:
    """``data`` decoded; True when bytes that do not decode were replaced by U+FFFD."""
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace"), True


@dataclass
class Decoded:
    """A text file's normalised text, and the lines (1-based) where bytes that do not decode
    were replaced by U+FFFD (empty when none were)."""

    text: str
    encoding: str
    replaced_lines: list[int] = field(default_factory=list)

    def warning(self, file: str | None = None) -> Problem | None:
        """The warning for the replaced bytes, at the first line they were on; None when none were."""
        if not self.replaced_lines:
            return None
        first, rest = self.replaced_lines[0], self.replaced_lines[1:]
        also = ""
        if rest:
            shown = [str(n) for n in rest[:9]]
            more = f" and {len(rest) - 9} more" if len(rest) > 9 else ""
            also = f" (also on line{'s' if len(rest) > 1 else ''} {', '.join(shown)}{more})"
        return Problem(f"some bytes are not valid text and were replaced by \ufffd{also}; if the text there "
                       "looks wrong, save the file again as UTF-8 (in Notepad or Word: Save As, encoding UTF-8) "
                       "and import it again", file=file, line=first, severity="warning")


def decode_bytes(data: bytes, *, file: str | None = None) -> str:
    """Decode a text file's bytes and normalise them; refuse empty or binary content.

    Bytes that do not decode are replaced by U+FFFD; :func:`decode_text` says where.

    >>> decode_bytes("Q: hi".encode("utf-16"))
    'Q: hi'
    """
    return decode_text(data, file=file).text


def decode_text(data: bytes, *, file: str | None = None) -> Decoded:
    """:func:`decode_bytes`, with the lines where bytes were replaced (for a warning).

    >>> d = decode_text(b"Ana: fine.\\nBo: caf\\xe9 \\x81 ok.", file="a.txt")
    >>> d.text, d.replaced_lines
    ('Ana: fine.\\nBo: caf\ufffd \ufffd ok.', [2])
    >>> d = decode_text(b"Zo\\xe9: tr\\xe8s bien.\\n\\nZo\\xe9: The bus \\xff\\xfe was late.", file="b.txt")
    >>> d.encoding, d.text, d.replaced_lines
    ('cp1252', 'Zoé: très bien.\\n\\nZoé: The bus \ufffd was late.', [3])
    """
    if not data.strip():
        raise empty_file(file)
    kind = next((name for magic, name in _KINDS if data.startswith(magic)), None)
    if kind is not None:
        raise _binary(file, kind=kind)
    enc = detect_encoding(data)
    if enc.startswith(("utf-16", "utf-32")):
        bom_free = data
        for bom, _name in _BOMS:
            if data.startswith(bom):
                bom_free = data[len(bom):]
                break
        text, replaced = _decode(bom_free, enc)
    elif enc == "utf-8-sig":
        # A BOM says UTF-8, but the bytes after it may still be damaged: replace what does not
        # decode (U+FFFD) and let the binary check below refuse a file that is mostly damage.
        text, replaced = _decode(data[len(codecs.BOM_UTF8):], "utf-8")
    elif enc == "utf-8":  # strict UTF-8, or UTF-8 with a few damaged bytes (see detect_encoding)
        text, replaced = _decode(data, "utf-8")
    else:
        text = data.decode("cp1252")  # detect_encoding checked that every byte reads
        text, n = _STRAY_MARKS.subn("\ufffd", text)
        replaced = n > 0
    if "\x00" in text:
        raise _binary(file, line=normalise_text(text[:text.index("\x00")]).count("\n") + 1)
    sample = text[:20000]
    if sample:
        controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS)
        if controls / len(sample) > 0.01 or sample.count("\ufffd") / len(sample) > _MAX_REPLACED:
            raise _binary(file)  # the whole file, not one line
    text = normalise_text(text)
    if not text.strip():
        raise empty_file(file)
    return Decoded(text, enc, _lines_with(text, "\ufffd") if replaced else [])


def _lines_with(text: str, char: str) -> list[int]:
    """The lines (1-based) of ``text`` that hold ``char``, in order."""
    lines: list[int] = []
    line, pos = 1, 0
    for m in re.finditer(re.escape(char), text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def empty_file(file: str | None) -> IngestError:
    """The error for a file with nothing but whitespace in it."""
    return IngestError("the file is empty", file=file, line=1,
                       hint="check that you picked the right file; an empty transcript has nothing to import")


def _binary(file: str | None, *, line: int | None = None, kind: str | None = None) -> IngestError:
    """The refusal of binary content: at the line of a NUL byte, or no line for the whole file
    (``kind``: what its first bytes say it is).

    >>> decode_text(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR", file="notes.txt")
    Traceback (most recent call last):
    ...
    qualcode.errors.IngestError: notes.txt: this is a PNG image, not a text transcript. Export the transcript as .txt, .docx, .vtt, .srt, .csv, .xlsx or a text PDF, then import that.
    """
    return IngestError(
        f"this is {kind}, not a text transcript" if kind else "this is not a text transcript (binary or "
        "unreadable content)", file=file, line=line,
        hint="export the transcript as .txt, .docx, .vtt, .srt, .csv, .xlsx or a text PDF, then import that",
    )


def csv_dialect(header: str, *, delimiters: str = ",;\t|", default: str = ",") -> type:
    """The CSV dialect of a sheet whose first line is ``header``: the delimiter is sniffed
    from it, everything else is what every spreadsheet writes (``"`` quotes, a quote inside
    a quoted cell written twice). Sniffing the quoting from an unquoted header line turned
    ``"She said ""no"" then"`` into ``She said "no"`` and lost the rest of the cell.

    >>> import csv, io
    >>> next(csv.reader(io.StringIO('a;"say ""no"" twice"'), csv_dialect("speaker;text")))
    ['a', 'say "no" twice']
    """
    import csv

    try:
        sniffed = csv.Sniffer().sniff(header, delimiters=delimiters).delimiter
    except csv.Error:
        sniffed = default

    class Sheet(csv.excel):
        delimiter = sniffed

    return Sheet


def line_list(numbers: list[int], most: int = 5) -> str:
    """``"line 5"``, ``"lines 5, 9"``, ``"lines 1, 2, 3, 4, 5 and 3 more"``.

    >>> line_list([5]), line_list([5, 9]), line_list(list(range(1, 9)))
    ('line 5', 'lines 5, 9', 'lines 1, 2, 3, 4, 5 and 3 more')
    """
    if len(numbers) == 1:
        return f"line {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:most])
    return f"lines {shown}" + (f" and {len(numbers) - most} more" if len(numbers) > most else "")


def _unclosed_quote(text: str, dialect: type,
                    rows: list[tuple[int, int, list[str]]]) -> tuple[int, int, bool] | None:
    """Where a quoted cell opens and never closes where it should: (first, last line) of the row
    it swallowed the following lines into, and whether it ran to the end of the file; or None.

    Read leniently (as spreadsheets write and people type), a cell whose opening quote is never
    closed takes every later line into itself, and its rows vanish without an error (walk 27).
    Read strictly, the file then fails: at its end ("unexpected end of data") or at the quote
    that closed the run too late. Only a failure inside a row that spans several lines counts;
    a stray quote within one line reads as it always did.
    """
    import csv
    import io

    class Strict(dialect):
        strict = True

    reader = csv.reader(io.StringIO(text), Strict)
    try:
        for _row in reader:
            pass
        return None
    except csv.Error as exc:
        failed, at_end = reader.line_num, "end of data" in str(exc)
    for n, (first, last, _cells) in enumerate(rows):
        # also the last row, on one line, whose quote runs to the end of the file (walk 45: read
        # as "line 5 has 2 values", the quote unsaid)
        if first <= failed <= last and (last > first or (at_end and n == len(rows) - 1)):
            return first, last, at_end
    return None


def csv_rows(text: str, dialect: type, *, file: str | None,
             app_hint: str | None = None) -> list[tuple[int, int, list[str]]]:
    """The rows of a CSV that hold anything, each with the lines it starts and ends on.

    Read as spreadsheets write and people type (a stray quote inside a cell is kept), but a
    quote that opens a cell and is never closed (or closed rows too late) is refused, naming
    the line where it opens: read leniently it swallowed the rows after it into one cell
    (walk 27 for transcripts; the same held for attributes tables and surveys).

    >>> csv_rows('a,b\\n\\n1,"two\\nlines"\\n', csv_dialect("a,b"), file="t.csv")
    [(1, 1, ['a', 'b']), (3, 4, ['1', 'two\\nlines'])]
    >>> csv_rows('a,b\\n1,"open\\n2,x\\n', csv_dialect("a,b"), file="t.csv")
    Traceback (most recent call last):
    ...
    qualcode.errors.IngestError: t.csv, line 2: a quote (") opens a cell here and is never closed, so line 3 would be read as part of this cell, not as a row of its own. Close the quote at the end of that cell (or remove it), then import the file again.
    >>> csv_rows('a,b\\n1,x\\n2,"open, y\\n', csv_dialect("a,b"), file="t.csv")
    Traceback (most recent call last):
    ...
    qualcode.errors.IngestError: t.csv, line 3: a quote (") opens a cell here and is never closed, so the rest of the line would be read as one cell. Close the quote at the end of that cell (or remove it), then import the file again.
    """
    import csv
    import io

    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[tuple[int, int, list[str]]] = []
    try:
        previous = 0
        for row in reader:
            if any(c.strip() for c in row):
                rows.append((previous + 1, reader.line_num, row))
            previous = reader.line_num
    except csv.Error as exc:
        raise IngestError(f"broken CSV: {exc}", file=file, line=reader.line_num,
                          hint="check the quoting around that line, or save the sheet again as CSV") from None
    # a second, strict read only where a quote can have run on (a cell spanning lines has one too;
    # one opened on the last line runs to the end of the file on that line)
    run = _unclosed_quote(text, dialect, rows) if '"' in text else None
    if run is not None:
        first, last, at_end = run
        closed = "is never closed" if at_end else f"is not closed until line {last}"
        if last == first:
            what = "the rest of the line would be read as one cell"
        else:
            swallowed = line_list(list(range(first + 1, last + 1)), most=3)
            rows_of = "a row of its own" if last == first + 1 else "rows of their own"
            what = f"{swallowed} would be read as part of this cell, not as {rows_of}"
        raise IngestError(f"a quote (\") opens a cell here and {closed}, so {what}", file=file, line=first,
                          hint="close the quote at the end of that cell (or remove it), then import the "
                          "file again", app_hint=app_hint)
    return rows
