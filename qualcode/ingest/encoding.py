"""Bytes to normalised text: encoding detection, NFC, one kind of line ending.

Order of trust: a byte-order mark (UTF-8, UTF-16, UTF-32); strict UTF-8; UTF-16 without a
BOM (every other byte zero, as some Windows tools write it); then cp1252, the encoding of
Word-era Windows text, whose undefined bytes fall back to latin-1. NUL bytes or many control
characters mean a binary file, which is refused rather than imported as garbage.

>>> normalise_text("Cafe\\u0301\\r\\nok\\rdone")
'Café\\nok\\ndone'
"""

from __future__ import annotations

import codecs
import unicodedata

from qualcode.errors import IngestError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}


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
    return _utf16_without_bom(data) or "cp1252"


def _latin1_fallback(err: UnicodeDecodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes undefined; read those as latin-1 instead of failing.
    bad = err.object[err.start:err.end]
    return "".join(chr(b) for b in bad), err.end


codecs.register_error("qualcode-latin1", _latin1_fallback)


def _cp1252(data: bytes) -> str:
    return data.decode("cp1252", errors="qualcode-latin1")


def decode_bytes(data: bytes, *, file: str | None = None) -> str:
    """Decode a text file's bytes and normalise them; refuse empty or binary content.

    >>> decode_bytes("Q: hi".encode("utf-16"))
    'Q: hi'
    """
    if not data.strip():
        raise empty_file(file)
    enc = detect_encoding(data)
    if enc.startswith(("utf-16", "utf-32")):
        bom_free = data
        for bom, _name in _BOMS:
            if data.startswith(bom):
                bom_free = data[len(bom):]
                break
        text = bom_free.decode(enc.replace("-sig", ""), errors="replace")
    elif enc == "utf-8-sig":
        # A BOM says UTF-8, but the bytes after it may still be damaged: replace what does not
        # decode (U+FFFD) and let the binary check below refuse a file that is mostly damage.
        text = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    elif enc == "utf-8":
        text = data.decode("utf-8")
    else:
        if b"\x00" in data:
            raise _binary(file)
        text = _cp1252(data)
    if "\x00" in text:
        raise _binary(file)
    sample = text[:20000]
    bad = sum(1 for ch in sample if (unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS)
              or ch == "\ufffd")
    if sample and bad / len(sample) > 0.01:
        raise _binary(file)
    text = normalise_text(text)
    if not text.strip():
        raise empty_file(file)
    return text


def empty_file(file: str | None) -> IngestError:
    """The error for a file with nothing but whitespace in it."""
    return IngestError("the file is empty", file=file, line=1,
                       hint="check that you picked the right file; an empty transcript has nothing to import")


def _binary(file: str | None) -> IngestError:
    return IngestError(
        "this is not a text transcript (binary or unreadable content)", file=file, line=1,
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
