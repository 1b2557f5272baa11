"""Benchmark live learning: how soon a decision reaches the stored suggestions the coder sees.

A 20-document project (the demo corpus from transcripts_sample/ plus generated interviews of
about 2,000 words each to reach 20), the default codebook, the real embedding model. A
coder works through the open document as the Code page does: each decision goes through
services.coding, then the app's hook (services.suggest.on_decision with the open document
and the next excerpt kept as it is). Measured per decision:

- ``hook``: the accept/reject call plus the hook, as the click's callback runs them (the
  click itself is measured in Chromium by bench_ui.py; target there <= 0.5 s);
- ``open_document``: until all the open document's stored pending suggestions (of unreviewed
  excerpts but the one kept) come from a model fitted on this decision (target: median <= 2 s);
- ``whole_project``: until every unreviewed excerpt is re-scored (no target; background).

Before the first decision the Code page's warm-up runs (``services.suggest.warm_up``: the
engine loaded and its learned features computed while the coder reads); ``--no-warm-up``
skips it (the first decision then pays the feature pass: ~15-40 s on 2 cores).

Run: .venv/bin/python bench/bench_live.py [--decisions N] [--no-warm-up] -> prints, writes bench/results/live.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qualcode import services  # noqa: E402
from qualcode.services import coding, ingest  # noqa: E402
from qualcode.services import suggest as suggest_svc  # noqa: E402
from qualcode.services.demo import build_demo  # noqa: E402
from qualcode.storage import coding as coding_store  # noqa: E402
from qualcode.storage import training  # noqa: E402
from tests.ui_helpers import long_turns  # noqa: E402

DOCS = 20
DECISIONS = int(sys.argv[sys.argv.index("--decisions") + 1]) if "--decisions" in sys.argv else 15
WARM = "--no-warm-up" not in sys.argv  # --no-warm-up: the first decision pays the feature pass


def build(target: Path) -> services.ProjectContext:
    build_demo(target, coder="alice")
    ctx = services.open_project(target, coder="alice")
    have = len(ingest.list_documents(ctx))
    for k in range(DOCS - have):
        turns = long_turns(2000, seed_=100 + k)
        text = "\n\n".join(f"{label}: {t}" for label, _role, t in turns)
        ingest.save_parsed(ctx, ingest.parse_bytes(text.encode("utf-8"), f"generated-{k:02d}.txt"))
    suggest_svc.suggest_all(ctx)
    return ctx


def _open_doc_model_ns(ctx, doc_id: int, keep: set[int]) -> set[int]:
    """The decision counts of the models behind the open document's pending suggestions on
    unreviewed excerpts (``keep``: the excerpt left as it is, in front of the coder)."""
    with ctx.session(readonly=True) as s:
        reviewed = training.reviewed_by(s, ctx.coder_id(s))
        return {suggest_svc.learned_from(sg.model_id)
                for sg in coding_store.list_suggestions(s, document_id=doc_id, status="pending")
                if sg.excerpt_id not in reviewed and sg.excerpt_id not in keep}


def main() -> None:
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ctx = build(Path(tmp) / "demo")
        build_s = time.perf_counter() - t0
        status = services.project_status(ctx)
        docs = ingest.list_documents(ctx)
        # The Code page, opened on the project, warms the engine up in the background while the
        # coder reads (model loaded, learned features computed): the first decision only fits.
        t0 = time.perf_counter()
        warmed = suggest_svc.warm_up(ctx) if WARM else False
        suggest_svc.wait_for_learning(ctx, timeout=600)
        warm_s = time.perf_counter() - t0
        print(f"warm-up (the Code page opened): {warm_s:.1f} s", flush=True)
        doc_id = max(docs, key=lambda d: d.get("excerpts", 0) if isinstance(d, dict) else 0)["id"]
        hooks, opens, wholes = [], [], []
        for k in range(DECISIONS):
            with ctx.session(readonly=True) as s:
                pend = coding_store.list_suggestions(s, document_id=doc_id, status="pending")
                reviewed = training.reviewed_by(s, ctx.coder_id(s))
            pend = [p for p in pend if p.excerpt_id not in reviewed]
            if not pend:
                break
            sg = pend[0]
            nxt = next((p.excerpt_id for p in pend if p.excerpt_id != sg.excerpt_id), None)
            t0 = time.perf_counter()
            (coding.accept_suggestion if k % 2 == 0 else coding.reject_suggestion)(ctx, sg.id)
            suggest_svc.on_decision(ctx, document_id=doc_id, exclude=[nxt] if nxt else [])
            hooks.append(time.perf_counter() - t0)
            with ctx.session(readonly=True) as s:
                n = len(training.coder_labels(s, ctx.coder_id(s)))
            while _open_doc_model_ns(ctx, doc_id, {nxt}) - {n}:  # every one of them re-scored
                if time.perf_counter() - t0 > 120:
                    raise SystemExit(f"decision {k}: the open document never got a model fitted on {n} decisions")
                time.sleep(0.02)
            opens.append(time.perf_counter() - t0)
            suggest_svc.wait_for_learning(ctx, timeout=300)
            wholes.append(time.perf_counter() - t0)
            print(f"decision {k + 1:>2}: hook {hooks[-1]:.3f} s, open document {opens[-1]:.2f} s, "
                  f"whole project {wholes[-1]:.2f} s")
        ctx.close()
    med_open = statistics.median(opens)
    result = {
        "project": {"documents": status["documents"], "excerpts": status["excerpts"],
                    "pending_suggestions": status["suggestions"]["pending"], "build_s": round(build_s, 1)},
        "warm_up": {"started": warmed, "seconds": round(warm_s, 1)},
        "first_decision_open_document_s": round(opens[0], 3),
        "decisions": len(opens),
        "hook_s": {"median": round(statistics.median(hooks), 4), "max": round(max(hooks), 4)},
        "open_document_s": {"median": round(med_open, 3), "max": round(max(opens), 3),
                            "all": [round(x, 3) for x in opens]},
        "whole_project_s": {"median": round(statistics.median(wholes), 3), "max": round(max(wholes), 3)},
        "target": {"open_document_median_s": 2.0, "met": med_open <= 2.0},
        "load_avg_before": [round(x, 2) for x in load0],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print(json.dumps({k: v for k, v in result.items() if k != "open_document_s"}, indent=1))
    print(f"open document: median {med_open:.2f} s (target <= 2 s)")
    out = REPO / "bench" / "results" / "live.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
