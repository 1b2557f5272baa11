"""Bring a colleague's work into the open project: a REFI-QDA ``.qdpx`` (from NVivo,
ATLAS.ti, MAXQDA, or another qualcode project) merged in, with a preview and one undo.

What is matched, so nothing is duplicated:

- documents by content (the text as stored) or by GUID (qualcode's source GUIDs are
  uuid5 of the content hash, so a second export of the same project matches either way);
  a document with the same GUID but other text is reported, not merged; a text that differs
  from a project document's only in white space (the final newline import drops, Windows line
  ends) is that document, its codings moved onto the project's offsets (walk 36: another
  program's source text of a transcript imported here became a second copy of it); a
  document added beside one of the same name is reported;
- codes by GUID, then by name (case-insensitive), then by id; other codes are added
  (under their parent when it is known);
- codings by excerpt, code, coder and span: the file's users become coders, and codings
  already in the project are skipped;
- memos by text, author and target.

Codings count for agreement: a qualcode file says which excerpts each coder reviewed; for
another program's file the ``reviews`` rule decides (see
:data:`qualcode.storage.exchange.REVIEW_RULES`).

The merge is one transaction and one audit event (``merge``), which
:func:`qualcode.services.team.undo` (``qualcode undo``) reverts as a whole.

>>> preview = merge_qdpx(ctx, "colleague.qdpx", dry_run=True)  # doctest: +SKIP
>>> merge_qdpx(ctx, "colleague.qdpx")["codings"]  # doctest: +SKIP
42
"""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path
from typing import IO, Any

from qualcode.core import Code, code_guid
from qualcode.core import commands as cmd
from qualcode.export import qdpx as qdpx_mod
from qualcode.services import commands as executor
from qualcode.services import export as export_svc
from qualcode.services.commands import Outcome, handles
from qualcode.services.project import ProjectContext
from qualcode.storage import codes as code_store
from qualcode.storage import documents as doc_store
from qualcode.storage import exchange, meta

MERGE = "merge"
_ORIGINS = ("manual", "suggestion", "imported", "consensus")


def merge_qdpx(ctx: ProjectContext, file: "str | Path | IO[bytes] | bytes", *, reviews: str = "documents",
               dry_run: bool = False) -> dict[str, Any]:
    """Merge a ``.qdpx`` into the open project; with ``dry_run`` nothing is written and the
    result is the preview (the same counts the merge would give).

    Returns ``{"file", "documents": {"matched", "added", "conflicts"}, "codes": {"matched",
    "added", "differ"}, "coders": {name: {"codings", "new"}}, "codings" (new), "already_there",
    "reviews" (new), "memos" (new), "problems", "left_out", "dry_run"}``.
    """
    export_svc._check_rule(reviews)
    raw, label = export_svc._read_source(file)
    data = export_svc.read_project_file(raw, label, project_dir=ctx.project_dir)
    try:
        summary = executor.execute(ctx, cmd.MergeWork(label=label, reviews=reviews, data=data, dry_run=dry_run))
    except export_svc.DryRun as preview:  # the executor rolled the merge back: nothing written
        return {**preview.summary, "dry_run": True}
    return {**summary, "dry_run": False}


def preview_merge(ctx: ProjectContext, file: "str | Path | IO[bytes] | bytes", *,
                  reviews: str = "documents") -> dict[str, Any]:
    """What :func:`merge_qdpx` would do, without writing anything."""
    return merge_qdpx(ctx, file, reviews=reviews, dry_run=True)


