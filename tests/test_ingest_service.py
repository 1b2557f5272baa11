"""Ingest service: batches, duplicates, attributes, roles, de-identification, atomicity, CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from qualcode import services
from qualcode.cli import main
from qualcode.core import Suggestion
from qualcode.services import coding
from qualcode.services import ingest as svc
from qualcode.storage import coding as coding_store
from tests.conftest import REPO, SAMPLES
from tests.ingest_helpers import BROKEN, GOOD


def check_stored_offsets(ctx, doc_id):
    d = svc.show_document(ctx, doc_id)
    for t in d["turns"]:
        assert d["text"][t["start"]:t["end"]] == t["text"]
    for e in d["excerpts"]:
        assert d["text"][e["start"]:e["end"]] == e["text"]
    return d


# --- batches ------------------------------------------------------------------------------------

def test_batch_with_bad_files_imports_the_good_ones(project):
    report = svc.ingest_paths(project, [GOOD / "labels.txt", BROKEN / "no_time.vtt", BROKEN / "empty.txt",
                                        GOOD / "zoom.vtt"])
    status = [(r.file.rsplit("/", 1)[-1], r.status) for r in report.results]
    assert status == [("labels.txt", "ok"), ("no_time.vtt", "failed"), ("empty.txt", "failed"), ("zoom.vtt", "ok")]
    failed = report.results[1]
    assert failed.document_id is None and "line 3" in failed.message and "no_time.vtt" in failed.message
    assert services.project_status(project)["documents"] == 2
    assert report.counts() == {"ok": 2, "skipped": 0, "failed": 2}


def test_folder_skips_sidecars_and_other_extensions(project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("labels.txt", "zoom.vtt", "sidecar.csv"):
        shutil.copy(GOOD / name, folder / name)
    (folder / "notes.json").write_text("{}", encoding="utf-8")
    (folder / ".hidden.txt").write_text("Q: hidden?", encoding="utf-8")
    report = svc.ingest_paths(project, [folder])
    by = {r.file.rsplit("/", 1)[-1]: r for r in report.results}
    assert set(by) == {"labels.txt", "zoom.vtt", "sidecar.csv", "notes.json"}
    assert by["sidecar.csv"].status == "skipped" and "attributes" in by["sidecar.csv"].message
    assert by["notes.json"].status == "skipped"
    assert report.counts()["ok"] == 2 and not report.failed


def test_glob_and_missing_file(project):
    report = svc.ingest_paths(project, [str(GOOD / "*.srt"), GOOD / "nope.txt"])
    names = sorted(r.file.rsplit("/", 1)[-1] for r in report.results if r.status == "ok")
    assert names == ["dash.srt", "labels.srt", "nolabel.srt"]
    assert [r.status for r in report.results if r.file.endswith("nope.txt")] == ["failed"]


def test_duplicate_is_skipped_unless_replace(project):
    first = svc.ingest_paths(project, [GOOD / "zoom.vtt"]).results[0]
    again = svc.ingest_paths(project, [GOOD / "zoom.vtt"]).results[0]
    assert again.status == "skipped" and again.document_id == first.document_id
    assert "already imported" in again.message
    replaced = svc.ingest_paths(project, [GOOD / "zoom.vtt"], replace=True).results[0]
    assert replaced.status == "ok"
    assert [d["id"] for d in svc.list_documents(project)] == [replaced.document_id]
    assert services.project_status(project)["turns"] == 2  # the old copy's rows are gone


def test_deidentified_then_plain_import_of_same_file_is_a_duplicate(project):
    svc.ingest_paths(project, [GOOD / "labels.txt"], deidentify=True)
    again = svc.ingest_paths(project, [GOOD / "labels.txt"]).results[0]
    assert again.status == "skipped"


def test_demo_style_folder_with_its_own_attributes_file(project, tmp_path):
    folder = tmp_path / "sample"
    folder.mkdir()
    for name in ("labels.txt", "zoom.vtt"):
        shutil.copy(GOOD / name, folder / name)
    shutil.copy(GOOD / "sidecar.csv", folder / "attributes.csv")
    report = svc.ingest_paths(project, [folder], attributes=folder / "attributes.csv", attrs={"wave": "1"})
    assert report.counts() == {"ok": 2, "skipped": 1, "failed": 0}
    docs = {d["name"]: d for d in svc.list_documents(project)}
    assert docs["labels"]["attributes"] == {"district": "Riverside Unified", "year": "2021", "date": "2021-03-04",
                                            "format": "interview", "wave": "1"}
    d = svc.show_document(project, "labels")
    assert d["attribute_types"]["year"] == "integer" and d["attribute_types"]["date"] == "date"
    assert d["attribute_types"]["district"] == "text"


def test_speaker_attributes_from_sidecar(project, tmp_path):
    car = tmp_path / "attrs.csv"
    car.write_text("file,speaker,position\nzoom.vtt,Anh Tran,team lead\nzoom.vtt,,\n", encoding="utf-8")
    svc.ingest_paths(project, [GOOD / "zoom.vtt"], attributes=car)
    sp = {s["label"]: s for s in svc.show_document(project, "zoom")["speakers"]}
    assert sp["Anh Tran"]["attributes"] == {"position": "team lead"}


def test_progress_callback(project):
    calls = []
    svc.ingest_paths(project, [GOOD / "zoom.vtt", GOOD / "teams.vtt"], progress=lambda *a: calls.append(a))
    assert [c[:2] for c in calls] == [(0, 2), (1, 2), (2, 2)]


# --- show / list / edit ------------------------------------------------------------------------

def test_show_document_keys_and_turn_unit(project):
    svc.ingest_paths(project, [GOOD / "zoom.vtt"], unit="turn")
    d = check_stored_offsets(project, "zoom")
    assert {"id", "name", "format", "text", "turns", "excerpts", "speakers", "attributes"} <= set(d)
    t = d["turns"][0]
    assert set(t) >= {"speaker", "role", "start", "end", "start_ms", "end_ms", "text"}
    assert (t["speaker"], t["role"], t["start_ms"], t["end_ms"]) == ("Facilitator", "facilitator", 1000, 7000)
    assert set(d["excerpts"][0]) >= {"id", "start", "end", "text"}
    assert [e["text"] for e in d["excerpts"]] == [t["text"] for t in d["turns"]]


def test_interviewer_excerpts_stored_but_not_codable_then_role_change(project):
    doc_id = svc.ingest_paths(project, [GOOD / "otter.txt"]).document_ids[0]
    d = svc.show_document(project, doc_id)
    assert all(e["codable"] for e in d["excerpts"])  # Speaker 1/2: unknown -> codable
    n = svc.set_speaker_role(project, doc_id, "Speaker 1", "interviewer")
    d = svc.show_document(project, doc_id)
    assert {e["speaker"]: e["codable"] for e in d["excerpts"]} == {"Speaker 1": False, "Speaker 2": True}
    assert n == sum(e["codable"] for e in d["excerpts"])
    assert d["turns"][0]["role"] == "interviewer"
    with pytest.raises(Exception, match="unknown role"):
        svc.set_speaker_role(project, doc_id, "Speaker 1", "boss")


def test_project_codable_roles(project):
    doc_id = svc.ingest_paths(project, [GOOD / "zoom.vtt"]).document_ids[0]
    svc.set_codable_roles(project, ["participant", "facilitator"])
    assert all(e["codable"] for e in svc.show_document(project, doc_id)["excerpts"])
    assert svc.codable_roles(project) == ("participant", "facilitator")
    # new imports follow the project's choice
    doc2 = svc.ingest_paths(project, [GOOD / "teams.vtt"]).document_ids[0]
    assert all(e["codable"] for e in svc.show_document(project, doc2)["excerpts"])


def test_edit_attributes_typed(project):
    doc_id = svc.ingest_paths(project, [GOOD / "zoom.vtt"]).document_ids[0]
    svc.set_document_attribute(project, doc_id, "year", 2021, "integer")
    svc.set_document_attribute(project, doc_id, "date", "2021-03-04", "date")
    with pytest.raises(Exception, match="not a whole number"):
        svc.set_document_attribute(project, doc_id, "year", "twenty", "integer")
    with pytest.raises(Exception, match="not a date"):
        svc.set_document_attribute(project, doc_id, "date", "March", "date")
    svc.set_speaker_attribute(project, doc_id, "Anh Tran", "grade", "9", "integer")
    d = svc.show_document(project, doc_id)
    assert d["attributes"] == {"year": "2021", "date": "2021-03-04"}
    assert d["speakers"][1]["attributes"] == {"grade": "9"}


def test_edits_audit_the_value_before(project):
    from qualcode.storage import audit

    doc_id = svc.ingest_paths(project, [GOOD / "zoom.vtt"]).document_ids[0]
    svc.set_document_attribute(project, doc_id, "year", 2021, "integer")
    svc.set_document_attribute(project, doc_id, "year", 2022, "integer")
    role = svc.show_document(project, doc_id)["speakers"][0]
    svc.set_speaker_role(project, doc_id, role["label"], "participant")
    with project.session(readonly=True) as s:
        attrs = [(e.before, e.after) for e in reversed(audit.list_events(s, action="set_attribute"))]
        roles = [(e.before, e.after) for e in audit.list_events(s, action="set_role")]
    assert attrs == [(None, {"year": "2021", "type": "integer"}),
                     ({"year": "2021"}, {"year": "2022", "type": "integer"})]
    assert roles == [({"role": role["role"]}, {"role": "participant"})]


def test_parse_then_save_parsed(project):
    parsed = svc.parse_bytes((GOOD / "teams.vtt").read_bytes(), "teams.vtt")
    assert services.project_status(project)["documents"] == 0  # preview saves nothing
    doc_id = svc.save_parsed(project, parsed, attributes={"year": "2020"})
    assert svc.show_document(project, doc_id)["attributes"] == {"year": "2020"}
    with pytest.raises(svc.AlreadyImported):
        svc.save_parsed(project, parsed)


# --- de-identification ------------------------------------------------------------------------

def test_deidentify_at_import_replaces_names_and_variants(project):
    report = svc.ingest_paths(project, [GOOD / "labels.txt"], deidentify=True, names=GOOD / "names.txt")
    r = report.results[0]
    d = check_stored_offsets(project, r.document_id)
    assert "maria" not in d["text"].lower() and "lopez" not in d["text"].lower()
    assert {s["label"] for s in d["speakers"]} == {"Interviewer", "Participant 1"}
    assert d["deidentified"] is True
    assert r.deidentification["replacements"] == 3  # the three turns' labels in the text
    assert r.deidentification["speakers"] == {"Maria Lopez": "Participant 1"}
    key = {k["real"]: k["pseudonym"] for k in svc.pseudonym_key(project)}
    assert key["Riverside Unified"] == "District A" and key["Lincoln Elementary"] == "School Z"
    assert key["Mari"] == "Participant 1"


def test_pseudonyms_are_consistent_across_documents(project, tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("Interviewer: Hi.\nMaria Lopez: I work with Ben Okoro in Riverside Unified.\n", encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text("Interviewer: Hi.\nBen Okoro: Maria's team and mine meet in Riverside USD. Ben's idea.\n",
                 encoding="utf-8")
    names = ["Ben Okoro", "district: Riverside Unified, Riverside USD"]
    svc.ingest_paths(project, [a], deidentify=True, names=names)
    svc.ingest_paths(project, [b], deidentify=True, names=names)
    ta = svc.show_document(project, "a")["text"]
    tb = svc.show_document(project, "b")["text"]
    # listed names get pseudonyms first (Ben Okoro), then speakers in order of appearance
    assert "Participant 2: I work with Participant 1 in District A." in ta
    assert "Participant 1: Participant 2's team and mine meet in District A. Participant 1's idea." in tb


def test_common_word_names_only_replaced_when_capitalised(project, tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("Interviewer: Hi.\nWill Baker: I will ask Will tomorrow.\n", encoding="utf-8")
    svc.ingest_paths(project, [f], deidentify=True)
    assert "I will ask Participant 1 tomorrow." in svc.show_document(project, "c")["text"]


def test_key_is_not_in_documents_listing_or_show(project):
    svc.ingest_paths(project, [GOOD / "labels.txt"], deidentify=True)
    shown = json.dumps([svc.show_document(project, d["id"]) for d in svc.list_documents(project)])
    assert "Maria" not in shown and "Lopez" not in shown


def test_later_deidentification_keeps_codings_and_suggestions(project):
    doc_id = svc.ingest_paths(project, [GOOD / "labels.txt"]).document_ids[0]
    d = svc.show_document(project, doc_id)
    target = next(e for e in d["excerpts"] if "Exit tickets" in e["text"])
    coding_id = coding.add_coding(project, target["id"], "trust")
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=target["id"], code_id="trust", score=0.9,
                                                       model_id="m")])
    before_ids = [e["id"] for e in d["excerpts"]]
    report = svc.deidentify_document(project, doc_id, names=["district: Riverside Unified"])
    assert report["speakers"] == {"Maria Lopez": "Participant 1"}
    after = check_stored_offsets(project, doc_id)
    assert [e["id"] for e in after["excerpts"]] == before_ids
    assert "Maria" not in after["text"] and "MARIA" not in after["text"]
    assert after["turns"][1]["speaker"] == "Participant 1"
    new_target = next(e for e in after["excerpts"] if e["id"] == target["id"])
    with project.session(readonly=True) as s:
        c = coding_store.get_coding(s, coding_id)
        assert (c.start, c.end) == (new_target["start"], new_target["end"])
        assert coding_store.list_suggestions(s) and coding_store.list_suggestions(s)[0].excerpt_id == target["id"]
    # the same person in a later import gets the same pseudonym
    svc.ingest_paths(project, [GOOD / "bold.docx"], deidentify=True)
    assert "Participant 1: The monthly data meetings." in svc.show_document(project, "bold")["text"]


def test_export_key_only_when_asked(project, tmp_path):
    svc.ingest_paths(project, [GOOD / "labels.txt"], deidentify=True)
    out = tmp_path / "key.csv"
    assert svc.export_key(project, out) == 1
    assert "Maria Lopez,Participant 1" in out.read_text(encoding="utf-8")


# --- atomicity ----------------------------------------------------------------------------------

def test_failure_inside_the_transaction_leaves_nothing(project, monkeypatch):
    from qualcode.storage import documents

    real = documents.add_document

    def half(s, doc, **kw):
        real(s, doc, **kw)
        raise RuntimeError("disk full")

    monkeypatch.setattr(documents, "add_document", half)
    report = svc.ingest_paths(project, [GOOD / "zoom.vtt"], deidentify=True)
    assert report.results[0].status == "failed" and "disk full" in report.results[0].message
    status = services.project_status(project)
    assert (status["documents"], status["turns"], status["excerpts"]) == (0, 0, 0)
    assert svc.pseudonym_key(project) == []  # the new key rows rolled back too


KILLER = textwrap.dedent("""
    import os, signal, sys
    from qualcode import services
    from qualcode.services import ingest as svc
    from qualcode.storage import documents

    real = documents.add_document

    def add_then_die(s, doc, **kw):
        doc_id = real(s, doc, **kw)        # rows written, transaction still open
        if doc.source_filename == "big.txt":
            s.flush()
            print("WRITING", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return doc_id

    documents.add_document = add_then_die
    ctx = services.open_project(sys.argv[1], coder="crash")
    svc.ingest_paths(ctx, sys.argv[2:])
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_process_killed_mid_import_leaves_project_consistent(project, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("".join(f"Interviewer: Question {i}?\nAna Ruiz: Answer {i}. We met and planned.\n"
                           for i in range(800)), encoding="utf-8")
    pdir = str(project.project_dir)
    project.close()
    proc = subprocess.run([sys.executable, "-c", KILLER, pdir, str(GOOD / "zoom.vtt"), str(big)],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "WRITING" in proc.stdout
    ctx = services.open_project(pdir, coder="alice")
    try:
        docs = svc.list_documents(ctx)
        assert [d["source_filename"] for d in docs] == ["zoom.vtt"]  # committed before the crash
        status = services.project_status(ctx)
        assert status["turns"] == docs[0]["counts"]["turns"]
        assert status["excerpts"] == docs[0]["counts"]["excerpts"]
        check_stored_offsets(ctx, docs[0]["id"])
        # and the project still takes the file
        assert svc.ingest_paths(ctx, [big]).counts()["ok"] == 1
    finally:
        ctx.close()


# --- the sample corpus ----------------------------------------------------------------------------

SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*") if p.is_file() and p.name != "attributes.csv") \
    if SAMPLES.exists() else []


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_file_parses_with_exact_offsets(name):
    parsed = svc.parse_file(SAMPLES / name)
    doc = parsed.document
    doc.check_offsets()
    assert len(doc.turns) >= 10 and len(doc.speakers) >= 2
    assert all(doc.text[e.start:e.end] == e.text and e.text.strip() == e.text for e in doc.excerpts)
    roles = {sp.role.value for sp in doc.speakers}
    assert roles & {"interviewer", "facilitator"}, f"no interviewer/facilitator found in {name}: {roles}"
    assert "participant" in roles


@pytest.mark.skipif(not (SAMPLES / "attributes.csv").exists(), reason="sample corpus not there yet")
def test_sample_corpus_ingests_cleanly_with_attributes(project):
    report = svc.ingest_paths(project, [SAMPLES], attributes=SAMPLES / "attributes.csv")
    assert not report.failed, [r.message for r in report.failed]
    ok = [r for r in report.results if r.status == "ok"]
    assert len(ok) == len(SAMPLE_FILES)
    assert not report.problems  # every attributes row matched a file
    for r in ok:
        d = check_stored_offsets(project, r.document_id)
        assert {"district", "year"} <= set(d["attributes"]), r.file


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_ingest_json_documents_show_and_exit_code(tmp_path):
    runner = CliRunner()
    p = str(tmp_path / "p")
    assert runner.invoke(main, ["init", p]).exit_code == 0
    r = runner.invoke(main, ["--project", p, "ingest", str(GOOD / "zoom.vtt"), str(BROKEN / "no_time.srt"),
                             "--attr", "year=2021", "--json"])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["counts"] == {"ok": 1, "skipped": 0, "failed": 1}
    assert {f["status"] for f in out["files"]} == {"ok", "failed"}
    r = runner.invoke(main, ["--project", p, "documents", "--json"])
    docs = json.loads(r.stdout)
    assert docs[0]["attributes"] == {"year": "2021"} and docs[0]["counts"]["turns"] == 2
    assert set(docs[0]) >= {"id", "name", "format", "attributes", "counts"}
    r = runner.invoke(main, ["--project", p, "show", "zoom", "--json"])
    shown = json.loads(r.stdout)
    assert shown["turns"][1]["speaker"] == "Anh Tran" and shown["excerpts"][0]["text"]
    r = runner.invoke(main, ["--project", p, "ingest", str(GOOD / "zoom.vtt")])
    assert r.exit_code == 0 and "skipped" in r.output
    r = runner.invoke(main, ["--project", p, "set-role", "zoom", "Anh Tran", "interviewer"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["--project", p, "set-attr", "zoom", "district=North", "--speaker", "Anh Tran"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["--project", p, "deidentify", "zoom"])
    assert r.exit_code == 0 and "Participant" in r.output or "Interviewer 1" in r.output
    r = runner.invoke(main, ["--project", p, "pseudonyms", "--export-key", str(tmp_path / "k.csv")])
    assert r.exit_code == 0 and "Anh Tran" in (tmp_path / "k.csv").read_text(encoding="utf-8")


def test_captions_with_some_unreadable_times_import_with_warnings_in_cli_and_store(tmp_path):
    """Issue 15: a caption file with a few broken timing lines is imported (not refused); the
    CLI names each broken line; the stored document keeps its offsets."""
    runner = CliRunner()
    p = str(tmp_path / "p")
    assert runner.invoke(main, ["init", p]).exit_code == 0
    r = runner.invoke(main, ["--project", p, "ingest", str(BROKEN / "bad_time.srt")])
    assert r.exit_code == 0, r.output
    assert "1 imported, 0 skipped, 0 failed." in r.output
    assert "warning: line 6: cue timing '00:00:03,000 --> 00:61:04,000' cannot be read; its words are kept" in r.output
    assert "warning: line 10: cue timing '00:00:05,000 00:00:06,000' cannot be read (no '-->')" in r.output
    r = runner.invoke(main, ["--project", p, "ingest", "--dry-run", "--json", str(BROKEN / "bad_time.vtt")])
    assert r.exit_code == 0, r.output
    assert any("line 6: cue timing" in x for x in json.loads(r.stdout)[0]["problems"])
    ctx = services.open_project(p, coder="alice")
    try:
        doc = check_stored_offsets(ctx, svc.list_documents(ctx)[0]["id"])
        assert [(t["speaker"], t["text"], t["start_ms"]) for t in doc["turns"]] == [
            ("Ana", "fine broken no arrow", 1000)]
    finally:
        ctx.close()


def test_cli_dry_run_saves_nothing(tmp_path):
    runner = CliRunner()
    p = str(tmp_path / "p")
    runner.invoke(main, ["init", p])
    r = runner.invoke(main, ["--project", p, "ingest", "--dry-run", "--json", str(GOOD / "teams.vtt")])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["turns"] == 2
    assert json.loads(runner.invoke(main, ["--project", p, "documents", "--json"]).stdout) == []


def _participant_words(ctx, doc_id):
    from qualcode.storage.models import DocumentRow

    with ctx.session(readonly=True) as s:
        return s.get(DocumentRow, doc_id).participant_words


def _coded_words(ctx, doc_id):
    d = svc.show_document(ctx, doc_id)
    return sum(len(t["text"].split()) for t in d["turns"] if t["role"] in svc.codable_roles(ctx))


def test_participant_words_follow_the_one_coded_role_rule_at_import_and_after(project):
    """participant_words (the per-1,000-words denominator) counts the coded roles' words the
    same way at import as after a role change (it used to hard-code participant + unknown)."""
    from qualcode.core import is_coded

    svc.set_codable_roles(project, ["participant", "facilitator"])
    doc_id = svc.ingest_paths(project, [GOOD / "zoom.vtt"]).document_ids[0]
    roles = {t["role"] for t in svc.show_document(project, doc_id)["turns"]}
    assert "facilitator" in roles and _participant_words(project, doc_id) == _coded_words(project, doc_id) > 0
    svc.set_codable_roles(project, ["participant", "facilitator"])  # recounting changes nothing
    assert _participant_words(project, doc_id) == _coded_words(project, doc_id)
    svc.set_codable_roles(project, ["participant"])
    assert _participant_words(project, doc_id) == _coded_words(project, doc_id)
    assert is_coded(None) and not is_coded("facilitator") and is_coded("facilitator", ["facilitator"])


def test_already_imported_says_what_to_do_in_each_face(project):
    """The CLI is told to pass --replace; the app is pointed at the Import page's option."""
    from qualcode.ui.pages.importing import REPLACE_LABEL
    from qualcode.ui.state import error_text

    data = b"Interviewer: How is it going?\n\nAna: Busy but good.\n"
    svc.save_parsed(project, svc.parse_bytes(data, "a.txt"))
    with pytest.raises(svc.AlreadyImported) as exc:
        svc.save_parsed(project, svc.parse_bytes(data, "a.txt"))
    assert "--replace" in str(exc.value)
    app = error_text(exc.value)
    assert "--" not in app and REPLACE_LABEL in app and "already imported" in app
    doc_id = svc.save_parsed(project, svc.parse_bytes(data, "a.txt"), replace=True)
    assert [d["id"] for d in svc.list_documents(project)] == [doc_id]


def test_an_odd_value_in_the_attributes_file_is_a_warning_naming_its_line(project, tmp_path):
    """The CLI import says what the Import page shows: a year typed 'twenty23' makes a group of its own."""
    car = tmp_path / "attrs.csv"
    car.write_text("file,year\nlabels.txt,2021\nzoom.vtt,twenty23\notter.txt,2022\n", encoding="utf-8")
    report = svc.ingest_paths(project, [GOOD / "labels.txt", GOOD / "zoom.vtt", GOOD / "otter.txt"], attributes=car)
    assert report.counts()["ok"] == 3
    odd = [p for p in report.problems if "twenty23" in p.message]
    assert len(odd) == 1 and odd[0].severity == "warning" and odd[0].line == 3
    assert odd[0].file == str(car) and "whole numbers" in odd[0].message and "Documents page" in odd[0].message
