"""A readable codebook for a report's appendix: Markdown and Word (.docx).

Codes appear in hierarchy order (parents as headings, their codes below), each with its
definition, inclusion and exclusion criteria, examples, counterexamples, keywords and, when
given, how many codings use it.

>>> write_markdown(codebook, "codebook.md", usage={"trust": 14})  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from qualcode.core import Code, Codebook

SECTIONS = (("include", "Include"), ("exclude", "Exclude"), ("examples", "Examples"),
            ("counterexamples", "Counterexamples"))


def ordered(cb: Codebook, *, include_retired: bool = False, used: Iterable[str] = ()) -> list[tuple[int, Code]]:
    """``(depth, code)`` in display order: each parent followed by its subtree. Retired codes
    are left out unless asked for, or ``used`` (``Codebook.exported``); a code under a retired
    one hangs from its nearest ancestor that stays."""
    codes = cb.codes if include_retired else cb.exported(used).codes
    ids = {c.id for c in codes}
    out: list[tuple[int, Code]] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for c in codes:
            if c.id in seen:
                continue
            if c.parent == parent or (parent is None and c.parent not in ids):
                seen.add(c.id)
                out.append((depth, c))
                walk(c.id, depth + 1)

    walk(None, 0)
    out.extend((0, c) for c in codes if c.id not in seen)  # only in a cyclic (invalid) codebook
    return out


def _flags(c, usage, *, id_text: str, grouping: str) -> list[str]:
    """The line under a code's heading: its id, grouping/retired, and how often it is used."""
    flags = [id_text]
    if not c.codable:
        flags.append(grouping)
    if c.retired:
        flags.append("retired: no longer applied, its codings still count")
    note = _usage_note(c, usage)
    if note:
        flags.append(note)
    return flags


def _in_use(usage: dict[str, int] | None) -> list[str]:
    """The codes with codings: a retired one among them stays in the document, since the
    report and the tables still count it (walk 37: the codebook left out a retired code whose
    two codings the report counted)."""
    return [c for c, n in (usage or {}).items() if n]


def _usage_note(c: Code, usage: dict[str, int] | None) -> str:
    if usage is None or not c.codable:
        return ""
    n = usage.get(c.id, 0)
    return f"{n} coding{'s' if n != 1 else ''}"


def _quote(text: str) -> str:
    t = str(text).strip()
    return t if t[:1] in "\"'\u201c" else f"\u201c{t}\u201d"


def markdown(cb: Codebook, *, usage: dict[str, int] | None = None, include_retired: bool = False) -> str:
    """The codebook as Markdown text."""
    lines = [f"# {cb.name}", ""]
    if cb.description:
        lines += [cb.description.strip(), ""]
    if cb.version is not None:
        lines += [f"Version {cb.version}.", ""]
    for depth, c in ordered(cb, include_retired=include_retired, used=_in_use(usage)):
        level = "#" * min(2 + depth, 6)
        flags = _flags(c, usage, id_text=f"`{c.id}`", grouping="grouping")
        lines += [f"{level} {c.name}", "", " · ".join(flags), ""]
        lines += [c.shown_definition, ""]
        for attr, label in SECTIONS:
            items = getattr(c, attr)
            if items:
                lines.append(f"**{label}:**")
                lines.append("")
                fmt = _quote if attr in ("examples", "counterexamples") else str
                lines += [f"- {fmt(x)}" for x in items]
                lines.append("")
        if c.keywords:
            lines += [f"**Keywords:** {', '.join(c.keywords)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(cb: Codebook, path: str | Path, *, usage: dict[str, int] | None = None,
                   include_retired: bool = False) -> Path:
    path = Path(path)
    path.write_text(markdown(cb, usage=usage, include_retired=include_retired), encoding="utf-8")
    return path


def write_docx(cb: Codebook, path: str | Path, *, usage: dict[str, int] | None = None,
               include_retired: bool = False) -> Path:
    """The codebook as a Word document (headings per code, lists for criteria and examples)."""
    from docx import Document

    doc = Document()
    doc.add_heading(cb.name, level=0)
    if cb.description:
        doc.add_paragraph(cb.description.strip())
    if cb.version is not None:
        doc.add_paragraph(f"Version {cb.version}.")
    for depth, c in ordered(cb, include_retired=include_retired, used=_in_use(usage)):
        doc.add_heading(c.name, level=min(1 + depth, 9))
        flags = _flags(c, usage, id_text=f"id: {c.id}", grouping="grouping code")
        p = doc.add_paragraph()
        p.add_run(" · ".join(flags)).italic = True
        doc.add_paragraph(c.shown_definition)
        for attr, label in SECTIONS:
            items = getattr(c, attr)
            if items:
                doc.add_paragraph().add_run(f"{label}:").bold = True
                for x in items:
                    doc.add_paragraph(_quote(x) if attr in ("examples", "counterexamples") else str(x),
                                      style="List Bullet")
        if c.keywords:
            p = doc.add_paragraph()
            p.add_run("Keywords: ").bold = True
            p.add_run(", ".join(c.keywords))
    path = Path(path)
    doc.save(str(path))
    return path
