"""Changing a project's codebook safely: add, edit, rename, move, merge, split, retire,
import, export, and undo of each.

Every change is one transaction that validates the resulting codebook, carries the
existing codings and suggestions along, and records an audit event whose ``before`` and
``after`` hold enough to reverse it exactly (``undo_codebook``). Ids never change; names may.

>>> ctx = open_context("my-study")                          # doctest: +SKIP
>>> merge_codes(ctx, "rapport", "trust")                    # doctest: +SKIP
{'codings_moved': 12, 'codings_collapsed': 1, ...}
>>> undo_codebook(ctx)                                      # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, Iterator, Mapping

from qualcode import codebook_io
from qualcode.core import Code, Codebook
from qualcode.core.text import plural, split_keywords
from qualcode.errors import CodebookError, NotFoundError
from qualcode.gcpause import gc_paused
from qualcode.core import commands as cmd
from qualcode.services import commands as executor
from qualcode.services.commands import Outcome, handles
from qualcode.services.project import ProjectContext
from qualcode.storage import codes as store
from qualcode.storage import meta

ACTIONS = ("code_add", "code_edit", "code_rename", "code_move", "code_merge", "code_split",
           "code_retire", "code_restore", "codebook_import")
EDITABLE = ("name", "definition", "parent", "codable", "include", "exclude", "examples",
            "counterexamples", "keywords", "color")
LIST_FIELDS = ("include", "exclude", "examples", "counterexamples", "keywords")
FORMATS = ("yaml", "md", "docx", "qdc", "csv")
# what a codebook is imported from: YAML, REFI-QDA .qdc, or a spreadsheet (one row per code)
IMPORT_SUFFIXES = (*codebook_io.YAML_SUFFIXES, *codebook_io.QDC_SUFFIXES, *codebook_io.TABLE_SUFFIXES)
SUFFIX_FORMAT = {".yaml": "yaml", ".yml": "yaml", ".md": "md", ".markdown": "md", ".docx": "docx", ".qdc": "qdc", ".csv": "csv"}


# ----------------------------------------------------------------------------- helpers
_CODE_FIELDS = tuple(f.name for f in dataclasses.fields(Code))


def code_dict(c: Code) -> dict[str, Any]:
    """A code as JSON (all fields) for audit events (``dataclasses.asdict``, without its
    deep-copy walk: a Code holds only text, flags and lists of text)."""
    d = {k: getattr(c, k) for k in _CODE_FIELDS}
    for k in LIST_FIELDS:
        d[k] = list(d[k])
    return d


def _code_from(d: Mapping[str, Any]) -> Code:
    fields = {f.name for f in dataclasses.fields(Code)}
    unknown = set(d) - fields
    if unknown:
        raise CodebookError(f"unknown code field(s): {', '.join(sorted(unknown))}",
                            hint=f"use: {', '.join(sorted(fields))}")
    d = {"id": "", **d}  # no id: a unique slug of the name is made inside the transaction
    return Code(**{k: (_clean_list(v, k) if k in LIST_FIELDS else v) for k, v in d.items()})


def _clean_list(value: Any, field: str = "") -> list[str]:
    """Lists from the UI may come as one text with an item per line. Keywords are also split
    at commas, semicolons and slashes (``split_keywords``): a coder types "stipend / paid / pay /
    own money" on one line of the keywords box, and meant four keywords, not one."""
    if field == "keywords":
        return split_keywords(value)
    if value is None:
        return []
    if isinstance(value, str):
        return [x.strip() for x in value.splitlines() if x.strip()]
    return [str(x).strip() for x in value if str(x).strip()]


def _normalize(c: Code) -> Code:
    c.id = (c.id or "").strip()
    c.name = (c.name or "").strip()
    c.definition = (c.definition or "").strip()
    c.parent = (c.parent or "").strip() or None
    c.color = (c.color or "").strip() or None
    for k in LIST_FIELDS:
        setattr(c, k, _clean_list(getattr(c, k), k))
    return c


def _codebook(s) -> Codebook:
    return store.load_codebook(s)


def _get(cb: Codebook, code_id: str) -> Code:
    c = cb.get(code_id)
    if c is None:
        raise NotFoundError(f"no code {code_id!r}", hint="see the codes with: qualcode codebook show",
                            app_hint="pick one of the codes on the Codebook page")
    return c


def _check(cb: Codebook, *, require_definitions: bool = True) -> None:
    """Refuse a change that would leave the codebook invalid (all problems in ``exc.problems``)."""
    problems = codebook_io.validate_codebook(cb, require_definitions=require_definitions)
    # a change made in the app, not a file (walk 32: "Correct the file and import it again" under Add a code)
    codebook_io.raise_problems(problems, app_hint="correct it and try again")


def _with(cb: Codebook, code: Code) -> Codebook:
    """``cb`` with ``code`` replacing the code of the same id (or appended)."""
    codes = [code if c.id == code.id else c for c in cb.codes]
    if cb.get(code.id) is None:
        codes.append(code)
    return dataclasses.replace(cb, codes=codes)


# ----------------------------------------------------------------------------- colours
# The colours a code added without one gets (add_code), as far from the codebook's own as the
# list allows: the transcript paints each code's colour at a third over white, where two
# reds read as one pink (walk 24: a new code had no colour at all, in the app nor the .qdpx).
NEW_CODE_COLORS = ("#ff2d00", "#004bff", "#00e100", "#d200ff", "#e1c32d", "#00d2f0", "#a50f78", "#ff7800",
                   "#00695a", "#ff96d2", "#87d200", "#3c0fff", "#5a5a00", "#a569ff", "#00e196", "#a51e2d",
                   "#ff00a5", "#87d287", "#a5c3d2", "#ff003c", "#0096ff", "#4b4b96", "#008700", "#ffb487")
HIGHLIGHT = 0x55 / 0xff  # how much of a code's colour the transcript's highlight shows (transcript.js)


