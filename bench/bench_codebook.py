"""Codebook benchmark: validation, merge/split/undo on a large project, exports.

Run: .venv/bin/python bench/bench_codebook.py   (writes bench/results/codebook.json)

Builds a throwaway SQLite project with N excerpts, two coders' codings on two codes and
model suggestions, then times each codebook operation (each one transaction) and checks
that undo of a merge gives back exactly the rows it started with.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qualcode import codebook_io, services  # noqa: E402
from qualcode.core import Document, Excerpt, Role, Speaker, Suggestion, Turn  # noqa: E402
from qualcode.services import codebook as cbs  # noqa: E402
from qualcode.storage import coding as store  # noqa: E402
from qualcode.storage import documents, meta  # noqa: E402

N_EXCERPTS = 3000


def big_document(n: int) -> Document:
    text, turns, excerpts = "", [], []
    for i in range(n):
        if text:
            text += "\n"
        start = len(text)
        text += f"Participant {i % 7} said something about the team and the data, number {i}."
        turns.append(Turn(speaker="P", order=i, start=start, end=len(text)))
        excerpts.append(Excerpt(start=start, end=len(text), text=text[start:], turn_order=i, order=i))
    return Document(name="big", text=text, speakers=[Speaker("P", Role.PARTICIPANT)], turns=turns,
                    excerpts=excerpts)


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def rows(ctx):
    with ctx.session(readonly=True) as s:
        return (sorted((c.id, c.code_id, c.suggestion_id) for c in store.list_codings(s)),
                sorted((g.id, g.code_id, g.status.value) for g in store.list_suggestions(s)))


def main() -> dict:
    figures: dict = {"excerpts": N_EXCERPTS}
    _, figures["validate_default_codebook_s"] = timed(codebook_io.validate_file,
                                                      REPO / "codebooks" / "improvement-collaboration.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ctx = services.init_project(tmp / "p", coder="alice")
        with ctx.session() as s:
            doc_id = documents.add_document(s, big_document(N_EXCERPTS))
            ex = [e.id for e in documents.load_document(s, doc_id).excerpts]
            alice, bob = ctx.coder_id(s), meta.get_or_create_coder(s, "bob")
            for i, e in enumerate(ex):
                store.add_coding(s, e, "peer_learning" if i % 2 else "trust", alice)
                if i % 3 == 0:
                    store.add_coding(s, e, "peer_learning", bob)
                if i % 5 == 0:
                    store.add_coding(s, e, "trust", bob)
            store.upsert_suggestions(s, [Suggestion(excerpt_id=e, code_id=c, score=0.5 + (i % 10) / 20, model_id="m")
                                         for i, e in enumerate(ex) for c in ("trust", "peer_learning")])
        figures["codings"] = sum(cbs.code_usage(ctx).values())
        start = rows(ctx)
        summary, figures["merge_s"] = timed(cbs.merge_codes, ctx, "peer_learning", "trust")
        figures["merge_summary"] = summary
        _, figures["undo_merge_s"] = timed(cbs.undo_codebook, ctx)
        figures["undo_merge_exact"] = rows(ctx) == start
        _, figures["split_half_s"] = timed(cbs.split_code, ctx, "trust", {"id": "trust_b", "name": "Trust B",
                                                                          "definition": "Half."}, ex[::2])
        _, figures["undo_split_s"] = timed(cbs.undo_codebook, ctx)
        figures["undo_split_exact"] = rows(ctx) == start
        _, figures["rename_s"] = timed(cbs.rename_code, ctx, "trust", "Trust (renamed)")
        for fmt in ("yaml", "md", "docx", "qdc"):
            _, figures[f"export_{fmt}_s"] = timed(cbs.export_codebook, ctx, tmp / f"cb.{fmt}")
        _, figures["import_qdc_s"] = timed(cbs.import_codebook, ctx, tmp / "cb.qdc")
        _, figures["history_s"] = timed(cbs.codebook_history, ctx)
        ctx.close()
    return figures


if __name__ == "__main__":
    figs = main()
    for k, v in figs.items():
        print(f"{k:28} {v:.4f}" if isinstance(v, float) else f"{k:28} {v}")
    out = REPO / "bench" / "results" / "codebook.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figs, indent=2))
    print(f"wrote {out}")