def _match_codes(s, data: qdpx_mod.ProjectData) -> tuple[dict[str, str], list[str], list[str], list[dict]]:
    """file code id -> project code id; (map, matched names, added names, differ). Adds new
    codes. ``differ``: the matched codes whose name or definition in the file is not this
    project's, ``{"file", "here", "name", "definition"}`` (walk 22: a colleague's rename and new
    definition were dropped for the project's without a word; the project's are kept)."""
    cb = code_store.load_codebook(s)
    mine = {c.id: c for c in cb.codes}
    differ: list[dict] = []
    by_guid = {(c.guid or code_guid(c.id)).lower(): c.id for c in cb.codes}
    by_name = {c.name.casefold(): c.id for c in cb.codes}
    ids = {c.id for c in cb.codes}
    order = code_store.max_sort_order(s)
    mapping: dict[str, str] = {}
    matched, added = [], []
    for c in data.codebook.codes:  # parents come before their children
        hit = by_guid.get((c.guid or code_guid(c.id)).lower()) or by_name.get(c.name.casefold())
        if hit is None and c.id in ids:
            hit = c.id
        if hit is not None:
            mapping[c.id] = hit
            matched.append(c.name)
            here = mine.get(hit)
            if here is not None:
                renamed = here.name.strip() != c.name.strip()
                redefined = bool((c.definition or "").strip()) and (c.definition or "").strip() != (here.definition or "").strip()
                if renamed or redefined:
                    differ.append({"file": c.name, "here": here.name, "name": renamed, "definition": redefined})
            continue
        new_id, n = c.id, 2
        while new_id in ids:
            new_id, n = f"{c.id}_{n}", n + 1
        order += 1
        code = Code(id=new_id, name=c.name, parent=mapping.get(c.parent) if c.parent else None,
                    codable=c.codable, definition=c.definition, include=c.include, exclude=c.exclude,
                    examples=c.examples, counterexamples=c.counterexamples, keywords=c.keywords,
                    color=c.color, retired=c.retired,
                    guid=c.guid if c.guid and c.guid.lower() not in by_guid else None)
        code_store.save_code(s, code, sort_order=order)
        ids.add(new_id)
        by_name[c.name.casefold()] = new_id
        mapping[c.id] = new_id
        added.append(new_id)
    return mapping, matched, added, differ


def _ink(text: str) -> str:
    """The text without its white space: what two copies of one transcript share however
    their line ends and final newline were written."""
    return "".join(text.split())


def whitespace_map(src: str, dst: str) -> list[int] | None:
    r"""Where each offset of ``src`` (0..len(src)) falls in ``dst``, when the two texts differ
    only in white space; else None. An offset on white space goes just after the character
    before it (a span's end stays on its last word; its start is cut to the excerpt anyway).

    >>> m = whitespace_map("Yes.\r\nNo.\n", "Yes.\nNo.")
    >>> [m[i] for i in (0, 4, 6, 9, 10)]
    [0, 4, 5, 8, 8]
    >>> whitespace_map("Yes.", "Yes!") is None
    True
    """
    out, j, after = [], 0, 0
    n = len(dst)
    for ch in src:
        if ch.isspace():
            out.append(after)
            continue
        while j < n and dst[j].isspace():
            j += 1
        if j >= n or dst[j] != ch:
            return None
        out.append(j)
        j += 1
        after = j
    while j < n and dst[j].isspace():
        j += 1
    if j != n:
        return None
    out.append(after)
    return out


