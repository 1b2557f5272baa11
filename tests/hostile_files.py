"""Builders of hostile and damaged inputs, shared by tests/test_hostile.py and bench/.

All text is invented here. Nothing is written to disk unless asked.
"""

from __future__ import annotations

import io
import random
import zipfile
import zlib


def pdf_bytes(pages: list[list[str]], *, compress: bool = True) -> bytes:
    """A minimal valid PDF (Helvetica, one text line per string) written by hand: no library."""
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pages_id = len(objs) + 1 + 2 * len(pages)  # after every page and content object
    kids = []
    for lines in pages:
        ops = [b"BT /F1 9 Tf 11 TL 36 806 Td"]
        for ln in lines:
            safe = ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")
            ops.append(b"(" + safe + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        if compress:
            data = zlib.compress(stream, 6)
            content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
        else:
            content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content, font)))
    assert add(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
               + b"] /Count %d >>" % len(kids)) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, xref))
    return out.getvalue()


_WORDS = ("trust team data principals teachers coach cycle evidence district convening empathy interview "
          "buy-in problem learning change scale abandon refine students literacy math language leaders").split()


def transcript_lines(n: int, *, seed: int = 3, width: int = 100) -> list[str]:
    """``n`` invented transcript lines (speaker label, then words), about ``width`` characters each."""
    rng = random.Random(seed)
    speakers = ["Interviewer", "Odalys Ferreira", "Bram Okonkwo"]
    out = []
    for i in range(n):
        words = [rng.choice(_WORDS) for _ in range(width // 7)]
        out.append(f"{speakers[i % 3]}: " + " ".join(words).capitalize() + ".")
    return out


def text_pdf(target_bytes: int, *, lines_per_page: int = 70, seed: int = 3) -> bytes:
    """A text-heavy PDF of about ``target_bytes`` (uncompressed content, so size ~ text)."""
    lines = transcript_lines(max(1, target_bytes // 110), seed=seed)
    pages = [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    return pdf_bytes(pages, compress=False)


def zip_bomb(member: str, unpacked_mb: int, *, others: dict[str, bytes] | None = None) -> bytes:
    """A small zip whose ``member`` unpacks to ``unpacked_mb`` MB of spaces (streamed, low memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in (others or {}).items():
            z.writestr(name, data)
        with z.open(member, "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 20)
            for _ in range(unpacked_mb):
                fh.write(chunk)
    return out.getvalue()


def yaml_alias_bomb(levels: int = 9, fan: int = 9) -> str:
    """The YAML "billion laughs": ``fan ** levels`` strings from about 1 KB of text, used as a
    code's id (an error message that quotes the id would expand it all)."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    lines.append(f"name: bomb\ncodes:\n  - id: *a{levels}\n    name: Bomb\n    definition: x")
    return "\n".join(lines) + "\n"
