"""PDF transcripts with a text layer (pdfplumber). Scanned PDFs are refused.

Page numbers and "Page N of M" lines are dropped; every other line goes through the
plain-text label patterns. Line numbers in problems count lines across pages.

Memory: pdfplumber keeps a dict of about 2.7 KB per character of a page it has laid out, and
the document keeps every page it has opened. Pages are therefore laid out one at a time and
closed (their caches dropped) before the next, and a page whose content stream is larger than
:data:`MAX_PAGE_CONTENT` (hundreds of times a dense page of text) is refused before layout, so
peak memory is bounded by one ordinary page, not by the file.
"""

from __future__ import annotations

import io
import re

from qualcode.errors import IngestError
from qualcode.ingest.encoding import normalise_text
from qualcode.ingest.model import RawTranscript
from qualcode.ingest.text import parse_lines

_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.I)


MAX_PAGE_CONTENT = 256 * 1024  # bytes of decoded content stream per page (a dense text page: ~10 KB)


def _content_size(page) -> int:
    streams = getattr(page.page_obj, "contents", None) or []
    total = 0
    for st in streams:
        try:
            total += len(st.get_data())
        except Exception:  # noqa: BLE001 - an undecodable stream is left to the layout step
            continue
    return total


def read_pdf(data: bytes, *, file: str | None = None) -> RawTranscript:
    """A PDF transcript (bytes of the file), laid out one page at a time."""
    import pdfplumber

    pages: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                if _content_size(page) > MAX_PAGE_CONTENT:
                    raise IngestError(f"page {number} holds far more text than a transcript page "
                                      f"(over {MAX_PAGE_CONTENT // 1024} KB of drawing instructions)",
                                      file=file, hint="export the transcript as .txt or .docx and import that")
                try:
                    pages.append(page.extract_text() or "")
                finally:
                    page.close()
    except IngestError:
        raise
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
