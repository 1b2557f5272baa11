"""The evaluation protocol and the real model (integration: real embedding model, loaded
once per session; a small slice of the talkmoves gold read from ../shared)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import make_document
from qualcode.cli import main
from qualcode.errors import SuggestError
from qualcode.services import suggest as service
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from qualcode.suggest.evaluate import evaluate, read_gold, split_documents

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def model():
    from qualcode.suggest.embedder import get_embedder

    return get_embedder()  # process-wide cache: loaded once


@pytest.fixture
def talkmoves_slice(shared_dir, tmp_path):
    """The first 70 rows of 4 talkmoves documents, as a gold file in tmp."""
    src = shared_dir / "datasets" / "talkmoves-dev"
    if not (src / "gold.csv").exists():
        pytest.skip("talkmoves-dev is not in ../shared")
    rows_by_doc: dict[str, list[dict]] = {}
    with (src / "gold.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows_by_doc.setdefault(r["document"], []).append(r)
    docs = sorted(rows_by_doc)[:4]
    out = tmp_path / "gold.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["document", "speaker", "text", "codes"])
        w.writeheader()
        for d in docs:
            w.writerows(rows_by_doc[d][:70])
    return out, src / "codebook.yaml"


def test_model_embeddings_are_normalised_and_similar_for_paraphrases(model):
    v = model.encode(["We trust each other.", "There is trust between us.", "The bus was late."])
    assert v.shape == (3, model.dim) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_evaluation_protocol_json_shape(talkmoves_slice, model):
    gold, codebook = talkmoves_slice
    res = evaluate(gold, codebook, budgets=[0, 20, 40], seed=0, embedder=model)
    assert res["n_pool"] + res["n_test"] == len(read_gold(gold)) and res["n_pool"] and res["n_test"]
    assert [b["reviewed"] for b in res["budgets"]] == [0, 20, 40]
    for b in res["budgets"]:
        assert {"reviewed", "macro_f1", "micro_f1", "baseline_macro_f1", "per_code"} <= set(b)
        assert 0.0 <= b["macro_f1"] <= 1.0 and 0.0 <= b["baseline_macro_f1"] <= 1.0
        for m in b["per_code"].values():
            assert set(m) == {"precision", "recall", "f1", "kappa", "support"}
            assert isinstance(m["support"], int)
    assert res["budgets"][0]["baseline_macro_f1"] == 0.0  # nothing to train on at budget 0
    assert sum(res["decisions"].values()) > 0
    assert {"embed", "simulate", "total"} <= set(res["timing_s"])
    json.dumps(res)  # JSON-ready


def test_split_is_by_document_and_seeded(talkmoves_slice):
    rows = read_gold(talkmoves_slice[0])
    pool, test = split_documents(rows, 0)
    assert {rows[i]["document"] for i in pool}.isdisjoint({rows[i]["document"] for i in test})
    assert list(split_documents(rows, 0)[0]) == list(pool)


def test_cli_evaluate_writes_json(talkmoves_slice, tmp_path, model):
    gold, codebook = talkmoves_slice
    out = tmp_path / "eval.json"
    r = CliRunner().invoke(main, ["evaluate", "--gold", str(gold), "--codebook", str(codebook),
                                  "--budgets", "0,20", "--json", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert [b["reviewed"] for b in data["budgets"]] == [0, 20]
    assert "macro-F1" in r.output


def test_gold_with_unknown_codes_is_refused(tmp_path, talkmoves_slice, model):
    bad = tmp_path / "bad.csv"
    bad.write_text("document,speaker,text,codes\nd,Teacher,Hello.,no_such_code\n", encoding="utf-8")
    with pytest.raises(SuggestError, match="not in the codebook"):
        evaluate(bad, talkmoves_slice[1], budgets=[0], embedder=model)


def test_suggest_with_the_real_model_uses_the_cache(project, model):
    service.set_embedder(None)
    turns = [("Interviewer", "interviewer", "How did the team build trust with the district?"),
             ("Ana", "participant", "We trusted each other because we met the same people at every convening."),
             ("Ana", "participant", "Our principals bought into the plan once they saw the exit ticket data."),
             ("Interviewer", "interviewer", "What got in the way?"),
             ("Ana", "participant", "Honestly there was never enough time, meetings got cancelled all spring.")]
    with project.session() as s:
        doc_id = doc_store.add_document(s, make_document("real", turns))
    n = service.suggest_document(project, doc_id)
    with project.session(readonly=True) as s:
        pend = coding_store.list_suggestions(s, status="pending")
        from qualcode.storage.cache import get_vectors

        cached = get_vectors(s, [__import__("qualcode.core", fromlist=["text_hash"]).text_hash(t) for _, _, t in turns],
                             model.model_id)
    assert n == len(pend) and n > 0
    assert len(cached) == len(turns)  # every excerpt embedded once and cached
    assert all(p.explanation.get("nearest") for p in pend)


def test_default_codebook_stays_quiet_on_an_unrelated_transcript(project, model):
    """A cooking-class interview (tests/data/unrelated): the default codebook does not fit it,
    so the cold rule's absolute floor keeps the suggestions to a handful (9 before the rule
    used absolute fit, 6 after), and each says it is unlikely (calibrated probability)."""
    from pathlib import Path

    from qualcode.services import ingest

    service.set_embedder(None)
    path = Path(__file__).parent / "data" / "unrelated" / "cooking_class.txt"
    ingest.ingest_paths(project, [path])
    n = service.suggest_all(project)
    with project.session(readonly=True) as s:
        pend = coding_store.list_suggestions(s, status="pending")
        n_excerpts = sum(len(doc_store.load_document(s, d["id"]).excerpts) for d in doc_store.list_documents(s))
    assert n_excerpts >= 20  # the interviewee's ~40 sentences
    assert n == len(pend) and len(pend) <= 6
    assert all(p.explanation["probability"] < 0.3 for p in pend)


def test_calibration_is_in_the_evaluation_json(talkmoves_slice, model):
    gold, codebook = talkmoves_slice
    res = evaluate(gold, codebook, budgets=[0, 40], seed=0, embedder=model)
    for b in res["budgets"]:
        cal = b["calibration"]
        assert {"ece", "ece_score", "ece_all", "n_shown", "reliability"} <= set(cal)
        assert len(cal["reliability"]) == 10 and sum(r["n"] for r in cal["reliability"]) == cal["n_shown"]
        assert 0.0 <= cal["ece"] <= 1.0
