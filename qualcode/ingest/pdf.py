"""PDF transcripts with a text layer (pdfplumber). Scanned PDFs are refused.

Page numbers and "Page N of M" lines are dropped; every other line goes through the
plain-text label patterns. Line numbers in problems count lines across pages.
"""

from __future__ import annotations

import io
import re

from qualcode.errors import IngestError
from qualcode.ingest.encoding import normalise_text
from qualcode.ingest.model import RawTranscript
from qualcode.ingest.text import parse_lines

_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.I)


def read_pdf(data: bytes, *, file: str | None = None) -> RawTranscript:
    """A PDF transcript (bytes of the file)."""
    import pdfplumber

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [page.extract_text() or "" for page in pdf.pages]
    except Exception:
        raise IngestError("not a readable PDF (it is damaged or encrypted)", file=file,
                          hint="open it and print or export it again as PDF, or save the transcript as .txt") from None
    if not "".join(pages).strip():
        raise IngestError("this PDF has no text layer (it looks scanned: pages are images)", file=file, line=None,
                          hint="run OCR on it first (e.g. in Acrobat or ocrmypdf), or import the original transcript")
    lines: list[str] = []
    for page in pages:
        for line in normalise_text(page).split("\n"):
            lines.append("" if _PAGE_NUMBER.match(line) else line)
    return parse_lines(lines, file=file)