def _merge(s, ctx: ProjectContext, data: qdpx_mod.ProjectData, *, label: str, rule: str) -> tuple[dict, dict]:
    me = ctx.coder_id(s)
    code_map, codes_matched, codes_added, codes_differ = _match_codes(s, data)
    # documents
    hashes = exchange.document_hashes(s)
    by_guid = {qdpx_mod.guid("source", h): i for h, i in hashes.items()}
    doc_of: dict[str, int] = {}
    moved: dict[str, list[int]] = {}  # file document -> its offsets in the project's copy (white space differs)
    matched, added, conflicts, added_ids = [], [], [], []
    problems = list(data.problems)
    project_docs: list[tuple[int, str, str]] | None = None
    by_ink: dict[str, list[tuple[int, str]]] = {}
    for d in data.documents:
        if d.content_hash in doc_of:
            continue
        if d.content_hash in hashes:
            doc_of[d.content_hash] = hashes[d.content_hash]
            matched.append(d.name)
            continue
        sg = data.source_guids.get(d.content_hash)
        if sg and sg in by_guid:
            conflicts.append(d.name)
            problems.append(f"{d.name}: the project has this document (same GUID) with other text; "
                            "its codings were left out")
            continue
        if project_docs is None:  # read once, and only when a file's document is not matched by hash
            project_docs = exchange.document_names_and_texts(s)
            for i, _n, t in project_docs:
                by_ink.setdefault(_ink(t), []).append((i, t))
        same = next(((i, m) for i, t in by_ink.get(_ink(d.text), [])
                     for m in [whitespace_map(d.text, t)] if m is not None), None)
        if same is not None:
            doc_of[d.content_hash], moved[d.content_hash] = same
            matched.append(d.name)
            continue
        if any(n.casefold() == d.name.casefold() for _i, n, _t in project_docs):
            problems.append(f"{d.name}: the project already has a document of this name with other text; the "
                            "file's was added beside it as another document (undo the merge to take it back)")
        doc_id = doc_store.add_document(s, d, coder_id=me)
        doc_of[d.content_hash] = doc_id
        added.append(d.name)
        added_ids.append(doc_id)

    def at(ch: str, start: int, end: int) -> tuple[int, int]:
        """A span of the file's document ``ch`` on the project's copy of it."""
        m = moved.get(ch)
        if m is None:
            return start, end
        last = len(m) - 1
        return m[min(max(start, 0), last)], m[min(max(end, 0), last)]
    spans = exchange.document_spans(s)
    ends = {d: [b for _a, b, _e, _o in lst] for d, lst in spans.items()}
    ordered = {d: all(x <= y for x, y in zip(e, e[1:])) for d, e in ends.items()}

    def pieces(doc_id: int, start: int, end: int) -> list[tuple[int, int, int]]:
        """(excerpt id, start, end) of the project's excerpts a span overlaps, clipped.
        Excerpts are sorted by start; when they do not overlap (ends sorted too) a
        bisection finds the first one."""
        lst, out = spans.get(doc_id, []), []
        i = bisect_right(ends[doc_id], start) if ordered.get(doc_id) else 0
        for a, b, eid, _o in (lst[k] for k in range(i, len(lst))):
            if a >= end:
                break
            lo, hi = max(a, start), min(b, end)
            if lo < hi:
                out.append((eid, lo, hi))
        return out

    # coders and codings
    coder_ids: dict[str, int] = {}

    def cid(name: str) -> int:
        if name not in coder_ids:
            coder_ids[name] = meta.get_or_create_coder(s, name)
        return coder_ids[name]

    rows: list[dict] = []
    per_coder: dict[str, dict[str, int]] = {}
    for c in data.codings:
        doc_id = doc_of.get(c.document)
        code_id = code_map.get(c.code_id)
        if doc_id is None or code_id is None:
            continue
        for eid, lo, hi in pieces(doc_id, *at(c.document, c.start, c.end)):
            rows.append({"excerpt_id": eid, "code_id": code_id, "coder_id": cid(c.coder), "start": lo, "end": hi,
                         "origin": c.origin if c.origin in _ORIGINS else "imported", "created_at": c.created_at,
                         "coder": c.coder})
    have_codings, seen = exchange.existing_codings(s), set()
    for r in rows:
        key = (r["excerpt_id"], r["code_id"], r["coder_id"], r["start"], r["end"])
        st = per_coder.setdefault(r["coder"], {"codings": 0, "new": 0})
        if key in seen:
            continue
        seen.add(key)
        st["codings"] += 1
        st["new"] += key not in have_codings
    new_ids, already = exchange.insert_codings(s, rows)
    # reviews
    file_docs = {d.content_hash: d for d in data.documents}
    if data.reviews is not None:
        pairs = set()
        for coder, per_doc in data.reviews.items():
            for ch, orders in per_doc.items():
                doc = file_docs.get(ch)
                if doc is None or ch not in doc_of:
                    continue
                span = {e.order: at(ch, e.start, e.end) for e in doc.excerpts}
                for o in orders:
                    pairs.update((eid, cid(coder)) for eid, _a, _b in pieces(doc_of[ch], *span[o]))
    else:
        pairs = exchange.review_pairs(s, {(r["excerpt_id"], r["coder_id"]) for r in rows}, rule)
    new_reviews = exchange.add_reviews(s, pairs)
    # memos
    have = exchange.existing_memos(s)
    coding_at = exchange.coding_ids(s) if any(m.coding for m in data.memos) else {}
    memo_ids = []
    left_out = list(data.left_out)
    for m in data.memos:
        doc_id = doc_of.get(m.document) if m.document else None
        if m.document and doc_id is None:  # its document was not brought in (other text here)
            left_out.append(f"memo {export_svc._short(m.text)}: its document was not brought in "
                            "(this project has it with other text)")
            continue
        ex, coding_id = None, None
        if doc_id is not None and m.coding is not None:  # a memo on a coding: on that coding
            c_code, c_coder, a, b = m.coding
            hits = pieces(doc_id, *at(m.document, a, b))
            if hits:
                ex = hits[0][0]
                coding_id = coding_at.get((ex, code_map.get(c_code), cid(c_coder), hits[0][1], hits[0][2]))
            if coding_id is None:
                problems.append(f"memo {export_svc._short(m.text)}: its coding was not brought in; "
                                "it was put on the excerpt")
        if ex is None and doc_id is not None and m.excerpt_order is not None:
            e = next((e for e in file_docs[m.document].excerpts if e.order == m.excerpt_order), None)
            hits = pieces(doc_id, *at(m.document, e.start, e.end)) if e is not None else []
            ex = hits[0][0] if hits else None
        code_id = code_map.get(m.code_id) if m.code_id else None
        key = (m.text, cid(m.coder), ex, doc_id if ex is None else None, code_id, coding_id)
        if key in have:
            continue
        have.add(key)
        memo_ids.append(exchange.add_memo_at(s, m.text, key[1], created_at=m.created_at, excerpt_id=ex,
                                             document_id=key[3], code_id=code_id, coding_id=coding_id))
    summary = {
        "file": label,
        "documents": {"matched": matched, "added": added, "conflicts": conflicts},
        "codes": {"matched": len(codes_matched), "added": codes_added, "differ": codes_differ},
        "coders": per_coder,
        "codings": len(new_ids), "already_there": already,
        "reviews": len(new_reviews), "review_rule": rule if data.reviews is None else "from the file",
        "memos": len(memo_ids),
        "problems": problems, "left_out": left_out,
    }
    record = {"documents_added": added_ids, "codes_added": codes_added, "coding_ids": new_ids,
              "reviews": [list(p) for p in new_reviews], "memo_ids": memo_ids,
              "counts": {"documents": len(added_ids), "codings": len(new_ids), "reviews": len(new_reviews),
                         "memos": len(memo_ids), "codes": len(codes_added)}}
    return summary, record


