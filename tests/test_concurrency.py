"""Four coders writing 500 decisions each at the same time, as threads and as separate
processes, on SQLite and on PostgreSQL: all 2,000 stored, none duplicated, no error."""

from __future__ import annotations

import multiprocessing as mp
import random
import threading
import time
import traceback

import pytest

from qualcode import services
from qualcode.core import Suggestion
from qualcode.services import coding
from qualcode.storage import codes as code_store
from qualcode.storage import coding as store
from qualcode.storage import documents
from tests.conftest import make_document
from tests.pg_helpers import db_url, pg_server  # noqa: F401

CODERS = ("ana", "ben", "cleo", "dev")
EXCERPTS = 125
CODES_PER_EXCERPT = 4  # 125 x 4 = 500 decisions per coder
MODEL = "concurrency-test"


def prepare(url: str) -> list[tuple[str, int, str, int | None]]:
    """Create the project; return the shared plan: (kind, excerpt_id, code_id, suggestion_id).

    Every coder makes the same 500 decisions (in their own order) so they collide on the
    same excerpts and suggestions: one code is accepted from a stored suggestion, the
    others are coded by hand.
    """
    ctx = services.init_project(None, db_url=url, coder="lead")
    try:
        turns = [("P", "participant", f"Excerpt {i}: we looked at the data together and it helped.")
                 for i in range(EXCERPTS)]
        with ctx.session() as s:
            doc_id = documents.add_document(s, make_document("shared", turns))
            ex = documents.load_document(s, doc_id).excerpts
            codes = [c.id for c in code_store.load_codebook(s).codable_codes()][:CODES_PER_EXCERPT]
            store.upsert_suggestions(s, [Suggestion(excerpt_id=e.id, code_id=codes[0], score=0.9, model_id=MODEL)
                                         for e in ex])
            sid = {sg.excerpt_id: sg.id for sg in store.list_suggestions(s)}
    finally:
        ctx.close()
    plan = []
    for e in ex:
        plan.append(("accept", e.id, codes[0], sid[e.id]))
        plan.extend(("code", e.id, c, None) for c in codes[1:])
    return plan


def decide_all(ctx, plan, seed: int) -> tuple[int, list[str]]:
    """Make every decision of the plan in a coder-specific order; errors are collected."""
    order = list(plan)
    random.Random(seed).shuffle(order)
    done, errors = 0, []
    for kind, excerpt_id, code_id, suggestion_id in order:
        try:
            if kind == "accept":
                coding.accept_suggestion(ctx, suggestion_id)
            else:
                coding.add_coding(ctx, excerpt_id, code_id)
            done += 1
        except Exception:  # the test fails on any error a coder would have seen
            errors.append(traceback.format_exc(limit=3))
    return done, errors


def _process_worker(url: str, name: str, plan, seed: int, barrier, results) -> None:
    try:
        ctx = services.open_project(None, db_url=url, coder=name)
        barrier.wait(timeout=120)
        try:
            results.put((name, *decide_all(ctx, plan, seed)))
        finally:
            ctx.close()
    except Exception:
        results.put((name, 0, [traceback.format_exc()]))


def run_threads(url: str, plan) -> dict[str, tuple[int, list[str]]]:
    ctx = services.open_project(None, db_url=url, coder="lead")
    out: dict[str, tuple[int, list[str]]] = {}
    barrier = threading.Barrier(len(CODERS))

    def work(i: int, name: str) -> None:
        barrier.wait()
        out[name] = decide_all(ctx.as_coder(name), plan, i)

    threads = [threading.Thread(target=work, args=(i, n)) for i, n in enumerate(CODERS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        ctx.close()
    return out


def run_processes(url: str, plan) -> dict[str, tuple[int, list[str]]]:
    mpc = mp.get_context("spawn")
    barrier, results = mpc.Barrier(len(CODERS)), mpc.Queue()
    procs = [mpc.Process(target=_process_worker, args=(url, n, plan, i, barrier, results))
             for i, n in enumerate(CODERS)]
    for p in procs:
        p.start()
    out = {}
    for _ in procs:
        name, done, errors = results.get(timeout=300)
        out[name] = (done, errors)
    for p in procs:
        p.join(timeout=60)
    return out


def check(url: str, plan, outcome: dict[str, tuple[int, list[str]]]) -> None:
    errors = [e for _, errs in outcome.values() for e in errs]
    assert not errors, f"{len(errors)} errors, first:\n{errors[0]}"
    assert {n: d for n, (d, _) in outcome.items()} == {n: len(plan) for n in CODERS}
    ctx = services.open_project(None, db_url=url, coder="lead")
    try:
        with ctx.session(readonly=True) as s:
            codings = store.list_codings(s)
            reviewed = {n: len(store.reviewed_excerpts(s, coder_id=i)) for i, n in
                        ((ctx.as_coder(n).coder_id(s), n) for n in CODERS)}
    finally:
        ctx.close()
    keys = [(c.excerpt_id, c.code_id, c.coder) for c in codings]
    assert len(keys) == len(CODERS) * len(plan) == 2000
    assert len(set(keys)) == len(keys), "duplicated codings"
    for n in CODERS:
        assert sum(1 for k in keys if k[2] == n) == 500
        assert reviewed[n] == EXCERPTS


def _team_audit(url):
    from qualcode.services import team

    ctx = services.open_project(None, db_url=url, coder="lead")
    try:
        return team.audit_log(ctx, action=["accept", "code"])
    finally:
        ctx.close()


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_four_coders_at_once(db_url, mode):  # noqa: F811
    plan = prepare(db_url)
    assert len(plan) == EXCERPTS * CODES_PER_EXCERPT == 500
    t0 = time.perf_counter()
    outcome = run_threads(db_url, plan) if mode == "threads" else run_processes(db_url, plan)
    elapsed = time.perf_counter() - t0
    check(db_url, plan, outcome)
    events = _team_audit(db_url)
    assert len(events) == 2000 and len({(e["coder"], e["entity"], e["entity_id"]) for e in events}) == 2000
    print(f"{mode} on {db_url.split(':')[0]}: 2000 decisions in {elapsed:.1f}s")
