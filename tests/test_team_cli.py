"""Team commands end to end: agreement --json, disagreements, resolve, audit, undo, coders, settings."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from qualcode.cli import main
from qualcode.services import coding
from qualcode.storage import documents
from tests.conftest import make_document
from tests.team_helpers import seed_two_coders


def _run(project, *args, coder="alice"):
    r = CliRunner().invoke(main, ["--project", str(project.project_dir), "--coder", coder, *args])
    return r


def _seed(project):
    return seed_two_coders(project)


def test_agreement_json_has_the_documented_keys(project):
    _seed(project)
    r = _run(project, "agreement", "--coders", "alice,bob", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    for figures in [data["overall"], *data["codes"].values()]:
        assert {"units", "percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha"} <= set(figures)
    assert data["codes"]["trust"]["units"] == 2 and data["codes"]["trust"]["percent_agreement"] == 1.0
    one = json.loads(_run(project, "agreement", "--code", "buy_in", "--json").output)
    assert list(one["codes"]) == ["buy_in"] and one["codes"]["buy_in"]["cohen_kappa"] == 0.0
    text = _run(project, "agreement", "--level", "character")
    assert text.exit_code == 0 and "OVERALL" in text.output and "characters" in text.output
    # bob coded after alice with independent coding off: not blind, in the JSON and in words (walk 29)
    assert data["blind"] == {"compared": 2, "open": 2, "independent": False}
    assert "Not a blind comparison: on 2 of the 2 excerpts" in text.output
    assert "qualcode settings independent on" in text.output


def test_agreement_with_one_coder_is_one_clear_line(project):
    with project.session() as s:
        doc_id = documents.add_document(s, make_document())
        ex = documents.load_document(s, doc_id).excerpts
    coding.add_coding(project, ex[1].id, "trust")
    r = _run(project, "agreement")
    assert r.exit_code == 1 and "two coders" in r.output and "Traceback" not in r.output
    r = _run(project, "agreement", "--coders", "alice,nobody")
    assert r.exit_code == 1 and "no coder 'nobody'" in r.output


def test_disagreements_resolve_audit_undo(project, tmp_path):
    ex = _seed(project)
    r = _run(project, "disagreements")
    assert r.exit_code == 0 and f"[{ex[2].id}]" in r.output and f"[{ex[1].id}]" not in r.output
    items = json.loads(_run(project, "disagreements", "--json").output)
    assert items[0]["coders"] == {"alice": ["buy_in"], "bob": []}
    r = _run(project, "resolve", str(ex[2].id), "--none", coder="bob")
    assert r.exit_code == 0 and "no code" in r.output, r.output
    assert "No open disagreements" in _run(project, "disagreements").output
    assert _run(project, "resolve", str(ex[2].id)).exit_code == 2  # neither codes nor --none
    events = json.loads(_run(project, "audit", "--json", "--action", "consensus").output)
    assert events[0]["coder"] == "bob"
    out = tmp_path / "audit.csv"
    r = _run(project, "audit", "--csv", str(out), "--coder", "bob")
    assert r.exit_code == 0 and out.exists()
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {row["coder"] for row in rows} == {"bob"} and rows[-1]["action"] == "consensus"
    assert "consensus" in _run(project, "audit").output
    r = _run(project, "undo", coder="bob")
    assert r.exit_code == 0 and "Undid consensus" in r.output
    r = _run(project, "undo", "5", coder="bob")
    assert r.output.count("Undid") == 2  # bob's review and coding; nothing undone twice
    assert "Nothing to undo" in _run(project, "undo", coder="bob").output


def test_coders_and_independent_setting(project):
    _seed(project)
    rows = json.loads(_run(project, "coders", "--json").output)
    assert {r["coder"]: r["codings"] for r in rows} == {"alice": 2, "bob": 1}
    assert "Independent coding is off" in _run(project, "settings", "independent").output
    assert "is on" in _run(project, "settings", "independent", "on").output
    assert "is on" in _run(project, "settings", "independent").output


def test_agreement_lists_the_codes_the_page_lists_and_names_the_others(project):
    """Walk 34: `qualcode agreement` listed codes nobody applied as "100% n/a" rows, which the
    Agreement page leaves out (they agree trivially and are not pooled in the overall figures).
    Both list the same rows; the CLI names the codes left out, as the page does."""
    from qualcode.services import team

    _seed(project)
    result = team.agreement(project, coders=["alice", "bob"])
    used, unused = team.used_codes_only(result)
    assert unused and set(used["codes"]) | set(unused) == set(result["codes"])
    r = _run(project, "agreement", "--coders", "alice,bob")
    assert r.exit_code == 0, r.output
    rows = [line.split()[0] for line in r.output.splitlines()[2:] if line.startswith("  ") and " vs " not in line]
    assert rows[:-1] == list(used["codes"]) and rows[-1] == "OVERALL"
    assert "n/a" not in r.output.split("OVERALL")[0]
    assert (f"Not listed: {len(unused)} codes that none of these coders applied to these excerpts (they agree "
            f"trivially and are left out of OVERALL too): {', '.join(unused)}.") in " ".join(r.output.split())