def revert(s, after: dict[str, Any]) -> None:
    """Take a ``merge`` event's changes back (inside the caller's transaction)."""
    exchange.remove_reviews(s, [tuple(p) for p in after.get("reviews", [])])
    exchange.delete_rows(s, codings=after.get("coding_ids", []), memos=after.get("memo_ids", []),
                         documents=after.get("documents_added", []))
    remaining = list(after.get("codes_added", []))
    while remaining:  # children before parents; a code someone has used since stays
        free = exchange.unreferenced_codes(s, remaining)
        if not free:
            break
        for cid in free:
            code_store.delete_code(s, cid)
        remaining = [c for c in remaining if c not in free]


@handles(cmd.MergeWork)
class _MergeWork:
    """A colleague's .qdpx merged in (run by :func:`merge_qdpx`); the one undo takes it back,
    and takes back codings merged from a spreadsheet (``services.export.import_codings``) too."""

    @staticmethod
    def apply(s, ctx, cid, c: cmd.MergeWork) -> Outcome:
        if c.data is None:
            raise TypeError("a merge needs the colleague's work (services.merge.merge_qdpx, "
                            "services.export.import_codings)")
        if c.kind == "codings":  # rows of a spreadsheet: (csv text, origin)
            text, origin = c.data
            summary, record = export_svc.merge_codings_in(s, ctx, text, label=c.label, origin=origin,
                                                          reviews=c.reviews, dry_run=c.dry_run)
            return Outcome(summary, c.label, None, record, entity="codings")
        summary, record = _merge(s, ctx, c.data, label=c.label, rule=c.reviews)
        if c.dry_run:
            raise export_svc.DryRun(summary)  # the preview: counts exactly, then roll back
        return Outcome(summary, c.label, None, record)

    @staticmethod
    def revert(s, ev, cid) -> None:
        revert(s, ev.after or {})