def _lab(color: str) -> tuple[float, float, float]:
    """CIE Lab (D65) of ``#rrggbb`` or ``#rgb`` as highlighted: a third over white."""
    h = color.strip().lstrip("#")
    h = "".join(x * 2 for x in h) if len(h) == 3 else h
    rgb = [HIGHLIGHT * int(h[i:i + 2], 16) / 255 + 1 - HIGHLIGHT for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    fx, fy, fz = [t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz]
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def color_distance(a: str, b: str) -> float:
    """How far apart two codes' highlights look: CIE76 delta E of the colours a third over
    white (about 2 is just noticeable; walk 24's "same pink", #e63946 and #b56576, is 12.5).

    >>> round(color_distance("#e63946", "#b56576"), 1), color_distance("#abc", "#aabbcc")
    (12.5, 0.0)
    """
    return sum((x - y) ** 2 for x, y in zip(_lab(a), _lab(b))) ** 0.5


def free_color(used: list[str]) -> str:
    """The colour of :data:`NEW_CODE_COLORS` farthest from every colour in ``used`` (the first
    of them on a tie, so the same codebook gives the same colour).

    >>> free_color([]), free_color(["#ff2d00"])
    ('#ff2d00', '#00e100')
    """
    return max(NEW_CODE_COLORS, key=lambda c: min((color_distance(c, u) for u in used), default=0.0))


# ----------------------------------------------------------------------------- reading
def codebook_spreadsheet(ctx: ProjectContext) -> str:
    """The project's codebook as CSV, one row per code, as a spreadsheet import reads it back
    (``codebook_io.table_io``): a template, or the codebook to edit in Excel."""
    return codebook_io.codebook_csv(get_codebook(ctx, include_retired=False))


def get_codebook(ctx: ProjectContext, *, include_retired: bool = True) -> Codebook:
    """The project's codebook in display order (retired codes flagged, kept by default)."""
    with ctx.session(readonly=True) as s:
        return store.load_codebook(s, include_retired=include_retired)


def code_usage(ctx: ProjectContext) -> dict[str, int]:
    """Codings per code id (all coders), 0 for unused codes.

    >>> code_usage(ctx)["trust"]  # doctest: +SKIP
    14
    """
    with ctx.session(readonly=True) as s:
        return store.code_usage(s)


def pending_usage(ctx: ProjectContext) -> dict[str, int]:
    """Pending suggestions per code id (codes with none are absent)."""
    with ctx.session(readonly=True) as s:
        return store.pending_usage(s)


# ----------------------------------------------------------------------------- changes
# Each change is a typed command (qualcode.core.commands) run by the one executor; the
# handlers below apply it inside the executor's transaction and revert it for the one undo.
def _new_code(code: Code | Mapping[str, Any]) -> Code:
    c = _normalize(_code_from(code) if isinstance(code, Mapping) else dataclasses.replace(code))
    c.retired = False
    return c


class _Revert:
    """Every codebook command reverts through :func:`_undo` (it knows each action)."""

    @staticmethod
    def revert(s, ev, coder_id) -> None:
        _undo(s, ev)


@handles(cmd.AddCode)
class _AddCode(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, command: cmd.AddCode) -> Outcome:
        c = _new_code(command.code)
        cb = _codebook(s)
        if not c.id and c.name:  # the UI (and theme discovery) may leave the id to us
            c.id = codebook_io.slugify(c.name, taken=set(cb.by_id()))
        if cb.get(c.id) is not None:
            old = cb.get(c.id)
            raise CodebookError(f"there is already a code with id {c.id!r}" + (" (retired)" if old.retired else ""),
                                hint="choose another id" + (", or restore the retired code" if old.retired else ""))
        if c.color is None:  # every code has a colour: its highlight, the .qdpx's color (walk 24)
            c.color = free_color([k.color for k in cb.codes if k.color and not k.retired])
        _check(_with(cb, c))
        store.save_code(s, c, sort_order=store.max_sort_order(s) + 1)
        added = _get(_codebook(s), c.id)
        after = code_dict(added)
        if command.source:
            after["source"] = command.source
        return Outcome(added, c.id, None, after)


def add_code(ctx: ProjectContext, code: Code | Mapping[str, Any], *, source: str | None = None) -> Code:
    """Add a code; the id must be new (a slug; empty: a unique slug of the name), the name
    unique, codable codes defined. ``source`` notes where it came from (e.g. "discovery").

    >>> add_code(ctx, {"id": "rapport", "name": "Rapport", "parent": "relationships",
    ...                "definition": "Warmth between coach and team."})  # doctest: +SKIP
    """
    fields = code_dict(code) if isinstance(code, Code) else dict(code)
    _code_from(fields)  # unknown fields are refused before the transaction
    return executor.execute(ctx, cmd.AddCode(code=fields, source=source))


def get_code(ctx: ProjectContext, code_id: str) -> Code:
    with ctx.session(readonly=True) as s:
        return _get(_codebook(s), code_id)


def _update(s, code_id: str, fields: Mapping[str, Any]) -> tuple[Code, Code]:
    """Apply an edit of ``fields``; returns (old, new) (equal when nothing changed)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise CodebookError(f"cannot edit {', '.join(sorted(unknown))} of a code",
                            hint=f"editable fields: {', '.join(EDITABLE)}; ids never change")
    cb = _codebook(s)
    old = _get(cb, code_id)
    if old.retired:
        raise CodebookError(f"code {code_id!r} is retired", hint="restore it first")
    new = _normalize(dataclasses.replace(old, **fields))
    if new == old:
        return old, old
    if old.codable and not new.codable and store.code_refs(s, code_id)["codings"]:
        raise CodebookError(f"code {code_id!r} has codings, so it must stay codable",
                            hint="split or merge its codings into another code first")
    if new.parent and new.parent != old.parent:
        parent = cb.get(new.parent)
        if parent is not None and parent.retired:
            raise CodebookError(f"cannot move under retired code {new.parent!r}")
    _check(_with(cb, new))
    store.save_code(s, new)
    return old, new


def _update_outcome(s, code_id: str, fields: Mapping[str, Any]) -> Outcome:
    old, new = _update(s, code_id, fields)
    if new == old:
        return Outcome(old, record=False)
    changed = sorted(k for k in EDITABLE if getattr(old, k) != getattr(new, k))
    return Outcome(new, code_id, code_dict(old), {**code_dict(new), "changed": changed})


@handles(cmd.EditCode)
class _EditCode(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.EditCode) -> Outcome:
        return _update_outcome(s, c.code_id, c.fields)


@handles(cmd.RenameCode)
class _RenameCode(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.RenameCode) -> Outcome:
        return _update_outcome(s, c.code_id, {"name": c.name})


@handles(cmd.MoveCode)
class _MoveCode(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.MoveCode) -> Outcome:
        return _update_outcome(s, c.code_id, {"parent": c.parent or None})


def edit_code(ctx: ProjectContext, code_id: str, **fields: Any) -> Code:
    """Change any of a code's editable fields (name, definition, criteria, examples, color...).

    >>> edit_code(ctx, "trust", definition="...", examples=["..."])  # doctest: +SKIP
    """
    return executor.execute(ctx, cmd.EditCode(code_id=code_id, fields=fields))


def rename_code(ctx: ProjectContext, code_id: str, name: str) -> Code:
    """Give a code a new name; its id (and every coding) stays."""
    return executor.execute(ctx, cmd.RenameCode(code_id=code_id, name=name))


def move_code(ctx: ProjectContext, code_id: str, parent: str | None) -> Code:
    """Put a code under another parent (None: top level). Cycles are refused."""
    return executor.execute(ctx, cmd.MoveCode(code_id=code_id, parent=parent or None))


@handles(cmd.MergeCodes)
class _MergeCodes(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.MergeCodes) -> Outcome:
        source, target = c.source, c.target
        if source == target:
            raise CodebookError("a code cannot be merged into itself")
        cb = _codebook(s)
        src, tgt = _get(cb, source), _get(cb, target)
        for code in (src, tgt):
            if code.retired:
                raise CodebookError(f"code {code.id!r} is retired", hint="restore it first")
        if target in cb.descendants(source):
            raise CodebookError(f"{target!r} sits below {source!r}: cannot merge a code into its own child",
                                hint=f"move {target!r} out first, or merge the other way round")
        refs = store.code_refs(s, source)
        if not tgt.codable and (refs["codings"] or refs["pending"] or refs["decided"]):
            raise CodebookError(f"{target!r} is a grouping code (not codable) and cannot receive codings",
                                hint="merge into a codable code")
        children = [[ch.id, ch.parent] for ch in cb.children(source)]
        for cid, _ in children:
            store.save_code(s, dataclasses.replace(cb.get(cid), parent=target))
        rec = store.move_code_refs(s, source, target)
        retired = dataclasses.replace(src, retired=True)
        store.save_code(s, retired)
        summary = {"codings_moved": len(rec["codings_moved"]), "codings_collapsed": len(rec["codings_dropped"]),
                   "suggestions_moved": len(rec["suggestions_moved"]),
                   "suggestions_collapsed": len(rec["suggestions_dropped"]),
                   "memos_moved": len(rec["memos_moved"]), "children_moved": len(children)}
        return Outcome(summary, source, {"source": code_dict(src), "target": code_dict(tgt)},
                       {"source": code_dict(retired), "target_id": target, "refs": rec, "children": children,
                        "summary": summary})


def merge_codes(ctx: ProjectContext, source: str, target: str) -> dict[str, int]:
    """Merge ``source`` into ``target``: codings, suggestions and memos move to the target
    (duplicates collapse), child codes move under the target, and the source is retired
    (its history stays). Returns counts of what moved.

    >>> merge_codes(ctx, "rapport", "trust")  # doctest: +SKIP
    """
    return executor.execute(ctx, cmd.MergeCodes(source=source, target=target))


@handles(cmd.SplitCode)
class _SplitCode(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, command: cmd.SplitCode) -> Outcome:
        code_id, given = command.code_id, dict(command.new_code)
        c = _new_code(given)
        cb = _codebook(s)
        old = _get(cb, code_id)
        if old.retired:
            raise CodebookError(f"code {code_id!r} is retired", hint="restore it first")
        if "parent" not in given:
            c.parent = old.parent
        if not c.id and c.name:
            c.id = codebook_io.slugify(c.name, taken=set(cb.by_id()))
        if cb.get(c.id) is not None:
            raise CodebookError(f"there is already a code with id {c.id!r}", hint="choose a new id for the split")
        if not c.codable:
            raise CodebookError("the new code of a split must be codable")
        _check(_with(cb, c))
        store.save_code(s, c, sort_order=store.max_sort_order(s) + 1)
        excerpt_ids = [int(i) for i in command.excerpt_ids]
        rec = store.move_code_refs(s, code_id, c.id, excerpt_ids=excerpt_ids)
        added = _get(_codebook(s), c.id)
        summary = {"new_code": c.id, "new_name": c.name, "codings_moved": len(rec["codings_moved"]),
                   "suggestions_moved": len(rec["suggestions_moved"]), "memos_moved": len(rec["memos_moved"])}
        return Outcome(summary, code_id, {"code": code_dict(old)},
                       {"new_code": code_dict(added), "excerpt_ids": sorted(excerpt_ids),
                        "refs": rec, "summary": summary})


def split_code(ctx: ProjectContext, code_id: str, new_code: Code | Mapping[str, Any],
               excerpt_ids: list[int]) -> dict[str, Any]:
    """Create ``new_code`` and move ``code_id``'s codings and suggestions on the chosen
    excerpts to it (all coders). Without a parent, the new code sits beside the old one.

    >>> split_code(ctx, "evidence", {"id": "state_tests", "name": "State tests",
    ...            "definition": "..."}, [12, 40])  # doctest: +SKIP
    """
    fields = code_dict(new_code) if isinstance(new_code, Code) else dict(new_code)
    _code_from(fields)
    return executor.execute(ctx, cmd.SplitCode(code_id=code_id, new_code=fields,
                                               excerpt_ids=tuple(int(i) for i in excerpt_ids)))


@handles(cmd.RetireCode)
class _RetireCode(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.RetireCode) -> Outcome:
        code_id = c.code_id
        cb = _codebook(s)
        old = _get(cb, code_id)
        if old.retired:
            return Outcome(old, record=False)
        active_children = [ch.id for ch in cb.children(code_id) if not ch.retired]
        if active_children:
            raise CodebookError(f"code {code_id!r} still has codes under it: {', '.join(active_children)}",
                                hint="move, merge or retire them first")
        n = store.code_refs(s, code_id)["codings"]
        if n and not c.force:
            raise CodebookError(f"code {old.name!r} is used by {n} coding{'s' if n != 1 else ''}",
                                hint=f"merge it into another code (qualcode codebook merge {code_id} TARGET), "
                                     "or retire it anyway with --force",
                                app_hint="merge it into another code, or retire it anyway")
        withdrawn = store.delete_pending_suggestions(s, code_id)
        new = dataclasses.replace(old, retired=True)
        store.save_code(s, new)
        return Outcome(new, code_id, code_dict(old),
                       {**code_dict(new), "codings": n, "withdrawn_suggestions": withdrawn})


def retire_code(ctx: ProjectContext, code_id: str, *, force: bool = False) -> Code:
    """Retire a code: hidden from coding and suggestions, kept with its history.

    Refused while codings use it unless ``force`` (the codings stay, under a retired code);
    refused while it has active child codes. Its pending suggestions are withdrawn.
    """
    return executor.execute(ctx, cmd.RetireCode(code_id=code_id, force=bool(force)))


@handles(cmd.RestoreCode)
class _RestoreCode(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.RestoreCode) -> Outcome:
        cb = _codebook(s)
        old = _get(cb, c.code_id)
        if not old.retired:
            return Outcome(old, record=False)
        new = dataclasses.replace(old, retired=False)
        if new.parent and cb.get(new.parent) and cb.get(new.parent).retired:
            raise CodebookError(f"its parent {new.parent!r} is retired", hint="restore the parent first")
        _check(_with(cb, new))
        store.save_code(s, new)
        return Outcome(new, c.code_id, code_dict(old), code_dict(new))


def restore_code(ctx: ProjectContext, code_id: str) -> Code:
    """Bring a retired code back (its old codings come back with it)."""
    return executor.execute(ctx, cmd.RestoreCode(code_id=code_id))


# ----------------------------------------------------------------------------- discovered themes
def _unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... so no active code shares it (casefolded)."""
    if name.casefold() not in taken:
        return name
    n = 2
    while f"{name} ({n})".casefold() in taken:
        n += 1
    return f"{name} ({n})"


def theme_examples(theme: Mapping[str, Any] | Any, n: int = 3) -> list[str]:
    """A discovered theme's most representative excerpts (its quotes, best first), at most ``n``."""
    d = theme if isinstance(theme, Mapping) else vars(theme)
    quotes = d.get("quotes") or d.get("examples") or []
    out: list[str] = []
    for q in quotes:
        text = (q if isinstance(q, str) else str(q.get("text", q) if isinstance(q, Mapping) else q)).strip()
        if text and text not in out:
            out.append(text)
    return out[:n]


def promote_theme(ctx: ProjectContext, theme: Mapping[str, Any] | Any, *, name: str, definition: str = "",
                  keywords: Any = (), parent: str | None = None, code_id: str | None = None) -> Code:
    """Turn a discovered theme into a new code from what the coder can judge: the name they
    gave it, their definition (none given: the name itself, to be written properly later),
    the theme's most representative excerpts as examples, and only the keywords they kept.

    The theme's top words are never made keywords on their own: they set a cluster apart
    statistically ("six, every, month") and as keywords would point the suggestions to any
    sentence with "every" in it. An add-code command (source "discovery"): validated, ordered
    last, audited and undoable like any other new code, and suggested on the Code page at once
    (its examples are what the suggestions start from). A name in use gets " (2)".

    >>> promote_theme(ctx, theme, name="Meeting rhythm", keywords=["monthly"])  # doctest: +SKIP
    """
    name = (name or "").strip()
    if not name:
        raise CodebookError("name the new code first", hint="say in a few words what the theme's excerpts share")
    cb = get_codebook(ctx)
    name = _unique_name(name, {c.name.strip().casefold() for c in cb.codes if not c.retired})
    definition = (definition or "").strip() or name.rstrip(".") + "."
    kept = keywords.replace(",", "\n") if isinstance(keywords, str) else keywords
    code = {"id": code_id or "", "name": name, "parent": parent or None, "definition": definition,
            "examples": theme_examples(theme), "keywords": list(dict.fromkeys(_clean_list(kept)))}
    return add_code(ctx, code, source="discovery")


def added_text(code: Code) -> str:
    """What adding ``code`` did, in the app's words (a grouping code is never suggested)."""
    if not code.codable:
        return (f"Added {code.name}, a grouping code: it is not coded or suggested itself; it holds the "
                "codes you put under it (choose it under Under when you add a code, or Move a code under it).")
    return (f"Added {code.name}. The Code page suggests it on the excerpts you have not reviewed "
            "as soon as you open it, and so for every other coder of this project "
            "(in the background; its line shows the progress). On excerpts you have already finished, "
            f"“Look again for {code.name}” on the Code page looks for it.")


def restored_text(code: Code, codings: int = 0) -> str:
    """What restoring ``code`` did, in the app's words."""
    if not code.codable:
        return f"Restored {code.name}; it is a grouping code again, and codes can go under it."
    kept = f"its {codings} coding{'' if codings == 1 else 's'} count again, and " if codings else ""
    return (f"Restored {code.name}; {kept}the Code page suggests it again on the excerpts you have "
            "not reviewed.")


# ----------------------------------------------------------------------------- undo
def _unused(s, code_id: str, *, allow_codings: int = 0, allow_suggestions: int = 0, allow_memos: int = 0,
            allow_children: int = 0, pending_ok: bool = False) -> None:
    """Refuse the undo when the code is used beyond what is allowed. ``pending_ok``: the model's
    pending suggestions are no use (walk 40: the background refresh had suggested a code made by
    mistake twice, and Undo could not take it back); the caller deletes them."""
    refs = store.code_refs(s, code_id)
    extra = []
    if refs["codings"] > allow_codings:
        extra.append(f"{refs['codings'] - allow_codings} coding(s)")
    suggestions = refs["decided"] + (0 if pending_ok else refs["pending"])
    if suggestions > allow_suggestions:
        extra.append(f"{suggestions - allow_suggestions} suggestion(s)")
    if refs["memos"] > allow_memos:
        extra.append(f"{refs['memos'] - allow_memos} memo(s)")
    if refs["children"] > allow_children:
        extra.append(f"{refs['children'] - allow_children} child code(s)")
    if extra:
        code = _codebook(s).get(code_id)
        raise CodebookError(f"cannot undo: the code “{code.name if code else code_id}” has been used since "
                            f"({', '.join(extra)})",
                            hint=f"merge it into another code instead (qualcode codebook merge {code_id} TARGET)",
                            app_hint="merge it into another code instead (Move · merge · split · retire)")


_COMPARED = (*EDITABLE, "retired")
_COMPARED_SET = frozenset(_COMPARED)


def _unused_codes(s, code_ids: list[str]) -> None:
    """:func:`_unused` for many codes at once (an import's undo): codings, decided suggestions
    and memos on them, or child codes outside them, refuse the undo (the model's pending
    suggestions do not: the caller deletes them)."""
    used = store.codes_in_use(s, code_ids, pending_ok=True)
    if used:
        code_id, what = next(iter(used.items()))
        more = f" (and {len(used) - 1} more code{'s' if len(used) > 2 else ''})" if len(used) > 1 else ""
        code = _codebook(s).get(code_id)
        raise CodebookError(f"cannot undo: the code “{code.name if code else code_id}” has been used since "
                            f"({what}){more}",
                            hint="merge or retire the codes you no longer want instead (qualcode codebook merge)",
                            app_hint="merge or retire the codes you no longer want instead "
                                     "(Move · merge · split · retire)")


def _same_now(codes: Codebook | Mapping[str, Code], expected: dict[str, Any], *, what: str) -> None:
    """Refuse to undo over a later change to the same code (by anyone). ``codes``: the
    codebook, or its codes by id when many codes are checked."""
    cur = codes.get(expected["id"])
    keys = _COMPARED if _COMPARED_SET <= expected.keys() else tuple(k for k in _COMPARED if k in expected)
    if cur is None or (keys and attrgetter(*keys)(cur) != itemgetter(*keys)(expected)):  # C-level getters
        raise CodebookError(f"cannot undo the {what} of {expected['id']!r}: the code has changed since",
                            hint="see: qualcode codebook history",
                            app_hint="see the codebook's history for what changed")


def _undo(s, ev) -> None:
    before, after = ev.before, ev.after or {}
    cb = _codebook(s)
    action = ev.action
    if action == "code_add":
        _same_now(cb, after, what="addition")
        _unused(s, ev.entity_id, pending_ok=True)
        store.delete_pending_suggestions(s, ev.entity_id)
        store.delete_code(s, ev.entity_id)
    elif action in ("code_edit", "code_rename", "code_move", "code_restore"):
        _same_now(cb, after, what=action.removeprefix("code_"))
        new = _code_from(before)
        if action == "code_restore" or not new.retired:
            _check(_with(cb, new))
        store.save_code(s, new)
    elif action == "code_retire":
        _same_now(cb, after, what="retirement")
        store.save_code(s, _code_from(before))
        store.restore_suggestions(s, after.get("withdrawn_suggestions", []))
    elif action == "code_merge":
        _same_now(cb, after["source"], what="merge")
        source = before["source"]["id"]
        store.restore_code_refs(s, after["refs"], source)
        store.save_code(s, _code_from(before["source"]))
        for cid, parent in after.get("children", []):
            child = cb.get(cid)
            if child is not None:
                store.save_code(s, dataclasses.replace(child, parent=parent))
    elif action == "code_split":
        new = after["new_code"]
        _same_now(cb, new, what="split")
        rec = after["refs"]
        _unused(s, new["id"], allow_codings=len(rec["codings_moved"]),
                allow_suggestions=len(rec["suggestions_moved"]), allow_memos=len(rec["memos_moved"]))
        store.restore_code_refs(s, rec, ev.entity_id)
        store.delete_code(s, new["id"])
    elif action == "codebook_import":
        # In bulk: an import of 100,000 codes undoes in seconds (no per-code query).
        by_id = cb.by_id()
        for d in (*after.get("added", []), *after.get("updated", [])):
            _same_now(by_id, d, what="import")
        added = [d["id"] for d in after.get("added", [])]
        _unused_codes(s, added)
        store.delete_pending_of_codes(s, added)
        store.save_codes(s, [_code_from(d) for d in (before or {}).get("updated", [])])
        depth = _depths(by_id)
        store.delete_codes(s, sorted(added, key=lambda cid: -depth.get(cid, 0)))  # children first
        meta.set_setting(s, "codebook", (before or {}).get("meta"))
    else:  # pragma: no cover - ACTIONS and this function change together
        raise CodebookError(f"cannot undo {action!r}")


def undo_codebook(ctx: ProjectContext) -> dict[str, Any] | None:
    """Undo this coder's latest codebook change that is not undone yet; None if there is none.

    The codebook page's undo: the one undo (``services.commands``) limited to codebook
    commands. The undo is itself an audit event (action ``undo``, ``undo_of`` the event).
    Refused, with nothing changed, when the code has been used or changed since.

    >>> undo_codebook(ctx)  # doctest: +SKIP
    {'action': 'code_merge', 'code_id': 'rapport', 'summary': 'merged rapport into trust'}
    """
    with gc_paused():  # the undo of a large import builds as many objects as the import
        ev = executor.undo_latest(ctx, only=ACTIONS)
    if ev is None:
        return None
    return {"action": ev.action, "code_id": ev.entity_id, "event_id": ev.id,
            "summary": _summary(ev.action, ev.entity_id, ev.before, ev.after),
            "message": undone_text(ctx, ev.action, ev.entity_id, ev.before, ev.after)}


FIELD_WORDS = {"name": "name", "definition": "definition", "parent": "place in the tree",
               "codable": "codable setting", "include": "inclusion criteria", "exclude": "exclusion criteria",
               "examples": "examples", "counterexamples": "counterexamples", "keywords": "keywords",
               "color": "colour"}  # as the Edit form says (walk 46)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def undone_text(ctx: ProjectContext, action: str, entity_id: str, before: Any, after: Any) -> str:
    """Which codebook change an undo took back, in the app's words, with the codes' names:
    'Undid: merge of “Rapport” into “Trust”.' (``before``/``after``: the undone event's)."""
    b, a = before or {}, after or {}
    names = {c.id: c.name for c in get_codebook(ctx).codes}

    def name(cid: Any, fallback: Any = None) -> str:
        return f"“{names.get(cid) or fallback or cid}”"

    if action == "code_add":
        origin = " from a discovered theme" if a.get("source") == "discovery" else ""
        text = f"added code “{a.get('name') or entity_id}”{origin} (it is removed)"
    elif action == "code_edit":
        changed = [FIELD_WORDS.get(k, k) for k in a.get("changed", [])]
        what = f"'s {_and(changed)}" if changed else ""
        text = f"edit of “{a.get('name') or entity_id}”{what}"
    elif action == "code_rename":
        text = f"renaming of “{b.get('name')}” to “{a.get('name')}”"
    elif action == "code_move":
        def place(p: Any) -> str:
            return name(p) if p else "the top level"
        text = f"move of {name(entity_id, a.get('name'))} from {place(b.get('parent'))} to {place(a.get('parent'))}"
    elif action == "code_merge":
        src, tgt = b.get("source", {}), b.get("target", {})
        text = (f"merge of “{src.get('name') or entity_id}” into {name(a.get('target_id'), tgt.get('name'))}"
                f" (“{src.get('name') or entity_id}” is back with its codings)")
    elif action == "code_split":
        new = a.get("new_code", {})
        old = name(entity_id, b.get("code", {}).get("name"))
        text = f"split of “{new.get('name') or new.get('id')}” out of {old}"
    elif action == "code_retire":
        text = f"retirement of {name(entity_id, a.get('name'))} (it is in use again)"
    elif action == "code_restore":
        text = f"restore of {name(entity_id, a.get('name'))} (it is retired again)"
    elif action == "codebook_import":
        n_add, n_upd = len(a.get("added", [])), len(a.get("updated", []))
        text = (f"import of {a.get('file') or 'a codebook file'} ({n_add} code{'' if n_add == 1 else 's'} added, "
                f"{n_upd} updated)")
    else:  # pragma: no cover - ACTIONS and this function change together
        text = action
    return f"Undid: {text}."


# ----------------------------------------------------------------------------- history
def _summary(action: str, entity_id: str, before: Any, after: Any) -> str:
    b, a = before or {}, after or {}
    if action == "code_add":
        return f"added {a.get('name')!r} ({entity_id})"
    if action == "code_rename":
        return f"renamed {b.get('name')!r} to {a.get('name')!r} ({entity_id})"
    if action == "code_move":
        return f"moved {entity_id} from {b.get('parent') or 'top level'} to {a.get('parent') or 'top level'}"
    if action == "code_edit":
        return f"edited {entity_id}: {', '.join(a.get('changed', [])) or 'no change'}"
    if action == "code_merge":
        sm = a.get("summary", {})
        return (f"merged {entity_id} into {a.get('target_id')} ({sm.get('codings_moved', 0)} codings moved, "
                f"{sm.get('codings_collapsed', 0)} collapsed)")
    if action == "code_split":
        return (f"split {a.get('new_code', {}).get('id')} out of {entity_id} "
                f"({a.get('summary', {}).get('codings_moved', 0)} codings moved)")
    if action == "code_retire":
        return f"retired {entity_id}" + (f" ({a.get('codings')} codings kept)" if a.get("codings") else "")
    if action == "code_restore":
        return f"restored {entity_id}"
    if action == "codebook_import":
        return (f"imported {a.get('file', 'a codebook')}: {len(a.get('added', []))} added, "
                f"{len(a.get('updated', []))} updated")
    if action == "undo":
        return "undid: " + _summary(b.get("action", "?"), entity_id, a, b.get("after"))
    return action


def merge_text(source: str, target: str, summary: Mapping[str, Any]) -> str:
    """A merge's outcome in words (for the app and the CLI alike).

    >>> merge_text("Rapport", "Trust", {"codings_moved": 3, "codings_collapsed": 1, "suggestions_moved": 2})
    'Merged Rapport into Trust: 3 codings moved, 1 duplicate collapsed, 2 suggestions moved'
    """
    def n(k: str, word: str) -> str:
        v = int(summary.get(k, 0))
        return f"{v} {word}{'' if v == 1 else 's'}"

    parts = [n("codings_moved", "coding") + " moved", n("codings_collapsed", "duplicate") + " collapsed"]
    if summary.get("suggestions_moved"):
        parts.append(n("suggestions_moved", "suggestion") + " moved")
    if summary.get("children_moved"):
        parts.append(n("children_moved", "child code") + " moved")
    return f"Merged {source} into {target}: " + ", ".join(parts)


def split_text(source: str, summary: Mapping[str, Any]) -> str:
    """A split's outcome in words, the new code by the name the coder gave it (walk 28: the
    message named it by its id, "Split transport out of Access barriers").

    >>> split_text("Evidence", {"new_code": "state_tests", "new_name": "State tests", "codings_moved": 2})
    'Split State tests out of Evidence: 2 codings moved'
    """
    v = int(summary.get("codings_moved", 0))
    new = summary.get("new_name") or summary.get("new_code")
    return f"Split {new} out of {source}: {v} coding{'' if v == 1 else 's'} moved"


def codebook_history(ctx: ProjectContext, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Every codebook change, newest first: id, at, coder, action, code_id, summary, undone,
    before and after.

    >>> [h["summary"] for h in codebook_history(ctx, limit=3)]  # doctest: +SKIP
    """
    with ctx.session(readonly=True) as s:
        events = store.codebook_events(s, ACTIONS, limit=limit)
    return [{**e, "code_id": e["entity_id"],
             "summary": _summary(e["action"], e["entity_id"], e["before"], e["after"])} for e in events]


# ----------------------------------------------------------------------------- exchange
def _guid_map(cb: Codebook) -> dict[str, str]:
    out = {codebook_io.code_guid(c.id): c.id for c in cb.codes}
    out.update({c.guid.lower(): c.id for c in cb.codes if c.guid})
    return out


def _ids_by_name(cb: Codebook) -> dict[str, str]:
    """A codebook's ids by name (casefolded): how a spreadsheet row without an id finds its code."""
    return {c.name.casefold(): c.id for c in cb.codes}


def read_codebook_file(path: str | Path, *, known: Codebook | None = None) -> tuple[Codebook, list]:
    """Read and validate a YAML, ``.qdc``, ``.csv`` or ``.xlsx`` file; ``(codebook, warnings)``;
    raises on errors. A spreadsheet row naming one of ``known``'s codes updates that code."""
    path = Path(path)
    cb, problems = codebook_io.validate_file(path, known_guids=_guid_map(known) if known else None,
                                             known_ids=_ids_by_name(known) if known else None)
    codebook_io.raise_problems(problems, file=str(path))
    if cb is None:  # pragma: no cover - raise_problems raised
        raise CodebookError("cannot read the codebook", file=str(path))
    return cb, [p for p in problems if p.severity != "error"]


def _file_lines(path: Path, merged: Codebook) -> codebook_io.Lines:
    """Where each of ``merged``'s codes is in the file being imported (None for the project's own):
    a name the file gives that a project code already has is then reported at its line
    (walk 32: "duplicate name 'Fear of scams' (also code 'scams')" said neither file nor line)."""
    at: dict[str, int | None] = {}
    with contextlib.suppress(Exception):  # the file was read once already; lines are a courtesy
        if path.suffix.lower() in codebook_io.QDC_SUFFIXES:
            cb, lines, _ = codebook_io.read_qdc(path)
            at = {c.id: lines.code(i) for i, c in enumerate(cb.codes)}
        elif path.suffix.lower() in codebook_io.TABLE_SUFFIXES:
            data, lines, _ = codebook_io.parse_table(path, known_ids=_ids_by_name(merged))
            at = {c["id"]: lines.code(i) for i, c in enumerate((data or {}).get("codes") or []) if "id" in c}
        else:
            data, lines, _ = codebook_io.parse_yaml(path.read_text(encoding="utf-8"), file=str(path))
            raw = data.get("codes") if isinstance(data, dict) else None
            at = {c["id"]: lines.code(i) for i, c in enumerate(raw or []) if isinstance(c, dict) and "id" in c}
    return codebook_io.Lines(codes=[at.get(c.id) for c in merged.codes])


def _depths(codes: Mapping[str, Code]) -> dict[str, int]:
    """How deep each code sits below the top (0 for a top-level code), in linear time."""
    depth: dict[str, int] = {}
    for cid in codes:
        path = []
        cur: str | None = cid
        while cur is not None and cur not in depth and cur in codes and len(path) <= len(codes):
            path.append(cur)
            cur = codes[cur].parent
        d = depth.get(cur, -1) if cur is not None else -1
        for p in reversed(path):
            d += 1
            depth[p] = d
    return depth


def _retire_missing(s, current: Codebook, incoming: Codebook, merged: dict[str, Code],
                    updated: list[Code], before: list[dict]) -> tuple[list[str], list[str]]:
    """Replace mode of an import: retire the project's active codes that the file lacks, into
    ``merged`` / ``updated`` / ``before`` (one event: undo brings them back). A code that codings
    use is kept (retiring it would hide coded work; the coder merges or retires it knowingly), and
    so is a code with an active code under it. Returns (retired ids, kept ids: those in use)."""
    wanted = {c.id for c in incoming.codes}
    missing = [c for c in current.codes if c.id not in wanted and not c.retired]
    if not missing:
        return [], []
    depth = _depths(merged)
    in_use = {c.id for c in missing} & store.coded_codes(s)
    active_children = Counter(c.parent for c in merged.values() if c.parent and not c.retired)
    retired: list[str] = []
    for c in sorted(missing, key=lambda c: -depth.get(c.id, 0)):  # children first
        if c.id in in_use or active_children[c.id]:
            continue
        new = dataclasses.replace(merged[c.id], retired=True)
        before.append(code_dict(c))
        updated.append(new)
        merged[c.id] = new
        retired.append(c.id)
        if c.parent:
            active_children[c.parent] -= 1
    return retired, sorted(in_use)


@handles(cmd.ImportCodebook)
class _ImportCodebook(_Revert):
    @staticmethod
    def apply(s, ctx, coder_id, command: cmd.ImportCodebook) -> Outcome:
        path = Path(command.path)
        is_qdc = path.suffix.lower() in codebook_io.QDC_SUFFIXES
        current = _codebook(s)
        incoming, warnings = read_codebook_file(path, known=current)
        # Linear in the number of codes: one dict of the current codes, one bulk insert, one
        # audit event (what undo needs), no per-code query.
        by_id = current.by_id()
        merged_codes = dict(by_id)
        added, updated, before_updated = [], [], []
        for c in incoming.codes:
            old = by_id.get(c.id)
            if old is not None:
                if c.guid is None:
                    c.guid = old.guid
                if old == c:
                    continue
                before_updated.append(code_dict(old))
                updated.append(c)
            else:
                c.guid = c.guid or codebook_io.code_guid(c.id)  # as stored: audit and rows agree
                added.append(c)
            merged_codes[c.id] = c
        retired, kept = (_retire_missing(s, current, incoming, merged_codes, updated, before_updated)
                         if command.replace else ([], []))
        if by_id:  # the file was validated on its own while reading; with codes already in the project,
            # the merged codebook is checked too (names unique across both, parents, no cycles)
            merged = dataclasses.replace(current, codes=list(merged_codes.values()))
            problems = codebook_io.validate_codebook(merged, file=str(path), lines=_file_lines(path, merged),
                                                     require_definitions=not is_qdc)
            codebook_io.raise_problems(problems, file=str(path))
        old_meta = meta.get_setting(s, "codebook", None)
        if not is_qdc:
            meta.set_setting(s, "codebook", {"name": incoming.name, "description": incoming.description,
                                             "version": incoming.version})
        base = store.max_sort_order(s) + 1
        order = {c.id: i for i, c in enumerate(incoming.codes)}
        # parents first (validated above: no cycles), so every new code's parent row exists
        depth = _depths(merged_codes)
        store.insert_codes(s, sorted(added, key=lambda c: depth[c.id]),
                           sort_orders={c.id: base + order[c.id] for c in added})
        store.save_codes(s, updated)
        for cid in retired:
            store.delete_pending_suggestions(s, cid)
        result = {"added": [c.id for c in added], "updated": [c.id for c in updated if c.id not in retired],
                  "unchanged": len(incoming.codes) - len(added) - (len(updated) - len(retired)),
                  "retired": retired, "kept": kept, "warnings": [str(w) for w in warnings]}
        return Outcome(result, path.name, {"meta": old_meta, "updated": before_updated},
                       {"file": path.name, "added": [code_dict(c) for c in added],
                        "updated": [code_dict(c) for c in updated]}, entity="codebook")


def import_codebook(ctx: ProjectContext, path: str | Path, *, replace: bool = False) -> dict[str, Any]:
    """Bring a codebook file (YAML or ``.qdc``) into the project, all or nothing.

    Codes are matched by id (for ``.qdc``: by the id in the description, else the GUID,
    else a slug of the name); new codes are added, changed ones updated, codes missing
    from the file are left alone, or with ``replace`` retired (walk 16: a project's own
    codebook merged with the default one, whose 21 codes the coder then retired one by one),
    except those codings use (``kept``) and those with an active code under them. Returns
    ``{"added": [...], "updated": [...], "unchanged": n, "retired": [...], "kept": [...],
    "warnings": [...]}``. A 100,000-code file takes seconds (``bench/bench_hostile.py``).
    """
    with gc_paused():  # hundreds of thousands of small objects: see qualcode.gcpause
        return executor.execute(ctx, cmd.ImportCodebook(path=str(path), replace=bool(replace)))


def import_summary(result: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """What an import changed, in a sentence (the Codebook page and the CLI).

    >>> import_summary({"added": ["a"], "updated": [], "unchanged": 2, "retired": ["x", "y"], "kept": ["z"]})
    '1 code added, 0 updated, 2 unchanged; 2 codes not in the file retired; 1 kept because excerpts are coded with it: z.'
    """
    names = names or {}
    text = (f"{plural(len(result['added']), 'code')} added, {len(result['updated'])} updated, "
            f"{result['unchanged']} unchanged")
    if result.get("retired"):
        text += f"; {plural(len(result['retired']), 'code')} not in the file retired"
    kept = result.get("kept") or []
    if kept:
        text += (f"; {len(kept)} kept because excerpts are coded with {'it' if len(kept) == 1 else 'them'}: "
                 + ", ".join(names.get(k, k) for k in kept))
    return text + "."


def import_codebook_upload(ctx: ProjectContext, data: bytes, name: str, *, replace: bool = False) -> dict[str, Any]:
    """:func:`import_codebook` for a file uploaded in the app: ``data`` under its own file
    name (its suffix says YAML or .qdc), in a temporary folder removed afterwards.

    >>> import_codebook_upload(ctx, upload.getvalue(), upload.name)  # doctest: +SKIP
    """
    with uploaded_file(data, name) as path:
        result = import_codebook(ctx, path, replace=replace)
    # its warnings name the file as the coder knows it too (walk 51: "/tmp/qualcode-codebook-…/x.xlsx,
    # line 1: column 'Priority' not read")
    result["warnings"] = [w.replace(str(path), path.name, 1) if isinstance(w, str) and w.startswith(str(path))
                          else w for w in result.get("warnings", [])]
    return result


@contextlib.contextmanager
def uploaded_file(data: bytes, name: str) -> Iterator[Path]:
    """A codebook file uploaded in the app, as a path: ``data`` under its own file name (its
    suffix says YAML or .qdc) in a temporary folder removed afterwards; a CodebookError raised
    inside names the file as the user knows it, not the temporary copy.

    >>> with uploaded_file(upload.getvalue(), upload.name) as path:  # doctest: +SKIP
    ...     init_project("study", codebook=path)
    """
    import tempfile

    file_name = Path(name.replace("\\", "/")).name or "codebook.yaml"  # never a path from the browser
    if Path(file_name).suffix.lower() not in IMPORT_SUFFIXES:
        raise CodebookError(f"{file_name}: not a codebook file (.yaml, .yml, .qdc, .csv or .xlsx)",
                            hint="export the codebook as YAML or REFI-QDA .qdc, or save it as a spreadsheet "
                                 "with one row per code (columns name, definition, parent, examples), and import that")
    with tempfile.TemporaryDirectory(prefix="qualcode-codebook-") as tmp:
        path = Path(tmp) / file_name
        path.write_bytes(data)
        try:
            yield path
        except CodebookError as exc:
            if exc.file == str(path):
                exc.file = file_name
                exc.problems = [dataclasses.replace(p, file=file_name) if p.file == str(path) else p
                                for p in exc.problems]
            raise


def export_codebook(ctx: ProjectContext, path: str | Path, *, fmt: str | None = None,
                    include_retired: bool | None = None) -> Path:
    """Write the project's codebook as YAML (lossless), Markdown, Word (.docx), REFI-QDA
    ``.qdc`` or a spreadsheet (.csv, one row per code, as the import reads it back; retired codes
    left out); ``fmt`` defaults to the file's suffix. YAML keeps retired codes; the other
    formats leave them out unless ``include_retired``, except that Markdown and Word, which
    count each code's codings, keep a retired code that still has codings (said retired).

    >>> export_codebook(ctx, "appendix-codebook.docx")  # doctest: +SKIP
    """
    from qualcode.export import codebook_docs

    path = Path(path)
    fmt = (fmt or SUFFIX_FORMAT.get(path.suffix.lower(), "")).lower().lstrip(".")
    if fmt == "yml":
        fmt = "yaml"
    if fmt not in FORMATS:
        raise CodebookError(f"unknown codebook format {fmt or path.suffix!r}",
                            hint=f"use one of {', '.join(FORMATS)} (or a file ending .yaml, .md, .docx, .qdc, .csv)")
    if fmt == "csv":
        path.write_text(codebook_spreadsheet(ctx), encoding="utf-8")
        return path
    cb = get_codebook(ctx)
    if fmt == "yaml":
        if include_retired is False:
            cb = dataclasses.replace(cb, codes=cb.active())
        return codebook_io.write_yaml(cb, path)
    if fmt == "qdc":
        return codebook_io.write_qdc(cb, path, include_retired=bool(include_retired))
    usage = code_usage(ctx)
    if fmt == "md":
        return codebook_docs.write_markdown(cb, path, usage=usage, include_retired=bool(include_retired))
    return codebook_docs.write_docx(cb, path, usage=usage, include_retired=bool(include_retired))
