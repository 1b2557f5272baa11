"""Codebook files <-> core.Codebook. (Minimal loader; the codebook issue extends it.)"""

from __future__ import annotations

from pathlib import Path

import yaml

from qualcode.core import Code, Codebook
from qualcode.errors import CodebookError


def load_codebook(path: str | Path) -> Codebook:
    """Read a YAML codebook file."""
    path = Path(path)
    if not path.exists():
        raise CodebookError("codebook file not found", file=str(path), hint="check the path")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise CodebookError(f"not valid YAML: {exc}", file=str(path),
                            line=None if line is None else line + 1) from None
    codes = [Code(**{k: v for k, v in c.items()}) for c in data.get("codes", [])]
    return Codebook(name=data.get("name", path.stem), description=data.get("description", "") or "",
                    version=data.get("version"), codes=codes)
