"""``evaluate --live``: the protocol through a project database and the app's services agrees
with the in-memory protocol (the app shows what the engine learned). Real embedding model,
small slices of both dev sets read from ../shared."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.services.live_eval import evaluate_live, gold_documents
from qualcode.errors import SuggestError
from qualcode.suggest.evaluate import evaluate, read_gold, split_documents

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def model():
    from qualcode.suggest.embedder import get_embedder

    return get_embedder()


def _slice(shared_dir, tmp_path, name: str, docs: int, per: int):
    src = shared_dir / "datasets" / name
    if not (src / "gold.csv").exists():
        pytest.skip(f"{name} is not in ../shared")
    rows_by_doc: dict[str, list[dict]] = {}
    with (src / "gold.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows_by_doc.setdefault(r["document"], []).append(r)
    out = tmp_path / f"{name}.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["document", "speaker", "text", "codes"])
        w.writeheader()
        for d in sorted(rows_by_doc)[:docs]:
            w.writerows(rows_by_doc[d][:per])
    return out, src / "codebook.yaml"


def test_gold_rows_become_documents_whose_excerpts_are_the_rows(shared_dir, tmp_path):
    gold, _ = _slice(shared_dir, tmp_path, "talkmoves-dev", 2, 30)
    rows = read_gold(gold)
    docs, roles = gold_documents(rows)
    assert sorted(roles) == sorted({r["speaker"] for r in rows}) and len(set(roles.values())) == len(roles)
    seen = []
    for doc, idx in docs:
        doc.check_offsets()
        assert [e.text for e in doc.excerpts] == [rows[i]["text"] for i in idx]
        seen += idx
    assert sorted(seen) == list(range(len(rows)))


@pytest.mark.parametrize("name,docs,per", [("talkmoves-dev", 4, 45), ("disaster-dev", 6, 30)])
def test_live_agrees_with_in_memory_and_reports_the_session(shared_dir, tmp_path, model, name, docs, per):
    gold, codebook = _slice(shared_dir, tmp_path, name, docs, per)
    budgets = [0, 20, 40]
    mem = evaluate(gold, codebook, budgets=budgets, seed=0, embedder=model)
    live = evaluate_live(gold, codebook, budgets=budgets, seed=0, project_dir=tmp_path / "proj")
    assert live["mode"] == "live" and (live["n_pool"], live["n_test"]) == (mem["n_pool"], mem["n_test"])
    assert [b["reviewed"] for b in live["budgets"]] == [b["reviewed"] for b in mem["budgets"]]
    # The same engine on the same decisions: both coders review the same excerpts in the same
    # order, and the test half's stored suggestions come from the model the in-memory run
    # fitted (its id digests the decisions in training order), so the scores are the same.
    assert live["reviewed_rows"] == mem["reviewed_rows"] and len(mem["reviewed_rows"]) == budgets[-1]
    for a, b in zip(live["budgets"], mem["budgets"]):
        assert a["model_ids"] in ([], [b["model_id"]]), (a["reviewed"], a["model_ids"], b["model_id"])
        assert a["per_code"] == b["per_code"], a["reviewed"]
        assert abs(a["macro_f1"] - b["macro_f1"]) <= 0.02, (a["reviewed"], a["macro_f1"], b["macro_f1"])
        assert a["baseline_macro_f1"] == b["baseline_macro_f1"]  # the same baseline in both
        assert set(a["per_code"]) == set(b["per_code"])
    assert live["budgets"][0]["macro_f1"] == mem["budgets"][0]["macro_f1"]  # the cold suggestions stored
    assert live["session"] == mem["session"]  # what the coder was shown, the same in both paths
    (w,) = live["session"]
    assert w["from"] == 0 and w["to"] == 40 and 0.0 <= w["precision"] <= 1.0 and 0.0 <= w["recall"] <= 1.0
    assert w["accepted"] + w["rejected"] == w["shown"]
    assert sum(live["decisions"].values()) == w["shown"] + w["added"]
    json.dumps(live)
    assert (tmp_path / "proj" / "project.db").exists() or any((tmp_path / "proj").iterdir())


def test_live_in_transcript_order_agrees_with_in_memory(shared_dir, tmp_path, model):
    """``order="document"``: the coder of the app's default Transcript view, each pool document in
    turn, excerpt after excerpt; both paths review the same rows, in that order, and agree."""
    gold, codebook = _slice(shared_dir, tmp_path, "talkmoves-dev", 4, 45)
    rows = read_gold(gold)
    budgets = [0, 30, 60]
    mem = evaluate(gold, codebook, budgets=budgets, seed=0, embedder=model, order="document")
    live = evaluate_live(gold, codebook, budgets=budgets, seed=0, order="document", project_dir=tmp_path / "proj")
    assert mem["order"] == live["order"] == "document"
    pool, _ = split_documents(rows, 0)
    first = list(dict.fromkeys(rows[i]["document"] for i in pool))
    expect = sorted(pool.tolist(), key=lambda i: (first.index(rows[i]["document"]), i))[:60]
    assert mem["reviewed_rows"] == live["reviewed_rows"] == expect
    assert expect != sorted(expect, key=lambda i: rows[i]["text"])  # not some other order by chance
    for a, b in zip(live["budgets"], mem["budgets"]):
        assert a["model_ids"] in ([], [b["model_id"]]) and a["per_code"] == b["per_code"], a["reviewed"]
    assert live["session"] == mem["session"] and live["session"][0]["to"] == 60
    queue = evaluate(gold, codebook, budgets=[0, 60], seed=0, embedder=model)
    assert queue["reviewed_rows"] != expect  # the review queue takes another path
    with pytest.raises(SuggestError, match="review order"):
        evaluate(gold, codebook, budgets=[0], embedder=model, order="random")


def test_cli_evaluate_live(shared_dir, tmp_path, model):
    gold, codebook = _slice(shared_dir, tmp_path, "disaster-dev", 4, 20)
    out = tmp_path / "live.json"
    res = CliRunner().invoke(main, ["evaluate", "--gold", str(gold), "--codebook", str(codebook), "--budgets", "0,10",
                                    "--live", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "session excerpts" in res.output and json.loads(out.read_text())["mode"] == "live"
    res = CliRunner().invoke(main, ["evaluate", "--gold", str(gold), "--codebook", str(codebook),
                                    "--keep-project", str(tmp_path / "k")])
    assert res.exit_code != 0 and "--live" in res.output
    out2 = tmp_path / "doc.json"
    res = CliRunner().invoke(main, ["evaluate", "--gold", str(gold), "--codebook", str(codebook), "--budgets", "0,10",
                                    "--order", "document", "--json", str(out2)])
    assert res.exit_code == 0, res.output
    assert "session excerpts" in res.output and json.loads(out2.read_text())["order"] == "document"
