"""Reading zip archives (.docx, .xlsx, .qdpx) with a cap on what they unpack to.

A zip member's declared size can lie, so members are streamed and counted: a "zip bomb"
(a few MB that unpack to GBs) stops at the cap with a clear error instead of filling memory.
The cap is the ``max_unzipped_mb`` setting (default 200 MB per member, and per archive).

>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w") as z:
...     z.writestr("a.txt", "hello")
>>> read_member(zipfile.ZipFile(buf), "a.txt", file="x.zip")
b'hello'
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import IO

from qualcode.config import get_setting
from qualcode.errors import IngestError

_CHUNK = 1 << 20


def limit_bytes(project_dir: str | Path | None = None) -> int:
    """The cap, in bytes, from the ``max_unzipped_mb`` setting."""
    return int(get_setting("max_unzipped_mb", project_dir=project_dir)) * 1024 * 1024


def _too_big(file: str | None, member: str, limit: int) -> IngestError:
    return IngestError(
        f"'{member}' inside the file unpacks to more than {limit // (1024 * 1024)} MB",
        file=file,
        hint="the file may be damaged or built to exhaust memory; if it is genuine, raise the "
        "max_unzipped_mb setting in the project's qualcode.toml",
    )


def read_member(z: zipfile.ZipFile, name: str | zipfile.ZipInfo, *, file: str | None,
                limit: int | None = None) -> bytes:
    """Read one member, refusing (IngestError) once it unpacks past ``limit`` bytes."""
    limit = limit_bytes() if limit is None else limit
    info = name if isinstance(name, zipfile.ZipInfo) else z.getinfo(name)
    if info.file_size > limit:
        raise _too_big(file, info.filename, limit)
    out = io.BytesIO()
    try:
        with z.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                out.write(chunk)
                if out.tell() > limit:
                    raise _too_big(file, info.filename, limit)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError, zlib.error) as exc:
        raise IngestError(f"'{info.filename}' inside the file is damaged ({exc})", file=file,
                          hint="open it in the program that made it and save it again") from None
    return out.getvalue()


def check_archive(data: bytes | IO[bytes], *, file: str | None, limit: int | None = None) -> None:
    """Stream every member once (nothing kept) and refuse an archive that unpacks past ``limit``.

    Use before handing an archive to a library that unzips it itself (python-docx, openpyxl).
    A file that is not a zip is left for that library to refuse in its own words.
    """
    limit = limit_bytes() if limit is None else limit
    try:
        z = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    total = 0
    with z:
        for info in z.infolist():
            if info.file_size > limit:
                raise _too_big(file, info.filename, limit)
            try:
                with z.open(info) as fh:
                    while chunk := fh.read(_CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise _too_big(file, info.filename, limit)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError,
                    zlib.error) as exc:
                raise IngestError(f"the archive is damaged ({exc})", file=file,
                                  hint="open it in the program that made it and save it again") from None
