"""The demo project: the sample transcripts, the default codebook, first suggestions."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from qualcode.services.project import SAMPLE_DIR, init_project, open_context, project_status


def build_demo(
    target: str | Path,
    *,
    rebuild: bool = False,
    coder: str | None = None,
    progress: Callable[[str], None] | None = None,
    suggest_progress: Callable[[int, int], None] | None = None,
) -> str:
    """Create (or reuse) a demo project in ``target``; returns a one-line summary.

    ``progress`` gets one line per step; ``suggest_progress(done, total)`` follows the
    embedding of the excerpts (the long part on a new machine).
    """
    say = progress or (lambda _msg: None)
    target = Path(target)
    if rebuild and target.exists():
        shutil.rmtree(target)
    if (target / "project.db").exists():
        ctx = open_context(target, coder=coder)
        counts = project_status(ctx, verdicts=False)
        if counts["documents"]:
            return f"Demo project {target} is ready ({counts['documents']} documents); --rebuild starts over."
    else:
        ctx = init_project(target, coder=coder, name="Demo: improvement collaboration")
    say(f"Importing sample transcripts from {SAMPLE_DIR} ...")
    try:
        from qualcode.services import ingest as ingest_service
    except ImportError:  # ingest issue not landed
        ingest_service = None
    if ingest_service is not None and hasattr(ingest_service, "ingest_paths"):
        attrs = SAMPLE_DIR / "attributes.csv"
        ingest_service.ingest_paths(ctx, [SAMPLE_DIR], attributes=attrs if attrs.exists() else None)
    try:
        from qualcode.services import suggest as suggest_service
    except ImportError:
        suggest_service = None
    if suggest_service is not None and hasattr(suggest_service, "suggest_all"):
        say("Computing first suggestions with the local model ...")
        suggest_service.suggest_all(ctx, progress=suggest_progress)
    counts = project_status(ctx, verdicts=False)
    return (f"Demo project {target}: {counts['documents']} documents, {counts['excerpts']} excerpts, "
            f"{counts['suggestions']['pending']} pending suggestions.")
