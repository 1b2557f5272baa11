"""Storage: migrations, round trips, the offset invariant, transactions, backups."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import inspect, select

from qualcode import services
from qualcode.core import Attribute, AttrType
from qualcode.storage import Database, documents, meta
from qualcode.storage.db import current_revision, head_revision
from qualcode.storage.models import CodeRow, DocumentRow, ExcerptRow
from tests.conftest import make_document


def test_migrations_from_empty_create_every_table(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    names = set(inspect(db.engine).get_table_names())
    assert {"documents", "turns", "excerpts", "codes", "codings", "suggestions", "reviews",
            "memos", "audit_events", "embeddings", "coders", "speakers", "settings"} <= names
    assert current_revision(db.engine) == head_revision()


def test_sqlite_pragmas_are_on(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_document_round_trip_keeps_offsets_and_attributes(project):
    doc = make_document("Interview 1")
    doc.attributes["year"] = Attribute("year", "2021", AttrType.INTEGER)
    with project.session() as s:
        doc_id = documents.add_document(s, doc)
    with project.session(readonly=True) as s:
        back = documents.load_document(s, doc_id)
    assert back.text == doc.text
    assert [(t.speaker, t.start, t.end) for t in back.turns] == [(t.speaker, t.start, t.end) for t in doc.turns]
    assert [e.text for e in back.excerpts] == [e.text for e in doc.excerpts]
    for e in back.excerpts:
        assert back.text[e.start:e.end] == e.text
    assert back.attributes["year"].value == "2021" and back.attributes["year"].type is AttrType.INTEGER
    assert {sp.label: sp.role.value for sp in back.speakers}["Interviewer"] == "interviewer"


def test_excerpt_offset_invariant_is_enforced():
    doc = make_document()
    doc.excerpts[0].start += 1
    with pytest.raises(ValueError, match="does not slice back"):
        doc.check_offsets()


def test_failed_write_leaves_nothing(project):
    doc = make_document("half")
    with pytest.raises(RuntimeError):
        with project.session() as s:
            documents.add_document(s, doc)
            raise RuntimeError("crash mid-import")
    with project.session(readonly=True) as s:
        assert s.scalar(select(DocumentRow.id)) is None
        assert s.scalar(select(ExcerptRow.id)) is None


def test_duplicate_content_hash_is_refused_whole(project):
    with project.session() as s:
        documents.add_document(s, make_document("a"))
    with pytest.raises(Exception):
        with project.session() as s:
            documents.add_document(s, make_document("b"))  # same text -> same hash
    assert services.project_status(project)["documents"] == 1


def test_status_counts(project):
    with project.session() as s:
        documents.add_document(s, make_document())
    counts = services.project_status(project)
    assert counts["documents"] == 1 and counts["turns"] == 3 and counts["excerpts"] == 3
    assert counts["suggestions"] == {"pending": 0, "accepted": 0, "rejected": 0}
    assert counts["coders"] == 1 and counts["codes"] >= 4


def test_older_sqlite_project_is_backed_up_then_migrated(tmp_path):
    path = tmp_path / "project.db"
    # An "older" project: a database at no revision with one legacy table.
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE legacy (x INTEGER)")
    con.commit()
    con.close()
    db = Database(f"sqlite:///{path}")
    assert db.backup is not None and db.backup.exists()
    assert "legacy" in sqlite3.connect(db.backup).execute(
        "SELECT name FROM sqlite_master").fetchall()[0]
    assert current_revision(db.engine) == head_revision()


def test_coder_created_once(project):
    with project.session() as s:
        a = meta.get_or_create_coder(s, "bob")
        b = meta.get_or_create_coder(s, "bob")
    assert a == b


def test_open_missing_project_says_how_to_create(tmp_path):
    from qualcode.errors import StorageError

    with pytest.raises(StorageError, match="qualcode init"):
        services.open_project(tmp_path / "missing")


def test_models_and_migrations_agree(tmp_path):
    """Autogenerate finds nothing to change: the migrations build exactly the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from qualcode.storage.models import Base

    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_bulk_insert_stores_what_the_orm_stores(tmp_path):
    """storage.bulk writes through the driver on SQLite: the rows must be byte-for-byte what
    the ORM writes (JSON lists, booleans, NULLs, timestamps), and delete_codes removes them."""
    import dataclasses

    from qualcode.core import Code
    from qualcode.core.model import code_guid
    from qualcode.storage import codes as code_store

    codes = [Code("top", "Top ünï", codable=False, retired=True),
             Code("kid", "Kid", parent="top", definition="d", include=["a", "b é"], keywords=["k"],
                  color="#abc", guid="0b3a7f0e-5c2d-4e8a-9f21-7d6c5b4a3e21"),
             Code("plain", "Plain", definition="x")]
    rows = {}
    for how in ("orm", "bulk"):
        db = Database(f"sqlite:///{tmp_path / (how + '.db')}")
        with db.session() as s:
            if how == "orm":
                for i, c in enumerate(codes):
                    code_store.save_code(s, c, sort_order=i)
            else:
                code_store.insert_codes(s, codes, sort_orders={c.id: i for i, c in enumerate(codes)})
        with db.engine.connect() as c:
            got = c.exec_driver_sql("SELECT * FROM codes ORDER BY id").mappings().all()
        rows[how] = [{k: v for k, v in r.items() if k not in ("created_at", "updated_at")} for r in got]
        assert all(r["created_at"] and r["updated_at"] for r in got)
        with db.session(readonly=True) as s:
            stored = [dataclasses.replace(c, guid=c.guid or code_guid(c.id)) for c in codes]
            assert code_store.load_codebook(s).codes == stored
            assert s.scalar(select(CodeRow.created_at).where(CodeRow.id == "kid")).year >= 2024
        with db.session() as s:
            code_store.delete_codes(s, ["kid", "plain", "top"])  # children before parents
        with db.session(readonly=True) as s:
            assert code_store.load_codebook(s).codes == []
        db.close()
    assert rows["bulk"] == rows["orm"]


def test_save_codebook_in_bulk_keeps_its_rules(tmp_path):
    from qualcode.core import Code, Codebook
    from qualcode.storage import codes as code_store

    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        deep = [Code(f"d{i}", f"D{i}", parent=f"d{i - 1}" if i else None, definition="x") for i in range(300)]
        with db.session() as s:  # children listed before their parents still land parents first
            code_store.save_codebook(s, Codebook("Deep", list(reversed(deep))))
        with db.session() as s:  # a parent already stored, outside the codebook saved now, is fine
            code_store.save_codebook(s, Codebook("More", [Code("kid", "Kid", parent="d5", definition="y"),
                                                          Code("d7", "D7 renamed", parent="kid", definition="z")]))
        with db.session(readonly=True) as s:
            cb = code_store.load_codebook(s)
        assert cb.get("d7").name == "D7 renamed" and cb.get("d7").parent == "kid" and cb.get("d8").parent == "d7"
        ids = [c.id for c in cb.codes]
        assert ids.index("kid") < ids.index("d7") < ids.index("d5")  # sort order: the position in its save
        for bad in ([Code("a", "A", parent="b"), Code("b", "B", parent="a")], [Code("c", "C", parent="nowhere")]):
            with pytest.raises(ValueError, match="unknown parents"):
                with db.session() as s:
                    code_store.save_codebook(s, Codebook("Bad", bad))
    finally:
        db.close()
