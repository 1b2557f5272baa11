"""Tables to CSV (UTF-8, optional BOM for Excel) and XLSX, safe to open in a spreadsheet.

Any text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
prefixed with an apostrophe, so a spreadsheet shows it as text and never runs it as a
formula (CSV injection, OWASP).

>>> neutralise("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> neutralise("plain")
'plain'
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from qualcode.errors import ExportError

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


def neutralise(value: Any) -> Any:
    """Prefix a string that a spreadsheet would treat as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) are neutralised."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(neutralise).astype(object)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> str:
    """CSV text with every cell neutralised: the one writer for CSV files that are not frames
    (audit log, de-identification key). Mapping rows are read by the header's names.

    >>> csv_text(["coder"], [{"coder": "=HYPERLINK(1)"}, ["@SUM(A1)"]])
    "coder\\r\\n'=HYPERLINK(1)\\r\\n'@SUM(A1)\\r\\n"
    """
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([neutralise(str(h)) for h in header])
    for r in rows:
        cells = [r.get(h) for h in header] if isinstance(r, Mapping) else list(r)
        w.writerow([neutralise("" if c is None else c if isinstance(c, (int, float)) else str(c)) for c in cells])
    return buf.getvalue()


def table_bytes(df: pd.DataFrame, *, fmt: str = "csv", bom: bool = False, sheet: str = "data") -> bytes:
    """The table as CSV or XLSX bytes (for download buttons).

    >>> table_bytes(pd.DataFrame({"a": ["=1+1"]}))
    b"a\\n'=1+1\\n"
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown table format {fmt!r}", hint="use csv or xlsx")
    safe = neutralise_frame(df)
    if fmt == "csv":
        text = safe.to_csv(index=False, lineterminator="\n")
        return text.encode("utf-8-sig" if bom else "utf-8")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False,
                                                   "nan_inf_to_errors": True}}) as xw:
        safe.replace({np.nan: None}).to_excel(xw, index=False, sheet_name=sheet[:31] or "data")
    return buf.getvalue()


def write_bytes(data: bytes, out: "str | Path | IO[bytes]") -> None:
    """Write ``data`` to a path (creating its folder) or a binary file object."""
    if isinstance(out, (str, Path)):
        path = Path(out)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise ExportError(f"cannot write: {exc.strerror}", file=str(path),
                              hint="choose a folder you can write to") from None
    else:
        out.write(data)
